"""The simulated campaign feed behind ``projector demo``.

A demo has to look like a campaign night: a steady trickle of single actions
from many countries, a petition site that flushes a thousand signatures at
once, a volunteer who types in the 1,800 letters collected at a university,
and supporters writing short messages in their own languages and scripts.
This module produces that traffic against the real public HTTP API, through
the same endpoints and with the same tokens an integrator would use, so a
demo also exercises ingest, moderation and fan-out end to end.

Messages stay inside the rules a real deployment meets: each comes from its
own supporter (see :func:`run_feed`), so the flood and duplicate rules see
many people, as they would on a campaign night, and the server's rules are
never weakened or bypassed for the demo. A few messages are meant to be
refused (a troll's insult the blocklist catches, a double tap on "send") or
rejected by the moderator (spam, a test message): the moderation queue and
log then look like a real night's, and a refusal the plan expected is logged
at INFO, not as an error.

Two parts: :class:`CampaignSimulator` decides *what* happens (pure, seeded,
testable without a network) and :func:`run_feed` sends it (aiohttp). The
sender behaves like a good integrator: a failed request is retried with the
same action ids, so the server's de-duplication makes every action count
once, and nothing the server or the network does makes the feed crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, TypeVar

import aiohttp

__all__ = [
    "MESSAGES",
    "OFF_TOPIC",
    "PLAN",
    "REFUSED",
    "CampaignSimulator",
    "Fate",
    "FeedStats",
    "PlannedMessage",
    "run_feed",
]

log = logging.getLogger("projector.cli.feed")

SOURCE = "demo-feed"

#: Where actions come from, weighted: the big sections of a global campaign
#: write most, but every region is there.
COUNTRIES: tuple[tuple[str, int], ...] = (
    ("GB", 9), ("DE", 8), ("FR", 7), ("US", 7), ("PL", 6), ("CA", 5), ("NL", 5), ("ES", 5),
    ("BE", 4), ("IT", 4), ("AU", 4), ("MX", 4), ("CH", 3), ("AT", 3), ("SE", 3), ("AR", 3),
    ("BR", 3), ("JP", 3), ("KR", 3), ("NO", 2), ("DK", 2), ("FI", 2), ("IE", 2), ("PT", 2),
    ("CZ", 2), ("CL", 2), ("PE", 2), ("CO", 2), ("TW", 2), ("NP", 2), ("IN", 2), ("PH", 2),
    ("NZ", 2), ("NG", 2), ("KE", 2), ("ZA", 2), ("TR", 2), ("UA", 2), ("SI", 1), ("PY", 1),
    ("UY", 1), ("HK", 1), ("MN", 1), ("ID", 1), ("TH", 1), ("MY", 1), ("SN", 1), ("GH", 1),
    ("MA", 1), ("TN", 1), ("MD", 1), ("IL", 1), ("LB", 1), ("SL", 1), ("TG", 1), ("BF", 1),
    ("ZW", 1), ("GE", 1), ("KH", 1), ("ET", 1),
)  # fmt: skip

#: How people act: mostly email and online signatures, faxes are rare.
CHANNELS: tuple[tuple[str, int], ...] = (
    ("email", 34), ("signature", 30), ("letter", 12), ("sms", 10), ("tweet", 8), ("other", 4), ("fax", 2),
)  # fmt: skip

#: Share of the average rate (counted in actions, not requests) each kind of traffic brings.
STEADY_SHARE, BURST_SHARE, TALLY_SHARE = 0.5, 0.35, 0.15
BURST_SIZE = (200, 2000)
TALLY_COUNT = (500, 3000)
#: Longest stretch of simulated time produced at once: after a long outage the
#: feed resumes at its normal pace instead of dumping minutes of backlog.
MAX_STEP_S = 2.0

_TALLY_PLACES = (
    "at a university",
    "at a secondary school",
    "at a street stall",
    "at a church hall",
    "at a music festival",
    "by a local group",
    "at a trade union meeting",
    "at a book fair",
)

#: Solidarity messages as supporters write them: (lang, name, country, text).
#: They name the fictional demo cases and are written to be correct in each
#: language; some mix scripts and digits on purpose, as real messages do.
MESSAGES: tuple[tuple[str, str, str, str], ...] = (
    ("en", "Sarah", "GB", "Stay strong, Ayşe. We are with you."),
    ("en", "Tom", "US", "Tarek, your courage inspires us. We will keep writing until you are free."),
    ("en", "Priya", "CA", "Itzel, your land, your life. Thousands of us are standing with you ✊"),
    ("es", "Lucía", "ES", "Itzel, no estás sola. Defenderemos tu tierra contigo."),
    ("es", "Mateo", "AR", "¡Libertad para Ramon! Desde Buenos Aires te mandamos toda nuestra fuerza."),
    ("es", "Valentina", "CO", "Yolanda, bienvenida a casa. Tu lucha sigue siendo la nuestra."),
    ("fr", "Camille", "FR", "Roya, votre courage nous donne de l'espoir. Nous ne vous oublierons pas."),
    ("fr", "Moussa", "SN", "Tamara, toute la solidarité du Sénégal est avec toi."),
    ("tr", "Elif", "TR", "Ayşe, yalnız değilsin. Gazetecilik suç değildir!"),
    ("tr", "Mehmet", "DE", "Ayşe, özgürlüğün için yazmaya devam edeceğiz."),
    ("ar", "ليلى", "MA", "الحرية لطارق! نحن معك حتى تعود إلى عائلتك."),
    ("ar", "Nour", "LB", "300 رسالة من بيروت من أجل طارق اليوم"),
    ("ar", "عمر", "TN", "كل التضامن مع يولاندا من تونس. صوتك وصل إلينا."),
    ("fa", "سارا", "SE", "رویا، تنها نیستی. زن، زندگی، آزادی."),
    ("fa", "Babak", "CA", "رویا جان، صدای تو صدای ماست. آزادش کنید!"),
    ("he", "נועה", "IL", "טארק, אנחנו איתך. חופש לכל אסירי המצפון."),
    ("ru", "Ольга", "LT", "Алеся, держись! Мы пишем за тебя письма каждый день."),
    ("uk", "Оксана", "UA", "Алесю, ти не сама. Свобода всім політв'язням!"),
    ("be", "Янка", "PL", "Алеся, трымайся! Мы з табой."),
    ("el", "Νίκος", "GR", "Ταμάρα, δεν είσαι μόνη. Είμαστε μαζί σου!"),
    ("hi", "प्रिया", "IN", "तमारा, हम तुम्हारे साथ हैं। हिम्मत मत हारो!"),
    ("ne", "सीता", "NP", "रामोन, तपाईं एक्लो हुनुहुन्न। हामी तपाईंसँग छौं।"),
    ("th", "สมชาย", "TH", "ราโมน เราอยู่เคียงข้างคุณเสมอ สู้ๆ นะ"),
    ("km", "សុភា", "KH", "យើងនៅជាមួយអ្នក។ សូមរឹងមាំ!"),
    ("my", "Aung", "TH", "ရာမွန်၊ ကျွန်ုပ်တို့ သင်နှင့်အတူ ရှိပါတယ်။"),
    ("ja", "ゆき", "JP", "アイシェさん、私たちはあなたと共にいます。がんばって！"),
    ("ko", "민지", "KR", "로야 씨, 당신은 혼자가 아닙니다. 힘내세요!"),
    ("zh-Hant", "志明", "TW", "塔瑪拉，我們與你同在。加油！"),
    ("zh-Hans", "李娜", "SG", "伊采尔，你并不孤单。我们一直支持你！"),
    ("am", "ሀና", "ET", "ታማራ፣ ብቻሽን አይደለሽም። ከአንቺ ጋር ነን።"),
    ("pt", "João", "BR", "Yolanda, sua luta é a nossa luta. Força!"),
    ("pt", "Inês", "PT", "Ramon, estamos contigo. Liberdade já!"),
    ("sw", "Amani", "KE", "Tamara, hauko peke yako. Tuko pamoja nawe!"),
    ("de", "Lena", "DE", "Liebe Alesia, wir denken an dich und schreiben weiter. Halte durch!"),
    ("it", "Giulia", "IT", "Tarek, non sei solo. Ti aspettiamo libero!"),
    ("pl", "Kasia", "PL", "Alesia, jesteśmy z Tobą! Wolność dla więźniów sumienia."),
    ("id", "Dewi", "ID", "Ramon, kamu tidak sendirian. Kami bersamamu!"),
    ("tl", "Maria", "PH", "Ramon, hindi ka nag-iisa. Kasama mo kami hanggang makalaya ka!"),
    ("ur", "عائشہ", "PK", "طارق، ہم آپ کے ساتھ ہیں۔ ہمت نہ ہاریں!"),
    ("ka", "ნინო", "GE", "რამონ, ჩვენ შენთან ერთად ვართ!"),
    ("hy", "Անի", "AM", "Ռոյա, մենք քեզ հետ ենք։"),
    ("fr", "Karim", "BE", "Free Tarek! الحرية لطارق"),
)

#: Messages the moderation rules refuse, as trolls write them: each has a word
#: from the built-in blocklist of its language (projector.core.moderation).
REFUSED: tuple[tuple[str, str, str, str], ...] = (
    ("en", "Gary", "US", "Letters for strangers in prison? What an idiot idea."),
    ("es", "Paco", "ES", "Vaya mierda de campaña, nadie lee vuestras cartas."),
    ("fr", "Marc", "FR", "Vos lettres, c'est de la merde."),
    ("tr", "Kaan", "TR", "Bu kampanya tam bir gerizekalı işi."),
)

#: Messages the rules let through to the queue but no moderator would show:
#: spam (its link or number is stripped, and noted), tests, questions for the
#: organisers. The number is in Australia's range reserved for fiction, the
#: domain is reserved for examples.
OFF_TOPIC: tuple[tuple[str, str, str, str], ...] = (
    ("en", "DealsNow", "US", "Cheap followers and likes, visit www.example.com today!"),
    ("en", "Kev", "GB", "test test 123 does this work?"),
    ("es", "Pepe", "MX", "¿Alguien sabe a qué hora empieza el concierto?"),
    ("en", "Jo", "AU", "Bored? Call me on +61 491 570 006 for a chat"),
)

#: What supporters write, one card each, shuffled again for every round of
#: ``len(PLAN)`` messages: in each round one insult the rules refuse, one
#: off-topic message the moderator rejects and one double tap on "send" (the
#: copy is refused as a duplicate); the rest is solidarity. Dealt from a deck
#: rather than rolled, so that every couple of minutes of a demo shows each
#: kind of refusal once, never a streak of trolls and never none at all.
PLAN: tuple[str, ...] = ("blocked word", "off-topic", "double tap") + ("solidarity",) * 13

Action = dict[str, Any]
T = TypeVar("T")


class Fate(Enum):
    """What the plan expects to become of a message."""

    SHOWN = "shown"  # held for the moderator, who approves it
    REFUSED = "refused by the rules"  # the server answers 422
    REJECTED = "rejected by the moderator"  # held, then rejected by hand


@dataclass(frozen=True)
class PlannedMessage:
    """One message as an integrator posts it (``body``), and what should happen to it."""

    body: dict[str, str]  # name, country, text, lang, sender
    fate: Fate
    why: str  # the plan's reason, for the log: "blocked word", "duplicate", "off-topic"


class _Deck(Generic[T]):
    """Every item once in a shuffled order, then again in a new order.

    A new round never starts with the card the last one ended on, so a deck of
    distinct items never gives the same one twice in a row.
    """

    def __init__(self, items: Sequence[T], rng: random.Random) -> None:
        if not items:
            raise ValueError("a deck needs at least one item")
        self.items = tuple(items)
        self.rng = rng
        self._left: list[T] = []
        self._last: T | None = None

    def draw(self) -> T:
        if not self._left:
            deck = list(self.items)
            self.rng.shuffle(deck)
            # Drawn from the end: a new deck must not start with the card the last one ended on.
            if len(deck) > 1 and deck[-1] == self._last:
                deck[0], deck[-1] = deck[-1], deck[0]
            self._left = deck
        self._last = self._left.pop()
        return self._last


@dataclass
class FeedStats:
    """What the feed did. Actions are counted once each, however often they were retried."""

    actions_sent: int = 0  # distinct actions posted at least once
    actions_acknowledged: int = 0  # actions in requests the server answered with 2xx
    actions_dropped: int = 0  # actions in requests refused with a 4xx that retrying cannot fix
    count_acknowledged: int = 0  # sum of their counts: what the public total grew by
    duplicates: int = 0  # as reported by the server: retries it had already counted
    messages_sent: int = 0  # messages the server accepted (into the queue, or straight to the wall)
    messages_approved: int = 0  # by the moderator, or by the rules for a trusted source
    messages_refused: int = 0  # refused by the rules, as planned
    messages_rejected: int = 0  # rejected by the moderator, as planned
    errors: int = 0  # failed requests: network errors and answers the plan did not expect


class CampaignSimulator:
    """Decides what supporters do, second by second. Pure and seeded: no clock, no I/O.

    ``rate`` is the long-run average in actions per second, counted the way
    the public total counts them (a tally of 1,800 letters is 1,800). About
    half arrives as single actions, the rest in petition bursts and offline
    tallies, each a Poisson process so that the timing feels human.

    ``message`` plans the supporters' messages: who sends each one (a new
    supporter every time), what it says, and whether the rules or the
    moderator are meant to refuse it (``PLAN``).
    """

    def __init__(self, rate: float, case_ids: Sequence[str] = (), rng: random.Random | None = None) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.rng = rng or random.Random()
        self.case_ids = tuple(case_ids)
        # Some cases catch the public's imagination more than others.
        self._case_weights = list(itertools.accumulate(self.rng.uniform(1, 5) for _ in self.case_ids))
        self._countries = [c for c, _ in COUNTRIES]
        self._country_weights = list(itertools.accumulate(w for _, w in COUNTRIES))
        self._channels = [c for c, _ in CHANNELS]
        self._channel_weights = list(itertools.accumulate(w for _, w in CHANNELS))
        mean_single = 1 + 0.05 * 6.5  # 5% of single actions are small groups of 2-11
        self._single_rate = rate * STEADY_SHARE / mean_single
        self._burst_rate = rate * BURST_SHARE / (sum(BURST_SIZE) / 2)
        self._tally_rate = rate * TALLY_SHARE / (sum(TALLY_COUNT) / 2)
        self._until_single = self.rng.expovariate(self._single_rate)
        self._until_burst = self.rng.expovariate(self._burst_rate)
        self._until_tally = self.rng.expovariate(self._tally_rate)
        # Messages draw from their own generator (seeded from the first), so the
        # sequence of messages does not depend on how the action traffic was sliced.
        self._message_rng = random.Random(self.rng.getrandbits(64))
        self._plan = _Deck(PLAN, self._message_rng)
        self._shown = _Deck(MESSAGES, self._message_rng)
        self._refused = _Deck(REFUSED, self._message_rng)
        self._off_topic = _Deck(OFF_TOPIC, self._message_rng)
        self._follow_ups: deque[PlannedMessage] = deque()

    def advance(self, dt: float) -> list[list[Action]]:
        """Everything that happens in the next ``dt`` seconds, as request-sized batches."""
        dt = min(max(dt, 0.0), MAX_STEP_S)
        batches: list[list[Action]] = []
        singles: list[Action] = []
        self._until_single -= dt
        while self._until_single <= 0:
            singles.append(self.single())
            self._until_single += self.rng.expovariate(self._single_rate)
        if singles:
            batches.append(singles)
        self._until_burst -= dt
        while self._until_burst <= 0:
            batches.append(self.burst())
            self._until_burst += self.rng.expovariate(self._burst_rate)
        self._until_tally -= dt
        while self._until_tally <= 0:
            batches.append([self.tally()])
            self._until_tally += self.rng.expovariate(self._tally_rate)
        return batches

    def single(self) -> Action:
        count = self.rng.randint(2, 11) if self.rng.random() < 0.05 else 1
        return self._action(self._channel(), self._country(), count, self._case(0.75))

    def burst(self) -> list[Action]:
        """A petition site flushing its queue: one case, signatures and emails, many countries."""
        size = self.rng.randint(*BURST_SIZE)
        case = self._case(0.9)
        channel = self.rng.choice(("signature", "signature", "email"))
        log.info("petition burst: %d %ss", size, channel)
        return [self._action(channel, self._country(), 1, case) for _ in range(size)]

    def tally(self) -> Action:
        """An offline tally typed in by a volunteer: one action, a big count, always letters."""
        count = self.rng.randint(*TALLY_COUNT)
        country = self._country()
        log.info(
            "offline tally: %s letters collected %s in %s",
            f"{count:,}",
            self.rng.choice(_TALLY_PLACES),
            country,
        )
        return self._action("letter", country, count, self._case(0.9))

    def message(self) -> PlannedMessage:
        """The next supporter message, from a supporter of its own, and its planned fate.

        Messages worth showing come from a shuffled deck of all of ``MESSAGES``
        (many languages and scripts, none twice in a row); now and then a
        troll's insult, an off-topic one, or a double tap on "send" instead.
        """
        if self._follow_ups:
            return self._follow_ups.popleft()
        kind = self._plan.draw()
        if kind == "blocked word":
            return self._planned(self._refused.draw(), Fate.REFUSED, kind)
        if kind == "off-topic":
            return self._planned(self._off_topic.draw(), Fate.REJECTED, kind)
        planned = self._planned(self._shown.draw(), Fate.SHOWN, "solidarity")
        if kind == "double tap":
            # The same supporter, the same words, a moment later: the duplicate rule refuses it.
            self._follow_ups.append(PlannedMessage(planned.body, Fate.REFUSED, "duplicate"))
        return planned

    def message_gap(self, every: float) -> float:
        """Seconds until the next message, about ``every`` on average but never a metronome."""
        if self._follow_ups:
            return every * self._message_rng.uniform(0.05, 0.25)  # a double tap follows at once
        return every * self._message_rng.uniform(0.5, 1.5)

    def _planned(self, message: tuple[str, str, str, str], fate: Fate, why: str) -> PlannedMessage:
        lang, name, country, text = message
        # Every message comes from a new supporter, as on a campaign night where
        # thousands write once each; the id is the integrator's own (opaque to the server).
        supporter = f"supporter-{self._message_rng.getrandbits(64):016x}"
        body = {"name": name, "country": country, "text": text, "lang": lang, "sender": supporter}
        return PlannedMessage(body, fate, why)

    def _action(self, channel: str, country: str, count: int, case: str | None) -> Action:
        action: Action = {
            "id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "channel": channel,
            "country": country,
            "count": count,
            "source": SOURCE,
        }
        if case is not None:
            action["case"] = case
        return action

    def _country(self) -> str:
        return self.rng.choices(self._countries, cum_weights=self._country_weights)[0]

    def _channel(self) -> str:
        return self.rng.choices(self._channels, cum_weights=self._channel_weights)[0]

    def _case(self, probability: float) -> str | None:
        if not self.case_ids or self.rng.random() >= probability:
            return None
        return self.rng.choices(self.case_ids, cum_weights=self._case_weights)[0]


# ------------------------------------------------------------------------------ sending

#: Answers worth retrying: the server is busy, restarting or rate-limiting us.
_RETRY_STATUSES = frozenset({408, 425, 429})
_BACKOFF_START_S, _BACKOFF_MAX_S = 0.25, 5.0
#: How long a stopped feed lets a request in flight finish before cancelling it.
_STOP_GRACE_S = 0.5


async def run_feed(
    base_url: str,
    ingest_token: str,
    operator_token: str,
    *,
    rate: float = 40.0,
    seed: int | None = None,
    stop: asyncio.Event,
    case_ids: Sequence[str] = (),
    message_every: float = 4.0,
    tick: float = 0.1,
) -> FeedStats:
    """Post simulated actions and messages to the server at ``base_url`` until ``stop`` is set.

    Actions go to ``POST /api/v1/actions`` with the ingest token, a few per
    ``tick``, bursts as one ``{"actions": [...]}`` request. About every
    ``message_every`` seconds a supporter message is submitted and then
    decided by a moderator with the operator token: approved, so it reaches
    the screens, or rejected when the plan says no moderator would show it.

    Messages are posted the way a petition site or a campaign app relays its
    supporters' messages in a real deployment: with the integrator's ingest
    token and the integrator's own id for each supporter (``sender``), which
    the server's flood and duplicate rules then count per supporter. The other
    honest way, one simulated phone per supporter with its own cookie on the
    public form, cannot work from one machine: the form is also rate-limited
    per address, and every simulated phone would share 127.0.0.1.

    Returns the counts when stopped; never raises for anything the network or
    the server does.
    """
    rng = random.Random(seed)
    sim = CampaignSimulator(rate, case_ids, rng)
    stats = FeedStats()
    base = base_url.rstrip("/")
    timeout = aiohttp.ClientTimeout(total=10, connect=3)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        sender = _Sender(session, base, stop, stats, rng)
        tasks = [
            asyncio.create_task(_actions_loop(sender, sim, ingest_token, tick), name="feed-actions"),
            asyncio.create_task(
                _messages_loop(sender, sim, ingest_token, operator_token, message_every),
                name="feed-messages",
            ),
        ]
        try:
            await stop.wait()
            await asyncio.wait(tasks, timeout=_STOP_GRACE_S)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    log.info("demo feed stopped: %s", stats)
    return stats


class _Sender:
    """HTTP with the feed's error policy: back off and retry the same body; callers judge refusals."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base: str,
        stop: asyncio.Event,
        stats: FeedStats,
        rng: random.Random,
    ) -> None:
        self.session = session
        self.base = base
        self.stop = stop
        self.stats = stats
        self.rng = rng

    async def post(
        self, path: str, body: Any, token: str | None, *, attempts: int | None = None
    ) -> tuple[int, Any] | None:
        """POST until a 2xx or a final 4xx; None when stopped or out of attempts.

        Retries network errors, 5xx, 408, 425 and 429 with jittered
        exponential backoff (honouring Retry-After), logging each at WARNING.
        Other 4xx answers are returned at once, with the JSON error body (or
        the start of the text): sending the same request again cannot fix
        them, and only the caller knows whether the refusal was expected.

        A stop ends the retries, not the first try: the halves of a batch the
        server found too large still go out in the stop's grace period, so a
        batch the feed started is acknowledged whole, not in part.
        """
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        delay = _BACKOFF_START_S
        tries = 0
        while tries == 0 or not self.stop.is_set():
            tries += 1
            wait = delay
            try:
                async with self.session.post(self.base + path, json=body, headers=headers) as resp:
                    if 200 <= resp.status < 300:
                        try:
                            return resp.status, await resp.json(content_type=None)
                        except ValueError:
                            return resp.status, None
                    detail = (await resp.text())[:200]
                    if resp.status < 500 and resp.status not in _RETRY_STATUSES:
                        return resp.status, _error_body(detail)
                    problem = f"HTTP {resp.status} {detail}"
                    wait = max(delay, _retry_after(resp.headers.get("Retry-After")))
            except (aiohttp.ClientError, TimeoutError) as exc:
                problem = str(exc) or type(exc).__name__  # a timeout has no message of its own
            self.stats.errors += 1
            if attempts is not None and tries >= attempts:
                log.warning("POST %s: %s; giving up", path, problem)
                return None
            log.warning("POST %s: %s; retrying", path, problem)
            if await _stopped_within(self.stop, wait * self.rng.uniform(0.8, 1.2)):
                return None
            delay = min(delay * 2, _BACKOFF_MAX_S)
        return None

    def failed(self, path: str, status: int, data: Any) -> None:
        """A refusal nobody planned: a real failure, logged as one."""
        self.stats.errors += 1
        log.error("POST %s: HTTP %d %s", path, status, data)


