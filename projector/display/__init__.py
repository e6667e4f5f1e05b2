"""The pygame display runtime: link thread -> queue -> replica -> director -> scenes -> screen.

``projector.cli`` calls ``add_display_arguments``, ``options_from_args`` and
``projector.display.run.run_display``; code (``projector demo``, tests) builds
``DisplayOptions`` directly. Importing this package (or its options) does not
import pygame: ``projector.display.run`` does, when a display runs.
"""

from projector.display.options import DisplayOptions, add_display_arguments, options_from_args
from projector.display.output.mode import OutputMode

__all__ = ["DisplayOptions", "OutputMode", "add_display_arguments", "options_from_args"]
