"""The fleet over HTTP: rename displays, group them, give them a latency offset and a safe area,
identify, reload, retire.

| method and path | who |
|---|---|
| ``PUT /api/v1/displays/{name}`` ``{"name"?, "groups"?, "latency_ms"?, "safe_area"?, "locale"?}`` | operator |
| ``GET /api/v1/displays/{name}/outputs/{output}/safe-area`` | viewer |
| ``PUT /api/v1/displays/{name}/outputs/{output}/safe-area`` (the safe area, or null) | operator |
| ``POST /api/v1/displays/{name}/identify`` ``{"seconds"?}``, ``/reload`` | operator |
| ``POST /api/v1/displays/{name}/retire``, ``/unretire`` | operator |
| ``GET /api/v1/groups``; ``PUT``/``DELETE /api/v1/groups/{name}`` | viewer / operator |

``GET /api/v1/displays`` (``http_panel``) lists displays with their fleet fields.

A safe area (``projector.core.safe_area``) is checked whole before anything is
stored: a bad one is answered 422 naming the field (``safe_area.avoid[2].w``)
and neither the store nor the display changes. A good one is stored and the
display hears it at once in a ``you`` frame. An empty safe area is the same as
null: none. An output must be one the display reported (``http_mapping``).
A locale must be one Babel knows (``tr-TR``, ``ar``); null clears it, and the
display goes back to its own (``--locale``, else the campaign's language).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import replace
from typing import Any

from aiohttp import web

from projector.core.calibration import parse_output_name
from projector.core.fleet import MAX_LATENCY_MS, parse_display_name, parse_group, parse_groups
from projector.core.model import ValidationError
from projector.core.protocol import Command
from projector.core.safe_area import SafeArea, parse_safe_area
from projector.i18n import UnknownLocale, parse_locale
from projector.server.fleet import Fleet, safe_area_json, safe_areas_json
from projector.server.services import SERVICES
from projector.server.web.auth import require
from projector.server.web.errors import ApiError, read_json, read_json_object
from projector.server.web.http import json_response
from projector.store.fleet import DisplaySettings

log = logging.getLogger("projector.server.fleet")

SWEEP_INTERVAL = 1.0
IDENTIFY_SECONDS = 5.0


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    body = await read_json_object(request)
    return body


def _safe_area(value: object, field: str = "safe_area") -> SafeArea | None:
    """A safe area from a request (null or an empty one: none); 422 naming the field."""
    if value is None:
        return None
    area = parse_safe_area(value, field)
    return None if area.empty else area


def _display(fleet: Fleet, name: str, *, retired: bool = False) -> DisplaySettings:
    found = fleet.find(name)
    if found is None or (found.retired_at is not None) != retired:
        state = "retired " if retired else ""
        raise ApiError(404, "unknown_display", f"no {state}display called {name!r}")
    return found


def _latency(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError("latency_ms", "must be a number of milliseconds")
    if not 0 <= value <= MAX_LATENCY_MS:
        raise ValidationError("latency_ms", f"must be between 0 and {MAX_LATENCY_MS:g} ms")
    return float(value)


async def put_display(request: web.Request) -> web.Response:
    principal = await require(request, "operator")
    fleet = request.app[SERVICES].fleet
    current = _display(fleet, request.match_info["name"])
    body = await read_json_object(request, constants=True) if request.can_read_body else {}
    unknown = set(body) - {"name", "groups", "latency_ms", "safe_area", "locale"}
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    # Everything is parsed before anything is stored: a refusal changes nothing.
    changes: dict[str, Any] = {}
    if "name" in body:
        changes["name"] = parse_display_name(body["name"], "name")
    if "groups" in body:
        changes["groups"] = parse_groups(body["groups"])
    if "latency_ms" in body:
        changes["latency_ms"] = _latency(body["latency_ms"])
    if "safe_area" in body:
        changes["safe_area"] = _safe_area(body["safe_area"])
    if "locale" in body:
        changes["locale"] = _locale(body["locale"])

    def change(settings: DisplaySettings) -> DisplaySettings:
        if "name" in changes:
            fleet.check_name(changes["name"], settings.hello_name)
        return replace(settings, **changes)

    new = await fleet.update(current.hello_name, change)
    log.info("display %r updated by %s: %s", current.name, principal.name, new)
    return json_response(_settings_json(new))


def _locale(value: object) -> str | None:
    """An operator's locale for a display: a known locale tag (normalised), or null for none."""
    if value is None or value == "":
        return None
    try:
        return parse_locale(value).tag
    except UnknownLocale as exc:
        raise ValidationError("locale", str(exc)) from None


def _settings_json(s: DisplaySettings) -> dict[str, Any]:
    return {
        "name": s.name,
        "hello_name": s.hello_name,
        "groups": list(s.groups),
        "latency_ms": s.latency_ms,
        "locale": s.locale,
        **safe_areas_json(s),
    }


async def _output_of(request: web.Request) -> tuple[DisplaySettings, str, bool]:
    """(the display, the output named in the path, whether the display reported that output)."""
    fleet = request.app[SERVICES].fleet
    display = _display(fleet, request.match_info["name"])
    output = parse_output_name(request.match_info["output"], "output")
    known = await request.app[SERVICES].mappings.outputs_of(display.hello_name)
    return display, output, output in known


