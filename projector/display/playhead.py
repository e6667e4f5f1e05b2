"""How far into a video or a slideshow a scene is: the server's clock on a cue, its own in a rotation.

On a cue, every display of a group counts from the same server time (the
cue's ``at``, which the director hands over as ``assets.cue_at``), so they
show the same frame, and one that joins late starts where the others are.
In a rotation there is no common start: the scene counts its own frames.
The start is taken on the scene's first update and kept, so a scene fading
out is not moved by the next cue's start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from projector.display.scene import clamp_dt

if TYPE_CHECKING:
    from projector.display.assets import Assets


class Playhead:
    def __init__(self) -> None:
        self._started = False
        self._start: float | None = None
        self._own = 0.0
        #: Seconds since the start, as of the last ``advance``.
        self.seconds = 0.0

    @property
    def on_server_time(self) -> bool:
        return self._start is not None

    def advance(self, assets: Assets, dt: float) -> float:
        """Move on to this frame and say where it is."""
        if not self._started:
            self._started = True
            self._start = assets.cue_at if assets.server_now is not None else None
        if self._start is not None and assets.server_now is not None:
            self.seconds = max(0.0, assets.server_now - self._start)
        else:
            self._own += clamp_dt(dt)
            self.seconds = self._own
        return self.seconds
