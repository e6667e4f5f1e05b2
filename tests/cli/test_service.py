"""``projector install-service`` writes units systemd accepts (``systemd-analyze verify``), keeps the
token out of the unit file, and ``uninstall-service`` takes it all away."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server.test_process import ROOT


def projector(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "projector.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def verify(unit: Path) -> subprocess.CompletedProcess[str]:
    if shutil.which("systemd-analyze") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("systemd-analyze is missing (Debian: apt-get install systemd)")
        pytest.skip("systemd-analyze is not installed")
    return subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("role", "flags"),
    [
        ("display", ["--server", "http://10.0.0.2:8080", "--token", "pj_secret_token", "--locale", "tr-TR"]),
        ("server", ["--data-dir", "/var/lib/projector", "--host", "0.0.0.0"]),
    ],
)
def test_installed_units_verify_and_keep_the_token_private(
    tmp_path: Path, role: str, flags: list[str]
) -> None:
    units, env = tmp_path / "units", tmp_path / "env"
    args = ["install-service", role, "--unit-dir", str(units), "--env-dir", str(env), "--no-enable"]
    out = projector(*args, "--", *flags)
    assert out.returncode == 0, out.stderr
    unit = units / f"projector-{role}.service"
    text = unit.read_text()
    assert f"-m projector.cli {role}" in text and "User=projector" in text
    assert "pj_secret_token" not in text
    if role == "display":
        assert "--server http://10.0.0.2:8080 --locale tr-TR" in text and "SDL_VIDEODRIVER=kmsdrm" in text
        secret = env / "projector-display.env"
        assert secret.read_text() == "PROJECTOR_DISPLAY_TOKEN=pj_secret_token\n"
        assert stat.S_IMODE(secret.stat().st_mode) & 0o007 == 0  # not for everyone on the machine
        assert f"EnvironmentFile={secret}" in text
    else:
        assert "Restart=on-failure" in text and "LimitNOFILE=65536" in text
    checked = verify(unit)
    assert checked.returncode == 0, checked.stderr

    gone = projector(
        "uninstall-service", role, "--unit-dir", str(units), "--env-dir", str(env), "--no-enable"
    )
    assert gone.returncode == 0 and not unit.exists() and not (env / f"projector-{role}.env").exists()


def test_the_verify_check_can_fail(tmp_path: Path) -> None:
    broken = tmp_path / "broken.service"
    broken.write_text("[Service]\nExecStart=/nonexistent/python -m projector.cli display\n")
    assert verify(broken).returncode != 0


def test_a_display_service_without_a_server_is_refused(tmp_path: Path) -> None:
    out = projector(
        "install-service", "display", "--unit-dir", str(tmp_path), "--no-enable", "--", "--token", "x"
    )
    assert out.returncode == 2 and "--server" in out.stderr
    assert not list(tmp_path.iterdir())
