"""Scenes in the audience's language, read back from the pixels by OCR.

Each scene is rendered headless in Turkish, French, Arabic and Khmer and read
with tesseract's data for that language (installed by ``.ci/run``): the
localised label and the number in the locale's own format must be on the
screen, not only in the layout code's idea of it. A right-to-left locale must
mirror what has a direction (the bar fills from the right, the heading sits
on the right).
"""

from __future__ import annotations

import difflib
import re
import shutil
import unicodedata
from typing import Any

import pygame
import pytest

from projector.display.scene import DEFAULT_TAGLINE, YELLOW, get_scene
from projector.i18n import Localizer
from scenes.qr import DEFAULT_TITLE
from tests.display.screens import FAILURES, make_assets, read_text, sample_state, surface

pytestmark = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="tesseract is not installed (.ci/run installs it)"
)

#: locale tag -> tesseract language data.
LOCALES = {"tr-TR": "tur", "fr": "fra", "ar": "ara", "km": "khm"}


def squash(text: str) -> str:
    """Letters and digits only, upper case, marks and dots of Latin letters dropped (İ -> I):
    OCR reads a tracked headline with stray spaces and sometimes without its accents."""
    out = []
    for ch in unicodedata.normalize("NFKD", text.upper()):
        if unicodedata.category(ch)[0] in "LN" and not unicodedata.combining(ch):
            out.append(ch)
        elif unicodedata.combining(ch) and not ("\u0300" <= ch <= "\u036f"):
            out.append(ch)  # a Khmer or Arabic mark is part of the word
    return "".join(out)


def reads(seen: str, expected: str, ratio: float = 0.8) -> bool:
    """``expected`` is somewhere in ``seen``, allowing an OCR slip or two."""
    want, got = squash(expected), squash(seen)
    if want in got:
        return True
    n = len(want)
    best = max(
        (
            difflib.SequenceMatcher(None, want, got[i : i + n]).ratio()
            for i in range(max(1, len(got) - n + 1))
        ),
        default=0.0,
    )
    return best >= ratio


def render(
    name: str, tag: str, params: dict[str, Any] | None = None, size: tuple[int, int] = (1920, 1080)
) -> Any:
    assets = make_assets(size, locale=tag)
    state = sample_state()
    scene = get_scene(name)()
    scene.enter(state, assets, params or {})
    for _ in range(90):
        scene.update(state, 1 / 30)
    out = surface(size)
    scene.draw(out)
    return scene, out


def save(out: pygame.Surface, name: str) -> str:
    FAILURES.mkdir(parents=True, exist_ok=True)  # a fresh machine has no such folder yet
    path = FAILURES / f"locale-{name}.png"
    pygame.image.save(out, str(path))
    return str(path)


@pytest.mark.parametrize("tag", LOCALES)
def test_the_total_and_its_label_read_back_in_the_locales_words_and_digits(tag: str) -> None:
    t = Localizer.for_tag(tag)
    _, out = render("totals", tag)
    seen = read_text(out, lang=LOCALES[tag] + "+eng")
    number = t.number(1_234_567)
    assert number != "1,234,567" or tag in ("ar", "km")  # Turkish and French group their own way
    path = save(out, f"totals-{tag}")
    separator = re.sub(r"\d", "", number)[0]
    if separator.isspace():
        # A (narrow) no-break space reads as a space or as nothing; never as a comma or a dot.
        assert re.search(r"1\s?234\s?567", seen), (tag, number, seen, path)
        assert not re.search(r"1[,.]\s?234", seen), (tag, number, seen, path)
    else:
        assert number in seen.replace(" ", ""), (tag, number, seen, path)
    assert reads(seen, t.gettext(DEFAULT_TAGLINE)), (tag, t.gettext(DEFAULT_TAGLINE), seen, path)
    assert t.gettext(DEFAULT_TAGLINE) != DEFAULT_TAGLINE or tag == "en"


