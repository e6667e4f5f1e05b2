"""A token bucket of bytes per second: how the thumbnails of one display are kept bounded.

Both ends use it: a display does not send more than it may, and the server
drops (never queues) what a display sends beyond it, so a broken or hostile
display cannot flood the server or the panels with pictures.

Pure: the caller passes every time in; nothing here reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class ByteBudget:
    """``rate`` bytes per second, with up to ``burst`` bytes saved up for a quick run of changes."""

    rate: float
    burst: float
    _level: float = -1.0
    _at: float | None = None

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst <= 0:
            raise ValueError("a byte budget needs a positive rate and burst")
        self._level = self.burst

    def _refill(self, now: float) -> None:
        if self._at is not None and now > self._at:
            self._level = min(self.burst, self._level + (now - self._at) * self.rate)
        if self._at is None or now > self._at:
            self._at = now

    def allows(self, nbytes: int, now: float) -> bool:
        """Whether ``nbytes`` may go now (without taking them)."""
        self._refill(now)
        return nbytes <= self._level

    def take(self, nbytes: int, now: float) -> bool:
        """Take ``nbytes`` if the budget holds them now; False (nothing taken) if not."""
        if not self.allows(nbytes, now):
            return False
        self._level -= nbytes
        return True
