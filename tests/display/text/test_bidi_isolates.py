"""Names, countries and numbers in isolates keep their direction and leave the line's alone.

"— ليلى, Morocco" without isolates takes its direction from the Arabic name
and reads "Morocco ,ليلى —"; with each value in FSI ... PDI the attribution
stays left to right (or right to left in an Arabic locale) and each value
reads in its own direction. Both the library (python-bidi) and our own
fallback UBA are checked, against levels worked out by hand from UAX #9.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pygame
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from projector.display.text import bidi_runs
from projector.display.text.bidi_runs import (
    BIDI_CONTROLS,
    FSI,
    ISOLATE_OPENERS,
    LRI,
    PDI,
    RLI,
    _library_levels,
    embedding_levels,
    fallback_levels,
    isolate,
    isolated,
    paragraph_level,
)
from projector.display.text.fonts import FontBook
from projector.display.text.renderer import Layout, TextRenderer

SIZE = 32
WHITE, BLACK = (255, 255, 255), (0, 0, 0)
LTR_ATTRIBUTION = "— " + isolate("ليلى") + ", " + isolate("Morocco")
RTL_ATTRIBUTION = "— " + isolate("ليلى") + "، " + isolate("Morocco")


@pytest.fixture(params=["library", "fallback"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run the test once with python-bidi's levels and once with our own UBA."""
    if request.param == "fallback":
        monkeypatch.setattr(bidi_runs, "_lib_display", None)
        monkeypatch.setattr(bidi_runs, "_lib_base_level", None)
    yield request.param


def _visual(layout: Layout) -> list[tuple[str, bool]]:
    """The runs left to right on screen (by x), with their direction; spaces trimmed."""
    runs = sorted(layout.runs, key=lambda run: run.x)
    assert all(a.x + a.width == b.x for a, b in itertools.pairwise(runs)), "runs overlap or gap"
    return [(run.text.strip(), run.rtl) for run in runs if run.text.strip()]


# --- isolate() ----------------------------------------------------------------------------


def test_isolate_wraps_a_value_in_fsi_and_pdi() -> None:
    assert isolate("ليلى") == f"{FSI}ليلى{PDI}"
    assert isolate("") == ""
    assert isolated("— {name}, {country}", name="ليلى", country="Morocco") == LTR_ATTRIBUTION
    assert isolated("{n} supporters", n=1234) == f"{FSI}1234{PDI} supporters"


@pytest.mark.parametrize(
    ("name", "inside"),
    [
        (f"Ali{PDI} evil", "Ali evil"),  # would close the isolate early
        (f"{RLI}Ali", "Ali"),  # would leave the line's end inside a right-to-left isolate
        ("\u202eAli", "Ali"),  # an override with no end
        ("Ali\u202c", "Ali"),  # an end with no override
        (f"{LRI}\u202bx{PDI}", f"{LRI}x{PDI}"),  # an embedding the PDI would close implicitly
        (f"{LRI}Ali{PDI} \u202bx\u202c", f"{LRI}Ali{PDI} \u202bx\u202c"),  # balanced: kept
        (f"{PDI}{PDI}{FSI}", ""),
    ],
)
def test_a_name_cannot_escape_its_isolate(name: str, inside: str) -> None:
    assert isolate(name) == (f"{FSI}{inside}{PDI}" if inside else "")
    levels = embedding_levels("Free " + isolate(name) + " now", 0)
    assert levels[:5] == [0] * 5 and levels[-4:] == [0] * 4, "the line around it keeps its direction"


# --- levels: the library and the fallback, against UAX #9 worked by hand ---------------------


