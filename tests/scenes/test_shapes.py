"""Every scene at every shape: nothing touches the edges, the words that matter read back whole.

The checks look at pixels, not at the layout code's idea of where text went:
the frame's border must be dark, a keep-out box must stay empty, and OCR
(tesseract, as a passer-by would read it) must find the total and the whole
of a long name and call to action. On failure the frame is written to
``$PROJECTOR_SCREEN_FAILURES`` (default: the temp dir) to be looked at.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pygame
import pytest

from projector.core.model import Case
from projector.core.safe_area import Box, SafeArea
from projector.core.state import Message, ShowState
from projector.display.assets import Assets
from projector.display.director import Director
from projector.display.layout import NoRoom, Shape, frame_for, shape_of
from projector.display.scene import get_scene
from scenes.portrait import PortraitScene
from tests.display.screens import FAILURES, lit_pixels, make_assets, read_text, region, sample_state, surface

SHAPES = {"16:9": (1920, 1080), "tower": (1080, 1920), "banner": (3840, 1080)}
#: Scenes with words on a black ground. (The ticker crawls in and out at the edges by design;
#: the ident card draws the frame's edges on purpose, for lining up a projector.)
WORD_SCENES = ("totals", "messages", "qr", "fallback")
LONG_NAME = "Christopher Montgomery Richardson Abernathy"
LONG_ASK = "Write to the Attorney General and demand that Christopher is released without conditions today"
WALL = (
    Message("m1", "Stay strong. The whole world is watching and we will keep on writing.", "Lena", "DE"),
    Message("m2", "Solidarité totale depuis Lyon, nous ne vous oublierons jamais !", "Camille", "FR"),
    Message("m3", "Держись! Мы с тобой.", "Ivan", "UA"),
    Message("m4", "الحرية لطارق! نحن معك حتى تعود إلى عائلتك.", "Nour", "LB"),
    Message("m5", "We are with you, from Nairobi to Lima.", "Amani", "KE"),
)


def state() -> ShowState:
    base = sample_state(1_234_567, wall=WALL)
    long = Case("long", LONG_NAME, "GB", "Arrested for a peaceful protest outside parliament.", LONG_ASK)
    return replace(base, cases=MappingProxyType({**base.cases, "long": long}))


def render(
    name: str, size: tuple[int, int], params: dict[str, Any] | None = None, **kw: Any
) -> tuple[Any, pygame.Surface]:
    assets = make_assets(size, **kw)
    return render_with(assets, name, params or {})


def render_with(assets: Assets, name: str, params: dict[str, Any]) -> tuple[Any, pygame.Surface]:
    scene = get_scene(name)()
    s = state()
    scene.enter(s, assets, params)
    for _ in range(120):  # counters settled, the spotlight's card made, fades done
        scene.update(s, 1 / 60)
    out = surface(assets.size)
    scene.draw(out)
    return scene, out


def keep(out: pygame.Surface, what: str) -> Path:
    FAILURES.mkdir(parents=True, exist_ok=True)
    path = FAILURES / f"{what}.png"
    pygame.image.save(out, str(path))
    return path


def border_lit(out: pygame.Surface, skip: pygame.Rect | None = None) -> int:
    """Lit pixels in a strip around the frame (1% of its short side), outside ``skip``."""
    w, h = out.get_size()
    band = max(4, min(w, h) // 100)
    strips = [pygame.Rect(0, 0, w, band), pygame.Rect(0, h - band, w, band)]
    strips += [pygame.Rect(0, 0, band, h), pygame.Rect(w - band, 0, band, h)]
    total = 0
    for strip in strips:
        piece = region(out, strip)
        if skip is not None and skip.colliderect(strip):
            piece = piece.copy()
            piece.fill((0, 0, 0), skip.move(-strip.left, -strip.top))
        total += lit_pixels(piece)
    return total


def words_of(text: str) -> list[str]:
    return re.findall(r"[A-Z0-9]+", text.upper())


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", WORD_SCENES)
def test_no_word_touches_the_edges(name: str, shape: str) -> None:
    size = SHAPES[shape]
    _, out = render(name, size, {"url": "https://example.org/submit"} if name == "qr" else None)
    lit = border_lit(out)
    assert lit == 0, (
        f"{name} at {shape}: {lit} lit pixels at the edge; see {keep(out, f'edge-{name}-{shape}')}"
    )
    assert lit_pixels(out) > 0.01 * size[0] * size[1]  # and it drew something


@pytest.mark.parametrize("variant", ["full", "facade"])
@pytest.mark.parametrize("shape", SHAPES)
def test_the_total_reads_back_whole(shape: str, variant: str) -> None:
    scene, out = render("totals", SHAPES[shape], {"variant": variant})
    seen = read_text(out)
    # Tesseract splits a whole frame into blocks by everything in it: when the bold labels at
    # the right of the banner became real bold it split the (unchanged) counter differently and
    # misread it at every scale. So the counter is also read where it stands, with a margin.
    rect = scene.number_rect
    seen += read_text(region(out, rect.inflate(rect.height // 2, rect.height // 2)))
    assert "1,234,567" in seen.replace(" ", ""), (
        f"{shape}/{variant}: OCR read {seen!r}; see {keep(out, f'total-{shape}-{variant}')}"
    )
    assert "ACTIONS" in seen
    assert border_lit(out) == 0


@pytest.mark.parametrize("variant", ["full", "facade"])
@pytest.mark.parametrize("shape", SHAPES)
def test_a_long_name_and_its_ask_read_back_whole(shape: str, variant: str) -> None:
    scene, out = render("portrait", SHAPES[shape], {"case": "long", "variant": variant})
    seen = words_of(read_text(out, dark_text=True))
    where = keep(out, f"portrait-{shape}-{variant}")
    for word in words_of(LONG_NAME) + words_of(LONG_ASK):
        assert word in seen, f"{shape}/{variant}: {word!r} not read back ({seen}); see {where}"
    assert "\u2026" not in "".join(scene.name_lines)
    # Nothing but the picture touches the edge.
    assert border_lit(out, skip=scene.panel) == 0, where


@pytest.mark.parametrize("shape", SHAPES)
def test_the_layout_follows_the_shape(shape: str) -> None:
    """A tower stacks the words under the face; a banner puts the face at one end; 16:9 beside it."""
    size = SHAPES[shape]
    scene, _ = render("portrait", size, {"case": "ayse"})
    panel = scene.panel
    if shape == "tower":
        assert panel.width == size[0] and panel.height < size[1] and scene.region.top >= panel.bottom
    else:
        assert panel.height == size[1] and scene.region.left >= panel.right
    assert (
        shape_of(*size) is {"16:9": Shape.LANDSCAPE, "tower": Shape.PORTRAIT, "banner": Shape.BANNER}[shape]
    )


@pytest.mark.parametrize("size", [(1366, 768), (1200, 1600), (1080, 1080), (5760, 1080), (2160, 3840)])
@pytest.mark.parametrize("name", ["totals", "portrait", "messages", "qr"])
def test_odd_sizes_keep_words_inside_the_frame(name: str, size: tuple[int, int]) -> None:
    params: dict[str, Any] = {"case": "long"} if name == "portrait" else {}
    if name == "qr":
        params = {"url": "https://example.org/submit"}
    scene, out = render(name, size, params)
    skip = scene.panel if name == "portrait" else None
    assert border_lit(out, skip) == 0, keep(out, f"odd-{name}-{size[0]}x{size[1]}")


# --- the safe area ---------------------------------------------------------------------------------


WINDOW = Box(0.55, 0.25, 0.2, 0.35)  # a window in the facade, right of the middle


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ["totals", "messages", "qr", "portrait"])
def test_words_keep_out_of_a_window_and_inside_the_margins(name: str, shape: str) -> None:
    size = SHAPES[shape]
    assets = make_assets(size)
    assets.safe_area = SafeArea(top=0.05, right=0.04, bottom=0.08, left=0.04, avoid=(WINDOW,))
    params: dict[str, Any] = {"url": "https://example.org/submit"} if name == "qr" else {}
    if name == "portrait":
        params = {"case": "long"}
    scene, out = render_with(assets, name, params)
    w, h = size
    window = pygame.Rect(int(WINDOW.x * w), int(WINDOW.y * h), int(WINDOW.w * w), int(WINDOW.h * h))
    margins = [
        pygame.Rect(0, 0, w, int(0.05 * h)),
        pygame.Rect(0, h - int(0.08 * h), w, int(0.08 * h)),
        pygame.Rect(0, 0, int(0.04 * w), h),
        pygame.Rect(w - int(0.04 * w), 0, int(0.04 * w), h),
    ]
    picture = scene.panel if name == "portrait" else pygame.Rect(0, 0, 0, 0)
    where = keep(out, f"safe-{name}-{shape}")
    for rect in [window, *margins]:
        piece = region(out, rect).copy()
        if picture.colliderect(rect):
            piece.fill((0, 0, 0), picture.move(-rect.left, -rect.top))
        assert lit_pixels(piece) == 0, f"{name} at {shape}: words in {rect}; see {where}"
    if name == "portrait":
        seen = words_of(read_text(out))
        assert all(word in seen for word in words_of(LONG_NAME)), (seen, where)


def test_a_safe_area_with_no_room_shows_the_fallback_and_says_why_once(caplog: Any) -> None:
    assets = make_assets((1920, 1080))
    assets.safe_area = SafeArea(avoid=(Box(0, 0, 1, 1),))
    with pytest.raises(NoRoom, match="no room"):
        frame_for(assets.size, assets.safe_area)
    director = Director(assets, pinned="totals", rotation=1.0)
    out = surface((1920, 1080))
    with caplog.at_level(logging.WARNING):
        for _ in range(400):  # several retries of the pinned scene
            director.update(state(), 1 / 30)
            director.draw(out)
    assert director.scene_name == "fallback"
    said = [r for r in caplog.records if "no room" in r.getMessage()]
    assert len(said) == 1, [r.getMessage() for r in said]
    seen = read_text(out)
    assert "WRITE FOR RIGHTS" in seen and re.search(r"\d,\d{3},\d{3}", seen), seen  # still the campaign


@pytest.mark.parametrize("size", [(1, 1), (16, 16), (40, 30), (90, 160)])
def test_a_frame_too_small_for_words_draws_the_fallback(size: tuple[int, int], caplog: Any) -> None:
    assets = make_assets(size)
    director = Director(assets, rotation=1.0)
    out = surface(size)
    with caplog.at_level(logging.WARNING):
        for _ in range(90):
            director.update(state(), 1 / 30)
            director.draw(out)
    assert director.scene_name == "fallback"
    assert len([r for r in caplog.records if "no room" in r.getMessage()]) <= 3  # once per scene at most


def test_a_name_of_200_characters_is_whole_and_inside_the_frame() -> None:
    name = " ".join(["Wolfeschlegelsteinhausen", "Bergerdorff"] * 8)[:200]
    s = state()
    s = replace(s, cases=MappingProxyType({"x": Case("x", name, "DE", "", "Write.")}))
    for size in SHAPES.values():
        assets = make_assets(size)
        scene = PortraitScene()
        scene.enter(s, assets, {"case": "x"})
        assert "".join(scene.name_lines).replace(" ", "") == name.replace(
            " ", ""
        )  # every letter, no ellipsis
        name_block = scene.blocks[1] if len(scene.blocks) > 1 else scene.blocks[0]
        rect = pygame.Rect(name_block.pos, name_block.surface.get_size())
        assert scene.frame.area.contains(rect), (size, rect, scene.frame.area)


@pytest.mark.parametrize("shape", SHAPES)
def test_an_ask_with_no_word_spaces_is_broken_between_clusters_and_kept_inside(shape: str) -> None:
    ask = "เขียนจดหมายถึงรัฐมนตรีว่าการกระทรวงยุติธรรมเพื่อเรียกร้องให้ปล่อยตัวเธอทันทีโดยไม่มีเงื่อนไข"
    s = state()
    s = replace(s, cases=MappingProxyType({"th": Case("th", "Somchai Wongsakul", "TH", "", ask)}))
    assets = make_assets(SHAPES[shape])
    scene = PortraitScene()
    scene.enter(s, assets, {"case": "th"})
    assert scene.cta is not None
    cta = pygame.Rect(scene.cta_pos, scene.cta.get_size())
    assert scene.frame.area.contains(cta)
    out = surface(SHAPES[shape])
    scene.draw(out)
    assert lit_pixels(region(out, cta)) > 0.5 * cta.width * cta.height  # the yellow box, with words in it
