"""The QR call to action: a code that scans, crisp at any size, and no crash on a bad URL."""

from __future__ import annotations

import logging

import pytest
import segno

from scenes.qr import QUIET_ZONE, QrScene, valid_url
from tests.display.screens import colour_pixels, make_assets, sample_state, surface

URL = "https://write.example.org/message?campaign=w4r"
HD, UHD = (1920, 1080), (3840, 2160)


def drawn(size: tuple[int, int], params: dict[str, object]):  # type: ignore[no-untyped-def]
    scene = QrScene()
    scene.enter(sample_state(), make_assets(size), params)
    scene.update(sample_state(), 1 / 60)
    out = surface(size)
    scene.draw(out)
    return scene, out


def dark(out, x: int, y: int) -> bool:  # type: ignore[no-untyped-def]
    r, g, b, *_ = out.get_at((x, y))
    assert (r, g, b) in ((0, 0, 0), (255, 255, 255)), (x, y, (r, g, b))  # crisp: no grey edges
    return bool(r < 128)


def test_the_drawn_code_reads_back_as_segnos_matrix() -> None:
    scene, out = drawn(HD, {"url": URL})
    expected = [[bool(v) for v in row] for row in segno.make_qr(URL, error="m").matrix]
    s, rect = scene.scale, scene.code_rect
    n = len(expected)
    got = [
        [
            dark(out, rect.x + (c + QUIET_ZONE) * s + s // 2, rect.y + (r + QUIET_ZONE) * s + s // 2)
            for c in range(n)
        ]
        for r in range(n)
    ]
    assert got == expected
    assert rect.width == rect.height == (n + 2 * QUIET_ZONE) * s


def test_the_quiet_zone_is_white() -> None:
    scene, out = drawn(HD, {"url": URL})
    rect, band = scene.code_rect, QUIET_ZONE * scene.scale
    for strip in (
        (rect.left, rect.top, rect.width, band),
        (rect.left, rect.bottom - band, rect.width, band),
        (rect.left, rect.top, band, rect.height),
        (rect.right - band, rect.top, band, rect.height),
    ):
        area = out.subsurface(strip)
        assert colour_pixels(area, (255, 255, 255), 1) == area.get_width() * area.get_height()


def test_the_code_scales_with_the_screen() -> None:
    hd, _ = drawn(HD, {"url": URL})
    uhd, _ = drawn(UHD, {"url": URL})
    for scene, (_, h) in ((hd, HD), (uhd, UHD)):
        assert scene.code_rect.height >= 0.4 * h
        assert scene.code_rect.bottom <= h and scene.code_rect.right <= scene.w
        assert not scene.code_rect.colliderect(scene.title.get_rect(topleft=scene.title_pos))
    assert uhd.scale >= 2 * hd.scale


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "ftp://example.org/x",
        "javascript:alert(1)",
        "https://",
        "https://a b.org",
        "https://example.org/" + "x" * 300,
        42,
        "https://exa\x00mple.org",
        "http://[::1",
    ],
)
def test_a_bad_url_shows_the_scene_without_a_code(url: object) -> None:
    scene, out = drawn(HD, {"url": url} if url is not None else {})
    assert scene.code is None and valid_url(url) is None
    assert colour_pixels(out, (255, 221, 0)) > 1000  # the title is still there


def test_a_bad_url_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="scenes.qr"):
        for _ in range(3):
            drawn((320, 180), {"url": "gopher://once.example"})
    assert sum("gopher://once.example" in r.getMessage() for r in caplog.records) == 1


def test_title_and_subtitle_params_and_a_small_screen() -> None:
    scene, _ = drawn((320, 180), {"url": URL, "title": "Écrivez", "subtitle": "x" * 301})
    assert scene.code is not None and scene.code_rect.height >= 0.4 * 180
    assert scene.subtitle is not None  # too long a subtitle falls back to the default


def test_valid_urls_pass() -> None:
    assert valid_url(URL) == URL
    assert valid_url("http://example.org") == "http://example.org"


def test_without_a_url_the_code_points_at_the_server_s_own_message_form() -> None:
    assets = make_assets(HD)
    assets.submit_url = "http://192.0.2.10:8080/submit"
    scene = QrScene()
    scene.enter(sample_state(), assets, {})
    assert scene.url == "http://192.0.2.10:8080/submit"
    assert scene.matrix == [[bool(v) for v in row] for row in segno.make_qr(scene.url, error="m").matrix]
    # An explicit url still wins, and with neither there is no code (and the scene still draws).
    scene.enter(sample_state(), assets, {"url": URL})
    assert scene.url == URL
    bare = QrScene()
    bare.enter(sample_state(), make_assets(HD), {})
    assert bare.code is None
    out = surface(HD)
    bare.draw(out)


def test_on_a_tower_the_code_sits_between_the_title_and_the_subtitle() -> None:
    scene, _ = drawn((1080, 1920), {"url": URL})
    title_bottom = scene.title_pos[1] + scene.title.get_height()
    assert title_bottom < scene.code_rect.top < scene.code_rect.bottom < scene.subtitle_pos[1]
    assert scene.code_rect.width >= 0.6 * 1080  # big enough to scan from a few metres
