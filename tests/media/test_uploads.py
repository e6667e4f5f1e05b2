"""Uploads through the real server: every bad file the issue lists is refused with a clear error,
good ones are cleaned (upright, 8-bit RGB, no metadata) and stored by content hash."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from multidict import CIMultiDict
from PIL import Image, ImageDraw, JpegImagePlugin
from PIL.PngImagePlugin import PngInfo

from media.dossier import DEMO_DIR
from media.library import MAX_UPLOAD_BYTES, MediaLibrary, clean
from media.pipeline import MediaError
from projector.server.services import SERVICES
from tests.conftest import RunningServer

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg(
    size: tuple[int, int] = (64, 48), colour: tuple[int, int, int] = (200, 40, 40), **save: object
) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", quality=90, **save)
    return out.getvalue()


def png(image: Image.Image, **save: object) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", **save)
    return out.getvalue()


def huge_png_header(width: int = 30_000, height: int = 30_000) -> bytes:
    """A few hundred bytes whose IHDR claims width x height: no pixel is ever allocated."""
    data = bytearray(png(Image.new("L", (8, 8))))
    ihdr = 8 + 8  # signature, then length + "IHDR"
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", zlib.crc32(bytes(data[12 : ihdr + 13])))
    return bytes(data)


async def upload(
    live: RunningServer,
    data: bytes,
    name: str = "photo.jpg",
    content_type: str = "image/jpeg",
    token: str = "operator",
) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {live.tokens[token]}", "Content-Type": content_type}
    async with live.session.post(
        live.base + "/api/v1/media", data=data, params={"name": name}, headers=headers
    ) as r:
        return r.status, await r.json()


async def fetch(
    live: RunningServer, path: str, token: str = "display", **headers: str
) -> tuple[int, bytes, CIMultiDict[str]]:
    headers = {"Authorization": f"Bearer {live.tokens[token]}", **headers}
    async with live.session.get(live.base + path, headers=headers) as r:
        return r.status, await r.read(), r.headers.copy()


def stored_image(live: RunningServer, media_hash: str) -> Image.Image:
    image = Image.open(_library(live).path_of(media_hash))
    image.load()
    return image


def _library(live: RunningServer) -> MediaLibrary:

    return live.app[SERVICES].media.library


# --- every bad file -------------------------------------------------------------------------------


async def test_zero_bytes_is_refused(live: RunningServer) -> None:
    status, body = await upload(live, b"")
    assert status == 422
    assert body["error"]["field"] == "file"
    assert "empty file (0 bytes)" in body["error"]["message"]


async def test_truncated_jpeg_is_refused(live: RunningServer) -> None:
    data = jpeg((400, 300))
    status, body = await upload(live, data[: len(data) // 2], name="cut.jpg")
    assert status == 422, body
    assert "cut.jpg" in body["error"]["message"] and "truncated" in body["error"]["message"]


@pytest.mark.parametrize(
    ("head", "what"),
    [
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "ELF executable"),
        (b"MZ\x90\x00\x03" + b"\x00" * 200, "Windows executable"),
        (b"#!/bin/sh\nrm -rf /\n", "script"),
    ],
)
async def test_an_executable_renamed_jpg_is_refused_by_its_content(
    live: RunningServer, head: bytes, what: str
) -> None:
    status, body = await upload(live, head, name="portrait.jpg", content_type="image/jpeg")
    assert status == 415, body
    assert "not an image" in body["error"]["message"] and what in body["error"]["message"]


async def test_30000_by_30000_pixels_is_refused_before_decoding(live: RunningServer) -> None:
    data = huge_png_header()
    assert len(data) < 200
    began = time.perf_counter()
    status, body = await upload(live, data, name="bomb.png", content_type="image/png")
    assert time.perf_counter() - began < 2.0  # a decode of 900 MP would take far longer (and 900 MB)
    assert status == 413, body
    assert "30000x30000" in body["error"]["message"] and "pixel limit" in body["error"]["message"]


async def test_more_than_the_byte_limit_is_refused(live: RunningServer) -> None:
    status, body = await upload(live, b"\xff\xd8" + b"\x00" * (MAX_UPLOAD_BYTES + 10))
    assert status == 413
    assert "upload limit" in body["error"]["message"]


async def test_corrupt_bytes_after_a_good_signature_are_refused(live: RunningServer) -> None:
    data = bytearray(png(Image.radial_gradient("L").resize((300, 300))))
    for i in range(60, len(data) - 20, 7):
        data[i] ^= 0x5A  # scribble over the compressed pixels and their checksums
    status, body = await upload(live, bytes(data), name="scribbled.png", content_type="image/png")
    assert status == 422, body
    assert "scribbled.png" in body["error"]["message"]
    assert "corrupt" in body["error"]["message"] or "truncated" in body["error"]["message"]


async def test_cmyk_jpeg_is_converted_to_rgb(live: RunningServer) -> None:
    out = io.BytesIO()
    Image.new("CMYK", (60, 40), (255, 0, 0, 0)).save(out, "JPEG", quality=95)  # pure cyan ink
    status, body = await upload(live, out.getvalue(), name="print.jpg")
    assert status == 201, body
    assert any("CMYK" in note for note in body["notes"])
    image = stored_image(live, body["hash"])
    assert image.mode == "RGB"
    pixel = image.getpixel((30, 20))
    assert isinstance(pixel, tuple)
    r, g, b = pixel
    assert r < 60 and g > 180 and b > 180, (r, g, b)  # cyan, not inverted or black


async def test_16_bit_png_is_scaled_to_8_bit_not_clipped(live: RunningServer) -> None:
    ramp = Image.new("I;16", (256, 8))
    ramp.putdata([x * 257 for _ in range(8) for x in range(256)])
    status, body = await upload(live, png(ramp), name="scan.png", content_type="image/png")
    assert status == 201, body
    assert any("16-bit" in note for note in body["notes"])
    image = stored_image(live, body["hash"])
    assert image.mode in ("RGB", "L") and image.format == "PNG"
    grey = image.convert("L")
    dark, middle, light = grey.getpixel((0, 4)), grey.getpixel((128, 4)), grey.getpixel((255, 4))
    assert isinstance(dark, int) and isinstance(middle, int) and isinstance(light, int)
    assert dark < 5 and 120 < middle < 136 and light > 250


def png_16_bit(width: int, height: int, channels: int) -> bytes:
    """A 16-bit-per-channel PNG (RGB: colour type 2; RGBA: 6), written by hand: Pillow cannot."""
    colour_type = {3: 2, 4: 6}[channels]

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(
        b"\x00"  # filter: none
        + b"".join(
            struct.pack(">" + "H" * channels, *([x * 257, 65535 - x * 257, 32768, 65535][:channels]))
            for x in range(width)
        )
        for _ in range(height)
    )
    ihdr = struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("channels", [3, 4])
async def test_16_bit_colour_png_is_stored_as_8_bit(live: RunningServer, channels: int) -> None:
    """Pillow calls a 16-bit colour PNG "RGB": the file's own header is what must say 8."""
    data = png_16_bit(256, 8, channels)
    assert data[24] == 16 and Image.open(io.BytesIO(data)).mode in ("RGB", "RGBA")
    status, body = await upload(live, data, name="scan.png", content_type="image/png")
    assert status == 201, body
    assert any("16-bit" in note for note in body["notes"]), body["notes"]
    stored = _library(live).path_of(body["hash"]).read_bytes()
    assert stored[12:16] == b"IHDR" and stored[24] == 8  # bit depth
    assert body["hash"] == hashlib.sha256(stored).hexdigest() != hashlib.sha256(data).hexdigest()
    image = stored_image(live, body["hash"])
    assert image.format == "PNG" and image.mode in ("RGB", "L")
    pixel = image.convert("RGB").getpixel((255, 4))
    assert isinstance(pixel, tuple)
    r, g, _ = pixel
    assert r > 250 and g < 5  # scaled, not clipped or swapped


