"""Projection mapping over HTTP and the display websocket: calibrations per display output.

| method and path | who |
|---|---|
| ``GET /api/v1/displays/{name}/outputs`` | viewer |
| ``PUT``/``DELETE /api/v1/displays/{name}/outputs/{output}/mapping`` | operator |
| ``POST /api/v1/displays/{name}/outputs/{output}/pattern`` ``{"pattern": name or null}`` | operator |
| ``GET /api/v1/displays/{name}/outputs/{output}/picture.jpg`` | viewer |
| ``GET``/``POST /api/v1/displays/{name}/outputs/{output}/calibrations`` | viewer / operator |
| ``POST .../calibrations/{calibration}/load``, ``DELETE .../calibrations/{calibration}`` | operator |

A mapping is kept per display (by the name in its hello, which an operator's
rename does not change) and output, in the store's settings table as the
mapping's JSON (``mapping/<display>/<output>``; ``null`` is the identity), with
the named calibrations of that output beside it
(``calibrations/<display>/<output>``) and the outputs the display last reported
(``outputs/<display>``), so the panel can calibrate a display that is off.
Every mapping is checked with ``parse_mapping`` against the output's size
before it is stored: a bad one is answered 422 naming the field, and neither
the store nor the display changes. A display that says hello gets its stored
mappings (and any test pattern an operator left up) right after its snapshot.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from aiohttp import web

from projector.core import wire
from projector.core.calibration import PATTERN_NAMES, parse_pattern
from projector.core.mapping import (
    OutputMapping,
    identity_mapping,
    is_identity,
    mapping_to_wire,
    parse_mapping,
)
from projector.core.model import ValidationError, parse_text
from projector.core.protocol import (
    MappingFrame,
    PatternFrame,
    ThumbnailRequest,
)
from projector.server.services import SERVICES
from projector.server.web.auth import require
from projector.server.web.errors import ApiError, read_json
from projector.server.web.http import json_response, rfc3339

log = logging.getLogger("projector.mapping")

#: Calibration pictures are as wide as the protocol allows: handles are placed over them.
PICTURE_WIDTH = 640
#: How long a picture request waits for the display's fresh picture before answering the last one.
PICTURE_WAIT = 1.2
MAX_CALIBRATIONS = 50
MAX_CALIBRATION_NAME = 64


def _calibrations_key(hello_name: str, output: str) -> str:
    return f"calibrations/{hello_name}/{output}"


# --- helpers for the handlers ------------------------------------------------------------------------


async def _target(request: web.Request) -> tuple[str, str]:
    """(display name, its hello name) of ``{name}``; 404 if no such display was ever seen."""
    name = request.match_info["name"]
    found = request.app[SERVICES].fleet.find(name)
    if found is not None:
        return found.name, found.hello_name
    if await request.app[SERVICES].mappings.outputs_of(name):
        return name, name
    raise ApiError(404, "unknown_display", f"no display called {name!r}")


async def _output(request: web.Request) -> tuple[str, str, str, tuple[int, int]]:
    """(display name, hello name, output, the output's size) of the request's path."""
    name, hello_name = await _target(request)
    output = request.match_info["output"]
    sizes = await request.app[SERVICES].mappings.outputs_of(hello_name)
    if output not in sizes:
        have = ", ".join(sizes) or "none reported yet"
        raise ApiError(404, "unknown_output", f"display {name!r} has no output {output!r} (it has: {have})")
    return name, hello_name, output, sizes[output]


def _parse_for(body: object, output: str, size: tuple[int, int]) -> OutputMapping:
    """A mapping for this output: its name is the output's; ``size`` must be the output's (422 ``size``)."""
    if isinstance(body, dict):
        body = {**body, "name": output}
    return parse_mapping(body, expected_size=size)


def _mapping_json(output: str, size: tuple[int, int], mapping: OutputMapping | None) -> dict[str, Any]:
    m = mapping if mapping is not None else identity_mapping(output, size)
    return {"output": output, "mapping": mapping_to_wire(m), "identity": is_identity(m)}


async def _calibrations(request: web.Request, hello_name: str, output: str) -> dict[str, Any]:
    raw = await request.app[SERVICES].store.call(
        lambda s: s.get_setting(_calibrations_key(hello_name, output))
    )
    try:
        found = json.loads(raw) if raw else {}
    except ValueError:
        found = {}
    return found if isinstance(found, dict) else {}


def _calibration_list(saved: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"name": name, "saved_at": rfc3339(entry.get("saved_at")), "saved_by": entry.get("saved_by")}
        for name, entry in sorted(saved.items(), key=lambda kv: kv[0].lower())
    ]


# --- handlers ---------------------------------------------------------------------------------------------


async def list_outputs(request: web.Request) -> web.Response:
    await require(request, "viewer")
    name, hello_name = await _target(request)
    mappings = request.app[SERVICES].mappings
    known = mappings.display(hello_name)
    sizes = await mappings.outputs_of(hello_name)
    conns = mappings.connections(hello_name)
    status = conns[0].status if conns else None
    outputs = []
    for output, size in sizes.items():
        picture = known.pictures.get(output)
        outputs.append(
            {
                **_mapping_json(output, size, await mappings.load(hello_name, output)),
                "name": output,
                "size": list(size),
                "pattern": known.patterns.get(output),
                "picture_at": rfc3339(picture[1]) if picture else None,
            }
        )
    return json_response(
        {
            "display": name,
            "connected": bool(conns),
            "mapping": any("mapping" in c.capabilities for c in conns),
            "path": status.output_path if status else None,
            "path_reason": status.output_reason if status else None,
            "error": status.error if status else None,
            "patterns": list(PATTERN_NAMES),
            "outputs": outputs,
        }
    )


async def put_mapping(request: web.Request) -> web.Response:
    principal = await require(request, "operator")
    name, hello_name, output, size = await _output(request)
    mapping = _parse_for(await read_json(request, constants=True), output, size)
    mappings = request.app[SERVICES].mappings
    await mappings.store(hello_name, output, mapping)
    pushed = mappings.push(hello_name, MappingFrame(output, mapping))
    log.debug("mapping of %s/%s set by %s", name, output, principal.name)
    return json_response({**_mapping_json(output, size, mapping), "pushed": pushed})


async def delete_mapping(request: web.Request) -> web.Response:
    principal = await require(request, "operator")
    name, hello_name, output, size = await _output(request)
    mappings = request.app[SERVICES].mappings
    await mappings.store(hello_name, output, None)
    pushed = mappings.push(hello_name, MappingFrame(output, None))
    log.info("mapping of %s/%s reset to the identity by %s", name, output, principal.name)
    return json_response({**_mapping_json(output, size, None), "pushed": pushed})


async def post_pattern(request: web.Request) -> web.Response:
    await require(request, "operator")
    _, hello_name, output, _ = await _output(request)
    body = await read_json(request)
    if not isinstance(body, dict) or set(body) - {"pattern"}:
        raise ValidationError("pattern", 'expected {"pattern": name or null}')
    pattern = parse_pattern(body.get("pattern"))
    mappings = request.app[SERVICES].mappings
    known = mappings.display(hello_name)
    if pattern is None:
        known.patterns.pop(output, None)
    else:
        known.patterns[output] = pattern
    pushed = mappings.push(hello_name, PatternFrame(output, pattern))
    return json_response({"output": output, "pattern": pattern, "pushed": pushed})


async def get_picture(request: web.Request) -> web.Response:
    """The output's picture as its projector gets it; asks the display for a fresh one and waits a moment."""
    await require(request, "viewer")
    _, hello_name, output, _ = await _output(request)
    mappings = request.app[SERVICES].mappings
    known = mappings.display(hello_name)
    asked = time.time()
    sent = False
    for conn in mappings.connections(hello_name):
        if "thumbnail" in conn.capabilities:
            request.app[SERVICES].hub.send(conn, wire.encode(ThumbnailRequest(PICTURE_WIDTH, output)))
            sent = True
    deadline = time.monotonic() + PICTURE_WAIT
    while sent and (known.pictures.get(output, (b"", 0.0))[1] < asked) and time.monotonic() < deadline:
        known.arrived.clear()
        try:
            await asyncio.wait_for(known.arrived.wait(), max(0.01, deadline - time.monotonic()))
        except TimeoutError:
            break
    picture = known.pictures.get(output)
    if picture is None:
        raise ApiError(404, "not_found", "no picture from that output yet")
    return web.Response(body=picture[0], content_type="image/jpeg", headers={"Cache-Control": "no-store"})


async def list_calibrations(request: web.Request) -> web.Response:
    await require(request, "viewer")
    _, hello_name, output, _ = await _output(request)
    saved = await _calibrations(request, hello_name, output)
    return json_response({"output": output, "calibrations": _calibration_list(saved)})


async def save_calibration(request: web.Request) -> web.Response:
    """``{"name", "mapping"?}``: keep the output's current mapping (or the one given) under a name."""
    principal = await require(request, "operator")
    _, hello_name, output, size = await _output(request)
    body = await read_json(request, constants=True)
    if not isinstance(body, dict) or set(body) - {"name", "mapping"}:
        raise ValidationError("name", 'expected {"name": ..., "mapping"?: ...}')
    label = parse_text(body.get("name"), "name", MAX_CALIBRATION_NAME).strip()
    if "mapping" in body and body["mapping"] is not None:
        try:
            mapping: OutputMapping | None = _parse_for(body["mapping"], output, size)
        except ValidationError as exc:
            raise ValidationError(f"mapping.{exc.field}", exc.message) from None
    else:
        mapping = await request.app[SERVICES].mappings.load(hello_name, output)
    saved = await _calibrations(request, hello_name, output)
    if label not in saved and len(saved) >= MAX_CALIBRATIONS:
        raise ValidationError("name", f"at most {MAX_CALIBRATIONS} saved calibrations per output; delete one")
    wire_form = mapping_to_wire(mapping if mapping is not None else identity_mapping(output, size))
    saved[label] = {"mapping": wire_form, "saved_at": time.time(), "saved_by": principal.name}
    text = json.dumps(saved)
    await request.app[SERVICES].store.call(
        lambda s: s.set_setting(_calibrations_key(hello_name, output), text)
    )
    return json_response({"output": output, "saved": label, "calibrations": _calibration_list(saved)}, 201)


async def load_calibration(request: web.Request) -> web.Response:
    """Make a saved calibration the output's mapping (422 ``size`` if it was made for another resolution)."""
    await require(request, "operator")
    _, hello_name, output, size = await _output(request)
    label = request.match_info["calibration"]
    entry = (await _calibrations(request, hello_name, output)).get(label)
    if not isinstance(entry, dict):
        raise ApiError(404, "not_found", f"no saved calibration {label!r} for output {output!r}")
    mapping = _parse_for(entry.get("mapping"), output, size)
    mappings = request.app[SERVICES].mappings
    await mappings.store(hello_name, output, mapping)
    pushed = mappings.push(hello_name, MappingFrame(output, mapping))
    return json_response({**_mapping_json(output, size, mapping), "loaded": label, "pushed": pushed})


async def delete_calibration(request: web.Request) -> web.Response:
    await require(request, "operator")
    _, hello_name, output, _ = await _output(request)
    label = request.match_info["calibration"]
    saved = await _calibrations(request, hello_name, output)
    if saved.pop(label, None) is None:
        raise ApiError(404, "not_found", f"no saved calibration {label!r} for output {output!r}")
    text = json.dumps(saved)
    await request.app[SERVICES].store.call(
        lambda s: s.set_setting(_calibrations_key(hello_name, output), text)
    )
    return json_response({"output": output, "deleted": label, "calibrations": _calibration_list(saved)})


def add_routes(app: web.Application) -> None:
    r = app.router
    base = "/api/v1/displays/{name}/outputs"
    one = base + "/{output}"
    r.add_get(base, list_outputs)
    r.add_put(one + "/mapping", put_mapping)
    r.add_delete(one + "/mapping", delete_mapping)
    r.add_post(one + "/pattern", post_pattern)
    r.add_get(one + "/picture.jpg", get_picture)
    r.add_get(one + "/calibrations", list_calibrations)
    r.add_post(one + "/calibrations", save_calibration)
    r.add_post(one + "/calibrations/{calibration}/load", load_calibration)
    r.add_delete(one + "/calibrations/{calibration}", delete_calibration)
