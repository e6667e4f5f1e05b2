"""The portrait scene: the photo fills its panel; without one the text layout still works."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pygame
from PIL import Image

from media.dossier import DEMO_DIR, load_dossiers
from media.pipeline import MediaError
from projector.core.model import Case, CaseStatus, CaseText
from projector.display.scene import YELLOW
from projector.i18n import Localizer
from scenes.portrait import RELEASED_MARK, PortraitScene, first_sentence, initials
from tests.display.screens import (
    colour_pixels,
    lit_pixels,
    make_assets,
    max_difference,
    region,
    sample_state,
    surface,
)

RED = (200, 30, 40)


class FakeLoader:
    """Stands in for media.pipeline.PortraitLoader: ready at once, or failing."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.requests: list[tuple[str, Path, tuple[int, int]]] = []

    def request(
        self, key: str, path: Path, size: tuple[int, int], treatment: Any = None, focus: Any = None
    ) -> None:
        self.requests.append((key, path, size))

    def get(self, key: str) -> Any:
        for k, _, size in self.requests:
            if k == key:
                if self.fail:
                    return MediaError("x.png", "not an image")
                return Image.new("RGBA", size, (*RED, 255))
        return None

    def forget(self, key: str) -> None:
        pass

    def close(self) -> None:
        pass


def with_portraits(tmp_path: Path) -> Any:
    state = sample_state()
    cases = {cid: replace(c, portrait="p.png") for cid, c in state.cases.items()}
    return replace(state, cases=MappingProxyType(cases))


def test_the_portrait_fills_its_panel_and_the_name_is_beside_it(tmp_path: Path) -> None:
    loader = FakeLoader()
    assets = make_assets(media_dir=tmp_path, loader=loader)
    state = with_portraits(tmp_path)
    scene = PortraitScene()
    scene.enter(state, assets, {"case": "ayse"})
    for _ in range(60):  # the photo arrives on the next update and fades in
        scene.update(state, 1 / 60)
    out = surface()
    scene.draw(out)
    panel = region(out, scene.panel)
    assert colour_pixels(panel, RED, 10) == panel.get_width() * panel.get_height()
    assert loader.requests[0][1] == (tmp_path / "ayse" / "p.png").resolve()
    assert loader.requests[0][2] == scene.panel.size
    text_column = region(out, (scene.x0, 0, scene.col_w, scene.h))
    assert lit_pixels(text_column) > 5000
    assert colour_pixels(region(out, (scene.x0, scene.cta_top, scene.col_w, 20)), YELLOW) > 100  # the ask


def test_without_a_portrait_the_layout_stands_on_text_and_logs_once(tmp_path: Path, caplog: Any) -> None:
    assets = make_assets(media_dir=tmp_path, loader=FakeLoader(fail=True))
    state = with_portraits(tmp_path)
    scene = PortraitScene()
    with caplog.at_level(logging.WARNING):
        scene.enter(state, assets, {"case": "tarek"})
        for _ in range(30):
            scene.update(state, 1 / 60)
    out = surface()
    scene.draw(out)
    assert scene.photo is None
    assert colour_pixels(region(out, scene.panel), YELLOW) > 1000  # the initials
    assert sum("could not be prepared" in r.message for r in caplog.records) == 1


def test_a_case_without_a_portrait_file_never_asks_the_loader(tmp_path: Path) -> None:
    loader = FakeLoader()
    scene = PortraitScene()
    scene.enter(sample_state(), make_assets(media_dir=tmp_path, loader=loader), {"case": "ayse"})
    scene.update(sample_state(), 1 / 60)
    assert loader.requests == []


def test_a_portrait_path_that_leaves_the_media_folder_is_refused(tmp_path: Path) -> None:
    loader = FakeLoader()
    state = sample_state()
    evil = {**state.cases, "ayse": replace(state.cases["ayse"], portrait="../../etc/passwd")}
    state = replace(state, cases=MappingProxyType(evil))
    scene = PortraitScene()
    scene.enter(state, make_assets(media_dir=tmp_path, loader=loader), {"case": "ayse"})
    scene.update(state, 1 / 60)
    assert loader.requests == []


def test_unknown_case_shows_the_first_active_case_and_no_cases_still_draws(caplog: Any) -> None:
    scene = PortraitScene()
    with caplog.at_level(logging.ERROR):
        scene.enter(sample_state(), make_assets(), {"case": "nobody"})
    assert scene.case is not None and scene.case.id == "ayse"
    assert "nobody" in caplog.text
    empty = replace(sample_state(), cases=MappingProxyType({}))
    scene = PortraitScene()
    scene.enter(empty, make_assets(), {"case": 42})
    scene.update(empty, 1 / 60)
    out = surface()
    scene.draw(out)
    assert lit_pixels(out) > 1000


def test_a_case_updated_on_screen_is_redrawn() -> None:
    state = sample_state()
    scene = PortraitScene()
    scene.enter(state, make_assets(), {"case": "ayse"})
    renamed = {**state.cases, "ayse": replace(state.cases["ayse"], name="Ayşe K.")}
    scene.update(replace(state, cases=MappingProxyType(renamed)), 1 / 60)
    assert scene.case is not None and scene.case.name == "Ayşe K."


