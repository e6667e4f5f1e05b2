"""Real windows: ``projector demo --windowed`` on an X server (Xvfb, Mesa llvmpipe), seen from the screen.

The rest of the suite runs displays on SDL's ``dummy`` driver and reads the
program's own buffer, which cannot catch a window that dies on its X server
or never shows. Here the demo runs as a user runs it, with ``DISPLAY`` set and
no ``SDL_VIDEODRIVER``, and the pictures are grabbed from the X screen itself.
Also: with no screen at all, the display and the demo exit at once with one line.

Skipped only where ``Xvfb`` is missing outside CI; CI installs it (``.ci/run``).
"""

from __future__ import annotations

import glob
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytesseract  # type: ignore[import-untyped]  # no py.typed
import pytest
from PIL import Image, ImageChops, ImageGrab, ImageOps, ImageStat

from projector.display.video import NoVideoDevice, check_driver

ROOT = Path(__file__).resolve().parents[2]
XVFB = shutil.which("Xvfb")
IN_CI = bool(os.environ.get("CI"))
SCREEN = (1920, 1080)
WINDOW = (1280, 720)
#: Where SDL puts a window with no window manager: centred on the screen.
WINDOW_BOX = (
    (SCREEN[0] - WINDOW[0]) // 2,
    (SCREEN[1] - WINDOW[1]) // 2,
    (SCREEN[0] + WINDOW[0]) // 2,
    (SCREEN[1] + WINDOW[1]) // 2,
)
#: ``projector.cli.demo.DEMO_HISTORY_TOTAL``: the demo's total when it starts; it climbs from there.
DEMO_START = 1_898_800
#: Last year's record, also on the totals scene: not the total.
DEMO_RECORD = 1_900_000
#: A number with thousands separators, as the totals scene draws it (OCR may read a comma as a dot).
GROUPED = re.compile(r"\d{1,3}(?:[,.]\d{3})+")

needs_xvfb = pytest.mark.skipif(
    XVFB is None and not IN_CI, reason="Xvfb is not installed (apt-get install xvfb; CI installs it)"
)


@pytest.fixture(scope="module")
def xdisplay() -> Iterator[str]:
    """A fresh Xvfb screen, black root, on a free display number (``-displayfd``); killed at the end."""
    if XVFB is None:
        pytest.fail("CI is set but Xvfb is missing: .ci/run installs xvfb")
    read, write = os.pipe()
    server = subprocess.Popen(
        [
            XVFB,
            "-displayfd",
            str(write),
            "-screen",
            "0",
            f"{SCREEN[0]}x{SCREEN[1]}x24",
            "-br",
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        # Xvfb writes the display number once it accepts clients.
        ready, _, _ = select.select([read], [], [], 15)
        number = os.read(read, 64).decode().strip() if ready else ""
        assert number.isdigit(), "Xvfb did not start"
        yield f":{number}"
    finally:
        os.close(read)
        server.terminate()
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@dataclass
class Demo:
    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")


StartDemo = Callable[..., Demo]


@pytest.fixture
def start_demo(xdisplay: str, tmp_path: Path) -> Iterator[StartDemo]:
    """Start ``projector demo --windowed`` on the Xvfb screen; stopped (SIGTERM, then kill) at the end."""
    started: list[Demo] = []

    def start(*extra: str) -> Demo:
        env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "WAYLAND_DISPLAY")}
        # The display's cache (saved show) in the test's folder, not the user's.
        env.update(DISPLAY=xdisplay, XDG_CACHE_HOME=str(tmp_path / "cache"), SDL_AUDIODRIVER="dummy")
        log = tmp_path / f"demo-{len(started)}.log"
        command = [
            sys.executable, "-m", "projector.cli", "demo", "--windowed", "--size", f"{WINDOW[0]}x{WINDOW[1]}",
            "--scene", "totals", "--port", "0", "--rate", "40", "--data-dir", str(tmp_path / f"data-{len(started)}"),
            *extra,
        ]  # fmt: skip
        with log.open("wb") as out:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        demo = Demo(process, log)
        started.append(demo)
        return demo

    yield start
    for demo in started:
        if demo.process.poll() is None:
            demo.process.send_signal(signal.SIGTERM)
            try:
                demo.process.wait(10)
            except subprocess.TimeoutExpired:
                demo.process.kill()
                demo.process.wait()


def grab(xdisplay: str) -> Image.Image:
    """The X screen itself (Pillow's XCB grab), not anything the program drew into."""
    return ImageGrab.grab(xdisplay=xdisplay).convert("RGB")


def lit_share(image: Image.Image) -> float:
    """Fraction of pixels clearly not black."""
    grey = image.convert("L").point(lambda v: 255 if v > 60 else 0)
    return ImageStat.Stat(grey).mean[0] / 255


def wait_for_window(demo: Demo, xdisplay: str, timeout: float = 20) -> Image.Image:
    """The first grab with the window up and drawn on; fails if the demo dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert demo.process.poll() is None, f"the demo died: {demo.text()[-3000:]}"
        shot = grab(xdisplay)
        if lit_share(shot.crop(WINDOW_BOX)) > 0.02:
            return shot
        time.sleep(0.25)
    raise AssertionError(f"no window showed in {timeout} s: {demo.text()[-3000:]}")


def check_window(shot: Image.Image) -> None:
    """Lit inside the window's box, black outside it: a window of the size asked for, where SDL puts it."""
    assert lit_share(shot.crop(WINDOW_BOX)) > 0.03
    box = shot.convert("L").point(lambda v: 255 if v > 60 else 0).getbbox()
    assert box is not None
    left, top, right, bottom = WINDOW_BOX
    assert left <= box[0] and top <= box[1] and box[2] <= right and box[3] <= bottom, box