def _output_json(display: DisplaySettings, output: str) -> dict[str, Any]:
    area = dict(display.output_safe_areas).get(output)
    return {"display": display.name, "output": output, "safe_area": safe_area_json(area)}


async def get_output_safe_area(request: web.Request) -> web.Response:
    await require(request, "viewer")
    display, output, reported = await _output_of(request)
    if not reported and output not in dict(display.output_safe_areas):
        raise ApiError(404, "unknown_output", f"display {display.name!r} has no output {output!r}")
    return json_response(_output_json(display, output))


async def put_output_safe_area(request: web.Request) -> web.Response:
    """The safe area of one output, in fractions of that output (null: none)."""
    principal = await require(request, "operator")
    fleet = request.app[SERVICES].fleet
    display, output, reported = await _output_of(request)
    area = _safe_area(await read_json(request, constants=True))
    # Clearing is allowed for an output the display no longer has (its stale entry goes);
    # setting one needs a real output, so a typo is not stored and silently ignored.
    if not reported and area is not None:
        known = await request.app[SERVICES].mappings.outputs_of(display.hello_name)
        have = ", ".join(known) or "none reported yet"
        raise ValidationError("output", f"display {display.name!r} has no output {output!r} (it has: {have})")

    def change(settings: DisplaySettings) -> DisplaySettings:
        areas = {name: a for name, a in settings.output_safe_areas if name != output}
        if area is not None:
            areas[output] = area
        return replace(settings, output_safe_areas=tuple(sorted(areas.items())))

    new = await fleet.update(display.hello_name, change)
    log.info("safe area of %s/%s set by %s: %s", new.name, output, principal.name, area)
    return json_response(_output_json(new, output))


async def identify(request: web.Request) -> web.Response:
    await require(request, "operator")
    fleet = request.app[SERVICES].fleet
    display = _display(fleet, request.match_info["name"])
    body = await _body(request)
    seconds = body.get("seconds", IDENTIFY_SECONDS)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 < seconds <= 600:
        raise ValidationError("seconds", "must be a number of seconds between 0 and 600")
    return _command(fleet, display, Command("identify", float(seconds)))


async def reload(request: web.Request) -> web.Response:
    await require(request, "operator")
    fleet = request.app[SERVICES].fleet
    return _command(fleet, _display(fleet, request.match_info["name"]), Command("reload"))


def _command(fleet: Fleet, display: DisplaySettings, command: Command) -> web.Response:
    if fleet.command(display.hello_name, command) == 0:
        raise ApiError(409, "not_connected", f"display {display.name!r} is not connected")
    return json_response({"sent": command.do, "display": display.name})


async def retire(request: web.Request) -> web.Response:
    principal = await require(request, "operator")
    fleet = request.app[SERVICES].fleet
    display = _display(fleet, request.match_info["name"])
    await fleet.retire(display)
    log.info("display %r retired by %s", display.name, principal.name)
    return json_response({"retired": display.name})


async def unretire(request: web.Request) -> web.Response:
    await require(request, "operator")
    fleet = request.app[SERVICES].fleet
    display = _display(fleet, request.match_info["name"], retired=True)
    await fleet.save(replace(display, retired_at=None))
    return json_response({"unretired": display.name})


async def list_groups(request: web.Request) -> web.Response:
    await require(request, "viewer")
    fleet = request.app[SERVICES].fleet
    return json_response(
        {
            "groups": [
                {"name": g, "displays": names, "declared": g in fleet.declared}
                for g, names in fleet.groups().items()
            ]
        }
    )


async def put_group(request: web.Request) -> web.Response:
    await require(request, "operator")
    name = parse_group(request.match_info["name"], "name")
    await request.app[SERVICES].store.call(lambda s: s.declare_group(name, time.time()))
    request.app[SERVICES].fleet.declared.add(name)
    return json_response({"name": name, "declared": True})


async def delete_group(request: web.Request) -> web.Response:
    await require(request, "operator")
    name = request.match_info["name"]
    removed = await request.app[SERVICES].store.call(lambda s: s.undeclare_group(name))
    if not removed:
        raise ApiError(404, "unknown_group", f"no declared group {name!r}")
    request.app[SERVICES].fleet.declared.discard(name)
    return json_response({"name": name, "declared": False})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_put("/api/v1/displays/{name}", put_display)
    r.add_get("/api/v1/displays/{name}/outputs/{output}/safe-area", get_output_safe_area)
    r.add_put("/api/v1/displays/{name}/outputs/{output}/safe-area", put_output_safe_area)
    r.add_post("/api/v1/displays/{name}/identify", identify)
    r.add_post("/api/v1/displays/{name}/reload", reload)
    r.add_post("/api/v1/displays/{name}/retire", retire)
    r.add_post("/api/v1/displays/{name}/unretire", unretire)
    r.add_get("/api/v1/groups", list_groups)
    r.add_put("/api/v1/groups/{name}", put_group)
    r.add_delete("/api/v1/groups/{name}", delete_group)
