"""Schedules and the library of stored shows, and the task that runs the schedule.

| method and path | who |
|---|---|
| ``GET /api/v1/schedules`` | viewer: entries, the default show, the zone, what runs now |
| ``POST /api/v1/schedules``, ``DELETE /api/v1/schedules/{id}`` | operator |
| ``PUT /api/v1/schedules/default`` ``{"show": id or null}`` | operator |
| ``GET /api/v1/shows``, ``GET``/``PUT``/``DELETE /api/v1/shows/{id}`` | viewer / operator |

The scheduler acts on edges only: when an entry starts it fires it (a cue:
jump to it for the entry's target; a show: load it, with the entry's target
as its default, and take its first cue), and when the last running entry ends
it loads the default show (as it does at start-up, or when the default is
set, if nothing is scheduled then). In between, operators run the show by hand and
the scheduler does not fight them. After a restart, entries running at that
moment are fired again unless what they would do is already done.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from aiohttp import web

from projector.core.cues import AnyScene, Show, parse_show, show_to_wire
from projector.core.model import ValidationError
from projector.core.schedule import Entry, active, describe, entry_to_wire, parse_entry
from projector.core.state import Command, CommandRefused, Go, Jump, LoadShow
from projector.server.app_keys import CONFIG, SHOW, SHOW_CONTROL, STORE
from projector.server.fleet import FLEET
from projector.server.web.auth import require
from projector.server.web.errors import ApiError, read_json
from projector.server.web.http import json_response
from projector.store.records import StoreError

log = logging.getLogger("projector.schedule")

DEFAULT_SETTING = "schedule_default_show"
TICK = 1.0


class Scheduler:
    """Fires schedule entries as they start. ``clock`` is injectable (tests use a fake one)."""

    def __init__(self, app: web.Application, clock: Callable[[], float] = time.time) -> None:
        self.app = app
        self.clock = clock
        self.entries: list[Entry] = []
        self.default_show: str | None = None
        self._running: set[int] | None = None  # None: not ticked yet

    async def load(self) -> None:
        def read(store: Any) -> tuple[list[Entry], str | None]:
            return store.list_schedules(), store.get_setting(DEFAULT_SETTING)

        self.entries, default = await self.app[STORE].call(read)
        self.default_show = default or None

    def local(self, now: float) -> datetime:
        return datetime.fromtimestamp(now, self.app[CONFIG].zone)

    def running(self, now: float) -> list[Entry]:
        return active(self.entries, self.local(now))

    async def tick(self, now: float | None = None) -> list[Entry]:
        """Fire what started since the last tick; returns the entries fired."""
        now = self.clock() if now is None else now
        running = self.running(now)
        ids = {e.id for e in running if e.id is not None}
        first = self._running is None
        before = self._running or set()
        fired = [e for e in running if e.id not in before]
        self._running = ids
        for entry in fired:
            await self._fire(entry, restart=first)
        if not running and (first or before) and self.default_show is not None:
            await self._load_show(self.default_show, "all", restart=first, why="default show")
        return fired

    async def _fire(self, entry: Entry, *, restart: bool) -> None:
        log.info("schedule: %s starts", describe(entry))
        if entry.kind == "show":
            await self._load_show(entry.ref, entry.target, restart=restart, why=describe(entry))
            return
        state = self.app[SHOW].state
        index = state.show.index_of(entry.ref) if state.show is not None else None
        if index is None:
            log.warning("schedule: %s: the loaded show has no cue %r", describe(entry), entry.ref)
            return
        if restart and any(t == entry.target and i == index for t, i, _ in state.targeted):
            return
        await self._execute(Jump(entry.ref, target=entry.target), describe(entry))

    async def _load_show(self, show_id: str, target: str, *, restart: bool, why: str) -> None:
        raw = await self.app[STORE].call(lambda s: s.get_show(show_id))
        if raw is None:
            log.warning("schedule: %s: no stored show %r", why, show_id)
            return
        show = parse_show(json.loads(raw), AnyScene())
        if target != "all":
            show = replace(show, target=target)
        current = self.app[SHOW].state.show
        if current is not None and current.id == show.id and (restart or current == show):
            return  # already on: a restart or a second entry does not start it over
        if await self._execute(LoadShow(show), why):
            await self._execute(Go(), why)

    async def _execute(self, command: Command, why: str) -> bool:
        try:
            await self.app[SHOW_CONTROL].execute(command)  # stored, then shown
            return True
        except StoreError as exc:
            log.error("schedule: %s: %s not stored, so not shown: %s", why, type(command).__name__, exc)
            return False
        except CommandRefused as exc:
            log.warning("schedule: %s: %s refused: %s", why, type(command).__name__, exc.message)
            return False


SCHEDULER = web.AppKey("scheduler", Scheduler)


async def _scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
    scheduler = app[SCHEDULER]
    await scheduler.load()

    async def run() -> None:
        while True:
            try:
                await scheduler.tick()
            except Exception:
                log.exception("schedule tick failed")
            await asyncio.sleep(TICK)

    task = asyncio.get_running_loop().create_task(run(), name="scheduler")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


# --- schedules --------------------------------------------------------------------------------


def _schedules_json(app: web.Application) -> dict[str, Any]:
    scheduler = app[SCHEDULER]
    now = scheduler.clock()
    return {
        "entries": [entry_to_wire(e) for e in scheduler.entries],
        "default": scheduler.default_show,
        "timezone": str(app[CONFIG].zone),
        "now": scheduler.local(now).isoformat(timespec="seconds"),
        "running": [e.id for e in scheduler.running(now)],
    }


async def list_schedules(request: web.Request) -> web.Response:
    await require(request, "viewer")
    return json_response(_schedules_json(request.app))


async def add_schedule(request: web.Request) -> web.Response:
    principal = await require(request, "operator")
    app = request.app
    scheduler = app[SCHEDULER]
    body = await read_json(request)
    entry = parse_entry(body, scheduler.local(scheduler.clock()))
    app[FLEET].check_target(entry.target)
    if entry.kind == "show":
        if await app[STORE].call(lambda s: s.get_show(entry.ref)) is None:
            raise ValidationError(
                "what", f"no stored show {entry.ref!r} (store it with PUT /api/v1/shows/{{id}})"
            )
    else:
        show = app[SHOW].state.show
        if show is None or show.index_of(entry.ref) is None:
            raise ValidationError("what", f"the loaded show has no cue {entry.ref!r}")
    stored = await app[STORE].call(lambda s: s.add_schedule(entry, scheduler.local(scheduler.clock())))
    scheduler.entries.append(stored)
    log.info("schedule: %s added by %s", describe(stored), principal.name)
    return json_response(entry_to_wire(stored), status=201)


async def delete_schedule(request: web.Request) -> web.Response:
    await require(request, "operator")
    try:
        entry_id = int(request.match_info["id"])
    except ValueError:
        raise ApiError(404, "not_found", "no such schedule entry") from None
    if not await request.app[STORE].call(lambda s: s.delete_schedule(entry_id)):
        raise ApiError(404, "not_found", f"no schedule entry #{entry_id}")
    scheduler = request.app[SCHEDULER]
    scheduler.entries = [e for e in scheduler.entries if e.id != entry_id]
    return json_response({"deleted": entry_id})


async def put_default(request: web.Request) -> web.Response:
    await require(request, "operator")
    body = await read_json(request)
    if not isinstance(body, dict) or set(body) - {"show"}:
        raise ValidationError("show", 'send {"show": <stored show id>} or {"show": null}')
    show_id = body.get("show")
    if show_id is not None and (
        not isinstance(show_id, str) or await request.app[STORE].call(lambda s: s.get_show(show_id)) is None
    ):
        raise ValidationError("show", f"no stored show {show_id!r}")

    await request.app[STORE].call(lambda s: s.set_setting(DEFAULT_SETTING, show_id or ""))
    scheduler = request.app[SCHEDULER]
    scheduler.default_show = show_id
    if show_id is not None and not scheduler.running(scheduler.clock()):
        # Nothing is scheduled now, so the default is what should be on: put it on.
        await scheduler._load_show(show_id, "all", restart=True, why="new default show")
    return json_response(_schedules_json(request.app))


# --- the show library -----------------------------------------------------------------------


async def list_shows(request: web.Request) -> web.Response:
    await require(request, "viewer")
    rows = await request.app[STORE].call(lambda s: s.list_shows())
    return json_response({"shows": [{"id": i, "name": n, "updated_at": u} for i, n, u in rows]})


async def get_stored_show(request: web.Request) -> web.Response:
    await require(request, "viewer")
    show_id = request.match_info["id"]
    raw = await request.app[STORE].call(lambda s: s.get_show(show_id))
    if raw is None:
        raise ApiError(404, "not_found", f"no stored show {show_id!r}")
    return json_response(json.loads(raw))


async def put_stored_show(request: web.Request) -> web.Response:
    await require(request, "operator")

    show_id = request.match_info["id"]
    body = await read_json(request)
    if isinstance(body, dict):
        if body.get("id", show_id) != show_id:
            raise ValidationError("id", "does not match the show id in the URL")
        body = {**body, "id": show_id}
    show: Show = parse_show(body, request.app[SHOW_CONTROL].scenes)
    request.app[FLEET].check_show(show)
    text = json.dumps(show_to_wire(show), ensure_ascii=False)
    await request.app[STORE].call(lambda s: s.put_show(show.id, show.name, text, time.time()))
    return json_response(show_to_wire(show))


async def delete_stored_show(request: web.Request) -> web.Response:
    await require(request, "operator")
    show_id = request.match_info["id"]
    scheduler = request.app[SCHEDULER]
    users = [e for e in scheduler.entries if e.what == f"show:{show_id}"]
    if users or scheduler.default_show == show_id:
        what = describe(users[0]) if users else "the default show"
        raise ApiError(409, "in_use", f"show {show_id!r} is scheduled ({what}); remove that first")
    if not await request.app[STORE].call(lambda s: s.delete_show(show_id)):
        raise ApiError(404, "not_found", f"no stored show {show_id!r}")
    return json_response({"deleted": show_id})


def add_routes(app: web.Application) -> None:
    app[SCHEDULER] = Scheduler(app)
    app.cleanup_ctx.append(_scheduler_ctx)
    r = app.router
    r.add_get("/api/v1/schedules", list_schedules)
    r.add_post("/api/v1/schedules", add_schedule)
    r.add_put("/api/v1/schedules/default", put_default)
    r.add_delete("/api/v1/schedules/{id}", delete_schedule)
    r.add_get("/api/v1/shows", list_shows)
    r.add_get("/api/v1/shows/{id}", get_stored_show)
    r.add_put("/api/v1/shows/{id}", put_stored_show)
    r.add_delete("/api/v1/shows/{id}", delete_stored_show)
