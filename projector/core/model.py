"""Domain values: actions, cases, campaign settings and totals.

Everything here is an immutable value. Validation that only needs the value
itself (a channel name, a country code, a count) lives here too, so the HTTP
layer, the store and the replica share one definition of "valid".
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import msgspec
import pycountry

#: Largest count one action may carry. A university's offline tally of letters
#: is thousands; a count in the billions is a typo or an attack and would make
#: the public total a lie, so it is refused rather than clamped.
MAX_ACTION_COUNT = 10_000_000

#: Ids, case slugs and sources are short human-readable strings.
MAX_ID_LENGTH = 128
MAX_SOURCE_LENGTH = 128
CASE_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

COUNTRY_CODES: frozenset[str] = frozenset(c.alpha_2 for c in pycountry.countries)
#: Control characters and lone surrogates: never valid in an id, a name or a source.
FORBIDDEN_CHARS = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


class ValidationError(ValueError):
    """A value broke a rule. ``field`` names the offending field for the client."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Channel(enum.Enum):
    """How a supporter acted. The wire uses the lower-case value."""

    LETTER = "letter"
    EMAIL = "email"
    SMS = "sms"
    FAX = "fax"
    TWEET = "tweet"
    SIGNATURE = "signature"
    OTHER = "other"

    @classmethod
    def parse(cls, value: object, field: str = "channel") -> Channel:
        if not isinstance(value, str):
            raise ValidationError(field, "must be a string")
        channel = CHANNEL_BY_VALUE.get(value)  # a dict lookup: Enum(value) is slow on the ingest path
        if channel is None:
            names = ", ".join(c.value for c in cls)
            raise ValidationError(field, f"unknown channel {value!r}; expected one of {names}")
        return channel


CHANNEL_BY_VALUE: dict[str, Channel] = {c.value: c for c in Channel}


def is_country_code(code: str) -> bool:
    return code in COUNTRY_CODES


def parse_country(value: object, field: str = "country") -> str:
    """Return an upper-case ISO 3166-1 alpha-2 code or raise ``ValidationError``."""
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string (ISO 3166-1 alpha-2)")
    code = value if value in COUNTRY_CODES else value.upper()
    if code not in COUNTRY_CODES:
        raise ValidationError(field, f"unknown country code {value!r} (ISO 3166-1 alpha-2)")
    return code


def parse_count(value: object, field: str = "count") -> int:
    # bool is an int subclass in Python; `true` is not a count.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, "must be an integer")
    if value < 1:
        raise ValidationError(field, f"must be at least 1, got {value}")
    if value > MAX_ACTION_COUNT:
        raise ValidationError(field, f"must be at most {MAX_ACTION_COUNT}, got {value}")
    return value


def parse_text(value: object, field: str, max_length: int, *, required: bool = True) -> str:
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string")
    if required and not value.strip():
        raise ValidationError(field, "must not be empty")
    if len(value) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters")
    if FORBIDDEN_CHARS.search(value):
        raise ValidationError(field, "must not contain control characters or lone surrogates")
    return value


def parse_case_id(value: object, field: str = "case") -> str:
    if not isinstance(value, str) or not CASE_ID_PATTERN.match(value):
        raise ValidationError(field, "must be a case id: lower-case letters, digits, '-' or '_' (1-64)")
    return value


class Action(msgspec.Struct, frozen=True, gc=False):
    """One supporter action, or an offline tally of ``count`` identical ones.

    ``at`` is when it happened (client's claim, epoch seconds) and may be None;
    ``entered_by`` names the operator who typed a manual tally.

    A msgspec struct rather than a dataclass: the event loop makes one per action
    of every batch, and a struct is built in C, where a frozen dataclass sets each
    field through ``object.__setattr__`` (about 1 µs an action, a tenth of what
    the whole server spends on one). ``gc=False``: it holds strings, numbers and
    an enum member, nothing that can form a cycle.
    """

    id: str
    channel: Channel
    country: str
    count: int = 1
    case: str | None = None
    at: float | None = None
    source: str | None = None
    entered_by: str | None = None


class CaseStatus(enum.Enum):
    ACTIVE = "active"
    RELEASED = "released"
    CLOSED = "closed"


