"""Which rundown step comes next: the rotation and a pinned scene, without pygame."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import pytest

from projector.core.model import Case, CaseStatus
from projector.core.rundown import ROTATION_ORDER, Position, Step, active_case_ids, next_step
from projector.core.state import ShowState


def step(name: str, **params: Any) -> Step:
    return Step(name, MappingProxyType(params))


ROTATION_CASES: list[tuple[str, Sequence[str], Position, Sequence[str], bool, Step, Position]] = [
    # (why, order, from, active cases, wall, step shown, position after)
    ("totals first", ROTATION_ORDER, Position(0, 0), ["a"], True, step("totals"), Position(1, 0)),
    (
        "a portrait next",
        ROTATION_ORDER,
        Position(1, 0),
        ["a", "b"],
        True,
        step("portrait", case="a"),
        Position(2, 1),
    ),
    (
        "cases in turn",
        ROTATION_ORDER,
        Position(1, 1),
        ["a", "b"],
        True,
        step("portrait", case="b"),
        Position(2, 2),
    ),
    (
        "cases wrap",
        ROTATION_ORDER,
        Position(1, 2),
        ["a", "b"],
        True,
        step("portrait", case="a"),
        Position(2, 3),
    ),
    ("the wall", ROTATION_ORDER, Position(2, 0), ["a"], True, step("messages"), Position(3, 0)),
    ("order wraps", ROTATION_ORDER, Position(3, 0), ["a"], True, step("totals"), Position(4, 0)),
    ("no case: portrait skipped", ROTATION_ORDER, Position(1, 0), [], True, step("messages"), Position(3, 0)),
    ("empty wall: skipped", ROTATION_ORDER, Position(2, 5), ["a"], False, step("totals"), Position(4, 5)),
    (
        "nothing to show: totals",
        ("portrait", "messages"),
        Position(0, 0),
        [],
        False,
        step("totals"),
        Position(2, 0),
    ),
    ("a custom order", ("ticker", "qr"), Position(1, 0), [], False, step("qr"), Position(2, 0)),
]


@pytest.mark.parametrize(
    ("order", "position", "active", "wall", "shown", "after"),
    [case[1:] for case in ROTATION_CASES],
    ids=[case[0] for case in ROTATION_CASES],
)
def test_the_rotation_shows_the_next_kind_that_has_something_to_show(
    order: Sequence[str], position: Position, active: Sequence[str], wall: bool, shown: Step, after: Position
) -> None:
    got, then = next_step(order, position, pinned=None, active_cases=active, wall=wall)
    assert got.same_as(shown), got
    assert then == after


PINNED_CASES: list[tuple[str, Step, Position, Sequence[str], Step, Position]] = [
    # (why, pinned, from, active cases, step shown, position after)
    ("a pinned scene stays", step("qr", url="x"), Position(3, 4), ["a"], step("qr", url="x"), Position(3, 4)),
    ("pinned portrait: cases in turn", step("portrait"), Position(0, 1), ["a", "b"], step("portrait", case="b"), Position(0, 2)),
    ("pinned portrait keeps params", step("portrait", zoom=2), Position(0, 0), ["a"], step("portrait", zoom=2, case="a"), Position(0, 1)),
    ("pinned portrait of one case", step("portrait", case="z"), Position(0, 0), ["a"], step("portrait", case="z"), Position(0, 0)),
    ("pinned portrait, no case active", step("portrait"), Position(0, 0), [], step("portrait"), Position(0, 0)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("pinned", "position", "active", "shown", "after"),
    [case[1:] for case in PINNED_CASES],
    ids=[case[0] for case in PINNED_CASES],
)
def test_a_pinned_scene_replaces_the_rotation(
    pinned: Step, position: Position, active: Sequence[str], shown: Step, after: Position
) -> None:
    got, then = next_step(ROTATION_ORDER, position, pinned=pinned, active_cases=active, wall=True)
    assert got.same_as(shown), got
    assert then == after


def test_walking_the_rotation_visits_every_kind_and_every_case() -> None:
    position, shown = Position(), []
    for _ in range(6):
        got, position = next_step(ROTATION_ORDER, position, pinned=None, active_cases=["a", "b"], wall=True)
        shown.append((got.name, dict(got.params)))
    assert shown == [
        ("totals", {}),
        ("portrait", {"case": "a"}),
        ("messages", {}),
        ("totals", {}),
        ("portrait", {"case": "b"}),
        ("messages", {}),
    ]


def test_active_case_ids_are_sorted_and_leave_out_the_others() -> None:
    cases: Mapping[str, Case] = {
        "b": Case("b", "B", "TR"),
        "a": Case("a", "A", "TR"),
        "c": Case("c", "C", "TR", status=CaseStatus.RELEASED),
    }
    assert active_case_ids(ShowState(cases=MappingProxyType(dict(cases)))) == ["a", "b"]


def test_steps_compare_by_name_and_params() -> None:
    assert step("qr", url="x").same_as(step("qr", url="x"))
    assert not step("qr", url="x").same_as(step("qr", url="y"))
    assert not step("qr").same_as(None)
