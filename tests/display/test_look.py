"""The kit's uploaded headline font on a display: headlines draw with it once its file is in the
media cache, the house face until then (never a blank), and the scripts it lacks (Arabic, Khmer)
still draw, from the packaged fonts behind it."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pygame

from projector.core.model import Brand
from projector.core.state import ShowState
from projector.display.look import HOUSE, headline_face, look_of
from scenes.layout import LayoutScene
from tests.display.screens import lit_pixels, make_assets, max_difference, sample_state, surface
from tests.display.test_pictures import Folder
from tests.media.font_files import noto_italic, renamed

SIZE = (960, 540)
ARABIC = "الحرية للجميع"


def headline(words: str) -> str:
    return f'[[regions]]\nkind = "text"\ntext = "{words}"\ncolour = "text"\nx = 0\ny = 0.2\nw = 1\nh = 0.6\n'


def uploaded(folder: Path) -> str:
    """A visibly different OFL font (Noto Sans Italic, renamed: another family) in a media cache."""
    data = renamed(noto_italic(), "Campaign Italic")
    media_hash = hashlib.sha256(data).hexdigest()
    (folder / media_hash).write_bytes(data)
    return media_hash


def state_with(font: str, words: str) -> ShowState:
    state = sample_state()
    campaign = replace(
        state.campaign, brand=Brand(font=font), layouts=MappingProxyType({"h": headline(words)})
    )
    return replace(state, campaign=campaign)


def drawn(state: ShowState, media: Folder | None) -> pygame.Surface:
    scene = LayoutScene()
    scene.enter(state, make_assets(SIZE, media_cache=media), {"layout": "h"})
    scene.update(state, 1 / 60)
    out = surface(SIZE)
    scene.draw(out)
    return out


def test_a_packaged_font_and_an_upload_not_yet_here_draw_with_a_house_face() -> None:
    assert headline_face(Brand()) == "display" and HOUSE.display == "display"
    assert headline_face(Brand(font="noto-sans")) == "display-sans"
    font = "upload:" + "ab" * 32
    assert headline_face(Brand(font=font)) == "display"  # still downloading: the house face
    assert headline_face(Brand(font=font), {font}) == font
    assert look_of(Brand(font=font), {font}).display == font


def test_headlines_draw_with_the_uploaded_font_once_it_is_in_the_cache(tmp_path: Path) -> None:
    media_hash = uploaded(tmp_path)
    house = drawn(state_with("anton", "RELEASE THEM NOW"), Folder(tmp_path))
    waiting = drawn(state_with("upload:" + media_hash, "RELEASE THEM NOW"), Folder(tmp_path / "none"))
    own = drawn(state_with("upload:" + media_hash, "RELEASE THEM NOW"), Folder(tmp_path))
    # Not in the cache yet: exactly the house headline, never a blank.
    assert max_difference(house, waiting) == 0 and lit_pixels(waiting) > 2_000
    # In the cache: the same words in the uploaded face, which looks nothing like Anton.
    assert lit_pixels(own) > 2_000
    differing = sum(
        1
        for x in range(0, SIZE[0], 4)
        for y in range(0, SIZE[1], 4)
        if own.get_at((x, y)) != house.get_at((x, y))
    )
    assert differing > 500


def test_scripts_the_uploaded_font_lacks_still_draw(tmp_path: Path) -> None:
    media_hash = uploaded(tmp_path)
    assets = make_assets(SIZE, media_cache=Folder(tmp_path))
    font = "upload:" + media_hash
    assert font in assets.faces_for(Brand(font=font))
    arabic = drawn(state_with(font, ARABIC), Folder(tmp_path))
    assert lit_pixels(arabic) > 2_000  # drawn by the packaged Arabic font behind the upload
    assert not assets.text.missing
    for words in (ARABIC, "ខ្មែរ", "Ayşe 2025"):
        layout = assets.text.layout(words, font, 48)
        assert layout.width > 0 and all(run.file is not None for run in layout.runs), words
    latin = assets.text.layout("Ayşe", font, 48)
    assert latin.runs[0].file is not None and latin.runs[0].file.path == tmp_path / media_hash
