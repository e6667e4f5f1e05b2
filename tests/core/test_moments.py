"""The record moment holds auto-follow until its celebration is over; nothing else does."""

from __future__ import annotations

from dataclasses import replace

from projector.core.cues import parse_show
from projector.core.moments import CELEBRATION_SECONDS, COUNTER_LANDING_SECONDS, celebration_ends, follow_at
from projector.core.state import Go, Hold, LoadShow, ShowState, reduce

KNOWN = {"totals", "portrait", "messages"}


def on_cue(scene: str = "totals", params: dict[str, object] | None = None, hold: float = 30.0) -> ShowState:
    show = parse_show(
        {
            "id": "s",
            "cues": [
                {"id": "a", "scene": scene, "params": params or {}, "hold": hold},
                {"id": "b", "scene": "messages"},
            ],
        },
        KNOWN,
    )
    state, _ = reduce(ShowState(), LoadShow(show), 1000.0)
    state, _ = reduce(state, Go(), 1000.0)
    return state


def test_without_a_record_auto_follow_is_due_at_the_hold() -> None:
    assert follow_at(on_cue()) == 1030.0
    assert celebration_ends(on_cue()) is None


def test_a_record_beaten_during_the_hold_pushes_auto_follow_past_the_celebration() -> None:
    state = replace(on_cue(), record_beaten_at=1025.0)
    ends = 1025.0 + COUNTER_LANDING_SECONDS + CELEBRATION_SECONDS
    assert celebration_ends(state) == ends
    assert follow_at(state) == ends


def test_the_cue_s_own_celebration_length_counts_and_zero_means_none() -> None:
    state = replace(on_cue(params={"celebration": 2}), record_beaten_at=1029.0)
    assert follow_at(state) == 1029.0 + COUNTER_LANDING_SECONDS + 2
    assert follow_at(replace(on_cue(params={"celebration": 0}), record_beaten_at=1029.0)) == 1030.0
    assert follow_at(replace(on_cue(params={"celebration": "long"}), record_beaten_at=1029.0)) == (
        1029.0 + COUNTER_LANDING_SECONDS + CELEBRATION_SECONDS
    )


def test_only_a_totals_cue_waits_and_an_old_record_does_not() -> None:
    assert follow_at(replace(on_cue(scene="portrait"), record_beaten_at=1025.0)) == 1030.0
    assert follow_at(replace(on_cue(), record_beaten_at=500.0)) == 1030.0  # beaten long before


def test_a_held_show_does_not_follow_at_all() -> None:
    state, _ = reduce(on_cue(), Hold(), 1001.0)
    assert follow_at(state) is None
