"""``projector display`` runs on the display's modules alone; every other command gets the full command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from projector.cli.entry import main

SERVER_SIDE = ("aiohttp", "projector.server", "projector.store", "psycopg")


def loaded_after(argv: list[str], tmp_path: Path) -> tuple[int, list[str]]:
    """Run the entry point in a fresh interpreter; its exit code and the server-side modules it loaded."""
    code = (
        "import json, sys\n"
        "from projector.cli.entry import main\n"
        "code = main(sys.argv[1:])\n"
        f"print(json.dumps([m for m in sys.modules if m.startswith({SERVER_SIDE!r})]))\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env={"SDL_VIDEODRIVER": "dummy", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])


def test_a_headless_display_loads_nothing_of_the_server(tmp_path: Path) -> None:
    out = tmp_path / "frames"
    code, loaded = loaded_after(
        ["display", "--headless", "--frames", "2", "--size", "320x180", "--out", str(out)], tmp_path
    )
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["frame-00001.png", "frame-00002.png"]
    assert loaded == []


def test_other_commands_get_the_full_command_line(tmp_path: Path) -> None:
    code, loaded = loaded_after(
        ["token", "create", "--scope", "ingest", "--data-dir", str(tmp_path)], tmp_path
    )
    assert code == 0 and "projector.store" in loaded


def test_display_flags_are_checked_as_before(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as bad_flag:
        main(["display", "--no-such-flag"])
    assert bad_flag.value.code == 2
    assert "projector display" in capsys.readouterr().err
    assert main(["display", "--headless"]) == 2
    assert capsys.readouterr().err == "projector display: --headless needs --frames N\n"


def test_the_version_and_the_command_list_come_from_the_full_command_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as version:
        main(["--version"])
    assert version.value.code == 0 and capsys.readouterr().out.startswith("projector ")
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "display" in capsys.readouterr().out