HAND_LEVELS = [
    # FSI ليلى PDI resolves to RLI: 1 inside an LTR line; Morocco's FSI to LRI: 2.
    (LTR_ATTRIBUTION, 0, [0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 0]),
    # In an RTL line: the Arabic name one odd level up (3), Morocco at the next even (2).
    (RTL_ATTRIBUTION, 1, [1, 1, 1, 3, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 1]),
    # A number alone in an FSI: no strong character, so LRI; digits at 2, read left to right.
    ("قال " + isolate("2024") + " شخص", 1, [1, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 1]),
    # Latin inside Arabic with an LTR base: the spaces and isolate sit between two R: R.
    ("قال " + isolate("Free Tarek") + " اليوم", 0, [1] * 5 + [2] * 10 + [1] * 7),
    # An explicit RLI: letters inside at 2 (L at an odd level), the line outside untouched.
    (f"abc {RLI}def ghi{PDI} jkl", 0, [0] * 5 + [2] * 7 + [0] * 5),
    # An isolate never closed runs to the end of the paragraph.
    (f"{FSI}abc", 0, [0, 2, 2, 2]),
    # An isolate's content does not decide the paragraph's direction (P2 skips it)...
    (isolate("ليلى") + " says", None, [0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]),
    # ... nor is it seen by the neutrals around it: the comma is between L and L here.
    (f"a {FSI}ب{PDI}, b", 1, [2, 2, 2, 3, 2, 2, 2, 2]),
]


HAND_IDS = [
    "ltr-attribution",
    "rtl-attribution",
    "number",
    "latin-in-arabic",
    "rli",
    "unclosed",
    "p2",
    "neutrals",
]


@pytest.mark.parametrize(("text", "base", "expected"), HAND_LEVELS, ids=HAND_IDS)
def test_isolates_resolve_as_uax9_says(path: str, text: str, base: int | None, expected: list[int]) -> None:
    if base is None:
        assert paragraph_level(text) == 0
    assert embedding_levels(text, base) == expected


@pytest.mark.parametrize(("text", "base", "expected"), HAND_LEVELS, ids=HAND_IDS)
def test_python_bidi_resolves_isolates(text: str, base: int | None, expected: list[int]) -> None:
    """The library itself (not our trailing-whitespace rule) gets isolates right."""
    assert _library_levels(text, paragraph_level(text) if base is None else base) == expected


PIECES = ["a", "Free", "ل", "ليلى", "א", "1", "٣", " ", ",", ".", "$", "\u0301", FSI, LRI, RLI, PDI]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=16), st.sampled_from([0, 1]))
def test_the_fallback_agrees_with_the_library_on_isolates(pieces: list[str], base: int) -> None:
    text = "".join(pieces)
    assert fallback_levels(text, base) == _library_levels(text, base)


# --- layout: runs in the right visual order ------------------------------------------------------


@pytest.fixture(scope="module")
def renderer() -> TextRenderer:
    return TextRenderer(FontBook())


def test_without_isolates_the_attribution_reads_backwards(renderer: TextRenderer) -> None:
    """The bug: the name's Arabic decides the line's direction, so Morocco comes first."""
    layout = renderer.layout("— ليلى, Morocco", "body", SIZE)
    assert layout.direction == "rtl" and _visual(layout)[0] == ("Morocco", False)


def test_an_isolated_name_in_an_ltr_attribution(path: str) -> None:
    layout = TextRenderer(FontBook()).layout(LTR_ATTRIBUTION, "body", SIZE)
    assert layout.direction == "ltr"
    assert _visual(layout) == [("—", False), ("ليلى", True), (",", False), ("Morocco", False)]


def test_an_isolated_name_in_an_rtl_attribution(path: str) -> None:
    """In an Arabic locale the attribution reads right to left: "— ليلى، Morocco" from the right."""
    layout = TextRenderer(FontBook()).layout(RTL_ATTRIBUTION, "body", SIZE, base=1)
    assert layout.direction == "rtl"
    assert _visual(layout) == [("Morocco", False), ("،", True), ("ليلى", True), ("—", True)]


def test_a_number_isolated_inside_arabic_reads_left_to_right(path: str) -> None:
    layout = TextRenderer(FontBook()).layout("تضامن " + isolate("1,234") + " شخص", "body", SIZE)
    assert layout.direction == "rtl"
    assert _visual(layout) == [("شخص", True), ("1,234", False), ("تضامن", True)]


# --- the controls are never drawn ----------------------------------------------------------------


class _Spy:
    """A font that records every string handed to SDL_ttf."""

    def __init__(self, font: pygame.font.Font, seen: list[str]) -> None:
        self._font, self._seen = font, seen

    def size(self, text: str) -> tuple[int, int]:
        self._seen.append(text)
        return self._font.size(text)

    def render(self, text: str, *args: Any) -> pygame.Surface:
        self._seen.append(text)
        return self._font.render(text, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._font, name)


