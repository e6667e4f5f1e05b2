"""Bold text is a real bold font file, never SDL_ttf's synthetic emboldening.

Synthetic bold widens every glyph by the same amount, marks included: a Thai,
Khmer or Myanmar word gets a gap after each letter with a mark, and Arabic
dots merge. These tests check the "strong" face (spotlight, ticker) against
HarfBuzz itself: uharfbuzz shaping the same string with the same font file
(its width), and Pillow with libraqm (HarfBuzz + FreeType) drawing it (its
ink). With synthetic bold put back (the variable font opened as it is, and
``font.bold = True``) every width and overlap test here fails: at 64 px the
Thai phrase was drawn 220 px wider than HarfBuzz shapes it, "អ្នក" 18 px, and
the overlap with Pillow's drawing fell to 0.37-0.66.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import cast

import numpy as np
import pygame
import pytest
import uharfbuzz as hb  # type: ignore[import-untyped]  # no py.typed
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont, features

from projector.display.text import fonts as fonts_module
from projector.display.text.font_instances import BOLD, Instances, instance_name
from projector.display.text.fonts import FontBook, FontFile, SystemFont, installed_faces, system_fonts
from projector.display.text.renderer import TextRenderer

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

ROOT = Path(__file__).resolve().parents[3]
SIZE = 64  # a spotlight line
WHITE, BLACK = (255, 255, 255), (0, 0, 0)
#: How far a line's width may be from HarfBuzz's: 3 px, or 0.2 px a glyph on a long line.
#: SDL_ttf draws with hinted advances, which drift from HarfBuzz's unhinted ones by up to
#: 0.14 px a glyph (measured: Thai phrase -5 px over 37 glyphs, Arabic +5 px over 38);
#: synthetic bold added about 6 px a glyph (y_ppem / 10), marks included.
SLACK_PX, SLACK_PX_PER_GLYPH = 3, 0.2
#: Overlap (intersection over union) of the two drawings' ink, their ink boxes aligned.
#: Real bold measured 0.83 (Khmer phrase: thin strokes, anti-aliased edges) to 0.97;
#: synthetic bold 0.37-0.66 against the font it emboldened, 0.49-0.74 against the bold one.
MIN_IOU = 0.8

#: name -> text, drawn in the "strong" face. Each has combining marks (or joining, for Arabic).
SAMPLES: dict[str, str] = {
    "thai_word": "อิสรภาพ",
    "thai_phrase": "เราอยู่กับคุณเสมอไม่ว่าจะเกิดอะไรขึ้น",
    "khmer_word": "អ្នក",
    "khmer_phrase": "ម៉ោងនេះយើងនៅជាមួយអ្នកជានិច្ច",
    "myanmar": "မင်းနဲ့အတူရှိတယ်",
    "arabic": "حرية لطارق، نحن معك يا صديقي",
    "devanagari": "हम तुम्हारे साथ हैं",
    "latin": "Free Tarek! Ayşe",
}


@pytest.fixture(scope="module")
def renderer() -> TextRenderer:
    return TextRenderer(FontBook())


def _single_run(renderer: TextRenderer, text: str, face: str = "strong") -> FontFile:
    """The one font a sample is drawn in (a sample in one script is one run)."""
    layout = renderer.layout(text, face, SIZE)
    files = {run.file for run in layout.runs}
    if None in files or len(files) != 1:
        pytest.skip(f"{text!r} is not drawn in one font here: {files}")
    (file,) = files
    assert file is not None
    return file


def _font_bytes(book: FontBook, file: FontFile) -> bytes:
    source = book.font_source(file)
    assert source is not None
    return source if isinstance(source, bytes) else Path(source).read_bytes()


def harfbuzz_width(data: bytes, text: str, size: int) -> tuple[float, int]:
    """The shaping reference: HarfBuzz's advances for ``text`` in this font at ``size`` px, and
    how many glyphs it shaped."""
    face = hb.Face(hb.Blob(data))
    font = hb.Font(face)
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(font, buf, {})
    return sum(p.x_advance for p in buf.glyph_positions) * size / face.upem, len(buf.glyph_positions)


def slack(glyphs: int) -> float:
    return max(SLACK_PX, SLACK_PX_PER_GLYPH * glyphs)


def pillow_ink(data: bytes, text: str, size: int) -> np.ndarray:
    """``text`` drawn by Pillow with libraqm (HarfBuzz shaping, FreeType glyphs): ink as 0-255."""
    font = ImageFont.truetype(io.BytesIO(data), size, layout_engine=ImageFont.Layout.RAQM)
    # Typed as floats; FreeType's box at a whole-pixel size is whole pixels.
    left, top, right, bottom = cast(tuple[int, int, int, int], font.getbbox(text))
    image = Image.new("L", (right - left + 2 * size, bottom - top + 2 * size), 0)
    ImageDraw.Draw(image).text((size - left, size - top), text, font=font, fill=255)
    return np.asarray(image)


def pygame_ink(surface: pygame.Surface) -> np.ndarray:
    """A white-on-black line as a (height, width) array of 0-255."""
    return pygame.surfarray.array_red(surface).T.copy()


def ink_box(ink: np.ndarray, threshold: int = 128) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the pixels at or above ``threshold``."""
    rows, cols = np.nonzero(ink >= threshold)
    assert rows.size, "no ink"
    return int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1


