"""`projector cue ...` against the real server process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

from projector.core.protocol import PROTOCOL_VERSION, Hello
from projector.core.wire import encode
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


def test_cue_commands_run_a_show(tmp_path: Path) -> None:
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


def test_cue_without_a_server_or_token_says_so(tmp_path: Path) -> None:
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


def put_json(server: ServerProcess, token: str, path: str, payload: object) -> Any:
    request = urllib.request.Request(
        server.base + path,
        data=json.dumps(payload).encode(),
        method="PUT",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read())


def test_go_back_and_jump_at_a_time_for_a_group(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data")
    token = create_token(server.data_dir, "operator")
    display_token = create_token(server.data_dir, "display")
    server.start()
    hello = Hello("hall-left", display_token, PROTOCOL_VERSION, (320, 180), ("status",))
    try:
        with connect(server.base.replace("http", "ws") + "/ws") as ws:
            ws.send(encode(hello))
            assert json.loads(ws.recv(timeout=10))["type"] == "snapshot"
            put_json(server, token, "/api/v1/displays/hall-left", {"groups": ["facade"]})
            show = tmp_path / "facade.toml"
            show.write_text(SHOW_TOML)
            assert cue(server, token, "load", str(show)).returncode == 0

            soon = cue(server, token, "go", "--in", "4", "--target", "group:facade")
            assert soon.returncode == 0, soon.stderr
            assert soon.stdout.rstrip().endswith("scheduled: on screen in 4 s, for group:facade")
            state = get_show(server, token)
            assert state["program_target"] == "group:facade" and state["program_at"] > time.time()
            # A second press before the first is on screen never skips a cue: the server says so.
            again = cue(server, token, "go")
            assert again.returncode == 1 and "(in_transition)" in again.stderr
            time.sleep(max(0.0, state["program_at"] - time.time()) + 0.2)

            # --at on the server's clock and zone (this machine's, here); one way or the other of midnight.
            when = datetime.now().astimezone() + timedelta(seconds=30)
            at = f"{when:%H:%M:%S}" if when.date() == datetime.now().date() else when.isoformat()
            later = cue(server, token, "jump", "open", "--at", at)
            assert later.returncode == 0, later.stderr
            assert f"scheduled: on screen at {when:%H:%M:%S} server time" in later.stdout
            assert abs(get_show(server, token)["program_at"] - when.timestamp()) < 1.0
    finally:
        server.stop()


def test_bad_times_and_targets_are_named(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data")
    token = create_token(server.data_dir, "operator")
    server.start()
    try:
        show = tmp_path / "facade.toml"
        show.write_text(SHOW_TOML)
        assert cue(server, token, "load", str(show)).returncode == 0
        unknown = cue(server, token, "go", "--target", "group:nobody")
        assert unknown.returncode == 1 and "unknown group 'nobody' (groups: none yet)" in unknown.stderr
        typo = cue(server, token, "go", "--target", "facade")
        assert typo.returncode == 1 and "projector cue go: --target: must be" in typo.stderr
        past = cue(server, token, "back", "--at", "2020-01-01T00:00:00")
        assert past.returncode == 1 and "projector cue back: --at 2020-01-01T00:00:00 is " in past.stderr
        assert "in the past (server time " in past.stderr
        both = cue(server, token, "go", "--at", "21:00", "--in", "2")
        assert both.returncode == 2 and "not allowed with argument" in both.stderr
        zero = cue(server, token, "go", "--in", "0")
        assert zero.returncode == 1 and "--in: '0' must be more than 0 seconds" in zero.stderr
        wrong = cue(server, token, "blackout", "--in", "2")
        assert wrong.returncode == 1 and "--at, --in and --target are for go, back and jump" in wrong.stderr
        assert "ON AIR" not in cue(server, token, "list").stdout  # nothing of that went on air
    finally:
        server.stop()


def get_show(server: ServerProcess, token: str) -> Any:
    request = urllib.request.Request(
        server.base + "/api/v1/show", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read())
