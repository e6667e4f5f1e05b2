"""Uploaded fonts over HTTP: only an operator uploads, each file is checked (the reason of a refusal
reaches the panel), a good one is stored by hash and listed, and the brand kit may then name it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from projector.server.services import SERVICES
from tests.conftest import RunningServer
from tests.media.font_files import anton, noto_italic, relicensed, renamed
from tests.server.nodes import Node, create_token, http
from tests.server.routes.test_brand import LAYOUT, preview
from tests.server.routes.test_brand import upload as upload_picture
from tests.server.routes.test_fleet import connect, next_of
from tests.server.test_shared_show import _raw
from tests.store.pg_cluster import postgres_cluster, postgres_url  # noqa: F401  (fixtures)


async def post_font(
    live: RunningServer, data: bytes, token: str | None = "operator", name: str = "Font.ttf"
) -> tuple[int, Any]:
    headers = {"Content-Type": "font/ttf"}
    if token:
        headers["Authorization"] = f"Bearer {live.tokens[token]}"
    async with live.session.post(f"{live.base}/api/v1/fonts?name={name}", data=data, headers=headers) as r:
        return r.status, await r.json()


async def test_an_ofl_font_is_stored_by_hash_and_listed(live: RunningServer) -> None:
    status, body = await post_font(live, anton(), name="Anton-Regular.ttf")
    assert status == 201, body
    assert (body["family"], body["style"], body["mime"], body["new"]) == (
        "Anton",
        "Regular",
        "font/ttf",
        True,
    )
    assert body["font"] == "upload:" + body["hash"]
    assert "SIL Open Font License" in body["licence"] and body["name"] == "Anton-Regular.ttf"
    library = live.app[SERVICES].media.library
    assert library.path_of(body["hash"]).read_bytes() == anton()
    status, again = await post_font(live, anton())
    assert status == 200 and again["new"] is False and again["hash"] == body["hash"]
    status, second = await post_font(live, renamed(noto_italic(), "Campaign Italic"))
    assert status == 201
    status, listing = await live.get("/api/v1/fonts", token="operator")
    assert status == 200
    assert [(f["family"], f["style"]) for f in listing["fonts"]] == [
        ("Campaign Italic", "Italic"),
        ("Anton", "Regular"),
    ]
    assert listing["fonts"][1]["hash"] == body["hash"]
    # Displays fetch it like a picture; it is no picture for the panel's media list.
    status, _ = await live.get(f"/api/v1/media/{second['hash']}/info", token="operator")
    assert status == 200
    _, media = await live.get("/api/v1/media", token="operator")
    assert [m for m in media["media"] if m["hash"] in (body["hash"], second["hash"])] == []


async def test_bad_fonts_are_refused_with_the_reason(live: RunningServer) -> None:
    status, body = await post_font(live, relicensed(anton(), "Licensed under the Apache License 2.0"))
    assert status == 422
    assert body["error"]["field"] == "file"
    assert body["error"]["message"] == (
        "the font's licence is not the SIL Open Font License "
        "(name ID 13 says: Licensed under the Apache License 2.0)"
    )
    status, body = await post_font(live, b"<html>not a font</html>")
    assert status == 415 and body["error"]["message"].startswith("not a font")
    status, body = await post_font(live, b"")
    assert status == 422 and body["error"]["message"] == "empty file (0 bytes)"
    status, body = await post_font(live, bytes(9 * 1024 * 1024))
    assert status == 413 and body["error"]["code"] == "too_large"
    _, listing = await live.get("/api/v1/fonts", token="operator")
    assert listing["fonts"] == []


async def test_only_an_operator_uploads_and_only_the_panel_lists(live: RunningServer) -> None:
    status, _ = await post_font(live, anton(), token=None)
    assert status == 401
    for token in ("display", "ingest"):
        status, _ = await post_font(live, anton(), token=token)
        assert status == 403, token
    status, _ = await live.get("/api/v1/fonts")
    assert status == 401
    status, _ = await live.get("/api/v1/fonts", token="ingest")
    assert status == 403
    _, listing = await live.get("/api/v1/fonts", token="operator")
    assert listing["fonts"] == []


async def test_the_brand_kit_takes_an_uploaded_font_and_displays_hear_of_it(live: RunningServer) -> None:
    ws, _ = await connect(live, "galata")
    _, font = await post_font(live, anton())
    status, body = await live.put_json("/api/v1/brand", {"font": font["font"]})
    assert status == 200, body
    assert body["font"] == "upload:" + font["hash"]
    event = await next_of(ws, "campaign")
    assert event["campaign"]["brand"]["font"] == "upload:" + font["hash"]
    await ws.close()


async def test_a_layout_preview_draws_headlines_in_the_kits_uploaded_font(live: RunningServer) -> None:
    layout = {"source": LAYOUT}
    status, house = await preview(live, layout)
    assert status == 200
    _, font = await post_font(live, renamed(noto_italic(), "Campaign Italic"))
    status, _ = await live.put_json("/api/v1/brand", {"font": font["font"]})
    assert status == 200
    status, own = await preview(live, layout)
    assert status == 200 and own != house
    status, _ = await live.put_json("/api/v1/brand", {"font": "anton"})
    assert (await preview(live, layout))[1] == house


async def test_a_kit_naming_a_font_the_server_lacks_is_refused(live: RunningServer) -> None:
    picture = await upload_picture(live)
    for bad, message in [
        ("upload:" + "c" * 64, "no uploaded font cccccccccccc… on the server"),
        ("upload:" + picture, "no uploaded font"),  # a picture is no font
        ("upload:../../etc/passwd", "must be one of anton, noto-sans, or upload:<hash>"),
        ("Anton", "must be one of"),
    ]:
        status, reply = await live.put_json("/api/v1/brand", {"font": bad})
        assert status == 422, (bad, reply)
        assert reply["error"]["field"] == "font" and message in reply["error"]["message"], reply
    _, body = await live.get("/api/v1/brand")
    assert body["font"] == "anton"


async def test_a_font_is_no_picture_for_a_logo_a_portrait_or_a_slide(live: RunningServer) -> None:
    _, font = await post_font(live, anton())
    status, reply = await live.put_json("/api/v1/brand", {"logo": font["hash"]})
    assert status == 422 and reply["error"]["field"] == "logo"
    status, reply = await live.put_json(
        "/api/v1/cases/ayse", {"name": "Ayşe", "country": "TR", "portrait": font["hash"]}
    )
    assert status == 422 and reply["error"]["field"] == "portrait", reply
    show = {"cues": [{"id": "s", "scene": "slides", "params": {"slide_1": font["hash"]}}]}
    status, reply = await live.put_json("/api/v1/show", show)
    assert status == 422 and reply["error"]["field"] == "cues[0].params.slide_1", reply
    # The next media batch (after a picture's upload) makes the picture's thumbnail and passes
    # the font by, rather than failing to decode it as a picture.
    await upload_picture(live)
    for _ in range(300):
        _, progress = await live.get("/api/v1/media/progress", token="operator")
        if not progress["running"] and progress["done"] >= 1:
            break
        await asyncio.sleep(0.05)
    assert (progress["done"], progress["failed"], progress["total"]) == (1, 0, 1), progress


def test_a_font_uploaded_on_one_node_is_listed_and_served_by_another(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811  (the fixture)
) -> None:
    operator = create_token(postgres_url, tmp_path, "operator")
    display = create_token(postgres_url, tmp_path, "display")
    a, b = Node(tmp_path / "node-a", postgres_url), Node(tmp_path / "node-b", postgres_url)
    try:
        a.start(), b.start()
        data = anton()
        status, reply = _raw("POST", a.base + "/api/v1/fonts?name=Anton.ttf", operator, data, "font/ttf")
        assert status == 201, reply
        status, listing = http("GET", b.base + "/api/v1/fonts", operator)
        assert status == 200 and [f["family"] for f in listing["fonts"]] == ["Anton"]
        font_hash = listing["fonts"][0]["hash"]
        # B copied it from the database to read its names; a display on B fetches it like a picture.
        assert _raw("GET", f"{b.base}/api/v1/media/{font_hash}", display) == (200, data)
        status, kit = http("PUT", b.base + "/api/v1/brand", operator, {"font": f"upload:{font_hash}"})
        assert status == 200, kit
    finally:
        for node in (a, b):
            node.stop()