def ink_iou(drawn: np.ndarray, reference: np.ndarray, threshold: int = 128) -> float:
    """Intersection over union of two drawings' ink, the reference's ink box fitted onto the drawn one.

    Fitting both edges (a resize by a few px) takes out the hinting drift
    along a long line, which would otherwise shift its last letters off
    their references; a gap after every mark or a thickened stroke remains.
    """
    left, top, right, bottom = ink_box(drawn, threshold)
    ours = drawn[top:bottom, left:right] >= threshold
    rl, rt, rr, rb = ink_box(reference, threshold)
    fitted = Image.fromarray(reference[rt:rb, rl:rr]).resize(
        (right - left, bottom - top), Image.Resampling.BILINEAR
    )
    theirs = np.asarray(fitted) >= threshold
    union = np.logical_or(ours, theirs).sum()
    return float(np.logical_and(ours, theirs).sum() / union) if union else 1.0


def _weight_class(data: bytes) -> int:
    return int(TTFont(io.BytesIO(data), fontNumber=0)["OS/2"].usWeightClass)


def _bold_face(data: bytes) -> bool:
    """The file says it is a bold face (OS/2 fsSelection or head macStyle), as FreeType reads it."""
    font = TTFont(io.BytesIO(data), fontNumber=0)
    return bool(font["OS/2"].fsSelection & 0x20 or font["head"].macStyle & 1)


# --- width and ink against HarfBuzz -------------------------------------------------------


@pytest.mark.parametrize("name", list(SAMPLES))
def test_bold_lines_are_as_wide_as_harfbuzz_shapes_them(renderer: TextRenderer, name: str) -> None:
    """A line is as wide as HarfBuzz's advances in the same font: no width added per glyph.

    Synthetic bold added a few px to every glyph, marks included (Thai phrase: +27 px)."""
    text = SAMPLES[name]
    file = _single_run(renderer, text)
    width = renderer.layout(text, "strong", SIZE).width
    reference, glyphs = harfbuzz_width(_font_bytes(renderer.fonts, file), text, SIZE)
    print(
        f"{name}: drawn {width} px, HarfBuzz {reference:.1f} px ({glyphs} glyphs), {width - reference:+.1f}"
    )
    assert abs(width - reference) <= slack(glyphs), (name, width, reference)


@pytest.mark.skipif(not features.check("raqm"), reason="Pillow without libraqm cannot shape complex scripts")
@pytest.mark.parametrize("name", list(SAMPLES))
def test_bold_lines_look_like_harfbuzz_and_freetype_draw_them(renderer: TextRenderer, name: str) -> None:
    """The drawn ink matches Pillow/raqm's drawing of the same font: same width, same shapes."""
    text = SAMPLES[name]
    file = _single_run(renderer, text)
    data = _font_bytes(renderer.fonts, file)
    drawn = pygame_ink(renderer.render(text, "strong", SIZE, WHITE, BLACK))
    reference = pillow_ink(data, text, SIZE)
    (dl, _, dr, _), (rl, _, rr, _) = ink_box(drawn), ink_box(reference)
    iou = ink_iou(drawn, reference)
    print(f"{name}: ink {dr - dl} px, Pillow {rr - rl} px, IoU {iou:.3f}")
    assert abs((dr - dl) - (rr - rl)) <= slack(harfbuzz_width(data, text, SIZE)[1]), (name, dr - dl, rr - rl)
    assert iou >= MIN_IOU, (name, iou)


# --- every weight a real file -------------------------------------------------------------------

SCRIPTS = ("thai_word", "khmer_phrase", "myanmar", "arabic", "devanagari", "latin")


@pytest.mark.parametrize("face", ["strong", "display"])
def test_bold_faces_load_only_bold_font_files_and_never_synthetic_bold(face: str) -> None:
    book = FontBook()
    renderer = TextRenderer(book)
    for name in SCRIPTS:
        text = SAMPLES[name]
        if face == "display" and name == "latin":
            continue  # Anton: a heavy display design at its one weight (usWeightClass 400)
        renderer.render(text, face, SIZE, WHITE, BLACK)
        for run in renderer.layout(text, face, SIZE).runs:
            assert run.file is not None, (name, run)
            weight = _weight_class(_font_bytes(book, run.file))
            assert weight >= 600, f"{face} {name}: {run.file.path.name} has usWeightClass {weight}"
    # SDL_ttf reports a bold face's own style as .bold (and then never emboldens it): a font
    # whose .bold is set while its file is not a bold face would be synthetic bold.
    assert book._fonts
    for (path, _, font_weight), font in book._fonts.items():
        data = _font_bytes(book, FontFile(path, font_weight)) if path else b""
        assert not font.bold or _bold_face(data), f"synthetic bold on {path}"
    assert "bold" not in FontFile.__dataclass_fields__


