"""Words fitted to a box: the largest size at which they fit whole, balanced, never cut."""

from __future__ import annotations

from projector.display.text.fitting import TextFitter
from projector.display.text.fonts import FontBook
from projector.display.text.renderer import TextRenderer

ASK = "WRITE TO THE PROSECUTOR GENERAL OF BELARUS: FREE ALESIA AND EVERY STUDENT JAILED FOR PEACEFUL PROTEST."


def fitter() -> TextFitter:
    return TextFitter(TextRenderer(FontBook()))


def test_the_largest_size_that_fits_whole_is_found() -> None:
    f = fitter()
    got = f.fit(ASK, "display", 800, 300, 200, 8)
    assert got.fits and " ".join(got.lines).split() == ASK.split()
    assert got.width <= 800 and got.height <= 300
    bigger = f.text.wrap(ASK, "display", got.size + 1, 800)
    assert f.text.block_height(bigger, "display", got.size + 1) > 300 or any(
        f.text.width(line, "display", got.size + 1) > 800 for line in bigger
    )


def test_lines_are_balanced_rather_than_a_long_one_and_a_stub() -> None:
    f = fitter()
    got = f.fit(ASK, "display", 1400, 400, 90, 8, max_lines=3)
    greedy = f.text.wrap(ASK, "display", got.size, 1400)
    assert len(got.lines) == len(greedy) > 1
    widths = [f.text.width(line, "display", got.size) for line in got.lines]
    greedy_widths = [f.text.width(line, "display", got.size) for line in greedy]
    assert max(widths) <= max(greedy_widths) and min(widths) >= min(greedy_widths)
    assert min(widths) > 0.6 * max(widths), (got.lines, widths)


def test_a_word_is_not_cut_while_a_smaller_size_keeps_it_whole() -> None:
    f = fitter()
    got = f.fit("Christopher Montgomery", "display", 300, 2000, 400, 8)
    assert set(" ".join(got.lines).split()) == {"Christopher", "Montgomery"}


def test_text_too_long_for_the_box_keeps_every_word_and_says_it_does_not_fit() -> None:
    f = fitter()
    got = f.fit(ASK * 4, "display", 200, 40, 60, 12)
    assert not got.fits and got.size == 12
    assert "".join(got.lines).replace(" ", "") == (ASK * 4).replace(" ", "")
    assert "\u2026" not in "".join(got.lines)


def test_a_second_call_is_answered_from_the_cache() -> None:
    f = fitter()
    first = f.fit(ASK, "display", 800, 300, 200, 8)
    assert f.fit(ASK, "display", 800, 300, 200, 8) is first
