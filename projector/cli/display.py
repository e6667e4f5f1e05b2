"""``projector display``: the display command alone, on the display's modules only.

A display on a small box runs for days; the server's modules, the store's
and aiohttp (about 30 MB resident, issue 19) have no business in it. So
``projector.cli.entry`` sends ``projector display`` here before anything else
loads, and the full command line (``projector.cli.main``) lists the same
command from this module.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import scenes  # noqa: F401  (the built-in scenes register on import; the display never imports them)
from projector.cli.logs import setup_logging
from projector.display.options import add_display_arguments, options_from_args
from projector.display.run import run_display
from projector.display.video import NoVideoDevice, start_video

HELP = "run a display"


def run_display_command(ns: argparse.Namespace) -> int:
    try:
        options = options_from_args(ns)
    except ValueError as exc:
        print(f"projector display: {exc}", file=sys.stderr)
        return 2
    if options.mode.on_screen and not video_ready("projector display"):
        return 1
    setup_logging()
    return run_display(options)


def video_ready(command: str) -> bool:
    """Start SDL's video now, before anything else starts; False, with one line said, if nothing can show.

    The display would find out too, but only after the demo's server and the
    logging are up, and its refusal would come wrapped in a log record.
    """
    try:
        start_video()
    except NoVideoDevice as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return False
    return True


def display_main(argv: Sequence[str]) -> int:
    """``projector display ARGS``: the same flags, help and exit codes as through the full command line."""
    parser = argparse.ArgumentParser(prog="projector display", description=HELP)
    add_display_arguments(parser)
    try:
        return run_display_command(parser.parse_args(list(argv)))
    except KeyboardInterrupt:
        return 130