def test_the_regular_face_stays_at_the_variable_fonts_default_weight() -> None:
    book = FontBook()
    body = installed_faces()["body"]
    assert body and all(f.weight is None for f in body)
    assert all(_weight_class(_font_bytes(book, f)) == 400 for f in body)


def test_a_system_script_with_no_bold_file_is_drawn_regular_and_reported_once(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = FontBook()
    tifinagh = frozenset(map(ord, "ⵜⴰⵎⴰⵣⵉⵖⵜ"))
    regular = book.choose("body", tifinagh)
    if regular is None:
        pytest.skip("no Tifinagh font here (Debian: fonts-noto-core)")
    if any(f.weight >= 600 for f in _same_family(regular.path)):
        pytest.skip("this machine has a bold Tifinagh file")
    monkeypatch.setattr(fonts_module, "_NO_BOLD_REPORTED", set())
    with caplog.at_level(logging.WARNING, logger="projector.display.text.fonts"):
        first = book.choose("strong", tifinagh)
        again = FontBook().choose("strong", frozenset(map(ord, "ⵜⴰⵎ")))
    assert first == again == FontFile(regular.path)
    assert len([r for r in caplog.records if "no bold file" in r.getMessage()]) == 1


def _same_family(path: Path) -> list[SystemFont]:
    family = next(f.family for f in system_fonts() if f.path == path)
    return [f for f in system_fonts() if f.family == family and f.path != path]


# --- the instance cache ---------------------------------------------------------------------------


def _thai_source() -> Path:
    strong = installed_faces()["strong"]
    thai = next((f.path for f in strong if "Thai" in f.path.name), None)
    if thai is None:
        pytest.skip("fontpkg-noto-sans-thai is not installed")
    return thai


#: A fresh process: a FontBook whose bold face is the Thai instance; prints what it opened and cut.
_FRESH = """
import sys
from pathlib import Path
from projector.display.text.fonts import FontBook, FontFile
from projector.display.text.font_instances import BOLD
book = FontBook({"strong": (FontFile(Path(sys.argv[1]), BOLD),)})
book.load(book.primary("strong"), 64).size("อิสรภาพ")
print(book.font_source(book.primary("strong")), book.instances.cuts)
"""


def _fresh_process(cache: Path, source: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PROJECTOR_FONT_CACHE": str(cache), "SDL_VIDEODRIVER": "dummy"}
    return subprocess.Popen(
        [sys.executable, "-c", _FRESH, str(source)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> tuple[str, int]:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    path, cuts = out.strip().splitlines()[-1].rsplit(" ", 1)
    return path, int(cuts)


def test_a_second_process_reuses_the_cached_instance(tmp_path: Path) -> None:
    source = _thai_source()
    first_path, first_cuts = _finish(_fresh_process(tmp_path, source))
    assert first_cuts == 1 and Path(first_path) == tmp_path / instance_name(source, BOLD)
    stamp = Path(first_path).stat().st_mtime_ns
    second_path, second_cuts = _finish(_fresh_process(tmp_path, source))
    assert (second_path, second_cuts) == (first_path, 0)
    assert Path(second_path).stat().st_mtime_ns == stamp  # read, not written again
    assert _weight_class(Path(second_path).read_bytes()) == BOLD


def test_processes_that_cut_at_once_leave_one_whole_file(tmp_path: Path) -> None:
    source = _thai_source()
    results = [_finish(p) for p in [_fresh_process(tmp_path, source) for _ in range(3)]]
    assert len({path for path, _ in results}) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [instance_name(source, BOLD)]  # no .part left
    assert _weight_class(Path(results[0][0]).read_bytes()) == BOLD


@pytest.mark.parametrize("how", ["under_a_file", "read_only"])
def test_an_unwritable_cache_keeps_the_instance_in_memory(
    tmp_path: Path, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    if how == "under_a_file":
        (tmp_path / "home").write_text("not a folder")
        folder = tmp_path / "home" / "fonts"
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes to a read-only folder anyway")
        folder = tmp_path / "fonts"
        folder.mkdir()
        folder.chmod(0o555)
    source = _thai_source()
    instances = Instances(folder)
    with caplog.at_level(logging.WARNING, logger="projector.display.text.font_instances"):
        book = FontBook({"strong": (FontFile(source, BOLD),)}, instances=instances)
        renderer = TextRenderer(book)
        line = renderer.render(SAMPLES["thai_word"], "strong", SIZE, WHITE, BLACK)
    opened = book.font_source(book.primary("strong"))
    assert isinstance(opened, bytes) and _weight_class(opened) == BOLD
    assert line.get_bounding_rect().width > SIZE
    assert any("cannot be written" in r.getMessage() for r in caplog.records)
    assert instances.cuts == 1
