"""The layout scene: every shipped layout draws at every shape, in the kit's colours; live words
follow the totals; a region over a window is left out; a missing layout shows the fallback."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pygame
import pytest

from projector.core.model import Brand, Totals
from projector.core.safe_area import Box, SafeArea
from projector.core.shipped_layouts import SHIPPED
from projector.core.state import ShowState
from scenes.layout import REFRESH, LayoutScene, UnknownLayout
from tests.display.screens import colour_pixels, make_assets, sample_state, surface

SHAPES = [(1920, 1080), (1080, 1920), (3840, 1080)]
BAND = """
[[regions]]
kind = "fill"
fill = "accent"
x = 0
y = 0
w = 1
h = 0.4

[[regions]]
kind = "text"
text = "{total}"
colour = "text"
x = 0
y = 0.5
w = 1
h = 0.5
"""


def with_layout(state: ShowState, source: str = BAND, brand: Brand | None = None) -> ShowState:
    campaign = replace(state.campaign, layouts=MappingProxyType({"band": source}))
    if brand is not None:
        campaign = replace(campaign, brand=brand)
    return replace(state, campaign=campaign)


def drawn(
    state: ShowState, size: tuple[int, int] = (640, 360), **assets_kw: object
) -> tuple[LayoutScene, pygame.Surface]:
    scene = LayoutScene()
    scene.enter(state, make_assets(size, **assets_kw), {"layout": "band"})
    scene.update(state, 1 / 60)
    out = surface(size)
    scene.draw(out)
    return scene, out


@pytest.mark.parametrize("size", SHAPES)
@pytest.mark.parametrize("name", list(SHIPPED))
def test_every_shipped_layout_draws_inside_the_frame(name: str, size: tuple[int, int]) -> None:
    state = sample_state()
    scene = LayoutScene()
    scene.enter(state, make_assets(size), {"layout": name})
    scene.update(state, 1.0)
    out = surface(size)
    scene.draw(out)
    frame = pygame.Rect(0, 0, *size)
    assert scene.regions
    for placed in scene.regions:
        assert frame.contains(placed.rect), (name, placed.region.kind, placed.rect)
        if placed.surface is not None and placed.region.kind == "text":
            # Fitted: the words stay inside their region (a line may not be cut off).
            assert placed.surface.get_width() <= placed.rect.width + 2, (name, placed.words)
    assert colour_pixels(out, (255, 221, 0), 10) > 0  # the house accent is on screen


def test_the_brand_kit_colours_the_layout() -> None:
    kit = Brand(background="#0a2240", text="#fafafa", accent="#ff8800")
    _, out = drawn(with_layout(sample_state(), brand=kit))
    assert out.get_at((2, 2))[:3] == (10, 34, 64)
    assert colour_pixels(out, (255, 136, 0), 2) > 640 * 100  # the accent band
    assert colour_pixels(out, (250, 250, 250), 40) > 200  # the total, in the kit's text colour
    assert colour_pixels(out, (255, 221, 0), 30) == 0  # no house yellow left


def test_live_words_follow_the_totals() -> None:
    state = with_layout(sample_state(total=1_000))
    scene, _ = drawn(state)
    [words] = [p for p in scene.regions if p.region.kind == "text"]
    assert words.words == "1,000"
    scene.update(replace(state, totals=Totals.of(2_500, {}, {}, {})), REFRESH / 2)
    assert words.words == "1,000"  # looked at again four times a second, not every frame
    scene.update(replace(state, totals=Totals.of(2_500, {}, {}, {})), REFRESH)
    assert words.words == "2,500"


def test_a_region_over_a_keep_out_box_is_left_out() -> None:
    window = SafeArea(avoid=(Box(0.4, 0.0, 0.2, 0.3),))
    assets = make_assets((640, 360))
    assets.safe_area = window
    state = with_layout(sample_state())
    scene = LayoutScene()
    scene.enter(state, assets, {"layout": "band"})
    out = surface((640, 360))
    scene.draw(out)
    assert [p.region.kind for p in scene.regions] == ["fill", "text"]  # a colour field may run behind
    window_only = LayoutScene()
    on_window = BAND.replace('kind = "fill"\nfill = "accent"', 'kind = "text"\ntext = "X"\nfill = "accent"')
    window_only.enter(with_layout(sample_state(), on_window), assets, {"layout": "band"})
    assert [p.region.kind for p in window_only.regions] == ["text"]  # the one over the window went


def test_a_cue_naming_no_layout_fails_on_entry_so_the_fallback_shows() -> None:
    with pytest.raises(UnknownLayout):
        LayoutScene().enter(sample_state(), make_assets(), {"layout": "nothing"})


def test_a_right_to_left_display_sets_start_aligned_words_flush_right() -> None:
    source = BAND.replace('text = "{total}"', 'text = "{total}"\nalign = "start"')
    scene, _ = drawn(with_layout(sample_state(), source), locale="ar")
    [words] = [p for p in scene.regions if p.region.kind == "text"]
    assert words.surface is not None
    assert words.pos[0] + words.surface.get_width() == words.rect.right


def test_a_display_shows_the_words_in_its_language() -> None:
    source = BAND.replace('text = "{total}"', 'text = { en = "{total} ACTIONS", tr = "{total} EYLEM" }')
    scene, _ = drawn(with_layout(sample_state(total=1_000), source), locale="tr")
    [words] = [p for p in scene.regions if p.region.kind == "text"]
    assert words.words == "1.000 EYLEM"  # Turkish words, Turkish digit grouping
    scene, _ = drawn(with_layout(sample_state(total=1_000), source), locale="fr")
    [words] = [p for p in scene.regions if p.region.kind == "text"]
    assert words.words is not None and words.words.endswith("ACTIONS")  # no French: the default
