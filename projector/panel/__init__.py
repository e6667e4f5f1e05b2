"""The operator web panel: static HTML, CSS and JavaScript modules, no build step.

The server serves ``STATIC_DIR/index.html`` at ``/panel/`` and the other files
at ``/panel/<file>``. The panel talks only to the project's own server: the
HTTP API (``/api/v1/...``) and the panel websocket (``/api/v1/panel/ws``).
"""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
