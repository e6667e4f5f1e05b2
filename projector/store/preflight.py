"""Before the server opens its SQLite file: never start a new, empty campaign by accident.

SQLite treats a missing or empty file as a new database, so a file cut to 0
bytes by a full disk, deleted by a clean-up script, or restored from a broken
copy used to start as a first run: totals 0, a new admin, every token refused.
Here the file is looked at first, and the server refuses to start, with one line
saying what is wrong and what to do, when

* the file is missing or empty while the data directory shows an earlier
  install (its admin password file, its media, its secret keys);
* it is not a SQLite file, or it is truncated (its size is not whole pages, or
  shorter than its header says);
* SQLite's own ``quick_check`` finds it damaged.

``init=True`` (``projector serve --init``) is the operator saying "begin again":
a damaged or empty file is moved aside (never deleted) and a new one is made.
A data directory with no earlier install is a first run and needs no flag.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from projector.store.records import StoreError

log = logging.getLogger("projector.store")

#: Files and folders only an installed server leaves in its data directory.
INSTALL_TRACES = ("admin-password.txt", "media", "backups")
SQLITE_HEADER = b"SQLite format 3\x00"
#: The header is the first 100 bytes of the first page.
HEADER_SIZE = 100


class DatabaseRefused(StoreError):
    """The database is missing, damaged or empty where it should not be; the message says what to do."""


def install_traces(data_dir: Path) -> list[str]:
    return [name for name in INSTALL_TRACES if (data_dir / name).exists()]


def check_sqlite_file(path: Path, data_dir: Path, *, init: bool) -> None:
    """Refuse (``DatabaseRefused``) to open ``path`` as anything but the campaign it was.

    With ``init``, a refused file is moved aside and the caller opens a new one.
    """
    problem = _problem(path, data_dir)
    if problem is None:
        return
    if not init:
        raise DatabaseRefused(
            f"{problem}; nothing was changed. Restore a backup (projector restore FILE), or start with"
            " --init to begin a new, empty database (the old file is kept beside it)"
        )
    if path.exists():
        aside = move_aside(path, "damaged")
        log.warning("--init: %s; moved it to %s and starting a new database", problem, aside.name)
    else:
        log.warning("--init: %s; starting a new database", problem)


def _problem(path: Path, data_dir: Path) -> str | None:
    traces = install_traces(data_dir)
    earlier = f"{data_dir} holds an earlier install ({', '.join(traces)})"
    if not path.exists():
        return f"{path.name} is missing, but {earlier}" if traces else None
    size = path.stat().st_size
    if size == 0:
        return f"{path.name} is empty (0 bytes), but {earlier}" if traces else None
    with path.open("rb") as f:
        header = f.read(HEADER_SIZE)
    if len(header) < HEADER_SIZE or not header.startswith(SQLITE_HEADER):
        return f"{path.name} is not a SQLite database, or its first page is damaged"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages_in_header = int.from_bytes(header[28:32], "big")
    if page_size < 512 or size % page_size:
        return f"{path.name} is truncated ({size} bytes is not a whole number of {page_size}-byte pages)"
    if pages_in_header and size < pages_in_header * page_size and not _has_wal(path):
        return f"{path.name} is truncated ({size} bytes; its header says {pages_in_header * page_size})"
    damage = quick_check(path)
    if damage is not None:
        return f"{path.name} is damaged ({damage})"
    if traces and _is_blank(path):
        return f"{path.name} holds no tables, but {earlier}"
    return None


def _has_wal(path: Path) -> bool:
    """Pages not yet checkpointed live in the -wal file: the main file may be shorter than its header says."""
    wal = path.with_name(path.name + "-wal")
    return wal.exists() and wal.stat().st_size > 0


def quick_check(path: Path) -> str | None:
    """SQLite's own consistency check; None when the file is sound, else its first complaint."""
    try:
        conn = sqlite3.connect(path, timeout=10.0)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()
    first = str(rows[0][0]) if rows else "no answer"
    return None if first == "ok" else first


def _is_blank(path: Path) -> bool:
    conn = sqlite3.connect(path, timeout=10.0)
    try:
        return int(conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]) == 0
    finally:
        conn.close()


def move_aside(path: Path, why: str) -> Path:
    """Rename ``path`` (and its -wal and -shm files) to ``<name>.<why>-<UTC time>``; returns the new path."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = path.with_name(f"{path.name}.{why}-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.{why}-{stamp}-{n}")
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(target.with_name(target.name + suffix))
    path.rename(target)
    return target
