"""The simulated campaign feed behind ``projector demo``.

A demo has to look like a campaign night: a steady trickle of single actions
from many countries, a petition site that flushes a thousand signatures at
once, a volunteer who types in the 1,800 letters collected at a university,
and supporters writing short messages in their own languages and scripts.
This module produces that traffic against the real public HTTP API, through
the same endpoints and with the same tokens an integrator would use, so a
demo also exercises ingest, moderation and fan-out end to end.

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
import logging
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

__all__ = ["MESSAGES", "CampaignSimulator", "FeedStats", "run_feed"]

log = logging.getLogger(__name__)

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

Action = dict[str, Any]


@dataclass
class FeedStats:
    """What the feed did. Actions are counted once each, however often they were retried."""

    actions_sent: int = 0  # distinct actions posted at least once
    actions_acknowledged: int = 0  # actions in requests the server answered with 2xx
    actions_dropped: int = 0  # actions in requests refused with a 4xx that retrying cannot fix
    count_acknowledged: int = 0  # sum of their counts: what the public total grew by
    duplicates: int = 0  # as reported by the server: retries it had already counted
    messages_sent: int = 0  # messages the server accepted
    messages_approved: int = 0
    errors: int = 0  # failed requests: network errors and non-2xx answers


class CampaignSimulator:
    """Decides what supporters do, second by second. Pure and seeded: no clock, no I/O.

    ``rate`` is the long-run average in actions per second, counted the way
    the public total counts them (a tally of 1,800 letters is 1,800). About
    half arrives as single actions, the rest in petition bursts and offline
    tallies, each a Poisson process so that the timing feels human.
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

    def message(self) -> dict[str, str]:
        lang, name, country, text = self.rng.choice(MESSAGES)
        return {"name": name, "country": country, "text": text, "lang": lang}

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
    ``message_every`` seconds a supporter message is submitted (no auth, like
    the public form) and then approved with the operator token, so it reaches
    the screens. Returns the counts when stopped; never raises for anything
    the network or the server does.
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
                _messages_loop(sender, sim, operator_token, message_every), name="feed-messages"
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
    """HTTP with the feed's error policy: log, count, back off, retry the same body."""

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
        exponential backoff (honouring Retry-After). Other 4xx answers are
        returned at once: sending the same request again cannot fix them.
        """
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        delay = _BACKOFF_START_S
        tries = 0
        while not self.stop.is_set():
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
                    self.stats.errors += 1
                    if resp.status < 500 and resp.status not in _RETRY_STATUSES:
                        log.error("POST %s: HTTP %d %s", path, resp.status, detail)
                        return resp.status, None
                    log.warning("POST %s: HTTP %d %s; retrying", path, resp.status, detail)
                    wait = max(delay, _retry_after(resp.headers.get("Retry-After")))
            except (aiohttp.ClientError, TimeoutError) as exc:
                self.stats.errors += 1
                log.warning("POST %s: %s; retrying", path, exc or type(exc).__name__)
            if attempts is not None and tries >= attempts:
                return None
            if await _stopped_within(self.stop, wait * self.rng.uniform(0.8, 1.2)):
                return None
            delay = min(delay * 2, _BACKOFF_MAX_S)
        return None


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
        sender.stats.actions_dropped += len(batch)


async def _messages_loop(sender: _Sender, sim: CampaignSimulator, token: str, every: float) -> None:
    while not await _stopped_within(sender.stop, every * sim.rng.uniform(0.5, 1.5)):
        try:
            await _send_message(sender, sim.message(), token)
        except Exception:
            sender.stats.errors += 1
            log.exception("demo feed: unexpected error sending a message")


async def _send_message(sender: _Sender, message: dict[str, str], token: str) -> None:
    # One try only: a message has no id, so a retry after a lost answer could
    # post it twice. Another one comes along in a few seconds anyway.
    answer = await sender.post("/api/v1/messages", message, None, attempts=1)
    if answer is None or not 200 <= answer[0] < 300:
        return
    data = answer[1]
    message_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(message_id, str | int) or isinstance(message_id, bool):
        sender.stats.errors += 1
        log.error("POST /api/v1/messages: answer has no message id: %r", data)
        return
    sender.stats.messages_sent += 1
    approved = await sender.post(f"/api/v1/messages/{message_id}/approve", None, token, attempts=4)
    if approved is not None and 200 <= approved[0] < 300:
        sender.stats.messages_approved += 1
