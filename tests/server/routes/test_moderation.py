"""The moderators' side: decisions, edits, pins, blocked senders, blocklists, the log, previews."""

from __future__ import annotations

import io
import time
from dataclasses import replace
from typing import Any

import pytest
from PIL import Image

from projector.core.state import Message
from projector.server.config import Config
from projector.server.senders import SenderSigner
from projector.server.services import SERVICES
from projector.store.messages import MAX_PINNED
from tests.conftest import RunningServer, start_server


async def submit(live: RunningServer, text: str, cookie: str | None = None, **extra: str) -> dict[str, Any]:
    headers = {"Cookie": f"projector_sender={cookie}"} if cookie else {}
    status, body = await live.post("/api/v1/messages", {"text": text, **extra}, token=None, headers=headers)
    assert status == 202, body
    submitted: dict[str, Any] = body
    return submitted


async def act(
    live: RunningServer, message_id: str, what: str, body: object = None
) -> tuple[int, dict[str, Any]]:
    return await live.post(f"/api/v1/messages/{message_id}/{what}", body, token="operator")


def wall(live: RunningServer) -> dict[str, Message]:
    return {m.id: m for m in live.app[SERVICES].show.state.wall}


@pytest.fixture(autouse=True)
def generous_limits(live: RunningServer) -> None:
    live.app[SERVICES].public_limiter.burst = 1000.0
    live.app[SERVICES].intake.rules = replace(live.app[SERVICES].intake.rules, flood_max=50)


async def test_approve_reject_and_every_decision_is_logged_with_who(live: RunningServer) -> None:
    a = (await submit(live, "Stay strong, Ayşe"))["id"]
    b = (await submit(live, "Free them all"))["id"]
    assert live.app[SERVICES].queue.pending == 2
    status, body = await act(live, a, "approve")
    assert status == 200 and body["status"] == "approved" and body["decided_by"] == "test-operator"
    assert a in wall(live)
    assert (await act(live, b, "reject"))[0] == 200
    assert (await act(live, a, "reject"))[0] == 200  # changing one's mind takes it off the screens
    assert a not in wall(live) and live.app[SERVICES].queue.pending == 0
    _, log = await live.get("/api/v1/moderation/log", token="operator")
    got = [(d["decision"], d["message_id"], d["by"]) for d in log["decisions"]]
    assert got == [
        ("reject", a, "test-operator"),
        ("reject", b, "test-operator"),
        ("approve", a, "test-operator"),
    ]
    _, one = await live.get(f"/api/v1/moderation/log?message={b}", token="operator")
    assert [d["decision"] for d in one["decisions"]] == ["reject"]


async def test_rules_decisions_are_logged_too(live: RunningServer) -> None:
    status, _ = await live.post("/api/v1/messages", {"text": "you idiot"}, token=None)
    assert status == 422
    _, log = await live.get("/api/v1/moderation/log", token="operator")
    (decision,) = log["decisions"]
    assert decision["by"] == "rules" and decision["decision"] == "reject" and "idiot" in decision["detail"]


async def test_an_edit_changes_the_wall_and_the_log_keeps_the_original(live: RunningServer) -> None:
    m = (await submit(live, "Stay strong Ayse, from Bob Smith"))["id"]
    await act(live, m, "approve")
    status, body = await act(live, m, "edit", {"text": "Stay strong Ayşe\u202e!"})
    assert status == 200 and body["text"] == "Stay strong Ayşe!"  # normalised like any submission
    assert wall(live)[m].text == "Stay strong Ayşe!"
    _, log = await live.get(f"/api/v1/moderation/log?message={m}", token="operator")
    assert log["decisions"][0]["decision"] == "edit" and "Bob Smith" in log["decisions"][0]["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": "\u200b\u202e"}, "text"),
        ({"text": "\u200d\u200d\u200c\u200d"}, "text"),  # joiners alone: normalize keeps them
        ({"text": "\u3164 \u2800"}, "text"),
        ({"text": "x" * 281}, "text"),
        ({"text": 5}, "text"),
        ({"text": "ok", "colour": "red"}, "colour"),
        ({"text": "ok", "name": "n" * 61}, "name"),
    ],
)
async def test_bad_edits_are_refused_and_change_nothing(
    live: RunningServer, body: dict[str, object], field: str
) -> None:
    m = (await submit(live, "Original words"))["id"]
    status, answer = await act(live, m, "edit", body)
    assert status == 422 and answer["error"]["field"] == field
    _, listed = await live.get("/api/v1/messages?status=pending", token="operator")
    assert listed["messages"][0]["text"] == "Original words"