def totals_read(shot: Image.Image) -> list[int]:
    """The grouped numbers tesseract reads in the window (white on black: inverted and thresholded)."""
    ink = ImageOps.invert(shot.crop(WINDOW_BOX).convert("L").point(lambda v: 255 if v > 128 else 0))
    text = pytesseract.image_to_string(ink, config="--psm 11")
    return [int(re.sub(r"\D", "", n)) for n in GROUPED.findall(text)]


@needs_xvfb
def test_the_demo_shows_a_live_window_on_x11(xdisplay: str, start_demo: StartDemo) -> None:
    if shutil.which("tesseract") is None and not IN_CI:
        pytest.skip("tesseract is not installed (apt-get install tesseract-ocr; CI installs it)")
    demo = start_demo()
    started = time.monotonic()
    first = wait_for_window(demo, xdisplay)
    time.sleep(max(0.0, started + 4 - time.monotonic()))
    shots = [grab(xdisplay)]
    time.sleep(3)
    shots.append(grab(xdisplay))
    for shot in (first, *shots):
        check_window(shot)
    assert ImageChops.difference(shots[0], shots[1]).getbbox() is not None, "the screen did not change"
    read = [n for shot in shots for n in totals_read(shot)]
    totals = [n for n in read if DEMO_START <= n < DEMO_START + 10_000 and n != DEMO_RECORD]
    assert totals, f"no total near {DEMO_START:,} read on the screen; read {read}"
    time.sleep(max(0.0, started + 10 - time.monotonic()))
    assert demo.process.poll() is None, f"the demo stopped: {demo.text()[-3000:]}"
    log = demo.text()
    assert "output stage: software" in log and "display 'demo' connected" in log


@needs_xvfb
def test_the_opengl_output_runs_in_a_real_window(xdisplay: str, start_demo: StartDemo) -> None:
    """SDL's GLX context on Xvfb (llvmpipe): the GL stage draws, and what it draws is on the screen."""
    demo = start_demo("--output-path", "opengl")
    started = time.monotonic()
    check_window(wait_for_window(demo, xdisplay))
    time.sleep(max(0.0, started + 6 - time.monotonic()))
    check_window(grab(xdisplay))
    assert demo.process.poll() is None, f"the demo stopped: {demo.text()[-3000:]}"
    log = demo.text()
    assert "output stage: opengl" in log and "OpenGL output could not start" not in log, log[-3000:]


# --- no screen at all -------------------------------------------------------------------------------


def _no_screen_env(tmp_path: Path) -> dict[str, str]:
    if any(os.access(card, os.R_OK | os.W_OK) for card in glob.glob("/dev/dri/card*")):
        pytest.skip("a KMS/DRM device is usable here: SDL may open the console")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    # An empty runtime folder: libwayland then finds no compositor quietly (with none set, it
    # prints its own "XDG_RUNTIME_DIR is invalid" line, which is not ours to silence).
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env.update(XDG_RUNTIME_DIR=str(runtime), XDG_CACHE_HOME=str(tmp_path / "cache"))
    return env


def _run_without_screen(env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "projector.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return done, time.monotonic() - started


@pytest.mark.parametrize("command", ["display", "demo"])
def test_no_screen_means_one_line_and_a_prompt_exit(command: str, tmp_path: Path) -> None:
    args = [command, "--windowed"] + (
        ["--port", "0", "--data-dir", str(tmp_path / "data")] * (command == "demo")
    )
    done, took = _run_without_screen(_no_screen_env(tmp_path), *args)
    assert done.returncode != 0 and took < 5, (done.returncode, took)
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"projector {command}: no usable video device (")
    assert "'offscreen'" in lines[0] and "--headless" in lines[0]
    assert done.stdout == ""  # no banner, no demo tokens: nothing started
    if command == "demo":
        assert not (tmp_path / "data").exists()  # stopped before the demo seeded a database


def test_a_driver_that_cannot_start_is_one_line_naming_sdls_error(tmp_path: Path) -> None:
    env = {**_no_screen_env(tmp_path), "SDL_VIDEODRIVER": "x11"}
    done, took = _run_without_screen(env, "display", "--windowed")
    assert done.returncode != 0 and took < 5
    assert done.stderr.splitlines() == [
        "projector display: no usable video device (SDL could not start its video: SDL_VIDEODRIVER=x11: "
        "x11 not available); set DISPLAY, run on the console with SDL_VIDEODRIVER=kmsdrm, "
        "or use --headless --frames N --out DIR"
    ]


def test_an_invisible_driver_is_fine_when_asked_for() -> None:
    check_driver("dummy", {"SDL_VIDEODRIVER": "dummy"})  # how the tests open "windows"
    check_driver("offscreen", {"SDL_VIDEODRIVER": " Offscreen "})
    check_driver("x11", {})
    check_driver("KMSDRM", {})
    for driver, env in (
        ("offscreen", {}),
        ("dummy", {"SDL_VIDEODRIVER": "x11"}),
        ("offscreen", {"SDL_VIDEODRIVER": "dummy"}),
    ):
        with pytest.raises(NoVideoDevice, match=f"SDL fell back to '{driver}'"):
            check_driver(driver, env)
