"""A real aiohttp server in a thread that serves pictures by hash, the way the projector server does,
and can misbehave on purpose: cut a download halfway, send the wrong bytes, refuse the token."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from pathlib import Path

from aiohttp import web

from projector.server.routes.media import send_file
from tests.display.fake_server import free_port


class MediaServer:
    def __init__(self, tmp: Path, token: str = "display-token") -> None:
        self.dir = tmp / "served"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.token = token
        self.port = free_port()
        self.requests: list[dict[str, str]] = []
        #: Hashes whose next download is cut after half the body (then served normally).
        self.cut_once: set[str] = set()
        #: Hashes answered with these bytes instead of the real ones.
        self.lies: dict[str, bytes] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add(self, data: bytes) -> str:
        h = hashlib.sha256(data).hexdigest()
        (self.dir / h).write_bytes(data)
        return h

    def start(self) -> MediaServer:
        self._thread.start()
        assert self._ready.wait(10), "media server did not start"
        return self

    def stop(self) -> None:
        """Stop serving (idempotent): the port refuses connections afterwards."""
        loop, runner = self._loop, self._runner
        self._loop = self._runner = None
        if loop is not None and runner is not None and not loop.is_closed():
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10)

    def __enter__(self) -> MediaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _media(self, request: web.Request) -> web.StreamResponse:
        self.requests.append({k: v for k, v in request.headers.items() if k in ("Range", "If-Range")})
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"error": {"code": "unauthorized"}}, status=401)
        h = request.match_info["hash"]
        if h in self.lies:
            return web.Response(body=self.lies[h], content_type="image/png")
        path = self.dir / h
        if not path.is_file():
            return web.json_response({"error": {"code": "not_found"}}, status=404)
        if h in self.cut_once:
            self.cut_once.discard(h)
            data = path.read_bytes()
            response = web.StreamResponse(headers={"Content-Type": "image/png"})
            response.content_length = len(data)
            await response.prepare(request)
            await response.write(data[: len(data) // 2])
            await asyncio.sleep(0.05)
            assert request.transport is not None
            request.transport.close()  # the network drops: half a file arrived
            return response
        return await send_file(request, path, h, "image/png")

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        app = web.Application()
        app.router.add_get("/api/v1/media/{hash}", self._media)
        self._runner = web.AppRunner(app)
        loop.run_until_complete(self._runner.setup())
        loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        self._ready.set()
        loop.run_forever()
        loop.close()
