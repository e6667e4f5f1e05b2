"""Idle and silent sockets cannot starve the server: a real server process, real sockets."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from projector.server.web.connections import MIN_IDLE_AGE, ConnectionGuard
from tests.server.test_process import ROOT, free_port

ATTACKER = "127.0.0.2"  # all of 127/8 is loopback on Linux: a second "address" on one machine
#: Long enough past MIN_IDLE_AGE that a busy machine still opens the newcomers while the
#: first silent sockets are old enough to give way but not yet timed out.
HEADER_TIMEOUT = 4.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "PROJECTOR_MAX_CONNECTIONS_PER_ADDRESS": "100",
        "PROJECTOR_MAX_CONNECTIONS": "160",
        "PROJECTOR_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
    }
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "server.py", "--port", str(port), "--data-dir", str(tmp_path / "data")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).read()
            break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
    yield base
    proc.terminate()
    proc.wait(10)
    log.close()
    text = (tmp_path / "server.log").read_text()
    # Refusals are counted, and logged at most once per reason per ten seconds.
    assert text.count("header_timeout") <= 2, text[-2000:]


def _silent_sockets(port: int, n: int, source: str) -> list[socket.socket]:
    out = []
    for _ in range(n):
        s = socket.socket()
        s.bind((source, 0))
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", port))
            s.send(b"G")  # one byte of a request, then nothing
        except OSError:
            s.close()
            continue
        out.append(s)
    return out


def _closed_by_server(s: socket.socket) -> bool:
    try:
        s.settimeout(0.2)
        return s.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def _refused(base: str, reason: str) -> float:
    """The server's count of connections refused for ``reason``, from its metrics."""
    metrics = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
    name = f'projector_connections_refused_total{{reason="{reason}"}} '
    line = next((line for line in metrics.splitlines() if line.startswith(name)), None)
    return 0.0 if line is None else float(line.removeprefix(name))


def _healthz_seconds(base: str) -> float:
    t = time.monotonic()
    assert urllib.request.urlopen(base + "/healthz", timeout=5).status == 200
    return time.monotonic() - t


def test_silent_sockets_give_way_and_health_keeps_answering(server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    idle = _silent_sockets(port, 400, ATTACKER)  # four times the per-address cap
    try:
        # The server kept answering others the whole time, at once.
        assert _healthz_seconds(server) < 1.0
        # Over the cap, new sockets are refused while the silent ones are fresh: each one over
        # it is refused, or (on a machine so busy that the first ones are already old) takes
        # an idle one's place. Once the server has seen them all ...
        deadline = time.monotonic() + 10
        while _refused(server, "per_address") + _refused(server, "evicted_idle") < len(idle) - 100:
            assert time.monotonic() < deadline, "the server did not see every socket"
            time.sleep(0.05)
        seen = time.monotonic()
        # ... and those have been silent a while, they give way to new ones.
        time.sleep(MIN_IDLE_AGE + 0.3)
        idle += _silent_sockets(port, 50, ATTACKER)
        assert time.monotonic() - seen < HEADER_TIMEOUT - 0.5, "the newcomers came after the timeout"
        newcomers_opened = time.monotonic()
        time.sleep(0.3)
        still_open = [s for s in idle if not _closed_by_server(s)]
        assert len(still_open) <= 100
        assert sum(1 for s in idle[-50:] if s in still_open) > 0  # newcomers got in
        # And after the header timeout, none of them is left.
        time.sleep(max(0.0, newcomers_opened + HEADER_TIMEOUT + 0.5 - time.monotonic()))
        assert all(_closed_by_server(s) for s in still_open)
        assert _healthz_seconds(server) < 1.0
        assert _refused(server, "evicted_idle") > 0
        assert _refused(server, "per_address") > 0
        assert _refused(server, "header_timeout") > 0
    finally:
        for s in idle:
            s.close()


def test_a_slow_but_complete_request_is_served(server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as s:
        for chunk in (b"GET /hea", b"lthz HTTP/1.1\r\nHost: x\r\n", b"\r\n"):
            s.send(chunk)
            time.sleep(0.5)  # 1.5 s in all: inside the header timeout
        s.settimeout(5)
        assert s.recv(100).startswith(b"HTTP/1.1 200")


def test_the_guard_prefers_giving_way_to_refusing() -> None:
    reasons: list[str] = []
    guard = ConnectionGuard(per_address=2, total=3, header_timeout=5, on_refused=reasons.append)

    class Conn:
        def __init__(self, address: str) -> None:
            self.address = address
            self.opened = 0.0  # long silent: may give way
            self.evicted = False

        def evict(self) -> None:
            self.evicted = True

    a1, a2, a3 = Conn("a"), Conn("a"), Conn("a")
    assert guard.admit(a1) and guard.admit(a2)  # type: ignore[arg-type]
    guard.started(a2)  # type: ignore[arg-type]  # a2 finished its headers: it is a real client now
    assert guard.admit(a3)  # type: ignore[arg-type]
    assert a1.evicted and not a2.evicted and reasons == ["evicted_idle"]
    guard.started(a3)  # type: ignore[arg-type]
    assert not guard.admit(Conn("a"))  # type: ignore[arg-type]  # nobody idle left to give way
    assert reasons[-1] == "per_address"
    b = Conn("b")
    assert guard.admit(b)  # type: ignore[arg-type]
    guard.started(b)  # type: ignore[arg-type]
    assert not guard.admit(Conn("c")) and reasons[-1] == "total"  # type: ignore[arg-type]
    guard.release(b)  # type: ignore[arg-type]
    assert guard.admit(Conn("c"))  # type: ignore[arg-type]


def test_fresh_silent_sockets_do_not_give_way_so_a_flood_meets_refusals() -> None:
    reasons: list[str] = []
    guard = ConnectionGuard(
        per_address=1, total=10, header_timeout=5, on_refused=reasons.append, min_idle_age=10
    )

    class Conn:
        def __init__(self) -> None:
            self.address = "a"
            self.opened = time.monotonic()  # just now
            self.evicted = False

        def evict(self) -> None:
            self.evicted = True

    first = Conn()
    assert guard.admit(first)  # type: ignore[arg-type]
    assert not guard.admit(Conn())  # type: ignore[arg-type]
    assert not first.evicted and reasons == ["per_address"]
