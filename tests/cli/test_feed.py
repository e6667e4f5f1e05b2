"""The demo feed against a small real HTTP server that records what it receives."""

from __future__ import annotations

import asyncio
import random
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import pytest
from aiohttp import web

from projector.cli.feed import (
    MESSAGES,
    OFF_TOPIC,
    PLAN,
    REFUSED,
    CampaignSimulator,
    Fate,
    FeedStats,
    PlannedMessage,
    run_feed,
)
from projector.core.model import Channel, parse_case_id, parse_count, parse_country
from projector.core.moderation import Rules, SenderHistory, Verdict, screen
from projector.server.moderation import Intake

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
        actions: list[dict[str, Any]] = self.body.get("actions", [self.body])
        return actions


@dataclass
class FakeServer:
    """Answers like the real API and remembers every request, in order."""

    fail_first: int = 0  # answer this many action requests with 503 first
    max_batch: int | None = None  # larger batches get 413
    always: int | None = None  # answer every action request with this status
    hang: asyncio.Event | None = None  # hold action requests until this is set
    stop_at_413: asyncio.Event | None = None  # set this (the feed's stop) on refusing a batch as too large
    url: str = ""
    actions: list[Recorded] = field(default_factory=list)
    events: list[tuple[str, str, str | None]] = field(default_factory=list)  # (kind, message id, auth)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    refused: list[tuple[dict[str, Any], str]] = field(default_factory=list)  # (body, reason)
    counted: set[str] = field(default_factory=set)
    #: The server's own moderation rules, remembering each sender as the real intake does.
    intake: Intake = field(default_factory=lambda: Intake(Rules()))

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
        if status == 413 and self.stop_at_413 is not None:
            self.stop_at_413.set()
        if status != 200:
            return web.json_response({"error": {"code": "nope", "message": str(status)}}, status=status)
        new = [a for a in batch if a["id"] not in self.counted]
        self.counted.update(a["id"] for a in new)
        return web.json_response({"accepted": len(new), "duplicates": len(batch) - len(new), "rev": 1})

    async def post_message(self, request: web.Request) -> web.Response:
        """Screened as the real server does for an integrator: sender ``token:<label>:<sender>``."""
        body = await request.json()
        auth = request.headers.get("Authorization")
        sender = f"token:demo feed:{body.get('sender', '')}" if auth else "web:ip:127.0.0.1"
        screened = self.intake.screen(
            body["text"], body.get("name", ""), body.get("lang"), "token:demo feed", sender, time.time()
        )
        if screened.verdict is Verdict.REJECT:
            self.refused.append((body, screened.reasons[0]))
            message = f"this message cannot be shown: {screened.reasons[0]}"
            return web.json_response({"error": {"code": "rejected", "message": message}}, status=422)
        message_id = f"m{len(self.messages) + 1}"
        self.messages[message_id] = body
        self.events.append(("submit", message_id, auth))
        return web.json_response({"id": message_id, "status": "pending", "notes": []}, status=202)

    async def decide(self, request: web.Request) -> web.Response:
        message_id = request.match_info["id"]
        auth = request.headers.get("Authorization")
        self.events.append((request.match_info["decision"], message_id, auth))
        if auth != f"Bearer {OPERATOR}":
            return web.json_response({"error": {"code": "unauthorized", "message": "no"}}, status=401)
        if message_id not in self.messages:
            return web.json_response({"error": {"code": "not_found", "message": "no"}}, status=404)
        return web.json_response({"id": message_id, "approved": True})


async def start(server: FakeServer) -> web.AppRunner:
    app = web.Application()
    app.router.add_post("/api/v1/actions", server.post_actions)
    app.router.add_post("/api/v1/messages", server.post_message)
    app.router.add_post("/api/v1/messages/{id}/{decision:approve|reject}", server.decide)
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


