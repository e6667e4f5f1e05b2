"""Frame pacing locked to the server's clock, so the displays of a group present in step.

A video wall keeps its screens in phase with genlock. Displays here have no
shared sync signal, but they do share an estimate of the server's clock
(``projector.core.clock``): each display starts its frames on the same grid
of server time (multiples of 1/fps). Two displays at the same frame rate
then start frame *n* at the same moment, give or take their clock error, and
a cue scheduled for a server time lands on the same frame everywhere.

``slot`` is the nominal server time of the frame being made; deciding "is it
time yet?" against the slot, not against a clock read a little late after a
busy sleep, keeps that decision the same on every display.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class FramePacer:
    def __init__(
        self,
        fps: float,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / fps
        self.clock = clock
        self.sleep = sleep
        #: Server time of the current frame's slot.
        self.slot = 0.0
        self._last = 0.0
        self._offset = 0.0
        #: Slots skipped because a frame ran over (what a screen shows as a stutter).
        self.dropped = 0

    def wait(self, offset: float) -> float:
        """Sleep until the next slot of server time (our clock + ``offset``); returns dt."""
        now = self.clock() + offset
        index = math.floor(now / self.interval) + 1
        skipped = index - round(self._last / self.interval) - 1
        if self._last and skipped > 0 and abs(offset - self._offset) < self.interval:
            self.dropped += skipped  # (a new clock estimate moves the grid: not a drop)
        self._offset = offset
        target = index * self.interval
        # Sleep, never spin: displays in one process (tests) share the GIL, and a
        # spinning thread would hold it. Linux wakes a sleeper within ~0.1 ms.
        remaining = target - now
        while remaining > 0:
            self.sleep(remaining)
            remaining = target - (self.clock() + offset)
        dt = self.interval if not self._last else max(self.interval, target - self._last)
        self._last = self.slot = target
        return dt
