"""A display's copy of the show state, fed by snapshot and event frames.

The replica applies events with the same ``apply`` the server used, and tells
its owner when it has fallen out of step so that it can ask for a snapshot.
"""

from __future__ import annotations

import enum

from projector.core.protocol import EventFrame, Snapshot
from projector.core.state import CueChanged, ShowState, apply


class Outcome(enum.Enum):
    APPLIED = "applied"
    #: Already seen (a rev at or below ours): harmless, ignored.
    STALE = "stale"
    #: Events are missing between ours and this one: ask for a snapshot.
    GAP = "gap"
    #: No snapshot yet: nothing to apply an event to.
    NO_SNAPSHOT = "no_snapshot"


class Replica:
    def __init__(self) -> None:
        self.state: ShowState | None = None
        #: Server clock minus ours, from the last snapshot (a rough first guess).
        self.server_offset: float = 0.0

    @property
    def synced(self) -> bool:
        return self.state is not None

    def load(self, snapshot: Snapshot, local_now: float) -> None:
        self.state = snapshot.state
        self.server_offset = snapshot.server_time - local_now

    def receive(self, frame: EventFrame) -> Outcome:
        if self.state is None:
            return Outcome.NO_SNAPSHOT
        rev = frame.event.rev
        if rev <= self.state.rev:
            return Outcome.STALE
        # A merged totals frame covers first_rev..rev; anything before first_rev
        # that we have not seen is a real gap.
        if frame.first_rev > self.state.rev + 1:
            return Outcome.GAP
        event = frame.event
        if isinstance(event, CueChanged):
            cues = len(self.state.show.cues) if self.state.show is not None else 0
            if any(i is not None and i >= cues for i in (event.program, event.preview)):
                # It names a cue of a show we do not have: we missed something.
                return Outcome.GAP
        self.state = apply(self.state, frame.event)
        return Outcome.APPLIED
