"""Uploaded fonts for the brand kit's headline (issue 18).

| route | who |
|---|---|
| ``POST /api/v1/fonts`` raw bytes of one TTF/OTF file | operator |
| ``GET /api/v1/fonts`` | viewer |

An upload is checked by ``media.fonts`` (a real, sound font with the Latin
letters and digits, a family name, the SIL Open Font License in its name
table, within the size and glyph limits) and stored byte for byte in the
media library by its SHA-256, like a picture: displays fetch it from
``GET /api/v1/media/{hash}`` into their media cache, and with several nodes
its bytes go to the shared database first. A brand kit then names it as
``font = "upload:<hash>"``.
"""

from __future__ import annotations

import asyncio
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from aiohttp import web

from media.fonts import MAX_FONT_BYTES, FontInfo, font_info
from media.library import IngestedFont
from media.pipeline import MediaError
from projector.core.model import UPLOADED_FONT_PREFIX
from projector.server.routes.media import read_upload
from projector.server.services import SERVICES
from projector.server.web.auth import require
from projector.server.web.errors import ApiError
from projector.server.web.http import json_response, rfc3339
from projector.store.media import MediaRecord


def _error_status(error: MediaError) -> tuple[int, str]:
    reason = error.reason
    if "exceeds" in reason:
        return 413, "too_large"
    if reason.startswith(("not a font", "unsupported")):
        return 415, "not_a_font"
    return 422, "bad_font"


def font_record(item: IngestedFont, name: str | None, who: str, now: float) -> MediaRecord:
    # A font has no pixel size; the media table keeps a positive one for every file (1 x 1 here).
    return MediaRecord(item.hash, item.info.mime, 1, 1, item.bytes, 0, None, name, who, now)


def font_json(record: MediaRecord, info: FontInfo | None) -> dict[str, Any]:
    """One uploaded font as the panel lists it; ``info`` is None when its file cannot be read here."""
    return {
        "hash": record.hash,
        "font": UPLOADED_FONT_PREFIX + record.hash,
        "family": info.family if info else None,
        "style": info.style if info else None,
        "licence": info.licence if info else None,
        "glyphs": info.glyphs if info else None,
        "mime": record.mime,
        "bytes": record.bytes,
        "name": record.name,
        "uploaded_by": record.uploaded_by,
        "created_at": rfc3339(record.created_at),
    }


@lru_cache(maxsize=256)
def _stored_info(path: Path) -> FontInfo | None:
    """What the check finds in a stored font (content-addressed: it never changes, so cached)."""
    try:
        return font_info(path.read_bytes(), path.name)
    except (OSError, MediaError):
        return None


async def upload_font(request: web.Request) -> web.Response:
    """``POST /api/v1/fonts``: one font, raw bytes. ``?name=`` (or ``X-Filename``) is only for messages."""
    principal = await require(request, "operator")
    name = (request.query.get("name") or request.headers.get("X-Filename") or "upload")[:200]
    data = await read_upload(request, MAX_FONT_BYTES)
    if not data:
        raise ApiError(422, "bad_font", "empty file (0 bytes)", "file")
    service = request.app[SERVICES].media
    loop = asyncio.get_running_loop()
    try:
        ingested = await loop.run_in_executor(None, service.library.ingest_font, data, name)
    except MediaError as exc:
        status, code = _error_status(exc)
        raise ApiError(status, code, exc.reason, "file") from None
    record = font_record(ingested, Path(name.replace("\\", "/")).name or None, principal.name, time.time())
    new = await service.record(request.app[SERVICES].store, record)
    stored = record if new else await request.app[SERVICES].store.call(lambda s: s.get_media(record.hash))
    body = {**font_json(stored or record, ingested.info), "new": new}
    return json_response(body, status=201 if new else 200)


async def list_fonts(request: web.Request) -> web.Response:
    """``GET /api/v1/fonts``: the uploaded fonts, newest first."""
    await require(request, "viewer")
    services = request.app[SERVICES]
    records = await services.store.call(lambda s: [m for m in s.list_media() if m.is_font])
    # A font another node took in is copied here first (a no-op with one node).
    await services.media.local_all(r.hash for r in records)
    loop = asyncio.get_running_loop()
    infos = await loop.run_in_executor(
        None, lambda: [_stored_info(services.media.library.path_of(r.hash)) for r in records]
    )
    fonts = [font_json(r, i) for r, i in zip(records, infos, strict=True)]
    fonts.sort(key=lambda f: f["created_at"], reverse=True)
    return json_response({"fonts": fonts})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/fonts", upload_font)
    app.router.add_get("/api/v1/fonts", list_fonts)
