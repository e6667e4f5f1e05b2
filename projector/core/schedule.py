"""Schedules: cues and shows by wall-clock time and day of the week, or on one date.

The projection starts at dusk, the lobby shows the totals during opening
hours: each entry says *what* (a stored show, ``show:<id>``, or a cue of the
loaded show, ``cue:<id>``), *for whom* (a target, as cues have), *when* (days
of the week or one date, from ``HH:MM`` to ``HH:MM`` local time; an end at or
before the start runs past midnight). Entries for the same target may not
overlap, and a one-off entry may not lie in the past: both are refused with
a message that names the clash.

Pure: the caller passes the local time (a timezone-aware ``datetime``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from projector.core.cues import CUE_ID_PATTERN
from projector.core.fleet import parse_target
from projector.core.model import ValidationError, parse_text

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60
MAX_ENTRIES = 500
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Entry:
    target: str
    #: "show:<id>" (a stored show) or "cue:<id>" (a cue of the loaded show).
    what: str
    #: Minutes after local midnight; ``end <= start`` runs past midnight.
    start: int
    end: int
    #: Days of the week (0 = Monday) for a weekly entry; empty for a one-off.
    days: tuple[int, ...] = ()
    #: The date of a one-off entry.
    on: date | None = None
    label: str = ""
    id: int | None = None

    @property
    def kind(self) -> str:
        return self.what.split(":", 1)[0]

    @property
    def ref(self) -> str:
        return self.what.split(":", 1)[1]


def _minutes(value: object, field: str) -> int:
    if not isinstance(value, str) or not (m := _TIME.match(value)):
        raise ValidationError(field, "must be a time of day as HH:MM (24-hour)")
    return int(m.group(1)) * 60 + int(m.group(2))


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _days(value: object) -> tuple[int, ...]:
    if value == "daily":
        return tuple(range(7))
    if not isinstance(value, list) or not value:
        raise ValidationError("days", f"must be a list of days ({', '.join(DAY_NAMES)}) or 'daily'")
    days: set[int] = set()
    for i, item in enumerate(value):
        if not isinstance(item, str) or item.lower()[:3] not in DAY_NAMES:
            raise ValidationError(f"days[{i}]", f"must be one of {', '.join(DAY_NAMES)}")
        days.add(DAY_NAMES.index(item.lower()[:3]))
    return tuple(sorted(days))


def _what(value: object) -> str:
    if not isinstance(value, str) or ":" not in value:
        raise ValidationError("what", "must be 'show:<id>' (a stored show) or 'cue:<id>' (a cue of the show)")
    kind, ref = value.split(":", 1)
    if kind not in ("show", "cue"):
        raise ValidationError("what", "must be 'show:<id>' (a stored show) or 'cue:<id>' (a cue of the show)")
    if not CUE_ID_PATTERN.match(ref):
        raise ValidationError("what", f"{ref!r} is not a {kind} id")
    return value


def parse_entry(raw: object, now: datetime) -> Entry:
    """One entry from JSON; refused if malformed or, for a one-off, already over at ``now``."""
    if not isinstance(raw, Mapping):
        raise ValidationError("body", "must be a JSON object")
    unknown = set(raw) - {"target", "what", "days", "date", "start", "end", "label"}
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    target = str(parse_target(raw.get("target")))
    what = _what(raw.get("what"))
    start = _minutes(raw.get("start"), "start")
    end = _minutes(raw.get("end"), "end")
    if start == end:
        raise ValidationError("end", "must differ from start (an entry cannot last 0 or 24 hours)")
    label = parse_text(raw.get("label", ""), "label", 200, required=False)
    if "days" in raw and "date" in raw:
        raise ValidationError("days", "give either 'days' (every week) or 'date' (once), not both")
    if "days" not in raw and "date" not in raw:
        raise ValidationError("days", "give 'days' (every week: a list of days or 'daily') or 'date' (once)")
    if "date" in raw:
        text = raw["date"]
        try:
            if not isinstance(text, str) or not _DATE.match(text):
                raise ValueError
            on = date.fromisoformat(text)
        except ValueError:
            raise ValidationError("date", "must be a date as YYYY-MM-DD") from None
        entry = Entry(target, what, start, end, (), on, label)
        ends = ends_at(entry, now)
        if ends <= now:
            raise ValidationError(
                "date",
                f"the entry on {on.isoformat()} {hhmm(start)}-{hhmm(end)} is in the past "
                f"(now {now.strftime('%Y-%m-%d %H:%M')} {now.tzname() or ''})".rstrip(),
            )
        return entry
    return Entry(target, what, start, end, _days(raw.get("days")), None, label)


def ends_at(entry: Entry, now: datetime) -> datetime:
    """When a one-off entry ends, in ``now``'s timezone."""
    assert entry.on is not None
    day = entry.on + timedelta(days=1) if entry.end <= entry.start else entry.on
    return datetime(day.year, day.month, day.day, entry.end // 60, entry.end % 60, tzinfo=now.tzinfo)


def _segments(entry: Entry) -> list[tuple[int | date, int, int]]:
    """Where an entry lies: (weekday or date, start minute, end minute), split at midnight."""
    if entry.on is not None:
        keys: list[int | date] = [entry.on]
        step: list[int | date] = [entry.on + timedelta(days=1)]
    else:
        keys = list(entry.days)
        step = [(d + 1) % 7 for d in entry.days]
    out: list[tuple[int | date, int, int]] = []
    for key, nxt in zip(keys, step, strict=True):
        if entry.end > entry.start:
            out.append((key, entry.start, entry.end))
        else:
            out.append((key, entry.start, DAY_MINUTES))
            if entry.end > 0:
                out.append((nxt, 0, entry.end))
    return out


def _same_day(a: int | date, b: int | date) -> bool:
    if isinstance(a, date) and isinstance(b, date):
        return a == b
    if isinstance(a, date):
        return a.weekday() == b
    if isinstance(b, date):
        return b.weekday() == a
    return a == b


def overlap(a: Entry, b: Entry) -> bool:
    """Whether two entries for the same target would both run at some moment."""
    if a.target != b.target:
        return False
    return any(
        _same_day(ka, kb) and sa < eb and sb < ea
        for ka, sa, ea in _segments(a)
        for kb, sb, eb in _segments(b)
    )


def describe(entry: Entry) -> str:
    when = entry.on.isoformat() if entry.on is not None else ",".join(DAY_NAMES[d] for d in entry.days)
    ident = f"#{entry.id} " if entry.id is not None else ""
    return f"{ident}{entry.what} for {entry.target} on {when} {hhmm(entry.start)}-{hhmm(entry.end)}"


def check_overlaps(entry: Entry, existing: Iterable[Entry]) -> None:
    for other in existing:
        if overlap(entry, other):
            raise ValidationError("start", f"overlaps {describe(other)}")


def is_active(entry: Entry, now: datetime) -> bool:
    """Whether the entry runs at local time ``now``."""
    minute = now.hour * 60 + now.minute
    today = now.date()
    for key, start, end in _segments(entry):
        if isinstance(key, date):
            if key == today and start <= minute < end:
                return True
        elif key == today.weekday() and start <= minute < end:
            return True
    return False


def active(entries: Iterable[Entry], now: datetime) -> list[Entry]:
    """The entries running at ``now``, in the order given."""
    return [e for e in entries if is_active(e, now)]


def entry_to_wire(entry: Entry) -> dict[str, object]:
    body: dict[str, object] = {
        "id": entry.id,
        "target": entry.target,
        "what": entry.what,
        "start": hhmm(entry.start),
        "end": hhmm(entry.end),
        "label": entry.label,
    }
    if entry.on is not None:
        body["date"] = entry.on.isoformat()
    else:
        body["days"] = [DAY_NAMES[d] for d in entry.days]
    return body
