"""The ``projector`` command and its subcommands (serve, display, demo, cue, media, cases, token)."""

from projector.cli.main import main

__all__ = ["main"]
