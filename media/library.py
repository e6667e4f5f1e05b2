"""The server's picture store: uploads checked, cleaned and kept by content hash.

An upload is untrusted bytes from a laptop or a phone. :func:`clean` checks
them by content (never by name or declared type), refuses what is too big
before a pixel is decoded, decodes fully (so a truncated file fails here, not
on a facade), turns the picture upright by its EXIF orientation, converts
CMYK, 16-bit and palette pictures to 8-bit RGB, keeps only the first frame
of an animation, and re-encodes it with no metadata at all: a phone photo's
GPS position, camera serial number and thumbnail never leave the server.

The cleaned bytes are stored under their SHA-256 (``<root>/<h[:2]>/<h>``), so
the same picture uploaded twice is one file, a hash names exactly one
content, and a display can check what it downloaded. Re-encoding an already
clean JPEG or PNG would lose quality for nothing and change its hash on every
export and import round trip, so such files are kept byte for byte.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from media.faces import FaceResult, find_focus
from media.fonts import FontInfo, check_font
from media.pipeline import MAX_PIXELS, MediaError, _decode, _open_header, _orientation
from media.video import VideoInfo, VideoLimits, clean_video
from projector.core.model import MEDIA_HASH_PATTERN

__all__ = [
    "MAX_UPLOAD_BYTES",
    "MAX_UPLOAD_PIXELS",
    "Cleaned",
    "Ingested",
    "IngestedFont",
    "IngestedVideo",
    "MediaLibrary",
    "clean",
]

#: Largest upload, in bytes. A 40 MP phone JPEG is 10-20 MB.
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
#: Largest upload, in pixels, checked from the header before anything is decoded.
MAX_UPLOAD_PIXELS = MAX_PIXELS
#: JPEG quality of a re-encoded photo: no visible loss on a facade, a third of the size of 100.
JPEG_QUALITY = 90

#: Formats whose pictures are re-encoded as PNG (flat colours, drawings); photos become JPEG.
_LOSSLESS = frozenset({"PNG", "GIF", "BMP"})
#: PNG header facts that are not metadata about a person, a place or a device.
_HARMLESS_PNG_INFO = frozenset({"dpi", "gamma", "srgb", "chromaticity", "aspect"})


@dataclass(frozen=True)
class Cleaned:
    """A picture ready to store: its bytes (no metadata), what they are, and what was done to them."""

    data: bytes
    mime: str
    width: int
    height: int
    #: What changed, in words for the operator ("animated GIF: only the first frame is kept").
    notes: tuple[str, ...]
    #: The decoded picture (upright RGB), for the face search.
    image: Image.Image

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def extension(self) -> str:
        return ".png" if self.mime == "image/png" else ".jpg"


def clean(data: bytes, name: str = "upload") -> Cleaned:
    """Check and clean an uploaded picture; raises :class:`MediaError` naming ``name`` and the reason."""
    label = Path(name.replace("\\", "/").rsplit("/", 1)[-1] or "upload")  # a name for messages, never a path
    if not data:
        raise MediaError(label, "empty file (0 bytes)")
    if len(data) > MAX_UPLOAD_BYTES:
        raise MediaError(label, f"{len(data):,} bytes exceeds the {MAX_UPLOAD_BYTES:,} byte upload limit")
    header = _open_header(data, label)
    fmt = header.format or "image"
    mode = header.mode
    frames = int(getattr(header, "n_frames", 1) or 1)
    notes: list[str] = []
    width, height = header.size
    if width * height > MAX_UPLOAD_PIXELS:
        raise MediaError(label, f"{width}x{height} pixels exceeds the {MAX_UPLOAD_PIXELS:,} pixel limit")
    if frames > 1:
        notes.append(f"animated {fmt} ({frames} frames): only the first frame is kept")
    if mode == "CMYK":
        notes.append("CMYK colours converted to RGB")
    elif mode.startswith("I;16") or mode in ("I", "F"):
        notes.append(f"{'16' if mode.startswith('I;16') else '32'}-bit picture converted to 8-bit")
    elif fmt == "PNG" and _png_bit_depth(data) == 16:
        # Pillow decodes 16-bit colour PNGs to 8-bit "RGB"/"RGBA", so the mode alone hides it.
        notes.append("16-bit picture converted to 8-bit")
    orientation = _orientation(header)
    if orientation not in (None, 1):
        notes.append("turned upright by its EXIF orientation")
    keep = _already_clean(data, header, fmt, frames, orientation)
    image = _decode(data, label, max_pixels=MAX_UPLOAD_PIXELS)
    if keep:
        return Cleaned(data, f"image/{fmt.lower()}", image.width, image.height, tuple(notes), image)
    if _has_metadata(header):
        notes.append("metadata removed (EXIF, GPS, comments, profiles)")
    out = io.BytesIO()
    if fmt in _LOSSLESS:
        image.save(out, format="PNG", optimize=False, compress_level=6)
        mime = "image/png"
    else:
        image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        mime = "image/jpeg"
    return Cleaned(out.getvalue(), mime, image.width, image.height, tuple(notes), image)


def _already_clean(data: bytes, header: Image.Image, fmt: str, frames: int, orientation: int | None) -> bool:
    """True for a plain 8-bit RGB or grey JPEG/PNG with nothing in it but pixels (what we write)."""
    if frames != 1 or orientation not in (None, 1) or header.mode not in ("RGB", "L"):
        return False
    if fmt == "JPEG":
        applist = getattr(header, "applist", [])
        return "comment" not in header.info and all(
            marker == "APP0" and body.startswith(b"JFIF\x00") for marker, body in applist
        )
    if fmt == "PNG":
        # Read the chunk list itself: text chunks after the pixels are not in ``info``,
        # and asking Pillow for them would decode (and could hide) the pixels.
        # The bit depth too: Pillow reports a 16-bit colour PNG as mode "RGB", and kept
        # byte for byte it would reach every display at twice the size we promise.
        chunks = _png_chunks(data)
        return chunks is not None and chunks <= _PLAIN_PNG_CHUNKS and _png_bit_depth(data) != 16
    return False


#: Chunks of a PNG that say nothing about a person, a place or a device.
_PLAIN_PNG_CHUNKS = frozenset({b"IHDR", b"IDAT", b"IEND", b"gAMA", b"sRGB", b"cHRM", b"pHYs"})


def _png_bit_depth(data: bytes) -> int | None:
    """The bit depth in a PNG's IHDR (the first chunk, so at a fixed offset), or None."""
    if len(data) < 25 or data[12:16] != b"IHDR":
        return None
    return data[24]


