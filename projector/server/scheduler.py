"""The task that runs the schedule: it fires entries as they start and loads the default show.

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
import json
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, tzinfo
from typing import Any

from projector.core.cues import AnyScene, parse_show
from projector.core.schedule import Entry, active, describe
from projector.core.state import Command, CommandRefused, Go, Jump, LoadShow
from projector.server import tasks
from projector.server.show import Show
from projector.server.show_control import ShowControl
from projector.store.records import StoreError
from projector.store.writer import StoreWriter

log = logging.getLogger("projector.schedule")

DEFAULT_SETTING = "schedule_default_show"
TICK = 1.0


class Scheduler:
    """Fires schedule entries as they start. ``clock`` is injectable (tests use a fake one)."""

    def __init__(
        self,
        store: StoreWriter,
        show: Show,
        control: ShowControl,
        zone: tzinfo,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.show = show
        self.control = control
        self.zone = zone
        self.clock = clock
        self._task: asyncio.Task[None] | None = None
        self.entries: list[Entry] = []
        self.default_show: str | None = None
        self._running: set[int] | None = None  # None: not ticked yet

    async def start(self) -> None:
        """Read the schedule, then tick every ``TICK`` seconds until closed."""
        await self.load()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="scheduler")

    async def close(self) -> None:
        await tasks.stop(self._task)

    async def _run(self) -> None:
        while True:
            try:
                if not self.show.runs_timers:
                    # Another node runs the schedule. Should this one take over, it starts
                    # as after a restart: what is running now is fired unless already done.
                    self._running = None
                else:
                    if self.show.decider is not None:
                        await self.load()  # the schedule may have been edited through another node
                    await self.tick()
            except StoreError as exc:  # the database is away or restarting: the next tick tries again
                log.warning("schedule tick skipped: %s", exc)
            except Exception:
                log.exception("schedule tick failed")
            await asyncio.sleep(TICK)

    async def load(self) -> None:
        def read(store: Any) -> tuple[list[Entry], str | None]:
            return store.list_schedules(), store.get_setting(DEFAULT_SETTING)

        self.entries, default = await self.store.call(read)
        self.default_show = default or None

    def local(self, now: float) -> datetime:
        return datetime.fromtimestamp(now, self.zone)

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
        state = self.show.state
        index = state.show.index_of(entry.ref) if state.show is not None else None
        if index is None:
            log.warning("schedule: %s: the loaded show has no cue %r", describe(entry), entry.ref)
            return
        if restart and any(t == entry.target and i == index for t, i, _ in state.targeted):
            return
        await self._execute(Jump(entry.ref, target=entry.target), describe(entry))

    async def _load_show(self, show_id: str, target: str, *, restart: bool, why: str) -> None:
        raw = await self.store.call(lambda s: s.get_show(show_id))
        if raw is None:
            log.warning("schedule: %s: no stored show %r", why, show_id)
            return
        show = parse_show(json.loads(raw), AnyScene())
        if target != "all":
            show = replace(show, target=target)
        current = self.show.state.show
        if current is not None and current.id == show.id and (restart or current == show):
            return  # already on: a restart or a second entry does not start it over
        if await self._execute(LoadShow(show), why):
            await self._execute(Go(), why)

    async def _execute(self, command: Command, why: str) -> bool:
        try:
            await self.control.execute(command)  # stored, then shown
            return True
        except StoreError as exc:
            log.error("schedule: %s: %s not stored, so not shown: %s", why, type(command).__name__, exc)
            return False
        except CommandRefused as exc:
            log.warning("schedule: %s: %s refused: %s", why, type(command).__name__, exc.message)
            return False
