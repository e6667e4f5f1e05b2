"""Cues that play something with a length of its own: videos and slideshows (issue 18).

A ``video`` cue names one uploaded video (``media``); a ``slides`` cue names
its pictures one parameter each (``slide_1``, ``slide_2`` ..., with
``caption_N`` and ``seconds_N`` beside them), because cue parameters are flat
and short. Both may hold until they end (``hold = "end"``). A slideshow's
length is in its parameters; a video's is in the media record the server made
when it probed the upload, so the server's auto-follow timer asks
``cue_seconds`` with the lengths it knows. Pure: no I/O here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from projector.core.cues import HOLD_END_SCENES, Cue, ParamValue
from projector.core.model import MEDIA_HASH_PATTERN

#: Scenes whose cues may hold until they end.
PLAYOUT_SCENES = HOLD_END_SCENES
#: A slide's time on screen when neither ``seconds_N`` nor ``seconds`` says.
DEFAULT_SLIDE_SECONDS = 6.0
MIN_SLIDE_SECONDS = 1.0
MAX_SLIDE_SECONDS = 3600.0
_SLIDE = re.compile(r"^slide_([1-9][0-9]?)$")


def _seconds(value: ParamValue | None, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return default
    return min(max(float(value), MIN_SLIDE_SECONDS), MAX_SLIDE_SECONDS)


def slide_numbers(params: Mapping[str, ParamValue]) -> list[int]:
    """The slides' numbers in order (``slide_1``, ``slide_3``: [1, 3]); gaps are allowed."""
    return sorted(int(m.group(1)) for key in params if (m := _SLIDE.match(key)))


def slide_seconds(params: Mapping[str, ParamValue], number: int) -> float:
    """How long slide ``number`` stays: ``seconds_N``, else ``seconds``, else six seconds."""
    default = _seconds(params.get("seconds"), DEFAULT_SLIDE_SECONDS)
    return _seconds(params.get(f"seconds_{number}"), default)


def cue_media(cue: Cue) -> set[str]:
    """The uploaded media a video or slides cue plays (valid hashes only)."""
    if cue.scene == "video":
        values = [cue.params.get("media")]
    elif cue.scene == "slides":
        values = [cue.params.get(f"slide_{n}") for n in slide_numbers(cue.params)]
    else:
        return set()
    return {v for v in values if isinstance(v, str) and MEDIA_HASH_PATTERN.match(v)}


def cue_seconds(cue: Cue, video_seconds: Mapping[str, float]) -> float | None:
    """How long a video or slides cue plays once through; None when unknown (wait for GO).

    A video that loops never ends, so it has no length here.
    """
    if cue.scene == "slides":
        numbers = slide_numbers(cue.params)
        return sum(slide_seconds(cue.params, n) for n in numbers) if numbers else None
    if cue.scene == "video":
        if cue.params.get("loop") is True:
            return None
        media = cue.params.get("media")
        return video_seconds.get(media) if isinstance(media, str) else None
    return None
