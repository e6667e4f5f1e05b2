"""Schedules over HTTP and the scheduler on a fake clock: shows at dusk, a cue for the lobby in
opening hours, the default show when nothing runs; overlaps, past entries and unknown names refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from projector.core.state import ShowState
from projector.server.config import Config
from projector.server.services import SERVICES
from tests.conftest import RunningServer, recv_json, start_server

IST = ZoneInfo("Europe/Istanbul")
WEDNESDAY = datetime(2026, 11, 25, 12, 0, tzinfo=IST)

NIGHT = {
    "id": "night",
    "name": "Facade night",
    "cues": [
        {"id": "open", "scene": "totals", "transition": "cut"},
        {"id": "ayse", "scene": "portrait", "transition": "cut"},
    ],
}
DAY = {
    "id": "day",
    "name": "Daytime",
    "cues": [{"id": "count", "scene": "totals", "transition": "cut"}, {"id": "wall", "scene": "messages"}],
}


class FakeClock:
    def __init__(self, when: datetime) -> None:
        self.now = when.timestamp()

    def set(self, hh: int, mm: int, day: int = 25) -> float:
        self.now = datetime(2026, 11, day, hh, mm, tzinfo=IST).timestamp()
        return self.now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def zoned(config: Config) -> AsyncIterator[tuple[RunningServer, FakeClock]]:
    running = await start_server(replace(config, timezone="Europe/Istanbul"))
    clock = FakeClock(WEDNESDAY)
    running.app[SERVICES].scheduler.clock = clock
    try:
        yield running, clock
    finally:
        await running.session.close()
        await running.runner.cleanup()


async def delete(live: RunningServer, path: str) -> tuple[int, object]:
    headers = {"Authorization": f"Bearer {live.tokens['operator']}"}
    async with live.session.delete(live.base + path, headers=headers) as r:
        return r.status, await r.json()


async def setup_fleet(live: RunningServer) -> None:
    for group in ("facade", "lobby"):
        assert (await live.put_json(f"/api/v1/groups/{group}", None))[0] == 200
    for show in (NIGHT, DAY):
        status, body = await live.put_json(f"/api/v1/shows/{show['id']}", show)
        assert status == 200, body


async def test_stored_shows_can_be_listed_read_and_deleted(zoned: tuple[RunningServer, FakeClock]) -> None:
    live, _ = zoned
    await setup_fleet(live)
    status, body = await live.get("/api/v1/shows", token="operator")
    assert [(s["id"], s["name"]) for s in body["shows"]] == [("day", "Daytime"), ("night", "Facade night")]
    status, body = await live.get("/api/v1/shows/night", token="operator")
    assert body["cues"][1]["id"] == "ayse"
    status, body = await live.put_json("/api/v1/shows/night", {**NIGHT, "id": "other"})
    assert status == 422 and body["error"]["field"] == "id"
    status, body = await live.put_json("/api/v1/shows/x", {"id": "x", "cues": [{"id": "a", "scene": "nope"}]})
    assert status == 422 and body["error"]["field"] == "cues[0].scene"
    status, body = await live.put_json(
        "/api/v1/shows/x", {"cues": [{"id": "a", "scene": "totals", "target": "group:y"}]}
    )
    assert status == 422 and body["error"]["field"] == "cues[0].target"
    assert (await delete(live, "/api/v1/shows/day"))[0] == 200
    assert (await delete(live, "/api/v1/shows/day"))[0] == 404


async def test_bad_entries_are_refused_with_clear_messages(zoned: tuple[RunningServer, FakeClock]) -> None:
    live, _ = zoned
    await setup_fleet(live)
    dusk = {
        "target": "group:facade",
        "what": "show:night",
        "days": ["wed", "thu"],
        "start": "18:00",
        "end": "02:00",
    }
    status, body = await live.post("/api/v1/schedules", dusk, token="operator")
    assert status == 201, body
    first = body["id"]
    cases: list[tuple[dict[str, object], str, str]] = [
        ({**dusk, "days": ["thu"], "start": "01:00", "end": "03:00"}, "start", f"overlaps #{first}"),
        ({**dusk, "days": None}, "days", "give 'days'"),
        ({**dusk, "what": "show:ghost"}, "what", "no stored show 'ghost'"),
        ({**dusk, "target": "group:istanbul"}, "target", "unknown group 'istanbul'"),
        ({**dusk, "target": "display:tv"}, "target", "unknown display 'tv'"),
        (
            {"target": "all", "what": "cue:open", "days": ["mon"], "start": "10:00", "end": "11:00"},
            "what",
            "no cue",
        ),
        (
            {"target": "all", "what": "show:night", "date": "2026-11-24", "start": "18:00", "end": "19:00"},
            "date",
            "in the past",
        ),
        ({**dusk, "start": "7pm"}, "start", "HH:MM"),
    ]
    for entry, field, words in cases:
        entry = {k: v for k, v in entry.items() if v is not None}
        status, body = await live.post("/api/v1/schedules", entry, token="operator")
        assert status == 422, (entry, body)
        assert body["error"]["field"] == field and words in body["error"]["message"], body
    status, body = await live.post("/api/v1/schedules", dusk, token="display")
    assert status == 403
    status, body = await delete(live, "/api/v1/shows/night")
    assert status == 409 and body["error"]["code"] == "in_use"  # type: ignore[index]
    assert (await delete(live, f"/api/v1/schedules/{first}"))[0] == 200
    assert (await delete(live, f"/api/v1/schedules/{first}"))[0] == 404
    assert (await delete(live, "/api/v1/schedules/nope"))[0] == 404


async def test_the_scheduler_runs_the_night_and_the_lobby_and_falls_back_to_the_default(
    zoned: tuple[RunningServer, FakeClock],
) -> None:
    live, clock = zoned
    await setup_fleet(live)
    scheduler = live.app[SERVICES].scheduler

    def state() -> ShowState:
        return live.app[SERVICES].show.state

    status, body = await live.put_json("/api/v1/schedules/default", {"show": "day"})
    assert status == 200 and body["default"] == "day"
    status, body = await live.put_json("/api/v1/schedules/default", {"show": "ghost"})
    assert status == 422 and body["error"]["field"] == "show"
    # The day show is the default: nothing is scheduled now, so it goes on at once.
    await scheduler.tick(clock.set(12, 0))
    show = state().show
    assert show is not None and show.id == "day" and state().program == 0
    lobby = {"target": "group:lobby", "what": "cue:wall", "days": "daily", "start": "14:00", "end": "17:00"}
    assert (await live.post("/api/v1/schedules", lobby, token="operator"))[0] == 201
    dusk = {"target": "group:facade", "what": "show:night", "days": ["wed"], "start": "18:00", "end": "02:00"}
    assert (await live.post("/api/v1/schedules", dusk, token="operator"))[0] == 201
    status, body = await live.get("/api/v1/schedules", token="operator")
    assert (body["timezone"], body["default"], len(body["entries"])) == ("Europe/Istanbul", "day", 2)
    assert body["now"] == "2026-11-25T12:00:00+03:00" and body["running"] == []

    fired = await scheduler.tick(clock.set(14, 0))
    assert [e.what for e in fired] == ["cue:wall"]
    assert (state().program, state().program_target) == (1, "group:lobby")
    assert await scheduler.tick(clock.set(14, 30)) == []  # no edge, nothing fired
    # At 17:00 the lobby's entry ends and nothing runs: the default show is already on.
    await scheduler.tick(clock.set(17, 0))
    show = state().show
    assert show is not None and show.id == "day"
    # At dusk the night show loads for the facade and goes to its first cue.
    await scheduler.tick(clock.set(18, 0))
    s = state()
    assert s.show is not None and s.show.id == "night" and s.show.target == "group:facade"
    assert (s.program, s.program_target) == (0, "group:facade")
    # An operator takes over; the scheduler does not fight them while the entry runs.
    await live.post("/api/v1/cue/go", {}, token="operator")
    await scheduler.tick(clock.set(23, 0))
    assert state().program == 1
    # Past 02:00 on Thursday nothing runs: back to the default show.
    await scheduler.tick(clock.set(2, 0, day=26))
    show = state().show
    assert show is not None and show.id == "day"


async def test_a_display_follows_a_scheduled_show(zoned: tuple[RunningServer, FakeClock]) -> None:
    live, clock = zoned
    await setup_fleet(live)
    ws = await live.display("tv")
    await recv_json(ws)
    entry = {"target": "all", "what": "show:night", "date": "2026-11-25", "start": "20:00", "end": "21:00"}
    status, body = await live.post("/api/v1/schedules", entry, token="operator")
    assert status == 201, body
    await live.app[SERVICES].scheduler.tick(clock.set(20, 0))
    kinds: list[tuple[str, object]] = []
    while len(kinds) < 3:
        frame = await recv_json(ws)
        kinds.append((frame["type"], frame.get("program")))
    assert kinds == [("show", None), ("cue", None), ("cue", 0)]
    await ws.close()
