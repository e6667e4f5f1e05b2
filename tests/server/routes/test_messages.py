"""Messages in: the public endpoint with the moderation rules, and the Twilio SMS webhook."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from projector.server.services import SERVICES
from projector.server.web.twilio import compute_signature
from tests.conftest import RunningServer, start_server

TOKEN = "twilio-auth-token-for-tests"


async def submit(live: RunningServer, body: dict) -> tuple[int, dict]:
    return await live.post("/api/v1/messages", body, token=None)


async def messages(live: RunningServer, status: str) -> list[dict]:
    return (await live.get(f"/api/v1/messages?status={status}", token="operator"))[1]["messages"]


async def test_a_clean_message_waits_for_an_operator_and_links_are_removed(live: RunningServer):
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
async def test_refused_messages_get_a_reason_and_are_kept_as_rejected(live: RunningServer, text):
    status, body = await submit(live, {"text": text})
    assert status == 422 and body["error"]["field"] == "text" and body["error"]["message"]
    assert await messages(live, "pending") == []


@pytest.mark.parametrize(
    "text",
    ["\u200d\u200d\u200d\u200d\u200d", "\u200b\ufeff\u200e\u200f", "\u3164\u2800 \u200d", "\ufeff"],
)
async def test_a_message_of_only_invisible_characters_is_refused_as_empty(live: RunningServer, text):
    status, body = await submit(live, {"text": text, "name": "Sam"})
    assert status == 422, body
    assert body["error"]["field"] == "text" and "empty" in body["error"]["message"]
    assert await messages(live, "pending") == [] and await messages(live, "approved") == []


async def test_markup_rtl_tricks_and_zalgo_are_held_as_plain_clean_text(live: RunningServer):
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


async def test_a_flood_from_one_address_is_refused(live: RunningServer, monkeypatch):
    live.app[SERVICES].public_limiter.burst = 1000.0
    results = [await submit(live, {"text": f"message number {i} for Ayşe"}) for i in range(5)]
    assert [s for s, _ in results[:3]] == [202, 202, 202]
    assert results[3][0] == 422 and "flood" in results[3][1]["error"]["message"]


async def sms(live: RunningServer, params: dict[str, str], token: str = TOKEN, tamper: bool = False):
    url = live.base + "/api/v1/sms/twilio"
    signature = compute_signature(token, url, params)
    if tamper:
        params = {**params, "Body": params["Body"] + "!"}
    async with live.session.post(url, data=params, headers={"X-Twilio-Signature": signature}) as r:
        return r.status, await r.text()


@pytest.fixture
async def with_twilio(config):
    running = await start_server(replace(config, twilio_auth_token=TOKEN))
    try:
        yield running
    finally:
        await running.session.close()
        await running.runner.cleanup()


async def test_a_signed_sms_counts_once_and_waits_for_moderation(with_twilio: RunningServer):
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
async def test_bad_sms_signatures_are_refused(with_twilio: RunningServer, how):
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


async def test_a_flood_from_one_number_is_counted_but_not_shown(with_twilio: RunningServer):
    live = with_twilio
    for i in range(6):
        params = {"MessageSid": f"SM{i}", "From": "+14155552671", "Body": f"free them all {i}"}
        assert (await sms(live, params))[0] == 200
    assert (await live.get("/api/v1/totals"))[1]["by_channel"] == {"sms": 6}
    assert len(await messages(live, "pending")) == 3
    assert len(await messages(live, "rejected")) == 3


async def test_an_sms_of_only_zero_width_joiners_is_counted_but_rejected_as_empty(
    with_twilio: RunningServer,
):
    params = {"MessageSid": "SM-blank", "From": "+33612345678", "Body": "\u200d\u200d\u200d\u200b"}
    assert (await sms(with_twilio, params))[0] == 200
    assert await messages(with_twilio, "pending") == []
    (rejected,) = await messages(with_twilio, "rejected")
    assert rejected["text"] == "" and "empty message" in rejected["notes"]


async def test_the_sms_webhook_is_closed_until_configured(live: RunningServer):
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
    live: RunningServer, body, content_type, status, code
):
    async with live.session.post(
        live.base + "/api/v1/messages", data=body, headers={"Content-Type": content_type}
    ) as r:
        answer = await r.json()
    assert r.status == status, answer
    assert answer["error"]["code"] == code or status == 422
    assert answer["error"]["message"]
    assert await messages(live, "pending") == []


async def test_lone_surrogates_in_json_are_dropped_not_stored(live: RunningServer):
    raw = b'{"text": "Stay strong \\ud800 Ay\\u015fe \\udfff!"}'
    async with live.session.post(
        live.base + "/api/v1/messages", data=raw, headers={"Content-Type": "application/json"}
    ) as r:
        assert r.status == 202, await r.text()
    (pending,) = await messages(live, "pending")
    assert pending["text"] == "Stay strong Ayşe !"
    pending["text"].encode("utf-8")  # storable and sendable as it is
