"""How far a display's clock is from the server's: NTP's arithmetic over the display websocket.

A display sends ``ping`` with its clock (t0); the server answers ``pong`` with
the time it received the ping (t1) and the time it answered (t2); the display
notes when the pong arrived (t3). Then, as in NTP (RFC 5905, section 8):

    offset = ((t1 - t0) + (t2 - t3)) / 2      server clock minus ours
    rtt    = (t3 - t0) - (t2 - t1)            the time on the wire, both ways

The error of one sample is at most half its RTT, so the estimate comes from
the samples with the lowest RTT (NTP's clock filter). Samples that cannot be
right (negative or absurd RTT, NaN, a pong for a ping never sent) are dropped,
and so are those far above the median RTT (a GC pause, a busy link).

Pure: the caller passes every time in; nothing here reads a clock.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

#: Samples kept (the newest).
WINDOW = 8
#: A round trip longer than this says nothing useful about the clock.
MAX_RTT = 1.0
#: A sample whose RTT exceeds the median by this factor (plus a small floor) is an outlier.
OUTLIER_FACTOR = 2.0
OUTLIER_FLOOR = 0.005
#: Samples within this factor of the lowest RTT (plus a floor) are averaged.
BEST_FACTOR = 1.5
BEST_FLOOR = 0.001
#: Clocks further apart than this are broken, not skewed (a year).
MAX_OFFSET = 366 * 24 * 3600.0


class BadSample(ValueError):
    """A clock sample that cannot be right; ``reason`` says why (for the log)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Sample:
    """One ping/pong exchange: offset (server minus ours) and round trip, in seconds."""

    offset: float
    rtt: float


def sample(t0: float, t1: float, t2: float, t3: float, max_rtt: float = MAX_RTT) -> Sample:
    """A checked sample from the four times of one exchange, or ``BadSample``."""
    if not all(math.isfinite(t) for t in (t0, t1, t2, t3)):
        raise BadSample("a time is not a finite number")
    if t3 < t0:
        raise BadSample("the pong arrived before the ping was sent")
    if t2 < t1:
        raise BadSample("the server answered before it received the ping")
    rtt = (t3 - t0) - (t2 - t1)
    if rtt < 0:
        raise BadSample(f"negative round trip ({rtt * 1000:.1f} ms)")
    if rtt > max_rtt:
        raise BadSample(f"round trip {rtt * 1000:.0f} ms is over {max_rtt * 1000:.0f} ms")
    offset = ((t1 - t0) + (t2 - t3)) / 2
    if abs(offset) > MAX_OFFSET:
        raise BadSample(f"clocks {offset:.0f} s apart")
    return Sample(offset, rtt)


@dataclass(frozen=True, slots=True)
class Estimate:
    """The current estimate: offset and the RTT of the samples it rests on (seconds)."""

    offset: float
    rtt: float
    #: Samples in the window that the estimate could use.
    samples: int


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def estimate(samples: list[Sample]) -> Estimate | None:
    """The offset from the lowest-RTT samples, outliers dropped; None with no samples."""
    if not samples:
        return None
    median = _median([s.rtt for s in samples])
    kept = [s for s in samples if s.rtt <= median * OUTLIER_FACTOR + OUTLIER_FLOOR]
    best_rtt = min(s.rtt for s in kept)
    best = [s for s in kept if s.rtt <= best_rtt * BEST_FACTOR + BEST_FLOOR]
    offset = _median([s.offset for s in best])
    return Estimate(offset, _median([s.rtt for s in best]), len(kept))


class ClockFilter:
    """The last ``window`` good samples and the estimate from them."""

    def __init__(self, window: int = WINDOW, max_rtt: float = MAX_RTT) -> None:
        self.samples: deque[Sample] = deque(maxlen=window)
        self.max_rtt = max_rtt
        self.rejected = 0
        self.current: Estimate | None = None

    def add(self, t0: float, t1: float, t2: float, t3: float) -> Estimate | None:
        """Add one exchange; raises ``BadSample`` (and keeps the old estimate) if it is absurd."""
        try:
            s = sample(t0, t1, t2, t3, self.max_rtt)
        except BadSample:
            self.rejected += 1
            raise
        self.samples.append(s)
        self.current = estimate(list(self.samples))
        return self.current

    def reset(self) -> None:
        """A new connection may take another route: start over (the estimate stays until replaced)."""
        self.samples.clear()
