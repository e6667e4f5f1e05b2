"""``projector doctor display|server``: a check before the show, one line per thing that matters.

Each line is green (fine), amber (works, but look at it) or red (will not work as it is), with
what to do. The exit code is for scripts and service checks: 0 all green, 1 something amber,
2 something red. The checks only look: the doctor starts no server, opens no window and writes
nothing but a temporary file to test that a folder is writable.
"""

from __future__ import annotations

import argparse
import email.utils
import json
import os
import pwd
import resource
import shutil
import socket
import sqlite3
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pygame

from projector.cli.serve import add_database_argument
from projector.cli.service import UNIT_DIR, InstalledUnit, read_unit, unit_name
from projector.display.media_cache import default_cache_dir
from projector.display.options import TOKEN_ENV
from projector.display.output.gl_probe import run_probe
from projector.display.text.fonts import font_coverage, installed_faces, system_fonts
from projector.display.video import NoVideoDevice, start_video
from projector.server.config import ConfigError, load_config
from projector.store.database import describe
from projector.store.preflight import DatabaseRefused, check_sqlite_file
from projector.store.sqlite import SCHEMA_VERSION

GREEN, AMBER, RED = "green", "amber", "red"
MARKS = {GREEN: "ok  ", AMBER: "warn", RED: "FAIL"}
COLOURS = {GREEN: "\033[32m", AMBER: "\033[33m", RED: "\033[31m"}
EXIT = {GREEN: 0, AMBER: 1, RED: 2}

#: One character of each script a campaign's supporters write in, and whether the show needs it.
SCRIPTS: dict[str, tuple[str, bool]] = {
    "Latin": ("Ş", True),
    "Arabic": ("ع", True),
    "Cyrillic": ("Ж", True),
    "Devanagari": ("क", True),
    "Thai": ("ก", True),
    "Khmer": ("ក", True),
    "Hebrew": ("א", False),
    "Han (CJK)": ("中", False),
    "Ethiopic": ("ሰ", False),
    "Myanmar": ("က", False),
    "emoji": ("\U0001f91d", False),
}
#: Free space below which a disk is a problem: the display's picture cache, the server's database.
FREE_RED = 100 * 1024**2
FREE_AMBER = 1024**3
CLOCK_AMBER_S = 2.0


@dataclass(frozen=True, slots=True)
class Check:
    level: str
    what: str
    detail: str
    fix: str = ""


# --- checks shared by both --------------------------------------------------------------------