async def test_animated_gif_keeps_only_its_first_frame(live: RunningServer) -> None:
    frames = [Image.new("P", (40, 40), i) for i in (1, 2, 3)]
    for frame in frames:
        frame.putpalette([0, 0, 0, 250, 0, 0, 0, 250, 0, 0, 0, 250] + [0] * (256 * 3 - 12))
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    status, body = await upload(live, out.getvalue(), name="blink.gif", content_type="image/gif")
    assert status == 201, body
    assert any("animated GIF (3 frames)" in note and "first frame" in note for note in body["notes"])
    image = stored_image(live, body["hash"])
    assert getattr(image, "n_frames", 1) == 1 and image.format == "PNG"
    pixel = image.convert("RGB").getpixel((20, 20))
    assert isinstance(pixel, tuple) and pixel[0] > 200  # the first frame: red


async def test_a_case_without_a_portrait_is_fine_and_a_case_with_an_unknown_one_is_refused(
    live: RunningServer,
) -> None:
    status, body = await live.put_json("/api/v1/cases/nobody", {"name": "No Picture", "country": "TR"})
    assert status == 200 and body["portrait"] is None
    status, body = await live.put_json(
        "/api/v1/cases/ghost", {"name": "Ghost", "country": "TR", "portrait": "ab" * 32}
    )
    assert status == 422
    assert body["error"]["field"] == "portrait" and "upload it first" in body["error"]["message"]


