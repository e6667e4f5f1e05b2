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

from projector.core.cues import Cue, Show
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
    #: Pinned by an operator: kept on the wall however many arrive after it, and
    #: brought back to the spotlight between new messages.
    pinned: bool = False


def _trim_wall(wall: tuple[Message, ...]) -> tuple[Message, ...]:
    """The newest ``WALL_SIZE`` messages, pinned ones kept whatever their age."""
    if len(wall) <= WALL_SIZE:
        return wall
    pinned = sum(1 for m in wall if m.pinned)
    room = max(0, WALL_SIZE - pinned)
    unpinned = [m.id for m in wall if not m.pinned]
    keep = set(unpinned[len(unpinned) - room :]) if room else set()
    return tuple(m for m in wall if m.pinned or m.id in keep)


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
    #: The loaded show; None means displays run their own rotation.
    show: Show | None = None
    #: Index of the cue on program (what screens show) and of the next one
    #: (preloaded on every display so GO shows it with no gap).
    program: int | None = None
    preview: int | None = None
    #: Server time the program cue was taken (hold timing, transitions). It may
    #: lie a little ahead: displays switch when their clock reaches it.
    program_at: float | None = None
    held: bool = False
    blackout: bool = False
    #: Which displays take the program cue ("all", "group:x", "display:x").
    program_target: str | None = None
    #: The last cue taken for each target, newest last: (target, cue index, at).
    #: A display the program cue is not for keeps showing the newest entry that is
    #: (``projector.core.fleet.cue_for``).
    targeted: tuple[tuple[str, int, float | None], ...] = ()

    @property
    def program_cue(self) -> Cue | None:
        if self.show is None or self.program is None:
            return None
        return self.show.cues[self.program]

    @property
    def preview_cue(self) -> Cue | None:
        if self.show is None or self.preview is None:
            return None
        return self.show.cues[self.preview]


