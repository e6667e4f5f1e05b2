"""The brand kit and the layouts over HTTP: stored, sent to the displays with the campaign, kept
across a restart, previewed by the real scene, and every bad value refused with the field named."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from media.dossier import DEMO_DIR
from projector.core.shipped_layouts import SHIPPED
from tests.conftest import RunningServer, restart
from tests.server.routes.test_fleet import connect, next_of

HOUSE = {"background": "#000000", "text": "#ffffff", "accent": "#ffdd00", "font": "anton", "logo": None}
LAYOUT = """
title = "Tonight"
[[regions]]
kind = "text"
text = "{total} for {by_country.TR}"
x = 0.1
y = 0.1
w = 0.8
h = 0.3
"""


async def upload(live: RunningServer) -> str:
    headers = {"Authorization": f"Bearer {live.tokens['operator']}", "Content-Type": "image/png"}
    data = (DEMO_DIR / "ramon-dizon" / "portrait.png").read_bytes()
    async with live.session.post(live.base + "/api/v1/media", data=data, headers=headers) as r:
        assert r.status in (200, 201), await r.text()
        return str((await r.json())["hash"])


async def preview(live: RunningServer, body: Any, token: str | None = "operator") -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {live.tokens[token]}"} if token else {}
    async with live.session.post(live.base + "/api/v1/layouts/preview", json=body, headers=headers) as r:
        return r.status, await r.read()


# --- the brand kit -------------------------------------------------------------------------------------


async def test_the_default_kit_is_the_house_look(live: RunningServer) -> None:
    status, body = await live.get("/api/v1/brand")
    assert status == 200
    assert {k: body[k] for k in HOUSE} == HOUSE
    assert body["warnings"] == [] and body["fonts"] == ["anton", "noto-sans"]


async def test_a_kit_is_stored_and_reaches_the_displays(live: RunningServer) -> None:
    ws, snap = await connect(live, "galata")
    assert snap["campaign"]["brand"] == HOUSE
    logo = await upload(live)
    kit = {"background": "#0A2240", "text": "#fafafa", "accent": "#ff8800", "font": "noto-sans", "logo": logo}
    status, body = await live.put_json("/api/v1/brand", kit)
    assert status == 200, body
    assert body["background"] == "#0a2240" and body["logo"] == logo and body["warnings"] == []
    event = await next_of(ws, "campaign")
    assert event["campaign"]["brand"] == {**kit, "background": "#0a2240"}
    # A later campaign edit keeps the kit; a kit edit that leaves fields out keeps them.
    status, _ = await live.put_json("/api/v1/campaign", {"goal": 7})
    assert status == 200
    status, body = await live.put_json("/api/v1/brand", {"accent": "#00ff99"})
    assert status == 200 and body["font"] == "noto-sans" and body["accent"] == "#00ff99"
    await ws.close()
    again = await restart(live)
    try:
        status, body = await again.get("/api/v1/brand")
        assert (body["background"], body["accent"], body["logo"]) == ("#0a2240", "#00ff99", logo)
    finally:
        await again.session.close()
        await again.runner.cleanup()


async def test_a_low_contrast_kit_is_saved_with_a_warning(live: RunningServer) -> None:
    status, body = await live.put_json(
        "/api/v1/brand", {"background": "#777777", "text": "#888888", "accent": "#ffffff"}
    )
    assert status == 200
    assert body["warnings"] == ["background/text"]  # grey on grey (white on this grey passes, 4.5:1)


async def test_bad_kits_are_refused_naming_the_field_and_nothing_changes(live: RunningServer) -> None:
    for bad, field in [
        ({"background": "red"}, "background"),
        ({"text": "#fff"}, "text"),
        ({"accent": 16776960}, "accent"),
        ({"font": "comic-sans"}, "font"),
        ({"logo": "../etc/passwd"}, "logo"),
        ({"logo": "b" * 64}, "logo"),  # a hash the server has no picture for
        ({"colour": "#000000"}, "colour"),
    ]:
        status, reply = await live.put_json("/api/v1/brand", bad)
        assert status == 422, (bad, reply)
        assert reply["error"]["field"] == field, (bad, reply)
    status, _ = await live.put_json("/api/v1/brand", {"background": "#111111"}, token=None)
    assert status == 401
    status, _ = await live.put_json("/api/v1/brand", {"background": "#111111"}, token="ingest")
    assert status == 403
    _, body = await live.get("/api/v1/brand")
    assert {k: body[k] for k in HOUSE} == HOUSE


# --- layouts -------------------------------------------------------------------------------------------


async def test_the_shipped_layouts_are_listed(live: RunningServer) -> None:
    status, body = await live.get("/api/v1/layouts")
    assert status == 200
    assert [(x["name"], x["shipped"]) for x in body["layouts"]] == [(name, True) for name in SHIPPED]
    status, body = await live.get("/api/v1/layouts/countdown")
    assert status == 200 and body["title"] == "Countdown" and body["source"] == SHIPPED["countdown"]
    status, _ = await live.get("/api/v1/layouts/nothing")
    assert status == 404


async def test_a_layout_is_saved_sent_to_the_displays_and_deleted(live: RunningServer) -> None:
    ws, _ = await connect(live, "galata")
    status, body = await live.put_json("/api/v1/layouts/tonight", {"source": LAYOUT})
    assert status == 200, body
    assert body["title"] == "Tonight" and body["shipped"] is False
    event = await next_of(ws, "campaign")
    assert event["campaign"]["layouts"] == {"tonight": LAYOUT}
    _, listing = await live.get("/api/v1/layouts")
    assert listing["layouts"][0]["name"] == "tonight"
    # Saving under a shipped name replaces the shipped layout for this campaign.
    status, _ = await live.put_json("/api/v1/layouts/countdown", {"source": LAYOUT})
    assert status == 200
    _, got = await live.get("/api/v1/layouts/countdown")
    assert got["source"] == LAYOUT and got["shipped"] is False
    headers = {"Authorization": f"Bearer {live.tokens['operator']}"}
    async with live.session.delete(live.base + "/api/v1/layouts/countdown", headers=headers) as r:
        assert r.status == 204
    _, got = await live.get("/api/v1/layouts/countdown")
    assert got["source"] == SHIPPED["countdown"]
    async with live.session.delete(live.base + "/api/v1/layouts/countdown", headers=headers) as r:
        assert r.status == 404
    async with live.session.delete(live.base + "/api/v1/layouts/tonight") as r:
        assert r.status == 401
    await ws.close()


async def test_bad_layouts_are_refused_naming_the_field(live: RunningServer) -> None:
    region = 'kind = "text"\ntext = "x"\nx = 0\ny = 0\nw = 1\nh = 0.5\n'
    for source, field, words in [
        ("[[regions]]\n" + region.replace("x = 0\n", "x = 1.5\n"), "regions[0].x", "between 0 and 1"),
        ("[[regions]]\n" + region + "size = 3\n", "regions[0].size", "unknown field"),
        ("colour = 1\n", "colour", "unknown field"),
        ("[[regions]]\n" + region.replace('"x"', '"{totl}"'), "regions[0].text", "unknown value {totl}"),
        ("[[regions]]\n" + region.replace("x = 0\n", "x = 0.5\n"), "regions[0].w", "right edge"),
        ("[[regions]]\n" + region.replace('"text"', '"video"', 1), "regions[0].kind", "must be one of"),
        ("[[regions]\n", "source", "not valid TOML"),
        ('{"regions": [{"kind": "qr", "x": 0, "y": 0, "w": 1, "h": 1}]}', "regions[0].url", "must"),
    ]:
        status, reply = await live.put_json("/api/v1/layouts/bad", {"source": source})
        assert status == 422, (source, reply)
        assert reply["error"]["field"] == field, (source, reply)
        assert words in reply["error"]["message"], (source, reply)
    status, reply = await live.put_json("/api/v1/layouts/Bad Name", {"source": LAYOUT})
    assert status == 422 and reply["error"]["field"] == "layout"
    status, reply = await live.put_json("/api/v1/layouts/ok", {"source": LAYOUT, "extra": 1})
    assert status == 422 and reply["error"]["field"] == "extra"


async def test_a_layout_over_a_displays_window_is_refused(live: RunningServer) -> None:
    ws, _ = await connect(live, "galata")
    window = {"avoid": [{"x": 0.4, "y": 0.0, "w": 0.2, "h": 0.2}]}
    status, body = await live.put_json("/api/v1/displays/galata", {"safe_area": window})
    assert status == 200, body
    status, reply = await live.put_json("/api/v1/layouts/tonight", {"source": LAYOUT})
    assert status == 422
    assert reply["error"]["field"] == "regions[0]"
    assert "keep-out" in reply["error"]["message"] and "galata" in reply["error"]["message"]
    await ws.close()


async def test_a_preview_is_drawn_by_the_real_scene(live: RunningServer) -> None:
    for shape, size in [("landscape", (960, 540)), ("tower", (540, 960)), ("banner", (960, 270))]:
        status, png = await preview(live, {"source": LAYOUT, "shape": shape})
        assert status == 200, png
        image = Image.open(io.BytesIO(png))
        assert image.size == size
        # The words are drawn in the house white on black: some white, mostly black.
        colours = image.convert("RGB").getcolors(1 << 20) or []
        white = sum(n for n, c in colours if isinstance(c, tuple) and min(c) > 230)
        assert 0 < white < image.width * image.height // 4, shape
    status, png = await preview(live, {"source": LAYOUT + "oops = 1\n"})
    assert status == 422
    status, _ = await preview(live, {"source": LAYOUT, "shape": "circle"})
    assert status == 422
    status, _ = await preview(live, {"source": LAYOUT}, token=None)
    assert status == 401
