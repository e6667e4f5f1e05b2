"""Blackout and fallback: the display's own cards, which a show depends on."""

from __future__ import annotations

from projector.display.blackout_scene import BlackoutScene
from projector.display.fallback_scene import FallbackScene
from tests.display.screens import lit_pixels, make_assets, sample_state, surface


def test_blackout_is_all_black_at_once() -> None:
    out = surface()
    out.fill((255, 255, 255))
    scene = BlackoutScene()
    scene.enter(sample_state(), make_assets(), {})
    scene.draw(out)
    assert lit_pixels(out, threshold=1) == 0


def test_fallback_shows_the_campaign_and_total_even_without_assets() -> None:
    scene = FallbackScene()
    scene.enter(sample_state(), object(), {})  # type: ignore[arg-type]
    out = surface((1920, 1080))
    scene.draw(out)
    assert lit_pixels(out) > 10_000
    scene = FallbackScene()
    scene.enter(sample_state(), make_assets(), {})
    out = surface()
    scene.draw(out)
    assert lit_pixels(out) > 5_000