#: A language tag: ISO 639 language, then optional BCP 47 subtags ("pt-BR", "zh-Hant").
LANG_PATTERN = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}$")
#: A media file's name in the store: the SHA-256 of its (cleaned) bytes, lower-case hex.
MEDIA_HASH_PATTERN = re.compile(r"^[0-9a-f]{64}$")
#: Further portraits one case may carry besides the main one.
MAX_EXTRA_PORTRAITS = 8
#: Languages one dossier may be written in, the default one included.
MAX_LANGUAGES = 24
#: The language a case's story and ask are in when nobody said.
DEFAULT_LANG = "en"


def parse_lang(value: object, field: str = "lang") -> str:
    """A language tag, normalised the BCP 47 way: ``PT-br`` -> ``pt-BR``, ``zh-hant`` -> ``zh-Hant``."""
    if not isinstance(value, str):
        raise ValidationError(field, "must be a language tag such as en, tr or pt-BR")
    parts = value.strip().replace("_", "-").split("-")
    norm = [parts[0].lower()]
    for part in parts[1:]:
        norm.append(part.upper() if len(part) == 2 else part.title() if len(part) == 4 else part.lower())
    tag = "-".join(norm)
    if not LANG_PATTERN.match(tag):
        raise ValidationError(field, f"{value!r} is not a language tag such as en, tr or pt-BR")
    return tag


def parse_media_hash(value: object, field: str = "portrait") -> str:
    """A media reference: 64 lower-case hex digits, so it can never name a path."""
    if not isinstance(value, str) or not MEDIA_HASH_PATTERN.match(value):
        raise ValidationError(field, "must be a media hash (64 hex digits, from POST /api/v1/media)")
    return value


def parse_focus(value: object, field: str = "focus") -> tuple[float, float]:
    """The point of a picture to keep in frame: ``[x, y]`` as fractions of its width and height."""
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and 0 <= v <= 1
            for v in value
        )
    ):
        raise ValidationError(field, "must be [x, y] with two numbers from 0 to 1")
    return (float(value[0]), float(value[1]))


@dataclass(frozen=True, slots=True)
class CaseText:
    """A case's story and call to action in one language."""

    story: str = ""
    ask: str = ""


@dataclass(frozen=True, slots=True)
class Portrait:
    """A further picture of a case: a media hash and the point to keep in frame (None: the face)."""

    media: str
    focus: tuple[float, float] | None = None


def _no_texts() -> Mapping[str, CaseText]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Case:
    """A person or community the campaign acts for.

    ``story`` and ``ask`` are in ``lang``; ``translations`` holds them in other
    languages (never ``lang`` itself). ``portrait`` is the main picture: a
    media hash (uploaded) or, for dossiers read from a local folder, a file
    name; ``focus`` is the point of it to keep in frame (None: the middle of
    the upper third, where a face usually is). ``portraits`` are more pictures.
    """

    id: str
    name: str
    country: str
    story: str = ""
    ask: str = ""
    status: CaseStatus = CaseStatus.ACTIVE
    portrait: str | None = None  # media reference (content hash or file name)
    lang: str = DEFAULT_LANG
    translations: Mapping[str, CaseText] = field(default_factory=_no_texts)
    focus: tuple[float, float] | None = None
    portraits: tuple[Portrait, ...] = ()

    @property
    def languages(self) -> tuple[str, ...]:
        """Every language the dossier has, the default first."""
        return (self.lang, *(lang for lang in self.translations if lang != self.lang))

    def media(self) -> tuple[str, ...]:
        """Every media hash this case shows, main portrait first (file names are not media)."""
        refs = [self.portrait] if self.portrait and MEDIA_HASH_PATTERN.match(self.portrait) else []
        refs.extend(p.media for p in self.portraits if p.media not in refs)
        return tuple(refs)


def case_text(case: Case, languages: Sequence[str] = ()) -> tuple[str, CaseText]:
    """``(language, text)``: the first of ``languages`` the dossier has, else its default text.

    An exact tag wins; otherwise the base language matches either way round
    ("pt" takes "pt-BR", "pt-BR" takes "pt"), so a display set to ``tr,en``
    shows the Turkish story where there is one and English where there is not.
    A translation with an empty story and ask does not count.
    """
    texts: dict[str, CaseText] = {case.lang: CaseText(case.story, case.ask)}
    for lang, text in case.translations.items():
        if lang != case.lang and (text.story or text.ask):
            texts[lang] = text
    for wanted in languages:
        if wanted in texts:
            return wanted, texts[wanted]
        base = wanted.split("-", 1)[0].lower()
        for lang, text in texts.items():
            if lang.split("-", 1)[0].lower() == base:
                return lang, text
    return case.lang, texts[case.lang]


