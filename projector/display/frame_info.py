"""What a display reports after each presented frame (the ``on_frame`` hook of its options).

A module of its own so that the options can name it without importing the
display loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # an annotation only: building options must not need pygame
    import pygame


@dataclass(frozen=True, slots=True)
class FrameInfo:
    """One presented frame, for tests and the action-to-frame benchmark.

    ``total`` is the replica's total in the state this frame was drawn from;
    ``displayed`` is what the totals counter showed (None on other scenes).
    """

    index: int
    time: float
    rev: int
    total: int
    displayed: int | None
    scene: str
    connected: bool
    #: The message in the wall's spotlight, when the wall is on screen.
    spotlight: str | None = None
    #: What this frame cost (events, state, update, draw), without waiting for vsync.
    work_ms: float = 0.0
    #: The first output's frame as its projector gets it (warped): software path only, and
    #: only valid during the ``on_frame`` call.
    output: pygame.Surface | None = None
