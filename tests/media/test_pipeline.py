"""The portrait pipeline against real files: bad ones fail clearly, odd ones load, output is exact."""

from __future__ import annotations

import io
import random
import struct
import threading
import time
import zlib
from pathlib import Path

import pytest
from PIL import GifImagePlugin, Image, ImageDraw, ImageFile

from media import pipeline
from media.pipeline import MediaError, PortraitLoader, Treatment, load_image, prepare_portrait

# ------------------------------------------------------------------------------ helpers


def noise(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """Random pixels: they do not compress, so truncating the file cuts real image data."""
    rng = random.Random(seed)
    return Image.frombytes("RGB", size, bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 3)))


def save(im: Image.Image, path: Path, fmt: str, **params: object) -> Path:
    im.save(path, format=fmt, **params)
    return path


def png_claiming(path: Path, width: int, height: int) -> Path:
    """A tiny valid PNG whose header claims ``width`` x ``height``: a decompression bomb's shape."""
    buf = io.BytesIO()
    Image.new("1", (1, 1)).save(buf, format="PNG")
    data = bytearray(buf.getvalue())
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    return path


def grey_with_red_dot(path: Path, dot: tuple[int, int]) -> Path:
    im = Image.new("RGB", (1000, 400), (90, 90, 90))
    x, y = dot
    ImageDraw.Draw(im).ellipse((x - 15, y - 15, x + 15, y + 15), fill=(255, 0, 0))
    return save(im, path, "PNG")


def has_red(im: Image.Image) -> bool:
    data = im.convert("RGB").tobytes()
    return any(
        r > 180 and g < 80 and b < 80 for r, g, b in zip(data[0::3], data[1::3], data[2::3], strict=True)
    )


def luminance(im: Image.Image, xy: tuple[int, int]) -> int:
    return im.convert("L").getpixel(xy)  # type: ignore[return-value]


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    """A portrait-shaped picture: light face on a dark background."""
    im = Image.new("RGB", (400, 500), (20, 20, 30))
    ImageDraw.Draw(im).ellipse((120, 100, 280, 300), fill=(220, 180, 150))
    return save(im, tmp_path / "photo.png", "PNG")


# ------------------------------------------------------------------------------ bad inputs


def assert_media_error(path: Path, *fragments: str, **kwargs: int) -> MediaError:
    with pytest.raises(MediaError) as info:
        load_image(path, **kwargs)
    message = str(info.value)
    assert str(path) in message, message
    for fragment in fragments:
        assert fragment in message, message
    return info.value


def test_missing_file(tmp_path: Path) -> None:
    assert_media_error(tmp_path / "nope.png", "file not found")


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    assert_media_error(path, "empty file")


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "folder.png").mkdir()
    assert_media_error(tmp_path / "folder.png", "directory")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_image(tmp_path: Path, fmt: str) -> None:
    path = save(noise((200, 200)), tmp_path / f"portrait.{fmt.lower()}", fmt)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    err = assert_media_error(path, "truncated")
    assert err.path == path


def test_png_cut_inside_header(tmp_path: Path) -> None:
    path = save(noise((20, 20)), tmp_path / "stub.png", "PNG")
    path.write_bytes(path.read_bytes()[:20])
    assert_media_error(path, "truncated or corrupt PNG")


def test_executable_renamed_jpg(tmp_path: Path) -> None:
    path = tmp_path / "x.jpg"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(4000))
    assert_media_error(path, "not an image (looks like an ELF executable)")


def test_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("Portrait to follow — Ayşe's family will send it.\n", encoding="utf-8")
    assert_media_error(path, "not an image (looks like text)")


def test_unsupported_format_is_refused_even_if_pillow_reads_it(tmp_path: Path) -> None:
    path = save(Image.new("RGB", (10, 10)), tmp_path / "icon.png", "ICO")
    assert_media_error(path, "not an image")


def test_huge_dimensions_refused_before_decoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = png_claiming(tmp_path / "big.png", 30_000, 30_000)
    decoded: list[object] = []
    real_load = ImageFile.ImageFile.load

    def spy(self: ImageFile.ImageFile) -> object:
        decoded.append(self)
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    assert_media_error(path, "30000x30000 pixels exceeds the 40,000,000 pixel limit")
    assert decoded == []


def test_pixel_limit_is_a_parameter(tmp_path: Path) -> None:
    path = save(Image.new("RGB", (100, 100)), tmp_path / "small.png", "PNG")
    assert_media_error(path, "100x100 pixels exceeds the 5,000 pixel limit", max_pixels=5_000)
    assert load_image(path).size == (100, 100)


