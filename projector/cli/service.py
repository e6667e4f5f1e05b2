"""``projector install-service display|server [-- FLAGS]`` and ``uninstall-service``: systemd units that start
the display or the server at boot, as an unprivileged user, and bring it back when it fails.

The unit runs the same Python that ran this command (so a virtual environment keeps working),
with the flags given after the role. A display token never goes into the unit file, which anyone
on the machine may read: ``--token`` is moved to an environment file only root and the service
user can read (``/etc/projector/<unit>.env``, mode 0640).

The display unit is for a kiosk with no desktop: SDL draws on the console through KMS/DRM
(``SDL_VIDEODRIVER=kmsdrm``), which needs the user in the ``video`` and ``render`` groups (the
DRM device) and ``input`` (the keyboard, for calibration keys), and nothing else on the console.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from projector.display.options import TOKEN_ENV

UNIT_DIR = Path("/etc/systemd/system")
ENV_DIR = Path("/etc/projector")
ROLES = ("display", "server")


def unit_name(role: str) -> str:
    return f"projector-{role}.service"


def _split_token(flags: list[str]) -> tuple[list[str], str | None]:
    """The flags without ``--token X`` / ``--token=X``, and the token."""
    out: list[str] = []
    token = None
    it = iter(flags)
    for flag in it:
        if flag == "--token":
            token = next(it, None)
        elif flag.startswith("--token="):
            token = flag.split("=", 1)[1]
        else:
            out.append(flag)
    return out, token


def render_unit(role: str, flags: list[str], *, user: str, python: str, env_file: Path | None) -> str:
    """The unit file's text for ``role`` run with ``flags`` (the token already taken out)."""
    command = shlex.join([python, "-m", "projector.cli", role, *flags])
    lines = [
        "[Unit]",
        f"Description=projector {role}",
        "Wants=network-online.target",
        "After=network-online.target",
        # Restarted for ever, but not in a tight loop that fills the journal.
        "StartLimitIntervalSec=0",
        *(["Conflicts=getty@tty1.service"] if role == "display" else []),
        "",
        "[Service]",
        "Type=simple",
        f"User={user}",
        f"ExecStart={command}",
        "Restart=always" if role == "display" else "Restart=on-failure",
        "RestartSec=3",
        "TimeoutStopSec=15",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
    ]
    if env_file is not None:
        lines.append(f"EnvironmentFile={env_file}")
    if role == "server":
        lines += [
            # Idle sockets are capped below the open-file limit (README "Running it safely").
            "LimitNOFILE=65536",
            "ProtectSystem=full",
        ]
    else:
        lines += [
            "Environment=SDL_VIDEODRIVER=kmsdrm",
            "SupplementaryGroups=video render input",
            # The console is the screen: nothing else draws on it.
            "TTYPath=/dev/tty1",
            "StandardInput=tty-force",
            "StandardOutput=journal",
        ]
    lines += ["", "[Install]", "WantedBy=multi-user.target", ""]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class InstalledUnit:
    """What an installed unit runs: read back by ``projector doctor`` (a service installed with a
    wrong server URL or token keeps failing at every boot until someone looks)."""

    path: Path
    user: str
    #: The role's flags, as ``ExecStart`` passes them (the token is not among them).
    flags: tuple[str, ...]
    env_file: Path | None

    def flag(self, name: str) -> str | None:
        """The value of ``--name VALUE`` or ``--name=VALUE`` among the flags, if given."""
        for i, flag in enumerate(self.flags):
            if flag == name and i + 1 < len(self.flags):
                return self.flags[i + 1]
            if flag.startswith(name + "="):
                return flag.split("=", 1)[1]
        return None

    def token(self) -> str | None:
        """The token in the unit's environment file (None: no file, or no token in it).

        Raises ``OSError`` when the file cannot be read (mode 0640: root and the service's user).
        """
        if self.env_file is None:
            return None
        try:
            text = self.env_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        for line in text.splitlines():
            key, _, value = line.partition("=")
            if key.strip() == TOKEN_ENV:
                return value.strip().strip('"') or None
        return None