@pytest.mark.parametrize("tag", LOCALES)
def test_the_portrait_counts_and_names_the_country_in_the_locales_words(tag: str) -> None:
    t = Localizer.for_tag(tag)
    scene, out = render("portrait", tag, {"case": "ayse"})
    path = save(out, f"portrait-{tag}")
    # The count mixes the script and Latin digits: read with the language alone and with English.
    seen = read_text(out, lang=LOCALES[tag]) + read_text(out, lang=LOCALES[tag] + "+eng")
    count = t.ngettext("{number} ACTION SO FAR", "{number} ACTIONS SO FAR", 4321).format(
        number=t.number(4321)
    )
    assert reads(seen, count), (tag, count, seen, path)
    # The country is a small kicker above the name: read where it is drawn, on a white margin.
    kicker = scene.blocks[0].surface
    padded = pygame.Surface((kicker.get_width() + 80, kicker.get_height() + 80))
    padded.fill((0, 0, 0))
    padded.blit(kicker, (40, 40))
    big = pygame.transform.smoothscale(padded, (padded.get_width() * 2, padded.get_height() * 2))
    country = t.upper(t.country("TR"))
    seen = read_text(big, sides=(400, 800), lang=LOCALES[tag], psm=7)
    assert reads(seen, country), (tag, country, seen, path)


@pytest.mark.parametrize("tag", LOCALES)
def test_the_wall_heading_and_the_qr_title_are_the_locales(tag: str) -> None:
    t = Localizer.for_tag(tag)
    _, wall = render("messages", tag)
    heading = t.gettext("MESSAGES OF SOLIDARITY")
    seen = read_text(wall, lang=LOCALES[tag])
    assert reads(seen, heading), (tag, heading, seen, save(wall, f"messages-{tag}"))
    _, qr = render("qr", tag, {"url": "https://example.org/submit"})
    title = t.gettext(DEFAULT_TITLE)
    seen = read_text(qr, lang=LOCALES[tag])
    assert reads(seen, title), (tag, title, seen, save(qr, f"qr-{tag}"))


@pytest.mark.parametrize("tag", LOCALES)
def test_the_ticker_names_countries_in_the_locales_language(tag: str) -> None:
    t = Localizer.for_tag(tag)
    scene, out = render("ticker", tag)
    band = out.subsurface(scene.band).copy()
    seen = read_text(band, sides=(800, 1200, 1920), lang=LOCALES[tag] + "+eng")
    names = [t.country(code) for code in ("DE", "FR", "UA")]
    assert any(reads(seen, name) for name in names), (tag, names, seen, save(out, f"ticker-{tag}"))


def yellow_columns(out: pygame.Surface, rect: pygame.Rect) -> list[int]:
    return [
        x
        for x in range(rect.left, rect.right)
        if any(
            sum(abs(a - b) for a, b in zip(out.get_at((x, y))[:3], YELLOW, strict=True)) < 60
            for y in range(rect.top, rect.bottom, max(1, rect.height // 6))
        )
    ]


def test_a_right_to_left_locale_mirrors_the_bar_and_the_headings() -> None:
    ltr, ltr_out = render("totals", "en")
    rtl, rtl_out = render("totals", "ar")
    bar = ltr.bar
    filled = yellow_columns(ltr_out, bar)
    assert filled and min(filled) - bar.left < 3 and bar.right - max(filled) > bar.width * 0.2
    mirrored = yellow_columns(rtl_out, rtl._rect(rtl.bar))
    shown = rtl._rect(rtl.bar)
    assert mirrored and shown.right - max(mirrored) < 3 and min(mirrored) - shown.left > shown.width * 0.2
    # The wall's heading: on the left in English, on the right in Arabic.
    en_wall, _ = render("messages", "en")
    ar_wall, _ = render("messages", "ar")
    assert en_wall.header_pos[0] < 1920 // 4
    assert ar_wall.header_pos[0] + ar_wall.header.get_width() > 1920 * 3 // 4
    # The portrait's face on the right, its words on the left.
    ar_portrait, _ = render("portrait", "ar", {"case": "ayse"})
    panel = ar_portrait.panel
    assert ar_portrait._at(panel.left, panel.top, panel.width)[0] > 1920 // 2


def test_an_english_campaign_name_keeps_its_english_capitals_on_a_turkish_screen() -> None:
    """Capitals follow the language the words are in: "WRITE", never "WRİTE" with a dot."""
    scene_tr, tr = render("totals", "tr-TR")
    scene_en, en = render("totals", "en")
    assert scene_tr.header is not None and scene_en.header is not None
    header = scene_en.header.get_rect(topleft=scene_en.header_pos)
    assert scene_tr.header_pos == scene_en.header_pos
    same = pygame.image.tobytes(tr.subsurface(header), "RGB") == pygame.image.tobytes(
        en.subsurface(header), "RGB"
    )
    assert same, (save(tr, "header-tr"), save(en, "header-en"))