def check_folder(what: str, path: Path) -> list[Check]:
    """Writable, and room on its disk."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if os.statvfs(existing).f_flag & os.ST_RDONLY:
        # Root may write anywhere but here: a read-only disk (a kiosk's read-only root, a bad SD card).
        return [
            Check(
                RED,
                what,
                f"{path} is on a read-only disk",
                "pick a folder on a writable disk (--cache), or remount it read-write",
            )
        ]
    if not os.access(existing, os.W_OK):
        return [
            Check(RED, what, f"{path} is not writable by {_user()}", f"chown it to {_user()} or pick another")
        ]
    free = shutil.disk_usage(existing).free
    level = RED if free < FREE_RED else AMBER if free < FREE_AMBER else GREEN
    made = "" if path.exists() else " (will be created)"
    fix = "free space on that disk, or move the folder" if level != GREEN else ""
    return [Check(level, what, f"{path}{made}: {free / 1024**3:.1f} GiB free", fix)]


def _user() -> str:
    try:
        return os.getlogin()
    except OSError:
        return str(os.getuid())


def check_open_files() -> Check:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    hard_text = "unlimited" if hard == resource.RLIM_INFINITY else str(hard)
    if hard != resource.RLIM_INFINITY and hard < 4096:
        return Check(
            AMBER,
            "open-file limit",
            f"soft {soft}, hard {hard_text}: fewer than 4,096 connections at once",
            "raise it (LimitNOFILE=65536 in the unit, or /etc/security/limits.conf)",
        )
    return Check(GREEN, "open-file limit", f"soft {soft}, hard {hard_text} (the server raises soft to hard)")


# --- the server ---------------------------------------------------------------------------------


def server_checks(ns: argparse.Namespace) -> list[Check]:
    try:
        config = load_config(
            file=ns.config, overrides={"data_dir": ns.data_dir, "database": ns.database, "port": ns.port}
        )
    except ConfigError as exc:
        return [Check(RED, "config", str(exc), "fix the setting it names")]
    checks = [Check(GREEN, "config", f"listening on {config.host}:{config.port}, data in {config.data_dir}")]
    checks += check_folder("data directory", config.data_dir)
    checks.append(check_database(config.database, config.db_path, config.data_dir))
    checks.append(check_port(config.host, config.port))
    checks.append(check_open_files())
    checks.append(check_exposure(config.host, config.public_url))
    return checks


def check_database(database: str, db_path: Path, data_dir: Path) -> Check:
    name = describe(database, db_path)
    if database:
        return Check(GREEN, "database", f"PostgreSQL at {name} (checked when the server starts)")
    try:
        check_sqlite_file(db_path, data_dir, init=False)
    except DatabaseRefused as exc:
        return Check(
            RED, "database", str(exc).split("; nothing was changed")[0], "restore a backup, or --init"
        )
    if not db_path.exists():
        return Check(GREEN, "database", f"{db_path} does not exist yet: the first start creates it")
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()
    if version > SCHEMA_VERSION:
        return Check(
            RED, "database", f"schema {version} is newer than this projector's {SCHEMA_VERSION}", "upgrade"
        )
    note = "" if version == SCHEMA_VERSION else f" (the server will migrate it to {SCHEMA_VERSION})"
    return Check(GREEN, "database", f"{db_path}: sound, schema {version}{note}")


def check_port(host: str, port: int) -> Check:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            return Check(
                AMBER,
                "listening address",
                f"{host}:{port} is taken ({exc.strerror})",
                "is the server already running? otherwise pick another --port",
            )
    return Check(GREEN, "listening address", f"{host}:{port} is free")


def check_exposure(host: str, public_url: str) -> Check:
    if host in ("127.0.0.1", "::1", "localhost"):
        return Check(
            GREEN, "exposure", "loopback only: displays on this machine only, or behind a proxy here"
        )
    if public_url.startswith("https://"):
        return Check(GREEN, "exposure", f"behind TLS as {public_url}")
    return Check(
        AMBER,
        "exposure",
        f"listening on {host} without TLS: tokens and passwords cross the network in the clear",
        "put a TLS reverse proxy in front and set public_url (README: Running it safely)",
    )


# --- the display --------------------------------------------------------------------------------


def display_checks(ns: argparse.Namespace, env: Mapping[str, str] = os.environ) -> list[Check]:
    checks = check_video(env)
    if checks[0].level != RED:
        checks.append(check_gl())
    checks += check_fonts()
    server, token, cache = ns.server, ns.token or env.get(TOKEN_ENV, ""), ns.cache
    service, unit = check_service(ns.unit_dir)
    checks += service
    from_unit = False
    if unit is not None:
        unit_server = unit.flag("--server")
        if server is None and unit_server:
            # No --server here: check what the installed service runs with, as the next boot will.
            server, token, from_unit = unit_server, _unit_token(unit, checks), True
        elif server is not None and unit_server not in (None, server):
            checks.append(
                Check(
                    AMBER,
                    "service",
                    f"it runs with --server {unit_server}, not {server}: the service is what starts at boot",
                    f"projector install-service display -- --server {server} ... (or run the doctor"
                    " without --server to check the service's own)",
                )
            )
        cache = cache or _unit_cache(unit)
    checks += check_folder("picture cache", cache or default_cache_dir(ns.name))
    if server:
        found = check_server(server, token)
        if from_unit:
            # Whatever is wrong here is wrong at every boot: the fix is a new unit, not a flag.
            found = [_from_unit(c) for c in found]
        checks += found
    else:
        checks.append(Check(AMBER, "server", "no --server given: not checked", "pass --server URL --token T"))
    return checks


def check_service(unit_dir: Path) -> tuple[list[Check], InstalledUnit | None]:
    """The installed display unit (``install-service display``), if any: readable, with a server, a user."""
    name = unit_name("display")
    try:
        unit = read_unit("display", unit_dir)
    except (OSError, ValueError) as exc:
        return [Check(AMBER, "service", f"{name} cannot be read ({exc})", "run the doctor as root")], None
    if unit is None:
        return [], None
    server = unit.flag("--server")
    if not server:
        fix = "projector install-service display -- --server URL --token T"
        return [Check(RED, "service", f"{unit.path} gives no --server: it shows nothing", fix)], unit
    try:
        pwd.getpwnam(unit.user)
    except KeyError:
        return [
            Check(
                RED,
                "service",
                f"{unit.path} runs as {unit.user!r}, who does not exist here: it cannot start",
                f"useradd --system --create-home --home-dir /var/lib/projector {unit.user}",
            )
        ], unit
    return [Check(GREEN, "service", f"{unit.path}: as {unit.user}, --server {server} (checked below)")], unit


def _unit_token(unit: InstalledUnit, checks: list[Check]) -> str | None:
    """The token the service runs with; None (not checked, said in ``checks``) if it cannot be read."""
    try:
        return unit.token() or ""
    except OSError as exc:
        checks.append(
            Check(
                AMBER,
                "service",
                f"its token in {unit.env_file} cannot be read ({exc.strerror}): not checked",
                "run the doctor as root (sudo projector doctor display)",
            )
        )
        return None


def _unit_cache(unit: InstalledUnit) -> Path:
    """The picture cache the service uses: its --cache, else its user's default for its --name."""
    given = unit.flag("--cache")
    if given:
        return Path(given)
    name = unit.flag("--name") or socket.gethostname()
    try:
        home = Path(pwd.getpwnam(unit.user).pw_dir)
    except KeyError:
        return default_cache_dir(name)
    return default_cache_dir(name, home)


