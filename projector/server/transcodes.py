"""The server's background transcodes: display-friendly H.264 copies of uploaded videos, with progress.

An upload that is not H.264 within 1080p queues its variants
(``media.transcode.transcodes_for``); one task makes them one at a time on a
worker thread, so the event loop keeps serving and a 4K film does not take
every core from the displays' server. Each finished copy goes through the
same checks as an upload (``MediaLibrary.ingest_video``) and is stored by its
own hash, with a media record named after its source ("march.mp4 (h264-1080)");
a small file beside the library (``transcodes/<source>.<variant>``) remembers
which copy belongs to which source, for ``GET /api/v1/media/{hash}/transcodes``.
Jobs are kept in memory: a transcode cut short by a restart is not resumed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from media.library import IngestedVideo, MediaLibrary
from media.pipeline import MediaError
from media.transcode import TRANSCODES, Transcode, transcode, transcodes_for
from media.video import VideoLimits
from projector.server import tasks
from projector.store.media import MediaRecord

log = logging.getLogger("projector.media")


@dataclass
class TranscodeJob:
    source: str
    variant: str
    name: str | None = None
    state: str = "queued"  # queued, running, done, failed
    progress: float = 0.0
    result: str | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "state": self.state,
            "progress": round(self.progress, 3),
            "hash": self.result,
            "error": self.error,
        }


class Transcoder:
    def __init__(self, library: MediaLibrary, limits: VideoLimits) -> None:
        self.library = library
        self.limits = limits
        self.jobs: dict[tuple[str, str], TranscodeJob] = {}
        #: Called on the event loop with each finished copy's media record (stored, and its length noted).
        self.on_done: Callable[[MediaRecord], Awaitable[None]] | None = None
        self._queue: asyncio.Queue[TranscodeJob] | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = threading.Event()

    def start(self, on_done: Callable[[MediaRecord], Awaitable[None]]) -> None:
        self.on_done = on_done
        self._queue = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="media-transcodes")

    async def close(self) -> None:
        self._stop.set()
        await tasks.stop(self._task)

    def want(self, record: MediaRecord, codec: str) -> list[str]:
        """Queue the variants ``record`` (a stored video) needs; their names (those not made already)."""
        queued = []
        for variant in transcodes_for(codec, record.width, record.height):
            key = (record.hash, variant.name)
            if key in self.jobs or self._marker(record.hash, variant) is not None:
                continue
            job = self.jobs[key] = TranscodeJob(record.hash, variant.name, record.name)
            if self._queue is not None:
                self._queue.put_nowait(job)
            queued.append(variant.name)
        return queued

    def status(self, media_hash: str) -> list[dict[str, Any]]:
        """Each variant of a video: made (with its hash), queued, running (with progress) or failed."""
        out = []
        for variant in TRANSCODES.values():
            job = self.jobs.get((media_hash, variant.name))
            if job is not None:
                out.append(job.as_json())
                continue
            made = self._marker(media_hash, variant)
            if made is not None:
                out.append(
                    TranscodeJob(media_hash, variant.name, state="done", progress=1.0, result=made).as_json()
                )
        return out

    def _marker(self, source: str, variant: Transcode) -> str | None:
        try:
            text = (self.library.root / "transcodes" / f"{source}.{variant.name}").read_text("ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return text if self.library.has(text) else None

    async def _run(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            job = await self._queue.get()
            job.state = "running"
            began = time.monotonic()
            try:
                stored = await loop.run_in_executor(None, self._make, job)
            except MediaError as exc:
                job.state, job.error = "failed", exc.reason
                log.warning("transcode %s of %s failed: %s", job.variant, job.source[:12], exc.reason)
                continue
            except Exception as exc:  # the task must outlive any one file
                job.state, job.error = "failed", f"{type(exc).__name__}: {exc}"
                log.exception("transcode %s of %s failed", job.variant, job.source[:12])
                continue
            info = stored.info
            label = f"{job.name or job.source[:12]} ({job.variant})"
            record = MediaRecord(
                stored.hash, info.mime, info.width, info.height, stored.bytes, 0, None, label[:200],
                "transcode", time.time(), info.seconds,
            )  # fmt: skip
            if self.on_done is not None:
                await self.on_done(record)
            job.state, job.progress, job.result = "done", 1.0, stored.hash
            log.info("transcoded %s to %s (%s) in %.1fs", job.source[:12], job.variant, stored.hash[:12],
                     time.monotonic() - began)  # fmt: skip

    def _make(self, job: TranscodeJob) -> IngestedVideo:
        """Blocking: transcode, check and store one variant, and note which source it came from."""
        variant = TRANSCODES[job.variant]
        out = self.library.incoming()
        try:

            def progress(fraction: float) -> None:
                job.progress = fraction

            transcode(self.library.path_of(job.source), out, variant, progress, self._stop.is_set)
            stored = self.library.ingest_video(out, f"{job.source[:12]}-{job.variant}.mp4", self.limits)
        finally:
            with contextlib.suppress(OSError):
                out.unlink()
        marker = self.library.root / "transcodes" / f"{job.source}.{job.variant}"
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(stored.hash, "ascii")
        return stored
