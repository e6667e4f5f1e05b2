"""Schedule entries: parsing, past one-offs refused, overlaps for the same target refused,
what runs when (across midnight, in a real timezone)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from projector.core.model import ValidationError
from projector.core.schedule import (
    Entry,
    active,
    check_overlaps,
    entry_to_wire,
    is_active,
    overlap,
    parse_entry,
)

IST = ZoneInfo("Europe/Istanbul")
#: A Wednesday evening in Istanbul.
NOW = datetime(2026, 11, 25, 17, 30, tzinfo=IST)


def entry(**kw: object) -> Entry:
    raw: dict[str, object] = {
        "target": "group:facade",
        "what": "show:night",
        "start": "18:00",
        "end": "23:00",
    }
    raw.update(kw)
    if "date" not in raw and "days" not in raw:
        raw["days"] = "daily"
    raw = {k: v for k, v in raw.items() if v is not None}
    return parse_entry(raw, NOW)


def test_a_weekly_entry_and_a_one_off_parse_and_round_trip() -> None:
    weekly = entry(days=["mon", "Friday"], start="09:00", end="17:30", what="cue:count", target="group:lobby")
    assert weekly.days == (0, 4) and (weekly.start, weekly.end) == (540, 1050)
    assert entry_to_wire(weekly) == {
        "id": None,
        "target": "group:lobby",
        "what": "cue:count",
        "start": "09:00",
        "end": "17:30",
        "label": "",
        "days": ["mon", "fri"],
    }
    once = entry(date="2026-11-27", start="20:00", end="02:00")
    assert once.on == date(2026, 11, 27) and once.days == ()


@pytest.mark.parametrize(
    ("kw", "field", "words"),
    [
        ({"start": "25:00"}, "start", "HH:MM"),
        ({"end": "6pm"}, "end", "HH:MM"),
        ({"end": "18:00"}, "end", "differ"),
        ({"days": []}, "days", "list of days"),
        ({"days": ["someday"]}, "days[0]", "one of"),
        ({"what": "scene:totals"}, "what", "show:<id>"),
        ({"what": "show:"}, "what", "not a show id"),
        ({"target": "group:"}, "target", "group"),
        ({"date": "2026-13-01", "days": None}, "date", "YYYY-MM-DD"),
        ({"date": "2026-11-27", "days": "daily"}, "days", "not both"),
        ({"colour": "red"}, "colour", "unknown field"),
    ],
)
def test_malformed_entries_name_the_field(kw: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(ValidationError) as info:
        entry(**kw)
    assert info.value.field == field
    assert words in info.value.message


def test_a_one_off_entry_in_the_past_is_refused() -> None:
    with pytest.raises(ValidationError, match="in the past") as info:
        entry(date="2026-11-24", days=None)
    assert info.value.field == "date"
    with pytest.raises(ValidationError, match="in the past"):
        entry(date="2026-11-25", days=None, start="09:00", end="17:00")  # ended half an hour ago
    # One that runs now, or past midnight from yesterday, is not in the past.
    entry(date="2026-11-25", days=None, start="17:00", end="18:00")
    entry(date="2026-11-24", days=None, start="23:00", end="18:00")


def test_overlaps_for_the_same_target_are_refused_naming_the_other_entry() -> None:
    facade = Entry("group:facade", "show:night", 18 * 60, 23 * 60, days=(0, 1, 2), id=7)
    with pytest.raises(
        ValidationError, match=r"overlaps #7 show:night for group:facade on mon,tue,wed 18:00-23:00"
    ):
        check_overlaps(entry(days=["wed"], start="22:00", end="23:30"), [facade])
    # Another target, another day, or back to back: fine.
    check_overlaps(entry(days=["wed"], start="22:00", end="23:30", target="group:lobby"), [facade])
    check_overlaps(entry(days=["thu"], start="18:00", end="23:00"), [facade])
    check_overlaps(entry(days=["wed"], start="23:00", end="23:30"), [facade])
    # Past midnight: Tuesday 22:00-02:00 runs into Wednesday.
    late = Entry("group:facade", "show:late", 22 * 60, 2 * 60, days=(1,))
    assert overlap(late, entry(days=["wed"], start="01:00", end="03:00"))
    assert not overlap(late, entry(days=["wed"], start="02:00", end="03:00"))
    # A one-off against a weekly entry: same weekday, same hours.
    assert overlap(facade, entry(date="2026-11-30", days=None, start="19:00", end="20:00"))  # a Monday
    assert not overlap(facade, entry(date="2026-11-26", days=None, start="19:00", end="20:00"))  # a Thursday


def test_what_runs_when_in_local_time() -> None:
    dusk = Entry("group:facade", "show:night", 18 * 60, 2 * 60, days=(2,))  # Wednesdays, into Thursday
    lobby = Entry("group:lobby", "cue:count", 9 * 60, 17 * 60, days=(0, 1, 2, 3, 4))
    once = Entry("all", "cue:gala", 20 * 60, 21 * 60, on=date(2026, 11, 25))

    def at(h: int, m: int, d: int = 25) -> datetime:
        return datetime(2026, 11, d, h, m, tzinfo=IST)

    assert active([dusk, lobby, once], at(17, 30)) == []
    assert active([dusk, lobby, once], at(16, 59)) == [lobby]
    assert active([dusk, lobby, once], at(18, 0)) == [dusk]
    assert active([dusk, lobby, once], at(20, 30)) == [dusk, once]
    assert is_active(dusk, at(1, 59, 26)) and not is_active(dusk, at(2, 0, 26))
    assert not is_active(once, at(20, 30, 26))