async def test_path_traversal_in_names_and_hashes_goes_nowhere(live: RunningServer, tmp_path: Path) -> None:
    status, body = await upload(live, jpeg(), name="../../../../etc/passwd")
    assert status == 201, body
    assert body["name"] == "passwd"
    assert _library(live).path_of(body["hash"]).is_file()
    for bad in ("..%2F..%2Fetc%2Fpasswd", "ABCDEF" * 10 + "abcd", "0" * 63, "0" * 65, "%2e%2e"):
        status, _, _ = await fetch(live, f"/api/v1/media/{bad}")
        assert status in (400, 404), bad
    status, body = await live.put_json(
        "/api/v1/cases/sneaky", {"name": "Sneaky", "country": "TR", "portrait": "../../etc/passwd"}
    )
    assert status == 422 and body["error"]["field"] == "portrait"


# --- what a good upload becomes --------------------------------------------------------------------


def exif_photo() -> bytes:
    """A 60x30 photo, left half red, tagged 'rotate 90 clockwise to view', with a GPS position."""
    image = Image.new("RGB", (60, 30), (0, 0, 255))
    ImageDraw.Draw(image).rectangle((0, 0, 29, 29), fill=(255, 0, 0))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "PhoneMaker"  # Make
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (41.0, 0.0, 36.0), 3: "E", 4: (28.0, 58.0, 48.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif.tobytes())
    data = out.getvalue()
    check = Image.open(io.BytesIO(data))
    assert check.getexif().get_ifd(GPS_IFD), "the test photo carries GPS"
    return data


async def test_exif_orientation_is_applied_and_gps_and_other_metadata_stripped(live: RunningServer) -> None:
    status, body = await upload(live, exif_photo(), name="phone.jpg")
    assert status == 201, body
    assert (body["width"], body["height"]) == (30, 60)  # turned upright
    assert any("EXIF orientation" in n for n in body["notes"]) and any("metadata" in n for n in body["notes"])
    status, data, headers = await fetch(live, f"/api/v1/media/{body['hash']}")
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    assert hashlib.sha256(data).hexdigest() == body["hash"]
    image = Image.open(io.BytesIO(data))
    assert image.size == (30, 60)
    assert not image.getexif() and "exif" not in image.info
    assert b"PhoneMaker" not in data and b"GPS" not in data
    assert isinstance(image, JpegImagePlugin.JpegImageFile)
    assert [marker for marker, _ in image.applist] == ["APP0"]
    top = image.getpixel((15, 10))
    bottom = image.getpixel((15, 50))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 200 and top[2] < 60, top  # the red half is on top after a 90 degree clockwise turn
    assert bottom[2] > 200 and bottom[0] < 60, bottom


async def test_png_text_chunks_are_stripped(live: RunningServer) -> None:
    meta = PngInfo()
    meta.add_text("Author", "someone@example.org")
    meta.add_text("Location", "41.01N 28.97E")
    status, body = await upload(
        live, png(Image.new("RGB", (20, 20), (9, 9, 9)), pnginfo=meta), "a.png", "image/png"
    )
    assert status == 201
    _, data, _ = await fetch(live, f"/api/v1/media/{body['hash']}")
    assert b"someone@example.org" not in data and b"Location" not in data


async def test_the_same_content_gets_the_same_hash_once_and_the_name_does_not_matter(
    live: RunningServer,
) -> None:
    data = png(Image.radial_gradient("L").convert("RGB"))
    first_status, first = await upload(live, data, name="a.png", content_type="image/png")
    second_status, second = await upload(live, data, name="b.jpg", content_type="application/octet-stream")
    assert (first_status, second_status) == (201, 200)
    assert first["hash"] == second["hash"] and second["new"] is False
    assert first["mime"] == "image/png"  # the content decides, not ".jpg"
    assert first["hash"] == hashlib.sha256(data).hexdigest()  # a clean PNG is kept byte for byte
    status, listing = await live.get("/api/v1/media", token="operator")
    assert status == 200 and [m["hash"] for m in listing["media"]] == [first["hash"]]


def test_cleaning_is_idempotent_so_an_export_and_import_keeps_every_hash() -> None:
    once = clean(exif_photo(), "phone.jpg")
    twice = clean(once.data, "again.jpg")
    assert twice.data == once.data and twice.notes == ()


def test_clean_names_the_file_not_a_path() -> None:
    with pytest.raises(MediaError) as info:
        clean(b"", "../../secret/x.jpg")
    assert str(info.value).startswith("x.jpg: empty file")


# --- who may do what, and serving -------------------------------------------------------------------------


