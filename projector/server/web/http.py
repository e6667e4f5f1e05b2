"""Small helpers the HTTP handler modules share."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from aiohttp import web

from projector.server.web.errors import ApiError
from projector.server.web.ratelimit import RateLimiter


def json_response(data: object, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def _dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def rfc3339(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def client_address(request: web.Request) -> str:
    return request.remote or "unknown"


def limit_public(limiter: RateLimiter, request: web.Request) -> None:
    """Public endpoints (login, the message form) are rate-limited per address."""
    key = client_address(request)
    if not limiter.allow(key, time.monotonic()):
        raise ApiError(429, "rate_limited", f"too many requests; retry in {limiter.retry_after(key):.0f} s")
