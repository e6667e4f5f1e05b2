"""Whole pictures (a logo, a layout's image): fitted inside their box, never cropped, transparency
kept, decoded off the render thread, and a file that is not a picture never raises into a frame."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pygame
from PIL import Image

from projector.core.model import Brand
from projector.display.pictures import Pictures
from scenes.layout import LayoutScene
from tests.display.screens import make_assets, sample_state, surface

LOGO = "a" * 64
BROKEN = "b" * 64


class Folder:
    """A display's media cache as the scene sees it: verified files by hash (here, a folder)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, media_hash: str) -> Path | None:
        found = self.root / media_hash
        return found if found.is_file() else None


def folder(tmp_path: Path) -> Folder:
    # A wide logo: a red bar with a transparent margin around it.
    logo = Image.new("RGBA", (400, 100), (0, 0, 0, 0))
    logo.paste((255, 0, 0, 255), (20, 20, 380, 80))
    logo.save(tmp_path / LOGO, "PNG")
    (tmp_path / BROKEN).write_bytes(b"<svg onload=alert(1)>")
    return Folder(tmp_path)


def wait(get: object, timeout: float = 10.0) -> pygame.Surface | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = get()  # type: ignore[operator]
        if found is not None:
            return found  # type: ignore[no-any-return]
        time.sleep(0.02)
    return None


def test_a_picture_is_fitted_whole_inside_its_box(tmp_path: Path) -> None:
    make_assets()  # a video mode, as on a display
    pictures = Pictures(folder(tmp_path))
    try:
        got = wait(lambda: pictures.get(LOGO, (200, 200)))
        assert got is not None and got.get_size() == (200, 50)  # 4:1 kept, not cropped to a square
        assert got.get_at((1, 1)).a == 0 and got.get_at((100, 25))[:3] == (255, 0, 0)
        assert pictures.get("not a hash", (10, 10)) is None
    finally:
        pictures.close()


def test_a_file_that_is_not_a_picture_shows_nothing_and_never_raises(tmp_path: Path) -> None:
    make_assets()
    pictures = Pictures(folder(tmp_path))
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and BROKEN not in {k[0] for k in pictures._done}:
            assert pictures.get(BROKEN, (100, 100)) is None
            time.sleep(0.02)
        assert pictures._done[(BROKEN, 100, 100)] is None
    finally:
        pictures.close()


def test_a_layouts_logo_region_shows_the_brand_logo(tmp_path: Path) -> None:
    source = "[[regions]]\nkind = 'logo'\nx = 0\ny = 0\nw = 1\nh = 1\n"
    state = sample_state()
    campaign = replace(state.campaign, brand=Brand(logo=LOGO), layouts=MappingProxyType({"logo": source}))
    state = replace(state, campaign=campaign)
    assets = make_assets((640, 360), media_cache=folder(tmp_path))
    scene = LayoutScene()
    try:
        scene.enter(state, assets, {"layout": "logo"})
        deadline = time.monotonic() + 10
        while not scene.complete() and time.monotonic() < deadline:
            scene.refresh()
            time.sleep(0.02)
        out = surface((640, 360))
        scene.draw(out)
        assert out.get_at((320, 180))[:3] == (255, 0, 0)  # the logo, in the middle
        assert out.get_at((2, 2))[:3] == (0, 0, 0)  # around it, the kit's background
    finally:
        assets.close()
