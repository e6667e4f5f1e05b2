"""``projector doctor``: each problem a volunteer meets is named, with what to do, and the exit code says
how bad. Real server processes, a real damaged file, a real HTTP server whose clock is hours off."""

from __future__ import annotations

import email.utils
import http.server
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from projector.cli.doctor import AMBER, GREEN, RED, Check, check_server, check_token, report
from tests.server.test_process import ROOT, ServerProcess, create_token


def doctor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "projector.cli", "doctor", "--no-colour", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"SDL_VIDEODRIVER": "dummy", "PATH": "/usr/bin:/bin"},
    )


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str, str]]:
    server = ServerProcess(tmp_path_factory.mktemp("served") / "data")
    display, ingest = create_token(server.data_dir, "display"), create_token(server.data_dir, "ingest")
    server.start()
    yield server, display, ingest
    server.stop()


def test_a_sound_server_machine_is_green(tmp_path: Path) -> None:
    out = doctor("server", "--data-dir", str(tmp_path / "data"), "--port", "0")
    assert out.returncode == 0, out.stdout
    assert "ok    database:" in out.stdout and "FAIL" not in out.stdout


def test_a_damaged_database_is_red_with_what_to_do(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "admin-password.txt").write_text("username: admin\npassword: x\n")
    (data / "projector.db").write_bytes(b"")
    out = doctor("server", "--data-dir", str(data), "--port", "0")
    assert out.returncode == 2
    line = next(x for x in out.stdout.splitlines() if x.startswith("FAIL  database"))
    assert "empty (0 bytes)" in line and "restore a backup" in out.stdout


def test_a_display_with_a_good_token_and_a_wrong_one(running: tuple[ServerProcess, str, str]) -> None:
    server, display, ingest = running
    assert check_token(server.base, display).level == GREEN
    wrong = check_token(server.base, "pj_not_a_token")
    assert wrong.level == RED and "does not know this token" in wrong.detail
    other = check_token(server.base, ingest)
    assert other.level == AMBER and "'ingest'" in other.detail
    assert check_token(server.base, "").level == RED


def test_a_wrong_server_url_is_red(tmp_path: Path) -> None:
    out = doctor("display", "--server", "http://127.0.0.1:9", "--token", "x", "--cache", str(tmp_path))
    assert out.returncode == 2
    assert "FAIL  server: http://127.0.0.1:9 does not answer" in out.stdout
    assert "ok    fonts:" in out.stdout


class _HoursAhead(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 401)
        self.end_headers()

    def date_time_string(self, timestamp: float | None = None) -> str:
        return email.utils.formatdate(time.time() + 3 * 3600, usegmt=True)

    def log_message(self, *args: object) -> None:
        pass


def test_a_clock_hours_off_is_amber() -> None:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HoursAhead)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        checks = check_server(f"http://127.0.0.1:{httpd.server_address[1]}", "pj_x")
    finally:
        httpd.shutdown()
    clock = next(c for c in checks if c.what == "clock")
    assert clock.level == AMBER and clock.detail.startswith("about +3.0 h from the server's")


def test_the_exit_code_is_the_worst_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert report([Check(GREEN, "a", "fine")], colour=False) == 0
    assert report([Check(GREEN, "a", "fine"), Check(AMBER, "b", "hmm", "do x")], colour=False) == 1
    assert report([Check(RED, "c", "broken", "do y"), Check(AMBER, "b", "hmm")], colour=False) == 2
    assert "-> do y" in capsys.readouterr().out
