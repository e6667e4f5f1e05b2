"""Browser tests for the operator panel: a real server, real headless Chromium, real displays.

The server runs on its own event loop in a background thread (the tests are
plain synchronous functions driving Playwright's sync API). Headless displays
run ``run_display`` in their own threads under SDL's dummy driver; each display
thread is the only thread that touches pygame while it runs.

Chromium is Debian's (``apt-get install chromium``), not a Playwright download:
set ``PROJECTOR_CHROMIUM`` to use another binary. A missing browser fails the
tests with a message saying so; it never skips them.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import base64
import io

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright
from websockets.sync.client import connect

import projector.server.routes.panel
from projector.display.options import DisplayOptions
from projector.display.output.mode import OutputMode
from projector.display.run import run_display
from projector.server.config import Config
from projector.server.senders import SenderSigner
from projector.server.services import SERVICES
from tests.conftest import RunningServer, start_server

CHROMIUM = os.environ.get("PROJECTOR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
OPERATOR_PASSWORD = "operator-pass-1234"
VIEWER_PASSWORD = "viewer-pass-12345"

expect.set_options(timeout=8000)


# --- the server, on its own loop in a thread -------------------------------------------------------


class ServerThread:
    """An event loop in a daemon thread; coroutines are handed to it and waited for."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="panel-test-server", daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = 20.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@dataclass
class Panel:
    """The running server as the tests see it: URLs, logins, tokens and a small HTTP client."""

    loop: ServerThread
    running: RunningServer
    admin_password: str
    tokens: dict[str, str]
    config: Config
    displays: list[HeadlessDisplay] = field(default_factory=list)

    @property
    def base(self) -> str:
        return self.running.base

    @property
    def url(self) -> str:
        return self.running.base + "/panel/"

    @property
    def display_token(self) -> str:
        return self.tokens["display"]

    def store(self, fn: Callable[[Any], Any]) -> Any:
        """Run ``fn(store)`` on the store's thread, from the test's thread."""
        return self.loop.run(self.running.app[SERVICES].store.call(fn))

    def sender_cookie(self, sender_id: str, issued: float | None = None) -> str:
        """The signed sender cookie the server would issue for ``sender_id`` (24 characters of
        ``[A-Za-z0-9_-]``), issued an hour ago unless ``issued`` says when: a browser that
        already had one."""
        app = self.running.app
        key = self.loop.run(app[SERVICES].senders.key())
        return SenderSigner.sign(key, sender_id, time.time() - 3600 if issued is None else issued)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = "operator",
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, Any]:
        """A plain HTTP request with a Bearer token (``token`` is a scope name or a secret)."""
        all_headers = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        if token is not None:
            all_headers["Authorization"] = f"Bearer {self.tokens.get(token, token)}"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as err:
            status, payload = err.code, err.read()
        try:
            return status, json.loads(payload) if payload else None
        except ValueError:
            return status, payload.decode("utf-8", "replace")

    def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        status, reply = self.request(method, path, body, **kw)
        assert 200 <= status < 300, f"{method} {path} -> {status}: {reply}"
        return reply

    def load_show(self, cues: list[dict[str, Any]], name: str = "Test show", **kw: Any) -> dict[str, Any]:
        loaded: dict[str, Any] = self.ok(
            "PUT", "/api/v1/show", {"id": "test-show", "name": name, "cues": cues, **kw}
        )
        return loaded

    def show(self) -> dict[str, Any]:
        shown: dict[str, Any] = self.ok("GET", "/api/v1/show")
        return shown

    def backdate(self, action_ids: list[str], seconds: float) -> None:
        """Pretend these actions arrived ``seconds`` earlier (the chart buckets by arrival time)."""

        def move(store: Any) -> None:
            with store._transaction() as conn:
                conn.executemany(
                    "UPDATE actions SET received_at = received_at - ? WHERE id = ?",
                    [(seconds, i) for i in action_ids],
                )

        self.store(move)

    def add_user(self, username: str, password: str, role: str) -> None:
        self.ok(
            "POST", "/api/v1/users", {"username": username, "password": password, "role": role}, token="admin"
        )

    def display(self, name: str = "wall", **kw: Any) -> HeadlessDisplay:
        display = HeadlessDisplay(self.base, self.display_token, name, **kw)
        self.displays.append(display)
        display.start()
        return display


THREE_CUES: list[dict[str, Any]] = [
    {"id": "intro", "scene": "ident", "transition": "cut", "label": "Opening ident", "safe": True},
    {"id": "count", "scene": "totals", "transition": "cut", "label": "The count"},
    {"id": "wall", "scene": "messages", "transition": "cut", "label": "Message wall"},
]


def make_config(tmp_path: Path, **overrides: Any) -> Config:
    return replace(
        Config(),
        data_dir=tmp_path / "data",
        port=0,
        goal=10_000,
        record=4_000,
        public_rate_per_minute=1000,
        **overrides,
    )


