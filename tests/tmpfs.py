"""A real small or read-only disk for tests: a tmpfs mounted for the test, and unmounted after.

Mounting needs root: CI runs as root; elsewhere the test skips unless CI is set, where it fails
(as ``tests/server/test_faults.py`` does for its full disk).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def mounted_tmpfs(where: Path, options: str, fill: dict[str, bytes] | None = None) -> Iterator[Path]:
    """A tmpfs at ``where`` with mount ``options`` ("size=1m", "ro"); ``fill``: files written first
    (a read-only disk is made read-write, filled, then remounted read-only)."""
    where.mkdir(parents=True, exist_ok=True)
    read_only = "ro" in options.split(",")
    first = ",".join(o for o in options.split(",") if o != "ro") or "size=1m"
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", first, "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        reason = f"cannot mount a tmpfs here ({done.stderr.decode().strip()}); this test needs root"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        for name, data in (fill or {}).items():
            (where / name).parent.mkdir(parents=True, exist_ok=True)
            (where / name).write_bytes(data)
        if read_only:
            subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True, capture_output=True)
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False, capture_output=True)
