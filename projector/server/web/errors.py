"""JSON error bodies for every failure: ``{"error": {"code", "message", "field"?}}``.

A full disk is not a bug: every write answers 503 ``storage_full`` with a
``Retry-After`` (as a failed action commit already answered 503 ``store_failed``),
logged in one line, and the service comes back by itself once space is freed.
503 rather than 507: clients and proxies know to retry a 503 after
``Retry-After``; 507 is WebDAV's and most clients treat it as final.
The message never carries the failing file's path (an ``OSError`` names it).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from projector.core.model import ValidationError
from projector.store.records import StoreError, is_disk_full

log = logging.getLogger("projector.http")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: Seconds a client is asked to wait before retrying a write the store could not keep.
RETRY_AFTER_S = 30
#: 503 codes that mean "not stored, retry": they carry ``Retry-After``.
_RETRY_CODES = frozenset({"store_failed", "storage_full"})


class ApiError(Exception):
    """Raised by handlers; turned into a JSON error response by the middleware."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        #: Extra response headers (``Retry-After`` on a 503 or 429).
        self.headers = dict(headers or {})


def error_response(status: int, code: str, message: str, field: str | None = None) -> web.Response:
    body: dict[str, str] = {"code": code, "message": message}
    if field is not None:
        body["field"] = field
    return web.json_response({"error": body}, status=status)


def storage_full_response() -> web.Response:
    response = error_response(
        503, "storage_full", "the server's disk is full: nothing was stored; retry later"
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        log.info("%s %s -> %d %s: %s", request.method, request.path, exc.status, exc.code, exc.message)
        response = error_response(exc.status, exc.code, exc.message, exc.field)
        response.headers.update(exc.headers)
        if exc.status == 503 and exc.code in _RETRY_CODES and "Retry-After" not in exc.headers:
            response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response
    except ValidationError as exc:
        log.info("%s %s -> 422 invalid %s: %s", request.method, request.path, exc.field, exc.message)
        return error_response(422, "invalid", str(exc), exc.field)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, "http_error")
        message = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else exc.reason
        if exc.status == 413:
            message = f"request body too large (limit {request.app._client_max_size} bytes)"
        log.info("%s %s -> %d %s", request.method, request.path, exc.status, code)
        response = error_response(exc.status, code, message)
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except Exception as exc:
        if is_disk_full(exc):
            log.error("%s %s -> 503 storage_full: %s", request.method, request.path, exc)
            return storage_full_response()
        if isinstance(exc, StoreError):
            # The database went away (a PostgreSQL restart, a closed store at shutdown): the
            # caller can retry; a 500 would say the request itself was wrong.
            log.error("%s %s -> 503 store_failed: %s", request.method, request.path, exc)
            response = error_response(503, "store_failed", "the store did not answer; retry in a moment")
            response.headers["Retry-After"] = str(RETRY_AFTER_S)
            return response
        log.exception("unhandled error in %s %s", request.method, request.path)
        return error_response(500, "internal", "internal server error; the event has been logged")


async def read_json(request: web.Request, *, constants: bool = False) -> object:
    """Read a JSON body strictly: declared content type, UTF-8, valid JSON, size-limited.

    ``constants``: read ``NaN`` and ``Infinity`` as numbers instead of refusing the body
    as malformed, for bodies whose validator then names the field that holds one (a
    mapping's corner, a safe area's margin): "corners[2].x must be finite" helps more.

    An object that names a key twice is refused (400 ``duplicate_key``): parsers
    disagree on which one wins (Python takes the last, others the first), so a
    proxy or a validator in front could have checked a different value than the
    one we would act on.
    """
    content_type = request.content_type
    if content_type not in ("application/json", "application/x-json") and not content_type.endswith("+json"):
        raise ApiError(415, "unsupported_media_type", f"expected application/json, got {content_type!r}")
    raw = await request.read()  # aiohttp enforces client_max_size (413)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "invalid_utf8", f"body is not valid UTF-8 (byte {exc.start})") from None
    try:
        if constants:
            return json.loads(text, object_pairs_hook=_unique_keys)
        return json.loads(text, parse_constant=_no_constants, object_pairs_hook=_unique_keys)
    except DuplicateKeyError as exc:
        raise ApiError(400, "duplicate_key", str(exc), exc.key) from None
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "malformed_json", f"body is not valid JSON: {exc}") from None


async def read_json_object(request: web.Request, *, constants: bool = False) -> dict[str, Any]:
    """:func:`read_json` for the bodies that must be one JSON object (most of them)."""
    body = await read_json(request, constants=constants)
    if not isinstance(body, dict):
        raise ValidationError("body", "must be a JSON object")
    return body


class DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(f"body names the key {key!r} more than once")
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKeyError(key)
            seen.add(key)
    return obj


def _no_constants(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")
