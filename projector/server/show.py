"""The server's live show: the current state and the one way to change it.

Handlers call ``await Show.execute(command)``; it runs the pure ``reduce`` with the
current time, keeps the new state and hands the events to the hub. A change with
facts behind it (a case in its table, a message's status) goes through
``execute_written``: the write, then the commands it names, so nothing is shown that
is not on disk (the action log has its own path: the store's record hook).

On PostgreSQL a ``decider`` (``shared_show.SharedShow``) decides instead, under the
shared event log's lock, so that every node on the database shows the same show; it
hands the events back through ``publish``, also those other nodes decided.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from projector.core.protocol import Snapshot
from projector.core.state import Command, Event, ShowState, reduce
from projector.server.hub import Hub
from projector.store.base import Store
from projector.store.writer import StoreWriter

log = logging.getLogger("projector.server.show")

Listener = Callable[[ShowState, list[Event]], None]
#: Stores a change (on the store's writer thread) and returns the commands that show it, in order.
Write = Callable[[Store], Sequence[Command]]


class Decider(Protocol):
    """Decides commands somewhere other than this process's memory (the shared event log)."""

    leader: bool

    async def decide(self, command: Command, now: float) -> list[Event]: ...

    async def decide_written(self, write: Write, now: float) -> list[Event]:
        """``write`` in the decision's transaction, then its commands: all committed or none."""
        ...


class Show:
    def __init__(self, state: ShowState, hub: Hub, clock: Callable[[], float] = time.time) -> None:
        self.state = state
        self.hub = hub
        self.clock = clock
        #: Called after every change (auto-follow timer, persistence, the panel).
        self.listeners: list[Listener] = []
        #: Set while the show is shared with other nodes (PostgreSQL).
        self.decider: Decider | None = None

    @property
    def runs_timers(self) -> bool:
        """Whether this node runs the auto-follow timer and the schedule (one node of several does)."""
        return self.decider is None or self.decider.leader

    async def execute(self, command: Command, now: float | None = None) -> list[Event]:
        """``now`` defaults to the clock; ingest passes the time its commit stamped
        on the actions, so a record beaten now has the same moment after a restart."""
        when = self.clock() if now is None else now
        if self.decider is not None:
            return await self.decider.decide(command, when)
        state, events = reduce(self.state, command, when)
        self.publish(state, events)
        return events

    async def execute_written(
        self, store: StoreWriter, write: Write, now: float | None = None
    ) -> list[Event]:
        """Store a change and show it as one step: ``write`` runs on the store's writer thread
        and names the commands that show what it stored.

        Alone, the write is committed, then its commands are executed. Shared with other
        nodes, the write runs inside the transaction that decides its commands and appends
        their events, so the other nodes never miss a change this node stored (a message
        taken off the wall here, left on theirs) because it died in between; a command
        refused there takes its write back with it.
        """
        when = self.clock() if now is None else now
        if self.decider is not None:
            return await self.decider.decide_written(write, when)
        commands = await store.call(write)
        events: list[Event] = []
        for command in commands:
            events += await self.execute(command, when)
        return events

    def publish(self, state: ShowState, events: list[Event]) -> None:
        """Make ``state`` the live one and tell the displays and the listeners what happened."""
        self.state = state
        if events:
            self.hub.publish(events)
            for listener in self.listeners:
                try:
                    listener(self.state, events)
                except Exception:
                    log.exception("show listener %r failed", listener)

    def snapshot(self) -> Snapshot:
        return Snapshot(self.state, self.clock())
