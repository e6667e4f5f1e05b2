from projector.core.model import Action, Channel
from projector.core.protocol import EventFrame, Snapshot, event_frame
from projector.core.replica import Outcome, Replica
from projector.core.state import Command, Event, Message, RecordActions, ShowMessage, ShowState, reduce


def run(commands: list[Command]) -> tuple[ShowState, list[Event]]:
    state = ShowState()
    events: list[Event] = []
    for i, command in enumerate(commands):
        state, new = reduce(state, command, float(i))
        events += new
    return state, events


def acts(n: int) -> RecordActions:
    return RecordActions(tuple(Action(f"a{n}-{i}", Channel.EMAIL, "DE") for i in range(n)))


def test_needs_a_snapshot_first() -> None:
    _, events = run([acts(1)])
    assert Replica().receive(event_frame(events[0])) is Outcome.NO_SNAPSHOT


def test_applies_in_order_ignores_stale_and_detects_gaps() -> None:
    base = ShowState()
    _, events = run([acts(1), acts(2), ShowMessage(Message("m", "hi")), acts(3)])
    replica = Replica()
    replica.load(Snapshot(base, 50.0), 40.0)
    assert replica.server_offset == 10.0
    assert replica.receive(event_frame(events[0])) is Outcome.APPLIED
    assert replica.receive(event_frame(events[0])) is Outcome.STALE
    assert replica.receive(event_frame(events[2])) is Outcome.GAP  # skipped rev 2
    assert replica.state is not None
    assert replica.state.rev == 1


def test_merged_totals_frame_is_not_a_gap() -> None:
    final, events = run([acts(1), acts(2), acts(3)])
    replica = Replica()
    replica.load(Snapshot(ShowState(), 0.0), 0.0)
    assert replica.receive(EventFrame(events[2], first_rev=1)) is Outcome.APPLIED
    assert replica.state == final
