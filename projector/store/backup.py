"""Backups of the SQLite store, taken while the server runs, and restoring one.

A backup uses SQLite's online backup API: a consistent copy of the whole
database as of one moment, taken page by page while the server goes on writing
(WAL readers never block the writer). The copy is checked (``quick_check``, our
application id, a schema this projector understands) before it is called good.

A restore refuses to run under a live server (it takes the data directory's
server lock), checks the backup the same way, moves the current file aside
(never deleting it), and puts the backup in its place through a temporary file
and a rename, so a restore cut short leaves either the old file or the new one.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from projector.store.data_lock import DataDirLock
from projector.store.preflight import DatabaseRefused, move_aside, quick_check
from projector.store.sqlite import APPLICATION_ID, SCHEMA_VERSION

#: Pages copied per step: small steps let the server's writes go on between them.
PAGES_PER_STEP = 1024


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: Path
    size: int
    schema_version: int
    actions: int


def check_backup(path: Path) -> BackupInfo:
    """What a backup holds; ``DatabaseRefused`` naming the problem if it is not a sound one of ours."""
    if not path.is_file():
        raise DatabaseRefused(f"{path} is not a file")
    damage = quick_check(path)
    if damage is not None:
        raise DatabaseRefused(f"{path} is not a sound SQLite database ({damage})")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if app_id != APPLICATION_ID:
            raise DatabaseRefused(f"{path} is not a projector database")
        if version > SCHEMA_VERSION:
            raise DatabaseRefused(
                f"{path} has schema version {version}, newer than this projector understands ({SCHEMA_VERSION})"
            )
        actions = int(conn.execute("SELECT count(*) FROM actions").fetchone()[0])
    except sqlite3.Error as exc:
        raise DatabaseRefused(f"{path} is not a projector database ({exc})") from exc
    finally:
        conn.close()
    return BackupInfo(path, path.stat().st_size, version, actions)


def backup(db_path: Path, target: Path) -> BackupInfo:
    """Copy the live database at ``db_path`` to ``target`` (a new file), then check the copy."""
    if not db_path.is_file():
        raise DatabaseRefused(f"there is no database at {db_path}")
    if target.exists():
        raise DatabaseRefused(f"{target} already exists; a backup never overwrites a file")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # it holds password hashes
    os.close(fd)
    source = sqlite3.connect(db_path, timeout=30.0)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy, pages=PAGES_PER_STEP)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        copy.close()
        source.close()
    info = check_backup(partial)
    os.replace(partial, target)
    return BackupInfo(target, info.size, info.schema_version, info.actions)


def restore(source: Path, db_path: Path) -> tuple[BackupInfo, Path | None]:
    """Put the backup ``source`` in place of ``db_path``; returns what it holds and where the old file went."""
    info = check_backup(source)
    lock = DataDirLock(db_path.parent)
    lock.acquire("projector server")
    try:
        incoming = db_path.with_name(db_path.name + ".restoring")
        incoming.unlink(missing_ok=True)
        fd = os.open(incoming, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(incoming)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        aside = move_aside(db_path, "before-restore") if db_path.exists() else None
        os.replace(incoming, db_path)
    finally:
        lock.release()
    return info, aside
