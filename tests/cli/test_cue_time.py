"""``--at``, ``--in`` and ``--target`` read as the operator means them, on the server's clock and zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from projector.cli.cue_time import check_target, parse_at, parse_in
from projector.cli.http import CliError

ISTANBUL = ZoneInfo("Europe/Istanbul")
#: The server's clock (a fake one): 20:59:30 in Istanbul.
NOW = datetime(2026, 12, 5, 20, 59, 30, tzinfo=ISTANBUL)


def test_a_time_of_day_is_today_in_the_servers_zone() -> None:
    assert parse_at("21:00", NOW, ISTANBUL) == datetime(2026, 12, 5, 21, 0, tzinfo=ISTANBUL)
    assert parse_at("21:00:15.5", NOW, ISTANBUL) == datetime(2026, 12, 5, 21, 0, 15, 500_000, tzinfo=ISTANBUL)
    # The same instant, whatever zone the operator's laptop is in: what counts is the epoch sent.
    assert (
        parse_at("21:00", NOW, ISTANBUL).timestamp() == datetime(2026, 12, 5, 18, 0, tzinfo=UTC).timestamp()
    )


def test_without_a_named_zone_the_offset_of_the_servers_now_stands() -> None:
    now = datetime(2026, 12, 5, 20, 59, 30, tzinfo=timezone(timedelta(hours=3)))
    assert parse_at("21:00", now).timestamp() == parse_at("21:00", NOW, ISTANBUL).timestamp()


def test_an_iso_time_with_or_without_an_offset() -> None:
    assert parse_at("2026-12-05T21:10:00", NOW, ISTANBUL) == datetime(2026, 12, 5, 21, 10, tzinfo=ISTANBUL)
    assert parse_at("2026-12-05T18:10:00+00:00", NOW, ISTANBUL) == datetime(
        2026, 12, 5, 21, 10, tzinfo=ISTANBUL
    )


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("20:59", "--at 20:59 is 30.0 s in the past (server time 20:59:30)"),
        ("12:00", "--at 12:00 is 540 min in the past (server time 20:59:30)"),
        ("22:00", "--at 22:00 is more than 3600 s ahead (server time 20:59:30); use a schedule"),
        ("24:00", "--at: '24:00' is not a time of day (HH:MM or HH:MM:SS)"),
        ("21:60", "--at: '21:60' is not a time of day (HH:MM or HH:MM:SS)"),
        ("nine", "--at: 'nine' is neither HH:MM[:SS] nor an ISO date and time (2026-12-05T21:00:00)"),
        ("2026-12-04T21:00", "--at 2026-12-04T21:00 is 1440 min in the past (server time 20:59:30)"),
    ],
)
def test_bad_times_are_named_with_the_servers_time(text: str, said: str) -> None:
    with pytest.raises(CliError) as refused:
        parse_at(text, NOW, ISTANBUL)
    assert str(refused.value) == said


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("0", "--in: '0' must be more than 0 seconds"),
        ("-2", "--in: '-2' must be more than 0 seconds"),
        ("nan", "--in: 'nan' must be more than 0 seconds"),
        ("soon", "--in: 'soon' is not a number of seconds"),
        ("3601", "--in: at most 3600 seconds ahead; use a schedule for later cues"),
    ],
)
def test_bad_delays_are_refused(text: str, said: str) -> None:
    with pytest.raises(CliError) as refused:
        parse_in(text)
    assert str(refused.value) == said


def test_a_delay() -> None:
    assert parse_in("0.5") == 0.5 and parse_in("3600") == 3600.0


def test_targets() -> None:
    assert check_target("group:facade") == "group:facade"
    assert check_target("display:hall-left") == "display:hall-left"
    assert check_target("all") == "all"
    for bad in ("facade", "room:x", "group:"):
        with pytest.raises(CliError) as refused:
            check_target(bad)
        assert str(refused.value).startswith("--target: ")
