"""The pure half of text layout: bidi levels, scripts, grapheme clusters, visual order.

Nothing here knows about fonts or pygame, so it can be tested on strings
alone. ``text.py`` asks this module where a line may be cut (clusters), which
characters read right to left (levels), which shaping rules apply (script),
and in which order the shaped runs stand on screen (:func:`visual_order`).

Levels come from python-bidi, which wraps the Rust ``unicode-bidi`` crate (a
complete, maintained implementation of UAX #9). Its public API hands levels
out only through ``get_display(debug=True)``, as a debug dump; we parse that
dump and check it, and fall back to a small UBA of our own (isolates, but
no explicit embeddings, which supporters' messages do not use) if the library
is missing or its dump ever changes shape. A wall that shows every script must
not go dark because a debug format moved.

Names, countries and numbers composed into a line are wrapped in first-strong
isolates (:func:`isolate`): without them "— ليلى, Morocco" takes its direction
from the Arabic name and reads "Morocco ,ليلى —"; inside FSI ... PDI each
value is laid out on its own and the line keeps the template's direction.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from functools import lru_cache

try:  # python-bidi >= 0.6 (Rust unicode-bidi inside)
    from bidi import get_base_level as _lib_base_level  # type: ignore[import-untyped]
    from bidi import get_display as _lib_display
except ImportError:  # pragma: no cover - exercised by forcing the fallback in tests
    _lib_base_level = None
    _lib_display = None

#: Bidi classes that make a string need the full algorithm (anything else is all level 0 in LTR).
_RTL_CLASSES = frozenset({"R", "AL", "AN", "RLE", "RLO", "RLI", "LRE", "LRO", "LRI", "FSI", "PDF", "PDI"})
#: Bidi classes after which a right-to-left paragraph is no longer uniformly level 1.
_LTR_OR_NUMBER_CLASSES = frozenset(
    {"L", "EN", "AN", "LRE", "LRO", "RLE", "RLO", "LRI", "RLI", "FSI", "PDF", "PDI"}
)
_ASCII_CLASSES = frozenset({"L", "EN", "ES", "ET", "CS", "WS", "ON", "B", "S", "BN"})
#: Explicit direction controls: invisible, and removed before shaping (UAX #9, X9).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
#: Isolate initiators (UAX #9 BD8).
ISOLATE_OPENERS = frozenset((LRI, RLI, FSI))
_EMBEDDING_OPENERS = frozenset("\u202a\u202b\u202d\u202e")  # LRE, RLE, LRO, RLO
_PDF = "\u202c"
#: Nesting deeper than this is an overflow (UAX #9 BD2); a message never comes near it.
_MAX_DEPTH = 125
_LEVEL_RE = re.compile(r"Level\(\s*(\d+)")


def needs_bidi(text: str) -> bool:
    """Whether anything in ``text`` can read right to left; most lines on the wall cannot."""
    if text.isascii():
        return False
    return any(unicodedata.bidirectional(ch) in _RTL_CLASSES for ch in text if ch >= "\u0590")


def paragraph_level(text: str) -> int:
    """0 (left to right) or 1 (right to left): the first strong character decides (UAX #9 P2-P3)."""
    if not needs_bidi(text):
        return 0
    if _lib_base_level is not None:
        return 1 if _lib_base_level(text) else 0
    return _fallback_paragraph_level(text)


def embedding_levels(text: str, base: int | None = None) -> list[int]:
    """The resolved embedding level of every character (even: LTR, odd: RTL).

    Trailing whitespace takes the paragraph level (rule L1), as a line's end
    must not drag a space into the middle of a reordered run.
    """
    if base is None:
        base = paragraph_level(text)
    classes = _ASCII_CLASSES if text.isascii() else {unicodedata.bidirectional(ch) for ch in text}
    if base == 0 and not classes & _RTL_CLASSES:
        return [0] * len(text)
    if base == 1 and not classes & _LTR_OR_NUMBER_CLASSES:
        # Right-to-left letters and neutrals only (most RTL words): everything is level 1.
        return [1] * len(text)
    levels = _library_levels(text, base)
    if levels is None:
        levels = fallback_levels(text, base)
    end = len(text)
    while end and (text[end - 1].isspace() or text[end - 1] in ISOLATE_OPENERS or text[end - 1] == PDI):
        end -= 1
        levels[end] = base
    return levels


def _library_levels(text: str, base: int) -> list[int] | None:
    """Levels from unicode-bidi's debug dump, or None if the dump is not what we expect."""
    if _lib_display is None:
        return None
    try:
        dump = _lib_display(text, base_dir="R" if base else "L", debug=True)
    except Exception:  # a library failure must only demote us to the fallback
        return None
    if not isinstance(dump, str):
        return None
    # The text is printed first; "levels: [" inside a message would precede the real field.
    start = dump.rfind("levels: [")
    end = dump.find("]", start)
    if start < 0 or end < 0:
        return None
    raw = [int(x) for x in _LEVEL_RE.findall(dump, start, end)]
    if len(raw) == len(text):
        return raw
    if len(raw) != len(text.encode("utf-8")):
        return None
    # unicode-bidi indexes by UTF-8 byte; take each character's first byte.
    levels, i = [], 0
    for ch in text:
        levels.append(raw[i])
        i += len(ch.encode("utf-8"))
    return levels


# --- isolates: names and numbers that keep their own direction ------------------------------


def isolate(text: str) -> str:
    """``text`` as a first-strong isolate (FSI ... PDI), for composing it into a line.

    The value is laid out in its own direction and the line around it keeps
    its own ("— ليلى, Morocco" stays a left-to-right attribution). Unbalanced
    isolate and embedding controls inside are dropped first, so a supporter's
    name cannot close the isolate early or leak a direction into the line.
    """
    inner = _drop_unbalanced(text)
    return f"{FSI}{inner}{PDI}" if inner else ""


def isolated(template: str, /, **values: str | int) -> str:
    """``template.format(...)`` with each value isolated: ``isolated("— {name}, {country}", ...)``."""
    return template.format_map({key: isolate(str(value)) for key, value in values.items()})


def _drop_unbalanced(text: str) -> str:
    """``text`` without the isolate and embedding controls that have no partner inside it."""
    if BIDI_CONTROLS.isdisjoint(text):
        return text
    drop: set[int] = set()
    stack: list[int] = []
    for i, ch in enumerate(text):
        if ch in ISOLATE_OPENERS or ch in _EMBEDDING_OPENERS:
            stack.append(i)
        elif ch == _PDF:
            if stack and text[stack[-1]] in _EMBEDDING_OPENERS:
                stack.pop()
            else:
                drop.add(i)
        elif ch == PDI:
            if any(text[j] in ISOLATE_OPENERS for j in stack):
                # A PDI closes the embeddings opened inside its isolate (X6a): they had no PDF.
                while text[stack[-1]] not in ISOLATE_OPENERS:
                    drop.add(stack.pop())
                stack.pop()
            else:
                drop.add(i)
    drop.update(stack)
    return "".join(ch for i, ch in enumerate(text) if i not in drop)


def _matching_pdis(text: str) -> dict[int, int]:
    """Each isolate initiator's matching PDI (BD9); initiators without one are left out."""
    found: dict[int, int] = {}
    open_at: list[int] = []
    for i, ch in enumerate(text):
        if ch in ISOLATE_OPENERS:
            open_at.append(i)
        elif ch == PDI and open_at:
            found[open_at.pop()] = i
    return found


def _first_strong(text: str, start: int, end: int) -> int | None:
    """0 or 1 for the first strong character in ``text[start:end]`` outside nested isolates (P2)."""
    depth = 0
    for ch in text[start:end]:
        if ch in ISOLATE_OPENERS:
            depth += 1
        elif ch == PDI:
            depth = max(0, depth - 1)
        elif depth == 0:
            cls = _bidi_class(ch)
            if cls == "L":
                return 0
            if cls in ("R", "AL"):
                return 1
    return None


def isolate_spans(text: str) -> tuple[tuple[int, int, str], ...]:
    """Each isolate in ``text``: its initiator, its matching PDI (or ``len(text)``), and how to reopen it.

    An FSI is reopened as LRI or RLI, the direction its whole content
    resolved to, so the part of a name on the next line keeps that direction.
    """
    if FSI not in text and LRI not in text and RLI not in text:
        return ()
    matches = _matching_pdis(text)
    spans = []
    for i, ch in enumerate(text):
        if ch in ISOLATE_OPENERS:
            close = matches.get(i, len(text))
            opener = ch if ch != FSI else (RLI if _first_strong(text, i + 1, close) == 1 else LRI)
            spans.append((i, close, opener))
    return tuple(spans)


def isolated_slice(text: str, start: int, end: int, spans: Sequence[tuple[int, int, str]]) -> str:
    """``text[start:end]`` as a line of its own: isolates it cuts are closed and reopened there.

    A wrapped line that ends inside a name must not leave its FSI open (the
    rest of the line would be pulled into the name's direction), and the next
    line must continue the name in it.
    """
    reopen = "".join(opener for first, close, opener in spans if first < start <= close)
    closing = sum(1 for first, close, _ in spans if first < end <= close)
    return f"{reopen}{text[start:end]}{PDI * closing}"


# --- a small UBA of our own, for when the library is unavailable --------------------------


def _bidi_class(ch: str) -> str:
    if ch == "\u200e":
        return "L"
    if ch == "\u200f":
        return "R"
    if ch == "\u061c":
        return "AL"
    cls = unicodedata.bidirectional(ch)
    if cls in ("LRE", "LRO", "RLE", "RLO", "PDF", ""):
        return "BN"
    return cls


def _fallback_paragraph_level(text: str) -> int:
    return _first_strong(text, 0, len(text)) or 0


_ISOLATE_CLASSES = frozenset({"LRI", "RLI", "FSI", "PDI"})


def fallback_levels(text: str, base: int) -> list[int]:
    """UAX #9 with isolates but without explicit embeddings (X1-X10, W1-W7, N1-N2, I1-I2).

    Isolate initiators raise the level of what they enclose (X5a-X5c, X6a); the
    text around an isolate forms one isolating run sequence that sees the
    isolate as a single neutral (BD13), so a name in Arabic inside a Latin line
    neither takes nor gives direction to its neighbours.
    """
    n = len(text)
    classes = [_bidi_class(ch) for ch in text]
    matches = _matching_pdis(text)
    matched_pdis = set(matches.values())
    # X1-X8, isolates only: the level each character is embedded at.
    levels = [base] * n
    stack = [base]
    for i, cls in enumerate(classes):
        if cls in ("LRI", "RLI", "FSI"):
            levels[i] = stack[-1]
            rtl = cls == "RLI" or (cls == "FSI" and _first_strong(text, i + 1, matches.get(i, n)) == 1)
            raised = (stack[-1] + 1) | 1 if rtl else (stack[-1] + 2) & ~1
            stack.append(raised if raised <= _MAX_DEPTH else stack[-1])
        elif cls == "PDI" and i in matched_pdis:
            stack.pop()
            levels[i] = stack[-1]
        else:
            levels[i] = stack[-1]
    # X10: level runs joined across matched isolates into isolating run sequences.
    runs: list[list[int]] = []
    for i in range(n):
        if runs and levels[runs[-1][-1]] == levels[i]:
            runs[-1].append(i)
        else:
            runs.append([i])
    run_starting = {run[0]: run for run in runs}
    resolved = [0] * n
    for run in runs:
        if run[0] in matched_pdis:
            continue  # it continues the sequence of the initiator it closes
        sequence = list(run)
        while sequence[-1] in matches and matches[sequence[-1]] in run_starting:
            sequence.extend(run_starting[matches[sequence[-1]]])
        level = levels[sequence[0]]
        before = levels[sequence[0] - 1] if sequence[0] > 0 else base
        last = sequence[-1]
        after = base if last + 1 >= n or classes[last] in ("LRI", "RLI", "FSI") else levels[last + 1]
        sos = "R" if max(level, before) % 2 else "L"
        eos = "R" if max(level, after) % 2 else "L"
        types = _resolve([classes[i] for i in sequence], sos, eos, "R" if level % 2 else "L")
        for i, t in zip(sequence, types, strict=True):
            # I1, I2.
            if level % 2 == 0:
                resolved[i] = level + (1 if t == "R" else 2 if t in ("AN", "EN") else 0)
            else:
                resolved[i] = level + (1 if t in ("L", "EN", "AN") else 0)
    return resolved


def _resolve(types: list[str], sos: str, eos: str, embedding: str) -> list[str]:
    """Rules W1-W7 and N1-N2 on one isolating run sequence's bidi classes."""
    n = len(types)
    # W1: marks take the type of what they sit on (after an isolate boundary: neutral).
    prev = sos
    for i, t in enumerate(types):
        if t == "NSM":
            types[i] = prev if prev not in _ISOLATE_CLASSES else "ON"
        elif t != "BN":
            prev = types[i]
    # W2, W3: European digits after Arabic letters are Arabic numbers; AL is R.
    last_strong = sos
    for i, t in enumerate(types):
        if t in ("L", "R", "AL"):
            last_strong = t
        if t == "EN" and last_strong == "AL":
            types[i] = "AN"
    types = ["R" if t == "AL" else t for t in types]
    # W4: one separator between two numbers of a kind joins them.
    for i in range(1, n - 1):
        if types[i] == "ES" and types[i - 1] == types[i + 1] == "EN":
            types[i] = "EN"
        elif types[i] == "CS" and types[i - 1] == types[i + 1] and types[i - 1] in ("EN", "AN"):
            types[i] = types[i - 1]
    # W5: terminators (%, $) next to European numbers are part of them.
    i = 0
    while i < n:
        if types[i] == "ET":
            j = i
            while j < n and types[j] == "ET":
                j += 1
            if (i > 0 and types[i - 1] == "EN") or (j < n and types[j] == "EN"):
                types[i:j] = ["EN"] * (j - i)
            i = j
        else:
            i += 1
    # W6, W7.
    last_strong = sos
    for i, t in enumerate(types):
        if t in ("ES", "ET", "CS"):
            types[i] = t = "ON"
        if t in ("L", "R"):
            last_strong = t
        elif t == "EN" and last_strong == "L":
            types[i] = "L"
    # N1, N2: neutrals (isolates among them) between two of a direction take it, else the embedding's.
    strong = ["R" if t in ("EN", "AN") else t for t in types]
    i = 0
    while i < n:
        if strong[i] in ("L", "R"):
            i += 1
            continue
        j = i
        while j < n and strong[j] not in ("L", "R"):
            j += 1
        before = strong[i - 1] if i > 0 else sos
        after = strong[j] if j < n else eos
        types[i:j] = [before if before == after else embedding] * (j - i)
        i = j
    return types


def visual_order(levels: Sequence[int]) -> list[int]:
    """Indices of runs (one level each) in display order, left to right (rule L2)."""
    order = list(range(len(levels)))
    if not levels:
        return order
    highest = max(levels)
    lowest_odd = min((lv for lv in levels if lv % 2), default=highest + 1)
    for level in range(highest, lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] >= level:
                j = i
                while j < len(order) and levels[order[j]] >= level:
                    j += 1
                order[i:j] = order[i:j][::-1]
                i = j
            else:
                i += 1
    return order


# --- scripts -----------------------------------------------------------------------------

# (first, last, ISO 15924) for the scripts a wall may see; the rest is Common/Inherited or rare.
_SCRIPT_RANGES = sorted(
    (
        (0x0041, 0x005A, "Latn"), (0x0061, 0x007A, "Latn"), (0x00AA, 0x00AA, "Latn"),
        (0x00BA, 0x00BA, "Latn"), (0x00C0, 0x00D6, "Latn"), (0x00D8, 0x00F6, "Latn"),
        (0x00F8, 0x02AF, "Latn"), (0x1D00, 0x1D7F, "Latn"), (0x1E00, 0x1EFF, "Latn"),
        (0x2C60, 0x2C7F, "Latn"), (0xA720, 0xA7FF, "Latn"), (0xAB30, 0xAB6F, "Latn"),
        (0xFF21, 0xFF3A, "Latn"), (0xFF41, 0xFF5A, "Latn"),
        (0x0370, 0x03FF, "Grek"), (0x1F00, 0x1FFF, "Grek"),
        (0x0400, 0x052F, "Cyrl"), (0x1C80, 0x1C8F, "Cyrl"), (0x2DE0, 0x2DFF, "Cyrl"),
        (0xA640, 0xA69F, "Cyrl"),
        (0x0531, 0x058F, "Armn"), (0xFB13, 0xFB17, "Armn"),
        (0x0591, 0x05FF, "Hebr"), (0xFB1D, 0xFB4F, "Hebr"),
        (0x0600, 0x06FF, "Arab"), (0x0750, 0x077F, "Arab"), (0x0870, 0x08FF, "Arab"),
        (0xFB50, 0xFDFF, "Arab"), (0xFE70, 0xFEFF, "Arab"),
        (0x0700, 0x074F, "Syrc"), (0x0860, 0x086F, "Syrc"), (0x0780, 0x07BF, "Thaa"),
        (0x07C0, 0x07FF, "Nkoo"), (0x0800, 0x083F, "Samr"), (0x0840, 0x085F, "Mand"),
        (0x0900, 0x097F, "Deva"), (0xA8E0, 0xA8FF, "Deva"), (0x0980, 0x09FF, "Beng"),
        (0x0A00, 0x0A7F, "Guru"), (0x0A80, 0x0AFF, "Gujr"), (0x0B00, 0x0B7F, "Orya"),
        (0x0B80, 0x0BFF, "Taml"), (0x0C00, 0x0C7F, "Telu"), (0x0C80, 0x0CFF, "Knda"),
        (0x0D00, 0x0D7F, "Mlym"), (0x0D80, 0x0DFF, "Sinh"), (0x0E00, 0x0E7F, "Thai"),
        (0x0E80, 0x0EFF, "Laoo"), (0x0F00, 0x0FFF, "Tibt"),
        (0x1000, 0x109F, "Mymr"), (0xA9E0, 0xA9FF, "Mymr"), (0xAA60, 0xAA7F, "Mymr"),
        (0x10A0, 0x10FF, "Geor"), (0x1C90, 0x1CBF, "Geor"), (0x2D00, 0x2D2F, "Geor"),
        (0x1100, 0x11FF, "Hang"), (0x3130, 0x318F, "Hang"), (0xA960, 0xA97F, "Hang"),
        (0xAC00, 0xD7FF, "Hang"),
        (0x1200, 0x139F, "Ethi"), (0x2D80, 0x2DDF, "Ethi"), (0xAB00, 0xAB2F, "Ethi"),
        (0x13A0, 0x13FF, "Cher"), (0x1400, 0x167F, "Cans"), (0x1680, 0x169F, "Ogam"),
        (0x16A0, 0x16FF, "Runr"), (0x1700, 0x171F, "Tglg"),
        (0x1780, 0x17FF, "Khmr"), (0x19E0, 0x19FF, "Khmr"), (0x1800, 0x18AF, "Mong"),
        (0x1B00, 0x1B7F, "Bali"), (0x1C50, 0x1C7F, "Olck"), (0x2D30, 0x2D7F, "Tfng"),
        # Han, kana and bopomofo shape alike; one tag keeps mixed Japanese in one run.
        (0x2E80, 0x2FDF, "Hani"), (0x3040, 0x312F, "Hani"), (0x31F0, 0x31FF, "Hani"),
        (0x3400, 0x4DBF, "Hani"), (0x4E00, 0x9FFF, "Hani"), (0xF900, 0xFAFF, "Hani"),
        (0x20000, 0x3134F, "Hani"),
        (0xA000, 0xA4CF, "Yiii"), (0xA4D0, 0xA4FF, "Lisu"), (0xA500, 0xA63F, "Vaii"),
        (0xA6A0, 0xA6FF, "Bamu"), (0xA980, 0xA9DF, "Java"),
        (0x10D00, 0x10D3F, "Rohg"), (0x1E900, 0x1E95F, "Adlm"),
    )
)  # fmt: skip
_SCRIPT_STARTS = [r[0] for r in _SCRIPT_RANGES]


@lru_cache(maxsize=4096)
def script_of(ch: str) -> str | None:
    """The ISO 15924 tag HarfBuzz shapes ``ch`` with; None for shared characters (digits, punctuation).

    Combining marks (Inherited) also report None: they belong to their base.
    """
    if unicodedata.category(ch) in ("Mn", "Me"):
        return None
    cp = ord(ch)
    i = bisect_right(_SCRIPT_STARTS, cp) - 1
    if i >= 0 and cp <= _SCRIPT_RANGES[i][1]:
        return _SCRIPT_RANGES[i][2]
    return None


# --- grapheme clusters ---------------------------------------------------------------------

_ZWJ, _ZWNJ = "\u200d", "\u200c"


def _regional(ch: str) -> bool:
    return "\U0001f1e6" <= ch <= "\U0001f1ff"


def cluster_starts(text: str) -> list[int]:
    """Where each user-perceived character begins (UAX #29 clusters, simplified).

    A line may only be cut, and a font only changed, at these offsets: a mark
    stays with its base, a virama or Khmer coeng with the consonant it stacks,
    an emoji ZWJ sequence, skin tone or flag pair stays whole.
    """
    starts: list[int] = []
    prev = ""
    regional_run = 0
    for i, ch in enumerate(text):
        cat = unicodedata.category(ch)
        joins = bool(starts) and (
            cat in ("Mn", "Mc", "Me")
            or ch in (_ZWJ, _ZWNJ)
            or prev == _ZWJ
            or ("\U0001f3fb" <= ch <= "\U0001f3ff")  # emoji skin tones
            or ("\U000e0020" <= ch <= "\U000e007f")  # emoji tag sequences
            or (cat.startswith("L") and unicodedata.combining(prev) == 9)  # virama + consonant
            or (_regional(ch) and regional_run % 2 == 1)
        )
        regional_run = regional_run + 1 if _regional(ch) else 0
        if not joins:
            starts.append(i)
        prev = ch
    return starts


def clusters(text: str) -> list[str]:
    """``text`` cut into grapheme clusters (see :func:`cluster_starts`)."""
    starts = cluster_starts(text)
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