class CommandRefused(Exception):
    """A command that would make no sense now (two GOs at once, no show loaded).

    Nothing changes; ``code`` is machine-readable and ``message`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


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


@dataclass(frozen=True, slots=True)
class LoadShow:
    """Replace the cue list. Nothing goes to program until GO."""

    show: Show | None


@dataclass(frozen=True, slots=True)
class Go:
    """Take the preview cue to program. ``expected`` is the program cue the
    operator saw when pressing GO: if someone else pressed first, this GO is
    refused instead of skipping a cue."""

    expected: int | None = None
    check_expected: bool = False
    #: Server time the cue goes on screen (None: now); see ``projector.core.fleet``.
    at: float | None = None
    #: Send the cue to these displays instead of its own target.
    target: str | None = None


@dataclass(frozen=True, slots=True)
class Back:
    at: float | None = None
    target: str | None = None


@dataclass(frozen=True, slots=True)
class Jump:
    cue_id: str
    at: float | None = None
    target: str | None = None


@dataclass(frozen=True, slots=True)
class Hold:
    pass


@dataclass(frozen=True, slots=True)
class Resume:
    pass


@dataclass(frozen=True, slots=True)
class SetBlackout:
    """``on=None`` toggles."""

    on: bool | None = None


@dataclass(frozen=True, slots=True)
class Panic:
    """Back to the safe cue, out of blackout and hold, at once."""


@dataclass(frozen=True, slots=True)
class AutoFollow:
    """The hold time of cue ``index`` ran out (issued by the server's timer)."""

    index: int


Command = (
    RecordActions
    | SetCampaign
    | UpsertCase
    | RemoveCase
    | ShowMessage
    | RetractMessage
    | LoadShow
    | Go
    | Back
    | Jump
    | Hold
    | Resume
    | SetBlackout
    | Panic
    | AutoFollow
)


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


@dataclass(frozen=True, slots=True)
class ShowLoaded:
    rev: int
    show: Show | None


@dataclass(frozen=True, slots=True)
class CueChanged:
    """What is on program and preview now, and since when."""

    rev: int
    program: int | None
    preview: int | None
    at: float | None
    held: bool
    #: The displays that take ``program`` (None with no program).
    target: str | None = None


@dataclass(frozen=True, slots=True)
class BlackoutChanged:
    rev: int
    on: bool


Event = (
    ShowLoaded
    | CueChanged
    | BlackoutChanged
    | TotalsChanged
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
        case LoadShow() | Go() | Back() | Jump() | Hold() | Resume() | SetBlackout() | Panic() | AutoFollow():
            events.extend(_show_control(state, command, now))
            if not events:
                return state, []
    for event in events:
        state = apply(state, event)
    return state, events


def _cue_at(
    state: ShowState, program: int | None, now: float, held: bool = False, target: str | None = None
) -> CueChanged:
    assert state.show is not None
    preview = state.show.after(program)
    if program is None:
        return CueChanged(state.rev + 1, None, preview, None, held)
    return CueChanged(state.rev + 1, program, preview, now, held, target or state.show.target_of(program))


def _show_control(state: ShowState, command: Command, now: float) -> list[Event]:
    """GO, back, jump, hold, blackout and panic: the operator's keys."""
    rev = state.rev
    if isinstance(command, LoadShow):
        show = command.show
        if show == state.show:
            return []
        # A new cue list starts before its first cue; displays go back to their
        # rotation until GO (a show cleared with None does the same).
        return [
            ShowLoaded(rev + 1, show),
            CueChanged(rev + 2, None, 0 if show and show.cues else None, None, False),
        ]
    if isinstance(command, SetBlackout):
        on = (not state.blackout) if command.on is None else command.on
        return [] if on == state.blackout else [BlackoutChanged(rev + 1, on)]
    show = state.show
    if show is None:
        raise CommandRefused("no_show", "no show is loaded")
    match command:
        case Go(expected, check_expected, at, target):
            if check_expected and expected != state.program:
                raise CommandRefused(
                    "conflict", "another operator changed the cue first; look again and retry"
                )
            cue = state.program_cue
            if cue is not None and state.program_at is not None and now < state.program_at:
                raise CommandRefused(
                    "in_transition", f"cue {cue.id!r} is scheduled and not on screen yet; GO again after it"
                )
            if cue is not None and state.program_at is not None and now < state.program_at + cue.duration:
                raise CommandRefused(
                    "in_transition", f"cue {cue.id!r} is still transitioning; GO again when it ends"
                )
            nxt = state.preview
            if nxt is None:
                raise CommandRefused("end_of_show", "the show is at its last cue")
            return [_cue_at(state, nxt, now if at is None else at, target=target)]
        case AutoFollow(index):
            if state.program != index or state.held or state.preview is None:
                return []
            return [_cue_at(state, state.preview, now)]
        case Back(at, target):
            if state.program is None or state.program == 0:
                raise CommandRefused("start_of_show", "the show is at its first cue")
            return [_cue_at(state, state.program - 1, now if at is None else at, target=target)]
        case Jump(cue_id, at, target):
            found = show.index_of(cue_id)
            if found is None:
                raise CommandRefused("unknown_cue", f"no cue {cue_id!r} in the show")
            return [_cue_at(state, found, now if at is None else at, target=target)]
        case Hold():
            if state.held or state.program is None:
                return []
            return [
                CueChanged(
                    rev + 1, state.program, state.preview, state.program_at, True, state.program_target
                )
            ]
        case Resume():
            if not state.held:
                return []
            # The hold time starts again from now.
            return [CueChanged(rev + 1, state.program, state.preview, now, False, state.program_target)]
        case Panic():
            events: list[Event] = [_cue_at(state, show.safe_index, now)]
            if state.blackout:
                events.append(BlackoutChanged(rev + 2, False))
            return events
    return []  # pragma: no cover


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
            return replace(state, rev=rev, wall=_trim_wall(wall))
        case MessageRetracted(rev, message_id):
            return replace(state, rev=rev, wall=tuple(m for m in state.wall if m.id != message_id))
        case ShowLoaded(rev, show):
            return replace(
                state,
                rev=rev,
                show=show,
                program=None,
                preview=None,
                program_at=None,
                held=False,
                program_target=None,
                targeted=(),
            )
        case CueChanged(rev, program, preview, at, held, target):
            targeted: tuple[tuple[str, int, float | None], ...] = ()
            if program is not None:
                who = target or "all"
                targeted = (*(e for e in state.targeted if e[0] != who), (who, program, at))
            return replace(
                state,
                rev=rev,
                program=program,
                preview=preview,
                program_at=at,
                held=held,
                program_target=None if program is None else (target or "all"),
                targeted=targeted,
            )
        case BlackoutChanged(rev, on):
            return replace(state, rev=rev, blackout=on)
    raise TypeError(f"not an event: {event!r}")  # pragma: no cover - exhaustive above
