from projector.core.model import Action, Campaign, Case, Channel
from projector.core.state import (
    WALL_SIZE,
    CampaignChanged,
    Command,
    Message,
    RecordActions,
    RecordBeaten,
    RemoveCase,
    RetractMessage,
    SetCampaign,
    ShowMessage,
    ShowState,
    TotalsChanged,
    UpsertCase,
    apply,
    reduce,
)


def act(
    i: int, channel: Channel = Channel.EMAIL, country: str = "FR", count: int = 1, case: str | None = None
) -> Action:
    return Action(f"a{i}", channel, country, count, case)


def test_record_actions_adds_to_every_breakdown_and_bumps_rev() -> None:
    state, events = reduce(
        ShowState(),
        RecordActions((act(1, count=3, case="ayse"), act(2, Channel.LETTER, "TR", 1800))),
        now=100.0,
    )
    assert state.rev == 1
    assert [type(e) for e in events] == [TotalsChanged]
    assert state.totals.total == 1803
    assert dict(state.totals.by_channel) == {"email": 3, "letter": 1800}
    assert dict(state.totals.by_country) == {"FR": 3, "TR": 1800}
    assert dict(state.totals.by_case) == {"ayse": 3}


def test_empty_batch_changes_nothing() -> None:
    state = ShowState()
    assert reduce(state, RecordActions(()), 1.0) == (state, [])


def test_record_beaten_once_when_total_exceeds_record() -> None:
    state = ShowState(campaign=Campaign(goal=10, record=5))
    state, events = reduce(state, RecordActions((act(1, count=5),)), 10.0)
    assert state.record_beaten_at is None  # equal is not beaten
    state, events = reduce(state, RecordActions((act(2),)), 11.0)
    assert [type(e) for e in events] == [TotalsChanged, RecordBeaten]
    assert [e.rev for e in events] == [2, 3]
    assert state.record_beaten_at == 11.0 and state.rev == 3
    state, events = reduce(state, RecordActions((act(3),)), 12.0)
    assert [type(e) for e in events] == [TotalsChanged]
    assert state.record_beaten_at == 11.0


def test_raising_the_record_clears_the_moment_and_lowering_sets_it() -> None:
    state, _ = reduce(ShowState(campaign=Campaign(record=100)), RecordActions((act(1, count=50),)), 1.0)
    state, events = reduce(state, SetCampaign(Campaign(record=10)), 2.0)
    assert [type(e) for e in events] == [CampaignChanged, RecordBeaten]
    assert state.record_beaten_at == 2.0
    state, _ = reduce(state, SetCampaign(Campaign(record=1000)), 3.0)
    assert state.record_beaten_at is None


def test_no_record_configured_is_never_beaten() -> None:
    state, events = reduce(ShowState(), RecordActions((act(1, count=10**6),)), 1.0)
    assert state.record_beaten_at is None and len(events) == 1


def test_cases_upsert_and_remove_and_no_op_commands_emit_nothing() -> None:
    case = Case("ayse", "Ayşe", "TR")
    state, _events = reduce(ShowState(), UpsertCase(case), 1.0)
    assert state.cases["ayse"] == case and state.rev == 1
    assert reduce(state, UpsertCase(case), 2.0) == (state, [])
    state, _ = reduce(state, RemoveCase("ayse"), 3.0)
    assert "ayse" not in state.cases
    assert reduce(state, RemoveCase("ayse"), 4.0) == (state, [])


def test_wall_keeps_the_newest_messages_and_retracts() -> None:
    state = ShowState()
    for i in range(WALL_SIZE + 5):
        state, _ = reduce(state, ShowMessage(Message(f"m{i}", f"text {i}")), float(i))
    assert len(state.wall) == WALL_SIZE
    assert state.wall[-1].id == f"m{WALL_SIZE + 4}" and state.wall[-1].shown_at == WALL_SIZE + 4
    state, events = reduce(state, RetractMessage(f"m{WALL_SIZE + 4}"), 100.0)
    assert len(events) == 1 and all(m.id != f"m{WALL_SIZE + 4}" for m in state.wall)
    assert reduce(state, RetractMessage("nope"), 101.0)[1] == []


def test_replaying_events_with_apply_reaches_the_same_state() -> None:
    commands: list[Command] = [
        UpsertCase(Case("ayse", "Ayşe", "TR")),
        SetCampaign(Campaign("W4R", goal=100, record=20)),
        RecordActions((act(1, count=15, case="ayse"), act(2, Channel.SMS, "KE", 10))),
        ShowMessage(Message("m1", "Stay strong")),
        RecordActions((act(3, Channel.FAX, "MX"),)),
        RemoveCase("ayse"),
    ]
    server = ShowState()
    replica = ShowState()
    for i, command in enumerate(commands):
        server, events = reduce(server, command, float(i))
        for event in events:
            replica = apply(replica, event)
    assert replica == server
    assert server.rev == 7  # one per event, including RecordBeaten


def test_pinned_messages_stay_on_the_wall_however_many_arrive_after_them() -> None:
    state = ShowState()
    state, _ = reduce(state, ShowMessage(Message("pinned", "Keep me", pinned=True)), now=1.0)
    for i in range(WALL_SIZE + 5):
        state, _ = reduce(state, ShowMessage(Message(f"m{i}", f"message {i}")), now=2.0 + i)
    ids = [m.id for m in state.wall]
    assert len(ids) == WALL_SIZE
    assert ids[0] == "pinned" and ids[-1] == f"m{WALL_SIZE + 4}"
    assert "m0" not in ids
