"""``projector serve --database`` / ``$PROJECTOR_DATABASE`` and the store tools, as real processes.

A server on PostgreSQL takes actions, stops, and a second server process on the same
database counts them exactly; a token made by ``projector token create --database``
works on it. A database that is wrong or unreachable stops the start with one log line
(naming it, never its password) and a non-zero exit.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.server.nodes import free_port, http, node_env, projector
from tests.store.pg_cluster import cluster_for_tests

ROOT = Path(__file__).resolve().parents[2]
_env, _projector, _free_port, _http = node_env, projector, free_port, http


@contextmanager
def _server(data_dir: Path, env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    args = [sys.executable, "-m", "projector.cli", "serve", "--data-dir", str(data_dir), "--port", str(port)]
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _http("GET", base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read() if proc.stdout else ""
                raise AssertionError(f"server did not start (exit {proc.poll()}):\n{out[-3000:]}")
            time.sleep(0.1)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_a_server_on_postgres_keeps_its_totals_across_a_restart(tmp_path: Path, postgres_url: str) -> None:
    made = _projector(
        "token", "create", "--scope", "ingest", "--database", postgres_url, "--data-dir", str(tmp_path)
    )
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    assert "in postgresql://projector@" in made.stderr  # where it went, without a password
    env = _env(PROJECTOR_DATABASE=postgres_url)
    batch = {"actions": [{"id": f"a{i}", "channel": "letter", "country": "DE"} for i in range(5)]}
    with _server(tmp_path / "node-a", env) as base:
        assert _http("POST", base + "/api/v1/actions", token, batch)[1]["accepted"] == 5
        assert _http("POST", base + "/api/v1/actions", token, batch)[1]["duplicates"] == 5
    # Another server process, another data directory: the database is what they share.
    with _server(tmp_path / "node-b", env) as base:
        assert _http("GET", base + "/api/v1/totals")[1]["total"] == 5
        status, reply = _http(
            "POST", base + "/api/v1/actions", token, {"id": "a1", "channel": "sms", "country": "FR"}
        )
        assert (status, reply["accepted"], reply["duplicates"]) == (200, 0, 1)
    assert not (tmp_path / "node-a" / "projector.db").exists()  # nothing went to SQLite


def test_an_unreachable_database_stops_the_start_with_one_line(tmp_path: Path) -> None:
    url = f"postgresql://projector:hunter2@127.0.0.1:{_free_port()}/nowhere"
    done = _projector("serve", "--data-dir", str(tmp_path), "--port", "0", "--database", url)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1, done.stderr
    assert "cannot open the store: cannot connect to postgresql://projector@127.0.0.1:" in errors[0]
    assert "Connection refused" in errors[0]
    assert "hunter2" not in done.stderr and "Traceback" not in done.stderr


def test_a_database_that_does_not_exist_stops_the_start(tmp_path: Path, postgres_cluster: Any) -> None:
    env = _env(PROJECTOR_DATABASE=postgres_cluster.url("no_such_database"))
    done = _projector("serve", "--data-dir", str(tmp_path), "--port", "0", env=env)
    assert done.returncode == 1
    assert 'database "no_such_database" does not exist' in done.stderr
    assert "Traceback" not in done.stderr


def test_a_database_setting_that_is_not_a_url_is_named(tmp_path: Path) -> None:
    done = _projector(
        "token", "create", "--scope", "admin", "--data-dir", str(tmp_path), "--database", "mysql://u:pw@h/db"
    )
    assert done.returncode == 2
    assert "database must be a postgresql:// URL" in done.stderr and "pw" not in done.stderr


def test_a_database_that_goes_away_and_comes_back(tmp_path: Path) -> None:
    """Writes answer 503 while PostgreSQL is down, reads of the live state go on, and the
    server recovers by itself when the database is back."""
    cluster = cluster_for_tests()  # its own: this test stops it
    try:
        url = cluster.url(cluster.create_database())
        made = _projector(
            "token", "create", "--scope", "ingest", "--database", url, "--data-dir", str(tmp_path)
        )
        token = made.stdout.strip().splitlines()[-1]
        with _server(tmp_path / "node", _env(PROJECTOR_DATABASE=url)) as base:
            action = {"id": "before", "channel": "letter", "country": "DE"}
            assert _http("POST", base + "/api/v1/actions", token, action)[0] == 200
            cluster.pause()
            for i in range(3):
                status, reply = _http("POST", base + "/api/v1/actions", token, {**action, "id": f"down-{i}"})
                assert status == 503, reply
                assert reply["error"]["code"] == "store_failed"
            assert _http("GET", base + "/api/v1/totals")[1]["total"] == 1  # the live state still answers
            cluster.resume()
            status, reply = _http("POST", base + "/api/v1/actions", token, {**action, "id": "after"})
            assert (status, reply["accepted"]) == (200, 1)
            assert _http("GET", base + "/api/v1/totals")[1]["total"] == 2
    finally:
        cluster.stop()


def test_cases_and_media_tools_work_on_the_postgres_store(tmp_path: Path, postgres_url: str) -> None:
    data = tmp_path / "data"
    env = _env(PROJECTOR_DATABASE=postgres_url)
    done = _projector(
        "cases", "import", str(ROOT / "media" / "demo"), "--data-dir", str(data), env=env, timeout=180
    )
    assert done.returncode == 0, done.stderr
    assert "imported 8 case(s)" in done.stdout
    done = _projector("cases", "export", str(tmp_path / "out"), "--data-dir", str(data), env=env)
    assert done.returncode == 0 and "exported 8 case(s)" in done.stdout, done.stderr
    assert not (data / "projector.db").exists()  # the cases went to PostgreSQL, the pictures to the data dir
    assert (data / "media").is_dir()
