"""A throwaway PostgreSQL cluster for tests and benchmarks: initdb, pg_ctl, a temp dir, gone afterwards.

PostgreSQL refuses to run as root, and CI runs as root: then the cluster runs as an
unprivileged system user (``postgres``, which Debian's package creates, else
``projector-ci``, created here) through ``runuser``. The data directory and the socket
directory live in one temp dir owned by that user. The server listens on its Unix socket
and on a free loopback port (the benchmarks measure over TCP, as a remote database is reached).

``fsync=off`` for tests (a crash of the test machine loses nothing we need, and each
``CREATE DATABASE`` would otherwise flush); ``durable=True`` keeps PostgreSQL's defaults
so benchmarks measure real commits.

Fixtures: ``postgres_cluster`` (one per session, so one per xdist worker) and
``postgres_url`` (a fresh, empty database per test, dropped afterwards). Without the
PostgreSQL binaries the tests that use them skip with the reason, except under
``CI=true``, where they fail: CI installs PostgreSQL, so missing binaries there are a bug.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

#: Where Debian puts each major version's binaries (``/usr/lib/postgresql/15/bin``).
DEBIAN_BIN_DIRS = "/usr/lib/postgresql/*/bin"
#: The superuser initdb creates; tests and the store connect as it.
SUPERUSER = "projector"
#: Tried in order when we run as root; the last one is created if none exists.
SYSTEM_USERS = ("postgres", "projector-ci")


class PostgresMissing(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def find_bin_dir() -> Path:
    """The directory with ``initdb`` and ``pg_ctl``: the newest Debian one, else the PATH's."""
    debian = sorted(Path("/").glob(DEBIAN_BIN_DIRS.lstrip("/")), key=lambda p: _major(p.parent.name))
    for candidate in reversed(debian):
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    initdb = shutil.which("initdb")
    if initdb is not None and shutil.which("pg_ctl") is not None:
        return Path(initdb).resolve().parent
    raise PostgresMissing(
        "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin or on PATH;"
        " install Debian's postgresql package"
    )


def _major(name: str) -> int:
    return int(name) if name.isdigit() else -1


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _system_user() -> str:
    """An unprivileged user to run PostgreSQL as, when we are root (created if need be)."""
    for name in SYSTEM_USERS:
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    name = SYSTEM_USERS[-1]
    subprocess.run(["useradd", "--system", "--no-create-home", name], check=True, capture_output=True)
    return name


class PostgresCluster:
    """One running PostgreSQL server in a temp dir; ``stop`` removes everything."""

    def __init__(self, *, durable: bool = False) -> None:
        self.bin_dir = find_bin_dir()
        root_user = os.geteuid() == 0
        # As root, under /tmp: the postgres user must be able to reach the directory, and a
        # TMPDIR of root's own (/root/tmp) would stop it at the parent.
        self.root = Path(tempfile.mkdtemp(prefix="projector-pg-", dir="/tmp" if root_user else None))
        self.data_dir = self.root / "data"
        self.socket_dir = self.root  # short: a socket path has a ~100-byte limit
        self.log_file = self.root / "server.log"
        self.port = _free_port()
        self._durable = durable
        self._run_as: list[str] = []
        if root_user:
            user = _system_user()
            shutil.chown(self.root, user)
            self._run_as = ["runuser", "-u", user, "--"]
        self._names = itertools.count()
        self._options = ""

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self._run_as, *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stderr.strip()}\n{log[-2000:]}")

    def start(self) -> PostgresCluster:
        self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        options = [
            f"-p {self.port}",
            "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={self.socket_dir}",
            "-c max_connections=100",
        ]
        if not self._durable:
            options += ["-c fsync=off", "-c full_page_writes=off"]
        self._options = " ".join(options)
        self.resume()
        return self

    def pause(self) -> None:
        """Stop the server (``fast``: sessions are cut), keeping its data: a database gone away."""
        self._run(str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "fast", "-w")

    def resume(self) -> None:
        """Start the server (again) on the same data, port and socket."""
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "start",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-w",
            "-o",
            self._options,
        )

    def stop(self) -> None:
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._run(
                    str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "immediate", "-w"
                )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres", *, tcp: bool = False) -> str:
        if tcp:
            return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"
        return f"postgresql://{SUPERUSER}@/{database}?host={self.socket_dir}&port={self.port}"

    def create_database(self) -> str:
        """A new empty database (from ``template0``: nothing a test added to template1); its name."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return name

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def cluster_for_tests() -> PostgresCluster:
    """A started cluster; without PostgreSQL, a skip with the reason (a failure under ``CI=true``)."""
    try:
        cluster = PostgresCluster()
    except PostgresMissing as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {exc}", pytrace=False)
        pytest.skip(str(exc))
    try:
        return cluster.start()
    except BaseException:
        cluster.stop()
        raise


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    cluster = cluster_for_tests()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """The URL of a fresh, empty database on the session's cluster."""
    name = postgres_cluster.create_database()
    try:
        yield postgres_cluster.url(name)
    finally:
        postgres_cluster.drop_database(name)
