"""Per-address token buckets for public endpoints (message form, login, SMS)."""

from __future__ import annotations

from collections import OrderedDict


class RateLimiter:
    """Allows ``per_minute`` requests per key with bursts up to ``burst``.

    Bounded: the least recently seen keys are forgotten past ``max_keys``, so a
    flood from many addresses cannot grow memory without limit.
    """

    def __init__(self, per_minute: float, burst: int | None = None, max_keys: int = 100_000) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst if burst is not None else max(1, int(per_minute // 2) or 1))
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str, now: float) -> bool:
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return allowed

    def retry_after(self, key: str) -> float:
        tokens, _ = self._buckets.get(key, (0.0, 0.0))
        return max(0.0, (1.0 - tokens) / self.rate) if self.rate > 0 else 60.0
