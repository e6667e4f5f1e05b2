"""Screening supporters' messages before anyone sees them.

Pure: no I/O and no clock. ``screen`` takes the text, the sender's recent
history and the current time and returns a cleaned text with a verdict and the
reasons behind it; the caller stores the history and queues the message.

The verdict is deliberately cautious: a message a rule objects to is rejected,
a clean one waits for a human in the moderation queue (HOLD), and only a
trusted source with nothing at all to remark is approved automatically. The
cleaned text is plain text: escaping for HTML or anything else is the job of
whatever shows it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType

# ---------------------------------------------------------------- normalize

ZWNJ = "\u200c"
ZWJ = "\u200d"
#: Bidi overrides, embeddings, isolates and marks. All are category Cf and so
#: removed anyway; listed here to say so explicitly.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_KEPT_FORMAT = frozenset((ZWJ, ZWNJ))
_MARK_CATEGORIES = frozenset(("Mn", "Me"))
_WHITESPACE = re.compile(r"\s+")


def _drop_invisibles(text: str) -> str:
    out: list[str] = []
    for ch in text:
        cp = ord(ch)
        if 0xD800 <= cp <= 0xDFFF:  # lone surrogate
            continue
        cat = unicodedata.category(ch)
        if cat == "Cc":
            if ch.isspace():  # newline, tab, CR, NEL ...: a word break
                out.append(" ")
            continue
        if cat == "Cf" and ch not in _KEPT_FORMAT:
            continue
        out.append(ch)
    return "".join(out)


#: What draws nothing: controls, format characters (ZWJ, ZWSP, BOM, bidi marks,
#: tags), separators, and marks, which have no base to sit on in such a text.
_INVISIBLE_CATEGORIES = frozenset(("Cc", "Cf", "Cs", "Zs", "Zl", "Zp", "Mn", "Me"))
#: Letters and symbols that draw nothing all the same, the usual filler of
#: "blank" names and messages: Hangul fillers, the empty braille cell, Khmer
#: inherent vowels.
_BLANK_GRAPHICS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5")


def is_blank(text: str) -> bool:
    """True when ``text`` would draw nothing at all: empty, or only invisible characters.

    ``normalize`` keeps ZWJ and ZWNJ (they shape the letters around them), so a
    text of only joiners survives it; this is the test for "empty" after that.
    """
    return all(unicodedata.category(ch) in _INVISIBLE_CATEGORIES or ch in _BLANK_GRAPHICS for ch in text)


def _cap_marks(text: str, max_marks: int) -> str:
    out: list[str] = []
    run = 0
    for ch in text:
        if unicodedata.category(ch) in _MARK_CATEGORIES:
            run += 1
            if run > max_marks:
                continue
        elif ch not in _KEPT_FORMAT:  # ZWJ/ZWNJ do not start a new stack of marks
            run = 0
        out.append(ch)
    return "".join(out)


def _normalize_once(text: str, max_marks: int) -> str:
    text = _drop_invisibles(text)
    text = unicodedata.normalize("NFC", text)
    text = _cap_marks(text, max_marks)
    return _WHITESPACE.sub(" ", text).strip()


def normalize(text: str, *, max_marks: int = 2) -> str:
    """NFC, without invisible controls, zalgo capped to ``max_marks`` per base, whitespace collapsed.

    ZWJ and ZWNJ stay (emoji sequences, Persian and Indic shaping). Idempotent.
    """
    result = _normalize_once(text, max_marks)
    for _ in range(3):  # removing a control can let NFC compose further; settle at a fixed point
        again = _normalize_once(result, max_marks)
        if again == result:
            break
        result = again
    return result


# ------------------------------------------------------------ contact data

_TLDS = (
    "com|net|org|info|biz|io|co|xyz|app|dev|site|online|top|click|link|live|shop|store|club|"
    "ru|cn|de|uk|fr|es|tr|br|eu|nl|pl|ua|ir|ly|gl|gg|tk|ml|ga|cf|gq|ws|su|pw|cc|tv|gd|ink|page|"
    "me|to"
)
_URL = re.compile(r"(?:\b(?:https?|ftp)://|\bwww\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_DOMAIN = re.compile(
    r"(?<![\w@.])(?:[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\.)+(?:" + _TLDS + r")\b(?:[/?#:][^\s]*)?",
    re.IGNORECASE | re.ASCII,
)
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d \t().-]{5,}\d(?!\w)")
MIN_PHONE_DIGITS = 7
#: "2024-2025" has eight digits but is a span of years, not a phone number.
_YEAR_SPAN = re.compile(r"(?:19|20)\d\d\s*[-–]\s*(?:19|20)\d\d")
#: Nor is a date such as 28.11.2026 or 2026-11-28. ("612 345 678" stays a phone
#: number: Spanish mobiles are written like thousands, and a number left on a
#: building is worse than a figure taken out of a message.)
_DATE = re.compile(r"(?:\d{1,2}[./-]\d{1,2}[./-](?:19|20)\d\d|(?:19|20)\d\d-\d{1,2}-\d{1,2})")


def _strip_contacts_detail(text: str) -> tuple[str, tuple[str, ...]]:
    found: list[str] = []

    def sub(pattern: re.Pattern[str], what: str, value: str, min_digits: int = 0) -> str:
        hit = False

        def repl(m: re.Match[str]) -> str:
            nonlocal hit
            if min_digits and (
                sum(c.isdigit() for c in m.group()) < min_digits
                or _YEAR_SPAN.fullmatch(m.group())
                or _DATE.fullmatch(m.group())
            ):
                return m.group()
            hit = True
            return " "

        value = pattern.sub(repl, value)
        if hit:
            found.append(what)
        return value

    text = sub(_URL, "link", text)
    text = sub(_EMAIL, "e-mail address", text)
    text = sub(_DOMAIN, "link", text)
    text = sub(_PHONE, "phone number", text, MIN_PHONE_DIGITS)
    if not found:
        return text, ()
    kinds = tuple(dict.fromkeys(found))
    return _WHITESPACE.sub(" ", text).strip(), kinds


def strip_contacts(text: str) -> tuple[str, bool]:
    """Remove URLs, bare domains, e-mail addresses and phone numbers (7+ digits).

    Returns the cleaned text and whether anything was removed.
    """
    cleaned, kinds = _strip_contacts_detail(text)
    return cleaned, bool(kinds)


# -------------------------------------------------------------- blocklists

_LEET_DIGITS = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"}
_LEET = str.maketrans(_LEET_DIGITS)
#: Symbols are letters in "@ss" and "1d!0t" but punctuation in "you idiot!": both readings are tried.
_LEET_SYMBOLS = str.maketrans({**_LEET_DIGITS, "@": "a", "$": "s", "!": "i", "|": "l"})
_INTRA_SEPARATORS = re.compile(r"(?<=\w)[-._*'’]+(?=\w)")
_INNER_SYMBOLS = re.compile(r"[@$!|]+(?=\w)")
#: Cyrillic and Greek letters that look like Latin ones ("іdіоt" with Cyrillic і and о).
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j",
        "ѕ": "s", "ԁ": "d", "ӏ": "l", "ı": "i",
        "α": "a", "ο": "o", "ι": "i", "ν": "v", "κ": "k", "ρ": "p", "τ": "t", "υ": "u",
    }
)  # fmt: skip
_WORD = re.compile(r"\w+")
_NON_WORD = re.compile(r"[\W_]+")
_RUNS = re.compile(r"(.)\1{2,}")
#: Scripts written without spaces between words: blocklist entries in them match as substrings.
_NO_SPACE_SCRIPTS = (
    (0x0E00, 0x0E7F),  # Thai
    (0x0E80, 0x0EFF),  # Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x19E0, 0x19FF),  # Khmer symbols
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified
    (0xF900, 0xFAFF),  # CJK compatibility
    (0x20000, 0x3FFFF),  # CJK extensions B...
)


def _fold(text: str, *, symbols: bool = False) -> str:
    """Casefold, drop diacritics, undo leet (digits; also symbols if asked) and look-alike letters."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _MARK_CATEGORIES)
    return text.translate(_LEET_SYMBOLS if symbols else _LEET).translate(_CONFUSABLES)


