"""The server's media: the picture library in the data directory, and variants made in the background.

Whenever a picture is uploaded or a case changes, ``want_variants()`` wakes
one background task that works out which variants are still missing (for
every case's portraits at their focus points, and a thumbnail of every
picture) and makes them on a process pool, off the event loop. Its progress
is what the panel shows ("preparing 12 of 40").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from media.library import MediaLibrary
from media.variants import VARIANTS, Job, Progress, Variant, jobs_for, prepare, variant_path
from media.video import VideoLimits
from projector.core.cues import Cue
from projector.core.playout import cue_seconds
from projector.core.state import CaseUpdated, CueChanged, Event, ShowLoaded, ShowState
from projector.server import tasks
from projector.server.show import Show
from projector.server.transcodes import Transcoder
from projector.server.variant_cache import VariantCache, snap
from projector.store.base import Store
from projector.store.media import MediaRecord
from projector.store.records import StoreError
from projector.store.writer import StoreWriter

if TYPE_CHECKING:  # psycopg is optional: a SQLite server never loads it (store/database.py)
    from projector.store.media_bytes import MediaBytes

log = logging.getLogger("projector.media")


def default_workers() -> int:
    """Every core but one: the event loop keeps serving displays while a batch runs."""
    return max(1, (os.cpu_count() or 2) - 1)


class MediaService:
    def __init__(
        self,
        data_dir: Path,
        workers: int | None = None,
        adhoc_bytes: int = 500 * 1024 * 1024,
        video_limits: VideoLimits | None = None,
        shared_bytes: MediaBytes | None = None,
    ) -> None:
        self.library = MediaLibrary(Path(data_dir) / "media")
        #: The database's copy of every uploaded file where several nodes share one (PostgreSQL,
        #: ``store/media_bytes.py``): this node's library is then a cache of it. None: the
        #: library is the only copy there is.
        self.shared_bytes = shared_bytes
        self._fetching: dict[str, asyncio.Future[bool]] = {}
        #: Called when a video's running time was learnt from the store (another node took the
        #: upload): the auto-follow timer of a cue that holds until it ends can be set now.
        self.on_video_lengths: Callable[[], None] = lambda: None
        #: What a video upload may be (the ``video_max_*`` settings).
        self.video_limits = video_limits or VideoLimits()
        #: Every stored video's running time by hash: the auto-follow timer of a cue that holds
        #: until its video ends reads it on the event loop, so it is kept here, not asked of the store.
        self.video_seconds: dict[str, float] = {}
        #: Display-friendly H.264 copies of uploaded videos, made one at a time in the background.
        self.transcoder = Transcoder(self.library, self.video_limits)
        #: Variants at focus points no case uses, on a grid, evicted past ``adhoc_bytes``.
        self.adhoc = VariantCache(self.library.root / "variants-adhoc", adhoc_bytes)
        self.workers = workers if workers is not None else default_workers()
        self.progress = Progress()
        self.progress.finished = self.progress.started
        #: Called (on the event loop) when progress changes: the panel pushes.
        self.on_progress: list[Callable[[], None]] = []
        self._state: Callable[[], ShowState] | None = None
        self._media: Callable[[], list[MediaRecord]] | None = None
        self._wake: asyncio.Event | None = None
        self._stop = threading.Event()
        self._task: asyncio.Task[None] | None = None

    # --- wiring -----------------------------------------------------------------------

    def start(self, state: Callable[[], ShowState], media: Callable[[], list[MediaRecord]]) -> None:
        """``state()`` gives the show (its cases); ``media()`` every stored file (blocking: run in a thread)."""
        self._state, self._media = state, media
        # At start-up, before any request: a few hundred files at most (the bound / ~1 MB).
        self.adhoc.load()
        self._wake = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="media-variants")
        self.want_variants()

    async def close(self) -> None:
        self._stop.set()
        await tasks.stop(self._task)
        await self.transcoder.close()

    def on_change(self, state: ShowState, events: list[Event]) -> None:
        if any(isinstance(e, CaseUpdated) for e in events) or self._length_unknown(state, events):
            self.want_variants()

    def _length_unknown(self, state: ShowState, events: list[Event]) -> bool:
        """Whether the show now has a video cue whose running time this node does not know:
        with nodes sharing the media, another node took it in, and the store knows it."""
        if self.shared_bytes is None or state.show is None:
            return False
        if not any(isinstance(e, (CueChanged, ShowLoaded)) for e in events):
            return False
        return any(cue.scene == "video" and self.cue_seconds(cue) is None for cue in state.show.cues)

    def cue_seconds(self, cue: Cue) -> float | None:
        """How long a video or slides cue plays (``ShowControl.cue_length``)."""
        return cue_seconds(cue, self.video_seconds)

    def want_variants(self) -> None:
        if self._wake is not None:
            self._wake.set()

    # --- the files: this node's library, and the copy nodes share -------------------------

    async def record(self, store: StoreWriter, record: MediaRecord) -> bool:
        """Store a file the library took in; False when it was stored already.

        Where nodes share the media its bytes go to the database first, so no node ever
        sees a record whose file it cannot get (``StoreError`` if the database is away:
        the upload is refused, to be retried).
        """
        if self.shared_bytes is not None:
            path = self.library.path_of(record.hash)
            await asyncio.get_running_loop().run_in_executor(None, self.shared_bytes.put, record.hash, path)
        if record.seconds is not None:
            self.video_seconds[record.hash] = record.seconds
        return await store.call(lambda s: s.add_media(record))

    async def local(self, media_hash: str) -> bool:
        """Whether the file is in this node's library, copied from the database first when
        another node took it in (once: callers asking at the same moment share the copy).
        ``StoreError`` when the database cannot be read."""
        if self.library.has(media_hash):
            return True
        if self.shared_bytes is None:
            return False
        pending = self._fetching.get(media_hash)
        if pending is None:
            pending = asyncio.ensure_future(self._fetch(media_hash))
            self._fetching[media_hash] = pending
            pending.add_done_callback(lambda _: self._fetching.pop(media_hash, None))
        return await asyncio.shield(pending)

    async def local_all(self, hashes: Iterable[str]) -> None:
        """Copy every file named that another node took in; one the database cannot give
        is left out (logged), for a caller that shows what it can (an export, a preview)."""
        if self.shared_bytes is None:
            return
        for media_hash in dict.fromkeys(hashes):
            try:
                await self.local(media_hash)
            except StoreError as exc:
                log.warning("media %s… not copied from the database: %s", media_hash[:12], exc)

    async def _fetch(self, media_hash: str) -> bool:
        assert self.shared_bytes is not None
        dest = self.library.path_of(media_hash)
        found = await asyncio.get_running_loop().run_in_executor(
            None, self.shared_bytes.get, media_hash, dest
        )
        if found:
            log.info("media %s… copied from the database", media_hash[:12])
        return found

    # --- the background task ------------------------------------------------------------

    def pictures(self, state: ShowState) -> list[tuple[str, tuple[float, float] | None]]:
        """(hash, focus) of every case portrait as the cases show them (None: the default focus)."""
        out: list[tuple[str, tuple[float, float] | None]] = []
        for case in state.cases.values():
            if case.portrait is not None and case.portrait in case.media():
                out.append((case.portrait, case.focus))
            out.extend((p.media, p.focus) for p in case.portraits)
        return out

    def variant_target(
        self,
        state: ShowState,
        media_hash: str,
        variant: Variant,
        focus: tuple[float, float] | None,
    ) -> tuple[Path, tuple[float, float] | None, bool]:
        """Where a requested variant lives, the focus to make it with, and whether it is ad hoc.

        A focus a case uses (exactly, or once snapped to the grid) is that case's file,
        kept for good; any other focus is snapped to the grid and cached in ``adhoc``.
        """
        root = self.library.variants_root
        if focus is None or not variant.uses_focus:
            return variant_path(root, media_hash, variant, focus), focus, False
        cased = {f for h, f in self.pictures(state) if h == media_hash and f is not None}
        for candidate in (focus, snap(focus)):
            path = variant_path(root, media_hash, variant, candidate)
            if any(variant_path(root, media_hash, variant, f) == path for f in cased):
                return path, candidate, False
        return self.adhoc.path(media_hash, variant, focus), snap(focus), True

    async def _run(self) -> None:
        assert self._wake is not None and self._state is not None and self._media is not None
        loop = asyncio.get_running_loop()
        shared_what_is_here = False
        while not self._stop.is_set():
            await self._wake.wait()
            self._wake.clear()
            cased = self.pictures(self._state())
            records = await loop.run_in_executor(None, self._media)
            self._learn_lengths(records)
            if not shared_what_is_here:
                shared_what_is_here = await self._share_what_is_here(records)
            # Videos and fonts have no variants.
            stored = [m.hash for m in records if not (m.is_video or m.is_font)]
            # The cases' portraits another node took in, so their variants are made here too.
            await self.local_all(h for h, _ in cased)
            jobs = await loop.run_in_executor(None, self.missing_jobs, cased, stored)
            if not jobs:
                continue
            self.progress = Progress()
            self._notify(loop)
            log.info("preparing %d media variants on %d worker(s)", len(jobs), self.workers)
            await loop.run_in_executor(None, self._prepare, jobs, loop)
            p = self.progress
            took = (p.finished or p.started) - p.started
            log.info("media variants: %d made, %d failed, %.1fs", p.done - p.failed, p.failed, took)

    async def _share_what_is_here(self, records: list[MediaRecord]) -> bool:
        """Copy into the database the files this node has and the database lacks: uploads
        taken in before nodes shared their media (a store that ran one node until now).
        Once per start; False (try again at the next wake) when the database is away."""
        if self.shared_bytes is None:
            return True
        shared = self.shared_bytes
        here = {m.hash: m.bytes for m in records if self.library.has(m.hash)}
        loop = asyncio.get_running_loop()
        try:
            for media_hash in await loop.run_in_executor(None, shared.missing, here):
                await loop.run_in_executor(None, shared.put, media_hash, self.library.path_of(media_hash))
                log.info("media %s… copied into the database for the other nodes", media_hash[:12])
        except StoreError as exc:
            log.warning("media not copied into the database yet: %s", exc)
            return False
        return True

    def _learn_lengths(self, records: list[MediaRecord]) -> None:
        known = len(self.video_seconds)
        self.video_seconds.update(
            {m.hash: m.seconds for m in records if m.is_video and m.seconds is not None}
        )
        if len(self.video_seconds) != known:
            self.on_video_lengths()

    def missing_jobs(
        self, cased: list[tuple[str, tuple[float, float] | None]], stored: list[str]
    ) -> list[Job]:
        """Thumbnails of every stored picture first (the panel waits for them), then each case's variants."""
        root = self.library.root
        present = [h for h in stored if self.library.has(h)]
        jobs = jobs_for(root, [(h, None) for h in present], [VARIANTS["thumb"]])
        jobs += jobs_for(root, [(h, f) for h, f in cased if self.library.has(h)])
        seen: set[Path] = set()
        unique = []
        for job in jobs:
            if job.target not in seen:
                seen.add(job.target)
                unique.append(job)
        return unique

    def _prepare(self, jobs: list[Job], loop: asyncio.AbstractEventLoop) -> None:
        prepare(
            jobs,
            workers=self.workers,
            progress=self.progress,
            on_change=lambda p: self._notify(loop),
            should_stop=self._stop.is_set,
        )

    def _notify(self, loop: asyncio.AbstractEventLoop) -> None:
        def call() -> None:
            for listener in self.on_progress:
                listener()

        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(call)


def video_lengths(store: Store) -> dict[str, float]:
    """Every stored video's running time: read at start-up, before the auto-follow timer
    is first set (a restored show may be on a cue that holds until its video ends)."""
    return {m.hash: m.seconds for m in store.list_media() if m.is_video and m.seconds is not None}


def start_media(service: MediaService, store: StoreWriter, show: Show) -> None:
    """Start the variant task once the store is open (it is closed before the store is)."""
    loop = asyncio.get_running_loop()

    def stored() -> list[MediaRecord]:
        return asyncio.run_coroutine_threadsafe(store.call(lambda s: s.list_media()), loop).result(30)

    async def transcoded(record: MediaRecord) -> None:
        await service.record(store, record)

    show.listeners.append(service.on_change)
    service.start(lambda: show.state, stored)
    service.transcoder.start(transcoded)