async def test_messages_come_from_many_supporters_and_only_planned_ones_are_refused() -> None:
    fake = FakeServer()
    runner = await start(fake)
    try:
        stats, _ = await feed_for(1.5, fake.url, rate=20, seed=3, message_every=0.03)
    finally:
        await runner.cleanup()
    submits = [(mid, auth) for kind, mid, auth in fake.events if kind == "submit"]
    decisions = [(kind, mid, auth) for kind, mid, auth in fake.events if kind in ("approve", "reject")]
    assert len(submits) >= 20
    # posted as an integrator relays its supporters: the ingest token, a supporter id each
    assert all(auth == f"Bearer {INGEST}" for _, auth in submits)
    bodies = list(fake.messages.values())
    for message in bodies:
        assert set(message) == {"name", "country", "text", "lang", "sender"}
        assert all(isinstance(v, str) and v for v in message.values())
        parse_country(message["country"])
    assert len({m["sender"] for m in bodies}) == len(bodies)  # the rules see many people
    # the moderator decides every held message once, as operator, after its submission
    assert all(auth == f"Bearer {OPERATOR}" for *_, auth in decisions)
    assert len({mid for _, mid, _ in decisions}) == len(decisions)
    for _, mid, _ in decisions:
        assert fake.events.index(("submit", mid, f"Bearer {INGEST}")) < fake.events.index(
            next(d for d in decisions if d[1] == mid)
        )
    rejected = {fake.messages[mid]["text"] for kind, mid, _ in decisions if kind == "reject"}
    approved = {fake.messages[mid]["text"] for kind, mid, _ in decisions if kind == "approve"}
    assert rejected and rejected <= {text for *_, text in OFF_TOPIC}
    assert len(approved) >= 10 and approved <= {text for *_, text in MESSAGES}
    # the server's rules refused only what the plan meant them to: insults and double taps
    assert fake.refused
    for body, reason in fake.refused:
        if reason.startswith("blocked word"):
            assert body["text"] in {text for *_, text in REFUSED}
        else:
            assert reason == "duplicate of a recent message", reason
            assert body["text"] in {text for *_, text in MESSAGES}
    assert not any(reason.startswith("flood") for _, reason in fake.refused)
    assert stats.errors == 0
    assert stats.messages_refused == len(fake.refused)
    assert stats.messages_sent == len(submits)
    assert stats.messages_approved + stats.messages_rejected == len(decisions)
    assert stats.messages_rejected == sum(1 for kind, *_ in decisions if kind == "reject")