def read_unit(role: str, unit_dir: Path = UNIT_DIR) -> InstalledUnit | None:
    """The installed unit for ``role`` as :func:`render_unit` wrote it; None if none is installed.

    Raises ``OSError`` when it exists but cannot be read, ``ValueError`` when its command line
    is not one this module writes.
    """
    path = unit_dir / unit_name(role)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    user, command, env_file = "root", None, None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key == "User":
            user = value.strip()
        elif key == "ExecStart":
            command = shlex.split(value)
        elif key == "EnvironmentFile":
            env_file = Path(value.strip().removeprefix("-"))
    if command is None or role not in command:
        raise ValueError(f"{path} has no ExecStart running projector {role}")
    flags = tuple(command[command.index(role) + 1 :])
    return InstalledUnit(path, user, flags, env_file)


def add_install_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("role", choices=ROLES)
    parser.add_argument(
        "--user", default="projector", help="the unprivileged user it runs as (default projector)"
    )
    parser.add_argument(
        "--unit-dir", type=Path, default=UNIT_DIR, help=f"where units go (default {UNIT_DIR})"
    )
    parser.add_argument("--env-dir", type=Path, default=ENV_DIR, help=f"where secrets go (default {ENV_DIR})")
    parser.add_argument(
        "--no-enable",
        action="store_true",
        help="write the unit only (no systemctl daemon-reload / enable --now)",
    )
    # The role's own flags come after "--"; main() hands them over as ``flags`` (argparse's
    # subcommands cannot take "--" themselves).
    parser.set_defaults(flags=[])


def add_uninstall_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("role", choices=ROLES)
    parser.add_argument("--unit-dir", type=Path, default=UNIT_DIR)
    parser.add_argument("--env-dir", type=Path, default=ENV_DIR)
    parser.add_argument("--no-enable", action="store_true", help="do not call systemctl")


def run_install(ns: argparse.Namespace) -> int:
    flags = list(ns.flags)
    if ns.role == "display" and not any(f == "--server" or f.startswith("--server=") for f in flags):
        print("projector: a display service needs --server URL (after --)", file=sys.stderr)
        return 2
    flags, token = _split_token(flags)
    env_file = None
    if token:
        ns.env_dir.mkdir(parents=True, exist_ok=True)
        env_file = ns.env_dir / f"projector-{ns.role}.env"
        fd = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
        with os.fdopen(fd, "w") as f:
            f.write(f"{TOKEN_ENV}={token}\n")
    unit = ns.unit_dir / unit_name(ns.role)
    ns.unit_dir.mkdir(parents=True, exist_ok=True)
    unit.write_text(render_unit(ns.role, flags, user=ns.user, python=sys.executable, env_file=env_file))
    print(f"wrote {unit}" + (f" and {env_file}" if env_file else ""))
    if not ns.no_enable:
        for command in (["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", unit.name]):
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                print(f"projector: {' '.join(command)} failed: {done.stderr.strip()}", file=sys.stderr)
                return 1
        print(f"{unit.name} is enabled and started; `journalctl -u {unit.name}` shows its log")
    return 0


def run_uninstall(ns: argparse.Namespace) -> int:
    unit = ns.unit_dir / unit_name(ns.role)
    if not ns.no_enable and unit.exists():
        subprocess.run(["systemctl", "disable", "--now", unit.name], capture_output=True)
    removed = [p for p in (unit, ns.env_dir / f"projector-{ns.role}.env") if p.exists()]
    for path in removed:
        path.unlink()
    if not ns.no_enable:
        subprocess.run(["systemctl", "daemon-reload"], capture_output=True)
    print("removed " + ", ".join(map(str, removed)) if removed else f"no {unit.name} was installed")
    return 0
