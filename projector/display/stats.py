"""Frame-time statistics: what a display reports to the operator every few seconds.

The p99 frame time, not the average, is what a viewer sees as a stutter, so
the display keeps a window of recent frame times and reports percentiles.
"""

from __future__ import annotations

import math
from collections import deque


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of ``values``; 0.0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


class FrameStats:
    """A window of recent frames: work time per frame and when each was shown."""

    def __init__(self, capacity: int = 600) -> None:
        self._work_ms: deque[float] = deque(maxlen=capacity)
        self._times: deque[float] = deque(maxlen=capacity)

    def record(self, work_ms: float, now: float) -> None:
        self._work_ms.append(work_ms)
        self._times.append(now)

    def __len__(self) -> int:
        return len(self._work_ms)

    def p50(self) -> float:
        return percentile(list(self._work_ms), 50)

    def p99(self) -> float:
        return percentile(list(self._work_ms), 99)

    def fps(self) -> float:
        """Frames shown per second over the window (0 until two frames are in)."""
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0