def _is_no_space(entry: str) -> bool:
    return any(lo <= ord(ch) <= hi for ch in entry for lo, hi in _NO_SPACE_SCRIPTS)


def _word_views(folded: str) -> list[str]:
    """Space-padded token strings to search for " entry ": the words, and evasion-undoing variants."""
    tokens = _WORD.findall(folded)
    views = {" ".join(tokens)}
    # "i d i o t", "i.d.i.o.t": runs of three or more one-letter tokens also read as one word
    joined: list[str] = []
    singles: list[str] = []
    for tok in [*tokens, ""]:
        if len(tok) == 1:
            singles.append(tok)
            continue
        if len(singles) >= 3:
            joined.append("".join(singles))
        else:
            joined.extend(singles)
        singles = []
        if tok:
            joined.append(tok)
    views.add(" ".join(joined))
    # "idiooot", "assss": stretched letters
    for view in list(views):
        views.add(_RUNS.sub(r"\1", view))
        views.add(_RUNS.sub(r"\1\1", view))
    return [f" {v} " for v in views]


def _entries(blocklists: Mapping[str, frozenset[str]], lang: str | None) -> list[str]:
    if lang is None:  # unknown language: every list applies
        keys: Iterable[str] = blocklists.keys()
    else:
        base = lang.strip().lower().replace("_", "-").split("-")[0]
        keys = ("*", lang.strip().lower(), base)
    seen: dict[str, None] = {}
    for key in keys:
        for entry in sorted(blocklists.get(key, frozenset())):
            seen[entry] = None
    return list(seen)


