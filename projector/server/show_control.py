"""Show control: persist a cue change, then make it; run the auto-follow timer.

The rule from ``projector.server.show``: nothing is shown that is not on disk. A GO
from the panel, an OSC button, a schedule or the auto-follow timer is first decided
by the pure ``reduce`` (which refuses a bad command before anything is written), the
cue state it leads to is saved, and only then is the command executed and broadcast.
A crash between the two leaves the stored cue one step ahead of the screens, which a
restart puts right; the old order (broadcast, then save in the background) could
lose a cue every screen had already shown.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from importlib.metadata import entry_points

from projector.core.cues import BUILTIN_SCENES, AnyScene, Cue, parse_show, show_to_wire
from projector.core.model import ValidationError
from projector.core.moments import follow_at
from projector.core.state import (
    AutoFollow,
    BlackoutChanged,
    Command,
    CommandRefused,
    CueChanged,
    Event,
    Hold,
    Jump,
    LoadShow,
    SetBlackout,
    ShowLoaded,
    ShowState,
    reduce,
)
from projector.server.show import Show
from projector.store.base import Store
from projector.store.writer import StoreWriter

log = logging.getLogger("projector.show_control")

SHOW_SETTING = "show"
CUE_SETTING = "cue_state"
#: How often a node that does not run the timers checks whether it does now.
LEASE_RETRY_S = 1.0


def known_scenes() -> frozenset[str]:
    """Built-in scenes plus those third-party packages register (names only: no pygame here)."""
    try:
        extra = {ep.name for ep in entry_points(group="projector.scenes")}
    except Exception:  # a broken distribution must not stop the server
        log.exception("could not list scene entry points")
        extra = set()
    return BUILTIN_SCENES | extra


def restore(store: Store, state: ShowState, now: float) -> ShowState:
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


def changes_the_cue(events: list[Event]) -> bool:
    return any(isinstance(e, ShowLoaded | CueChanged | BlackoutChanged) for e in events)


def saved_form(state: ShowState) -> tuple[str, str]:
    """The two settings that put a restarted server back where this state is."""
    show = "null" if state.show is None else json.dumps(show_to_wire(state.show))
    cue = json.dumps(
        {
            "program": state.program,
            "held": state.held,
            "blackout": state.blackout,
            "target": state.program_target,
        }
    )
    return show, cue


class ShowControl:
    """The one way to change the cue: persisted first. One per server."""

    def __init__(self, show: Show, store: StoreWriter, clock: Callable[[], float] = time.time) -> None:
        self.show = show
        self.store = store
        self.clock = clock
        self.scenes = known_scenes()
        #: How long a video or slides cue plays (``hold = "end"``); the media service sets it.
        self.cue_length: Callable[[Cue], float | None] = lambda cue: None
        self._timer: asyncio.TimerHandle | None = None
        #: Two operators pressing GO at once are decided one after the other, each on
        #: the state the other left, never both on the same one.
        self._lock = asyncio.Lock()
        self._saved: tuple[str, str] | None = None
        self._pending: set[asyncio.Task[None]] = set()

    def reschedule(self) -> None:
        """Set the auto-follow timer again: a cue's length became known (``cue_length``)."""
        self._schedule(self.show.state)

    def attach(self) -> None:
        self._saved = saved_form(self.show.state)
        self.show.listeners.append(self._on_change)
        self._schedule(self.show.state)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for task in self._pending:
            task.cancel()

    async def execute(self, command: Command) -> list[Event]:
        """Decide ``command``, store the cue it leads to, then execute it.

        Raises ``CommandRefused`` (nothing stored, nothing changed) or the store's
        error (nothing changed: the caller answers 503 and the operator retries).
        """
        async with self._lock:
            now = self.clock()
            if self.show.decider is not None:
                # Shared with other nodes: decided, its cue stored and shown in one transaction
                # under the event log's lock (``shared_show.py``).
                return await self.show.execute(command, now)
            decided, events = reduce(self.show.state, command, now)
            if changes_the_cue(events):
                await self._save(saved_form(decided))
            return await self.show.execute(command, now)

    def submit(self, command: Command) -> None:
        """For callers that cannot wait (an OSC datagram, a timer): refuse now, or run
        :meth:`execute` in the background. ``CommandRefused`` is raised here, at once."""
        reduce(self.show.state, command, self.clock())
        task = asyncio.get_running_loop().create_task(self._execute_logged(command))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _execute_logged(self, command: Command) -> None:
        try:
            await self.execute(command)
        except CommandRefused as exc:  # the state moved on since submit() checked it
            log.warning("%s refused: %s", type(command).__name__, exc.message)
        except Exception:
            log.exception("%s was not stored, so it was not shown", type(command).__name__)

    async def _save(self, saved: tuple[str, str]) -> None:
        if saved == self._saved:
            return
        show, cue = saved

        def save(store: Store) -> None:
            store.set_setting(SHOW_SETTING, show)
            store.set_setting(CUE_SETTING, cue)

        await self.store.call(save)
        self._saved = saved

    def _on_change(self, state: ShowState, events: list[Event]) -> None:
        if not changes_the_cue(events):
            return
        self._schedule(state)
        if self.show.decider is not None:
            self._saved = saved_form(state)  # stored by whichever node decided it
            return
        if saved_form(state) != self._saved:
            # A cue change that did not come through execute() (none should): keep the
            # store in step all the same, in the background.
            log.warning("a cue change bypassed show control; saving it after the fact")
            task = asyncio.get_running_loop().create_task(self._save(saved_form(state)))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    def _schedule(self, state: ShowState) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        at = follow_at(state, self.cue_length)
        if at is None or state.program is None:
            return
        delay = max(0.0, at - self.clock())
        self._timer = asyncio.get_running_loop().call_later(delay, self._follow, state.program)

    def _follow(self, index: int) -> None:
        self._timer = None
        if not self.show.runs_timers:
            # Another node runs the timers; look again shortly, in case it dies meanwhile.
            self._timer = asyncio.get_running_loop().call_later(LEASE_RETRY_S, self._follow, index)
            return
        state = self.show.state
        at = follow_at(state, self.cue_length)
        if at is not None and at > self.clock() and state.program == index:
            # The record was beaten while the cue held: its celebration ends first.
            self._timer = asyncio.get_running_loop().call_later(at - self.clock(), self._follow, index)
            return
        try:
            self.submit(AutoFollow(index))
        except CommandRefused as exc:
            log.info("auto-follow from cue %d refused: %s", index, exc.message)