@dataclass(frozen=True, slots=True)
class CampaignText:
    """The campaign's own words in one language; an empty field means "not given here"."""

    name: str = ""
    tagline: str = ""
    call_to_action: str = ""


#: The operator's words a campaign may give per language (``CampaignText``'s fields).
CAMPAIGN_TEXT_FIELDS = ("name", "tagline", "call_to_action")
#: The longest locale tag a display may be given (``zh-Hant-TW`` and longer BCP 47 tags).
MAX_LOCALE_TAG = 35
#: The longest campaign name, tagline or call to action, in characters: a line on a building.
MAX_CAMPAIGN_TEXT = 200


def _no_campaign_texts() -> Mapping[str, CampaignText]:
    return MappingProxyType({})


#: A brand colour on the wire and in the store: ``#rrggbb``, lower-case.
COLOUR_PATTERN = re.compile(r"^#[0-9a-f]{6}$")
#: Headline fonts a brand kit may choose, all packaged (``fontpkg-*``): a display never
#: depends on a font it was not tested with. The first is the house face.
BRAND_FONTS = ("anton", "noto-sans")
#: A brand kit's headline font may also be an uploaded, checked OFL font (``POST /api/v1/fonts``):
#: ``upload:`` and its media hash. A display draws with it once its media cache has the file.
UPLOADED_FONT_PREFIX = "upload:"


def uploaded_font_hash(font: str) -> str | None:
    """The media hash of an ``upload:<hash>`` headline font; None for a packaged font's name."""
    if not font.startswith(UPLOADED_FONT_PREFIX):
        return None
    media_hash = font[len(UPLOADED_FONT_PREFIX) :]
    return media_hash if MEDIA_HASH_PATTERN.match(media_hash) else None


@dataclass(frozen=True, slots=True)
class Brand:
    """The campaign's look: colours (``#rrggbb``), the headline font and a logo (a media hash).

    The defaults are the house look every scene had before the kit: yellow on black.
    Checking a kit (colours, font names, contrast) is :mod:`projector.core.brand`.
    """

    background: str = "#000000"
    text: str = "#ffffff"
    accent: str = "#ffdd00"
    font: str = BRAND_FONTS[0]
    logo: str | None = None


def _no_layouts() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Campaign:
    """What a campaign announces against: its goal and last year's record, and its words.

    ``name``, ``tagline`` and ``call_to_action`` are in ``lang``, the campaign's
    default language (also the default locale of its displays); ``translations``
    holds them in other languages. An empty tagline or call to action means the
    scenes' own words ("ACTIONS FOR HUMAN RIGHTS"), from the display's catalog.
    """

    name: str = "Write for Rights"
    goal: int = 0
    record: int = 0
    lang: str = DEFAULT_LANG
    tagline: str = ""
    call_to_action: str = ""
    translations: Mapping[str, CampaignText] = field(default_factory=_no_campaign_texts)
    #: The campaign's look (issue 18): every scene takes its colours and headline font from it.
    brand: Brand = field(default_factory=Brand)
    #: Layouts by name: the declarative source (TOML or JSON) the ``layout`` scene draws
    #: (:mod:`projector.core.layout_spec`). Kept as written, so the panel edits what was saved.
    layouts: Mapping[str, str] = field(default_factory=_no_layouts)