def _from_unit(check: Check) -> Check:
    if check.level == GREEN or check.what not in ("server", "token"):
        return check
    fix = f"{check.fix}, then install the service again: projector install-service display -- --server URL --token T"
    return Check(check.level, check.what, f"the installed service's: {check.detail}", fix)


def check_video(env: Mapping[str, str]) -> list[Check]:
    """SDL's video driver (started, no window opened) and the monitors it sees with their modes."""
    try:
        driver = start_video(env)
    except NoVideoDevice as exc:
        return [
            Check(RED, "video", str(exc), "set DISPLAY, or run on the console with SDL_VIDEODRIVER=kmsdrm")
        ]
    checks = [Check(GREEN, "video", f"SDL driver {driver}")]
    sizes = pygame.display.get_desktop_sizes()
    if not sizes:
        checks.append(
            Check(RED, "monitors", "none connected", "plug in the screen or projector, then restart")
        )
        return checks
    for i, (w, h) in enumerate(sizes):
        modes = pygame.display.list_modes(display=i)
        best = f"; largest mode {modes[0][0]}x{modes[0][1]}" if isinstance(modes, list) and modes else ""
        checks.append(Check(GREEN, f"monitor {i}", f"{w}x{h}{best}"))
    return checks


def check_gl() -> Check:
    answer = run_probe()
    if not answer.available:
        return Check(AMBER, "OpenGL", f"none ({answer.reason}): the software output path is used", "")
    software = any(s in answer.renderer.lower() for s in ("llvmpipe", "softpipe", "swrast"))
    if software:
        return Check(
            AMBER, "OpenGL", f"{answer.renderer}: software rendering", "install the GPU's Mesa driver"
        )
    return Check(GREEN, "OpenGL", f"{answer.renderer} ({answer.version})")


def check_fonts() -> list[Check]:
    packaged = [font_coverage(p) for p in {f.path for files in installed_faces().values() for f in files}]
    system = system_fonts()
    checks: list[Check] = []
    missing_needed: list[str] = []
    missing_other: list[str] = []
    for script, (sample, needed) in SCRIPTS.items():
        point = ord(sample)
        if any(point in cover for cover in packaged) or any(point in f.coverage for f in system):
            continue
        (missing_needed if needed else missing_other).append(script)
    found = len(SCRIPTS) - len(missing_needed) - len(missing_other)
    if missing_needed:
        checks.append(
            Check(
                RED,
                "fonts",
                f"no font for {', '.join(missing_needed)}",
                "reinstall projector (its font packages)",
            )
        )
    if missing_other:
        checks.append(
            Check(
                AMBER,
                "fonts",
                f"no font for {', '.join(missing_other)}: such messages show boxes",
                "install fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji",
            )
        )
    if not checks:
        checks.append(Check(GREEN, "fonts", f"all {found} scripts checked have a font"))
    return checks