def test_file_larger_than_max_bytes(tmp_path: Path) -> None:
    path = save(noise((60, 60)), tmp_path / "heavy.png", "PNG")
    size = path.stat().st_size
    assert_media_error(path, f"{size:,} bytes exceeds the 1,000 byte limit", max_bytes=1_000)


# ------------------------------------------------------------------------------ odd inputs that must load


def test_cmyk_jpeg_loads_as_rgb(tmp_path: Path) -> None:
    path = save(Image.new("CMYK", (40, 30), (0, 255, 255, 0)), tmp_path / "cmyk.jpg", "JPEG")
    im = load_image(path)
    assert (im.mode, im.size) == ("RGB", (40, 30))
    r, g, b = im.getpixel((20, 15))  # type: ignore[misc]
    assert r > 200 and g < 80 and b < 80  # red, not inverted or black


def test_16_bit_png_is_scaled_not_clipped(tmp_path: Path) -> None:
    values = [0, 0x4000, 0x8000, 0xFFFF]
    im = Image.frombytes("I;16", (4, 1), b"".join(struct.pack("<H", v) for v in values))
    path = save(im, tmp_path / "deep.png", "PNG")
    assert Image.open(path).mode.startswith("I")  # really a 16-bit file
    out = load_image(path)
    assert out.mode == "RGB"
    greys = [out.getpixel((x, 0))[0] for x in range(4)]  # type: ignore[index]
    assert greys[0] == 0 and greys[3] == 255
    assert 60 <= greys[1] <= 68 and 124 <= greys[2] <= 131


def test_palette_png_with_transparency(tmp_path: Path) -> None:
    im = Image.new("P", (10, 10), 1)
    im.putpalette([255, 255, 255, 0, 200, 0] + [0] * 762)
    im.paste(0, (0, 0, 5, 10))
    path = save(im, tmp_path / "palette.png", "PNG", transparency=0)
    out = load_image(path)
    assert out.mode == "RGB"
    assert out.getpixel((1, 1)) == (0, 0, 0)  # transparent white -> the black of the wall
    assert out.getpixel((8, 8)) == (0, 200, 0)


def test_la_png_flattens_onto_black(tmp_path: Path) -> None:
    im = Image.new("LA", (4, 4), (200, 0))
    im.putpixel((3, 3), (200, 255))
    out = load_image(save(im, tmp_path / "la.png", "PNG"))
    assert out.getpixel((0, 0)) == (0, 0, 0)
    assert out.getpixel((3, 3)) == (200, 200, 200)


def test_animated_gif_gives_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (20, 20), (255, 0, 0)), Image.new("RGB", (20, 20), (0, 0, 255))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    gif = Image.open(path)
    assert isinstance(gif, GifImagePlugin.GifImageFile) and gif.n_frames == 2
    r, _g, b = load_image(path).getpixel((10, 10))  # type: ignore[misc]
    assert r > 200 and b < 50


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    path = save(
        Image.new("RGB", (60, 40), (50, 100, 150)), tmp_path / "phone.jpg", "JPEG", exif=exif.tobytes()
    )
    assert Image.open(path).size == (60, 40)
    assert load_image(path).size == (40, 60)


def test_content_not_name_decides(tmp_path: Path) -> None:
    path = save(Image.new("RGB", (8, 8), (1, 2, 3)), tmp_path / "actually-a-png.jpg", "PNG")
    assert load_image(path).size == (8, 8)


# ------------------------------------------------------------------------------ prepare_portrait


@pytest.mark.parametrize("style", ["duotone", "cutout", "natural"])
@pytest.mark.parametrize("size", [(1920, 1080), (300, 500), (7, 3)])
def test_prepare_returns_exact_size_rgba(photo: Path, style: str, size: tuple[int, int]) -> None:
    im = prepare_portrait(photo, size, Treatment(style=style))  # type: ignore[arg-type]
    assert im.size == size
    assert im.mode == "RGBA"


def test_focus_moves_the_crop(tmp_path: Path) -> None:
    path = grey_with_red_dot(tmp_path / "wide.png", dot=(900, 200))
    plain = Treatment(style="natural", vignette=0)
    assert not has_red(prepare_portrait(path, (200, 400), plain))  # default focus: the middle
    assert has_red(prepare_portrait(path, (200, 400), plain, focus=(0.9, 0.5)))