def start_panel_server(config: Config) -> Panel:
    loop = ServerThread()
    running = loop.run(start_server(config))
    if not running.admin_password:
        raise AssertionError(f"the server wrote no admin password to {config.data_dir}/admin-password.txt")
    return Panel(loop, running, running.admin_password, running.tokens, config)


def stop_panel_server(panel: Panel) -> None:
    for display in panel.displays:
        display.stop()
    try:
        panel.loop.run(panel.running.session.close())
        panel.loop.run(panel.running.runner.cleanup())
    finally:
        panel.loop.close()


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Panel]:
    # Thumbnails every 0.5 s instead of 5 s, and the periodic panel push as often,
    # so the tests wait for what the panel does, not for the server's timers.
    monkeypatch.setattr(projector.server.panels, "THUMBNAIL_INTERVAL", 0.5)
    monkeypatch.setattr(projector.server.panels, "REFRESH_INTERVAL", 0.5)
    panel = start_panel_server(make_config(tmp_path))
    try:
        yield panel
    finally:
        stop_panel_server(panel)


# --- headless displays ------------------------------------------------------------------------------


class HeadlessDisplay:
    """``run_display`` in a thread at 320x180; remembers every scene it showed, in order,
    and every message the wall put in its spotlight (``scene="messages"`` pins the wall)."""

    def __init__(
        self,
        base: str,
        token: str,
        name: str,
        size: tuple[int, int] = (320, 180),
        media: Path | None = None,
        fps: int = 30,
        scene: str | None = None,
        probe: Callable[[Any], Any] | None = None,
    ) -> None:
        self.base, self.token, self.name = base, token, name
        #: Called on the display's thread with each FrameInfo (its ``output`` is the warped
        #: frame the projector gets); the latest answer is ``probed``.
        self.probe = probe
        self.probed: Any = None
        self.size, self.media, self.fps = size, media, fps
        self.pinned_scene = scene
        self.scene: str | None = None
        self.scenes: list[str] = []
        self.spotlight: str | None = None
        self.spotlights: list[str] = []
        self.frames = 0
        self.connected = False
        self.exit_code: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"display-{name}", daemon=True)

    def _on_frame(self, info: Any) -> bool:
        if self.probe is not None:
            self.probed = self.probe(info)
        self.frames += 1
        self.connected = info.connected
        if info.scene != self.scene:
            self.scene = info.scene
            self.scenes.append(info.scene)
        spotlight = getattr(info, "spotlight", None)
        if spotlight != self.spotlight:
            self.spotlight = spotlight
            if spotlight is not None:
                self.spotlights.append(spotlight)
        return self._stop.is_set()

    def _run(self) -> None:
        self.exit_code = run_display(
            DisplayOptions(
                server=self.base,
                token=self.token,
                name=self.name,
                mode=OutputMode.HEADLESS,
                realtime=True,
                fps=self.fps,
                size=self.size,
                on_frame=self._on_frame,
                media=self.media,
                scene=self.pinned_scene,
                status_interval=0.3,
                offline_mark=False,
            )
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if self.exit_code is not None:
                raise AssertionError(f"display {self.name!r} stopped (exit {self.exit_code}) before {what}")
            time.sleep(0.02)
        raise AssertionError(
            f"display {self.name!r}: no {what} within {timeout} s; scenes so far: {self.scenes}"
        )

    def wait_for_scene(self, scene: str, timeout: float = 10.0) -> None:
        self.wait_for(lambda: self.scene == scene, f"scene {scene!r}", timeout)

    def wait_connected(self, timeout: float = 10.0) -> None:
        self.wait_for(lambda: self.connected and self.frames > 0, "connection", timeout)


# --- the browser -------------------------------------------------------------------------------------


# Package scope, not session: while sync Playwright is open the main thread has a running
# event loop, and the async tests in other packages must not start inside it.
@pytest.fixture(scope="package")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: the panel's browser tests need it "
            "(Debian: apt-get install chromium; or set PROJECTOR_CHROMIUM to a Chromium binary). "
            "Do not run `playwright install`: the tests use the system browser.",
            pytrace=False,
        )
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class PageErrors:
    """JavaScript errors and console errors a page raised; a test fails on any unexpected one."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def attach(self, page: Page) -> None:
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on(
            "console",
            lambda msg: (
                self.errors.append(f"console.{msg.type}: {msg.text}")
                if msg.type == "error" and not _expected_console_error(msg.text)
                else None
            ),
        )


def _expected_console_error(text: str) -> bool:
    """Failed requests the panel expects and handles (a 401 at load, a 404 thumbnail, a refused POST)."""
    return "Failed to load resource" in text or "WebSocket connection" in text


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    contexts: list[BrowserContext] = []

    def make(**kw: Any) -> BrowserContext:
        kw.setdefault("viewport", {"width": 1440, "height": 900})
        kw.setdefault("locale", "en-US")
        kw.setdefault("timezone_id", "UTC")
        context = browser.new_context(**kw)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page_errors() -> Iterator[PageErrors]:
    errors = PageErrors()
    yield errors
    assert not errors.errors, "the panel raised errors:\n" + "\n".join(errors.errors)


def login(page: Page, panel: Panel, username: str = "admin", password: str | None = None) -> None:
    page.goto(panel.url)
    page.fill("#login-username", username)
    page.fill("#login-password", panel.admin_password if password is None else password)
    page.press("#login-password", "Enter")
    # wait_for_selector polls on every animation frame; expect() backs off up to a second.
    page.wait_for_selector("#app:not([hidden]) #conn-badge[data-state='live']")


def open_logged_in(page: Page, panel: Panel, username: str = "admin", password: str | None = None) -> None:
    """What ``login`` does, without the form: the tests of the form itself use ``login``."""
    reply = page.context.request.post(
        panel.base + "/api/v1/login",
        data={"username": username, "password": panel.admin_password if password is None else password},
    )
    assert reply.ok, reply.text()
    body = reply.json()
    page.goto(panel.base + "/healthz")  # same origin: sessionStorage set here is the panel's
    page.evaluate(
        """([csrf, user]) => {
            sessionStorage.setItem("projector.csrf", csrf);
            sessionStorage.setItem("projector.user", JSON.stringify(user));
        }""",
        [body["csrf_token"], {"username": body["username"], "role": body["role"]}],
    )
    page.goto(panel.url)
    page.wait_for_selector("#app:not([hidden]) #conn-badge[data-state='live']")


@pytest.fixture
def page(server: Panel, new_context: Callable[..., BrowserContext], page_errors: PageErrors) -> Page:
    """A panel page logged in as the admin (an operator), with the live link up."""
    context = new_context()
    page = context.new_page()
    page_errors.attach(page)
    open_logged_in(page, server)
    return page


# --- scripted displays (no pygame): any name, any status, a thumbnail from a picture -------------


class FakeDisplay:
    """A display websocket client that reports a chosen status and answers thumbnail requests."""

    def __init__(
        self,
        panel: Panel,
        name: str,
        *,
        scene: str = "totals",
        fps: float = 60.0,
        p99: float = 4.2,
        error: str | None = None,
        thumbnail: bytes | None = None,
        resolution: tuple[int, int] = (1920, 1080),
        outputs: tuple[tuple[str, tuple[int, int]], ...] = (),
    ) -> None:
        self.panel, self.name = panel, name
        self.outputs = outputs
        #: Every ``you`` it heard (the snapshot's first): who the server says it is, its safe areas.
        self.yous: list[dict[str, Any]] = []
        self.status = {"scene": scene, "fps": fps, "frame_p99_ms": p99, "error": error}
        self.thumbnail = thumbnail
        self.resolution = resolution
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"fake-display-{name}", daemon=True)

    def __enter__(self) -> FakeDisplay:
        self._thread.start()
        if not self._ready.wait(10):
            raise AssertionError(f"fake display {self.name!r} got no snapshot")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        url = self.panel.base.replace("http://", "ws://") + "/ws"
        with connect(url, max_size=None) as ws:
            hello = {
                "v": 1,
                "type": "hello",
                "name": self.name,
                "token": self.panel.display_token,
                "protocol": 1,
                "resolution": list(self.resolution),
                "capabilities": ["status", "thumbnail"],
            }
            if self.outputs:
                hello["outputs"] = [{"name": n, "size": list(size)} for n, size in self.outputs]
            ws.send(json.dumps(hello))
            rev = 0
            next_status = 0.0
            while not self._stop.is_set():
                if time.monotonic() >= next_status:
                    ws.send(json.dumps({"v": 1, "type": "status", "rev": rev, **self.status}))
                    next_status = time.monotonic() + 0.3
                try:
                    frame = json.loads(ws.recv(timeout=0.1))
                except TimeoutError:
                    continue
                rev = frame.get("rev", rev) if isinstance(frame.get("rev"), int) else rev
                if frame.get("type") == "snapshot":
                    if isinstance(frame.get("you"), dict):
                        self.yous.append(frame["you"])
                    self._ready.set()
                elif frame.get("type") == "you":
                    self.yous.append(frame)
                elif frame.get("type") == "thumbnail_request" and self.thumbnail is not None:
                    data = base64.b64encode(self.thumbnail).decode("ascii")
                    ws.send(json.dumps({"v": 1, "type": "thumbnail", "format": "jpeg", "data": data}))


def jpeg_from(path: Path, size: tuple[int, int] = (320, 180)) -> bytes:
    """A small JPEG of a picture (the README's scene renders make realistic thumbnails)."""
    with Image.open(path) as image:
        small = image.convert("RGB").resize(size)
        out = io.BytesIO()
        small.save(out, "JPEG", quality=85)
        return out.getvalue()
