"""A real websockets server on a local port, in its own thread, scripted per connection.

The display's link must survive a real network peer: the handshake, text and
binary frames, closes and a server that goes away and comes back. A mock
socket would not show any of that.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

from projector.core.protocol import Frame, ProtocolError
from projector.core.wire import decode

Script = Callable[[ServerConnection, int], Awaitable[None]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakeServer:
    """``script(ws, n)`` runs for the n-th connection after its hello; frames the display sends are kept."""

    def __init__(self, script: Script, port: int | None = None) -> None:
        self.script = script
        self.port = port or free_port()
        self.received: list[Frame] = []
        self.connections = 0
        self.closed_connections = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self) -> FakeServer:
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("fake server did not start")
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.01)
        return False

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with serve(self._handler, "127.0.0.1", self.port) as server:
            self._ready.set()
            await self._stop.wait()
            server.close()

    async def _handler(self, ws: ServerConnection) -> None:
        self.connections += 1
        n = self.connections
        try:
            self._keep(await ws.recv())
            reader = asyncio.create_task(self._read(ws))
            try:
                await self.script(ws, n)
            finally:
                reader.cancel()
                with contextlib.suppress(BaseException):
                    await reader
        finally:
            self.closed_connections += 1

    async def _read(self, ws: ServerConnection) -> None:
        with contextlib.suppress(Exception):
            async for message in ws:
                self._keep(message)

    def _keep(self, message: Any) -> None:
        with contextlib.suppress(ProtocolError):
            self.received.append(decode(message))
