"""The pygame display runtime: link thread -> queue -> replica -> director -> scenes -> screen.

``projector.cli`` calls ``add_display_arguments``, ``options_from_args`` and
``run_display``; code (``projector demo``, tests) builds ``DisplayOptions``
directly. Importing this package does not import pygame's display: that
happens when a display runs.
"""

from projector.display.options import DisplayOptions, add_display_arguments, options_from_args, run_display

__all__ = ["DisplayOptions", "add_display_arguments", "options_from_args", "run_display"]
