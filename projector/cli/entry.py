"""The ``projector`` command's entry point: ``projector display`` on its own, everything else in full.

A display loads only what a display needs (``projector.cli.display``); the
other commands load the full command line (``projector.cli.main``), with the
server, the store and aiohttp, when one of them is asked for.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from projector.cli.display import display_main


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["display"]:
        return display_main(args[1:])
    # Deferred on purpose: a display never pays for the server's modules (see the module's doc).
    from projector.cli.main import main as full_main

    return full_main(args)


if __name__ == "__main__":
    sys.exit(main())
