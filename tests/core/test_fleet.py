"""Targets, scheduled cues and what the core remembers per target (issue 8)."""

from __future__ import annotations

import pytest

from projector.core.cues import BUILTIN_SCENES, parse_show, show_to_wire
from projector.core.fleet import (
    MAX_CUE_LEAD,
    Target,
    check_target,
    cue_for,
    parse_cue_time,
    parse_display_name,
    parse_groups,
    parse_target,
    targets,
)
from projector.core.model import ValidationError
from projector.core.state import (
    CommandRefused,
    CueChanged,
    Go,
    Hold,
    Jump,
    LoadShow,
    Resume,
    ShowState,
    reduce,
)

NOW = 1_700_000_000.0

SHOW = {
    "id": "night",
    "target": "group:facade",
    "cues": [
        {"id": "a", "scene": "totals", "target": "all"},
        {"id": "b", "scene": "portrait"},
        {"id": "c", "scene": "messages", "target": "display:lobby-tv"},
    ],
}


def loaded() -> ShowState:
    state, _ = reduce(ShowState(), LoadShow(parse_show(SHOW, BUILTIN_SCENES)), NOW)
    return state


# --- targets -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, Target("all")),
        ("all", Target("all")),
        ("group:facade", Target("group", "facade")),
        ("display:Lobby TV 2", Target("display", "Lobby TV 2")),
        ("display:a:b", Target("display", "a:b")),
    ],
)
def test_targets_parse(text: str | None, expected: Target) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    "bad", ["", "everyone", "group:", "group:has space", "room:x", "display:", 3, ["all"]]
)
def test_bad_targets_are_refused_naming_the_field(bad: object) -> None:
    with pytest.raises(ValidationError) as info:
        parse_target(bad, "cues[2].target")
    assert info.value.field == "cues[2].target"


def test_unknown_groups_and_displays_are_refused() -> None:
    check_target(Target("group", "facade"), {"facade"}, set())
    with pytest.raises(ValidationError, match="unknown group 'lobby'"):
        check_target(Target("group", "lobby"), {"facade"}, set())
    with pytest.raises(ValidationError, match="unknown display 'x'"):
        check_target(Target("display", "x"), set(), {"y"})


def test_who_a_target_is_for() -> None:
    assert targets("all", "a", ())
    assert targets(None, "a", ())
    assert targets("group:facade", "a", ("lobby", "facade"))
    assert not targets("group:facade", "a", ("lobby",))
    assert targets("display:a", "a", ())
    assert not targets("display:a", "b", ("a",))
    assert not targets("nonsense", "a", ())


def test_names_and_groups() -> None:
    assert parse_groups(["facade", "lobby", "facade"]) == ("facade", "lobby")
    bad: object
    for bad in ([""], ["a b"], "facade", [1]):
        with pytest.raises(ValidationError):
            parse_groups(bad)
    assert parse_display_name("Lobby TV") == "Lobby TV"
    for bad in ("", " x", "a/b", "tab\there", "x" * 101, None):
        with pytest.raises(ValidationError):
            parse_display_name(bad)


# --- when a cue goes -----------------------------------------------------------------------------


def test_cue_times_from_at_or_in() -> None:
    assert parse_cue_time({}, NOW) is None
    assert parse_cue_time({}, NOW, default_lead=0.15) == pytest.approx(NOW + 0.15)
    assert parse_cue_time({"in": 0.5}, NOW) == NOW + 0.5
    assert parse_cue_time({"at": NOW + 2}, NOW) == NOW + 2


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"at": NOW - 1}, "at", "in the past"),
        ({"at": NOW + MAX_CUE_LEAD + 1}, "at", "use a schedule"),
        ({"at": "soon"}, "at", "server time"),
        ({"at": float("nan")}, "at", "server time"),
        ({"at": True}, "at", "server time"),
        ({"in": -1}, "in", "between"),
        ({"in": "1"}, "in", "number"),
        ({"at": NOW + 1, "in": 1}, "at", "not both"),
    ],
)
def test_bad_cue_times_name_the_field(body: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_cue_time(body, NOW)
    assert info.value.field == field
    assert words in info.value.message


# --- the show's memory of targets ------------------------------------------------------------------


def test_a_show_and_its_cues_carry_targets_through_the_wire_form() -> None:
    show = parse_show(SHOW, BUILTIN_SCENES)
    assert [show.target_of(i) for i in range(3)] == ["all", "group:facade", "display:lobby-tv"]
    again = parse_show(show_to_wire(show), BUILTIN_SCENES)
    assert again == show
    plain = parse_show({"id": "p", "cues": [{"id": "x", "scene": "totals"}]}, BUILTIN_SCENES)
    assert "target" not in show_to_wire(plain) and "target" not in show_to_wire(plain)["cues"][0]  # type: ignore[index]


def test_a_bad_cue_target_is_named_at_load_time() -> None:
    bad = {**SHOW, "cues": [*SHOW["cues"], {"id": "d", "scene": "totals", "target": "floor:2"}]}
    with pytest.raises(ValidationError) as info:
        parse_show(bad, BUILTIN_SCENES)
    assert info.value.field == "cues[3].target"


def test_go_at_a_time_for_a_target_is_remembered_per_target() -> None:
    state = loaded()
    state, events = reduce(state, Go(at=NOW + 0.5), NOW)
    assert events == [CueChanged(state.rev, 0, 1, NOW + 0.5, False, "all")]
    state, _ = reduce(state, Go(), NOW + 2)
    assert (state.program, state.program_target) == (1, "group:facade")
    assert state.targeted == (("all", 0, NOW + 0.5), ("group:facade", 1, NOW + 2))
    # A display in no group keeps cue a; one in the facade group shows b.
    assert cue_for(state.targeted, "lobby-tv", ()) == ("all", 0, NOW + 0.5)
    assert cue_for(state.targeted, "f1", ("facade",)) == ("group:facade", 1, NOW + 2)
    state, _ = reduce(state, Jump("a", target="display:f1"), NOW + 3)
    assert cue_for(state.targeted, "f1", ("facade",)) == ("display:f1", 0, NOW + 3)
    assert cue_for(state.targeted, "f2", ("facade",)) == ("group:facade", 1, NOW + 2)
    # Hold and resume keep the target; a new show forgets them all.
    state, _ = reduce(state, Hold(), NOW + 4)
    assert state.program_target == "display:f1" and len(state.targeted) == 3
    state, _ = reduce(state, Resume(), NOW + 5)
    assert state.targeted[-1] == ("display:f1", 0, NOW + 5)
    state, _ = reduce(state, LoadShow(None), NOW + 7)
    assert state.targeted == () and state.program_target is None


def test_go_before_a_scheduled_cue_is_on_screen_is_refused() -> None:
    state, _ = reduce(loaded(), Go(at=NOW + 1), NOW)
    with pytest.raises(CommandRefused) as info:
        reduce(state, Go(), NOW + 0.5)
    assert info.value.code == "in_transition"
    state, _ = reduce(state, Go(), NOW + 2.5)  # after the cue's 1 s crossfade
    assert state.program == 1
