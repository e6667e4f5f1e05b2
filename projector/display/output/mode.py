"""Where a display's frames go: full screen, a window, or nowhere (headless), chosen once.

The choice is made when the options are built (``--headless``, ``--windowed``
or code) and every later decision asks the mode, instead of each place
combining two booleans of its own.
"""

from __future__ import annotations

import enum


class OutputMode(enum.Enum):
    #: The kiosk: full screen on a monitor, the mouse hidden, a lone Escape ignored.
    FULLSCREEN = "fullscreen"
    #: A desktop window (rehearsals, the demo on a laptop).
    WINDOW = "window"
    #: No screen at all (SDL's dummy driver): tests, renders, benchmarks.
    HEADLESS = "headless"

    @classmethod
    def from_flags(cls, *, headless: bool, windowed: bool) -> OutputMode:
        """The mode the command-line flags ask for; ``--headless`` wins over ``--windowed``."""
        if headless:
            return cls.HEADLESS
        return cls.WINDOW if windowed else cls.FULLSCREEN

    @property
    def on_screen(self) -> bool:
        """Whether frames are shown on a real video device (which must then exist)."""
        return self is not OutputMode.HEADLESS
