"""Is there OpenGL here? Asked in a child process, never in the display's own.

Why a child: making a standalone context (moderngl over EGL, then GLX) in the
process that is about to open its SDL window breaks that window on Mesa: the
driver keeps state for the first context, refuses SDL's ``glXMakeCurrent``
with ``BadAccess``, and Xlib's default error handler ends the whole process.
A child also keeps a driver that hangs or crashes away from the show: the
parent waits :data:`PROBE_TIMEOUT` seconds at most and reports what happened
as the reason OpenGL is not used.

Run as ``python -m projector.display.output.gl_probe``: prints one JSON line,
``{"available": bool, "renderer": str, "version": str, "reason": str}``.
This module imports nothing from the project and no pygame, so the child
starts quickly and cannot touch SDL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

#: Seconds the child may take; a driver that hangs longer means no OpenGL for this run.
PROBE_TIMEOUT = 5.0
#: The folder that holds the ``projector`` package: the child finds it even when not installed.
PACKAGE_ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True, slots=True)
class ProbeAnswer:
    """The child's answer: whether a context could be made, and what it was."""

    available: bool
    renderer: str = ""
    version: str = ""
    reason: str = ""


def probe_here() -> ProbeAnswer:
    """Try a standalone context in *this* process (EGL, then the platform default) and read it.

    Only the child runs this (see the module's docstring for why).
    """
    try:
        import moderngl  # the child's only real work; absent, it is an answer, not an error
    except ImportError as exc:
        return ProbeAnswer(False, reason=f"moderngl is not installed ({exc})")
    make: Any = moderngl.create_standalone_context  # its stubs do not know the backend argument
    errors: list[str] = []
    for kwargs in ({"backend": "egl"}, {}):
        try:
            ctx = make(**kwargs)
        except Exception as exc:  # glcontext raises plain Exceptions: "libEGL not found", ...
            errors.append(f"{kwargs.get('backend', 'default')}: {exc}")
            continue
        try:
            renderer = str(ctx.info.get("GL_RENDERER", "unknown"))
            version = str(ctx.info.get("GL_VERSION", ""))
        finally:
            ctx.release()
        return ProbeAnswer(True, renderer, version, f"{renderer}, OpenGL {version}")
    return ProbeAnswer(False, reason="; ".join(errors))


def probe_command() -> list[str]:
    """The child's command line: this interpreter, this module."""
    return [sys.executable, "-m", "projector.display.output.gl_probe"]


def run_probe(command: Sequence[str] | None = None, timeout: float = PROBE_TIMEOUT) -> ProbeAnswer:
    """Run the probe in a child process and read its answer; never raises.

    ``command`` replaces the child (tests give one that hangs or crashes).
    """
    argv = list(command) if command is not None else probe_command()
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(PACKAGE_ROOT), path) if p)}
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        return ProbeAnswer(False, reason=f"no OpenGL: probe timed out after {timeout:g} s")
    except OSError as exc:
        return ProbeAnswer(False, reason=f"no OpenGL: the probe could not start ({exc})")
    if done.returncode < 0:
        return ProbeAnswer(
            False,
            reason=f"no OpenGL: the probe crashed ({_signal_name(-done.returncode)}){_last(done.stderr)}",
        )
    if done.returncode != 0:
        return ProbeAnswer(
            False, reason=f"no OpenGL: the probe exited with code {done.returncode}{_last(done.stderr)}"
        )
    answer = parse_answer(done.stdout)
    if answer is None:
        return ProbeAnswer(False, reason=f"no OpenGL: the probe gave no answer{_last(done.stderr)}")
    return answer


def parse_answer(stdout: str) -> ProbeAnswer | None:
    """The last line of ``stdout`` that is a probe answer (drivers may print their own lines first)."""
    for line in reversed(stdout.splitlines()):
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("available"), bool):
            return ProbeAnswer(
                data["available"],
                str(data.get("renderer", "")),
                str(data.get("version", "")),
                str(data.get("reason", "")),
            )
    return None


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _last(stderr: str) -> str:
    """The child's last line on stderr (the driver's own words), for the reason."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return f": {lines[-1][:300]}" if lines else ""


def main() -> int:
    print(json.dumps(asdict(probe_here())), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
