"""The server's live show: the current state and the one way to change it.

Handlers call ``Show.execute(command)``; it runs the pure ``reduce`` with the
current time, keeps the new state and hands the events to the hub. Persisting
the facts behind a command (an action in the log, a case in the table) is the
caller's job *before* it executes the command, so nothing is shown that is not
on disk.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from projector.core.protocol import Snapshot
from projector.core.state import Command, Event, ShowState, reduce
from projector.server.hub import Hub

log = logging.getLogger("projector.server.show")

Listener = Callable[[ShowState, list[Event]], None]


class Show:
    def __init__(self, state: ShowState, hub: Hub, clock: Callable[[], float] = time.time) -> None:
        self.state = state
        self.hub = hub
        self.clock = clock
        #: Called after every change (auto-follow timer, persistence, the panel).
        self.listeners: list[Listener] = []

    def execute(self, command: Command, now: float | None = None) -> list[Event]:
        """``now`` defaults to the clock; ingest passes the time its commit stamped
        on the actions, so a record beaten now has the same moment after a restart."""
        self.state, events = reduce(self.state, command, self.clock() if now is None else now)
        if events:
            self.hub.publish(events)
            for listener in self.listeners:
                try:
                    listener(self.state, events)
                except Exception:
                    log.exception("show listener %r failed", listener)
        return events

    def snapshot(self) -> Snapshot:
        return Snapshot(self.state, self.clock())