def check_server(server: str, token: str | None) -> list[Check]:
    """The server's answer, the clock's offset from it, and the token (None: not checked)."""
    base = server.rstrip("/")
    if base.startswith("ws"):
        base = "http" + base[2:].removesuffix("/ws")
    sent = time.time()
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
            received = time.time()
            date = r.headers.get("Date")
    except (urllib.error.URLError, OSError) as exc:
        return [
            Check(
                RED, "server", f"{base} does not answer ({exc})", "check the URL, the network, the firewall"
            )
        ]
    rtt = received - sent
    checks = [Check(GREEN, "server", f"{base} answers in {rtt * 1000:.0f} ms")]
    if date:
        offset = email.utils.parsedate_to_datetime(date).timestamp() - (sent + received) / 2
        # The Date header has whole seconds: only an offset well past that is worth a word.
        if abs(offset) > CLOCK_AMBER_S + 1:
            checks.append(
                Check(
                    AMBER,
                    "clock",
                    f"about {_span(offset)} from the server's: cues still switch together (displays sync to"
                    " the server), but logs and schedules read wrong",
                    "turn on NTP (timedatectl set-ntp true)",
                )
            )
        else:
            checks.append(Check(GREEN, "clock", "within a few seconds of the server's"))
    if token is not None:
        checks.append(check_token(base, token))
    return checks


def _span(seconds: float) -> str:
    """``+3.0 h``, ``-12 min``, ``+5 s``: the Date header is whole seconds, so no more precision."""
    if abs(seconds) >= 3600:
        return f"{seconds / 3600:+.1f} h"
    if abs(seconds) >= 120:
        return f"{seconds / 60:+.0f} min"
    return f"{seconds:+.0f} s"


def check_token(base: str, token: str) -> Check:
    if not token:
        return Check(
            RED,
            "token",
            f"no display token (--token or ${TOKEN_ENV})",
            "projector token create --scope display",
        )
    request = urllib.request.Request(base + "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as r:
            who = json.loads(r.read())
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            return Check(
                RED, "token", "the server does not know this token (revoked or mistyped)", "create a new one"
            )
        return Check(AMBER, "token", f"the server answered {exc.code} when asked who this token is")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Check(AMBER, "token", f"not checked ({exc})")
    role = who.get("role")
    if role != "display":
        return Check(AMBER, "token", f"a {role!r} token: a display should have its own display token")
    return Check(GREEN, "token", f"a display token ({who.get('name')})")


# --- the command --------------------------------------------------------------------------------


def add_doctor_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="doctor_role", required=True)
    server = sub.add_parser("server", help="check a server machine")
    server.add_argument("--config", type=Path)
    server.add_argument("--data-dir", type=Path)
    server.add_argument("--port", type=int)
    add_database_argument(server)
    display = sub.add_parser("display", help="check a display machine")
    display.add_argument("--server", help="the server's address, as given to projector display")
    display.add_argument("--token", help=f"the display's token (default ${TOKEN_ENV})")
    display.add_argument("--name", default=socket.gethostname(), help="the display's name (its cache folder)")
    display.add_argument("--cache", type=Path, help="the picture cache folder, if not the default")
    display.add_argument(
        "--unit-dir",
        type=Path,
        default=UNIT_DIR,
        help=f"where install-service put the display's unit (default {UNIT_DIR}); checked if there",
    )
    parser.add_argument("--no-colour", action="store_true", help="plain text (also when not a terminal)")


def report(checks: list[Check], colour: bool) -> int:
    for c in checks:
        mark = f"{COLOURS[c.level]}{MARKS[c.level]}\033[0m" if colour else MARKS[c.level]
        line = f"{mark}  {c.what}: {c.detail}"
        print(line + (f"\n      -> {c.fix}" if c.fix else ""))
    worst = max((EXIT[c.level] for c in checks), default=0)
    return worst


def run_doctor(ns: argparse.Namespace) -> int:
    checks = server_checks(ns) if ns.doctor_role == "server" else display_checks(ns)
    return report(checks, colour=sys.stdout.isatty() and not ns.no_colour)