async def test_planned_refusals_are_info_and_unplanned_ones_errors(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeServer()
    runner = await start(fake)
    try:
        with caplog.at_level("INFO", logger="projector.cli.feed"):
            await feed_for(1.0, fake.url, rate=20, seed=3, message_every=0.03)
            planned = [r for r in caplog.records if "as they should" in r.getMessage()]
            assert planned and all(r.levelname == "INFO" for r in planned)
            assert any(
                "the moderator rejected a message as planned" in r.getMessage() for r in caplog.records
            )
            assert not [r for r in caplog.records if r.levelno >= 30]
            caplog.clear()
            # a server whose flood rule allows one message per sender: the demo's messages are refused
            # against the plan, and that is a real failure
            fake.intake = Intake(Rules(flood_max=0))
            stats, _ = await feed_for(0.5, fake.url, rate=20, seed=3, message_every=0.03)
    finally:
        await runner.cleanup()
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert errors and all("HTTP 422" in r.getMessage() for r in errors)
    assert any("flood" in r.getMessage() for r in errors)
    assert stats.errors >= len(errors)


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


async def test_a_batch_split_when_the_feed_stops_still_goes_out_whole() -> None:
    stop = asyncio.Event()
    fake = FakeServer(max_batch=2, stop_at_413=stop)
    runner = await start(fake)
    try:
        stats = await asyncio.wait_for(
            run_feed(fake.url, INGEST, OPERATOR, stop=stop, rate=1500, seed=5, message_every=10), timeout=5
        )
    finally:
        await runner.cleanup()
    assert [r.status for r in fake.actions].count(413) >= 1
    assert stop.is_set()
    assert stats.actions_acknowledged == stats.actions_sent == len(fake.counted) > 2


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


def planned_messages(n: int, seed: int = 11) -> list[PlannedMessage]:
    sim = CampaignSimulator(40.0, CASES, random.Random(seed))
    return [sim.message() for _ in range(n)]


def test_messages_come_from_many_supporters() -> None:
    planned = planned_messages(600)
    senders = [p.body["sender"] for p in planned]
    follow_ups = [p for p in planned if p.why == "duplicate"]
    # one supporter each, but for a double tap, which repeats the message just before it
    assert len(set(senders)) == len(senders) - len(follow_ups)
    for i, p in enumerate(planned):
        if p.why == "duplicate":
            assert planned[i - 1].body == p.body and planned[i - 1].fate is Fate.SHOWN
    assert all(0 < len(s) <= 128 for s in senders)  # what the server takes as ``sender``


def test_some_messages_are_planned_to_be_refused_or_rejected() -> None:
    planned = planned_messages(1000)
    rounds = [p.why for p in planned if p.why != "duplicate"]  # a double tap's copy is extra
    size = len(PLAN)
    for start in range(0, len(rounds) - size + 1, size):
        counts = Counter(rounds[start : start + size])  # every round: one of each refusal
        assert counts == {"blocked word": 1, "off-topic": 1, "solidarity": size - 2}, counts
    fates = Counter(p.fate for p in planned)
    assert fates[Fate.SHOWN] > 0.8 * len(planned)  # most messages are approved
    assert {p.body["text"] for p in planned if p.why == "blocked word"} == {t for *_, t in REFUSED}
    assert {p.body["text"] for p in planned if p.fate is Fate.REJECTED} == {t for *_, t in OFF_TOPIC}
    doubles = [i for i, p in enumerate(planned) if p.why == "duplicate"]
    assert len(doubles) >= len(rounds) // size


def test_the_plan_agrees_with_the_servers_rules() -> None:
    """Every message through the real rules, at the demo's pace: refused exactly when planned.

    Insults hit the blocklist, double taps the duplicate rule, and nothing the
    demo means to show trips the flood rule: one supporter, one message.
    """
    intake = Intake(Rules())
    now = 1_000_000.0
    for p in planned_messages(400):
        now += 4.0 if p.why != "duplicate" else 0.5
        body = p.body
        sender = f"token:demo feed:{body['sender']}"
        screened = intake.screen(body["text"], body["name"], body["lang"], "token:demo feed", sender, now)
        if p.fate is Fate.REFUSED:
            assert screened.verdict is Verdict.REJECT, (body, screened.reasons)
            wanted = "blocked word" if p.why == "blocked word" else "duplicate of a recent message"
            assert any(r.startswith(wanted) for r in screened.reasons), screened.reasons
        else:
            assert screened.verdict is Verdict.HOLD, (body, screened.reasons)  # for the moderator
        if p.fate is Fate.SHOWN:
            assert screened.reasons == ()  # nothing for the moderator to remark


def test_shown_messages_rotate_through_all_without_immediate_repeats() -> None:
    for seed in range(5):
        shown = [p.body["text"] for p in planned_messages(700, seed) if p.fate is Fate.SHOWN]
        assert all(a != b for a, b in pairwise(shown))
        n = len(MESSAGES)
        assert len(set(shown[:n])) == n  # the whole list before any message comes back
        assert len(set(shown[n : 2 * n])) == n
    first = [p.body["text"] for p in planned_messages(len(MESSAGES), 1)]
    assert first != [text for *_, text in MESSAGES][: len(first)]  # shuffled, not in list order


def test_same_seed_same_messages() -> None:
    assert planned_messages(50, 4) == planned_messages(50, 4)
    assert planned_messages(50, 4) != planned_messages(50, 5)


def test_planned_refusals_and_off_topic_messages_are_valid_requests() -> None:
    for lang, name, country, text in REFUSED + OFF_TOPIC:
        parse_country(country)
        assert lang and name.strip() and text.strip() and len(text) <= 280, (lang, text)
        # each is refused or held for a reason, never by accident of the sender's history
        verdict = screen(
            text, name, lang=lang, source="web", sender_history=SenderHistory(), now=0.0, rules=Rules()
        ).verdict
        assert verdict is (Verdict.REJECT if (lang, name, country, text) in REFUSED else Verdict.HOLD)