def find_blocked(text: str, blocklists: Mapping[str, frozenset[str]], lang: str | None) -> list[str]:
    """The blocklist entries ``text`` contains, in list order.

    Spaced scripts match whole words (and whole phrases); scripts without spaces
    match substrings.
    """
    entries = _entries(blocklists, lang)
    if not entries:
        return []
    folded = _fold(text)
    # three readings of "@$!|": letters everywhere ("a$$"), only inside words ("1d!0t!!"), nowhere ("idiot!")
    inner = _INNER_SYMBOLS.sub(lambda m: m.group().translate(_LEET_SYMBOLS), text)
    views = _word_views(folded) + _word_views(_fold(text, symbols=True)) + _word_views(_fold(inner))
    # "ass-hole", "f.u.c.k", "sh*t": separators inside a word do not split it
    views += _word_views(_INTRA_SEPARATORS.sub("", _fold(inner)))
    squeezed = _NON_WORD.sub("", folded)
    hits: list[str] = []
    for entry in entries:
        f_entry = _fold(entry)
        if _is_no_space(f_entry):
            needle = _NON_WORD.sub("", f_entry)
            if needle and needle in squeezed:
                hits.append(entry)
            continue
        words = _WORD.findall(f_entry)
        if not words:
            continue
        needle = f" {' '.join(words)} "
        if any(needle in view for view in views):
            hits.append(entry)
    return hits


def parse_blocklist(text: str) -> frozenset[str]:
    """One entry per line; ``#`` starts a comment; blank lines are ignored. Entries are casefolded."""
    entries: set[str] = set()
    for line in text.splitlines():
        entry = _WHITESPACE.sub(" ", line.split("#", 1)[0]).strip()
        if entry:
            entries.add(unicodedata.normalize("NFC", entry).casefold())
    return frozenset(entries)


#: A small starting list. Real deployments add their own per language. Entries
#: are chosen so that, once diacritics are removed, none is an everyday word in
#: another of these languages (Turkish "göt" would become English "got").
DEFAULT_BLOCKLIST: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "en": frozenset(
            {
                "idiot", "moron", "retard", "bitch", "bastard", "asshole", "fuck", "fucking",
                "fucker", "motherfucker", "shit", "cunt", "whore", "slut", "faggot", "nigger",
                "kill yourself",
            }
        ),
        "es": frozenset(
            {
                "puta", "puto", "pendejo", "cabrón", "gilipollas", "maricón", "mierda",
                "hijo de puta", "imbécil", "idiota", "zorra",
            }
        ),
        "fr": frozenset(
            {
                "connard", "connasse", "salope", "pute", "enculé", "pédé", "nègre", "merde",
                "ta gueule", "fils de pute", "salaud",
            }
        ),
        "tr": frozenset(
            {
                "orospu", "orospu çocuğu", "siktir", "amına koyayım", "yavşak", "şerefsiz",
                "gerizekalı", "ibne", "piç kurusu", "pezevenk",
            }
        ),
    }
)  # fmt: skip


# ---------------------------------------------------------------- screening


class Verdict(Enum):
    REJECT = "reject"
    HOLD = "hold"  # to the moderation queue
    APPROVE = "approve"  # automatic: trusted source, no rule fired


@dataclass(frozen=True)
class Rules:
    max_length: int = 280
    min_length: int = 2
    max_name_length: int = 60
    blocklists: Mapping[str, frozenset[str]] = field(default_factory=lambda: DEFAULT_BLOCKLIST)
    flood_window: float = 600.0
    flood_max: int = 3
    #: Messages from one address (the public form) in ``flood_window``, whatever cookies
    #: they carry: bounds a script that collects sender cookies; high enough for a
    #: venue's shared wifi.
    address_flood_max: int = 30
    duplicate_window: float = 3600.0
    trusted_sources: frozenset[str] = frozenset()

    @property
    def history_span(self) -> float:
        """How long a sender's history must be kept for these rules."""
        return max(self.flood_window, self.duplicate_window)


