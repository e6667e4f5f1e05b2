"""Portrait pipeline: untrusted image file in, projector-ready RGBA picture out.

Portraits arrive from campaign staff laptops, phones and shared drives, often
renamed, half-downloaded or enormous, and a bad one must never take a display
down in front of a crowd. So every file is checked by its content rather than
its name, its size is checked before a single pixel is decoded (a 30,000 x
30,000 PNG is a few kilobytes of header and gigabytes of RAM), it is fully
decoded here (a truncated file fails now, with a message, not later in a
scene), and every failure is one exception type, :class:`MediaError`, whose
message names the file and says what was wrong.

:func:`prepare_portrait` then turns a photo into what looks right projected on
a dark facade at night: cropped to the display's shape around the face, toned
(a two-colour duotone, a stencil-like cutout, or natural colour) and
vignetted so that its edges melt into the dark wall instead of ending in a
lit rectangle. Results are cached on disk by content, because a 4K treatment
costs a few hundred milliseconds and a display restarts often.

:class:`PortraitLoader` runs all of that on worker threads: the render thread
asks, keeps drawing, and picks the picture up when it is ready.

Pillow only; the display converts the returned RGBA image to a surface itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import math
import os
import stat
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from PIL import Image, ImageChops, ImageEnhance, ImageFile, ImageFilter, ImageOps

__all__ = [
    "DEFAULT_FOCUS",
    "MAX_BYTES",
    "MAX_PIXELS",
    "MediaError",
    "PortraitLoader",
    "Treatment",
    "load_image",
    "prepare_portrait",
]

log = logging.getLogger(__name__)

#: Largest image accepted, in pixels (width x height). 40 megapixels covers
#: what phones and most cameras produce by default; decoding one takes 120 MB,
#: as much as a kiosk PC should spend on one portrait.
MAX_PIXELS = 40_000_000
#: Largest file accepted, in bytes. Files are read whole into memory.
MAX_BYTES = 50 * 1024 * 1024
#: Where a face usually is in a portrait photo: the middle of the upper third.
DEFAULT_FOCUS: tuple[float, float] = (0.5, 0.38)
#: Largest output side. Anything bigger is a programming error, not a wish.
MAX_OUTPUT_SIDE = 16384

#: Raster formats a portrait may come in. Everything else Pillow could open
#: (EPS runs Ghostscript, ICO/PSD/FITS... are odd attack surface) is refused.
_ALLOWED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP", "AVIF")

#: Bump when the treatment algorithms change, so stale cache files are ignored.
_PIPELINE_VERSION = 2

_EXIF_ORIENTATION = 0x0112

Style = Literal["duotone", "cutout", "natural"]
RGB = tuple[int, int, int]


class MediaError(Exception):
    """A media file could not be used. The message names the file and the reason.

    ``path`` and ``reason`` are kept separately so a display can show a short
    reason on the operator panel and log the whole path.
    """

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason

    def __reduce__(self) -> tuple[type[MediaError], tuple[Path, str]]:
        # Picklable, so it can cross a process pool or a multiprocessing queue.
        return (MediaError, (self.path, self.reason))


@dataclass(frozen=True)
class Treatment:
    """How a portrait is toned for projection.

    Frozen and validated on construction so it can be a cache key and a
    dictionary key, and so a typo in a colour fails where it is written.
    """

    style: Style = "duotone"
    shadow: RGB = (8, 8, 20)  # duotone dark colour
    highlight: RGB = (255, 221, 0)  # duotone light colour (campaign yellow)
    vignette: float = 0.55  # 0 = none, 1 = strong

    def __post_init__(self) -> None:
        if self.style not in ("duotone", "cutout", "natural"):
            raise ValueError(f"style must be 'duotone', 'cutout' or 'natural', got {self.style!r}")
        for name in ("shadow", "highlight"):
            colour = getattr(self, name)
            if (
                not isinstance(colour, tuple)
                or len(colour) != 3
                or not all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in colour)
            ):
                raise ValueError(f"{name} must be a tuple of three integers 0-255, got {colour!r}")
        v = self.vignette
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0.0 <= v <= 1.0:
            raise ValueError(f"vignette must be a number from 0 to 1, got {v!r}")


# --------------------------------------------------------------------------- loading


def load_image(path: Path, *, max_pixels: int = MAX_PIXELS, max_bytes: int = MAX_BYTES) -> Image.Image:
    """Load an untrusted image file as a fully decoded, upright RGB image.

    Raises :class:`MediaError` (naming ``path``) for a missing, empty, oversized,
    truncated, corrupt or non-image file. Animated images give their first
    frame; transparency is flattened onto black, the colour of a night facade.
    """
    path = Path(path)
    data = _read_file(path, max_bytes)
    return _decode(data, path, max_pixels=max_pixels)


def _read_file(path: Path, max_bytes: int) -> bytes:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise MediaError(path, "file not found") from None
    except PermissionError:
        raise MediaError(path, "permission denied") from None
    except OSError as exc:
        raise MediaError(path, f"cannot read file ({exc.strerror or exc})") from None
    # A FIFO or device would block or never end; a directory is a wrong path.
    if stat.S_ISDIR(st.st_mode):
        raise MediaError(path, "is a directory, not an image file")
    if not stat.S_ISREG(st.st_mode):
        raise MediaError(path, "not a regular file")
    if st.st_size == 0:
        raise MediaError(path, "empty file (0 bytes)")
    if st.st_size > max_bytes:
        raise MediaError(path, f"{st.st_size:,} bytes exceeds the {max_bytes:,} byte limit")
    try:
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)  # the file may have grown since stat()
    except PermissionError:
        raise MediaError(path, "permission denied") from None
    except OSError as exc:
        raise MediaError(path, f"cannot read file ({exc.strerror or exc})") from None
    if not data:
        raise MediaError(path, "empty file (0 bytes)")
    if len(data) > max_bytes:
        raise MediaError(path, f"more than {max_bytes:,} bytes exceeds the {max_bytes:,} byte limit")
    return data


def _open_header(data: bytes, path: Path) -> ImageFile.ImageFile:
    """Parse only the header of an allowed format; no pixels are decoded yet.

    This walks Pillow's format registry itself rather than calling
    ``Image.open``, because ``Image.open`` refuses very large images with a
    message that does not give their dimensions, and the operator needs
    "30000x30000" to understand why a portrait was refused.
    """
    Image.init()
    prefix = data[:16]
    for fmt in _ALLOWED_FORMATS:
        entry = Image.OPEN.get(fmt)
        if entry is None:  # this Pillow build lacks the codec
            continue
        factory, accept = entry
        if accept is not None and not accept(prefix):
            continue
        try:
            im = factory(io.BytesIO(data), str(path))
        except Image.DecompressionBombError as exc:
            raise MediaError(path, f"exceeds the pixel limit ({exc})") from None
        except (SyntaxError, OSError, ValueError, EOFError, IndexError, TypeError, KeyError) as exc:
            # The signature matched, so this is a damaged file of that format.
            raise MediaError(path, f"truncated or corrupt {fmt} image ({exc})") from None
        if not isinstance(im, ImageFile.ImageFile):  # pragma: no cover - defensive
            raise MediaError(path, f"unsupported {fmt} variant")
        return im
    raise MediaError(path, f"not an image (looks like {_describe_content(data)})")


def _decode(
    data: bytes,
    path: Path,
    *,
    max_pixels: int = MAX_PIXELS,
    draft_for: Callable[[tuple[int, int], bool], tuple[int, int]] | None = None,
) -> Image.Image:
    """Validate, decode and normalise ``data`` (the bytes of ``path``) to upright RGB.

    ``draft_for(size, swapped)`` may name the smallest raw size still needed
    (``swapped``: EXIF orientation turns the image by 90 degrees), so a 24 MP
    JPEG headed for a small output is decoded at 1/2, 1/4 or 1/8 scale, which
    is several times faster.
    """
    # ``Image.Image``, not the ``ImageFile`` the header gives: EXIF turning below returns a plain image.
    im: Image.Image = _open_header(data, path)
    width, height = im.size
    if width < 1 or height < 1:
        raise MediaError(path, f"invalid dimensions {width}x{height}")
    if width * height > max_pixels:
        raise MediaError(path, f"{width}x{height} pixels exceeds the {max_pixels:,} pixel limit")
    orientation = _orientation(im)
    if draft_for is not None and im.format == "JPEG":
        im.draft(None, draft_for(im.size, orientation in (5, 6, 7, 8)))
    try:
        im.seek(0)  # first frame of an animation
        im.load()
    except Image.DecompressionBombError as exc:
        raise MediaError(path, f"exceeds the pixel limit ({exc})") from None
    except MemoryError:
        raise MediaError(path, f"not enough memory to decode {width}x{height} pixels") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
        if "truncated" in str(exc).lower():
            raise MediaError(path, "truncated image") from None
        raise MediaError(path, f"corrupt image ({exc})") from None
    if orientation not in (None, 1):
        try:
            im = ImageOps.exif_transpose(im)
        except Exception as exc:  # a broken EXIF block must not cost the portrait
            log.warning("%s: ignoring unreadable EXIF orientation (%s)", path, exc)
    return _to_rgb(im, path)


def _orientation(im: Image.Image) -> int | None:
    if im.format == "PNG" and "exif" not in im.info:
        # Pillow's PNG getexif() decodes every pixel to look for an eXIf chunk after
        # them, and a decoding error there would be swallowed here and the damaged
        # picture then "load" as black. An eXIf chunk before the pixels is in info.
        return None
    try:
        value = im.getexif().get(_EXIF_ORIENTATION)
    except Exception:  # malformed EXIF: treat as upright
        return None
    return value if isinstance(value, int) else None


def _to_rgb(im: Image.Image, path: Path) -> Image.Image:
    """Normalise any colour mode to 8-bit RGB without surprises.

    Plain ``convert("RGB")`` clips 16-bit grey to white and drops alpha onto
    whatever the transparent pixels happened to contain, so those are handled
    here; CMYK goes through its embedded ICC profile when there is one.
    """
    mode = im.mode
    if mode == "RGB":
        return im
    if mode.startswith("I;16") or mode in ("I", "F"):
        grey = im.convert("I") if mode.startswith("I;16") else im
        lo, hi = grey.getextrema()
        # One band ("I", "F"): a (min, max) pair of numbers; Pillow types it as per-band pairs too.
        if not isinstance(lo, int | float) or not isinstance(hi, int | float):  # pragma: no cover
            raise MediaError(path, f"unexpected value range for mode {mode}")
        if mode.startswith("I;16"):
            scale, offset = 1 / 257, 0.0  # 65535 -> 255
        elif hi > 255 or lo < 0:  # 32-bit or float data: stretch what is there
            scale = 255 / max(float(hi) - float(lo), 1.0)
            offset = -float(lo) * scale
        else:
            scale, offset = 1.0, 0.0
        return grey.point(lambda v: v * scale + offset).convert("L").convert("RGB")
    if mode == "CMYK":
        return _cmyk_to_rgb(im, path)
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (0, 0, 0))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    try:
        return im.convert("RGB")
    except (ValueError, OSError) as exc:
        raise MediaError(path, f"unsupported colour mode {mode} ({exc})") from None


def _cmyk_to_rgb(im: Image.Image, path: Path) -> Image.Image:
    icc = im.info.get("icc_profile")
    if icc:
        try:
            from PIL import ImageCms

            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            dst = ImageCms.createProfile("sRGB")
            converted = ImageCms.profileToProfile(im, src, dst, outputMode="RGB")
            if converted is not None:
                return converted
        except Exception as exc:  # no littlecms, or a broken profile: fall back
            log.info("%s: CMYK profile not usable, converting naively (%s)", path, exc)
    return im.convert("RGB")


_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "an ELF executable"),
    (b"MZ", "a Windows executable"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xce\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xfe\xed\xfa\xcf", "a Mach-O executable"),
    (b"\xca\xfe\xba\xbe", "a Mach-O or Java class file"),
    (b"#!", "a script"),
    (b"%PDF", "a PDF document"),
    (b"%!PS", "a PostScript file"),
    (b"PK\x03\x04", "a ZIP archive or office document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
    (b"8BPS", "a Photoshop document; export a PNG or JPEG"),
    (b"\x00\x00\x01\x00", "an icon file"),
    (b"\xff\xfb", "an MP3 audio file"),
    (b"ID3", "an MP3 audio file"),
    (b"OggS", "an Ogg media file"),
)


def _describe_content(data: bytes) -> str:
    """Guess what a non-image file is, for an error message a person can act on."""
    for magic, what in _SIGNATURES:
        if data.startswith(magic):
            return what
    head = data[:512]
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
            return "a HEIC photo; export it as JPEG"
        return "an MP4/QuickTime video"
    stripped = head.lstrip().lower()
    if stripped.startswith(b"<svg") or (stripped.startswith(b"<?xml") and b"<svg" in head.lower()):
        return "an SVG drawing; export it as PNG"
    if stripped.startswith((b"<!doctype html", b"<html")):
        return "an HTML page, perhaps a failed download"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at byte 512 is still text.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return "unrecognised binary data"
    if text and all(ch.isprintable() or ch in "\r\n\t" for ch in text):
        return "text"
    return "unrecognised binary data"


# --------------------------------------------------------------------------- treatment


def prepare_portrait(
    path: Path,
    size: tuple[int, int],
    treatment: Treatment = Treatment(),  # frozen: sharing the default is safe
    focus: tuple[float, float] | None = None,
    cache_dir: Path | None = None,
) -> Image.Image:
    """Return an RGBA image of exactly ``size``, cover-cropped around ``focus`` and treated.

    ``focus`` is the point to keep in frame, as fractions of the upright
    image's width and height; by default the middle of the upper third, where
    a face usually is. With ``cache_dir`` the result is stored as a PNG keyed
    by the file's content, the size, the treatment and the focus, and a later
    call with the same inputs reads it instead of decoding again.
    """
    result, write_cache = _prepare(Path(path), size, treatment, focus, cache_dir)
    if write_cache is not None:
        write_cache()
    return result


def _prepare(
    path: Path,
    size: tuple[int, int],
    treatment: Treatment,
    focus: tuple[float, float] | None,
    cache_dir: Path | None,
) -> tuple[Image.Image, Callable[[], None] | None]:
    """The portrait, and the cache write still to do (None on a hit or without a cache).

    Split from the write so :class:`PortraitLoader` can hand the picture to
    the screen first and write the PNG afterwards: at 4K the write costs as
    much again as the treatment.
    """
    width, height = _check_size(size)
    fx, fy = _check_focus(focus)
    data = _read_file(path, MAX_BYTES)

    cache_file: Path | None = None
    if cache_dir is not None:
        cache_file = Path(cache_dir) / f"{_cache_key(data, (width, height), treatment, (fx, fy))}.png"
        cached = _read_cache(cache_file, (width, height), treatment)
        if cached is not None:
            return cached, None

    def needed_raw_size(raw: tuple[int, int], swapped: bool) -> tuple[int, int]:
        upright = (raw[1], raw[0]) if swapped else raw
        scale = max(width / upright[0], height / upright[1])
        return (math.ceil(raw[0] * scale), math.ceil(raw[1] * scale))

    source = _decode(data, path, draft_for=needed_raw_size)
    result = _treat(source, (width, height), treatment, (fx, fy))
    if cache_file is None:
        return result, None
    target = cache_file
    return result, lambda: _write_cache(target, result, treatment)


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    try:
        width, height = size
    except (TypeError, ValueError):
        raise ValueError(f"size must be (width, height), got {size!r}") from None
    for side in (width, height):
        if isinstance(side, bool) or not isinstance(side, int) or not 1 <= side <= MAX_OUTPUT_SIDE:
            raise ValueError(f"size must be two integers from 1 to {MAX_OUTPUT_SIDE}, got {size!r}")
    return width, height


def _check_focus(focus: tuple[float, float] | None) -> tuple[float, float]:
    if focus is None:
        return DEFAULT_FOCUS
    try:
        fx, fy = focus
    except (TypeError, ValueError):
        raise ValueError(f"focus must be (x, y) fractions, got {focus!r}") from None
    for v in (fx, fy):
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0.0 <= v <= 1.0:
            raise ValueError(f"focus must be two numbers from 0 to 1, got {focus!r}")
    return float(fx), float(fy)


def _treat(
    source: Image.Image, size: tuple[int, int], treatment: Treatment, focus: tuple[float, float]
) -> Image.Image:
    # Duotone and cutout only need luminance: converting before the resize
    # makes the (expensive) resample a third of the work.
    if treatment.style != "natural":
        source = source.convert("L")
    framed = _cover_crop(source, size, focus)
    if treatment.style == "duotone":
        return _duotone(framed, treatment)
    if treatment.style == "cutout":
        return _cutout(framed, treatment)
    return _natural(framed, treatment)


def _cover_crop(im: Image.Image, size: tuple[int, int], focus: tuple[float, float]) -> Image.Image:
    """Scale to cover ``size`` and crop, keeping ``focus`` as central as the edges allow."""
    sw, sh = im.size
    tw, th = size
    scale = max(tw / sw, th / sh)
    cw, ch = tw / scale, th / scale
    left = min(max(focus[0] * sw - cw / 2, 0.0), sw - cw)
    top = min(max(focus[1] * sh - ch / 2, 0.0), sh - ch)
    box = (left, top, left + cw, top + ch)
    gap = 2.0 if scale < 0.5 else None  # fast pre-reduction only for big downscales
    return im.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=gap)


def _duotone(grey: Image.Image, t: Treatment) -> Image.Image:
    # Projection on stone loses the mid-tones first, so they are lifted a little.
    lifted = ImageOps.autocontrast(grey, cutoff=(0.5, 0.5)).point(_MIDTONE_LIFT)
    toned = ImageOps.colorize(lifted, t.shadow, t.highlight)
    return _vignette_rgb(toned, t.vignette).convert("RGBA")


def _cutout(grey: Image.Image, t: Treatment) -> Image.Image:
    """A stencil: light areas glow in the highlight colour, dark ones are transparent.

    A light blur before posterising merges photo noise into clean shapes, the
    way a paste-up stencil on a wall looks.
    """
    radius = max(1.0, min(grey.size) / 450)
    smooth = ImageOps.autocontrast(grey, cutoff=(2, 1)).filter(ImageFilter.GaussianBlur(radius))
    alpha = smooth.point(_CUTOUT_LUT)
    if t.vignette > 0:
        alpha = ImageChops.multiply(alpha, _vignette_mask(grey.size, t.vignette))
    out = Image.new("RGBA", grey.size, (*t.highlight, 0))
    out.putalpha(alpha)
    return out


_MIDTONE_LIFT = [round(255 * (v / 255) ** 0.85) for v in range(256)]

#: Four flat tones: shadows vanish, three levels of glow.
_CUTOUT_LUT = [0 if v < 70 else 96 if v < 130 else 180 if v < 185 else 255 for v in range(256)]


def _natural(rgb: Image.Image, t: Treatment) -> Image.Image:
    lifted = ImageOps.autocontrast(rgb, cutoff=(0.3, 0.3), preserve_tone=True)
    lifted = ImageEnhance.Contrast(lifted).enhance(1.12)
    return _vignette_rgb(lifted, t.vignette).convert("RGBA")


def _vignette_rgb(im: Image.Image, strength: float) -> Image.Image:
    if strength <= 0:
        return im
    mask = _vignette_mask(im.size, strength)
    return ImageChops.multiply(im, Image.merge("RGB", (mask, mask, mask)))


@lru_cache(maxsize=8)
def _vignette_mask(size: tuple[int, int], strength: float) -> Image.Image:
    """An L mask, 255 in the middle falling towards 0 at the edges.

    Elliptical, so it follows the output's shape. Stronger vignettes start
    closer to the centre and reach full black earlier. Cached per size: every
    portrait on a display shares one. Callers must not modify it.
    """
    inner = 1.0 - 0.8 * strength  # where darkening starts (1 = edge midpoint)
    outer = 1.0 + 0.4 * (1.0 - strength)  # where it is complete
    depth = min(1.0, 2.0 * strength)
    lut = []
    for g in range(256):
        r = g / 255 * math.sqrt(2)  # radial_gradient: 255 at the corner of its square
        x = min(max((r - inner) / (outer - inner), 0.0), 1.0)
        lut.append(round(255 * (1.0 - depth * x * x * (3 - 2 * x))))
    return Image.radial_gradient("L").point(lut).resize(size, Image.Resampling.BILINEAR)


# --------------------------------------------------------------------------- cache


def _cache_key(data: bytes, size: tuple[int, int], t: Treatment, focus: tuple[float, float]) -> str:
    params = json.dumps(
        [_PIPELINE_VERSION, hashlib.sha256(data).hexdigest(), list(size), asdict(t), list(focus)],
        sort_keys=True,
    )
    return hashlib.sha256(params.encode()).hexdigest()


def _read_cache(cache_file: Path, size: tuple[int, int], t: Treatment) -> Image.Image | None:
    """The cached result, or None (a damaged or mismatched file is removed).

    A cutout is one colour with varying alpha, so only its alpha channel is
    stored: a quarter of the pixels to inflate on every display start.
    """
    expected = "L" if t.style == "cutout" else "RGBA"
    try:
        # From memory rather than the open file, so the decoded image needs
        # neither a copy nor an open file handle once it is returned.
        im = Image.open(io.BytesIO(cache_file.read_bytes()), formats=["PNG"])
        im.load()
        if im.size == size and im.mode == expected:
            if t.style != "cutout":
                return im
            out = Image.new("RGBA", size, (*t.highlight, 0))
            out.putalpha(im)
            return out
    except FileNotFoundError:
        return None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        log.warning("%s: discarding unreadable cache file (%s)", cache_file, exc)
    else:
        log.warning("%s: discarding cache file of the wrong size or mode", cache_file)
    with contextlib.suppress(OSError):
        cache_file.unlink()
    return None


def _write_cache(cache_file: Path, im: Image.Image, t: Treatment) -> None:
    """Write atomically (temp file, then rename) so a reader never sees half a PNG.

    A cache that cannot be written (read-only media, full disk) costs speed,
    not the portrait, so failures are logged and swallowed.
    """
    tmp_name: str | None = None
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=cache_file.parent, prefix=".tmp-", suffix=".png")
        with os.fdopen(fd, "wb") as f:
            stored = im.getchannel("A") if t.style == "cutout" else im
            stored.save(f, format="PNG", compress_level=1)
        os.replace(tmp_name, cache_file)
        tmp_name = None
    except OSError as exc:
        log.warning("%s: cannot write portrait cache (%s)", cache_file, exc)
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


# --------------------------------------------------------------------------- loader


class PortraitLoader:
    """Decodes and treats portraits on worker threads so the render thread never blocks.

    The render thread calls :meth:`request` when a scene will need a portrait
    and :meth:`get` every frame until it is there. Pillow releases the GIL
    while decoding and resampling, so the workers really run beside the
    render loop. A result stays in memory under its key until :meth:`forget`
    (the caller has taken it) or :meth:`close`; the returned image is shared,
    so callers must copy it before changing it.
    """

    def __init__(self, cache_dir: Path | None = None, workers: int = 2) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self._cache_dir = cache_dir
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="portrait")
        self._jobs: dict[str, Future[Image.Image | MediaError]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def request(
        self,
        key: str,
        path: Path,
        size: tuple[int, int],
        treatment: Treatment = Treatment(),  # frozen: sharing the default is safe
        focus: tuple[float, float] | None = None,
    ) -> None:
        """Start preparing a portrait under ``key``; a repeated key is ignored.

        Bad arguments (a size or focus out of range) raise here, on the
        caller's thread, because they are programming errors; problems with
        the file itself come back from :meth:`get` as a :class:`MediaError`.
        """
        _check_size(size)
        _check_focus(focus)
        with self._lock:
            if self._closed:
                raise RuntimeError("PortraitLoader is closed")
            if key in self._jobs:
                return
            self._jobs[key] = self._pool.submit(self._work, Path(path), size, treatment, focus)

    def get(self, key: str) -> Image.Image | MediaError | None:
        """The finished image, the :class:`MediaError` that stopped it, or None if not ready.

        A key that was never requested is also None. Never raises.
        """
        with self._lock:
            job = self._jobs.get(key)
        if job is None or not job.done() or job.cancelled():
            return None
        return job.result()

    def forget(self, key: str) -> None:
        """Drop ``key``'s result (a later :meth:`request` prepares it again); cancel it if not started.

        A display keeps the portraits it converted and bounds them itself, and a slideshow
        keeps its own copy of the few it shows; without this every picture either ever
        showed would also stay here, as an image, until it stops.
        """
        with self._lock:
            job = self._jobs.pop(key, None)
        if job is not None:
            job.cancel()

    def close(self) -> None:
        """Stop the workers without waiting for a decode in progress; idempotent."""
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> PortraitLoader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _work(
        self, path: Path, size: tuple[int, int], treatment: Treatment, focus: tuple[float, float] | None
    ) -> Image.Image | MediaError:
        try:
            result, write_cache = _prepare(path, size, treatment, focus, self._cache_dir)
        except MediaError as exc:
            log.warning("portrait not loaded: %s", exc)
            return exc
        except Exception as exc:  # a bug must not reach the render thread as an exception
            log.exception("%s: unexpected error preparing portrait", path)
            return MediaError(path, f"unexpected error ({type(exc).__name__}: {exc})")
        if write_cache is not None:
            # As a job of its own, so this one's result is available at once.
            with contextlib.suppress(RuntimeError):  # closed meanwhile: skip the cache
                self._pool.submit(write_cache)
        return result
