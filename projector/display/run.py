"""``run_display``: run a display from its options until it is told to stop.

Apart from ``options`` so that the options (parsed on every ``projector``
command) never import the display loop and pygame, and the loop can import
the options without a circle.
"""

from __future__ import annotations

import logging

from projector.display.app import DisplayApp
from projector.display.heap import keep_heap_small
from projector.display.options import DisplayOptions

log = logging.getLogger(__name__)


def run_display(opts: DisplayOptions) -> int:
    """Run a display until it is told to stop; returns a process exit code.

    0: stopped normally (frames done, Ctrl+Shift+Q, window closed, SIGTERM/SIGINT).
    1: the display could not start, or kept failing (a supervisor should restart it).
    """
    keep_heap_small()  # before the first surface: freed pictures go back to the system
    try:
        return DisplayApp(opts).run()
    except Exception:
        log.exception("the display stopped on an unexpected error")
        return 1
