"""The OpenGL probe runs in a child process: its answer, a child that hangs, one that crashes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from projector.display.output.gl_probe import ProbeAnswer, parse_answer, run_probe

ROOT = Path(__file__).resolve().parents[3]


def child(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_child_that_hangs_is_given_up_on() -> None:
    started = time.monotonic()
    found = run_probe(child("import time; time.sleep(60)"), timeout=1.0)
    assert time.monotonic() - started < 5
    assert not found.available and found.reason == "no OpenGL: probe timed out after 1 s"


def test_a_child_that_crashes_is_the_reason() -> None:
    found = run_probe(child("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"))
    assert not found.available and found.reason == "no OpenGL: the probe crashed (SIGSEGV)"


def test_a_child_that_fails_says_what_the_driver_said() -> None:
    # What Xlib's default error handler does to a process whose GLX call is refused.
    code = "import sys; print('X Error of failed request:  BadAccess', file=sys.stderr); sys.exit(1)"
    found = run_probe(child(code))
    assert not found.available
    assert found.reason == "no OpenGL: the probe exited with code 1: X Error of failed request:  BadAccess"


def test_a_child_with_no_answer() -> None:
    found = run_probe(child("print('hello')"))
    assert not found.available and found.reason == "no OpenGL: the probe gave no answer"


def test_driver_lines_before_the_answer_are_skipped() -> None:
    out = 'libEGL warning: DRI2: failed to authenticate\n{"available": true, "renderer": "r", "version": "4.5"}\n'
    assert parse_answer(out) == ProbeAnswer(True, "r", "4.5", "")
    assert parse_answer('[1, 2]\n{"available": "yes"}\n') is None


def test_the_real_child_answers_with_no_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    found = run_probe()
    # An answer from the child itself (a context over EGL, or why not), never a failure to run it.
    assert not found.reason.startswith("no OpenGL: the probe"), found.reason
    assert found.renderer if found.available else found.reason


def test_the_display_process_never_makes_a_context_itself() -> None:
    """The bug this guards against: a context made in the display's process breaks SDL's window."""
    script = (
        "import sys; from projector.display.output.output_gl import probe_gl; found = probe_gl(); "
        "print(found.available, 'moderngl' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == "False"  # moderngl was loaded by the child only