def test_focus_near_the_edge_is_clamped_not_padded(tmp_path: Path) -> None:
    path = grey_with_red_dot(tmp_path / "wide.png", dot=(985, 200))
    im = prepare_portrait(path, (200, 400), Treatment(style="natural", vignette=0), focus=(1.0, 0.5))
    assert has_red(im)
    assert luminance(im, (0, 200)) > 50  # no black padding where the crop would overhang


def test_vignette_darkens_the_corners(tmp_path: Path) -> None:
    path = save(Image.new("RGB", (400, 300), (160, 160, 160)), tmp_path / "flat.png", "PNG")
    im = prepare_portrait(path, (400, 300), Treatment(style="natural", vignette=0.55))
    centre = luminance(im, (200, 150))
    for corner in [(0, 0), (399, 0), (0, 299), (399, 299)]:
        assert luminance(im, corner) < centre * 0.2
    flat = prepare_portrait(path, (400, 300), Treatment(style="natural", vignette=0))
    assert abs(luminance(flat, (0, 0)) - luminance(flat, (200, 150))) <= 2


def test_duotone_maps_dark_to_shadow_and_light_to_highlight(tmp_path: Path) -> None:
    im = Image.new("RGB", (200, 100), (0, 0, 0))
    im.paste((255, 255, 255), (100, 0, 200, 100))
    path = save(im, tmp_path / "split.png", "PNG")
    t = Treatment(style="duotone", shadow=(10, 20, 30), highlight=(250, 200, 0), vignette=0)
    out = prepare_portrait(path, (200, 100), t)
    assert out.getpixel((20, 50)) == (10, 20, 30, 255)
    assert out.getpixel((180, 50)) == (250, 200, 0, 255)


def test_cutout_is_highlight_on_transparent(photo: Path) -> None:
    out = prepare_portrait(photo, (400, 500), Treatment(style="cutout", vignette=0))
    alphas = out.getchannel("A")
    assert alphas.getpixel((10, 10)) == 0  # dark background: see-through
    assert out.getpixel((200, 200)) == (255, 221, 0, 255)  # lit face: solid campaign yellow
    assert len(set(alphas.tobytes())) <= 4  # posterised: a few flat levels


def test_treatment_validates() -> None:
    with pytest.raises(ValueError, match="style"):
        Treatment(style="sepia")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="vignette"):
        Treatment(vignette=1.5)
    with pytest.raises(ValueError, match="highlight"):
        Treatment(highlight=(255, 300, 0))


def test_bad_size_or_focus_is_a_value_error(photo: Path) -> None:
    with pytest.raises(ValueError, match="size"):
        prepare_portrait(photo, (0, 100))
    with pytest.raises(ValueError, match="focus"):
        prepare_portrait(photo, (100, 100), focus=(1.5, 0.5))


def test_prepare_reports_bad_file_as_media_error(tmp_path: Path) -> None:
    path = tmp_path / "x.jpg"
    path.write_bytes(b"MZ\x90\x00" + bytes(100))
    with pytest.raises(MediaError, match="Windows executable"):
        prepare_portrait(path, (100, 100))


# ------------------------------------------------------------------------------ cache


def count_decodes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real = pipeline._decode

    def counting(data: bytes, path: Path, **kwargs: object) -> Image.Image:
        calls.append(path)
        return real(data, path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "_decode", counting)
    return calls


@pytest.mark.parametrize("style", ["duotone", "cutout", "natural"])
def test_cache_is_written_then_hit(
    photo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, style: str
) -> None:
    decodes = count_decodes(monkeypatch)
    cache = tmp_path / "cache"
    treatment = Treatment(style=style, highlight=(250, 40, 90))  # type: ignore[arg-type]
    first = prepare_portrait(photo, (320, 180), treatment, cache_dir=cache)
    assert len(decodes) == 1
    files = list(cache.glob("*.png"))
    assert len(files) == 1
    second = prepare_portrait(photo, (320, 180), treatment, cache_dir=cache)
    assert len(decodes) == 1  # read from the cache, not decoded again
    assert second.tobytes() == first.tobytes() and second.mode == "RGBA"


