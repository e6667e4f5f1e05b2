"""The ``projector`` command and its subcommands (serve, display, demo, cue, media, cases, token).

The entry point is ``projector.cli.entry:main`` (``projector display`` alone, or ``projector.cli.main``). Importing this package sets nothing
else up, so ``server.py`` (which needs only ``cli.serve``) never loads pygame.
"""

import os

# pygame-ce greets stdout on import; a display's start-up errors are meant to be its only words.
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
