"""Domain values: actions, cases, campaign settings and totals.

Everything here is an immutable value. Validation that only needs the value
itself (a channel name, a country code, a count) lives here too, so the HTTP
layer, the store and the replica share one definition of "valid".
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

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


@dataclass(frozen=True, slots=True)
class Action:
    """One supporter action, or an offline tally of ``count`` identical ones.

    ``at`` is when it happened (client's claim, epoch seconds) and may be None;
    ``entered_by`` names the operator who typed a manual tally.
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


@dataclass(frozen=True, slots=True)
class Case:
    """A person or community the campaign acts for."""

    id: str
    name: str
    country: str
    story: str = ""
    ask: str = ""
    status: CaseStatus = CaseStatus.ACTIVE
    portrait: str | None = None  # media reference (content hash or file name)


@dataclass(frozen=True, slots=True)
class Campaign:
    """What a campaign announces against: its goal and last year's record."""

    name: str = "Write for Rights"
    goal: int = 0
    record: int = 0


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
