"""The slides scene: pictures from a real media cache, advancing on time, crossfading, captioned, panning."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pygame
import pytest
from PIL import Image

from projector.core.cues import BUILTIN_SCENES, parse_cue
from projector.core.playout import cue_seconds
from projector.core.state import ShowState
from projector.display.assets import Assets
from projector.display.media_cache import MediaCache
from scenes.slides import SlidesScene
from tests.display.screens import make_assets

SIZE = (320, 180)
COLOURS = [(200, 30, 30), (30, 200, 30), (30, 30, 200)]


@pytest.fixture
def pictures(tmp_path: Path) -> Iterator[tuple[Assets, list[str]]]:
    """Three flat-colour pictures (with a white stripe to pan across) in a real media cache."""
    folder = tmp_path / "cache" / "media"
    folder.mkdir(parents=True)
    hashes = []
    for colour in COLOURS:
        image = Image.new("RGB", (640, 360), colour)
        image.paste((255, 255, 255), (300, 0, 340, 360))
        path = tmp_path / "p.png"
        image.save(path)
        media_hash = hashlib.sha256(path.read_bytes()).hexdigest()
        path.rename(folder / media_hash)
        hashes.append(media_hash)
    cache = MediaCache(tmp_path / "cache")
    deadline = time.monotonic() + 10
    while any(cache.path(h) is None for h in hashes):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assets = make_assets(SIZE)
    assets.media_cache = cache
    yield assets, hashes
    assets.close()
    cache.close()


def ready(scene: SlidesScene, index: int, timeout: float = 10.0) -> None:
    """Wait (the test, not the scene) until slide ``index``'s picture has arrived."""
    deadline = time.monotonic() + timeout
    while scene._slides[index].picture is None:
        assert time.monotonic() < deadline, f"slide {index + 1} never arrived"
        scene.update(ShowState(), 0.0)
        time.sleep(0.005)


def centre(surface: pygame.Surface) -> str:
    """Which slide's colour is at a point (the natural treatment stretches contrast: compare hues)."""
    r, g, b = tuple(surface.get_at((40, 40)))[:3]
    top = max(r, g, b)
    if sorted((r, g, b))[1] > top * 0.6:
        return "blend"
    return "red" if top == r else "green" if top == g else "blue"


def test_a_slideshow_advances_crossfades_and_ends_on_its_last_slide(
    pictures: tuple[Assets, list[str]],
) -> None:
    assets, hashes = pictures
    params = {
        "slide_1": hashes[0],
        "slide_2": hashes[1],
        "slide_3": hashes[2],
        "seconds": 2,
        "seconds_2": 3,
        "fade": 1.0,
        "ken_burns": False,
        "caption_1": "Night march — 2,000 people",
    }
    scene = SlidesScene()
    scene.enter(ShowState(), assets, params)
    surface = pygame.Surface(SIZE)
    seen = []
    for t in range(0, 80):  # 8 seconds in tenths: 2 + 3 + 2 = 7 s of slides
        for i in range(3):
            if abs(scene._slides[i].at - t / 10) < 1.5:
                ready(scene, i)
        scene.update(ShowState(), 0.1 if t else 0.0)
        scene.draw(surface)
        seen.append((t / 10, scene.index, centre(surface)))

    def at(second: float) -> tuple[int, str]:
        found = next(s for s in seen if abs(s[0] - second) < 0.01)
        return found[1], found[2]

    assert at(0.5) == (0, "red")
    assert at(2.5) == (1, "green")  # advanced after slide 1's two seconds
    assert at(5.5) == (2, "blue")  # slide 2 stayed its own three
    assert at(1.5) == (0, "blend")  # half-way through the crossfade into slide 2: both at once
    assert at(7.9) == (2, "blue") and scene.finished and not scene.holding  # the last one stays
    assert cue_seconds(parse_cue({"id": "s", "scene": "slides", "params": params}, BUILTIN_SCENES), {}) == 7.0


def test_the_caption_is_drawn_in_the_safe_area_and_ken_burns_pans(pictures: tuple[Assets, list[str]]) -> None:
    assets, hashes = pictures
    scene = SlidesScene()
    scene.enter(ShowState(), assets, {"slide_1": hashes[0], "seconds": 4, "caption_1": "صوت من أجل الحرية"})
    ready(scene, 0)
    surface = pygame.Surface(SIZE)
    scene.update(ShowState(), 0.1)
    scene.draw(surface)
    first = pygame.image.tobytes(surface, "RGB")
    caption = scene._caption_box
    assert caption.bottom <= SIZE[1] and caption.top > SIZE[1] // 2
    band = [surface.get_at((x, caption.bottom - 3))[:3] for x in range(caption.left, caption.right)]
    assert (0, 0, 0) in band and any(c == (255, 255, 255) or c[0] > 150 for c in band)
    scene.update(ShowState(), 3.0)
    scene.draw(surface)
    assert pygame.image.tobytes(surface, "RGB") != first  # the stripe moved: the picture pans


def test_slides_not_yet_here_show_a_mark_and_bad_ones_are_skipped(
    pictures: tuple[Assets, list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    assets, hashes = pictures
    scene = SlidesScene()
    scene.enter(ShowState(), assets, {"slide_1": "0" * 64, "slide_2": hashes[1]})  # the first is not anywhere
    surface = pygame.Surface(SIZE)
    scene.update(ShowState(), 0.1)
    scene.draw(surface)
    assert surface.get_at((SIZE[0] // 2, SIZE[1] // 2))[:3] != (0, 0, 0)  # a mark, not black
    empty = SlidesScene()
    empty.enter(ShowState(), assets, {})
    empty.update(ShowState(), 0.1)
    empty.draw(surface)
    assert "has no slides" in caplog.text
