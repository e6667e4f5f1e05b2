"""A display's locale and the campaign's words per language over HTTP: stored, listed, sent to
the display in its ``you`` frame, and every bad value refused with the field named."""

from __future__ import annotations

from typing import Any

from tests.conftest import RunningServer, restart
from tests.server.routes.test_fleet import connect, listed, next_of


async def test_an_operator_sets_a_displays_locale_and_the_display_hears_it(live: RunningServer) -> None:
    ws, snap = await connect(live, "galata")
    assert "locale" not in snap["you"]
    status, body = await live.put_json("/api/v1/displays/galata", {"locale": "tr-tr"})
    assert status == 200, body
    assert body["locale"] == "tr-TR"  # normalised the BCP 47 way
    assert (await next_of(ws, "you"))["locale"] == "tr-TR"
    assert (await listed(live, "galata"))["locale"] == "tr-TR"
    status, body = await live.put_json("/api/v1/displays/galata", {"locale": None})
    assert status == 200 and body["locale"] is None
    assert "locale" not in await next_of(ws, "you")  # back to the display's own choice
    status, _ = await live.put_json("/api/v1/displays/galata", {"locale": "ar-MA"})
    assert status == 200
    await ws.close()
    # Kept in the store: a server started afresh on the same data says so in the snapshot.
    again = await restart(live)
    try:
        ws, snap = await connect(again, "galata")
        assert snap["you"]["locale"] == "ar-MA"
        await ws.close()
    finally:
        await again.session.close()
        await again.runner.cleanup()


async def test_an_unknown_locale_is_refused_naming_the_field_and_nothing_changes(live: RunningServer) -> None:
    ws, _ = await connect(live, "galata")
    status, _ = await live.put_json("/api/v1/displays/galata", {"locale": "fr"})
    assert status == 200
    for bad in ("xx-YY", "zz", 7, ["fr"], "f" * 60, "tr TR"):
        status, reply = await live.put_json("/api/v1/displays/galata", {"locale": bad, "latency_ms": 99})
        assert status == 422, (bad, reply)
        assert reply["error"]["field"] == "locale", reply
    entry = await listed(live, "galata")
    assert entry["locale"] == "fr" and entry["latency_ms"] == 0.0
    await ws.close()


async def test_the_campaigns_words_per_language_are_stored_and_reach_the_displays(
    live: RunningServer,
) -> None:
    ws, snap = await connect(live, "galata")
    assert snap["campaign"]["lang"] == "en" and snap["campaign"]["translations"] == {}
    words: dict[str, Any] = {
        "lang": "en",
        "tagline": "Actions for human rights",
        "call_to_action": "Send a message",
        "translations": {"tr": {"name": "Haklar İçin Yaz", "tagline": "İnsan hakları için eylemler"}},
    }
    status, body = await live.put_json("/api/v1/campaign", words)
    assert status == 200, body
    assert body["translations"]["tr"] == {
        "name": "Haklar İçin Yaz",
        "tagline": "İnsan hakları için eylemler",
        "call_to_action": "",
    }
    event = await next_of(ws, "campaign")
    assert event["campaign"]["translations"]["tr"]["tagline"] == "İnsan hakları için eylemler"
    # A later edit that leaves translations out keeps them.
    status, body = await live.put_json("/api/v1/campaign", {"goal": 5})
    assert status == 200 and body["translations"]["tr"]["name"] == "Haklar İçin Yaz"
    await ws.close()
    again = await restart(live)
    try:
        status, body = await again.get("/api/v1/campaign")
        assert status == 200 and body["tagline"] == "Actions for human rights"
        assert body["translations"]["tr"]["tagline"] == "İnsan hakları için eylemler"
    finally:
        await again.session.close()
        await again.runner.cleanup()


async def test_bad_campaign_words_are_refused_naming_the_field(live: RunningServer) -> None:
    for bad, field in [
        ({"lang": "not a tag"}, "lang"),
        ({"tagline": 5}, "tagline"),
        ({"call_to_action": "x" * 201}, "call_to_action"),
        ({"translations": {"tr": {"tagline": 3}}}, "translations.tr.tagline"),
        ({"translations": {"tr": {"motto": "x"}}}, "translations.tr.motto"),
        ({"translations": ["tr"]}, "translations"),
        ({"slogan": "x"}, "slogan"),
    ]:
        status, reply = await live.put_json("/api/v1/campaign", bad)
        assert status == 422, (bad, reply)
        assert reply["error"]["field"] == field, (bad, reply)
    status, body = await live.get("/api/v1/campaign")
    assert body["tagline"] == "" and body["translations"] == {}
