from typing import Any

import pytest

from projector.core import wire
from projector.core.cues import Show, Transition, parse_show
from projector.core.model import ValidationError
from projector.core.protocol import EventFrame, Snapshot, event_frame
from projector.core.replica import Outcome, Replica
from projector.core.state import (
    AutoFollow,
    Back,
    Command,
    CommandRefused,
    Go,
    Hold,
    Jump,
    LoadShow,
    Panic,
    Resume,
    SetBlackout,
    ShowState,
    reduce,
)

SCENES = {"totals", "portrait", "messages", "blackout"}


def show(loop: bool = False, **extra: Any) -> Show:
    return parse_show(
        {
            "id": "facade",
            "name": "Facade night",
            "loop": loop,
            "cues": [
                {"id": "open", "scene": "totals", "transition": "cut", "safe": True},
                {"id": "ayse", "scene": "portrait", "params": {"case": "ayse"}, "duration": 2.0, "hold": 10},
                {"id": "wall", "scene": "messages", "transition": "wipe", "duration": 1.5},
            ],
            **extra,
        },
        SCENES,
    )


def run(state: ShowState, *commands: Command, now: float = 100.0) -> ShowState:
    for command in commands:
        state, _ = reduce(state, command, now)
    return state


def test_a_show_parses_with_defaults() -> None:
    s = show()
    assert [c.id for c in s.cues] == ["open", "ayse", "wall"]
    assert s.cues[0].duration == 0.0 and s.cues[0].transition is Transition.CUT
    assert dict(s.cues[1].params) == {"case": "ayse"} and s.cues[1].hold == 10.0
    assert s.safe_index == 0


