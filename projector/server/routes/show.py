"""Show control over HTTP: the cue list, GO, back, jump, hold, blackout, panic.

The same endpoints serve the panel, ``projector cue ...`` and a Stream Deck
button (Bitfocus Companion's generic HTTP module): one POST each, JSON in and
out, an operator token or session. The show and what is on program are kept in
the store, so a restarted server puts the screens back where they were (in
blackout if they were blacked out).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
import tomllib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

import tomli_w
from aiohttp import web

from projector.core.cues import BUILTIN_SCENES, AnyScene, Show, parse_show, show_to_wire
from projector.core.fleet import parse_cue_time
from projector.core.model import ValidationError
from projector.core.moments import follow_at
from projector.core.state import (
    AutoFollow,
    Back,
    BlackoutChanged,
    Command,
    CommandRefused,
    CueChanged,
    Event,
    Go,
    Hold,
    Jump,
    LoadShow,
    Panic,
    Resume,
    SetBlackout,
    ShowLoaded,
    ShowState,
    reduce,
)
from projector.server.app_keys import CONFIG, SHOW, STORE
from projector.server.web.auth import require
from projector.server.web.errors import ApiError, read_json

log = logging.getLogger("projector.show_control")

SHOW_SETTING = "show"
CUE_SETTING = "cue_state"
MAX_TOML_BYTES = 512 * 1024


def known_scenes() -> frozenset[str]:
    """Built-in scenes plus those third-party packages register (names only: no pygame here)."""
    try:
        extra = {ep.name for ep in entry_points(group="projector.scenes")}
    except Exception:  # a broken distribution must not stop the server
        log.exception("could not list scene entry points")
        extra = set()
    return BUILTIN_SCENES | extra


def show_json(state: ShowState) -> dict[str, Any]:
    return {
        "show": None if state.show is None else show_to_wire(state.show),
        "program": state.program,
        "preview": state.preview,
        "program_at": state.program_at,
        "held": state.held,
        "blackout": state.blackout,
        "rev": state.rev,
        "program_target": state.program_target,
    }


def restore(store: Any, state: ShowState, now: float) -> ShowState:
    """Put back the show and what was on program before the server stopped."""
    raw_show = store.get_setting(SHOW_SETTING)
    if raw_show is None or raw_show == "null":
        return state
    try:
        show = parse_show(json.loads(raw_show), AnyScene())
        cue = json.loads(store.get_setting(CUE_SETTING) or "{}")
    except (ValueError, ValidationError) as exc:
        log.error("the saved show could not be restored (%s); starting without one", exc)
        return state
    commands: list[Command] = [LoadShow(show)]
    program = cue.get("program")
    if isinstance(program, int) and 0 <= program < len(show.cues):
        target = cue.get("target") if isinstance(cue.get("target"), str) else None
        commands.append(Jump(show.cues[program].id, target=target))
        if cue.get("held") is True:
            commands.append(Hold())
    if cue.get("blackout") is True:
        commands.append(SetBlackout(True))
    for command in commands:
        state, _ = reduce(state, command, now)
    return state


class ShowControl:
    """Persists show changes and runs the auto-follow timer. One per app."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self._timer: asyncio.TimerHandle | None = None
        self.scenes = known_scenes()

    def attach(self) -> None:
        self.app[SHOW].listeners.append(self.on_change)
        self._schedule(self.app[SHOW].state)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def on_change(self, state: ShowState, events: list[Event]) -> None:
        if not any(isinstance(e, ShowLoaded | CueChanged | BlackoutChanged) for e in events):
            return
        show = None if state.show is None else json.dumps(show_to_wire(state.show))
        cue = json.dumps(
            {
                "program": state.program,
                "held": state.held,
                "blackout": state.blackout,
                "target": state.program_target,
            }
        )

        def save(store: Any) -> None:
            store.set_setting(SHOW_SETTING, show or "null")
            store.set_setting(CUE_SETTING, cue)

        task = asyncio.get_running_loop().create_task(self.app[STORE].call(save))
        task.add_done_callback(_log_failure)
        self._schedule(state)

    def _schedule(self, state: ShowState) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        at = follow_at(state)
        if at is None or state.program is None:
            return
        delay = max(0.0, at - time.time())
        self._timer = asyncio.get_running_loop().call_later(delay, self._follow, state.program)

    def _follow(self, index: int) -> None:
        self._timer = None
        state = self.app[SHOW].state
        at = follow_at(state)
        if at is not None and at > time.time() and state.program == index:
            # The record was beaten while the cue held: its celebration ends first.
            self._timer = asyncio.get_running_loop().call_later(at - time.time(), self._follow, index)
            return
        self.app[SHOW].execute(AutoFollow(index))


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("could not save the show state: %s", task.exception())