def parse_campaign_translations(value: object, field: str = "translations") -> Mapping[str, CampaignText]:
    """``{"tr": {"name"?, "tagline"?, "call_to_action"?}, ...}`` checked whole; errors name the field.

    An empty field is allowed (it means "use the default language's words").
    """
    if not isinstance(value, dict):
        raise ValidationError(field, "must be an object of language tag -> words")
    if len(value) > MAX_LANGUAGES:
        raise ValidationError(field, f"at most {MAX_LANGUAGES} languages")
    texts: dict[str, CampaignText] = {}
    for lang, body in value.items():
        where = f"{field}.{lang}"
        tag = parse_lang(lang, where)
        if not isinstance(body, dict):
            raise ValidationError(where, "must be an object with name, tagline and call_to_action")
        unknown = sorted(set(body) - set(CAMPAIGN_TEXT_FIELDS))
        if unknown:
            raise ValidationError(f"{where}.{unknown[0]}", "unknown field")
        texts[tag] = CampaignText(
            *(
                parse_text(body.get(name, ""), f"{where}.{name}", MAX_CAMPAIGN_TEXT, required=False)
                for name in CAMPAIGN_TEXT_FIELDS
            )
        )
    return MappingProxyType(texts)


def _same_language(wanted: str, lang: str) -> bool:
    return wanted.split("-", 1)[0].lower() == lang.split("-", 1)[0].lower()


def _campaign_texts_in_order(campaign: Campaign, languages: Sequence[str]) -> list[tuple[str, CampaignText]]:
    """The campaign's words by language, most wanted first, the default language last."""
    default = (campaign.lang, CampaignText(campaign.name, campaign.tagline, campaign.call_to_action))
    texts = {lang: text for lang, text in campaign.translations.items() if lang != campaign.lang}
    order: list[tuple[str, CampaignText]] = []
    for wanted in languages:
        if wanted == campaign.lang:
            order.append(default)
        elif wanted in texts:
            order.append((wanted, texts[wanted]))
        if _same_language(wanted, campaign.lang):
            order.append(default)
        order.extend((lang, text) for lang, text in texts.items() if _same_language(wanted, lang))
    order.append(default)
    return order


def campaign_field(campaign: Campaign, languages: Sequence[str], name: str) -> tuple[str, str]:
    """One of the campaign's words (``name``, ``tagline``, ``call_to_action``) and its language.

    The language matters where the words are set in capitals: an English name on a
    Turkish screen is "WRITE FOR RIGHTS", not "WRİTE FOR RİGHTS". An empty result is
    in the campaign's default language.
    """
    for lang, text in _campaign_texts_in_order(campaign, languages):
        value: str = getattr(text, name)
        if value.strip():
            return value, lang
    return "", campaign.lang


def campaign_text(campaign: Campaign, languages: Sequence[str] = ()) -> CampaignText:
    """The campaign's words for a display that wants ``languages``, most wanted first.

    Field by field: the first wanted language that gives the field (an exact
    tag first, then the same base language, as ``case_text``), else the
    campaign's default language. A translation that leaves a field empty
    falls back to the default language's words, never to a blank.
    """
    return CampaignText(*(campaign_field(campaign, languages, name)[0] for name in CAMPAIGN_TEXT_FIELDS))


def _frozen(mapping: Mapping[str, int] | None = None) -> Mapping[str, int]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class Totals:
    """Action counts, overall and broken down. Derived from the action log."""

    total: int = 0
    by_channel: Mapping[str, int] = field(default_factory=_frozen)
    by_case: Mapping[str, int] = field(default_factory=_frozen)
    by_country: Mapping[str, int] = field(default_factory=_frozen)

    def add(self, actions: tuple[Action, ...]) -> Totals:
        by_channel = dict(self.by_channel)
        by_case = dict(self.by_case)
        by_country = dict(self.by_country)
        total = self.total
        for a in actions:
            total += a.count
            key = a.channel.value
            by_channel[key] = by_channel.get(key, 0) + a.count
            by_country[a.country] = by_country.get(a.country, 0) + a.count
            if a.case is not None:
                by_case[a.case] = by_case.get(a.case, 0) + a.count
        return Totals(total, _frozen(by_channel), _frozen(by_case), _frozen(by_country))

    @staticmethod
    def of(
        total: int,
        by_channel: Mapping[str, int],
        by_case: Mapping[str, int],
        by_country: Mapping[str, int],
    ) -> Totals:
        return Totals(total, _frozen(by_channel), _frozen(by_case), _frozen(by_country))


def parse_epoch(value: object, field: str) -> float:
    """Validate a time already converted to epoch seconds (finite, after 2000)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(field, "must be a finite number of seconds")
    if value < 946_684_800:  # 2000-01-01: anything earlier is a unit mistake
        raise ValidationError(field, "is before the year 2000")
    return float(value)
