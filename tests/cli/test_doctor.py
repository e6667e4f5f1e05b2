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

import pygame
import pytest

from projector.cli.doctor import (
    AMBER,
    GREEN,
    RED,
    Check,
    check_folder,
    check_server,
    check_token,
    check_video,
    report,
)
from projector.cli.service import render_unit
from tests.server.test_process import ROOT, ServerProcess, create_token
from tests.tmpfs import mounted_tmpfs


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


# --- the bad input of issue 19: each named, with what to do ------------------------------------------


def install_display(tmp_path: Path, *flags: str, user: str = "nobody") -> Path:
    """``projector install-service display`` into a folder of the test's (no systemctl)."""
    units, env = tmp_path / "units", tmp_path / "env"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "projector.cli", "install-service", "display", "--user", user),
            *("--unit-dir", str(units), "--env-dir", str(env), "--no-enable", "--", *flags),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return units


def line(out: subprocess.CompletedProcess[str], start: str) -> str:
    return next(x for x in out.stdout.splitlines() if x.startswith(start))


def test_a_service_installed_with_a_wrong_server_url_is_red_with_how_to_reinstall(tmp_path: Path) -> None:
    units = install_display(
        tmp_path, "--server", "http://127.0.0.1:9", "--token", "pj_x", "--cache", str(tmp_path)
    )
    out = doctor("display", "--unit-dir", str(units))
    assert out.returncode == 2
    assert line(out, "ok    service:").endswith("--server http://127.0.0.1:9 (checked below)")
    failed = line(out, "FAIL  server:")
    assert "the installed service's: http://127.0.0.1:9 does not answer" in failed
    assert "install the service again: projector install-service display" in out.stdout


def test_a_service_installed_with_a_wrong_token_is_red(
    tmp_path: Path, running: tuple[ServerProcess, str, str]
) -> None:
    server, display, _ = running
    units = install_display(
        tmp_path, "--server", server.base, "--token", "pj_mistyped", "--cache", str(tmp_path)
    )
    out = doctor("display", "--unit-dir", str(units))
    assert out.returncode == 2
    assert "the installed service's: the server does not know this token" in line(out, "FAIL  token:")
    # The same unit with the right token: all the service's lines are green.
    units = install_display(tmp_path, "--server", server.base, "--token", display, "--cache", str(tmp_path))
    out = doctor("display", "--unit-dir", str(units))
    assert line(out, "ok    token:").startswith("ok    token: a display token")
    assert "FAIL" not in out.stdout


def test_a_doctor_pointed_elsewhere_than_the_service_says_so(tmp_path: Path) -> None:
    units = install_display(tmp_path, "--server", "http://10.9.9.9:8080", "--cache", str(tmp_path))
    out = doctor("display", "--unit-dir", str(units), "--server", "http://127.0.0.1:9", "--token", "x")
    assert "it runs with --server http://10.9.9.9:8080, not http://127.0.0.1:9" in line(out, "warn  service:")


def test_a_service_without_a_server_or_with_a_missing_user_is_red(tmp_path: Path) -> None:
    units = tmp_path / "units"
    units.mkdir()
    unit = units / "projector-display.service"
    unit.write_text(
        render_unit("display", ["--name", "hall"], user="nobody", python=sys.executable, env_file=None)
    )
    out = doctor("display", "--unit-dir", str(units))
    assert out.returncode == 2 and "gives no --server: it shows nothing" in line(out, "FAIL  service:")
    unit.write_text(
        render_unit("display", ["--server", "http://h:1"], user="no-such-user-x", python="py", env_file=None)
    )
    out = doctor("display", "--unit-dir", str(units))
    assert "runs as 'no-such-user-x', who does not exist here" in line(out, "FAIL  service:")
    assert "useradd --system" in out.stdout


def test_a_token_file_that_cannot_be_read_is_amber_not_a_wrong_token(tmp_path: Path) -> None:
    units = install_display(
        tmp_path, "--server", "http://127.0.0.1:9", "--token", "pj_x", "--cache", str(tmp_path)
    )
    env_file = tmp_path / "env" / "projector-display.env"
    env_file.unlink()
    env_file.mkdir()  # unreadable as a file whoever runs the test (root reads any mode)
    out = doctor("display", "--unit-dir", str(units))
    assert "cannot be read" in line(out, "warn  service:") and "run the doctor as root" in out.stdout
    assert "token:" not in out.stdout


def test_no_monitors_is_red(monkeypatch: pytest.MonkeyPatch) -> None:
    # A console with no screen plugged in: SDL starts, and sees no monitor (a fake at the edge).
    monkeypatch.setattr(pygame.display, "get_desktop_sizes", lambda: [])
    checks = check_video({"SDL_VIDEODRIVER": "dummy"})
    assert checks[0].level == GREEN
    assert checks[-1] == Check(
        RED, "monitors", "none connected", "plug in the screen or projector, then restart"
    )


def test_a_cache_on_a_read_only_disk_is_red(tmp_path: Path) -> None:
    with mounted_tmpfs(tmp_path / "ro", "ro,size=1m") as disk:
        (found,) = check_folder("picture cache", disk / "cache")
    assert found.level == RED and found.detail.endswith("is on a read-only disk")
    assert "remount it read-write" in found.fix


def test_a_cache_on_a_full_disk_is_red(tmp_path: Path) -> None:
    with mounted_tmpfs(tmp_path / "small", "size=1m") as disk:
        (found,) = check_folder("picture cache", disk / "cache")
    assert found.level == RED and "GiB free" in found.detail and "free space" in found.fix
    (roomy,) = check_folder("picture cache", tmp_path / "cache")
    assert roomy.level in (GREEN, AMBER)  # this machine's own disk: not red
