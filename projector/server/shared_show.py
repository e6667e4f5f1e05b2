"""Several nodes, one live show: every change decided under the event log's lock, every
node applying everyone's events in revision order (PostgreSQL only; issue 17).

With SQLite a server is alone with its data directory and ``Show`` reduces commands in
memory. On PostgreSQL any number of nodes share the database, and this is how they
share the show:

- **A node's state is the log's.** At start a node reads the facts (totals from the
  action log, cases, campaign, wall, the stored cue) and the log's head in one snapshot
  of the database; its ``rev`` *is* that head. From then on every event it applies
  carries the log's revision, so a display gets the same revisions from any node and
  can move between them.
- **Commands are decided under the lock.** ``decide`` runs on the store's writer thread,
  in one transaction: take the log's advisory lock, apply the events other nodes
  appended since this node's revision, run the pure ``reduce`` on the result, store a
  cue change's settings, append the new events, commit (which sends the ``NOTIFY``).
  Two GOs on two nodes at once are therefore decided one after the other.
- **Counting is committed with the actions.** The store calls ``count`` inside the
  transaction that inserts a group of actions: the totals event is appended in that
  same transaction, one event per group commit, so an acknowledged action is counted
  exactly once, on every node, and a node that dies between the two cannot exist.
- **Following.** A task per node waits on ``LISTEN`` (at most ``WAKE_S``) and then reads
  the table after its revision: a missed notification is a delay, never a lost event.
- **Timers run on one node.** The node holding the ``TimerLease`` runs the auto-follow
  timer and the scheduler; ``runs_timers`` says whether this one does. The lease moves
  within seconds when its node dies. (An auto-follow fired twice would still advance
  once: ``reduce`` ignores it when the cue has moved on.)

The writer thread owns ``_state`` (the state at the revision this node has applied): it
is read and replaced only there, in the order the writer serves requests. The event
loop's copy (``Show.state``) is replaced by ``Show.publish``, scheduled from the writer
thread after each commit in that same order.

Revisions, not clocks, order events; a node's clock only stamps ``at`` on what it decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import replace

from projector.core.model import Action
from projector.core.protocol import EventFrame, event_frame, from_wire, to_wire
from projector.core.state import Command, CommandRefused, Event, RecordActions, ShowState, apply, reduce
from projector.server import tasks
from projector.server.node_clock import NodeClock
from projector.server.show import Show, Write
from projector.server.show_control import CUE_SETTING, SHOW_SETTING, changes_the_cue, saved_form
from projector.store.base import Store
from projector.store.records import StoreError
from projector.store.writer import StoreWriter

try:
    from projector.store import events
    from projector.store.postgres import PgConnection, PostgresStore
except ModuleNotFoundError as exc:  # psycopg, the optional "postgres" extra: no shared show without it
    if not (exc.name or "").startswith("psycopg"):
        raise

log = logging.getLogger("projector.server.shared_show")

#: The longest a node waits for a wake-up before reading the log anyway.
WAKE_S = 1.0
#: A clock reading whose round trip took longer than this is not used.
CLOCK_RTT_S = 0.05
#: A change of the offset to the database's clock worth a line in the log.
CLOCK_WARN_S = 1.0


def event_body(event: Event) -> str:
    """How an event is kept in the log: its display wire form, which the core already decodes."""
    return json.dumps(to_wire(event_frame(event)), separators=(",", ":"), ensure_ascii=False)


def event_from_body(body: str) -> Event:
    frame = from_wire(json.loads(body))
    if not isinstance(frame, EventFrame):
        raise ValueError(f"the event log holds a {type(frame).__name__}, not an event")
    return frame.event


def node_name(port: int) -> str:
    """Who appended an event, for people reading the log: host, process and port."""
    return f"{socket.gethostname()}:{os.getpid()}:{port}"


def _postgres(store: Store) -> PostgresStore:
    if not isinstance(store, PostgresStore):
        raise TypeError("a shared show needs the PostgreSQL store")
    return store


class SharedShow:
    """This node's share of the show; ``Show.decider`` while it runs."""

    def __init__(self, show: Show, writer: StoreWriter, node: str, clock: NodeClock) -> None:
        self.show = show
        self.writer = writer
        self.node = node
        self.clock = clock
        self._state = ShowState()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._url = ""
        self._listener: events.EventListener | None = None
        self._lease: events.TimerLease | None = None
        self._task: asyncio.Task[None] | None = None
        #: Whether this node holds the timer lease (read on the event loop).
        self.leader = False
        #: The catch-up read running now, and the one queued behind it (``caught_up``).
        self._reading: asyncio.Future[None] | None = None
        self._queued: asyncio.Future[None] | None = None

    # --- lifecycle (event loop) -------------------------------------------------------

    async def start(self, load: Callable[[Store], ShowState]) -> ShowState:
        """Read the facts (``load``) and the log's head as of one moment, count ingest in the
        log from now on, and start following the other nodes. Returns the state to serve."""
        self._loop = asyncio.get_running_loop()
        state = await self.writer.call(lambda store: self._open(store, load))
        self.show.state = state
        self.show.decider = self
        self._listener = await asyncio.to_thread(events.EventListener, self._url)
        await self._set_clock()
        self._lease = await asyncio.to_thread(events.TimerLease, self._url)
        self.leader = await asyncio.to_thread(self._lease.try_acquire)
        self._task = self._loop.create_task(self._follow(), name="shared-show")
        log.info(
            "node %s shares the show at revision %d%s",
            self.node,
            state.rev,
            " (runs the timers)" * self.leader,
        )
        return state

    async def close(self) -> None:
        await tasks.stop(self._task)
        self._task = None
        for part in (self._listener, self._lease):
            if part is not None:
                await asyncio.to_thread(part.close)
        self._listener = self._lease = None
        self.leader = False

    # --- deciding (called on the event loop, run on the writer thread) -----------------

    async def decide(self, command: Command, now: float) -> list[Event]:
        """Decide ``command`` under the log's lock; returns this node's new events.

        Raises ``CommandRefused`` (nothing appended; what other nodes did meanwhile is
        still applied) or ``StoreError`` (nothing appended: the database is unreachable).
        """
        if isinstance(command, RecordActions):
            # Already counted: the store appended their totals event when it stored them (``count``).
            return []
        return await self.decide_written(lambda store: [command], now)

    async def decide_written(self, write: Write, now: float) -> list[Event]:
        """``write`` and the commands it names, decided in one transaction (``Show.execute_written``)."""
        decided: list[Event] = await self.writer.call(lambda store: self._decide(store, write, now))
        return decided

    # --- the writer thread ------------------------------------------------------------

    def _open(self, store: Store, load: Callable[[Store], ShowState]) -> ShowState:
        pg = _postgres(store)
        with pg.consistent_read() as conn:
            state = load(store)
            head = events.head(conn.raw)
        self._state = replace(state, rev=head)
        self._url = pg.url
        pg.record_hook = self.count
        return self._state

    def _decide(self, store: Store, write: Write, now: float) -> list[Event]:
        conn = _postgres(store).connection
        refused: CommandRefused | None = None
        with conn.unavailable_as_store_error():
            raw = conn.raw
            with raw.transaction():
                missed, head = events.lock_and_catch_up(raw, self._state.rev)
                caught_up, theirs = self._applied(self._state, missed)
                try:
                    # A savepoint: a refused command takes back what its write stored. The
                    # store's own transactions nest in it (savepoints too), so the facts,
                    # the cue settings and the events commit together or not at all.
                    with raw.transaction():
                        state, ours = caught_up, []
                        for command in write(store):
                            state, more = reduce(state, command, now)
                            ours += more
                except CommandRefused as exc:
                    refused, state, ours = exc, caught_up, []
                if ours and changes_the_cue(ours):
                    show, cue = saved_form(state)
                    # In the decision's transaction: a node starting later reads the cue
                    # and the revision it belongs to as of one moment.
                    PostgresStore.put_setting_in(conn, SHOW_SETTING, show)
                    PostgresStore.put_setting_in(conn, CUE_SETTING, cue)
                events.append_locked(raw, self.node, head, [event_body(e) for e in ours], now)
        self._committed(state, [*theirs, *ours])
        if refused is not None:
            raise refused
        return ours

    def count(
        self, conn: PgConnection, actions: Sequence[Action], received_at: float
    ) -> Callable[[], None] | None:
        """The store's record hook: append the totals these actions make, in their transaction."""
        if not actions:
            return None
        raw = conn.raw
        missed, head = events.lock_and_catch_up(raw, self._state.rev)
        caught_up, theirs = self._applied(self._state, missed)
        state, ours = reduce(caught_up, RecordActions(tuple(actions)), received_at)
        events.append_locked(raw, self.node, head, [event_body(e) for e in ours], received_at)
        return lambda: self._committed(state, [*theirs, *ours])

    def _catch_up(self, store: Store) -> int:
        conn = _postgres(store).connection
        with conn.unavailable_as_store_error():
            missed = events.since(conn.raw, self._state.rev)
        if missed:
            self._committed(*self._applied(self._state, missed))
        return len(missed)

    @staticmethod
    def _applied(state: ShowState, logged: Sequence[events.LoggedEvent]) -> tuple[ShowState, list[Event]]:
        applied: list[Event] = []
        for entry in logged:
            event = event_from_body(entry.body)
            if event.rev != state.rev + 1 or entry.rev != event.rev:
                raise StoreError(
                    f"event log out of step: revision {entry.rev} holds rev {event.rev} after {state.rev}"
                )
            state = apply(state, event)
            applied.append(event)
        return state, applied

    def _committed(self, state: ShowState, happened: list[Event]) -> None:
        self._state = state
        if happened and self._loop is not None:
            self._loop.call_soon_threadsafe(self.show.publish, state, happened)

    # --- following (event loop) -------------------------------------------------------

    async def _set_clock(self) -> None:
        """Take the database's time as this node's (``node_clock.py``); a slow answer is no measure."""
        assert self._listener is not None
        offset, round_trip = await asyncio.to_thread(self._listener.clock_offset)
        if round_trip <= CLOCK_RTT_S:
            if abs(offset - self.clock.offset) > CLOCK_WARN_S:
                log.warning("this node's clock is %+.3f s off the database's; using the database's", -offset)
            self.clock.offset = offset

    async def caught_up(self) -> None:
        """Apply what the other nodes appended up to now, before answering from this node's state.

        A display that comes over from a node that died was shown every event that node
        committed; this node's follower may be up to a second behind those. Snapshotting
        after this read, the display never gets an older state (a count going backwards).
        Callers at the same moment share one read, but never one that began before they
        asked (it could miss what they saw). The database being away is no reason to keep
        a display dark: it then gets what this node has.
        """
        if self._queued is None:
            self._queued = asyncio.ensure_future(self._read_after(self._reading))
        with contextlib.suppress(StoreError):
            await asyncio.shield(self._queued)

    async def _read_after(self, before: asyncio.Future[None] | None) -> None:
        if before is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(before)
        self._reading, self._queued = self._queued, None
        try:
            await self.writer.call(self._catch_up)
        finally:
            if self._reading is asyncio.current_task():
                self._reading = None

    async def _follow(self) -> None:
        assert self._listener is not None and self._lease is not None
        while True:
            try:
                await asyncio.to_thread(self._listener.wait, WAKE_S)
                await self.writer.call(self._catch_up)
                await self._set_clock()
            except Exception as exc:  # the database is down or restarting: keep serving, retry
                log.warning("following the event log: %s", exc)
                await asyncio.sleep(WAKE_S)
            leader = await asyncio.to_thread(self._lease.try_acquire)
            if leader != self.leader:
                log.info("node %s %s the timers", self.node, "runs" if leader else "no longer runs")
            self.leader = leader
