"""Show state and the only function that changes it.

Everything that affects what a screen shows lives in this file (after h11's
rule for its state machine). ``reduce`` turns a command (an intent) into
events (facts); ``apply`` replays one event. ``reduce`` is written as "decide
the events, then fold ``apply`` over them", so the server and a display's
replica cannot drift: they run the same ``apply``.

Every event carries the ``rev`` the state has after it; rev grows by one per
event, which lets a client detect a gap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from projector.core.model import Action, Campaign, Case, Totals

#: How many approved messages a display keeps for the wall.
WALL_SIZE = 60


@dataclass(frozen=True, slots=True)
class Message:
    """An approved supporter message, as the wall shows it."""

    id: str
    text: str
    name: str = ""
    country: str | None = None
    lang: str | None = None
    shown_at: float = 0.0


def _no_cases() -> Mapping[str, Case]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ShowState:
    rev: int = 0
    campaign: Campaign = field(default_factory=Campaign)
    totals: Totals = field(default_factory=Totals)
    record_beaten_at: float | None = None
    cases: Mapping[str, Case] = field(default_factory=_no_cases)
    wall: tuple[Message, ...] = ()


# --- commands (intents) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordActions:
    """Count actions the store has accepted (duplicates already removed)."""

    actions: tuple[Action, ...]


@dataclass(frozen=True, slots=True)
class SetCampaign:
    campaign: Campaign


@dataclass(frozen=True, slots=True)
class UpsertCase:
    case: Case


@dataclass(frozen=True, slots=True)
class RemoveCase:
    case_id: str


@dataclass(frozen=True, slots=True)
class ShowMessage:
    message: Message


@dataclass(frozen=True, slots=True)
class RetractMessage:
    message_id: str


Command = RecordActions | SetCampaign | UpsertCase | RemoveCase | ShowMessage | RetractMessage


# --- events (facts) -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TotalsChanged:
    """The complete new totals. Carrying all of them (not a delta) is what lets
    the hub coalesce a burst into its latest value."""

    rev: int
    totals: Totals


@dataclass(frozen=True, slots=True)
class RecordBeaten:
    """``at`` is when the total first exceeded the record; None when a changed
    record puts the total back under it."""

    rev: int
    at: float | None


@dataclass(frozen=True, slots=True)
class CampaignChanged:
    rev: int
    campaign: Campaign


@dataclass(frozen=True, slots=True)
class CaseUpdated:
    rev: int
    case: Case


@dataclass(frozen=True, slots=True)
class CaseRemoved:
    rev: int
    case_id: str


@dataclass(frozen=True, slots=True)
class MessageShown:
    rev: int
    message: Message


@dataclass(frozen=True, slots=True)
class MessageRetracted:
    rev: int
    message_id: str


Event = (
    TotalsChanged
    | RecordBeaten
    | CampaignChanged
    | CaseUpdated
    | CaseRemoved
    | MessageShown
    | MessageRetracted
)


def _record_event(rev: int, state: ShowState, total: int, record: int, now: float) -> RecordBeaten | None:
    beaten = record > 0 and total > record
    if beaten and state.record_beaten_at is None:
        return RecordBeaten(rev, now)
    if not beaten and state.record_beaten_at is not None:
        return RecordBeaten(rev, None)
    return None


def reduce(state: ShowState, command: Command, now: float) -> tuple[ShowState, list[Event]]:
    """Decide the events a command causes and return the state after them."""
    rev = state.rev
    events: list[Event] = []
    match command:
        case RecordActions(actions):
            if not actions:
                return state, []
            totals = state.totals.add(actions)
            events.append(TotalsChanged(rev + 1, totals))
            beaten = _record_event(rev + 2, state, totals.total, state.campaign.record, now)
            if beaten is not None:
                events.append(beaten)
        case SetCampaign(campaign):
            if campaign == state.campaign:
                return state, []
            events.append(CampaignChanged(rev + 1, campaign))
            beaten = _record_event(rev + 2, state, state.totals.total, campaign.record, now)
            if beaten is not None:
                events.append(beaten)
        case UpsertCase(case):
            if state.cases.get(case.id) == case:
                return state, []
            events.append(CaseUpdated(rev + 1, case))
        case RemoveCase(case_id):
            if case_id not in state.cases:
                return state, []
            events.append(CaseRemoved(rev + 1, case_id))
        case ShowMessage(message):
            events.append(MessageShown(rev + 1, replace(message, shown_at=now)))
        case RetractMessage(message_id):
            if not any(m.id == message_id for m in state.wall):
                return state, []
            events.append(MessageRetracted(rev + 1, message_id))
    for event in events:
        state = apply(state, event)
    return state, events


def apply(state: ShowState, event: Event) -> ShowState:
    """Replay one event. Used by ``reduce`` and by every display's replica."""
    match event:
        case TotalsChanged(rev, totals):
            return replace(state, rev=rev, totals=totals)
        case RecordBeaten(rev, at):
            return replace(state, rev=rev, record_beaten_at=at)
        case CampaignChanged(rev, campaign):
            return replace(state, rev=rev, campaign=campaign)
        case CaseUpdated(rev, case):
            cases = dict(state.cases)
            cases[case.id] = case
            return replace(state, rev=rev, cases=MappingProxyType(cases))
        case CaseRemoved(rev, case_id):
            cases = dict(state.cases)
            cases.pop(case_id, None)
            return replace(state, rev=rev, cases=MappingProxyType(cases))
        case MessageShown(rev, message):
            wall = (*(m for m in state.wall if m.id != message.id), message)
            return replace(state, rev=rev, wall=wall[-WALL_SIZE:])
        case MessageRetracted(rev, message_id):
            return replace(state, rev=rev, wall=tuple(m for m in state.wall if m.id != message_id))
    raise TypeError(f"not an event: {event!r}")  # pragma: no cover - exhaustive above