def _png_chunks(data: bytes) -> set[bytes] | None:
    """The chunk types of a PNG, or None when its structure does not add up."""
    types: set[bytes] = set()
    pos = 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        types.add(kind)
        pos += 12 + length
        if kind == b"IEND":
            return types if pos == len(data) else None  # bytes after the end: something hides there
    return None


def _has_metadata(header: Image.Image) -> bool:
    if header.format == "PNG":
        return not set(header.info) <= _HARMLESS_PNG_INFO
    return bool(
        {"exif", "icc_profile", "comment", "xmp", "photoshop", "XML:com.adobe.xmp"} & set(header.info)
        or any(marker != "APP0" for marker, _ in getattr(header, "applist", []))
    )


@dataclass(frozen=True)
class Ingested:
    """An upload as stored: its hash and file, what it is, its face, and the notes for the operator."""

    hash: str
    path: Path
    mime: str
    width: int
    height: int
    bytes: int
    faces: FaceResult
    notes: tuple[str, ...]
    #: False when the same content was already stored.
    new: bool


@dataclass(frozen=True)
class IngestedVideo:
    """A video upload as stored: its hash and file, and what the check found."""

    hash: str
    path: Path
    bytes: int
    info: VideoInfo
    #: False when the same content was already stored.
    new: bool


@dataclass(frozen=True)
class IngestedFont:
    """A font upload as stored (byte for byte): its hash and file, and what the check found."""

    hash: str
    path: Path
    bytes: int
    info: FontInfo
    #: False when the same content was already stored.
    new: bool


class MediaLibrary:
    """Content-addressed picture files under ``root``; safe to share between threads and processes."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def variants_root(self) -> Path:
        return self.root / "variants"

    def path_of(self, media_hash: str) -> Path:
        """Where a hash's file is (or would be). Anything but 64 hex digits is a ``ValueError``:
        a hash is the only name a client can give, so no path can be smuggled in."""
        if not isinstance(media_hash, str) or not MEDIA_HASH_PATTERN.match(media_hash):
            raise ValueError(f"not a media hash: {media_hash!r}")
        return self.root / media_hash[:2] / media_hash

    def has(self, media_hash: str) -> bool:
        try:
            return self.path_of(media_hash).is_file()
        except ValueError:
            return False

    def ingest(self, data: bytes, name: str = "upload") -> Ingested:
        """Clean, search for faces, store. Blocking (decoding costs up to a second): call it off the loop."""
        cleaned = clean(data, name)
        faces = find_focus(cleaned.image)
        media_hash = cleaned.hash
        path = self.path_of(media_hash)
        new = not path.is_file()
        if new:
            self._write(path, cleaned.data)
        return Ingested(
            media_hash,
            path,
            cleaned.mime,
            cleaned.width,
            cleaned.height,
            len(cleaned.data),
            faces,
            cleaned.notes,
            new,
        )

    def ingest_font(self, data: bytes, name: str = "upload") -> IngestedFont:
        """Check a font (``media.fonts``), store it unchanged by hash. Blocking (parsing): off the loop."""
        info = check_font(data, name)
        media_hash = hashlib.sha256(data).hexdigest()
        path = self.path_of(media_hash)
        new = not path.is_file()
        if new:
            self._write(path, data)
        return IngestedFont(media_hash, path, len(data), info, new)

    def incoming(self) -> Path:
        """A fresh temporary file beside the library (same disk: stored by a rename), for an upload
        too big to hold in memory. The caller removes it."""
        folder = self.root / ".incoming"
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, prefix="upload-")
        os.close(fd)
        return Path(name)

    def ingest_video(self, source: Path, name: str, limits: VideoLimits) -> IngestedVideo:
        """Check ``source`` (an uploaded file), store its cleaned copy by hash. Blocking: off the loop."""
        label = Path(name.replace("\\", "/").rsplit("/", 1)[-1] or "upload")
        cleaned = self.incoming()
        try:
            info = clean_video(source, cleaned, label, limits)
            digest = hashlib.sha256()
            with cleaned.open("rb") as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
            media_hash = digest.hexdigest()
            path = self.path_of(media_hash)
            size = cleaned.stat().st_size
            new = not path.is_file()
            if new:
                path.parent.mkdir(parents=True, exist_ok=True)
                with cleaned.open("rb") as f:
                    os.fsync(f.fileno())
                os.chmod(cleaned, 0o644)
                os.replace(cleaned, path)
        finally:
            with contextlib.suppress(OSError):
                cleaned.unlink()
        return IngestedVideo(media_hash, path, size, info, new)

    def _write(self, path: Path, data: bytes) -> None:
        """Atomically (temp file, fsync, rename): a reader never sees half a picture."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
