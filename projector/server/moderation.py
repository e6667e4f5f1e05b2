"""The moderation service: every incoming message screened by the rules, and the queue operators watch."""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import replace

from projector.core.moderation import (
    DEFAULT_BLOCKLIST,
    Rules,
    Screened,
    SenderHistory,
    message_key,
    parse_blocklist,
    screen,
)
from projector.store.writer import StoreWriter


class Intake:
    """Screens every incoming message with the moderation rules, remembering
    each sender's recent messages (bounded) for flood and duplicate checks."""

    def __init__(self, rules: Rules, max_senders: int = 50_000) -> None:
        self.rules = rules
        self.max_senders = max_senders
        self._history: OrderedDict[str, SenderHistory] = OrderedDict()
        # In memory only, and bounded like the histories: addresses are personal data,
        # and what they are needed for (flood, a block that follows a cookie change)
        # is a matter of hours.
        self._address_posts: OrderedDict[str, deque[float]] = OrderedDict()
        self._sender_address: OrderedDict[str, str] = OrderedDict()

    def screen(
        self, text: str, name: str, lang: str | None, source: str, sender: str, now: float
    ) -> Screened:
        history = self._history.pop(sender, SenderHistory())
        screened = screen(
            text, name, lang=lang, source=source, sender_history=history, now=now, rules=self.rules
        )
        self._history[sender] = history.record(
            now, screened.key or message_key(text), keep_for=self.rules.history_span
        )
        while len(self._history) > self.max_senders:
            self._history.popitem(last=False)
        return screened

    def address_posts(self, sender: str, address: str, now: float) -> int:
        """Note a public-form post from ``address`` by ``sender``; returns the posts from that
        address in the flood window, this one included."""
        posts = self._address_posts.pop(address, deque())
        while posts and now - posts[0] >= self.rules.flood_window:
            posts.popleft()
        posts.append(now)
        while len(posts) > self.rules.address_flood_max + 1:  # enough to say "too many"
            posts.popleft()
        self._address_posts[address] = posts
        self._sender_address.pop(sender, None)
        self._sender_address[sender] = address
        for table in (self._address_posts, self._sender_address):
            while len(table) > self.max_senders:
                table.popitem(last=False)
        return len(posts)

    def address_of(self, sender: str) -> str | None:
        """The address ``sender`` last posted from, while the server remembers it."""
        return self._sender_address.get(sender)

    def forget(self, sender: str, at: float) -> None:
        """Take back the message screened at ``at``: it was not stored (a full disk), so
        the sender's retry must not count as a flood or a duplicate of it."""
        history = self._history.get(sender)
        if history is not None:
            self._history[sender] = SenderHistory(tuple(e for e in history.entries if e[0] != at))


class ModerationQueue:
    """What operator panels watch: a revision that moves on every change to the
    messages, and the number waiting, so a panel refetches only when needed."""

    def __init__(self) -> None:
        self.rev = 0
        self.pending = 0
        self.listeners: list[Callable[[], None]] = []

    def changed(self, pending: int) -> None:
        self.rev += 1
        self.pending = pending
        for listener in self.listeners:
            listener()


def effective_blocklists(edited: dict[str, str]) -> dict[str, frozenset[str]]:
    """The built-in lists, each language replaced by its edited list where there is one
    (so an operator can also remove a built-in entry that is innocent locally)."""
    lists = dict(DEFAULT_BLOCKLIST)
    for lang, text in edited.items():
        lists[lang] = parse_blocklist(text)
    return lists


async def load_moderation(store: StoreWriter, intake: Intake, queue: ModerationQueue) -> None:
    """The edited blocklists and the queue's size, once the store is open."""
    edited, pending = await store.call(lambda s: (s.blocklists(), s.count_messages("pending")))
    intake.rules = replace(intake.rules, blocklists=effective_blocklists(edited))
    queue.pending = pending
