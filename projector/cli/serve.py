"""``projector serve``: the server's command-line flags, logging and the run loop."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from projector.server.app import build_app
from projector.server.config import Config, ConfigError, load_config
from projector.server.listen import serve_until_stopped
from projector.store.database import describe
from projector.store.preflight import DatabaseRefused
from projector.store.records import StoreError

log = logging.getLogger("projector.server")


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="TOML config file (default: DATA_DIR/projector.toml)")
    parser.add_argument("--data-dir", type=Path, help="where the database and secrets live (default ./data)")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1; 0.0.0.0 for the LAN)")
    parser.add_argument("--port", type=int, help="port (default 8080)")
    parser.add_argument("--goal", type=int, help="campaign goal (seeds the store on first run)")
    parser.add_argument("--record", type=int, help="last year's record (seeds the store on first run)")
    parser.add_argument("--log-level", help="DEBUG, INFO, WARNING")
    add_database_argument(parser)
    parser.add_argument(
        "--init",
        action="store_true",
        help="begin a new, empty database where the old one is missing, empty or damaged"
        " (the old file is kept beside it); without it the server refuses to start on one",
    )


def add_database_argument(parser: argparse.ArgumentParser) -> None:
    """``--database``, for every command that opens the store (the server and the local tools)."""
    parser.add_argument(
        "--database",
        help="postgresql://user:password@host/dbname: the PostgreSQL database servers share"
        " (default: SQLite in the data directory; $PROJECTOR_DATABASE)",
    )


def config_from_args(ns: argparse.Namespace) -> Config:
    return load_config(
        file=ns.config,
        overrides={
            "data_dir": ns.data_dir,
            "host": ns.host,
            "port": ns.port,
            "goal": ns.goal,
            "record": ns.record,
            "log_level": ns.log_level,
            "database": ns.database,
        },
    )


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def serve(config: Config, *, init: bool = False) -> int:
    """Run until stopped; 1 (after one log line saying why) when the store cannot be opened."""
    setup_logging(config.log_level)
    store = describe(config.database, config.db_path)
    log.info(
        "projector server on http://%s:%d (data in %s, store %s)",
        config.host,
        config.port,
        config.data_dir,
        store,
    )
    try:
        asyncio.run(serve_until_stopped(build_app(config, init=init)))
    except DatabaseRefused as exc:
        log.error("refusing to start: %s", exc)
        return 1
    except StoreError as exc:
        # A wrong or unreachable database: the message names it (never its password) and why.
        log.error("cannot open the store: %s", exc)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="server.py", description="Run the projector server.")
    add_serve_arguments(parser)
    ns = parser.parse_args(argv)
    try:
        config = config_from_args(ns)
    except ConfigError as exc:
        print(f"projector: {exc}", file=sys.stderr)
        return 2
    return serve(config, init=ns.init)


if __name__ == "__main__":
    sys.exit(main())
