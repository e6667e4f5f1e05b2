"""Helpers for screen tests: sample states, headless surfaces, picture comparison.

After Pygame Zero's screen tests: compare what a scene drew with what a
person should see, with a tolerance, and on failure write a side-by-side
picture (expected | actual) so the failure can be looked at, not guessed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import MappingProxyType
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import pygame
import pytesseract  # type: ignore[import-untyped]  # no py.typed
from PIL import Image, ImageDraw, ImageOps

from projector.core.model import Campaign, Case, CaseStatus, Totals
from projector.core.state import Message, ShowState
from projector.display.assets import Assets
from projector.display.options import DisplayOptions
from projector.display.output.mode import OutputMode

SIZE = (960, 540)
FAILURES = Path(
    os.environ.get("PROJECTOR_SCREEN_FAILURES", Path(tempfile.gettempdir()) / "projector-screens")
)

CASES = (
    Case(
        "ayse",
        "Ayşe Karaman",
        "TR",
        "Journalist jailed for her reporting. More text.",
        "Write to the minister.",
    ),
    Case("tarek", "Tarek Abdelhady", "EG", "Student detained for a post.", "Demand his release."),
    Case("old", "Released Person", "FR", "Freed last year.", "", status=CaseStatus.RELEASED),
)
MESSAGES = (
    Message("m1", "Stay strong. The world is watching.", "Lena", "DE"),
    Message("m2", "Solidarité totale depuis Lyon !", "Camille", "FR"),
    Message("m3", "Держись! Мы с тобой.", "Ivan", "UA"),
)


def sample_state(
    total: int = 1_234_567, *, wall: Iterable[Message] = MESSAGES, rev: int = 10, **kw: object
) -> ShowState:
    by_channel = {"letter": 1000, "email": 2000, "sms": 300, "fax": 4, "tweet": 50, "signature": 6}
    return ShowState(
        rev=rev,
        campaign=Campaign("Write for Rights", goal=2_000_000, record=1_500_000),
        totals=Totals.of(total, by_channel, {"ayse": 4321}, {"DE": 10}),
        cases=MappingProxyType({c.id: c for c in CASES}),
        wall=tuple(wall),
        **kw,  # type: ignore[arg-type]
    )


def live_options(url: str, on_frame: Any, **kw: Any) -> DisplayOptions:
    """A headless display paced in real time against the server at ``url``, on a small frame,
    pinned to ``totals`` and without the demo dossiers, unless ``kw`` says otherwise."""
    settings: dict[str, Any] = {"token": "t", "size": (320, 180), "scene": "totals", "media": None, **kw}
    return DisplayOptions(server=url, mode=OutputMode.HEADLESS, realtime=True, on_frame=on_frame, **settings)


def ensure_display() -> None:
    """A video mode, as the app has one: convert() needs it. The app quits it at exit."""
    if not pygame.display.get_init():
        pygame.display.init()
    if not pygame.font.get_init():
        pygame.font.init()
    if pygame.display.get_surface() is None:
        pygame.display.set_mode((1, 1))


def make_assets(size: tuple[int, int] = SIZE, **kw: object) -> Assets:
    ensure_display()
    kw.setdefault("media_dir", None)
    return Assets(size, name="test-display", **kw)  # type: ignore[arg-type]


def surface(size: tuple[int, int] = SIZE) -> pygame.Surface:
    ensure_display()
    return pygame.Surface(size).convert()


def side_by_side(expected: pygame.Surface, actual: pygame.Surface, name: str) -> Path:
    FAILURES.mkdir(parents=True, exist_ok=True)
    w, h = expected.get_width() + actual.get_width() + 8, max(expected.get_height(), actual.get_height())
    out = pygame.Surface((w, h))
    out.fill((255, 0, 255))
    out.blit(expected, (0, 0))
    out.blit(actual, (expected.get_width() + 8, 0))
    path = FAILURES / f"{name}.png"
    pygame.image.save(out, str(path))
    return path


def max_difference(a: pygame.Surface, b: pygame.Surface) -> int:
    """The largest per-channel difference between two same-sized pictures."""
    assert a.get_size() == b.get_size(), (a.get_size(), b.get_size())
    ba, bb = pygame.image.tobytes(a, "RGB"), pygame.image.tobytes(b, "RGB")
    if ba == bb:
        return 0
    return max(abs(x - y) for x, y in zip(ba, bb, strict=True))


def assert_looks_like(
    expected: pygame.Surface, actual: pygame.Surface, name: str, tolerance: int = 0
) -> None:
    """The two pictures match within ``tolerance`` per channel, else a side-by-side PNG is written."""
    worst = max_difference(expected, actual)
    if worst > tolerance:
        path = side_by_side(expected, actual, name)
        raise AssertionError(f"{name}: pictures differ by up to {worst} (> {tolerance}); see {path}")


def region(surf: pygame.Surface, rect: tuple[int, int, int, int] | pygame.Rect) -> pygame.Surface:
    return surf.subsurface(pygame.Rect(rect).clip(surf.get_rect())).copy()


def lit_pixels(surf: pygame.Surface, threshold: int = 40) -> int:
    """How many pixels are clearly not black (a cheap 'something is drawn here')."""
    mask = pygame.mask.from_threshold(surf, (0, 0, 0), (threshold, threshold, threshold, 255))
    return surf.get_width() * surf.get_height() - mask.count()


def colour_pixels(surf: pygame.Surface, colour: tuple[int, int, int], tolerance: int = 30) -> int:
    mask = pygame.mask.from_threshold(surf, colour, (tolerance, tolerance, tolerance, 255))
    return mask.count()


def read_text(
    surf: pygame.Surface,
    sides: tuple[int, ...] = (300, 400, 500, 800, 1600),
    *,
    dark_text: bool = False,
    lang: str = "eng",
    psm: int = 3,
) -> str:
    """What a person would read on ``surf``: tesseract's OCR of it (``lang``: tesseract's
    language data, English by default, "tur+eng" for a Turkish screen), upper-cased. ``psm``
    is tesseract's page segmentation (3: a whole screen; 7: one line, such as a label).

    Read at several sizes, as from across a street and from close by, and the
    readings joined: tesseract reads lines some 20 to 60 px high best, and a
    screen has both a counter a third of its height and a caption of 3%. Each
    picture is made black on white: light words (on the dark ground) and, with
    ``dark_text``, also dark words on a light box (the call to action), whose
    dark surroundings are flooded white from the frame's edges.
    """
    w, h = surf.get_size()
    whole = Image.frombytes("RGB", (w, h), pygame.image.tobytes(surf, "RGB"))
    readings = []
    for side in sides:
        scale = min(1.0, side / max(w, h))
        small = whole.resize((max(1, int(w * scale)), max(1, int(h * scale))), Image.Resampling.LANCZOS)
        grey = ImageOps.grayscale(small)
        pictures = [grey.point(lambda v: 0 if v > 100 else 255)]
        if dark_text:
            boxed = grey.point(lambda v: 0 if v < 100 else 255)
            sw, sh = boxed.size
            for x, y in ((0, 0), (sw - 1, 0), (0, sh - 1), (sw - 1, sh - 1), (sw // 2, 0), (sw // 2, sh - 1)):
                if boxed.getpixel((x, y)) == 0:
                    ImageDraw.floodfill(boxed, (x, y), 255)
            pictures.append(boxed)
        for picture in pictures:
            readings.append(str(pytesseract.image_to_string(picture, lang=lang, config=f"--psm {psm}")))
    return "\n".join(readings).upper()
