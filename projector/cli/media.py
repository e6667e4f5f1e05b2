"""``projector cases import|export DIR`` and ``projector media prepare``.

Dossiers go through the running server (``--server``/``$PROJECTOR_SERVER``
with an operator token, ``--token``/``$PROJECTOR_TOKEN``), so the screens
show an imported case at once; with ``--data-dir`` they go straight into a
stopped server's data directory instead. ``media prepare`` makes every
variant of every picture in a data directory on all cores, with a progress
bar, so a server started afterwards has nothing left to do.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TextIO

from media.dossier import DossierError
from media.exchange import export_dossiers, import_dossiers, temp_dir, unpack_zip, zip_folder
from media.library import MediaLibrary
from media.pipeline import MediaError
from media.variants import prepare
from projector.cli.http import CliError, request
from projector.cli.serve import add_database_argument
from projector.core.state import ShowState
from projector.server.config import load_config
from projector.server.media_service import MediaService
from projector.server.routes.media import media_record
from projector.store.database import open_store, shared_media


def add_cases_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("import", "export"), help="what to do")
    parser.add_argument("folder", type=Path, help="the folder of dossiers (<case-id>/case.toml + pictures)")
    parser.add_argument("--server", default=os.environ.get("PROJECTOR_SERVER", "http://127.0.0.1:8080"))
    parser.add_argument("--token", default=os.environ.get("PROJECTOR_TOKEN", ""), help="operator token")
    parser.add_argument(
        "--data-dir", type=Path, help="work on a stopped server's data directory instead of over HTTP"
    )
    add_database_argument(parser)  # with --data-dir: the server's database, if not SQLite there


def add_media_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("prepare",), help="prepare: make every missing variant")
    parser.add_argument("--data-dir", type=Path, help="the server's data directory (default ./data)")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: every core)")
    add_database_argument(parser)


def _http(ns: argparse.Namespace, method: str, path: str, body: bytes | None, ctype: str) -> bytes:
    no_token = "an operator token is needed: --token or $PROJECTOR_TOKEN (or use --data-dir)"
    return request(ns.server, ns.token, method, path, body, ctype, timeout=600, no_token=no_token)[1]


def run_cases(ns: argparse.Namespace) -> int:
    try:
        if ns.action == "import":
            ids, warnings = _import(ns)
            for warning in warnings:
                print(f"warning: {warning}", file=sys.stderr)
            print(f"imported {len(ids)} case(s): {', '.join(ids)}")
        else:
            count = _export(ns)
            print(f"exported {count} case(s) to {ns.folder}")
    except CliError as exc:
        print(f"projector cases: {exc}", file=sys.stderr)
        return 1
    return 0


def _import(ns: argparse.Namespace) -> tuple[list[str], list[str]]:

    folder = Path(ns.folder)
    if not folder.is_dir():
        raise CliError(f"{folder}: not a folder")
    if ns.data_dir is None:
        reply = json.loads(_http(ns, "POST", "/api/v1/dossiers.zip", zip_folder(folder), "application/zip"))
        return list(reply["imported"]), list(reply["warnings"])
    library, store, shared = _local(ns.data_dir, ns.database)
    try:
        result = import_dossiers(folder, library)
        now = time.time()

        for item in result.media:
            record = media_record(item, item.path.name, "cli", now)
            if shared is not None:  # each file's bytes before its record (media_bytes.py)
                shared.put(record.hash, library.path_of(record.hash))
            store.add_media(record)
        for case in result.cases:
            store.upsert_case(case)
    except (DossierError, MediaError) as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    return [c.id for c in result.cases], result.warnings


def _export(ns: argparse.Namespace) -> int:

    folder = Path(ns.folder)
    if ns.data_dir is None:
        data = _http(ns, "GET", "/api/v1/dossiers.zip", None, "application/json")
        with temp_dir() as tmp:
            root = unpack_zip(data, Path(tmp))
            count = sum(1 for p in root.iterdir() if (p / "case.toml").is_file())
            folder.mkdir(parents=True, exist_ok=True)
            for path in sorted(root.rglob("*")):
                target = folder / path.relative_to(root)
                if path.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(path.read_bytes())
        return count
    library, store, shared = _local(ns.data_dir, ns.database)
    try:
        cases = store.list_cases()
        if shared is not None:  # pictures other nodes took in: from the database
            for media_hash in {h for case in cases for h in case.media()}:
                if not library.has(media_hash):
                    shared.get(media_hash, library.path_of(media_hash))
        for warning in export_dossiers(cases, library, folder):
            print(f"warning: {warning}", file=sys.stderr)
    finally:
        store.close()
    return len(cases)


def _local(data_dir: Path, database: str | None):  # type: ignore[no-untyped-def]
    """The library, the store, and the files' shared copy where the database is one nodes share."""
    config = load_config(overrides={"data_dir": data_dir, "database": database})
    config.data_dir.mkdir(parents=True, exist_ok=True)
    shared = shared_media(config.database)
    return MediaLibrary(config.data_dir / "media"), open_store(config.database, config.db_path), shared


# --- media prepare ---------------------------------------------------------------------------------


class ProgressBar:
    """One line on stderr, redrawn in place on a terminal (plain lines every 10% otherwise)."""

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        # Looked up now, not at import: whoever redirected stderr since (a test, a wrapper) gets the lines.
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = self.stream.isatty()
        self._last_tenth = -1

    def __call__(self, progress) -> None:  # type: ignore[no-untyped-def]
        total = max(progress.total, 1)
        share = progress.done / total
        elapsed = time.monotonic() - progress.started
        rate = progress.done / elapsed if elapsed > 0 else 0.0
        eta = (progress.total - progress.done) / rate if rate > 0 else 0.0
        filled = int(self.width * share)
        bar = "#" * filled + "-" * (self.width - filled)
        failed = f", {progress.failed} failed" if progress.failed else ""
        line = f"[{bar}] {progress.done}/{progress.total} variants{failed}  {rate:.1f}/s  eta {eta:.0f}s"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if progress.finished is not None else ""))
        elif int(share * 10) != self._last_tenth:
            self._last_tenth = int(share * 10)
            self.stream.write(line + "\n")
        self.stream.flush()


def run_media(ns: argparse.Namespace) -> int:

    library, store, _ = _local(ns.data_dir, ns.database)
    try:
        cases = store.list_cases()
        stored = [m.hash for m in store.list_media()]
    finally:
        store.close()
    service = MediaService(library.root.parent, workers=ns.workers)
    state = ShowState(cases={c.id: c for c in cases})
    jobs = service.missing_jobs(service.pictures(state), stored)  # the same choice the server makes
    if not jobs:
        print(f"nothing to prepare: every variant of {len(stored)} picture(s) exists", file=sys.stderr)
        return 0
    workers = ns.workers or os.cpu_count() or 1
    print(
        f"preparing {len(jobs)} variant(s) of {len(stored)} picture(s) on {workers} process(es)",
        file=sys.stderr,
    )
    result = prepare(jobs, workers=workers, on_change=ProgressBar())
    took = (result.finished or time.monotonic()) - result.started
    print(f"done in {took:.1f}s: {result.done - result.failed} made, {result.failed} failed", file=sys.stderr)
    for error in result.errors:
        print(f"  {error}", file=sys.stderr)
    return 1 if result.failed else 0
