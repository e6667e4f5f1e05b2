"""Pictures and videos over HTTP: uploads, downloads by content hash, variants, dossier folders as zip files.

``POST /api/v1/media`` takes the raw bytes of one image (any declared type:
the content decides), refuses what is not a sound picture within the limits
with a status and a message an operator can act on, and answers with the
picture's hash and its face-aware focus. ``GET /api/v1/media/{hash}`` serves
the cleaned picture to displays and the panel: the hash is the ETag (the
content never changes), and ranges are served so that a display on a
dropping network resumes a download instead of starting again.
``POST /api/v1/media/videos`` does the same for a video (``media.video``):
streamed to disk, checked, stored without its metadata by its hash, and
served by the same ``GET``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from media.dossier import DossierError
from media.exchange import (
    MAX_ZIP_BYTES,
    ImportResult,
    export_dossiers,
    import_archive,
    temp_dir,
    zip_folder,
)
from media.library import MAX_UPLOAD_BYTES, Ingested, IngestedVideo
from media.pipeline import MediaError
from media.variants import VARIANTS, Job, make_variant
from projector.core.cues import Show
from projector.core.model import MEDIA_HASH_PATTERN, Case, ValidationError, parse_focus
from projector.core.playout import cue_media, slide_numbers
from projector.core.state import Command, UpsertCase
from projector.server.services import SERVICES
from projector.server.web.auth import authenticate, require
from projector.server.web.errors import ApiError
from projector.server.web.http import json_response, rfc3339
from projector.server.web.principal import Principal
from projector.store.base import Store
from projector.store.media import MediaRecord

log = logging.getLogger("projector.media")

#: Bytes read from the socket at a time, and sent from a file at a time.
CHUNK = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _media_hash(request: web.Request) -> str:
    value = request.match_info["hash"]
    if not MEDIA_HASH_PATTERN.match(value):
        raise ApiError(400, "bad_hash", "a media hash is 64 lower-case hex digits", "hash")
    return value


async def _reader(request: web.Request) -> Principal:
    """Displays (display tokens) and people who may see the panel (viewer and up) may read media."""
    principal = await authenticate(request)
    if principal is None:
        raise ApiError(401, "unauthorized", "log in, or send a display or viewer token")
    if not (principal.can("display") or principal.can("viewer")):
        raise ApiError(403, "forbidden", f"{principal.role!r} may not read media")
    return principal


def media_json(record: MediaRecord) -> dict[str, Any]:
    video = {"seconds": record.seconds} if record.is_video else {}
    return {
        **video,
        "hash": record.hash,
        "mime": record.mime,
        "width": record.width,
        "height": record.height,
        "bytes": record.bytes,
        "faces": record.faces,
        "focus": list(record.focus) if record.focus is not None else None,
        "name": record.name,
        "uploaded_by": record.uploaded_by,
        "created_at": rfc3339(record.created_at),
    }


def _error_status(error: MediaError) -> tuple[int, str]:
    reason = error.reason
    if "exceeds" in reason or "not enough memory" in reason:
        return 413, "too_large"
    if reason.startswith(("not an image", "unsupported")):
        return 415, "not_an_image"
    return 422, "bad_image"


async def read_upload(request: web.Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it passes ``limit`` (the declared length is checked first)."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise ApiError(
            413, "too_large", f"{declared:,} bytes exceeds the {limit:,} byte upload limit", "file"
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(CHUNK):
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too_large", f"more than {limit:,} bytes exceeds the upload limit", "file")
        chunks.append(chunk)
    return b"".join(chunks)


async def upload(request: web.Request) -> web.Response:
    """``POST /api/v1/media``: one picture, raw bytes. ``?name=`` (or ``X-Filename``) is only for messages."""
    principal = await require(request, "operator")
    name = (request.query.get("name") or request.headers.get("X-Filename") or "upload")[:200]
    data = await read_upload(request, MAX_UPLOAD_BYTES)
    service = request.app[SERVICES].media
    loop = asyncio.get_running_loop()
    try:
        ingested = await loop.run_in_executor(None, service.library.ingest, data, name)
    except MediaError as exc:
        status, code = _error_status(exc)
        raise ApiError(status, code, str(exc), "file") from None
    face = ingested.faces
    record = media_record(ingested, Path(name.replace("\\", "/")).name or None, principal.name, time.time())
    new = await service.record(request.app[SERVICES].store, record)
    stored = record if new else await request.app[SERVICES].store.call(lambda s: s.get_media(record.hash))
    service.want_variants()
    body = {
        **media_json(stored or record),
        "focus": list(face.focus),  # the face, or the default when none was found
        "face_box": list(face.box) if face.box is not None else None,
        "notes": list(ingested.notes),
        "new": new,
    }
    return json_response(body, status=201 if new else 200)


def _video_status(error: MediaError) -> tuple[int, str]:
    reason = error.reason
    if "exceeds" in reason or "longer than" in reason:
        return 413, "too_large"
    if reason.startswith(("not a video", "a playlist", "unsupported", "no video stream")):
        return 415, "not_a_video"
    return 422, "bad_video"


async def upload_video(request: web.Request) -> web.Response:
    """``POST /api/v1/media/videos``: one video, raw bytes, streamed to disk (not held in memory).

    Checked by content (``media.video``) and stored, metadata removed, by its hash beside
    the pictures: displays fetch it from ``GET /api/v1/media/{hash}`` like any picture.
    """
    principal = await require(request, "operator")
    name = (request.query.get("name") or request.headers.get("X-Filename") or "upload")[:200]
    service = request.app[SERVICES].media
    limit = service.video_limits.max_bytes
    loop = asyncio.get_running_loop()
    incoming = await loop.run_in_executor(None, service.library.incoming)
    try:
        await _receive(request, incoming, limit)
        try:
            stored = await loop.run_in_executor(
                None, service.library.ingest_video, incoming, name, service.video_limits
            )
        except MediaError as exc:
            status, code = _video_status(exc)
            raise ApiError(status, code, str(exc), "file") from None
    finally:
        await loop.run_in_executor(None, lambda: incoming.unlink(missing_ok=True))
    record = video_record(stored, Path(name.replace("\\", "/")).name or None, principal.name, time.time())
    new = await service.record(request.app[SERVICES].store, record)
    kept = record if new else await request.app[SERVICES].store.call(lambda s: s.get_media(record.hash))
    queued = service.transcoder.want(kept or record, stored.info.codec)
    body = {**media_json(kept or record), "notes": list(stored.info.notes), "new": new, "transcodes": queued}
    return json_response(body, status=201 if new else 200)


async def transcodes(request: web.Request) -> web.Response:
    """``GET /api/v1/media/{hash}/transcodes``: a video's H.264 copies, made or on their way."""
    await _reader(request)
    media_hash = _media_hash(request)
    record = await request.app[SERVICES].store.call(lambda s: s.get_media(media_hash))
    if record is None or not record.is_video:
        raise ApiError(404, "not_found", f"no video {media_hash}")
    return json_response({"transcodes": request.app[SERVICES].media.transcoder.status(media_hash)})


