"""Variants at focus points no case uses: a fixed grid, and a disk cache bounded by bytes.

``GET /api/v1/media/{hash}/variants/{name}?focus=x,y`` renders a crop around any
point the caller names (the panel previews a focus before the case is saved).
Each is ~1 MB on disk, and a display token suffices to ask, so unbounded they
fill the disk one request at a time (issue 15). Two bounds:

* a focus no case uses is snapped to a grid of ``FOCUS_GRID`` steps per axis
  (1/20: 441 points), so the set of files a picture can have is finite and
  nearby clicks share one file. A twentieth of the picture is about what a
  click on the panel's small preview can tell apart anyway;
* those ad-hoc files live under their own root and are evicted least recently
  used first once they pass ``max_bytes`` in all.

Variants a case uses (its exact focus points, and those with no focus) stay under
the library's variants root, made ahead by the media service, never evicted.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections import Counter, OrderedDict
from collections.abc import Iterator
from pathlib import Path

from media.variants import Variant, variant_path

log = logging.getLogger("projector.media")

#: Steps per axis of the grid an ad-hoc focus point is snapped to.
FOCUS_GRID = 20


def snap(focus: tuple[float, float]) -> tuple[float, float]:
    """The nearest grid point (a focus is 0-1 on both axes, so is the result)."""
    return (round(focus[0] * FOCUS_GRID) / FOCUS_GRID, round(focus[1] * FOCUS_GRID) / FOCUS_GRID)


class VariantCache:
    """The ad-hoc variants on disk, least recently used first out past ``max_bytes``.

    Used from the event loop only: the bookkeeping is in memory, and the files it
    removes are a few at a time and small (an unlink each).
    """

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Path, int] = OrderedDict()
        self.total = 0
        #: Files being sent right now (by how many requests): never evicted under a reader.
        self._busy: Counter[Path] = Counter()

    def path(self, media_hash: str, variant: Variant, focus: tuple[float, float]) -> Path:
        return variant_path(self.root, media_hash, variant, snap(focus))

    def load(self) -> None:
        """Take stock of what an earlier run left, oldest first (blocking: run in a thread)."""
        found: list[tuple[float, Path, int]] = []
        if self.root.is_dir():
            for path in self.root.rglob("*"):
                if path.name.startswith(".variant-"):  # a write cut short by a crash
                    with contextlib.suppress(OSError):
                        path.unlink()
                    continue
                with contextlib.suppress(OSError):
                    stat = path.stat()
                    if path.is_file():
                        found.append((stat.st_mtime, path, stat.st_size))
        for _, path, size in sorted(found):
            self._entries[path] = size
            self.total += size
        self.evict()

    @contextlib.contextmanager
    def using(self, path: Path) -> Iterator[None]:
        """While a request makes or sends ``path``: it is the most recently used, and no
        other request's eviction removes it from under the reader."""
        self._busy[path] += 1
        if path in self._entries:
            self._entries.move_to_end(path)
        try:
            yield
        finally:
            self._busy[path] -= 1
            if not self._busy[path]:
                del self._busy[path]
            # Files skipped while being sent may have left the cache over its bound: the last
            # reader out of all evicts (oldest first; earlier, only the newest could have gone).
            if not self._busy and self.total > self.max_bytes:
                self.evict()

    def added(self, path: Path, size: int) -> None:
        """A new file was made; evict the least recently used past the bound."""
        self.total += size - self._entries.pop(path, 0)
        self._entries[path] = size
        self.evict()

    def evict(self) -> list[Path]:
        """Remove the least recently used files until the total fits, skipping any being
        sent (they go at a later eviction, once their readers are done)."""
        gone: list[Path] = []
        for path in list(self._entries):
            if self.total <= self.max_bytes:
                break
            if self._busy[path]:
                continue
            self.total -= self._entries.pop(path)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            gone.append(path)
        if gone:
            log.debug("evicted %d ad-hoc variant(s); %d bytes kept", len(gone), self.total)
        return gone

    def __len__(self) -> int:
        return len(self._entries)
