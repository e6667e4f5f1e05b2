"""Shared fixtures: a real server on a free port, with tokens, for integration tests."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import websockets
from aiohttp import web

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import scenes  # noqa: F401  (registers the built-in scenes, as the display command does)
from projector.server.app import ADMIN_PASSWORD_FILE, build_app
from projector.server.config import Config
from projector.server.services import SERVICES
from projector.store.base import Store


@dataclass
class RunningServer:
    app: web.Application
    runner: web.AppRunner
    base: str
    ws_url: str
    tokens: dict[str, str]
    admin_password: str
    session: aiohttp.ClientSession

    async def post(self, path: str, body: Any, token: str | None = "ingest", **kw: Any) -> tuple[int, Any]:
        headers = kw.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"Bearer {self.tokens.get(token, token)}"
        async with self.session.post(self.base + path, json=body, headers=headers, **kw) as r:
            return r.status, await r.json()

    async def put_json(self, path: str, body: Any, token: str | None = "operator") -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.tokens.get(token, token)}"} if token else {}
        async with self.session.put(self.base + path, json=body, headers=headers) as r:
            return r.status, await r.json()

    async def get(self, path: str, token: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[token]}"} if token else {}
        async with self.session.get(self.base + path, headers=headers) as r:
            return r.status, await r.json()

    async def display(
        self,
        name: str = "test-display",
        token: str | None = None,
        capabilities: tuple[str, ...] = (),
        *,
        resolution: tuple[int, int] = (1920, 1080),
        outputs: list[dict[str, Any]] | None = None,
    ) -> Any:
        """A display's websocket after its hello (the snapshot is the next frame to read)."""
        ws = await websockets.connect(self.ws_url, max_size=None)
        hello: dict[str, Any] = {
            "v": 1,
            "type": "hello",
            "name": name,
            "token": token or self.tokens["display"],
            "protocol": 1,
            "resolution": list(resolution),
            "capabilities": list(capabilities),
        }
        if outputs is not None:
            hello["outputs"] = outputs
        await ws.send(json.dumps(hello))
        return ws


async def start_server(config: Config) -> RunningServer:
    app = build_app(config)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    store = app[SERVICES].store
    tokens = {}
    for scope in ("ingest", "display", "operator", "admin"):

        def create(s: Store, scope: str = scope) -> tuple[int, str]:
            return s.create_token(scope, f"test-{scope}", time.time())

        _, secret = await store.call(create)
        tokens[scope] = secret
    password_file = config.data_dir / ADMIN_PASSWORD_FILE
    password = ""
    if password_file.exists():
        password = password_file.read_text().split("password: ")[1].strip()
    return RunningServer(
        app,
        runner,
        f"http://127.0.0.1:{port}",
        f"ws://127.0.0.1:{port}/ws",
        tokens,
        password,
        aiohttp.ClientSession(),
    )


async def restart(running: RunningServer) -> RunningServer:
    """Stop ``running`` and start a new server on its data (one server per data directory)."""
    await running.session.close()
    await running.runner.cleanup()
    return await start_server(running.app[SERVICES].config)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return replace(Config(), data_dir=tmp_path / "data", port=0, goal=1000, record=100)


@pytest.fixture
async def live(config: Config) -> AsyncIterator[RunningServer]:
    running = await start_server(config)
    try:
        yield running
    finally:
        await running.session.close()
        await running.runner.cleanup()


async def recv_json(ws: Any, timeout: float = 5.0) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return frame


#: Tests that spend minutes mostly waiting on the real clock (the demo runs for two minutes
#: of real time on a few seconds of CPU): collected first, so that under ``-n`` (pytest-xdist)
#: one worker waits on them while the others run everything else.
SLOW_FIRST = ("tests/cli/test_demo.py::test_two_minutes_of_the_demo",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(SLOW_FIRST))
