"""Start a real server process for a benchmark, with tokens, and stop it afterwards."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def create_token(data_dir: Path, scope: str, root: Path = ROOT, **settings: object) -> str:
    """A new token in the store the settings name (``database=URL``: PostgreSQL), made by the
    checkout at ``root`` (another one, to compare)."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "projector.cli",
            "token",
            "create",
            "--scope",
            scope,
            "--data-dir",
            str(data_dir),
        ],
        cwd=root,
        env={**os.environ, **{f"PROJECTOR_{k.upper()}": str(v) for k, v in settings.items()}},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


class BenchServer:
    def __init__(self, data_dir: Path, root: Path = ROOT, **settings: object) -> None:
        """``root``: the checkout whose ``server.py`` runs (another one, to compare)."""
        self.data_dir = data_dir
        self.root = root
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **{f"PROJECTOR_{k.upper()}": str(v) for k, v in settings.items()}}
        self.env.setdefault("PROJECTOR_LOG_LEVEL", "WARNING")
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> BenchServer:
        self.proc = subprocess.Popen(
            [sys.executable, "server.py", "--port", str(self.port), "--data-dir", str(self.data_dir)],
            cwd=self.root,
            env=self.env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(15)

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far."""
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mib(self) -> float:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")


def next_frame(buffer: bytearray) -> tuple[int, bytes] | None:
    """Take one whole websocket frame (unmasked, as a server sends) off the front of
    ``buffer``: its opcode and payload; None until a whole frame is there."""
    if len(buffer) < 2:
        return None
    opcode, n, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
    if n == 126:
        if len(buffer) < 4:
            return None
        n, start = struct.unpack("!H", buffer[2:4])[0], 4
    elif n == 127:
        if len(buffer) < 10:
            return None
        n, start = struct.unpack("!Q", buffer[2:10])[0], 10
    if len(buffer) < start + n:
        return None
    payload = bytes(buffer[start : start + n])
    del buffer[: start + n]
    return opcode, payload


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [list(headers), *[[str(c) for c in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def call_api(
    base: str,
    token: str,
    method: str,
    path: str,
    body: object = None,
    *,
    data: bytes | None = None,
    content_type: str = "application/json",
    timeout: float = 10.0,
) -> Any:
    """One authorised request to the server's HTTP API (``body`` as JSON, or ``data``
    as it is); the answer's JSON."""
    request = urllib.request.Request(
        base + path,
        data=data if data is not None else None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
    )
    with urllib.request.urlopen(request, timeout=timeout) as r:
        return json.loads(r.read())


def upload_jpeg(base: str, token: str, name: str, photo: bytes) -> Any:
    """Upload a JPEG as the panel does; the stored media's description (hash, bytes, focus)."""
    return call_api(
        base, token, "POST", f"/api/v1/media?name={name}", data=photo, content_type="image/jpeg", timeout=60
    )
