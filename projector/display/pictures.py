"""Pictures shown whole (a logo, a layout's image), decoded off the render thread.

Portraits are cropped to fill their panel and toned (``media.pipeline``); a
logo must never be cropped and keeps its transparency, so it is fitted inside
its box instead. Decoding runs on one worker thread; the render thread only
asks :meth:`Pictures.get` each frame and gets None until the picture is ready
(or forever, for one that cannot be read: the layout shows without it, logged once).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pygame
from PIL import Image, ImageOps

from projector.core.model import MEDIA_HASH_PATTERN

log = logging.getLogger(__name__)

#: The formats the server accepts for uploads; anything else in the cache is refused here too.
FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
#: Decoded pictures kept, by (hash, size): a few layouts' worth.
KEEP = 16

_Key = tuple[str, int, int]


def fit_picture(path: Path, size: tuple[int, int]) -> tuple[bytes, tuple[int, int]]:
    """RGBA bytes of the picture at ``path`` scaled to fit inside ``size``, upright, whole."""
    with Image.open(path) as im:  # Pillow's own pixel limit refuses decompression bombs
        if im.format not in FORMATS:
            raise ValueError(f"{path.name}: {im.format} is not a picture format the display shows")
        im.seek(0)
        upright = ImageOps.exif_transpose(im).convert("RGBA")
    fitted = ImageOps.contain(upright, size, Image.Resampling.LANCZOS)
    return fitted.tobytes(), fitted.size


class Pictures:
    """Whole pictures by media hash, fitted to a box; owned and polled by the main thread."""

    def __init__(self, media_cache: Any) -> None:
        self.media_cache = media_cache
        self._pool: ThreadPoolExecutor | None = None
        self._jobs: dict[_Key, Future[tuple[bytes, tuple[int, int]]]] = {}
        self._done: OrderedDict[_Key, pygame.Surface | None] = OrderedDict()

    def get(self, media_hash: str, size: tuple[int, int]) -> pygame.Surface | None:
        """The picture fitted inside ``size``, or None while it downloads or decodes (or never could)."""
        width, height = int(size[0]), int(size[1])
        if not MEDIA_HASH_PATTERN.match(media_hash) or not (1 <= width <= 8192 and 1 <= height <= 8192):
            return None
        key = (media_hash, width, height)
        if key in self._done:
            self._done.move_to_end(key)
            return self._done[key]
        job = self._jobs.get(key)
        if job is None:
            path = self.media_cache.path(media_hash) if self.media_cache is not None else None
            if path is not None:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pictures")
                self._jobs[key] = self._pool.submit(fit_picture, Path(path), (width, height))
            return None
        if not job.done():
            return None
        del self._jobs[key]
        surface: pygame.Surface | None = None
        try:
            data, got = job.result()
            surface = pygame.image.frombytes(data, got, "RGBA")
            if pygame.display.get_init() and pygame.display.get_surface() is not None:
                surface = surface.convert_alpha()
        except Exception as exc:  # a bad file must never reach the frame loop as an exception
            log.warning("picture %s… could not be shown: %s", media_hash[:12], exc)
        self._done[key] = surface
        while len(self._done) > KEEP:
            self._done.popitem(last=False)
        return surface

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