async def test_pin_approves_keeps_on_the_wall_and_is_capped(live: RunningServer) -> None:
    ids = [(await submit(live, f"Pinned message number {i}"))["id"] for i in range(MAX_PINNED + 1)]
    for m in ids[:MAX_PINNED]:
        status, body = await act(live, m, "pin")
        assert status == 200 and body["status"] == "approved" and body["pinned"] is True
    assert all(wall(live)[m].pinned for m in ids[:MAX_PINNED])
    status, body = await act(live, ids[-1], "pin")
    assert status == 409 and body["error"]["code"] == "too_many_pinned"
    assert (await act(live, ids[0], "unpin"))[1]["pinned"] is False
    assert wall(live)[ids[0]].pinned is False
    rejected = (await submit(live, "A rejected one"))["id"]
    await act(live, rejected, "reject")
    assert (await act(live, rejected, "pin"))[0] == 409


async def test_blocking_a_sender_clears_their_messages_and_refuses_more(live: RunningServer) -> None:
    # Signed as the server issues them, before the block: browsers at one venue.
    key = await live.app[SERVICES].senders.key()
    troll_id = "t" * 24
    troll, friend = (SenderSigner.sign(key, i, time.time() - 3600) for i in (troll_id, "f" * 24))
    first = (await submit(live, "harmless at first", cookie=troll))["id"]
    await act(live, first, "approve")
    second = (await submit(live, "then something nasty", cookie=troll))["id"]
    kept = (await submit(live, "Solidarity from Lyon", cookie=friend))["id"]
    status, body = await act(live, second, "block-sender")
    assert status == 200 and set(body["rejected"]) == {first, second}
    assert first not in wall(live)
    status, body = await live.post(
        "/api/v1/messages", {"text": "again"}, token=None, headers={"Cookie": f"projector_sender={troll}"}
    )
    assert status == 403 and body["error"]["code"] == "sender_blocked"
    new_cookie = SenderSigner.sign(key, "n" * 24, time.time())
    status, body = await live.post(
        "/api/v1/messages",
        {"text": "again"},
        token=None,
        headers={"Cookie": f"projector_sender={new_cookie}"},
    )
    assert status == 403 and body["error"]["code"] == "sender_blocked"  # a new cookie is no way back
    await submit(live, "Another from Lyon", cookie=friend)  # the venue's other people are not blocked
    _, listed = await live.get("/api/v1/messages?status=pending", token="operator")
    assert {m["id"] for m in listed["messages"]} >= {kept}
    _, blocked = await live.get("/api/v1/moderation/blocked", token="operator")
    address, entry = sorted(blocked["senders"], key=lambda b: b["sender"])
    assert entry["sender"] == f"web:{troll_id}" and entry["by"] == "test-operator"
    assert address["sender"] == "web:addr:127.0.0.1" and f"web:{troll_id}" in address["reason"]
    async with live.session.delete(
        f"{live.base}/api/v1/moderation/blocked/web:{troll_id}",
        headers={"Authorization": f"Bearer {live.tokens['operator']}"},
    ) as r:
        assert r.status == 204
    await submit(live, "I apologise", cookie=troll)


async def test_a_client_without_the_cookie_is_its_address_and_gets_one(live: RunningServer) -> None:
    async with live.session.post(live.base + "/api/v1/messages", json={"text": "Hello from a browser"}) as r:
        assert r.status == 202
        cookie = r.cookies["projector_sender"]
        assert cookie["httponly"] and cookie["samesite"] == "Strict"
    _, listed = await live.get("/api/v1/messages?status=pending", token="operator")
    assert listed["messages"][0]["sender"] == "web:ip:127.0.0.1"


async def test_blocklists_are_editable_per_language_and_apply_at_once(live: RunningServer) -> None:
    _, lists = await live.get("/api/v1/moderation/blocklists", token="operator")
    assert {b["lang"] for b in lists["blocklists"]} >= {"en", "es", "fr", "tr"}
    status, body = await live.put_json(
        "/api/v1/moderation/blocklists/fr", {"entries": ["crétin", "va-t'en"]}, token="operator"
    )
    assert status == 200 and body["edited"] is True
    status, body = await live.post("/api/v1/messages", {"text": "Quel crétin", "lang": "fr"}, token=None)
    assert status == 422 and "crétin" in body["error"]["message"]
    await submit(live, "Quel crétin, vraiment", lang="en")  # only French messages are held to the French list
    _, log = await live.get("/api/v1/moderation/log", token="operator")
    assert any(d["decision"] == "blocklist" and d["detail"] == "fr: 2 entries" for d in log["decisions"])


