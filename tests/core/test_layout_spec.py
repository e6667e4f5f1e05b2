"""The layout language: what parses, what each mistake is called, live values, the countdown,
the case of the day and the keep-out check."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from projector.core.layout_spec import (
    case_of_the_day,
    countdown_parts,
    fill,
    keep_out_clash,
    layout_source,
    parse_layout,
    words_for,
)
from projector.core.model import ValidationError
from projector.core.safe_area import Box, SafeArea
from projector.core.shipped_layouts import SHIPPED

TEXT = 'kind = "text"\ntext = "{total}"\nx = 0\ny = 0\nw = 1\nh = 0.5\n'


def region(extra: str = "", base: str = TEXT) -> str:
    return "[[regions]]\n" + base + extra


def refused(source: str) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        parse_layout(source)
    return info.value


def test_every_shipped_layout_parses() -> None:
    for name, source in SHIPPED.items():
        layout = parse_layout(source)
        assert layout.title and layout.regions, name
    assert {r.kind for r in parse_layout(SHIPPED["leaderboard"]).regions} >= {"leaderboard", "text"}
    assert (
        parse_layout(SHIPPED["countdown"]).deadline
        == datetime(2026, 12, 10, 23, 59, 59, tzinfo=UTC).timestamp()
    )


def test_a_region_takes_its_defaults_and_its_tall_and_wide_places() -> None:
    layout = parse_layout(region("tall = { y = 0.5 }\nwide = { x = 0.5, w = 0.5 }\n"))
    [r] = layout.regions
    assert (r.colour, r.font, r.align, r.lines) == ("text", "display", "centre", 2)
    assert r.box() == (0.0, 0.0, 1.0, 0.5)
    assert r.box("tall") == (0.0, 0.5, 1.0, 0.5)
    assert r.box("wide") == (0.5, 0.0, 0.5, 0.5)


def test_json_is_accepted_too() -> None:
    source = json.dumps({"title": "T", "regions": [{"kind": "bar", "x": 0, "y": 0.9, "w": 1, "h": 0.1}]})
    assert parse_layout(source).regions[0].kind == "bar"


@pytest.mark.parametrize(
    ("source", "field", "words"),
    [
        (region(base=TEXT.replace("x = 0", "x = 1.5")), "regions[0].x", "must be between 0 and 1"),
        (region(base=TEXT.replace("x = 0", "x = true")), "regions[0].x", "a number"),
        (region(base=TEXT.replace("x = 0\n", "")), "regions[0].x", "is missing"),
        (region(base=TEXT.replace("w = 1", "w = 0")), "regions[0].w", "more than 0"),
        (region(base=TEXT.replace("x = 0", "x = 0.5")), "regions[0].w", "past the right edge"),
        (region(base=TEXT.replace("y = 0", "y = 0.7")), "regions[0].h", "past the bottom edge"),
        (region("tall = { x = 0.5 }\n"), "regions[0].tall.w", "past the right edge"),
        (region("tall = { z = 1 }\n"), "regions[0].tall.z", "unknown field"),
        (region("media = 'x'\n"), "regions[0].media", "unknown field for a text region"),
        ("motto = 'x'\n", "motto", "unknown field"),
        (region(base=TEXT.replace("{total}", "{totl}")), "regions[0].text", "unknown value {totl}"),
        (region(base=TEXT.replace("{total}", "{by_country.XX}")), "regions[0].text", "unknown value"),
        (region(base=TEXT.replace("{total}", "{days}")), "regions[0].text", "needs a deadline"),
        (region(base=TEXT.replace("{total}", "50% {")), "regions[0].text", "lone"),
        (region("colour = 'gold'\n"), "regions[0].colour", "#rrggbb"),
        (region("font = 'comic'\n"), "regions[0].font", "must be one of"),
        (region("lines = 9\n"), "regions[0].lines", "from 1 to 6"),
        (region(base=TEXT.replace('"text"', '"video"', 1)), "regions[0].kind", "must be one of"),
        (
            "[[regions]]\nkind = 'image'\nmedia = 'cat.jpg'\nx=0\ny=0\nw=1\nh=1\n",
            "regions[0].media",
            "media hash",
        ),
        (
            "[[regions]]\nkind = 'qr'\nurl = 'javascript:x'\nx=0\ny=0\nw=1\nh=1\n",
            "regions[0].url",
            "https://",
        ),
        ("[[regions]]\nkind = 'fill'\nx=0\ny=0\nw=1\nh=1\n", "regions[0].fill", "needs a colour"),
        (
            "[[regions]]\nkind = 'leaderboard'\nof = 'by_mood'\nx=0\ny=0\nw=1\nh=1\n",
            "regions[0].of",
            "one of",
        ),
        ("case = 'Not A Case'\n", "case", "case id"),
        ("deadline = 2026-12-10T23:59:00\n", "deadline", "time zone"),
        ("deadline = 2026-12-10\n", "deadline", "time of day"),
        ("regions = 'all'\n", "regions", "a list"),
        ("[[regions]\n", "source", "not valid TOML"),
        ("title = 'x\u0000'\n", "source", "control characters"),
        ("[1, 2]", "source", "not valid TOML or JSON"),
    ],
)
def test_each_mistake_names_its_field(source: str, field: str, words: str) -> None:
    error = refused(source)
    assert error.field == field, error
    assert words in error.message, error


def test_values_are_filled_and_braces_kept() -> None:
    values = {"total": "1,234", "by_case.ayse": "99"}
    assert fill("{total} for {by_case.ayse} {{ok}}", values.__getitem__) == "1,234 for 99 {ok}"


def test_the_countdown_counts_down_to_zero() -> None:
    deadline = 1_000_000.0
    assert countdown_parts(deadline, deadline - (2 * 86_400 + 3 * 3600 + 4 * 60 + 5)) == {
        "days": "2",
        "hours": "03",
        "minutes": "04",
        "seconds": "05",
        "countdown": "2d 03:04:05",
    }
    assert countdown_parts(deadline, deadline + 50)["countdown"] == "00:00:00"


def test_the_case_of_the_day_turns_once_a_day() -> None:
    cases = ["ayse", "tarek", "ramon"]
    day = 20_000 * 86_400.0
    picked = [case_of_the_day(cases, day + d * 86_400 + 3600) for d in range(4)]
    assert picked[0] != picked[1] != picked[2] and picked[3] == picked[0]
    assert case_of_the_day(cases, day + 10) == case_of_the_day(cases, day + 80_000)
    assert case_of_the_day([], day) is None


def test_a_region_over_a_keep_out_box_is_named() -> None:
    layout = parse_layout(region() + region("fill = 'accent'\n", TEXT.replace("y = 0", "y = 0.5")))
    window = SafeArea(avoid=(Box(0.4, 0.6, 0.2, 0.2),))
    assert keep_out_clash(layout, window) is not None
    clash = keep_out_clash(layout, window)
    assert clash is not None and clash.field == "regions[1]" and "keep-out box 1" in clash.message
    # Above the window: clear. Margins move the regions: a top margin pushes region 0 onto a box.
    assert keep_out_clash(parse_layout(region()), window) is None
    assert keep_out_clash(parse_layout(region()), SafeArea(top=0.3, avoid=window.avoid)) is not None
    # A colour field may run behind a window.
    fill_only = parse_layout("[[regions]]\nkind = 'fill'\nfill = 'accent'\nx=0\ny=0\nw=1\nh=1\n")
    assert keep_out_clash(fill_only, window) is None


def test_a_campaigns_layout_replaces_a_shipped_one_of_its_name() -> None:
    assert layout_source({}, "countdown") == SHIPPED["countdown"]
    assert layout_source({"countdown": "regions = []"}, "countdown") == "regions = []"
    assert layout_source({}, "nothing") is None


def test_words_may_be_given_per_language() -> None:
    source = region(
        base=TEXT.replace(
            '"{total}"', '{ en = "{total} ACTIONS", tr = "{total} EYLEM", pt-BR = "{total} AÇÕES" }'
        )
    )
    [r] = parse_layout(source).regions
    assert r.text == "{total} ACTIONS"  # the first is the default
    assert words_for(r, ("tr-TR", "tr")) == "{total} EYLEM"
    assert words_for(r, ("pt",)) == "{total} AÇÕES"  # the same base language
    assert words_for(r, ("fr",)) == "{total} ACTIONS"
    assert refused(source.replace("{total} EYLEM", "{totl} EYLEM")).field == "regions[0].text.tr"
    assert refused(region(base=TEXT.replace('"{total}"', "{}"))).field == "regions[0].text"
    assert refused(region(base=TEXT.replace('"{total}"', '{ "not a tag" = "x" }'))).field.startswith(
        "regions[0].text."
    )
