"""Checking a brand kit: colours written #rrggbb, the packaged fonts, an uploaded font's or a logo's media hash,
and the WCAG contrast the panel warns about."""

from __future__ import annotations

import pytest

from projector.core.brand import (
    contrast,
    contrast_warnings,
    parse_brand,
    parse_colour,
    parse_font,
    rgb,
)
from projector.core.model import Brand, ValidationError


def test_colours_are_normalised_and_bad_ones_named() -> None:
    assert parse_colour(" #FFdd00 ", "accent") == "#ffdd00"
    for bad in ("#fd0", "ffdd00", "#ffdd0g", "yellow", 0xFFDD00, None):
        with pytest.raises(ValidationError) as info:
            parse_colour(bad, "accent")
        assert info.value.field == "accent"
    assert rgb("#ff8800") == (255, 136, 0)


def test_a_kit_keeps_what_the_body_leaves_out_and_names_what_is_wrong() -> None:
    current = Brand(accent="#00ff99", font="noto-sans")
    assert parse_brand({"background": "#102030"}, current) == Brand(
        "#102030", "#ffffff", "#00ff99", "noto-sans"
    )
    assert parse_brand({"logo": None}, Brand(logo="a" * 64)).logo is None
    for body, field in [
        ({"font": "papyrus"}, "font"),
        ({"logo": "portrait.jpg"}, "logo"),
        ({"shadow": "#000000"}, "shadow"),
        ({"text": ""}, "text"),
    ]:
        with pytest.raises(ValidationError) as info:
            parse_brand(body, current)
        assert info.value.field == field


def test_the_font_is_packaged_or_an_uploaded_fonts_hash() -> None:
    assert parse_font("noto-sans") == "noto-sans"
    assert parse_font("upload:" + "ab" * 32) == "upload:" + "ab" * 32
    assert parse_brand({"font": "upload:" + "0" * 64}).font == "upload:" + "0" * 64
    for bad in ("upload:", "upload:" + "AB" * 32, "upload:../../etc/passwd", "ab" * 32, "Anton", None, 3):
        with pytest.raises(ValidationError) as info:
            parse_font(bad, "brand.font")
        assert info.value.field == "brand.font"
        assert "upload:<hash> of a font uploaded with POST /api/v1/fonts" in info.value.message


def test_contrast_is_wcags_ratio() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast("#000000", "#ffdd00") == pytest.approx(15.59, abs=0.01)  # the house accent
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_pairs_below_aa_for_large_text_are_warned_about() -> None:
    assert contrast_warnings(Brand()) == []
    assert contrast_warnings(Brand(background="#ffffff", text="#000000", accent="#ffdd00")) == [
        "background/accent"  # yellow on white: 1.4:1
    ]
    assert contrast_warnings(Brand(background="#444444", text="#555555", accent="#666666")) == [
        "background/text",
        "background/accent",
    ]