@pytest.mark.parametrize(
    ("lang", "body", "field"),
    [
        ("fr", {"entries": "crétin"}, "entries"),
        ("fr", {"entries": [""]}, "entries[0]"),
        ("fr", {"entries": ["a\nb"]}, "entries[0]"),
        ("fr", {"entries": [3]}, "entries[0]"),
        ("fr", {"entries": ["x" * 101]}, "entries[0]"),
        ("fr", {"entries": ["ok"] * 5001}, "entries"),
        ("../etc", {"entries": ["ok"]}, "lang"),
    ],
)
async def test_bad_blocklists_are_refused(
    live: RunningServer, lang: str, body: dict[str, object], field: str
) -> None:
    status, answer = await live.put_json(f"/api/v1/moderation/blocklists/{lang}", body, token="operator")
    assert status in (422, 404), answer
    if status == 422:
        assert answer["error"]["field"] == field


async def test_moderation_needs_an_operator(live: RunningServer) -> None:
    m = (await submit(live, "Hello"))["id"]
    for what in ("approve", "reject", "pin", "unpin", "edit", "block-sender"):
        status, _ = await live.post(f"/api/v1/messages/{m}/{what}", None, token="ingest")
        assert status == 403, what
        status, _ = await live.post(f"/api/v1/messages/{m}/{what}", None, token=None)
        assert status == 401, what
    status, _ = await live.put_json("/api/v1/moderation/blocklists/en", {"entries": ["x"]}, token=None)
    assert status == 401
    assert (await act(live, "no-such-message", "approve"))[0] == 404


async def test_the_preview_is_the_wall_drawing_the_message(live: RunningServer) -> None:
    m = (await submit(live, "مرحبا بالحرية — freedom for Ayşe"))["id"]
    async with live.session.get(
        f"{live.base}/api/v1/messages/{m}/preview.png",
        headers={"Authorization": f"Bearer {live.tokens['operator']}"},
    ) as r:
        assert r.status == 200 and r.content_type == "image/png"
        image = Image.open(io.BytesIO(await r.read())).convert("L")
    assert image.size == (960, 540)
    spot = image.crop((150, 170, 900, 430))  # where the wall's spotlight is
    assert sum(spot.histogram()[129:]) > 2000
    async with live.session.get(f"{live.base}/api/v1/messages/{m}/preview.png") as r:
        assert r.status == 401


async def test_trusted_integrators_are_approved_and_others_wait(config: Config) -> None:
    # Its own data directory: the autouse fixture's server already runs on config's (one server per data dir).
    trusted = replace(
        config, data_dir=config.data_dir.parent / "trusted", trusted_sources="token:test-ingest"
    )
    live = await start_server(trusted)
    try:
        status, body = await live.post(
            "/api/v1/messages", {"text": "Relayed", "sender": "u1"}, token="ingest"
        )
        assert status == 202 and body["status"] == "approved"
        assert body["id"] in wall(live)
        status, body = await live.post("/api/v1/messages", {"text": "Public one"}, token=None)
        assert body["status"] == "pending"
        status, body = await live.post("/api/v1/messages", {"text": "x", "sender": "u1"}, token="display")
        assert status == 403
        status, body = await live.post("/api/v1/messages", {"text": "Public", "sender": "me"}, token=None)
        assert status == 422 and body["error"]["field"] == "sender"
    finally:
        await live.session.close()
        await live.runner.cleanup()


async def test_the_language_is_guessed_when_not_given_and_picks_the_blocklist(live: RunningServer) -> None:
    status, _ = await live.put_json("/api/v1/moderation/blocklists/tr", {"entries": ["salak"]})
    assert status == 200
    body = await submit(live, "Ayşe, yalnız değilsin! Özgürlüğün için buradayız.")
    _, listed = await live.get("/api/v1/messages?status=pending", token="operator")
    assert {m["id"]: m["lang"] for m in listed["messages"]}[body["id"]] == "tr"
    status, answer = await live.post(
        "/api/v1/messages", {"text": "Bu salak yorumları kim yazıyor, yalnız değilsin"}, token=None
    )
    assert status == 422 and "salak" in answer["error"]["message"]
    short = await submit(live, "Stay strong")  # too short to tell: no guess rather than a wrong one
    _, listed = await live.get("/api/v1/messages?status=pending", token="operator")
    assert {m["id"]: m["lang"] for m in listed["messages"]}[short["id"]] is None
