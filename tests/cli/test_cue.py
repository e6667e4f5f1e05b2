"""`projector cue ...` against the real server process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.server.test_process import ROOT, ServerProcess, create_token

SHOW_TOML = """
id = "facade"
name = "Facade night"
loop = false

[[cues]]
id = "open"
scene = "totals"
transition = "cut"
label = "Opening total"

[[cues]]
id = "ayse"
scene = "portrait"
transition = "cut"
params = { case = "ayse-karaman" }
"""


def cue(server: ServerProcess, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "projector.cli", "cue", *args, "--server", server.base],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PROJECTOR_TOKEN": token},
    )


def test_cue_commands_run_a_show(tmp_path: Path):
    server = ServerProcess(tmp_path / "data")
    token = create_token(server.data_dir, "operator")
    server.start()
    try:
        show = tmp_path / "facade.toml"
        show.write_text(SHOW_TOML)
        loaded = cue(server, token, "load", str(show))
        assert loaded.returncode == 0, loaded.stderr
        assert "NEXT   1. open" in loaded.stdout
        went = cue(server, token, "go")
        assert "ON AIR   1. open" in went.stdout and "NEXT   2. ayse" in went.stdout
        black = cue(server, token, "blackout", "--on")
        assert "BLACKOUT is on" in black.stdout
        assert "BLACKOUT" not in cue(server, token, "blackout", "--off").stdout
        exported = cue(server, token, "export")
        assert 'scene = "portrait"' in exported.stdout
        bad = cue(server, token, "jump", "nowhere")
        assert bad.returncode == 1 and "no cue 'nowhere'" in bad.stderr
        missing = cue(server, token, "load", str(tmp_path / "missing.toml"))
        assert missing.returncode == 1 and "cannot read" in missing.stderr
        unauthorised = cue(server, "pj_wrong", "go")
        assert unauthorised.returncode == 1 and "unauthorized" in unauthorised.stderr
    finally:
        server.stop()


def test_cue_without_a_server_or_token_says_so(tmp_path: Path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "projector.cli",
            "cue",
            "go",
            "--server",
            "http://127.0.0.1:9",
            "--token",
            "x",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1 and "cannot reach" in result.stderr
    env = {k: v for k, v in os.environ.items() if k != "PROJECTOR_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "projector.cli", "cue", "go"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    assert result.returncode == 1 and "token" in result.stderr