def test_cache_key_covers_size_treatment_focus_and_content(
    photo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decodes = count_decodes(monkeypatch)
    cache = tmp_path / "cache"
    prepare_portrait(photo, (100, 100), cache_dir=cache)
    prepare_portrait(photo, (100, 101), cache_dir=cache)
    prepare_portrait(photo, (100, 100), Treatment(style="natural"), cache_dir=cache)
    prepare_portrait(photo, (100, 100), focus=(0.2, 0.2), cache_dir=cache)
    save(Image.new("RGB", (400, 500), (200, 10, 10)), photo, "PNG")  # same name, new content
    prepare_portrait(photo, (100, 100), cache_dir=cache)
    assert len(decodes) == 5
    assert len(list(cache.glob("*.png"))) == 5


def test_corrupt_cache_file_is_replaced(photo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    good = prepare_portrait(photo, (64, 64), cache_dir=cache)
    (cached,) = cache.glob("*.png")
    cached.write_bytes(b"garbage")
    assert prepare_portrait(photo, (64, 64), cache_dir=cache).tobytes() == good.tobytes()
    assert Image.open(cached).size == (64, 64)


def test_unwritable_cache_still_returns_the_portrait(photo: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    assert prepare_portrait(photo, (64, 64), cache_dir=blocker).size == (64, 64)


# ------------------------------------------------------------------------------ loader


def wait_for(loader: PortraitLoader, key: str, timeout: float = 5.0) -> Image.Image | MediaError:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = loader.get(key)
        if result is not None:
            return result
        time.sleep(0.005)
    raise AssertionError(f"{key} not ready after {timeout} s")


def test_loader_returns_none_then_image(photo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = threading.Event()
    calls: list[Path] = []
    real = pipeline._prepare

    def gated(path: Path, *args: object) -> object:
        calls.append(path)
        assert gate.wait(5)
        return real(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "_prepare", gated)
    with PortraitLoader() as loader:
        loader.request("ayse", photo, (160, 90))
        loader.request("ayse", photo, (160, 90))  # idempotent
        assert loader.get("ayse") is None
        assert loader.get("never-asked") is None
        gate.set()
        result = wait_for(loader, "ayse")
        assert isinstance(result, Image.Image) and result.size == (160, 90)
        assert loader.get("ayse") is result
        assert calls == [photo]


def test_loader_hands_back_media_error_without_raising(tmp_path: Path, photo: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\x7fELF" + bytes(64))
    with PortraitLoader(cache_dir=tmp_path / "cache", workers=2) as loader:
        loader.request("bad", bad, (100, 100))
        loader.request("missing", tmp_path / "gone.png", (100, 100))
        loader.request("good", photo, (100, 100))
        bad_result = wait_for(loader, "bad")
        assert isinstance(bad_result, MediaError) and "ELF" in str(bad_result)
        missing = wait_for(loader, "missing")
        assert isinstance(missing, MediaError) and "gone.png" in str(missing)
        assert isinstance(wait_for(loader, "good"), Image.Image)


def test_loader_turns_unexpected_errors_into_media_error(
    photo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> Image.Image:
        raise ZeroDivisionError("bug")

    monkeypatch.setattr(pipeline, "_prepare", broken)
    with PortraitLoader() as loader:
        loader.request("x", photo, (10, 10))
        result = wait_for(loader, "x")
    assert isinstance(result, MediaError) and "ZeroDivisionError" in str(result)


def test_loader_writes_the_cache_after_handing_over_the_image(photo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with PortraitLoader(cache_dir=cache) as loader:
        loader.request("a", photo, (120, 80), Treatment(style="cutout"))
        first = wait_for(loader, "a")
        deadline = time.monotonic() + 5
        while not list(cache.glob("*.png")) and time.monotonic() < deadline:
            time.sleep(0.01)
        loader.request("b", photo, (120, 80), Treatment(style="cutout"))
        second = wait_for(loader, "b")
    assert len(list(cache.glob("*.png"))) == 1
    assert isinstance(first, Image.Image) and isinstance(second, Image.Image)
    assert first.tobytes() == second.tobytes()


def test_loader_refuses_requests_after_close(photo: Path) -> None:
    loader = PortraitLoader()
    loader.close()
    loader.close()
    with pytest.raises(RuntimeError):
        loader.request("x", photo, (10, 10))


def test_loader_forgets_a_result_once_taken_and_prepares_it_again_if_asked(photo: Path) -> None:
    with PortraitLoader() as loader:
        loader.request("ayse", photo, (160, 90))
        first = wait_for(loader, "ayse")
        loader.forget("ayse")
        assert loader.get("ayse") is None  # the display keeps its own copy; none stays here
        loader.forget("never-asked")  # nothing to drop: no error
        loader.request("ayse", photo, (160, 90))
        again = wait_for(loader, "ayse")
        assert again is not first and isinstance(again, Image.Image) and again.size == (160, 90)
