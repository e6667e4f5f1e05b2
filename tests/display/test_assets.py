"""The assets' caches stay within their bounds however long the show runs, and give back what they drop."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pygame
from PIL import Image

from projector.core.model import Case
from projector.core.state import ShowState
from projector.display.assets import Assets
from projector.display.memory import portrait_bytes, text_pixels
from tests.display.screens import make_assets, sample_state


class Loader:
    """Stands in for ``media.pipeline.PortraitLoader``: a grey picture of the size asked, at once."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.kept: dict[str, Image.Image] = {}

    def request(self, key: str, path: Path, size: tuple[int, int], focus: Any = None) -> None:
        self.requests.append(key)
        self.kept[key] = Image.new("RGBA", size, (90, 90, 90, 255))

    def get(self, key: str) -> Image.Image | None:
        return self.kept.get(key)

    def forget(self, key: str) -> None:
        self.kept.pop(key, None)

    def close(self) -> None:
        pass


def many_cases(tmp_path: Path, n: int) -> ShowState:
    cases: dict[str, Case] = {}
    for i in range(n):
        case_id = f"case{i}"
        (tmp_path / case_id).mkdir()
        (tmp_path / case_id / "p.png").write_bytes(b"")  # the fake loader never reads it
        cases[case_id] = Case(case_id, f"Person {i}", "FR", "Jailed.", "Write.", portrait="p.png")
    return replace(sample_state(), cases=MappingProxyType(cases))


def show(assets: Assets, case_id: str, size: tuple[int, int]) -> pygame.Surface | None:
    assets.portrait(case_id, size)  # asks
    return assets.portrait(case_id, size)  # collects


def test_portraits_stay_within_their_byte_budget_and_the_loader_keeps_none(tmp_path: Path) -> None:
    loader = Loader()
    assets = make_assets((1920, 1080), media_dir=tmp_path, loader=loader)
    state = many_cases(tmp_path, 12)
    assets.set_cases(state.cases)
    panel = (806, 1080)  # the portrait scene's panel at 1080p
    for _ in range(2):
        for case_id in state.cases:
            assert show(assets, case_id, panel) is not None
            assert assets.portrait_bytes <= assets.portrait_budget == portrait_bytes((1920, 1080))
            assert loader.kept == {}  # handed over: one copy, here
    # The budget holds two portraits at this size: the one on screen and the next.
    assert 2 * 806 * 1080 * 4 <= assets.portrait_budget < 3 * 806 * 1080 * 4
    # What was dropped is asked for again when a scene wants it back, not lost.
    assert loader.requests.count("case0:p.png:None@806x1080") == 2


def test_the_portrait_just_shown_is_still_there_for_the_next_frame(tmp_path: Path) -> None:
    loader = Loader()
    assets = make_assets((640, 360), media_dir=tmp_path, loader=loader)
    state = many_cases(tmp_path, 3)
    assets.set_cases(state.cases)
    first = show(assets, "case0", (600, 360))
    show(assets, "case1", (600, 360))
    asked = len(loader.requests)
    assert assets.portrait("case1", (600, 360)) is not None and len(loader.requests) == asked
    assert first is not None


def test_a_portrait_bigger_than_the_whole_budget_is_still_kept_alone(tmp_path: Path) -> None:
    loader = Loader()
    assets = make_assets((320, 180), media_dir=tmp_path, loader=loader)
    state = many_cases(tmp_path, 2)
    assets.set_cases(state.cases)
    big = (2000, 2000)  # 16 MB, past a 4 MB budget: shown, then dropped when the next comes
    assert show(assets, "case0", big) is not None
    assert assets.portrait("case0", big) is not None
    assert show(assets, "case1", big) is not None
    assert assets.portrait_bytes == 2000 * 2000 * 4


def test_rendered_text_stays_within_the_pixels_the_display_size_allows() -> None:
    assets = make_assets((640, 360))
    cache = assets.text.cache
    assert cache.max_pixels == text_pixels((640, 360))
    for i in range(400):  # a long night of messages, each rendered big
        assets.text.render(f"Message number {i}: stay strong", "display", 60, (255, 255, 255))
        assert cache.pixels <= cache.max_pixels
    assert len(cache) < 400  # the oldest went


def test_scene_memos_share_the_text_budget() -> None:
    assets = make_assets((640, 360))
    for i in range(40):
        assets.memo(("card", i), lambda: pygame.Surface((640, 360)))
        assert assets.text.cache.pixels <= assets.text.cache.max_pixels
    assert not assets.has_memo(("card", 0)) and assets.has_memo(("card", 39))
