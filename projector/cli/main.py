"""``projector serve | display | demo | token create``: the command-line entry point."""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import scenes  # noqa: F401  (the built-in scenes register on import; the display never imports them)
from projector import __version__
from projector.cli import serve as server
from projector.cli.backup import add_backup_arguments, add_restore_arguments, run_backup, run_restore
from projector.cli.cue import add_cue_arguments, run_cue
from projector.cli.demo import add_demo_arguments, run_demo
from projector.cli.display import HELP as DISPLAY_HELP
from projector.cli.display import run_display_command, video_ready
from projector.cli.doctor import add_doctor_arguments, run_doctor
from projector.cli.media import add_cases_arguments, add_media_arguments, run_cases, run_media
from projector.cli.serve import add_database_argument
from projector.cli.service import add_install_arguments, add_uninstall_arguments, run_install, run_uninstall
from projector.display.options import add_display_arguments
from projector.server.config import ConfigError, load_config
from projector.store.database import describe, open_store
from projector.store.records import StoreError, is_disk_full

SCOPES = ("ingest", "display", "operator", "admin")


def _cmd_serve(ns: argparse.Namespace) -> int:
    return server.serve(server.config_from_args(ns), init=ns.init)


def _cmd_token_create(ns: argparse.Namespace) -> int:
    config = load_config(overrides={"data_dir": ns.data_dir, "database": ns.database})
    # A store that cannot be written (a full disk, a damaged file) is one line saying so,
    # and exit status 1: whoever runs this is setting up a show, not reading a traceback.
    try:
        config.data_dir.mkdir(parents=True, exist_ok=True)
        store = open_store(config.database, config.db_path)
        try:
            token_id, secret = store.create_token(ns.scope, ns.label or ns.scope, time.time())
        finally:
            store.close()
    except (StoreError, sqlite3.Error, OSError) as exc:
        if is_disk_full(exc):
            reason = f"the disk holding {config.data_dir} is full"
        else:
            reason = " ".join(str(exc).split())
        print(f"projector token create: {reason}; no token was created", file=sys.stderr)
        return 1
    where = describe(config.database, config.db_path)
    print(f"created {ns.scope} token #{token_id} in {where}; it is shown only once:", file=sys.stderr)
    print(secret)
    return 0


def _cmd_demo(ns: argparse.Namespace) -> int:
    if not ns.headless and not video_ready("projector demo"):
        return 1  # before the demo seeds a database and starts its server
    return run_demo(ns)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="projector", description=__doc__)
    parser.add_argument("--version", action="version", version=f"projector {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server")
    server.add_serve_arguments(serve)
    serve.set_defaults(run=_cmd_serve)

    token = sub.add_parser("token", help="manage API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    create = token_sub.add_parser("create", help="create a token; prints it alone on the last line")
    create.add_argument("--scope", required=True, choices=SCOPES)
    create.add_argument("--label", help="who or what uses it (recorded with their actions)")
    create.add_argument("--data-dir", type=Path, help="the server's data directory (default ./data)")
    add_database_argument(create)
    create.set_defaults(run=_cmd_token_create)

    cases = sub.add_parser("cases", help="import or export case dossiers (folders of case.toml + pictures)")
    add_cases_arguments(cases)
    cases.set_defaults(run=run_cases)
    media = sub.add_parser("media", help="media store: prepare every picture variant ahead of time")
    add_media_arguments(media)
    media.set_defaults(run=run_media)

    backup = sub.add_parser("backup", help="copy the database while the server runs (SQLite)")
    add_backup_arguments(backup)
    backup.set_defaults(run=run_backup)
    restore = sub.add_parser("restore", help="put a backup in place of the database (server stopped)")
    add_restore_arguments(restore)
    restore.set_defaults(run=run_restore)

    install = sub.add_parser("install-service", help="a systemd unit for the display or the server (root)")
    add_install_arguments(install)
    install.set_defaults(run=run_install)
    uninstall = sub.add_parser("uninstall-service", help="remove what install-service made")
    add_uninstall_arguments(uninstall)
    uninstall.set_defaults(run=run_uninstall)

    doctor = sub.add_parser("doctor", help="check a display or server machine before the show")
    add_doctor_arguments(doctor)
    doctor.set_defaults(run=run_doctor)

    cue = sub.add_parser("cue", help="show control: go, back, blackout, panic, jump, list, load ...")
    add_cue_arguments(cue)
    cue.set_defaults(run=run_cue)

    display = sub.add_parser("display", help=DISPLAY_HELP)
    add_display_arguments(display)
    display.set_defaults(run=run_display_command)
    demo = sub.add_parser("demo", help="server + simulated campaign + display, on embedded defaults")
    add_demo_arguments(demo)
    demo.set_defaults(run=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    passed_on: list[str] = []
    if args[:1] == ["install-service"] and "--" in args:
        # Everything after "--" is the service's own command line, kept as given.
        cut = args.index("--")
        args, passed_on = args[:cut], args[cut + 1 :]
    ns = build_parser().parse_args(args)
    if passed_on:
        ns.flags = passed_on
    try:
        return int(ns.run(ns))
    except ConfigError as exc:
        print(f"projector: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:  # a wrong or unreachable database, named without its password
        print(f"projector: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