def _error_body(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _error_code(data: Any) -> tuple[str, str]:
    """(code, message) of an API error body ``{"error": {"code", "message"}}``; empty when not one."""
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return "", str(data)
    return str(error.get("code", "")), str(error.get("message", ""))


def _retry_after(value: str | None) -> float:
    try:
        return min(float(value), 60.0) if value else 0.0
    except ValueError:
        return 0.0  # an HTTP date: fall back to our own backoff


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep, but wake at once when ``stop`` is set. True if it was."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=max(seconds, 0.0))
    return stop.is_set()


async def _actions_loop(sender: _Sender, sim: CampaignSimulator, token: str, tick: float) -> None:
    loop = asyncio.get_running_loop()
    last = loop.time()
    while not sender.stop.is_set():
        try:
            now = loop.time()
            batches = sim.advance(now - last)
            last = now
            for batch in batches:
                await _send_actions(sender, batch, token)
                if sender.stop.is_set():
                    return
        except Exception:  # a bug here must not end the demo
            sender.stats.errors += 1
            log.exception("demo feed: unexpected error sending actions")
        await _stopped_within(sender.stop, tick)


async def _send_actions(sender: _Sender, batch: list[Action], token: str, *, retry: bool = False) -> None:
    if not retry:
        sender.stats.actions_sent += len(batch)
    body: Any = batch[0] if len(batch) == 1 else {"actions": batch}
    answer = await sender.post("/api/v1/actions", body, token)
    if answer is None:
        return  # stopped while retrying
    status, data = answer
    if 200 <= status < 300:
        sender.stats.actions_acknowledged += len(batch)
        sender.stats.count_acknowledged += sum(a["count"] for a in batch)
        if isinstance(data, dict) and isinstance(data.get("duplicates"), int):
            sender.stats.duplicates += data["duplicates"]
    elif status == 413 and len(batch) > 1:
        half = len(batch) // 2  # the server takes smaller batches: send it in halves
        await _send_actions(sender, batch[:half], token, retry=True)
        await _send_actions(sender, batch[half:], token, retry=True)
    else:
        sender.failed("/api/v1/actions", status, data)  # every action the feed makes is valid
        sender.stats.actions_dropped += len(batch)


async def _messages_loop(
    sender: _Sender, sim: CampaignSimulator, ingest_token: str, operator_token: str, every: float
) -> None:
    while not await _stopped_within(sender.stop, sim.message_gap(every)):
        try:
            await _send_message(sender, sim.message(), ingest_token, operator_token)
        except Exception:
            sender.stats.errors += 1
            log.exception("demo feed: unexpected error sending a message")


async def _send_message(
    sender: _Sender, planned: PlannedMessage, ingest_token: str, operator_token: str
) -> None:
    path = "/api/v1/messages"
    # One try only: a message has no id, so a retry after a lost answer could
    # post it twice. Another one comes along in a few seconds anyway.
    answer = await sender.post(path, planned.body, ingest_token, attempts=1)
    if answer is None:
        return
    status, data = answer
    if not 200 <= status < 300:
        code, detail = _error_code(data)
        # The server names the rule that refused it ("blocked word 'idiot'", "duplicate of a
        # recent message"): expected only when it is the rule the plan meant to meet.
        if status == 422 and code == "rejected" and planned.fate is Fate.REFUSED and planned.why in detail:
            sender.stats.messages_refused += 1
            log.info("the rules refused a message as they should (%s): %s", planned.why, detail)
        elif status == 403 and code == "sender_blocked":
            # An operator blocked this supporter in the panel: their decision, not a fault.
            log.info("a message from a blocked supporter was refused: %s", detail)
        else:
            sender.failed(path, status, data)
        return
    message_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(message_id, str | int) or isinstance(message_id, bool):
        sender.stats.errors += 1
        log.error("POST %s: answer has no message id: %r", path, data)
        return
    sender.stats.messages_sent += 1
    await _moderate(sender, planned, str(message_id), data.get("status"), operator_token)


async def _moderate(
    sender: _Sender, planned: PlannedMessage, message_id: str, status: object, token: str
) -> None:
    """The moderator's decision on a message the rules let through.

    The plan stands in for a human's judgement: what was written in
    solidarity is approved, the rest rejected, as a moderator would.
    """
    if planned.fate is Fate.REFUSED:
        # The rules were expected to refuse this (an operator may have edited the
        # blocklist since): still no message for a wall, so the moderator rejects it.
        log.warning("the rules let through a message the plan expected them to refuse (%s)", planned.why)
    decision = "approve" if planned.fate is Fate.SHOWN else "reject"
    if decision == "approve" and status == "approved":
        sender.stats.messages_approved += 1  # a trusted source: the rules approved it already
        return
    path = f"/api/v1/messages/{message_id}/{decision}"
    answer = await sender.post(path, None, token, attempts=4)
    if answer is None:
        return
    if not 200 <= answer[0] < 300:
        sender.failed(path, *answer)
    elif decision == "approve":
        sender.stats.messages_approved += 1
    else:
        sender.stats.messages_rejected += 1
        log.info("the moderator rejected a message as planned (%s): %r", planned.why, planned.body["text"])
