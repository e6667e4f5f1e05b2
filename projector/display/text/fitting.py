"""Text fitted to a box: the largest size at which it wraps into the box whole, with balanced lines.

A case's name and its call to action must never lose a word to an ellipsis on
a building, whatever the screen's shape. So a scene asks for the box it has
and the sizes it allows; the fitter finds the largest size at which the whole
text wraps inside (binary search: wrapping is monotonic in size), then
balances the lines (the narrowest width that still gives the same number of
lines), so "WRITE TO THE PROSECUTOR GENERAL OF BELARUS" reads as two even
lines instead of a long one and a stub.

Results are cached by everything they depend on: a scene entered again, or
the same words on the next display of a wall, costs a dictionary lookup.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from projector.display.text.renderer import TextRenderer

CACHE_SIZE = 1024
#: A run of this many characters with no space is a sentence in a script written without
#: spaces (or a link), not a word: it may be broken between clusters.
UNSPACED_RUN = 24


@dataclass(frozen=True, slots=True)
class Fitted:
    """Where the fitter landed: the size, the lines, and the block they make."""

    size: int
    lines: tuple[str, ...]
    width: int
    height: int
    #: False when even the smallest size allowed did not fit the box: the words are
    #: still all there (never cut), but the block is taller than the box.
    fits: bool


class TextFitter:
    def __init__(self, text: TextRenderer) -> None:
        self.text = text
        self._cache: OrderedDict[tuple[object, ...], Fitted] = OrderedDict()

    def fit(
        self,
        words: str,
        face: str,
        width: int,
        height: int,
        max_size: int,
        min_size: int = 8,
        *,
        max_lines: int = 0,
        leading: float = 1.0,
        balance: bool = True,
    ) -> Fitted:
        """The largest size in [``min_size``, ``max_size``] at which ``words`` fit ``width`` x ``height``.

        ``max_lines`` (0: any) caps the lines. The text is never shortened.
        """
        width, height = max(1, int(width)), max(1, int(height))
        max_size = max(1, int(max_size))
        min_size = max(1, min(int(min_size), max_size))
        key = (words, face, width, height, max_size, min_size, int(max_lines), float(leading), bool(balance))
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
            return found
        made = self._fit(key)
        self._cache[key] = made
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return made

    def _fit(self, key: tuple[str, str, int, int, int, int, int, float, bool]) -> Fitted:
        words, face, width, height, max_size, min_size, max_lines, leading, balance = key
        # A word is not cut in two while a smaller size keeps it whole ("Karpo-vich" on a
        # building reads as two words); a run with no spaces (Thai, Khmer, Chinese, a link)
        # has to be cut between clusters anyway.
        tokens = [t for t in words.split() if len(t) <= UNSPACED_RUN]

        def attempt(size: int) -> tuple[list[str], int, bool]:
            lines = self.text.wrap(words, face, size, width) or [""]
            block = self.text.block_height(lines, face, size, leading)
            widest = max(self.text.width(line, face, size) for line in lines)
            ok = (not max_lines or len(lines) <= max_lines) and block <= height and widest <= width
            if ok and tokens:
                ok = max(self.text.width(t, face, size) for t in tokens) <= width
            return lines, block, ok

        lines, block, ok = attempt(max_size)
        size = max_size
        if not ok:
            lo, hi = min_size, max_size - 1  # the answer is in [lo, hi], or min_size if nothing fits
            best: tuple[int, list[str], int] | None = None
            while lo <= hi:
                mid = (lo + hi) // 2
                got, got_block, got_ok = attempt(mid)
                if got_ok:
                    best, lo = (mid, got, got_block), mid + 1
                else:
                    hi = mid - 1
            if best is None:
                size = min_size
                lines, block, _ = attempt(min_size)
                return self._done(lines, face, size, block, fits=False)
            size, lines, block = best
        if balance and len(lines) > 1:
            lines = self._balanced(words, face, size, width, len(lines))
            block = self.text.block_height(lines, face, size, leading)
        return self._done(lines, face, size, block, fits=True)

    def _balanced(self, words: str, face: str, size: int, width: int, count: int) -> list[str]:
        """The same number of lines at the narrowest width that still gives that number."""
        lo, hi = 1, width
        best = self.text.wrap(words, face, size, width)
        while hi - lo > max(2, width // 200):
            mid = (lo + hi) // 2
            lines = self.text.wrap(words, face, size, mid)
            if len(lines) <= count and all(self.text.width(line, face, size) <= mid for line in lines):
                hi, best = mid, lines
            else:
                lo = mid
        return best

    def _done(self, lines: list[str], face: str, size: int, block: int, *, fits: bool) -> Fitted:
        widest = max((self.text.width(line, face, size) for line in lines), default=0)
        return Fitted(size, tuple(lines), widest, block, fits)
