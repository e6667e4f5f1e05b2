"""Decoding actions posted by integrators: one place that says what is valid.

Pure: takes the already-parsed JSON value and the set of known case ids, and
returns ``Action`` values or raises ``ValidationError`` naming the exact field
(``actions[12].country``), so an integrator can fix the one bad row of a batch.

``decode_actions`` is the fast lane for the raw body: msgspec decodes the bytes
straight into typed rows in one pass (no dict per row; types, the channel enum,
lengths, the count's range and unknown fields checked in C), whole-batch checks
cover what msgspec cannot (known countries, ids of only spaces, the one control
character JSON lets through), and the usual body (id, channel, country) becomes
its actions in one comprehension; a batch with cases, counts, times or sources
takes one loop. It accepts only what ``parse_actions_body`` accepts, with the
same result; for anything else it answers None and the caller takes the checked
path, which says what is wrong in the words it always has.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from datetime import datetime
from typing import Annotated

import msgspec

from projector.core.model import (
    CHANNEL_BY_VALUE,
    COUNTRY_CODES,
    FORBIDDEN_CHARS,
    MAX_ACTION_COUNT,
    MAX_ID_LENGTH,
    MAX_SOURCE_LENGTH,
    Action,
    Channel,
    ValidationError,
    parse_count,
    parse_country,
    parse_epoch,
    parse_text,
)

ACTION_FIELDS = frozenset({"id", "channel", "country", "case", "count", "at", "source"})


def parse_rfc3339(value: object, field: str) -> float:
    if not isinstance(value, str):
        raise ValidationError(field, "must be an RFC 3339 date-time string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(field, f"is not an RFC 3339 date-time: {value!r}") from None
    if moment.tzinfo is None:
        raise ValidationError(field, "must include a time zone offset (e.g. 'Z' or '+01:00')")
    return parse_epoch(moment.timestamp(), field)


def parse_action(
    raw: object,
    known_cases: Container[str],
    *,
    where: str = "",
    entered_by: str | None = None,
    max_at: float | None = None,
) -> Action:
    """Validate one action object. ``max_at`` rejects times too far in the future."""
    fast = _common_action(raw, known_cases, entered_by)
    if fast is not None:
        return fast
    if not isinstance(raw, Mapping):
        raise ValidationError(where or "body", "an action must be a JSON object")
    prefix = f"{where}." if where else ""
    if not ACTION_FIELDS.issuperset(raw):
        unknown = sorted(set(raw) - ACTION_FIELDS)[0]
        raise ValidationError(f"{prefix}{unknown}", "unknown field")
    if "id" not in raw:
        raise ValidationError(f"{prefix}id", "is required (a client id makes retries safe)")
    action_id = parse_text(raw["id"], f"{prefix}id", MAX_ID_LENGTH)
    if "channel" not in raw:
        raise ValidationError(f"{prefix}channel", "is required")
    channel = Channel.parse(raw["channel"], f"{prefix}channel")
    if "country" not in raw:
        raise ValidationError(f"{prefix}country", "is required (ISO 3166-1 alpha-2)")
    country = parse_country(raw["country"], f"{prefix}country")
    case = raw.get("case")
    if case is not None and (not isinstance(case, str) or case not in known_cases):
        raise ValidationError(f"{prefix}case", f"unknown case {case!r}")
    count = parse_count(raw.get("count", 1), f"{prefix}count")
    at = None
    if raw.get("at") is not None:
        at = parse_rfc3339(raw["at"], f"{prefix}at")
        if max_at is not None and at > max_at:
            raise ValidationError(f"{prefix}at", "is in the future")
    source = raw.get("source")
    if source is not None:
        source = parse_text(source, f"{prefix}source", MAX_SOURCE_LENGTH)
    return Action(action_id, channel, country, count, case, at, source, entered_by)


def _common_action(raw: object, known_cases: Container[str], entered_by: str | None) -> Action | None:
    """The shape nearly every action has, checked with no per-field bookkeeping.

    A bulk import runs this 100,000 times a second. It accepts only what
    ``parse_action``'s full path accepts; anything else (including every error)
    returns None and takes the full path, which names the bad field.
    """
    if type(raw) is not dict or not ACTION_FIELDS.issuperset(raw) or "at" in raw:
        return None
    action_id = raw.get("id")
    channel = CHANNEL_BY_VALUE.get(raw.get("channel"))  # type: ignore[arg-type]
    country = raw.get("country")
    count = raw.get("count", 1)
    case = raw.get("case")
    source = raw.get("source")
    if (
        type(action_id) is not str
        or not 0 < len(action_id) <= MAX_ID_LENGTH
        or action_id.isspace()
        or FORBIDDEN_CHARS.search(action_id)
        or channel is None
        or country not in COUNTRY_CODES
        or type(count) is not int
        or not 1 <= count <= MAX_ACTION_COUNT
        or (case is not None and (type(case) is not str or case not in known_cases))
        or (
            source is not None
            and (
                type(source) is not str
                or not 0 < len(source) <= MAX_SOURCE_LENGTH
                or source.isspace()
                or FORBIDDEN_CHARS.search(source)
            )
        )
    ):
        return None
    return Action(action_id, channel, country, count, case, None, source, entered_by)


def parse_actions_body(
    body: object,
    known_cases: Container[str],
    *,
    max_batch: int,
    entered_by: str | None = None,
    max_at: float | None = None,
) -> tuple[Action, ...]:
    """One action, or ``{"actions": [...]}`` (all-or-nothing: one bad row fails the lot)."""
    if isinstance(body, Mapping) and "actions" in body:
        if set(body) != {"actions"}:
            extra = sorted(set(body) - {"actions"})[0]
            raise ValidationError(extra, "unknown field next to 'actions'")
        rows = body["actions"]
        if not isinstance(rows, list):
            raise ValidationError("actions", "must be a list of actions")
        if not rows:
            raise ValidationError("actions", "must not be empty")
        if len(rows) > max_batch:
            raise ValidationError("actions", f"a batch holds at most {max_batch} actions, got {len(rows)}")
        return tuple(
            parse_action(r, known_cases, where=f"actions[{i}]", entered_by=entered_by, max_at=max_at)
            for i, r in enumerate(rows)
        )
    return (parse_action(body, known_cases, entered_by=entered_by, max_at=max_at),)


class _Row(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """One action as posted. Lengths and the count's range are checked by msgspec, in C;
    a row that breaks one is a decode error, and the checked path names the field.
    ``gc=False``: rows hold only strings and ints, so the collector need not track
    (and later scan) one more object per row."""

    id: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ID_LENGTH)]
    channel: Channel
    country: str
    # UNSET, not a default value: whether a key was there at all is what the duplicate-key
    # check below counts (an explicit "count": 1 and no count are different bodies).
    case: str | msgspec.UnsetType | None = msgspec.UNSET
    count: Annotated[int, msgspec.Meta(ge=1, le=MAX_ACTION_COUNT)] | msgspec.UnsetType = msgspec.UNSET
    at: str | msgspec.UnsetType | None = msgspec.UNSET
    source: (
        Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SOURCE_LENGTH)] | msgspec.UnsetType | None
    ) = msgspec.UNSET


class _Batch(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    actions: list[_Row]


_ROW = msgspec.json.Decoder(_Row)
_BATCH = msgspec.json.Decoder(_Batch)


_OPTIONAL_KEYS = tuple((key, b'"' + key.encode() + b'"') for key in ("case", "count", "at", "source"))


def _optional_keys(raw: bytes, rows: list[_Row]) -> tuple[str, ...] | None:
    """The optional keys that some row holds, or None where a key may be repeated.

    msgspec keeps the last of two equal keys where the checked path refuses the body
    (400 ``duplicate_key``), so the lane must not take a body that could repeat one:
    every key must appear in ``raw`` exactly as often as the rows hold it. Counting
    the quoted names is exact for what clients send; a value that happens to be a key's
    name, or any escape (a key may be spelt with ``\\u`` escapes), sends the body down the
    checked path, which decides it the slow way: never wrong, only slower.
    """
    if b"\\u" in raw or raw.count(b'"actions"') > 1:
        return None
    n = len(rows)
    if raw.count(b'"id"') != n or raw.count(b'"channel"') != n or raw.count(b'"country"') != n:
        return None
    present = []
    for key, quoted in _OPTIONAL_KEYS:
        seen = raw.count(quoted)
        # No mention at all: no row has it (a key spelt with escapes was sent away above).
        if seen:
            if seen != sum(1 for row in rows if getattr(row, key) is not msgspec.UNSET):
                return None
            present.append(key)
    return tuple(present)


def decode_actions(
    raw: bytes,
    known_cases: Container[str],
    *,
    max_batch: int,
    entered_by: str | None = None,
    max_at: float | None = None,
) -> tuple[Action, ...] | None:
    """The actions in a raw JSON body, or None where the checked path must decide.

    None is not a refusal: the body may still be valid in a way this lane does not
    take (a lower-case country code) or invalid; ``parse_actions_body`` on the
    parsed body gives the answer and, for a refusal, the exact field and message.
    """
    try:
        # A batch names its one key first in practice; a single action never has it.
        rows = _BATCH.decode(raw).actions if b'"actions"' in raw else [_ROW.decode(raw)]
    except (msgspec.DecodeError, RecursionError):
        return None
    if not 0 < len(rows) <= max_batch:
        return None
    present = _optional_keys(raw, rows)
    # JSON lets one forbidden character through unescaped: DEL. The others (controls,
    # surrogates) can only be written with \u escapes, which went to the checked path.
    if present is None or b"\x7f" in raw:
        return None
    # Whole-batch checks, each one pass in C: no id of only spaces, every country known.
    if any(map(str.isspace, [row.id for row in rows])) or not COUNTRY_CODES.issuperset(
        [row.country for row in rows]
    ):
        return None
    if not present:  # the usual body: id, channel and country, nothing else
        return tuple(
            [Action(row.id, row.channel, row.country, 1, None, None, None, entered_by) for row in rows]
        )
    actions = []
    for row in rows:
        case = None if row.case is msgspec.UNSET else row.case
        count = 1 if row.count is msgspec.UNSET else row.count
        source = None if row.source is msgspec.UNSET else row.source
        if (case is not None and case not in known_cases) or (source is not None and source.isspace()):
            return None
        at = None
        if row.at is not None and row.at is not msgspec.UNSET:
            try:
                at = parse_rfc3339(row.at, "at")
            except ValidationError:
                return None
            if max_at is not None and at > max_at:
                return None
        actions.append(Action(row.id, row.channel, row.country, count, case, at, source, entered_by))
    return tuple(actions)
