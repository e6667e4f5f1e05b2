"""``projector backup`` and ``projector restore``: a copy of the SQLite store taken while the server
runs, and putting one back while it does not (``projector.store.backup``)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from projector.cli.serve import add_database_argument
from projector.server.config import Config, load_config
from projector.store.backup import backup, restore
from projector.store.preflight import DatabaseRefused

BACKUP_DIR = "backups"


def add_backup_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        nargs="?",
        type=Path,
        help="where to write it (default: DATA_DIR/backups/projector-<UTC time>.db); never overwritten",
    )
    parser.add_argument("--data-dir", type=Path, help="the server's data directory (default ./data)")
    add_database_argument(parser)


def add_restore_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="a backup made by `projector backup`")
    parser.add_argument("--data-dir", type=Path, help="the server's data directory (default ./data)")
    add_database_argument(parser)


def _sqlite_config(ns: argparse.Namespace) -> Config:
    config = load_config(overrides={"data_dir": ns.data_dir, "database": ns.database})
    if config.database:
        # PostgreSQL has its own tools, which know its replication and roles better than we would.
        raise DatabaseRefused("the store is PostgreSQL: back it up with pg_dump and restore with pg_restore")
    return config


def run_backup(ns: argparse.Namespace) -> int:
    config = _sqlite_config(ns)
    target: Path = ns.file or config.data_dir / BACKUP_DIR / time.strftime(
        "projector-%Y%m%dT%H%M%SZ.db", time.gmtime()
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    info = backup(config.db_path, target)
    print(
        f"backed up {info.actions} actions (schema {info.schema_version}, {info.size} bytes) to {info.path}"
    )
    return 0


def run_restore(ns: argparse.Namespace) -> int:
    config = _sqlite_config(ns)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    info, aside = restore(ns.file, config.db_path)
    kept = f"; the database it replaced is kept as {aside.name}" if aside is not None else ""
    print(f"restored {info.actions} actions from {ns.file} into {config.db_path}{kept}")
    return 0
