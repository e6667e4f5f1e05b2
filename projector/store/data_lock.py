"""One server per data directory: two processes writing one SQLite file through two caches, or a
restore under a running server, would each undo the other's work without an error."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from projector.store.preflight import DatabaseRefused

LOCK_FILE = "server.lock"


class DataDirLock:
    """An exclusive ``flock`` on ``<data dir>/server.lock``, held while the server runs.

    The kernel drops it when the process ends, however it ends, so a crashed server never
    leaves a stale lock behind (the pid in the file is only there to name the holder).
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self, what: str = "projector server") -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise DatabaseRefused(
                f"another {what} (pid {holder}) is using {self.path.parent}; stop it first"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None
