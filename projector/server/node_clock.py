"""The time a node tells its displays and stamps on what it decides.

Alone, a node's time is its own clock. Nodes sharing a show take the database's clock
instead (``SharedShow`` measures the offset), so a GO decided on a node whose clock is
minutes off still goes on screen at the right moment on every other node's displays,
whose clocks are synchronised with their own node's. Revisions, not clocks, order events;
this only keeps ``at`` (when a cue goes on screen) meaningful everywhere.
"""

from __future__ import annotations

import time


class NodeClock:
    def __init__(self) -> None:
        #: Seconds to add to this machine's clock (the database's clock minus ours).
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset
