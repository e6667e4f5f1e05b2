"""Where a paragraph may be broken into lines: ICU's line breaker, with a language hint.

Thai, Khmer, Lao and Myanmar are written without spaces between words; a
line cut between any two letters cuts a word in half ("...ถูกคุมขังเพ / ราะ...").
ICU's line breaker (UAX #14 plus dictionaries for those scripts) knows where
the words are, and its rules include CJK kinsoku (no line starts with "。" or
"」", none ends with "「"). This module asks it once per paragraph and
remembers the answer, since a scene wraps the same message at many sizes
(fitting) and on every frame.

Nothing here knows about fonts: ``text.py`` fills lines greedily from these
opportunities and still cuts between grapheme clusters when one unbreakable
stretch is wider than the line.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise

try:  # ICU (a dependency); the space-only fallback keeps a screen lit if it ever fails to load
    from icu4py.breakers import LineBreaker
except ImportError:  # pragma: no cover - exercised through space_breaks in tests
    LineBreaker = None  # type: ignore[assignment,misc]

#: A language tag longer than this is not a language tag (it is part of a cache key).
_MAX_TAG = 35
_TAG_RE = re.compile(r"[A-Za-z0-9_@=;-]+")
_SPACE_RUN = re.compile(r" +")


def _icu_locale(lang: str | None) -> str:
    """The ICU locale for a BCP-47 hint; "" (ICU's root rules) when there is none or it is unusable.

    Japanese gets ICU's strict line breaking: by default ICU lets a line start
    with a small kana or "ー" in Japanese (CSS's "normal"), which the root rules
    and this project's kinsoku never allowed; a headline on a wall keeps the
    stricter, traditional rule whatever language hint it came with.
    """
    if not lang or len(lang) > _MAX_TAG or not _TAG_RE.fullmatch(lang):
        return ""
    primary = re.split(r"[-_@]", lang, maxsplit=1)[0].lower()
    if primary == "ja" and "-u-" not in lang.lower() and "@" not in lang:
        return f"{lang}-u-lb-strict"
    return lang


def break_opportunities(text: str, lang: str | None = None) -> tuple[int, ...]:
    """Offsets in ``text`` where a line may end, ascending; the last is ``len(text)``.

    Each segment ``text[previous:offset]`` keeps the spaces that follow it, as
    ICU gives them. ``lang`` is a BCP-47 tag ("th", "km", "ja"); scripts with
    dictionaries are recognised without one, it matters for CJK tailorings.
    """
    if not text:
        return ()
    return _cached_breaks(text, _icu_locale(lang))


@lru_cache(maxsize=512)
def _cached_breaks(text: str, locale: str) -> tuple[int, ...]:
    if LineBreaker is None:
        return space_breaks(text)
    try:
        if text.isascii() or max(text) < "\U00010000":
            # ICU counts UTF-16 units; without astral characters they are Python's indices.
            ends = tuple(end for _, end in LineBreaker(text, locale).segments())
        else:
            offsets, at = [], 0
            for piece in LineBreaker(text, locale):
                at += len(piece)
                offsets.append(at)
            ends = tuple(offsets)
    except (ValueError, RuntimeError, UnicodeError):  # ICU failing must only cost us the words
        return space_breaks(text)
    if not ends or ends[-1] != len(text):
        return space_breaks(text)
    return ends


def space_breaks(text: str, lang: str | None = None) -> tuple[int, ...]:
    """Break opportunities after runs of spaces only: the fallback, and the old behaviour.

    Text written without spaces gets none here; the caller cuts it between
    grapheme clusters (which is what wrapping did before ICU).
    """
    ends = [m.end() for m in _SPACE_RUN.finditer(text) if 0 < m.end() < len(text)]
    return (*ends, len(text)) if text else ()


def segments(text: str, lang: str | None = None) -> list[str]:
    """``text`` cut at every break opportunity (each piece keeps its trailing spaces)."""
    starts = (0, *break_opportunities(text, lang))
    return [text[a:b] for a, b in pairwise(starts)]
