"""The release as a user installs it: the sdist and the wheel built from it, installed with no
source tree in sight, run the demo and the server. A file the package forgets (a font, a panel
file, a catalog, a demo dossier) fails here, not on a volunteer's machine."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from projector import __version__
from tests.server.test_process import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(the wheel, a venv with only the wheel installed: its dependencies come from the test venv)."""
    out = tmp_path_factory.mktemp("dist")
    # From a copy of the tree: a build writes build/ and *.egg-info next to the sources, and the
    # suite's workers each build their own (this fixture runs once per worker).
    source = tmp_path_factory.mktemp("src") / "projector"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", "data"),
    )
    # Builds the sdist, then the wheel from the sdist (so the sdist must carry everything too),
    # with the test venv's setuptools (no download).
    built = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    wheel = next(out.glob("projector-*.whl"))
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # The dependencies (pygame, numpy, ...) are the test venv's, by a path at the end of sys.path;
    # the test venv's editable projector is not (its finder hook is a .pth this does not run).
    Path(site, "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
    )
    yield wheel, venv


def test_the_wheel_carries_what_runs(installed: tuple[Path, Path]) -> None:
    wheel, _ = installed
    assert wheel.name.startswith(f"projector-{__version__}-")
    names = zipfile.ZipFile(wheel).namelist()
    for needed in (
        "projector/panel/static/index.html",
        "projector/i18n/locales/tr/LC_MESSAGES/projector.mo",
        "projector/i18n/locales/ar/LC_MESSAGES/panel.mo",
    ):
        assert any(n.endswith(needed) or n == needed for n in names), needed
    assert any(n.startswith("media/demo/") and n.endswith("case.toml") for n in names)
    assert not any(n == "server.py" for n in names)  # no top-level "server" module in site-packages
    assert not any(n.startswith("tests/") for n in names)


def _run(venv: Path, *args: str, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "PYTHONPATH": ""}
    return subprocess.run(
        [str(venv / "bin" / "projector"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_the_installed_command_knows_its_version_and_where_it_lives(
    installed: tuple[Path, Path], tmp_path: Path
) -> None:
    _, venv = installed
    out = _run(venv, "--version", cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.strip() == f"projector {__version__}"
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import projector; print(projector.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(venv) in where and str(ROOT) not in where


def test_the_installed_demo_renders_headless(installed: tuple[Path, Path], tmp_path: Path) -> None:
    _, venv = installed
    frames = tmp_path / "frames"
    out = _run(
        venv, "demo", "--headless", "--frames", "40", "--out", str(frames), "--port", "0", cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert len(list(frames.glob("frame-*.png"))) == 40


def test_the_installed_server_serves_the_panel(installed: tuple[Path, Path], tmp_path: Path) -> None:
    _, venv = installed
    port = free_port()
    env = {**os.environ, "PYTHONPATH": ""}
    proc = subprocess.Popen(
        [str(venv / "bin" / "projector"), "serve", "--port", str(port), "--data-dir", str(tmp_path / "data")],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/panel/", timeout=2).read().decode()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert "<html" in page.lower()
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).status == 200
    finally:
        proc.terminate()
        proc.wait(10)
