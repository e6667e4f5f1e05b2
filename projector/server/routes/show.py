"""Show control over HTTP: the cue list, GO, back, jump, hold, blackout, panic.

The same endpoints serve the panel, ``projector cue ...`` and a Stream Deck
button (Bitfocus Companion's generic HTTP module): one POST each, JSON in and
out, an operator token or session. The show and what is on program are kept in
the store, so a restarted server puts the screens back where they were (in
blackout if they were blacked out).
"""

from __future__ import annotations

import dataclasses
import logging
import time
import tomllib
from collections.abc import Callable
from typing import Any

import tomli_w
from aiohttp import web

from projector.core.cues import Show, parse_show, show_to_wire
from projector.core.fleet import parse_cue_time
from projector.core.model import ValidationError
from projector.core.state import (
    Back,
    Command,
    CommandRefused,
    Go,
    Hold,
    Jump,
    LoadShow,
    Panic,
    Resume,
    SetBlackout,
)
from projector.server.routes.media import check_cue_media
from projector.server.services import SERVICES
from projector.server.views import show_json
from projector.server.web.auth import require
from projector.server.web.errors import ApiError, read_json, read_json_object
from projector.store.records import StoreError

log = logging.getLogger("projector.show_control")

MAX_TOML_BYTES = 512 * 1024


async def _execute(request: web.Request, command: Command) -> web.Response:
    """Persist, then change: the reply, and every screen, follow the stored cue."""
    control = request.app[SERVICES].show_control
    try:
        await control.execute(command)
    except CommandRefused as exc:
        raise ApiError(409, exc.code, exc.message) from None
    except StoreError as exc:
        raise ApiError(503, "store_failed", f"the cue was not stored, nothing changed; retry: {exc}") from exc
    return web.json_response(show_json(request.app[SERVICES].show.state))


async def _body(request: web.Request) -> dict[str, Any]:
    """An optional JSON object body (a Stream Deck button may send none)."""
    if not request.can_read_body:
        return {}
    body = await read_json_object(request)
    return body


async def get_show(request: web.Request) -> web.Response:
    await require(request, "viewer")
    return web.json_response(show_json(request.app[SERVICES].show.state))


async def put_show(request: web.Request) -> web.Response:
    principal = await require(request, "operator")
    show = parse_show(await read_json(request), request.app[SERVICES].show_control.scenes)
    _check_targets(request, show)
    await check_cue_media(request, show)
    log.info("show %r (%d cues) loaded by %s", show.id, len(show.cues), principal.name)
    return await _execute(request, LoadShow(show))


async def delete_show(request: web.Request) -> web.Response:
    await require(request, "operator")
    return await _execute(request, LoadShow(None))


def show_to_toml(show: Show) -> str:
    data = show_to_wire(show)
    cues = data["cues"]
    assert isinstance(cues, list)  # show_to_wire always writes the cues as a list
    for cue in cues:
        if cue["hold"] is None:
            del cue["hold"]
        if not cue["params"]:
            del cue["params"]
    return tomli_w.dumps(data)


async def export_show(request: web.Request) -> web.Response:
    await require(request, "viewer")
    show = request.app[SERVICES].show.state.show
    if show is None:
        raise ApiError(404, "no_show", "no show is loaded")
    return web.Response(
        text=show_to_toml(show),
        content_type="application/toml",
        headers={"Content-Disposition": f'attachment; filename="{show.id}.toml"'},
    )


async def import_show(request: web.Request) -> web.Response:
    await require(request, "operator")
    raw = await request.content.read(MAX_TOML_BYTES + 1)
    if len(raw) > MAX_TOML_BYTES:
        raise ApiError(413, "too_large", f"a show file holds at most {MAX_TOML_BYTES} bytes")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_utf8", "the show file is not UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ApiError(400, "malformed_toml", f"the show file is not valid TOML: {exc}") from None
    show = parse_show(data, request.app[SERVICES].show_control.scenes)
    _check_targets(request, show)
    await check_cue_media(request, show)
    return await _execute(request, LoadShow(show))


def _check_targets(request: web.Request, show: Show) -> None:
    """Cue targets must name groups and displays that exist (issue 8, ``projector.server.fleet``)."""
    request.app[SERVICES].fleet.check_show(show)


def _cue_handler(make: Callable[[dict[str, Any]], Command]) -> Callable[[web.Request], Any]:
    async def handler(request: web.Request) -> web.Response:
        principal = await require(request, "operator")
        body = await _body(request)
        command = _timed(request, make(body), body)
        log.info("%s by %s", type(command).__name__, principal.name)
        return await _execute(request, command)

    return handler


def _timed(request: web.Request, command: Command, body: dict[str, Any]) -> Command:
    """GO, back and jump may say when (``at``: server time, or ``in``: seconds from now)
    and for whom (``target``: all, group:<name>, display:<name>)."""
    if not isinstance(command, Go | Back | Jump):
        return command
    at = parse_cue_time(body, time.time(), request.app[SERVICES].config.cue_lead)
    target = None if body.get("target") is None else request.app[SERVICES].fleet.check_target(body["target"])
    return dataclasses.replace(command, at=at, target=target)


def _go(body: dict[str, Any]) -> Command:
    if "expected" not in body:
        return Go()
    expected = body["expected"]
    if expected is not None and (isinstance(expected, bool) or not isinstance(expected, int)):
        raise ValidationError("expected", "must be the program cue index the operator saw, or null")
    return Go(expected, check_expected=True)


def _jump(body: dict[str, Any]) -> Command:
    cue = body.get("cue")
    if not isinstance(cue, str) or not cue:
        raise ValidationError("cue", "must be the id of a cue in the show")
    return Jump(cue)


def _blackout(body: dict[str, Any]) -> Command:
    on = body.get("on")
    if on is not None and not isinstance(on, bool):
        raise ValidationError("on", "must be true, false, or left out to toggle")
    return SetBlackout(on)


async def list_scenes(request: web.Request) -> web.Response:
    await require(request, "viewer")
    return web.json_response({"scenes": sorted(request.app[SERVICES].show_control.scenes - {"fallback"})})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/v1/show", get_show)
    r.add_put("/api/v1/show", put_show)
    r.add_delete("/api/v1/show", delete_show)
    r.add_get("/api/v1/show.toml", export_show)
    r.add_post("/api/v1/show.toml", import_show)
    r.add_get("/api/v1/scenes", list_scenes)
    r.add_post("/api/v1/cue/go", _cue_handler(_go))
    r.add_post("/api/v1/cue/back", _cue_handler(lambda _: Back()))
    r.add_post("/api/v1/cue/jump", _cue_handler(_jump))
    r.add_post("/api/v1/cue/hold", _cue_handler(lambda _: Hold()))
    r.add_post("/api/v1/cue/resume", _cue_handler(lambda _: Resume()))
    r.add_post("/api/v1/cue/blackout", _cue_handler(_blackout))
    r.add_post("/api/v1/cue/panic", _cue_handler(lambda _: Panic()))