#: How much longer than the limit raw input may be before it is refused unread.
RAW_SLACK = 20

#: Most entries kept per sender; a flood past this is still a flood.
MAX_HISTORY = 256
_DEFAULT_SPAN = 3600.0  # Rules().history_span with the default windows


@dataclass(frozen=True)
class SenderHistory:
    """One sender's recent messages as ``(time, message_key)``, oldest first. The caller stores it."""

    entries: tuple[tuple[float, str], ...] = ()

    def record(self, now: float, key: str, *, keep_for: float = _DEFAULT_SPAN) -> SenderHistory:
        """This history plus a message at ``now``, without entries older than ``keep_for`` seconds.

        Pass ``keep_for=rules.history_span`` when the rules' windows differ from the defaults.
        """
        kept = [(t, k) for t, k in self.entries if now - t < keep_for]
        kept.append((now, key))
        return SenderHistory(tuple(kept[-MAX_HISTORY:]))


@dataclass(frozen=True)
class Screened:
    text: str  # cleaned
    name: str  # cleaned
    verdict: Verdict
    reasons: tuple[str, ...]
    key: str = ""  # message_key(text): record it in the sender's history


def message_key(text: str) -> str:
    """What makes two messages "the same": casefolded letters and digits only.

    Text with no letter or digit at all (emoji only) keys on its visible characters.
    """
    norm = normalize(text)
    key = "".join(ch for ch in norm.casefold() if ch.isalnum())
    if key:
        return key
    return "".join(ch for ch in norm.casefold() if not ch.isspace())


def _window_words(seconds: float) -> str:
    if seconds % 3600 == 0 and seconds >= 3600:
        hours = int(seconds // 3600)
        return f"{hours} hour{'s' if hours != 1 else ''}"
    if seconds % 60 == 0 and seconds >= 60:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} seconds"


def screen(
    text: str,
    name: str,
    *,
    lang: str | None,
    source: str,
    sender_history: SenderHistory,
    now: float,
    rules: Rules,
) -> Screened:
    """Clean a supporter's message and name, and decide: REJECT, HOLD or APPROVE."""
    reasons: list[str] = []
    reject = False

    # Far past any limit: refuse before spending work on it. The slack allows for what
    # cleaning removes (zalgo marks, invisible characters, a stripped link).
    if len(text) > rules.max_length * RAW_SLACK + 1024:
        reasons.append(f"too long ({len(text)} > {rules.max_length})")
        return Screened("", "", Verdict.REJECT, tuple(reasons))
    if len(name) > rules.max_name_length * RAW_SLACK + 256:
        reasons.append(f"name too long ({len(name)} > {rules.max_name_length})")
        return Screened("", "", Verdict.REJECT, tuple(reasons))

    clean_name, name_kinds = _strip_contacts_detail(normalize(name))
    if is_blank(clean_name):  # a "name" of fillers is no name: the message is anonymous
        clean_name = ""
    for kind in name_kinds:
        reasons.append(f"{kind} removed from name")
    if len(clean_name) > rules.max_name_length:
        reasons.append(f"name too long ({len(clean_name)} > {rules.max_name_length})")
        reject = True
    else:
        for entry in find_blocked(clean_name, rules.blocklists, lang):
            reasons.append(f"blocked word '{entry}' in name")
            reject = True

    clean, kinds = _strip_contacts_detail(normalize(text))
    for kind in kinds:
        reasons.append(f"{kind} removed")
    if is_blank(clean):
        clean = ""
        reasons.append("empty message")
        reject = True
    elif len(clean) < rules.min_length:
        reasons.append(f"too short ({len(clean)} < {rules.min_length})")
        reject = True
    if len(clean) > rules.max_length:
        reasons.append(f"too long ({len(clean)} > {rules.max_length})")
        reject = True
    else:
        for entry in find_blocked(clean, rules.blocklists, lang):
            reasons.append(f"blocked word '{entry}'")
            reject = True

    key = message_key(clean) if clean else ""
    recent = sum(1 for t, _ in sender_history.entries if now - t < rules.flood_window)
    if recent + 1 > rules.flood_max:
        reasons.append(
            f"flood: {recent + 1} messages from this sender in {_window_words(rules.flood_window)}"
        )
        reject = True
    if key and any(k == key and now - t < rules.duplicate_window for t, k in sender_history.entries):
        reasons.append("duplicate of a recent message")
        reject = True

    if reject:
        verdict = Verdict.REJECT
    elif not reasons and source in rules.trusted_sources:
        verdict = Verdict.APPROVE
    else:
        verdict = Verdict.HOLD
    return Screened(clean, clean_name, verdict, tuple(reasons), key)
