"""The projector server: ``python server.py`` runs it (the same as ``projector serve``).

The application lives in ``projector/server/`` (``build_app`` in ``projector.server.app``);
this file stays the entry the README names.
"""

from __future__ import annotations

import sys

from projector.cli.serve import main
from projector.server.app import build_app

__all__ = ["build_app", "main"]

if __name__ == "__main__":
    sys.exit(main())