async def _receive(request: web.Request, target: Path, limit: int) -> None:
    """The body into ``target``, refused with 413 as soon as it passes ``limit``."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise ApiError(413, "too_large", f"{declared:,} bytes exceeds the {limit:,} byte video limit", "file")
    loop = asyncio.get_running_loop()
    size = 0
    with target.open("wb") as out:
        async for chunk in request.content.iter_chunked(CHUNK):
            size += len(chunk)
            if size > limit:
                raise ApiError(413, "too_large", f"more than {limit:,} bytes exceeds the video limit", "file")
            await loop.run_in_executor(None, out.write, chunk)
    if size == 0:
        raise ApiError(422, "bad_video", "empty file (0 bytes)", "file")


def video_record(item: IngestedVideo, name: str | None, who: str, now: float) -> MediaRecord:
    info = item.info
    return MediaRecord(
        item.hash, info.mime, info.width, info.height, item.bytes, 0, None, name, who, now, info.seconds
    )


async def list_media(request: web.Request) -> web.Response:
    await require(request, "viewer")
    records = await request.app[SERVICES].store.call(lambda s: s.list_media())
    # Fonts are listed by GET /api/v1/fonts: they are no pictures for a case or a layout.
    return json_response({"media": [media_json(r) for r in records if not r.is_font]})


async def media_info(request: web.Request) -> web.Response:
    await _reader(request)
    media_hash = _media_hash(request)
    record = await request.app[SERVICES].store.call(lambda s: s.get_media(media_hash))
    if record is None:
        raise ApiError(404, "not_found", f"no media {media_hash}")
    return json_response(media_json(record))


async def get_media(request: web.Request) -> web.StreamResponse:
    """The picture itself: ETag = hash, byte ranges, immutable."""
    await _reader(request)
    media_hash = _media_hash(request)
    service = request.app[SERVICES].media
    if not await service.local(media_hash):
        raise ApiError(404, "not_found", f"no media {media_hash}")
    path = service.library.path_of(media_hash)
    record = await request.app[SERVICES].store.call(lambda s: s.get_media(media_hash))
    mime = record.mime if record is not None else "application/octet-stream"
    return await send_file(request, path, media_hash, mime)


async def get_variant(request: web.Request) -> web.StreamResponse:
    """``GET /api/v1/media/{hash}/variants/{name}[?focus=x,y]``: made now if the batch has not yet."""
    await _reader(request)
    media_hash = _media_hash(request)
    variant = VARIANTS.get(request.match_info["name"])
    if variant is None:
        names = ", ".join(VARIANTS)
        raise ApiError(404, "not_found", f"no variant {request.match_info['name']!r}; there are {names}")
    focus = None
    if "focus" in request.query:
        try:
            focus = parse_focus([float(v) for v in request.query["focus"].split(",")], "focus")
        except ValueError:
            raise ValidationError("focus", "must be x,y with two numbers from 0 to 1") from None
    services = request.app[SERVICES]
    service = services.media
    if not await service.local(media_hash):
        raise ApiError(404, "not_found", f"no media {media_hash}")
    source = service.library.path_of(media_hash)
    # Any focus a caller names would be a new file for good: only cases' focus points are
    # kept; the rest snap to a grid and live in a cache bounded by bytes (variant_cache.py).
    target, focus, adhoc = service.variant_target(services.show.state, media_hash, variant, focus)
    mime = "image/png" if variant.extension == ".png" else "image/jpeg"
    etag = f"{media_hash}-{target.stem}"
    if not adhoc:
        await _make_variant(Job(media_hash, variant.name, source, target, focus))
        return await send_file(request, target, etag, mime)
    with service.adhoc.using(target):
        size = await _make_variant(Job(media_hash, variant.name, source, target, focus))
        if size is not None:
            service.adhoc.added(target, size)
        return await send_file(request, target, etag, mime)


async def _make_variant(job: Job) -> int | None:
    """Make a variant unless its file exists; its size when made now."""
    if job.target.is_file():
        return None
    try:
        return await asyncio.get_running_loop().run_in_executor(None, make_variant, job)
    except MediaError as exc:  # its path is the server's file: name the picture by its hash
        raise ApiError(422, "bad_image", f"media {job.media}: {exc.reason}") from None


async def progress(request: web.Request) -> web.Response:
    await require(request, "viewer")
    return json_response(request.app[SERVICES].media.progress.as_json())


async def prepare_now(request: web.Request) -> web.Response:
    await require(request, "operator")
    service = request.app[SERVICES].media
    service.want_variants()
    return json_response(service.progress.as_json(), status=202)


async def check_case_media(request: web.Request, case: Case) -> None:
    """Refuse a case whose portraits name pictures the server does not have (422 naming the field)."""
    wanted = case.media()
    if not wanted:
        return
    known = await request.app[SERVICES].store.call(
        lambda s: {h for h in wanted if (m := s.get_media(h)) is not None and not m.is_font}
    )
    for i, media_hash in enumerate(wanted):
        if media_hash not in known:
            field = (
                "portrait"
                if media_hash == case.portrait
                else f"portraits[{i - (case.portrait in wanted)}].media"
            )
            raise ValidationError(field, f"no picture {media_hash[:12]}… on the server; upload it first")


async def check_cue_media(request: web.Request, show: Show) -> None:
    """Refuse a show whose video or slides cues name media the server does not have, or of the
    wrong kind (a picture as a video, a video as a slide): 422 naming the parameter."""
    wanted = {h for cue in show.cues for h in cue_media(cue)}
    records = await request.app[SERVICES].store.call(lambda s: {h: s.get_media(h) for h in wanted})
    for i, cue in enumerate(show.cues):
        if cue.scene == "video":
            keys = ["media"]
        elif cue.scene == "slides":
            keys = [f"slide_{n}" for n in slide_numbers(cue.params)]
        else:
            continue
        if not keys:
            raise ValidationError(f"cues[{i}].params.slide_1", "a slideshow needs at least one picture")
        for key in keys:
            field = f"cues[{i}].params.{key}"
            value = cue.params.get(key)
            if not isinstance(value, str) or not MEDIA_HASH_PATTERN.match(value):
                raise ValidationError(field, "must be the hash of an uploaded " + _kind(cue.scene))
            record = records.get(value)
            if record is None or record.is_font:
                raise ValidationError(
                    field, f"no {_kind(cue.scene)} {value[:12]}… on the server; upload it first"
                )
            if record.is_video != (cue.scene == "video"):
                what = "a video" if record.is_video else "a picture"
                raise ValidationError(field, f"{value[:12]}… is {what}, not {_kind(cue.scene, article=True)}")


def _kind(scene: str, article: bool = False) -> str:
    kind = "video" if scene == "video" else "picture"
    return f"a {kind}" if article else kind


# --- dossier folders as zip files ---------------------------------------------------------------


def media_record(item: Ingested, name: str | None, who: str, now: float) -> MediaRecord:
    face = item.faces
    return MediaRecord(
        item.hash,
        item.mime,
        item.width,
        item.height,
        item.bytes,
        face.faces,
        face.focus if face.faces else None,
        name,
        who,
        now,
    )


async def export_zip(request: web.Request) -> web.Response:
    """``GET /api/v1/dossiers.zip``: every case as a dossier folder with its pictures."""
    await require(request, "viewer")
    cases = list(request.app[SERVICES].show.state.cases.values())
    library = request.app[SERVICES].media.library
    # Pictures another node took in are copied here first (a no-op with one node).
    await request.app[SERVICES].media.local_all([h for case in cases for h in case.media()])

    def build() -> bytes:
        with temp_dir() as tmp:
            export_dossiers(cases, library, Path(tmp))
            return zip_folder(Path(tmp))

    data = await asyncio.get_running_loop().run_in_executor(None, build)
    return web.Response(
        body=data,
        content_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="dossiers.zip"', "Cache-Control": "no-store"},
    )


async def import_zip(request: web.Request) -> web.Response:
    """``POST /api/v1/dossiers.zip``: add or update every case in the archive (all or nothing)."""
    principal = await require(request, "operator")
    data = await read_upload(request, MAX_ZIP_BYTES)
    library = request.app[SERVICES].media.library

    try:
        result = await asyncio.get_running_loop().run_in_executor(None, import_archive, data, library)
    except DossierError as exc:
        raise ApiError(422, "bad_dossier", str(exc), "file") from None
    except MediaError as exc:
        status, code = _error_status(exc)
        raise ApiError(status, code, str(exc), "file") from None
    imported = await store_import(request.app, result, principal.name)
    return json_response(
        {"imported": imported, "media": len(result.media), "warnings": result.warnings}, status=200
    )


async def store_import(app: web.Application, result: ImportResult, who: str) -> list[str]:
    """Persist an import's pictures and cases, then show the cases (persisted first, as everywhere)."""
    now = time.time()
    records = [media_record(item, item.path.name, who, now) for item in result.media]

    def persist(s: Store) -> list[Command]:
        for case in result.cases:
            s.upsert_case(case)
        return [UpsertCase(case) for case in result.cases]

    for record in records:  # each file's bytes before its record, where nodes share them
        await app[SERVICES].media.record(app[SERVICES].store, record)
    await app[SERVICES].show.execute_written(app[SERVICES].store, persist)
    app[SERVICES].media.want_variants()
    return [c.id for c in result.cases]


