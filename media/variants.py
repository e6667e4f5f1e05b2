"""Derived pictures: each stored portrait at the sizes and treatments the panel and displays use.

A treatment costs 0.1-0.3 s per picture and size, and a campaign imports a
hundred dossiers at once, so variants are made once, ahead of time, on every
core (a process pool: Pillow's resampling holds the GIL for part of the
work), and kept on disk next to the originals, keyed by the picture's hash,
the variant and the focus point. Making one that exists is free, so
``prepare`` can simply be asked for everything after any change.
"""

from __future__ import annotations

import contextlib
import logging
import math
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from media.library import MediaLibrary
from media.pipeline import MediaError, Treatment, _check_focus, _decode, _treat

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Variant:
    """A named output: either ``fit`` (the whole picture within a square, natural colour) or a
    ``size`` cover-cropped around the focus and treated."""

    name: str
    size: tuple[int, int] | None = None
    fit: int | None = None
    treatment: Treatment | None = None

    @property
    def extension(self) -> str:
        # Only a cutout has transparency; everything else is an opaque photo and far smaller as JPEG.
        return ".png" if self.treatment is not None and self.treatment.style == "cutout" else ".jpg"

    @property
    def uses_focus(self) -> bool:
        return self.size is not None


#: What ``projector media prepare`` and the server make for every portrait. Portrait
#: panels are the portrait scene's (42% of the width, full height) at 1080p and 4K.
VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant("thumb", fit=480),
        Variant("portrait-1080", size=(806, 1080), treatment=Treatment()),
        Variant("portrait-2160", size=(1612, 2160), treatment=Treatment()),
        Variant("cutout-1080", size=(806, 1080), treatment=Treatment("cutout")),
        Variant("natural-1080", size=(806, 1080), treatment=Treatment("natural")),
    )
}


@dataclass(frozen=True)
class Job:
    """One variant of one picture. ``source`` is the stored original; ``target`` where the result goes."""

    media: str
    variant: str
    source: Path
    target: Path
    focus: tuple[float, float] | None = None


def variant_path(
    variants_root: Path, media_hash: str, variant: Variant, focus: tuple[float, float] | None
) -> Path:
    """``<root>/<h[:2]>/<h>/<name>[@x,y].<ext>``; the focus (3 decimals) only where the crop uses it."""
    name = variant.name
    if variant.uses_focus and focus is not None:
        fx, fy = _check_focus(focus)
        name += f"@{fx:.3f},{fy:.3f}"
    return Path(variants_root) / media_hash[:2] / media_hash / f"{name}{variant.extension}"


def jobs_for(
    library_root: Path,
    pictures: Iterable[tuple[str, tuple[float, float] | None]],
    variants: Sequence[Variant] = tuple(VARIANTS.values()),
) -> list[Job]:
    """Every (picture, focus) x variant whose file does not exist yet, each once."""
    library = MediaLibrary(library_root)
    jobs: dict[Path, Job] = {}
    for media_hash, focus in pictures:
        source = library.path_of(media_hash)
        for variant in variants:
            target = variant_path(library.variants_root, media_hash, variant, focus)
            if target not in jobs and not target.exists():
                jobs[target] = Job(media_hash, variant.name, source, target, focus)
    return list(jobs.values())


def make_variant(job: Job) -> int:
    """Make one variant file (atomically); returns its size in bytes. Raises :class:`MediaError`."""
    variant = VARIANTS[job.variant]
    data = _read(job.source)
    if variant.fit is not None:
        side = variant.fit

        def draft(raw: tuple[int, int], swapped: bool) -> tuple[int, int]:
            scale = min(1.0, side / max(raw))
            return (max(1, math.ceil(raw[0] * scale)), max(1, math.ceil(raw[1] * scale)))

        image = _decode(data, job.source, draft_for=draft)
        image.thumbnail((side, side), Image.Resampling.LANCZOS)
    else:
        assert variant.size is not None and variant.treatment is not None
        width, height = variant.size

        def needed(raw: tuple[int, int], swapped: bool) -> tuple[int, int]:
            upright = (raw[1], raw[0]) if swapped else raw
            scale = max(width / upright[0], height / upright[1])
            return (math.ceil(raw[0] * scale), math.ceil(raw[1] * scale))

        source = _decode(data, job.source, draft_for=needed)
        image = _treat(source, variant.size, variant.treatment, _check_focus(job.focus))
    return _save(job.target, image, variant)


def _read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise MediaError(path, "original not found in the media store") from None
    except OSError as exc:
        raise MediaError(path, f"cannot read ({exc.strerror or exc})") from None


def _save(target: Path, image: Image.Image, variant: Variant) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".variant-")
    try:
        with os.fdopen(fd, "wb") as f:
            if variant.extension == ".png":
                image.save(f, format="PNG", compress_level=3)
            else:
                image.convert("RGB").save(f, format="JPEG", quality=88, optimize=True)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target.stat().st_size


@dataclass
class Progress:
    """How far a batch is; ``on_change`` is called (from the preparing thread) after every job."""

    total: int = 0
    done: int = 0
    failed: int = 0
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.finished is None and self.total > 0

    def as_json(self) -> dict[str, object]:
        end = self.finished if self.finished is not None else time.monotonic()
        return {
            "total": self.total,
            "done": self.done,
            "failed": self.failed,
            "running": self.running,
            "seconds": round(end - self.started, 2),
            "errors": self.errors[-5:],
        }


def _worker_init() -> None:
    # Each worker is one core's worth: Pillow must not start threads of its own on top.
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def prepare(
    jobs: Sequence[Job],
    workers: int | None = None,
    progress: Progress | None = None,
    on_change: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Progress:
    """Make every job's variant, on ``workers`` processes (default: every core; 1: in this process).

    A picture that fails is logged and counted, never stops the batch.
    """
    progress = progress if progress is not None else Progress()
    progress.total += len(jobs)
    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))

    def finished(job: Job, error: BaseException | None) -> None:
        progress.done += 1
        if error is not None:
            progress.failed += 1
            progress.errors.append(f"{job.media[:12]} {job.variant}: {error}")
            log.warning("variant %s of %s not made: %s", job.variant, job.media, error)
        if on_change is not None:
            on_change(progress)

    if workers == 1 or len(jobs) <= 1:
        for job in jobs:
            if should_stop is not None and should_stop():
                break
            try:
                make_variant(job)
            except (MediaError, OSError, ValueError) as exc:
                finished(job, exc)
            else:
                finished(job, None)
    else:
        # spawn, not fork: the server has threads (the store writer, the event loop) that a fork would copy mid-step.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            min(workers, len(jobs)), mp_context=context, initializer=_worker_init
        ) as pool:
            pending: dict[Future[int], Job] = {pool.submit(make_variant, job): job for job in jobs}
            while pending:
                if should_stop is not None and should_stop():
                    for future in pending:
                        future.cancel()
                    break
                done, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    job = pending.pop(future)
                    error = future.exception()
                    finished(job, error)
    progress.finished = time.monotonic()
    if on_change is not None:
        on_change(progress)
    return progress
