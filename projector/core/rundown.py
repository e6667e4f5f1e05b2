"""Which rundown step a display shows next: the rotation and a pinned scene, as pure logic.

The rotation walks an order of scene kinds (``totals``, ``portrait``,
``messages`` by default). A kind that has nothing to show right now is
skipped: ``portrait`` while no case is active, ``messages`` while the wall is
empty. ``portrait`` takes the active cases in turn, so the rotation remembers
two counters: where it is in the order and which case comes next.

A pinned scene is shown instead of the rotation; a pinned ``portrait`` that
names no case still takes the active cases in turn.

Pure: no pygame, no clock, no I/O. The director passes in what it knows and
keeps the returned position when it takes the step; a look ahead (what comes
next, to enter it early) simply drops it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from projector.core.model import CaseStatus
from projector.core.state import ShowState

#: The rotation when a display is given none.
ROTATION_ORDER = ("totals", "portrait", "messages")
#: Rotation kinds that have something to show only sometimes: skipped while they have nothing.
NEEDS_CASES, NEEDS_WALL = "portrait", "messages"
#: What the rotation shows when every kind in its order has nothing to show.
IDLE_STEP_NAME = "totals"


def _no_params() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Step:
    """A scene name and its parameters: one entry of the rotation or one operator cue."""

    name: str
    params: Mapping[str, Any] = field(default_factory=_no_params)

    def same_as(self, other: Step | None) -> bool:
        return other is not None and self.name == other.name and dict(self.params) == dict(other.params)


@dataclass(frozen=True)
class Position:
    """Where the rotation stands: the next kind in its order and the next active case (both counters)."""

    cycle: int = 0
    case: int = 0


def active_case_ids(state: ShowState) -> list[str]:
    """The active cases' ids in a stable order: the order ``portrait`` shows them in."""
    return sorted(case.id for case in state.cases.values() if case.status is CaseStatus.ACTIVE)


def next_step(
    order: Sequence[str],
    position: Position,
    *,
    pinned: Step | None,
    active_cases: Sequence[str],
    wall: bool,
) -> tuple[Step, Position]:
    """The step to show next and the rotation's position once it is taken.

    ``order`` is the rotation's kinds; ``active_cases`` the active cases' ids
    in showing order (``active_case_ids``); ``wall`` whether the message wall
    has anything on it.
    """
    if pinned is not None:
        if pinned.name == NEEDS_CASES and "case" not in pinned.params and active_cases:
            case = active_cases[position.case % len(active_cases)]
            step = Step(NEEDS_CASES, MappingProxyType({**pinned.params, "case": case}))
            return step, Position(position.cycle, position.case + 1)
        return pinned, position
    cycle, case_index = position.cycle, position.case
    step = Step(IDLE_STEP_NAME)
    for _ in order:
        kind = order[cycle % len(order)]
        cycle += 1
        if kind == NEEDS_CASES:
            if active_cases:
                case = active_cases[case_index % len(active_cases)]
                step = Step(NEEDS_CASES, MappingProxyType({"case": case}))
                case_index += 1
                break
        elif kind == NEEDS_WALL:
            if wall:
                step = Step(NEEDS_WALL)
                break
        else:
            step = Step(kind)
            break
    return step, Position(cycle, case_index)