def test_text_helpers() -> None:
    english = Localizer.for_tag("en")
    assert english.country("TR") == "Türkiye"
    assert english.country("IR") == "Iran"  # the everyday name, not "Iran, Islamic Republic of"
    assert english.country("XX") == "" and english.country(None) == ""
    assert Localizer.for_tag("fr").country("TR") == "Turquie"
    assert Localizer.for_tag("ar").country("MA") == "المغرب"
    assert first_sentence("Jailed. For years.") == "Jailed."
    assert initials("Ayşe Karaman") == "AK" and initials("") == "?"
    huge = Case("x", "N" * 200, "FR", "S" * 400, "A" * 300)
    state = replace(sample_state(), cases=MappingProxyType({"x": huge}))
    scene = PortraitScene()
    scene.enter(state, make_assets(), {"case": "x"})
    out = surface()
    scene.draw(out)


def test_text_never_runs_into_the_call_to_action_for_any_demo_case(tmp_path: Path) -> None:
    """Long names and long asks (Alesia Karpovich's) squeeze out the story, never overlap it."""
    cases = {d.case.id: d.case for d in load_dossiers(DEMO_DIR)}
    state = replace(sample_state(), cases=MappingProxyType(cases))
    for size in ((1920, 1080), (1280, 720), (640, 360), (1080, 1920), (3840, 1080), (1080, 1080)):
        assets = make_assets(size=size, media_dir=tmp_path, loader=FakeLoader())
        for case_id in cases:
            for variant in ("full", "facade"):
                scene = PortraitScene()
                scene.enter(state, assets, {"case": case_id, "variant": variant})
                assert scene.cta is not None
                cta = pygame.Rect(scene.cta_pos, scene.cta.get_size())
                rects = [pygame.Rect(b.pos, b.surface.get_size()) for b in scene.blocks]
                if scene.show_count:
                    assert scene.count_line is not None
                    rects.append(pygame.Rect(scene.count_pos, scene.count_line.get_size()))
                for rect in [*rects, cta]:
                    assert scene.frame.area.contains(rect), (case_id, size, variant, rect, scene.frame.area)
                for i, rect in enumerate(rects):
                    assert not rect.colliderect(cta), (case_id, size, variant, rect, cta)
                    assert not any(rect.colliderect(other) for other in rects[i + 1 :]), (case_id, size, rect)
                assert any(b.surface.get_height() > 0 for b in scene.blocks)  # the name is always there


# --- languages, uploaded portraits, released cases (issue 7) ----------------------------------------------


def two_languages() -> Any:
    state = sample_state()
    ayse = replace(
        state.cases["ayse"],
        translations=MappingProxyType(
            {"tr": CaseText("Haberleri yüzünden tutuklanan gazeteci.", "Bakana yazın.")}
        ),
    )
    return replace(state, cases=MappingProxyType({**state.cases, "ayse": ayse}))


def test_the_story_and_ask_are_in_the_first_language_the_dossier_has() -> None:
    state = two_languages()
    pictures = {}
    for languages in (("de", "tr", "en"), ("de", "en"), ()):
        scene = PortraitScene()
        scene.enter(state, make_assets(languages=languages), {"case": "ayse"})
        scene.update(state, 1 / 60)
        out = surface()
        scene.draw(out)
        pictures[languages] = (scene.lang, scene.words.ask, region(out, (scene.x0, 0, scene.col_w, scene.h)))
    assert pictures[("de", "tr", "en")][:2] == ("tr", "Bakana yazın.")
    assert pictures[("de", "en")][:2] == ("en", "Write to the minister.")
    assert pictures[()][:2] == ("en", "Write to the minister.")

    assert max_difference(pictures[("de", "tr", "en")][2], pictures[("de", "en")][2]) > 100


class SlowCache:
    """A media cache whose picture arrives after a while, as over a slow network."""

    def __init__(self, path: Path) -> None:
        self.file = path
        self.ready = False
        self.asked = 0

    def path(self, media_hash: str) -> Path | None:
        self.asked += 1
        return self.file if self.ready else None


def test_an_uploaded_portrait_shows_once_it_is_in_the_cache_and_text_only_until_then(tmp_path: Path) -> None:
    loader = FakeLoader()
    cache = SlowCache(tmp_path / "picture")
    assets = make_assets(loader=loader, media_cache=cache)
    state = sample_state()
    ayse = replace(state.cases["ayse"], portrait="c" * 64, focus=(0.5, 0.2))
    state = replace(state, cases=MappingProxyType({**state.cases, "ayse": ayse}))
    scene = PortraitScene()
    scene.enter(state, assets, {"case": "ayse"})
    for _ in range(10):
        scene.update(state, 1 / 60)
    out = surface()
    scene.draw(out)
    assert scene.photo is None and loader.requests == [] and cache.asked >= 10
    assert colour_pixels(region(out, scene.panel), YELLOW) > 1000  # the initials, never a broken image
    assert assets.portrait_pending("ayse", scene.panel.size)
    cache.ready = True
    for _ in range(60):
        scene.update(state, 1 / 60)
    scene.draw(out)
    assert loader.requests and loader.requests[0][1] == cache.file
    panel = region(out, scene.panel)
    assert colour_pixels(panel, RED, 10) == panel.get_width() * panel.get_height()


def test_a_released_case_says_so_above_its_name() -> None:
    state = sample_state()
    scene = PortraitScene()
    scene.enter(state, make_assets(), {"case": "old"})
    assert state.cases["old"].status is CaseStatus.RELEASED
    first = scene.blocks[0].surface
    mark = scene.text.render(RELEASED_MARK, "display", first.get_height(), YELLOW)
    assert first.get_width() > 1.5 * mark.get_width()  # "FREE · FRANCE"
