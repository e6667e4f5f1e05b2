"""The display owns the scene contract: scenes depend on the display, never the reverse."""

from __future__ import annotations

import subprocess
import sys


def test_the_display_runs_without_importing_the_scenes_package() -> None:
    # A fresh interpreter: the test session itself has imported ``scenes`` (conftest).
    code = (
        "import sys\n"
        "import projector.display.app, projector.display.director, projector.display.options\n"
        "from projector.display.scene import get_scene\n"
        "assert get_scene('fallback').name == 'fallback' and get_scene('blackout').name == 'blackout'\n"
        "assert not any(m == 'scenes' or m.startswith('scenes.') for m in sys.modules), sorted(sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