@pytest.mark.parametrize(
    ("cue", "field"),
    [
        ({"id": "x", "scene": "nope"}, "cues[0].scene"),
        ({"id": "x", "scene": "totals", "transition": "spin"}, "cues[0].transition"),
        ({"id": "x", "scene": "totals", "duration": -1}, "cues[0].duration"),
        ({"id": "x", "scene": "totals", "duration": 999}, "cues[0].duration"),
        ({"id": "x", "scene": "totals", "duration": float("nan")}, "cues[0].duration"),
        ({"id": "x", "scene": "totals", "duration": "1s"}, "cues[0].duration"),
        ({"id": "x", "scene": "totals", "duration": 3, "hold": 1}, "cues[0].hold"),
        ({"id": "x", "scene": "totals", "params": {"Bad Key": 1}}, "cues[0].params"),
        ({"id": "x", "scene": "totals", "params": {"case": [1, 2]}}, "cues[0].params.case"),
        ({"id": "bad id!", "scene": "totals"}, "cues[0].id"),
        ({"id": "x", "scene": "totals", "colour": "red"}, "cues[0].colour"),
    ],
)
def test_bad_cues_are_refused_naming_the_field(cue: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_show({"cues": [cue]}, SCENES)
    assert info.value.field == field


@pytest.mark.parametrize("audio", ["yes", 1, "true", 0.0])
def test_video_audio_is_true_or_false_and_nothing_else(audio: object) -> None:
    with pytest.raises(ValidationError, match="true") as info:
        parse_show({"cues": [{"id": "v", "scene": "video", "params": {"audio": audio}}]}, SCENES | {"video"})
    assert info.value.field == "cues[0].params.audio"
    for ok in (True, False):
        cue = {"id": "v", "scene": "video", "params": {"audio": ok}}
        assert parse_show({"cues": [cue]}, SCENES | {"video"}).cues[0].params["audio"] is ok
    # Other scenes' parameters are theirs: a layout may well have a field called audio.
    assert parse_show({"cues": [{"id": "t", "scene": "totals", "params": {"audio": "x"}}]}, SCENES)


def test_duplicate_cue_ids_and_empty_shows_are_refused() -> None:
    with pytest.raises(ValidationError, match="duplicate"):
        parse_show({"cues": [{"id": "a", "scene": "totals"}, {"id": "a", "scene": "totals"}]}, SCENES)
    with pytest.raises(ValidationError):
        parse_show({"cues": []}, SCENES)


def test_go_back_jump_and_the_end_of_the_show() -> None:
    state = run(ShowState(), LoadShow(show()))
    assert (state.program, state.preview) == (None, 0)
    state = run(state, Go())
    assert (state.program, state.preview, state.program_at) == (0, 1, 100.0)
    state = run(state, Go(), now=101.0)
    assert (state.program, state.preview) == (1, 2)
    state = run(state, Back(), now=105.0)
    assert state.program == 0
    state = run(state, Jump("wall"), now=106.0)
    assert (state.program, state.preview) == (2, None)
    with pytest.raises(CommandRefused) as info:
        run(state, Go(), now=120.0)
    assert info.value.code == "end_of_show"
    with pytest.raises(CommandRefused, match="no cue"):
        run(state, Jump("nope"))


def test_a_looping_show_wraps_around() -> None:
    state = run(ShowState(), LoadShow(show(loop=True)), Jump("wall"))
    assert state.preview == 0
    assert run(state, Go(), now=200.0).program == 0


def test_two_gos_at_once_one_wins_and_go_during_a_transition_is_refused() -> None:
    state = run(ShowState(), LoadShow(show()), Go())
    seen = state.program
    state = run(state, Go(expected=seen, check_expected=True), now=101.0)
    with pytest.raises(CommandRefused) as info:
        run(state, Go(expected=seen, check_expected=True), now=110.0)
    assert info.value.code == "conflict"
    # cue "ayse" crossfades for 2 s from t=101
    with pytest.raises(CommandRefused) as info:
        run(state, Go(), now=102.0)
    assert info.value.code == "in_transition"
    assert run(state, Go(), now=103.5).program == 2


def test_auto_follow_hold_and_resume() -> None:
    state = run(ShowState(), LoadShow(show()), Go(), Go())
    assert state.program == 1
    assert run(state, AutoFollow(0)) == state  # stale timer: nothing
    held = run(state, Hold())
    assert held.held and run(held, AutoFollow(1)) == held
    resumed = run(held, Resume(), now=150.0)
    assert not resumed.held and resumed.program_at == 150.0
    assert run(resumed, AutoFollow(1), now=160.0).program == 2


def test_blackout_toggles_and_panic_clears_it_and_goes_to_the_safe_cue() -> None:
    state = run(ShowState(), LoadShow(show()), Go(), Go(), SetBlackout())
    assert state.blackout
    assert not run(state, SetBlackout()).blackout
    assert run(state, SetBlackout(True)) == state
    state = run(state, Panic(), now=300.0)
    assert not state.blackout and state.program == 0
    # blackout works with no show; the cue keys need one
    assert run(ShowState(), SetBlackout(True)).blackout
    with pytest.raises(CommandRefused, match="no show"):
        run(ShowState(), Go())


def test_show_control_round_trips_to_a_replica() -> None:
    server = ShowState()
    replica = Replica()
    replica.load(Snapshot(server, 0.0), 0.0)
    for command in (LoadShow(show()), Go(), SetBlackout(), Go(), Panic()):
        server, events = reduce(server, command, 100.0 + server.rev * 10)
        for event in events:
            frame = wire.decode(wire.encode(event_frame(event)))
            assert isinstance(frame, EventFrame)
            assert replica.receive(frame) is Outcome.APPLIED
    assert replica.state == server
    snapshot = wire.decode(wire.encode(Snapshot(server, 1.0)))
    assert isinstance(snapshot, Snapshot) and snapshot.state == server


def test_a_cue_event_for_a_show_the_replica_lacks_is_a_gap() -> None:
    server, _events = reduce(ShowState(), LoadShow(show()), 0.0)
    server, go = reduce(server, Go(), 1.0)
    replica = Replica()
    replica.load(Snapshot(ShowState(rev=server.rev - 1), 0.0), 0.0)
    assert replica.receive(event_frame(go[0])) is Outcome.GAP
