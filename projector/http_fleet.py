"""The fleet over HTTP: rename displays, group them, give them a latency offset, identify, reload, retire.

| method and path | who |
|---|---|
| ``PUT /api/v1/displays/{name}`` ``{"name"?, "groups"?, "latency_ms"?}`` | operator |
| ``POST /api/v1/displays/{name}/identify`` ``{"seconds"?}``, ``/reload`` | operator |
| ``POST /api/v1/displays/{name}/retire``, ``/unretire`` | operator |
| ``GET /api/v1/groups``; ``PUT``/``DELETE /api/v1/groups/{name}`` | viewer / operator |

``GET /api/v1/displays`` (``http_panel``) lists displays with their fleet fields.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from aiohttp import web

from projector.app_keys import STORE
from projector.auth import require
from projector.core.fleet import MAX_LATENCY_MS, parse_display_name, parse_group, parse_groups
from projector.core.model import ValidationError
from projector.core.protocol import Command
from projector.errors import ApiError, read_json
from projector.fleet import FLEET, Fleet
from projector.http_util import json_response
from projector.store.fleet import DisplaySettings

log = logging.getLogger("projector.fleet")

SWEEP_INTERVAL = 1.0
IDENTIFY_SECONDS = 5.0


async def _fleet_ctx(app: web.Application) -> AsyncIterator[None]:
    from projector.http_panel import PANELS

    fleet = app[FLEET]
    await fleet.load()

    async def sweep() -> None:
        while True:
            await asyncio.sleep(SWEEP_INTERVAL)
            try:
                if fleet.sweep(time.time()):
                    app[PANELS].dirty.set()
            except Exception:
                log.exception("fleet health sweep failed")

    task = asyncio.get_running_loop().create_task(sweep(), name="fleet-sweep")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ValidationError("body", "must be a JSON object")
    return body


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
    fleet = request.app[FLEET]
    current = _display(fleet, request.match_info["name"])
    body = await _body(request)
    unknown = set(body) - {"name", "groups", "latency_ms"}
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    new = current
    if "name" in body:
        name = parse_display_name(body["name"], "name")
        fleet.check_name(name, current.hello_name)
        new = replace(new, name=name)
    if "groups" in body:
        new = replace(new, groups=parse_groups(body["groups"]))
    if "latency_ms" in body:
        new = replace(new, latency_ms=_latency(body["latency_ms"]))
    await fleet.save(new)
    log.info("display %r updated by %s: %s", current.name, principal.name, new)
    return json_response(_settings_json(new))


def _settings_json(s: DisplaySettings) -> dict[str, Any]:
    return {"name": s.name, "hello_name": s.hello_name, "groups": list(s.groups), "latency_ms": s.latency_ms}


async def identify(request: web.Request) -> web.Response:
    await require(request, "operator")
    fleet = request.app[FLEET]
    display = _display(fleet, request.match_info["name"])
    body = await _body(request)
    seconds = body.get("seconds", IDENTIFY_SECONDS)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 < seconds <= 600:
        raise ValidationError("seconds", "must be a number of seconds between 0 and 600")
    return _command(fleet, display, Command("identify", float(seconds)))


async def reload(request: web.Request) -> web.Response:
    await require(request, "operator")
    fleet = request.app[FLEET]
    return _command(fleet, _display(fleet, request.match_info["name"]), Command("reload"))


def _command(fleet: Fleet, display: DisplaySettings, command: Command) -> web.Response:
    if fleet.command(display.hello_name, command) == 0:
        raise ApiError(409, "not_connected", f"display {display.name!r} is not connected")
    return json_response({"sent": command.do, "display": display.name})


async def retire(request: web.Request) -> web.Response:
    principal = await require(request, "operator")
    fleet = request.app[FLEET]
    display = _display(fleet, request.match_info["name"])
    await fleet.retire(display)
    log.info("display %r retired by %s", display.name, principal.name)
    return json_response({"retired": display.name})


async def unretire(request: web.Request) -> web.Response:
    await require(request, "operator")
    fleet = request.app[FLEET]
    display = _display(fleet, request.match_info["name"], retired=True)
    await fleet.save(replace(display, retired_at=None))
    return json_response({"unretired": display.name})


async def list_groups(request: web.Request) -> web.Response:
    await require(request, "viewer")
    fleet = request.app[FLEET]
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
    await request.app[STORE].call(lambda s: s.declare_group(name, time.time()))
    request.app[FLEET].declared.add(name)
    return json_response({"name": name, "declared": True})


async def delete_group(request: web.Request) -> web.Response:
    await require(request, "operator")
    name = request.match_info["name"]
    removed = await request.app[STORE].call(lambda s: s.undeclare_group(name))
    if not removed:
        raise ApiError(404, "unknown_group", f"no declared group {name!r}")
    request.app[FLEET].declared.discard(name)
    return json_response({"name": name, "declared": False})


def add_routes(app: web.Application) -> None:
    app[FLEET] = Fleet(app)
    app.cleanup_ctx.append(_fleet_ctx)
    r = app.router
    r.add_put("/api/v1/displays/{name}", put_display)
    r.add_post("/api/v1/displays/{name}/identify", identify)
    r.add_post("/api/v1/displays/{name}/reload", reload)
    r.add_post("/api/v1/displays/{name}/retire", retire)
    r.add_post("/api/v1/displays/{name}/unretire", unretire)
    r.add_get("/api/v1/groups", list_groups)
    r.add_put("/api/v1/groups/{name}", put_group)
    r.add_delete("/api/v1/groups/{name}", delete_group)
