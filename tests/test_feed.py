"""The demo feed against a small real HTTP server that records what it receives."""

from __future__ import annotations

import asyncio
import random
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from projector.core.model import Channel, parse_case_id, parse_count, parse_country
from projector.feed import MESSAGES, CampaignSimulator, FeedStats, run_feed

INGEST = "ingest-token"
OPERATOR = "operator-token"
CASES = ("ayse-karaman", "tarek-abdelhady", "itzel-ramirez")


@dataclass
class Recorded:
    auth: str | None
    body: Any
    status: int

    @property
    def actions(self) -> list[dict[str, Any]]:
        return self.body.get("actions", [self.body])


@dataclass
class FakeServer:
    """Answers like the real API and remembers every request, in order."""

    fail_first: int = 0  # answer this many action requests with 503 first
    max_batch: int | None = None  # larger batches get 413
    always: int | None = None  # answer every action request with this status
    hang: asyncio.Event | None = None  # hold action requests until this is set
    url: str = ""
    actions: list[Recorded] = field(default_factory=list)
    events: list[tuple[str, str, str | None]] = field(default_factory=list)  # (kind, message id, auth)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    counted: set[str] = field(default_factory=set)

    async def post_actions(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.hang is not None:
            await self.hang.wait()
        auth = request.headers.get("Authorization")
        batch = body.get("actions", [body])
        if auth != f"Bearer {INGEST}":
            status = 401
        elif self.always is not None:
            status = self.always
        elif self.fail_first > 0:
            self.fail_first -= 1
            status = 503
        elif self.max_batch is not None and len(batch) > self.max_batch:
            status = 413
        else:
            status = 200
        self.actions.append(Recorded(auth, body, status))
        if status != 200:
            return web.json_response({"error": {"code": "nope", "message": str(status)}}, status=status)
        new = [a for a in batch if a["id"] not in self.counted]
        self.counted.update(a["id"] for a in new)
        return web.json_response({"accepted": len(new), "duplicates": len(batch) - len(new), "rev": 1})

    async def post_message(self, request: web.Request) -> web.Response:
        message_id = f"m{len(self.messages) + 1}"
        self.messages[message_id] = await request.json()
        self.events.append(("submit", message_id, request.headers.get("Authorization")))
        return web.json_response({"id": message_id}, status=201)

    async def approve(self, request: web.Request) -> web.Response:
        message_id = request.match_info["id"]
        auth = request.headers.get("Authorization")
        self.events.append(("approve", message_id, auth))
        if auth != f"Bearer {OPERATOR}":
            return web.json_response({"error": {"code": "unauthorized", "message": "no"}}, status=401)
        if message_id not in self.messages:
            return web.json_response({"error": {"code": "not_found", "message": "no"}}, status=404)
        return web.json_response({"id": message_id, "approved": True})


async def start(server: FakeServer) -> web.AppRunner:
    app = web.Application()
    app.router.add_post("/api/v1/actions", server.post_actions)
    app.router.add_post("/api/v1/messages", server.post_message)
    app.router.add_post("/api/v1/messages/{id}/approve", server.approve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    server.url = f"http://{host}:{port}/"
    return runner


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    fake = FakeServer(fail_first=1)
    runner = await start(fake)
    yield fake
    await runner.cleanup()


async def feed_for(seconds: float, url: str, **kwargs: Any) -> tuple[FeedStats, float]:
    """Run the feed, set stop after ``seconds``, and measure how long it took to return."""
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(seconds, stop.set)
    began = time.monotonic()
    stats = await asyncio.wait_for(run_feed(url, INGEST, OPERATOR, stop=stop, **kwargs), timeout=seconds + 5)
    return stats, time.monotonic() - began


def assert_valid_action(action: dict[str, Any]) -> None:
    assert set(action) <= {"id", "channel", "country", "case", "count", "source"}
    assert isinstance(action["id"], str) and 0 < len(action["id"]) <= 128
    Channel.parse(action["channel"])
    assert parse_country(action["country"]) == action["country"]
    parse_count(action["count"])
    assert action["source"] == "demo-feed"
    if "case" in action:
        assert action["case"] in CASES and parse_case_id(action["case"])


async def test_feed_posts_valid_varied_actions_and_retries_with_same_ids(server: FakeServer) -> None:
    stats, took = await feed_for(0.7, server.url, rate=600, seed=7, case_ids=CASES, message_every=0.15)
    assert took < 1.5  # stops promptly

    first, second = server.actions[0], server.actions[1]
    assert first.status == 503
    assert [a["id"] for a in second.actions] == [a["id"] for a in first.actions]  # retried, same ids
    assert second.status == 200

    accepted = [a for r in server.actions if r.status == 200 for a in r.actions]
    assert all(r.auth == f"Bearer {INGEST}" for r in server.actions)
    assert len(accepted) >= 100
    for action in accepted:
        assert_valid_action(action)
    ids = [a["id"] for a in accepted]
    assert len(ids) == len(set(ids))  # unique, and the retry did not double anything
    assert len({a["channel"] for a in accepted}) >= 4
    assert len({a["country"] for a in accepted}) >= 10
    assert any("case" in a for a in accepted) and any("case" not in a for a in accepted)

    assert stats.actions_sent == len(ids)
    assert stats.actions_acknowledged == len(ids)
    assert stats.count_acknowledged == sum(a["count"] for a in accepted)
    assert stats.errors >= 1


async def test_messages_are_submitted_without_auth_then_approved_as_operator(server: FakeServer) -> None:
    stats, _ = await feed_for(0.7, server.url, rate=20, seed=3, message_every=0.1)
    submits = [(mid, auth) for kind, mid, auth in server.events if kind == "submit"]
    approvals = [(mid, auth) for kind, mid, auth in server.events if kind == "approve"]
    assert len(submits) >= 3
    assert all(auth is None for _, auth in submits)  # the public form needs no token
    assert all(auth == f"Bearer {OPERATOR}" for _, auth in approvals)
    for mid, _ in approvals:  # every approval follows its own submission
        assert server.events.index(("submit", mid, None)) < server.events.index(
            ("approve", mid, f"Bearer {OPERATOR}")
        )
    assert {mid for mid, _ in approvals} >= {mid for mid, _ in submits[:-1]}
    for message in server.messages.values():
        assert set(message) == {"name", "country", "text", "lang"}
        assert all(isinstance(v, str) and v for v in message.values())
        parse_country(message["country"])
    assert stats.messages_sent == len(submits)
    assert stats.messages_approved == len(approvals)


async def test_unreachable_server_is_survived_and_stop_is_prompt() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    stats, took = await feed_for(0.6, f"http://127.0.0.1:{port}", rate=50, seed=1, message_every=0.1)
    assert took < 1.4
    assert stats.errors >= 2
    assert stats.actions_acknowledged == 0 and stats.messages_sent == 0


async def test_stop_is_prompt_even_when_the_server_hangs() -> None:
    fake = FakeServer(hang=asyncio.Event())
    runner = await start(fake)
    try:
        stats, took = await feed_for(0.4, fake.url, rate=50, seed=1, message_every=10)
    finally:
        assert fake.hang is not None
        fake.hang.set()
        await runner.cleanup()
    assert took < 1.2
    assert stats.actions_sent > 0 and stats.actions_acknowledged == 0


async def test_client_errors_are_dropped_not_retried_forever() -> None:
    fake = FakeServer(always=400)
    runner = await start(fake)
    try:
        stats, _ = await feed_for(0.8, fake.url, rate=100, seed=2, message_every=10)
    finally:
        await runner.cleanup()
    assert len(fake.actions) >= 3  # the feed kept going after the first refusal
    bodies = [tuple(a["id"] for a in r.actions) for r in fake.actions]
    assert len(bodies) == len(set(bodies))  # nothing was sent twice
    assert stats.actions_dropped == stats.actions_sent > 0


async def test_too_large_batches_are_split() -> None:
    fake = FakeServer(max_batch=16)
    runner = await start(fake)
    try:
        stats, _ = await feed_for(0.6, fake.url, rate=1500, seed=5, message_every=10)
    finally:
        await runner.cleanup()
    assert any(r.status == 413 for r in fake.actions)
    assert all(len(r.actions) <= 16 for r in fake.actions if r.status == 200)
    assert stats.actions_acknowledged == stats.actions_sent == len(fake.counted)


# ------------------------------------------------------------------------------ the simulator alone


def simulate(seconds: float, rate: float = 40.0, seed: int = 11) -> list[list[dict[str, Any]]]:
    sim = CampaignSimulator(rate, CASES, random.Random(seed))
    batches: list[list[dict[str, Any]]] = []
    for _ in range(int(seconds / 0.5)):
        batches.extend(sim.advance(0.5))
    return batches


def test_long_run_average_matches_rate_with_bursts_and_tallies() -> None:
    hours = 1
    batches = simulate(hours * 3600)
    actions = [a for b in batches for a in b]
    total = sum(a["count"] for a in actions)
    assert 0.8 * 40 * 3600 * hours < total < 1.2 * 40 * 3600 * hours
    bursts = [b for b in batches if len(b) >= 200]
    assert bursts and all(len(b) <= 2000 for b in bursts)
    assert all(len({a.get("case") for a in b}) == 1 for b in bursts)  # one petition, one case
    tallies = [a for a in actions if a["count"] >= 500]
    assert tallies and all(a["channel"] == "letter" and a["count"] <= 3000 for a in tallies)
    singles = [a for b in batches if len(b) < 200 for a in b if a["count"] < 500]
    channels = Counter(a["channel"] for a in singles)
    top_two = {c for c, _ in channels.most_common(2)}
    assert top_two == {"email", "signature"}
    assert channels["fax"] < channels["letter"] / 3
    countries = Counter(a["country"] for a in singles)
    assert len(countries) >= 40 and countries["GB"] > countries["ZW"] * 3
    for a in actions[:2000]:
        assert_valid_action(a)


def test_same_seed_same_traffic() -> None:
    assert simulate(60, seed=4) == simulate(60, seed=4)
    assert simulate(60, seed=4) != simulate(60, seed=5)


def test_rate_is_validated() -> None:
    with pytest.raises(ValueError):
        CampaignSimulator(0)


def test_messages_are_many_languages_and_valid() -> None:
    langs = {lang for lang, *_ in MESSAGES}
    assert len(langs) >= 19
    for lang, name, country, text in MESSAGES:
        parse_country(country)
        assert name.strip() and text.strip() and len(text) <= 280, (lang, text)
