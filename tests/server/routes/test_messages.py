"""Messages in: the public endpoint with the moderation rules, and the Twilio SMS webhook."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from projector.server.config import Config
from projector.server.routes import messages as messages_routes
from projector.server.routes.messages import SENDER_COOKIE
from projector.server.senders import SENDER_KEY_SETTING, SenderSigner
from projector.server.services import SERVICES
from projector.server.web.twilio import compute_signature
from tests.conftest import RunningServer, start_server

TOKEN = "twilio-auth-token-for-tests"


async def submit(live: RunningServer, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return await live.post("/api/v1/messages", body, token=None)


async def messages(live: RunningServer, status: str) -> list[dict[str, Any]]:
    _, body = await live.get(f"/api/v1/messages?status={status}", token="operator")
    listed: list[dict[str, Any]] = body["messages"]
    return listed


async def test_a_clean_message_waits_for_an_operator_and_links_are_removed(live: RunningServer) -> None:
    status, body = await submit(
        live, {"text": "Stay strong! Read more at https://evil.example/x", "name": "Sam"}
    )
    assert status == 202 and body["status"] == "pending" and any("link" in n for n in body["notes"])
    (pending,) = await messages(live, "pending")
    assert "https://" not in pending["text"] and pending["text"].startswith("Stay strong!")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "x" * 100_000,
        "you idiot",
        "you 1d10t",
    ],
)
async def test_refused_messages_get_a_reason_and_are_kept_as_rejected(live: RunningServer, text: str) -> None:
    status, body = await submit(live, {"text": text})
    assert status == 422 and body["error"]["field"] == "text" and body["error"]["message"]
    assert await messages(live, "pending") == []


@pytest.mark.parametrize(
    "text",
    ["\u200d\u200d\u200d\u200d\u200d", "\u200b\ufeff\u200e\u200f", "\u3164\u2800 \u200d", "\ufeff"],
)
async def test_a_message_of_only_invisible_characters_is_refused_as_empty(
    live: RunningServer, text: str
) -> None:
    status, body = await submit(live, {"text": text, "name": "Sam"})
    assert status == 422, body
    assert body["error"]["field"] == "text" and "empty" in body["error"]["message"]
    assert await messages(live, "pending") == [] and await messages(live, "approved") == []


async def test_markup_rtl_tricks_and_zalgo_are_held_as_plain_clean_text(live: RunningServer) -> None:
    live.app[SERVICES].intake.rules = replace(live.app[SERVICES].intake.rules, flood_max=10)
    for text in (
        "<script>alert(1)</script> free them",
        "\u202egnorts yats",
        "Z" + "\u0301" * 300 + "algo",
        "'; DROP TABLE actions; --",
    ):
        status, body = await submit(live, {"text": text})
        assert status == 202, (text, body)
    held = [m["text"] for m in await messages(live, "pending")]
    assert "<script>alert(1)</script> free them" in held  # text, escaped by whoever draws it
    assert all("\u202e" not in t for t in held)
    assert all(t.count("\u0301") <= 2 for t in held)
    assert (await live.get("/api/v1/totals"))[1]["total"] == 0  # the SQL-looking one did nothing


async def test_a_flood_from_one_address_is_refused(
    live: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    live.app[SERVICES].public_limiter.burst = 1000.0
    results = [await submit(live, {"text": f"message number {i} for Ayşe"}) for i in range(5)]
    assert [s for s, _ in results[:3]] == [202, 202, 202]
    assert results[3][0] == 422 and "flood" in results[3][1]["error"]["message"]


async def sms(
    live: RunningServer, params: dict[str, str], token: str = TOKEN, tamper: bool = False
) -> tuple[int, str]:
    url = live.base + "/api/v1/sms/twilio"
    signature = compute_signature(token, url, params)
    if tamper:
        params = {**params, "Body": params["Body"] + "!"}
    async with live.session.post(url, data=params, headers={"X-Twilio-Signature": signature}) as r:
        return r.status, await r.text()


@pytest.fixture
async def with_twilio(config: Config) -> AsyncIterator[RunningServer]:
    running = await start_server(replace(config, twilio_auth_token=TOKEN))
    try:
        yield running
    finally:
        await running.session.close()
        await running.runner.cleanup()


async def test_a_signed_sms_counts_once_and_waits_for_moderation(with_twilio: RunningServer) -> None:
    live = with_twilio
    params = {
        "MessageSid": "SM123",
        "From": "+905321234567",
        "To": "+441234567890",
        "Body": "Ayşe, yalnız değilsin",
    }
    status, text = await sms(live, params)
    assert status == 200 and "<Response" in text
    assert (await sms(live, params))[0] == 200  # Twilio retries: still once
    totals = (await live.get("/api/v1/totals"))[1]
    assert totals["by_channel"] == {"sms": 1} and totals["by_country"] == {"TR": 1}
    (pending,) = await messages(live, "pending")
    assert pending["text"] == "Ayşe, yalnız değilsin" and pending["country"] == "TR"
    assert "+905321234567" not in str(pending)  # the number is not kept


@pytest.mark.parametrize("how", ["tampered", "wrong token", "no signature"])
async def test_bad_sms_signatures_are_refused(with_twilio: RunningServer, how: str) -> None:
    live = with_twilio
    params = {"MessageSid": "SM9", "From": "+14155552671", "Body": "hello"}
    if how == "no signature":
        async with live.session.post(live.base + "/api/v1/sms/twilio", data=params) as r:
            status = r.status
    else:
        status, _ = await sms(
            live, params, token="other" if how == "wrong token" else TOKEN, tamper=how == "tampered"
        )
    assert status == 403
    assert (await live.get("/api/v1/totals"))[1]["total"] == 0


async def test_a_flood_from_one_number_is_counted_but_not_shown(with_twilio: RunningServer) -> None:
    live = with_twilio
    for i in range(6):
        params = {"MessageSid": f"SM{i}", "From": "+14155552671", "Body": f"free them all {i}"}
        assert (await sms(live, params))[0] == 200
    assert (await live.get("/api/v1/totals"))[1]["by_channel"] == {"sms": 6}
    assert len(await messages(live, "pending")) == 3
    assert len(await messages(live, "rejected")) == 3


async def test_an_sms_of_only_zero_width_joiners_is_counted_but_rejected_as_empty(
    with_twilio: RunningServer,
) -> None:
    params = {"MessageSid": "SM-blank", "From": "+33612345678", "Body": "\u200d\u200d\u200d\u200b"}
    assert (await sms(with_twilio, params))[0] == 200
    assert await messages(with_twilio, "pending") == []
    (rejected,) = await messages(with_twilio, "rejected")
    assert rejected["text"] == "" and "empty message" in rejected["notes"]


async def test_the_sms_webhook_is_closed_until_configured(live: RunningServer) -> None:
    status, _ = await sms(live, {"MessageSid": "SM1", "From": "+14155552671", "Body": "hi"})
    assert status == 503
    await asyncio.sleep(0)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b'{"text": "caf\xe9"}', "application/json", 400, "invalid_utf8"),
        (bytes(range(256)) * 4, "application/octet-stream", 415, "unsupported_media_type"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "application/json", 400, "invalid_utf8"),
        (b'{"text": "free them", "text2": 1}', "application/json", 422, "invalid"),
        (b"[1, 2, 3]", "application/json", 422, "invalid"),
    ],
)
async def test_binary_and_invalid_bodies_get_a_clear_error(
    live: RunningServer, body: bytes, content_type: str, status: int, code: str
) -> None:
    async with live.session.post(
        live.base + "/api/v1/messages", data=body, headers={"Content-Type": content_type}
    ) as r:
        answer = await r.json()
    assert r.status == status, answer
    assert answer["error"]["code"] == code or status == 422
    assert answer["error"]["message"]
    assert await messages(live, "pending") == []


async def test_lone_surrogates_in_json_are_dropped_not_stored(live: RunningServer) -> None:
    raw = b'{"text": "Stay strong \\ud800 Ay\\u015fe \\udfff!"}'
    async with live.session.post(
        live.base + "/api/v1/messages", data=raw, headers={"Content-Type": "application/json"}
    ) as r:
        assert r.status == 202, await r.text()
    (pending,) = await messages(live, "pending")
    assert pending["text"] == "Stay strong Ayşe !"
    pending["text"].encode("utf-8")  # storable and sendable as it is


async def test_a_huge_signed_sms_is_refused_before_any_work(with_twilio: RunningServer) -> None:
    live = with_twilio
    params = {"MessageSid": "SMhuge", "From": "+905321234567", "To": "+441234567890", "Body": "x" * 7_800_000}
    started = time.monotonic()
    status, body = await sms(live, params)
    assert status == 413 and "at most" in body
    assert time.monotonic() - started < 3.0
    assert (await live.get("/api/v1/totals"))[1]["total"] == 0  # not counted, not kept
    # A normal one right after is fine.
    status, _ = await sms(live, {**params, "MessageSid": "SMok", "Body": "Ayşe"})
    assert status == 200


# --- senders you cannot mint ------------------------------------------------------------------


async def post_as(
    live: RunningServer, text: str, cookie: str | None = None
) -> tuple[int, dict[str, Any], str | None]:
    """A public-form post carrying ``cookie`` (the test client keeps none for 127.0.0.1 by itself);
    returns the status, the body and the sender cookie the server set, if any."""
    headers = {"Cookie": f"{SENDER_COOKIE}={cookie}"} if cookie is not None else {}
    async with live.session.post(live.base + "/api/v1/messages", json={"text": text}, headers=headers) as r:
        issued = r.cookies.get(SENDER_COOKIE)
        return r.status, await r.json(), None if issued is None else issued.value


async def minted(live: RunningServer, issued: float | None = None) -> str:
    """A validly signed cookie, as a script that collected many would hold (issued now by default)."""
    key = await live.app[SERVICES].senders.key()
    return SenderSigner.sign(key, secrets.token_urlsafe(18), time.time() if issued is None else issued)


async def sender_of(live: RunningServer, message_id: str) -> str:
    for status in ("pending", "approved", "rejected"):
        for m in await messages(live, status):
            if m["id"] == message_id:
                sender: str = m["sender"]
                return sender
    raise AssertionError(f"no message {message_id}")


async def test_the_server_signs_sender_ids_and_an_unsigned_or_forged_cookie_is_the_address(
    live: RunningServer,
) -> None:
    live.app[SERVICES].intake.rules = replace(live.app[SERVICES].intake.rules, flood_max=100)
    status, body, cookie = await post_as(live, "first words")
    assert status == 202 and cookie is not None
    sender_id, issued, signature = cookie.split(".")
    assert len(sender_id) == 24 and len(signature) == 43 and abs(int(issued) - time.time()) < 60
    assert await sender_of(live, body["id"]) == "web:ip:127.0.0.1"
    status, body, again = await post_as(live, "second words", cookie)
    assert status == 202 and again is None  # kept: nothing new to issue
    assert await sender_of(live, body["id"]) == f"web:{sender_id}"
    forged = [
        secrets.token_urlsafe(24),  # the old unsigned form
        f"{secrets.token_urlsafe(18)}.{issued}.{signature}",  # someone else's signature on a new id
        f"{sender_id}.{int(issued) - 86400}.{signature}",  # back-dated, to slip under an address block
        f"{sender_id}.{issued}.{'A' * 43}",  # a real id, a made-up signature
        cookie + "x",
    ]
    for i, bad in enumerate(forged):
        status, body, fresh = await post_as(live, f"forged number {i}", bad)
        assert status == 202, body
        assert await sender_of(live, body["id"]) == "web:ip:127.0.0.1", bad
        assert (
            fresh is not None
            and fresh != bad
            and SenderSigner.verify(await live.app[SERVICES].senders.key(), fresh)
        )


async def test_a_fresh_random_cookie_per_post_does_not_get_past_the_flood_rule(live: RunningServer) -> None:
    live.app[SERVICES].public_limiter.burst = 1000.0
    results = [await post_as(live, f"message number {i}", secrets.token_urlsafe(24)) for i in range(5)]
    assert [s for s, _, _ in results[:3]] == [202, 202, 202]
    assert results[3][0] == 422 and "flood" in results[3][1]["error"]["message"]


async def test_collected_signed_cookies_still_meet_the_per_address_flood_rule(live: RunningServer) -> None:
    live.app[SERVICES].public_limiter.burst = 1000.0
    live.app[SERVICES].intake.rules = replace(live.app[SERVICES].intake.rules, address_flood_max=6)
    results = [await post_as(live, f"message number {i}", await minted(live)) for i in range(8)]
    assert [s for s, _, _ in results[:6]] == [202] * 6  # six people on one wifi: fine
    status, body, _ = results[6]
    assert status == 422 and body["error"]["field"] == "text"
    assert "flood" in body["error"]["message"] and "address" in body["error"]["message"]


async def test_a_blocked_sender_with_a_new_cookie_from_the_same_address_is_refused_for_a_while(
    live: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    live.app[SERVICES].public_limiter.burst = 1000.0
    troll = await minted(live)
    neighbour = await minted(live, issued=time.time() - 3600)  # had a cookie before the block
    status, body, _ = await post_as(live, "something nasty", troll)
    assert status == 202
    status, blocked = await live.post(f"/api/v1/messages/{body['id']}/block-sender", None, token="operator")
    assert status == 200, blocked
    _, listed = await live.get("/api/v1/moderation/blocked", token="operator")
    senders = {b["sender"]: b["reason"] for b in listed["senders"]}
    assert f"web:{troll.split('.')[0]}" in senders and "6 hours" in senders["web:addr:127.0.0.1"]
    for cookie in (troll, await minted(live), secrets.token_urlsafe(24), None):
        status, refused, _ = await post_as(live, "back again", cookie)
        assert status == 403 and refused["error"]["code"] == "sender_blocked", cookie
    assert (await post_as(live, "the venue's others carry on", neighbour))[0] == 202
    # The address block lapses by itself (a venue shares it); the cookie's block does not.
    monkeypatch.setattr(messages_routes, "ADDRESS_BLOCK_S", 0.0)
    status, _, _ = await post_as(live, "someone else at the venue", await minted(live))
    assert status == 202
    assert (await post_as(live, "back again", troll))[0] == 403
    _, listed = await live.get("/api/v1/moderation/blocked", token="operator")
    assert [b["sender"] for b in listed["senders"]] == [f"web:{troll.split('.')[0]}"]


async def test_unblocking_a_sender_lifts_its_address_block_too(live: RunningServer) -> None:
    troll = await minted(live)
    _, body, _ = await post_as(live, "something nasty", troll)
    assert (await live.post(f"/api/v1/messages/{body['id']}/block-sender", None, token="operator"))[0] == 200
    assert (await post_as(live, "a neighbour", await minted(live)))[0] == 403
    sender = f"web:{troll.split('.')[0]}"
    async with live.session.delete(
        f"{live.base}/api/v1/moderation/blocked/{sender}",
        headers={"Authorization": f"Bearer {live.tokens['operator']}"},
    ) as r:
        assert r.status == 204
    assert (await post_as(live, "a neighbour", await minted(live)))[0] == 202
    assert (await live.get("/api/v1/moderation/blocked", token="operator"))[1]["senders"] == []


async def test_the_cookie_key_is_made_once_and_outlives_a_restart(config: Config) -> None:
    first = await start_server(config)
    try:
        status, _, cookie = await post_as(first, "before the restart")
        assert status == 202 and cookie is not None
        key = await first.app[SERVICES].store.call(lambda s: s.get_setting(SENDER_KEY_SETTING))
    finally:
        await first.session.close()
        await first.runner.cleanup()
    second = await start_server(config)
    try:
        status, body, issued = await post_as(second, "after the restart", cookie)
        assert status == 202 and issued is None
        assert await sender_of(second, body["id"]) == f"web:{cookie.split('.')[0]}"
        assert await second.app[SERVICES].store.call(lambda s: s.get_setting(SENDER_KEY_SETTING)) == key
    finally:
        await second.session.close()
        await second.runner.cleanup()