# --- serving a file with ranges -----------------------------------------------------------------


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single ``bytes=`` range; None when it cannot be satisfied.

    Several ranges at once are not worth a multipart body here: the whole file is sent.
    """
    match = _RANGE.match(header.strip())
    if match is None:
        raise ValueError(header)
    first, last = match.groups()
    if not first and not last:
        raise ValueError(header)
    if not first:  # the last N bytes
        n = int(last)
        if n == 0:
            return None
        return max(0, size - n), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        return None
    return start, end


async def send_file(request: web.Request, path: Path, etag: str, mime: str) -> web.StreamResponse:
    quoted = f'"{etag}"'
    headers = {
        "ETag": quoted,
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, max-age=31536000, immutable",
        "Content-Type": mime,
        "X-Content-Type-Options": "nosniff",
    }
    inm = request.headers.get("If-None-Match")
    if inm is not None and (inm.strip() == "*" or quoted in [t.strip() for t in inm.split(",")]):
        return web.Response(status=304, headers=headers)
    size = path.stat().st_size  # noqa: ASYNC240 - one stat of a local file
    start, end, status = 0, size - 1, 200
    range_header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if range_header and (if_range is None or if_range.strip() == quoted) and size > 0:
        try:
            wanted = _parse_range(range_header, size)
        except ValueError:
            wanted = (0, size - 1)  # a malformed Range is ignored (RFC 9110)
        if wanted is None:
            return web.Response(status=416, headers={**headers, "Content-Range": f"bytes */{size}"})
        start, end = wanted
        if (start, end) != (0, size - 1):
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    response = web.StreamResponse(status=status, headers=headers)
    response.content_length = end - start + 1
    await response.prepare(request)
    if request.method == "HEAD":
        return response
    loop = asyncio.get_running_loop()
    with path.open("rb") as f:
        f.seek(start)
        left = end - start + 1
        while left > 0:
            chunk = await loop.run_in_executor(None, f.read, min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            await response.write(chunk)
    await response.write_eof()
    return response


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/v1/media", upload)
    r.add_post("/api/v1/media/videos", upload_video)
    r.add_get("/api/v1/media", list_media)
    r.add_get("/api/v1/media/progress", progress)
    r.add_post("/api/v1/media/prepare", prepare_now)
    r.add_get("/api/v1/media/{hash}", get_media)
    r.add_get("/api/v1/media/{hash}/info", media_info)
    r.add_get("/api/v1/media/{hash}/transcodes", transcodes)
    r.add_get("/api/v1/media/{hash}/variants/{name}", get_variant)
    r.add_get("/api/v1/dossiers.zip", export_zip)
    r.add_post("/api/v1/dossiers.zip", import_zip)