SHOW_CONTROL = web.AppKey("show_control", ShowControl)


def _execute(request: web.Request, command: Command) -> web.Response:
    show = request.app[SHOW]
    try:
        show.execute(command)
    except CommandRefused as exc:
        raise ApiError(409, exc.code, exc.message) from None
    return web.json_response(show_json(show.state))


async def _body(request: web.Request) -> dict[str, Any]:
    """An optional JSON object body (a Stream Deck button may send none)."""
    if not request.can_read_body:
        return {}
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ValidationError("body", "must be a JSON object")
    return body


async def get_show(request: web.Request) -> web.Response:
    await require(request, "viewer")
    return web.json_response(show_json(request.app[SHOW].state))


async def put_show(request: web.Request) -> web.Response:
    principal = await require(request, "operator")
    show = parse_show(await read_json(request), request.app[SHOW_CONTROL].scenes)
    _check_targets(request, show)
    log.info("show %r (%d cues) loaded by %s", show.id, len(show.cues), principal.name)
    return _execute(request, LoadShow(show))


async def delete_show(request: web.Request) -> web.Response:
    await require(request, "operator")
    return _execute(request, LoadShow(None))


def show_to_toml(show: Show) -> str:
    data = show_to_wire(show)
    for cue in data["cues"]:  # type: ignore[union-attr]
        if cue["hold"] is None:
            del cue["hold"]
        if not cue["params"]:
            del cue["params"]
    return tomli_w.dumps(data)


async def export_show(request: web.Request) -> web.Response:
    await require(request, "viewer")
    show = request.app[SHOW].state.show
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
    show = parse_show(data, request.app[SHOW_CONTROL].scenes)
    _check_targets(request, show)
    return _execute(request, LoadShow(show))


def _check_targets(request: web.Request, show: Show) -> None:
    """Cue targets must name groups and displays that exist (issue 8, ``projector.server.fleet``)."""
    from projector.server.fleet import FLEET

    request.app[FLEET].check_show(show)


def _cue_handler(make: Callable[[dict[str, Any]], Command]) -> Callable[[web.Request], Any]:
    async def handler(request: web.Request) -> web.Response:
        principal = await require(request, "operator")
        body = await _body(request)
        command = _timed(request, make(body), body)
        log.info("%s by %s", type(command).__name__, principal.name)
        return _execute(request, command)

    return handler


def _timed(request: web.Request, command: Command, body: dict[str, Any]) -> Command:
    """GO, back and jump may say when (``at``: server time, or ``in``: seconds from now)
    and for whom (``target``: all, group:<name>, display:<name>)."""
    if not isinstance(command, Go | Back | Jump):
        return command
    from projector.server.fleet import FLEET

    at = parse_cue_time(body, time.time(), request.app[CONFIG].cue_lead)
    target = None if body.get("target") is None else request.app[FLEET].check_target(body["target"])
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
    return web.json_response({"scenes": sorted(request.app[SHOW_CONTROL].scenes - {"fallback"})})


def add_routes(app: web.Application) -> None:
    app[SHOW_CONTROL] = ShowControl(app)
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
