"""Moments the show waits for: the record celebration holds the scene it happens on.

When the live total passes last year's record, the totals scene celebrates
(the number turns gold, a banner, confetti) for ``celebration`` seconds, once
the counter on screen has climbed past the record. A scene change during it
would land the confetti on a portrait, so auto-follow waits for it to end (an
operator's GO still wins: it is never held). The server's auto-follow timer
and the display's rotation both ask this module. Pure: the time is an argument.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from projector.core.cues import Cue
from projector.core.state import ShowState

#: How long the celebration lasts by default (the totals scene's ``celebration`` parameter).
CELEBRATION_SECONDS = 10.0
#: The longest a celebration may be asked to last.
MAX_CELEBRATION_SECONDS = 120.0
#: How long the counter on screen may take to climb to the total that beat the record
#: (it lands within three seconds of any jump) before the celebration starts.
COUNTER_LANDING_SECONDS = 4.0


def celebration_seconds(value: object) -> float:
    """The ``celebration`` parameter as seconds: the default for anything that is not a sane number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return CELEBRATION_SECONDS
    return min(max(float(value), 0.0), MAX_CELEBRATION_SECONDS)


def celebration_ends(state: ShowState) -> float | None:
    """When the record celebration on the program cue is over (server time), or None if there is none."""
    cue = state.program_cue
    if state.record_beaten_at is None or cue is None or cue.scene != "totals":
        return None
    seconds = celebration_seconds(cue.params.get("celebration", CELEBRATION_SECONDS))
    if seconds <= 0:
        return None
    return state.record_beaten_at + COUNTER_LANDING_SECONDS + seconds


def follow_at(state: ShowState, length: Callable[[Cue], float | None] | None = None) -> float | None:
    """When auto-follow should take the next cue: the program cue's hold, or after the celebration.

    A cue that holds until its video or slideshow ends (``hold = "end"``) asks ``length`` how
    long that is (``core.playout.cue_seconds`` with the server's media); unknown: wait for GO.
    """
    cue = state.program_cue
    if cue is None or state.held or state.program_at is None or state.program is None:
        return None
    hold = cue.hold
    if cue.hold_end:
        hold = length(cue) if length is not None else None
        hold = None if hold is None else max(hold, cue.duration)
    if hold is None:
        return None
    due = state.program_at + hold
    ends = celebration_ends(state)
    if ends is not None and state.record_beaten_at is not None and state.record_beaten_at <= due < ends:
        return ends
    return due