async def test_only_operators_upload_and_only_displays_and_viewers_read(live: RunningServer) -> None:
    assert (await upload(live, jpeg(), token="ingest"))[0] == 403
    assert (await upload(live, jpeg(), token="display"))[0] == 403
    async with live.session.post(live.base + "/api/v1/media", data=jpeg()) as r:
        assert r.status == 401
    status, body = await upload(live, jpeg())
    assert status == 201
    assert (await fetch(live, f"/api/v1/media/{body['hash']}", token="display"))[0] == 200
    assert (await fetch(live, f"/api/v1/media/{body['hash']}", token="operator"))[0] == 200
    assert (await fetch(live, f"/api/v1/media/{body['hash']}", token="ingest"))[0] == 403
    async with live.session.get(live.base + f"/api/v1/media/{body['hash']}") as r:
        assert r.status == 401


async def test_downloads_are_resumable_and_cacheable_by_hash(live: RunningServer) -> None:
    image = Image.effect_noise((300, 300), 60).convert("RGB")  # noise: a file of some size
    status, body = await upload(live, png(image), name="noise.png", content_type="image/png")
    assert status == 201
    path = f"/api/v1/media/{body['hash']}"
    status, whole, headers = await fetch(live, path)
    assert status == 200 and headers["ETag"] == f'"{body["hash"]}"' and headers["Accept-Ranges"] == "bytes"
    assert "immutable" in headers["Cache-Control"]
    half = len(whole) // 2
    status, rest, headers = await fetch(live, path, Range=f"bytes={half}-")
    assert status == 206 and headers["Content-Range"] == f"bytes {half}-{len(whole) - 1}/{len(whole)}"
    assert whole[:half] + rest == whole
    status, tail, _ = await fetch(live, path, Range="bytes=-10")
    assert status == 206 and tail == whole[-10:]
    status, _, headers = await fetch(live, path, Range=f"bytes={len(whole) + 5}-")
    assert status == 416 and headers["Content-Range"] == f"bytes */{len(whole)}"
    status, _, _ = await fetch(live, path, **{"If-None-Match": f'"{body["hash"]}"'})
    assert status == 304
    assert (await fetch(live, "/api/v1/media/" + "0" * 64))[0] == 404


async def test_face_aware_focus_follows_the_face(live: RunningServer) -> None:
    portrait = Image.open(DEMO_DIR / "itzel-ramirez" / "portrait.png").convert("RGB")
    # The same face placed on the right of a wide, dark picture: the focus must move right with it.
    wide = Image.new("RGB", (portrait.width * 3, portrait.height), (10, 10, 10))
    wide.paste(portrait, (portrait.width * 2, 0))
    status, centred = await upload(live, png(portrait), "itzel.png", "image/png")
    assert status == 201 and centred["faces"] >= 1, centred
    assert 0.4 < centred["focus"][0] < 0.6 and 0.25 < centred["focus"][1] < 0.5
    status, moved = await upload(live, png(wide), "wide.png", "image/png")
    assert status == 201 and moved["faces"] >= 1, moved
    assert 0.75 < moved["focus"][0] < 0.9
    status, blank = await upload(
        live, png(Image.new("RGB", (300, 400), (90, 90, 90))), "grey.png", "image/png"
    )
    assert blank["faces"] == 0 and blank["focus"] == [0.5, 0.4]


async def test_variants_are_served_and_made_on_demand(live: RunningServer) -> None:
    status, body = await upload(
        live, png(Image.radial_gradient("L").convert("RGB").resize((900, 1200))), "g.png"
    )
    status, data, headers = await fetch(
        live, f"/api/v1/media/{body['hash']}/variants/thumb", token="operator"
    )
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(data)).size) == 480
    status, data, _ = await fetch(live, f"/api/v1/media/{body['hash']}/variants/portrait-1080?focus=0.5,0.3")
    assert status == 200 and Image.open(io.BytesIO(data)).size == (806, 1080)
    assert (await fetch(live, f"/api/v1/media/{body['hash']}/variants/nope"))[0] == 404
    assert (await fetch(live, f"/api/v1/media/{body['hash']}/variants/thumb?focus=2,2"))[0] == 422


async def test_a_damaged_stored_picture_names_its_hash_not_the_server_path(live: RunningServer) -> None:
    status, body = await upload(live, jpeg())
    assert status == 201, body
    _library(live).path_of(body["hash"]).write_bytes(b"\xff\xd8\xff damaged on the server's disk")
    status, data, _ = await fetch(live, f"/api/v1/media/{body['hash']}/variants/thumb?focus=0.3,0.3")
    assert status == 422, data
    message = json.loads(data)["error"]["message"]
    assert message.startswith(f"media {body['hash']}: ")
    assert str(live.app[SERVICES].config.data_dir) not in message and "/media/" not in message
