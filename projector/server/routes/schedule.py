"""Schedules and the library of stored shows over HTTP.

| method and path | who |
|---|---|
| ``GET /api/v1/schedules`` | viewer: entries, the default show, the zone, what runs now |
| ``POST /api/v1/schedules``, ``DELETE /api/v1/schedules/{id}`` | operator |
| ``PUT /api/v1/schedules/default`` ``{"show": id or null}`` | operator |
| ``GET /api/v1/shows``, ``GET``/``PUT``/``DELETE /api/v1/shows/{id}`` | viewer / operator |

How entries fire (on edges only, with a default show) is the scheduler's, in
``projector/server/scheduler.py``.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from aiohttp import web

from projector.core.cues import Show, parse_show, show_to_wire
from projector.core.model import ValidationError
from projector.core.schedule import describe, entry_to_wire, parse_entry
from projector.server.routes.media import check_cue_media
from projector.server.scheduler import DEFAULT_SETTING
from projector.server.services import SERVICES
from projector.server.web.auth import require
from projector.server.web.errors import ApiError, read_json
from projector.server.web.http import json_response

log = logging.getLogger("projector.schedule")

# --- schedules --------------------------------------------------------------------------------


def _schedules_json(app: web.Application) -> dict[str, Any]:
    scheduler = app[SERVICES].scheduler
    now = scheduler.clock()
    return {
        "entries": [entry_to_wire(e) for e in scheduler.entries],
        "default": scheduler.default_show,
        "timezone": str(app[SERVICES].config.zone),
        "now": scheduler.local(now).isoformat(timespec="seconds"),
        "running": [e.id for e in scheduler.running(now)],
    }


async def list_schedules(request: web.Request) -> web.Response:
    await require(request, "viewer")
    return json_response(_schedules_json(request.app))


async def add_schedule(request: web.Request) -> web.Response:
    principal = await require(request, "operator")
    app = request.app
    scheduler = app[SERVICES].scheduler
    body = await read_json(request)
    entry = parse_entry(body, scheduler.local(scheduler.clock()))
    app[SERVICES].fleet.check_target(entry.target)
    if entry.kind == "show":
        if await app[SERVICES].store.call(lambda s: s.get_show(entry.ref)) is None:
            raise ValidationError(
                "what", f"no stored show {entry.ref!r} (store it with PUT /api/v1/shows/{{id}})"
            )
    else:
        show = app[SERVICES].show.state.show
        if show is None or show.index_of(entry.ref) is None:
            raise ValidationError("what", f"the loaded show has no cue {entry.ref!r}")
    stored = await app[SERVICES].store.call(
        lambda s: s.add_schedule(entry, scheduler.local(scheduler.clock()))
    )
    scheduler.entries.append(stored)
    log.info("schedule: %s added by %s", describe(stored), principal.name)
    return json_response(entry_to_wire(stored), status=201)


async def delete_schedule(request: web.Request) -> web.Response:
    await require(request, "operator")
    try:
        entry_id = int(request.match_info["id"])
    except ValueError:
        raise ApiError(404, "not_found", "no such schedule entry") from None
    if not await request.app[SERVICES].store.call(lambda s: s.delete_schedule(entry_id)):
        raise ApiError(404, "not_found", f"no schedule entry #{entry_id}")
    scheduler = request.app[SERVICES].scheduler
    scheduler.entries = [e for e in scheduler.entries if e.id != entry_id]
    return json_response({"deleted": entry_id})


async def put_default(request: web.Request) -> web.Response:
    await require(request, "operator")
    body = await read_json(request)
    if not isinstance(body, dict) or set(body) - {"show"}:
        raise ValidationError("show", 'send {"show": <stored show id>} or {"show": null}')
    show_id = body.get("show")
    if show_id is not None and (
        not isinstance(show_id, str)
        or await request.app[SERVICES].store.call(lambda s: s.get_show(show_id)) is None
    ):
        raise ValidationError("show", f"no stored show {show_id!r}")

    await request.app[SERVICES].store.call(lambda s: s.set_setting(DEFAULT_SETTING, show_id or ""))
    scheduler = request.app[SERVICES].scheduler
    scheduler.default_show = show_id
    if show_id is not None and not scheduler.running(scheduler.clock()):
        # Nothing is scheduled now, so the default is what should be on: put it on.
        await scheduler._load_show(show_id, "all", restart=True, why="new default show")
    return json_response(_schedules_json(request.app))


# --- the show library -----------------------------------------------------------------------


async def list_shows(request: web.Request) -> web.Response:
    await require(request, "viewer")
    rows = await request.app[SERVICES].store.call(lambda s: s.list_shows())
    return json_response({"shows": [{"id": i, "name": n, "updated_at": u} for i, n, u in rows]})


async def get_stored_show(request: web.Request) -> web.Response:
    await require(request, "viewer")
    show_id = request.match_info["id"]
    raw = await request.app[SERVICES].store.call(lambda s: s.get_show(show_id))
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
    show: Show = parse_show(body, request.app[SERVICES].show_control.scenes)
    request.app[SERVICES].fleet.check_show(show)
    await check_cue_media(request, show)
    text = json.dumps(show_to_wire(show), ensure_ascii=False)
    await request.app[SERVICES].store.call(lambda s: s.put_show(show.id, show.name, text, time.time()))
    return json_response(show_to_wire(show))


async def delete_stored_show(request: web.Request) -> web.Response:
    await require(request, "operator")
    show_id = request.match_info["id"]
    scheduler = request.app[SERVICES].scheduler
    users = [e for e in scheduler.entries if e.what == f"show:{show_id}"]
    if users or scheduler.default_show == show_id:
        what = describe(users[0]) if users else "the default show"
        raise ApiError(409, "in_use", f"show {show_id!r} is scheduled ({what}); remove that first")
    if not await request.app[SERVICES].store.call(lambda s: s.delete_show(show_id)):
        raise ApiError(404, "not_found", f"no stored show {show_id!r}")
    return json_response({"deleted": show_id})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/v1/schedules", list_schedules)
    r.add_post("/api/v1/schedules", add_schedule)
    r.add_put("/api/v1/schedules/default", put_default)
    r.add_delete("/api/v1/schedules/{id}", delete_schedule)
    r.add_get("/api/v1/shows", list_shows)
    r.add_get("/api/v1/shows/{id}", get_stored_show)
    r.add_put("/api/v1/shows/{id}", put_stored_show)
    r.add_delete("/api/v1/shows/{id}", delete_stored_show)
