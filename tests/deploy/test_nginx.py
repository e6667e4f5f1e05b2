"""The README's nginx configuration in front of a real server process: the API, the display websocket
and the panel's, through the proxy as a venue would run them (Debian's nginx, a real socket)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path

import aiohttp
import pytest
import websockets

from tests.server.nodes import Node, http
from tests.server.nodes import create_token as create_node_token
from tests.server.test_process import ROOT, ServerProcess, create_token, free_port
from tests.store.pg_cluster import postgres_cluster, postgres_url

__all__ = ["postgres_cluster", "postgres_url"]

DEPLOY = ROOT / "deploy" / "nginx"


def _nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("nginx is missing (Debian: apt-get install nginx-light)")
        pytest.skip("nginx is not installed")
    return found


@contextlib.contextmanager
def _nginx_in_front(prefix: Path, ports: list[int]) -> Iterator[str]:
    """The shipped proxy settings in front of the servers on ``ports``; its address."""
    nginx = _nginx()
    site = (DEPLOY / "projector.conf").read_text()
    head = site.split("upstream projector")[0]  # the map of Upgrade to Connection, as shipped
    servers = " ".join(f"server 127.0.0.1:{port} max_fails=1 fail_timeout=30s;" for port in ports)
    port = free_port()
    (prefix / "logs").mkdir(parents=True)
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"""
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log;
worker_processes 1;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    {head}
    upstream projector {{ {servers} keepalive 8; }}
    server {{
        listen 127.0.0.1:{port};
        include {DEPLOY / "projector-proxy.conf"};
    }}
}}
"""
    )
    proc = subprocess.Popen([nginx, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (prefix / "nginx.pid").exists():
        assert proc.poll() is None, (prefix / "logs" / "error.log").read_text()
        time.sleep(0.05)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[str, ServerProcess, dict[str, str]]]:
    _nginx()
    server = ServerProcess(tmp_path / "data")
    tokens = {scope: create_token(server.data_dir, scope) for scope in ("display", "ingest", "operator")}
    server.start()
    try:
        with _nginx_in_front(tmp_path / "nginx", [server.port]) as address:
            yield address, server, tokens
    finally:
        server.stop()


async def test_api_and_websockets_through_the_proxy(
    proxied: tuple[str, ServerProcess, dict[str, str]],
) -> None:
    address, _, tokens = proxied
    hello = {
        "v": 1,
        "type": "hello",
        "name": "behind-nginx",
        "token": tokens["display"],
        "protocol": 1,
        "resolution": [1920, 1080],
        "capabilities": [],
    }
    async with websockets.connect(f"ws://{address}/ws") as display:
        await display.send(json.dumps(hello))
        snapshot = json.loads(await asyncio.wait_for(display.recv(), 10))
        assert snapshot["type"] == "snapshot"
        headers = {"Authorization": f"Bearer {tokens['ingest']}"}
        async with aiohttp.ClientSession(headers=headers) as http:
            action = {"id": uuid.uuid4().hex, "channel": "letter", "country": "TR"}
            async with http.post(f"http://{address}/api/v1/actions", json=action) as r:
                assert r.status == 200
        # The total reaches the display through the proxy at once (no buffering in between).
        deadline = time.monotonic() + 5
        total = 0
        while total < 1 and time.monotonic() < deadline:
            frame = json.loads(await asyncio.wait_for(display.recv(), 5))
            if frame["type"] == "totals":
                total = int(frame["total"])
        assert total == 1
    operator = {"Authorization": f"Bearer {tokens['operator']}"}
    async with (
        aiohttp.ClientSession(headers=operator) as http,
        http.ws_connect(f"http://{address}/api/v1/panel/ws") as panel,
    ):
        state = json.loads((await panel.receive(timeout=10)).data)
        assert state["type"] == "state" and state["totals"]["total"] == 1
        async with http.get(f"http://{address}/healthz") as r:
            assert r.status == 200


def test_the_shipped_site_file_passes_nginx_t(tmp_path: Path) -> None:
    """The whole site file as a venue installs it (TLS included), with a throwaway certificate."""
    nginx = _nginx()
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=test",
            "-keyout",
            str(tmp_path / "key.pem"),
            "-out",
            str(tmp_path / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    site = (
        (DEPLOY / "projector.conf")
        .read_text()
        .replace("/etc/letsencrypt/live/projector.example.org/fullchain.pem", str(tmp_path / "cert.pem"))
        .replace("/etc/letsencrypt/live/projector.example.org/privkey.pem", str(tmp_path / "key.pem"))
        .replace("/etc/nginx/snippets/projector-proxy.conf", str(DEPLOY / "projector-proxy.conf"))
    )
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; events {{}}\nhttp {{\n{site}\n}}\n"
    )
    checked = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


async def _panel_state(address: str, cookies: dict[str, str]) -> dict[str, object]:
    async with (
        aiohttp.ClientSession(cookies=cookies) as http,
        http.ws_connect(f"http://{address}/api/v1/panel/ws") as panel,
    ):
        state: dict[str, object] = json.loads((await panel.receive(timeout=10)).data)
        return state


def test_a_panel_behind_the_proxy_outlives_the_node_it_was_on(tmp_path: Path, postgres_url: str) -> None:
    """Two nodes on one PostgreSQL behind the shipped proxy: a panel's login is good on
    either node, and when one node dies the panel's next connection reaches the other."""
    _nginx()
    ingest = create_node_token(postgres_url, tmp_path, "ingest")
    a, b = Node(tmp_path / "a", postgres_url), Node(tmp_path / "b", postgres_url)
    try:
        a.start()
        b.start()
        written = (a.data_dir / "admin-password.txt").read_text()  # the first node made the admin
        password = written.split("password:", 1)[1].strip()
        with _nginx_in_front(tmp_path / "nginx", [a.port, b.port]) as address:
            login = {"username": "admin", "password": password}
            request = urllib.request.Request(
                f"http://{address}/api/v1/login",
                data=json.dumps(login).encode(),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=10) as r:
                assert r.status == 200
                cookie = SimpleCookie(r.headers["Set-Cookie"])
            cookies = {key: morsel.value for key, morsel in cookie.items()}
            status, _ = http(
                "POST", a.base + "/api/v1/actions", ingest, {"id": "x1", "channel": "sms", "country": "KE"}
            )
            assert status == 200
            # The session is the database's: good through either node (nginx alternates).
            for _ in range(4):
                state = asyncio.run(_panel_state(address, cookies))
                assert state["type"] == "state" and state["totals"]["total"] == 1  # type: ignore[index]
            a.kill()
            status, _ = http(
                "POST", b.base + "/api/v1/actions", ingest, {"id": "x2", "channel": "sms", "country": "KE"}
            )
            assert status == 200
            # Every connection from now on reaches B, whichever node the panel was on.
            for _ in range(4):
                state = asyncio.run(_panel_state(address, cookies))
                assert state["totals"]["total"] == 2  # type: ignore[index]
    finally:
        a.stop()
        b.stop()