def test_no_control_character_reaches_sdl(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    book = FontBook()
    seen: list[str] = []
    load: Callable[..., pygame.font.Font] = book.load
    monkeypatch.setattr(book, "load", lambda *a: _Spy(load(*a), seen))
    renderer = TextRenderer(book)
    long_name = isolate("ليلى بنت محمد الحسني من الدار البيضاء")
    for text in (LTR_ATTRIBUTION, RTL_ATTRIBUTION, "— " + long_name + ", " + isolate("Morocco")):
        renderer.render(text, "body", SIZE, WHITE, BLACK)
        lines = renderer.wrap(text, "body", SIZE, 180)
        renderer.render_lines(lines, "body", SIZE, WHITE, bg=BLACK)
    assert seen and not [s for s in seen if BIDI_CONTROLS & set(s)]


def test_isolate_controls_take_no_width_and_do_not_change_shaping(path: str) -> None:
    renderer = TextRenderer(FontBook())
    for value in ("Morocco", "ليلى", "1,234"):
        plain = renderer.render(value, "body", SIZE, WHITE, BLACK)
        wrapped = renderer.render(isolate(value), "body", SIZE, WHITE, BLACK)
        assert plain.get_size() == wrapped.get_size(), value
        assert pygame.image.tobytes(plain, "RGB") == pygame.image.tobytes(wrapped, "RGB"), value
    arabic = [run for run in renderer.layout(LTR_ATTRIBUTION, "body", SIZE).runs if run.rtl]
    assert [run.text for run in arabic] == ["ليلى"]  # one run: the name is shaped (joined) whole


# --- wrapping never leaves an isolate open ------------------------------------------------------


def _balanced(line: str) -> bool:
    depth = 0
    for ch in line:
        if ch in ISOLATE_OPENERS:
            depth += 1
        elif ch == PDI:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _without_controls(text: str) -> str:
    return "".join(ch for ch in text if ch not in BIDI_CONTROLS)


def test_a_name_cut_by_a_line_break_is_closed_and_reopened_in_its_direction(path: str) -> None:
    renderer = TextRenderer(FontBook())
    name = "ليلى بنت محمد الحسني"
    text = "— " + isolate(name) + ", " + isolate("Morocco") + " " + isolate("2026")
    for width in range(140, 700, 13):
        lines = renderer.wrap(text, "body", SIZE, width)
        assert all(_balanced(line) for line in lines), lines
        assert " ".join(_without_controls(line) for line in lines) == _without_controls(text)
        for line in lines:
            layout = renderer.layout(line, "body", SIZE, base=0)
            assert layout.width <= width
            for run in layout.runs:
                if any("\u0600" <= ch <= "\u06ff" for ch in run.text):
                    assert run.rtl, (width, line)  # a piece of the name still reads right to left
                if "Morocco" in run.text:
                    assert not run.rtl
    lines = renderer.wrap(text, "body", SIZE, 200)
    assert len(lines) > 1 and lines[1].startswith(RLI), "the FSI reopens as what it resolved to"


def test_an_attribution_that_fits_keeps_its_isolates_as_written(path: str) -> None:
    renderer = TextRenderer(FontBook())
    assert renderer.wrap(LTR_ATTRIBUTION, "body", SIZE, 1000) == [LTR_ATTRIBUTION]
    cut = renderer.wrap("— " + isolate("ليلى بنت محمد الحسني"), "body", SIZE, 140, max_lines=1)
    assert len(cut) == 1 and cut[0].endswith("\u2026") and _balanced(cut[0])


def test_a_line_of_nothing_but_isolate_controls_draws_nothing(path: str) -> None:
    """An empty name isolated by a template ("— \u2068\u2069") once raised inside layout."""
    renderer = TextRenderer(FontBook())
    for text in (FSI + PDI, FSI, PDI + RLI, "— " + FSI + PDI):
        assert renderer.render(text, "body", SIZE, WHITE).get_width() >= 1
        lines = renderer.wrap(text, "body", SIZE, 200)
        assert "".join(_without_controls(line) for line in lines) == _without_controls(text).strip()
    assert renderer.layout(FSI + PDI, "body", SIZE).width == 0
