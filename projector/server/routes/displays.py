"""The display websocket: hello, snapshot, then events (DESIGN.md, wire protocol)."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import logging
import time

from aiohttp import WSMsgType, web

from projector.core import wire
from projector.core.protocol import (
    SUPPORTED_VERSIONS,
    ErrorFrame,
    Hello,
    Ping,
    Pong,
    ProtocolError,
    Resync,
    Status,
    Thumbnail,
)
from projector.server.app_keys import HUB, METRICS, SHOW
from projector.server.fleet import FLEET, Fleet
from projector.server.hub import DisplayConnection, Hub
from projector.server.routes import mapping as http_mapping
from projector.server.routes import panel as http_panel
from projector.server.show import Show
from projector.server.web.auth import (
    verify_token,
)
from projector.server.web.errors import ApiError
from projector.server.web.http import client_address

#: A display must say hello this quickly after connecting.
HELLO_TIMEOUT = 10.0
#: Bad frames a display may send before the server gives up on it.
MAX_PROTOCOL_ERRORS = 50
#: Frames larger than the protocol limit get an error frame; far larger ones
#: are cut off by aiohttp itself (close code 1009).
WS_MAX_MESSAGE = 4 * 1024 * 1024

log = logging.getLogger("projector.server")


async def _reject(
    ws: web.WebSocketResponse, code: str, message: str, close_code: int
) -> web.WebSocketResponse:
    log.info("display handshake refused: %s: %s", code, message)
    with contextlib.suppress(ConnectionError):
        await ws.send_str(wire.encode(ErrorFrame(code, message)))
    await ws.close(code=close_code, message=code.encode())
    return ws


async def display_socket(request: web.Request) -> web.WebSocketResponse:
    """The display websocket: hello -> snapshot -> events (see DESIGN.md, wire protocol)."""
    # No permessage-deflate: compressing every frame for every display costs more
    # CPU than the bytes it saves on a LAN, and fan-out is CPU-bound.
    ws = web.WebSocketResponse(heartbeat=15.0, max_msg_size=WS_MAX_MESSAGE, compress=False)
    await ws.prepare(request)
    m = request.app[METRICS]
    try:
        first = await ws.receive(timeout=HELLO_TIMEOUT)
    except TimeoutError:
        return await _reject(ws, "hello_timeout", f"send hello within {HELLO_TIMEOUT:.0f} s", 1008)
    if first.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
        return ws
    try:
        hello = wire.decode(first.data if first.type == WSMsgType.TEXT else bytes(first.data))
    except ProtocolError as exc:
        m.protocol_errors.labels(exc.code).inc()
        return await _reject(ws, exc.code, exc.message, 1002)
    if not isinstance(hello, Hello):
        return await _reject(ws, "expected_hello", "the first frame must be a hello", 1002)
    if hello.protocol not in SUPPORTED_VERSIONS:
        supported = ", ".join(str(v) for v in sorted(SUPPORTED_VERSIONS))
        return await _reject(
            ws,
            "unsupported_protocol",
            f"protocol {hello.protocol} not supported; server speaks {supported}",
            1002,
        )
    try:
        principal = await verify_token(request.app, hello.token)
    except ApiError:
        return await _reject(ws, "unauthorized", "unknown or revoked display token", 1008)
    if not principal.can("display"):
        return await _reject(ws, "forbidden", f"a {principal.role!r} token cannot run a display", 1008)
    hub = request.app[HUB]
    show = request.app[SHOW]
    fleet = request.app[FLEET]
    settings = fleet.settings_for(hello.name)
    if settings.retired_at is not None:
        return await _reject(
            ws, "retired", "an operator retired this display; un-retire it on the panel", 1008
        )
    conn = DisplayConnection(
        ws=ws,
        name=settings.name,
        resolution=hello.resolution,
        capabilities=hello.capabilities,
        address=client_address(request),
        connected_at=time.time(),
        hello_name=hello.name,
    )
    hub.attach(conn, _snapshot_for(fleet, show, conn))
    await request.app[http_mapping.MAPPINGS].connected(conn, hello)  # its outputs' mappings (issue 6)
    panels = request.app[http_panel.PANELS]
    panels.display_connected(conn)
    log.info("display %r connected from %s at %dx%d", conn.name, conn.address, *conn.resolution)
    errors = 0
    try:
        async for msg in ws:
            received = time.time()
            try:
                if msg.type == WSMsgType.TEXT:
                    frame = wire.decode(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    frame = wire.decode(bytes(msg.data))
                else:
                    break
                if not await request.app[http_mapping.MAPPINGS].from_display(conn, frame):
                    _handle_display_frame(hub, show, conn, frame, received, fleet)
                if isinstance(frame, Thumbnail | Status):
                    panels.dirty.set()  # operators see a new picture or status at once
            except ProtocolError as exc:
                errors += 1
                m.protocol_errors.labels(exc.code).inc()
                log.info("display %r sent a bad frame: %s: %s", conn.name, exc.code, exc.message)
                hub.send(conn, wire.encode(ErrorFrame(exc.code, exc.message)))
                if errors >= MAX_PROTOCOL_ERRORS:
                    await ws.close(code=1008, message=b"too many protocol errors")
                    break
    finally:
        hub.detach(conn)
        panels.dirty.set()
        log.info("display %r disconnected", conn.name)
    return ws


def _snapshot_for(fleet: Fleet, show: Show, conn: DisplayConnection) -> str:
    """The snapshot for one display: the show, and who the display is (name, groups, latency)."""
    return wire.encode(dataclasses.replace(show.snapshot(), you=fleet.you(conn.hello_name or conn.name)))


def _handle_display_frame(
    hub: Hub, show: Show, conn: DisplayConnection, frame: object, received: float, fleet: Fleet
) -> None:
    match frame:
        case Status():
            conn.status = frame
            conn.status_at = time.time()
            if conn.record is not None:
                conn.record.status, conn.record.last_seen = frame, conn.status_at
                fleet.on_status(conn.record, frame, conn.status_at)
            if frame.error:
                log.warning("display %r reports: %s", conn.name, frame.error)
        case Ping(ping_id, client_time):
            # When the ping arrived and when the pong left: the display's clock sync needs both.
            hub.send(conn, wire.encode(Pong(ping_id, client_time, time.time(), received_at=received)))
        case Resync():
            hub.resync(conn, _snapshot_for(fleet, show, conn))
        case Thumbnail(_, data):
            try:
                image = base64.b64decode(data, validate=True)
            except ValueError:
                raise ProtocolError("bad_field", "thumbnail.data: not base64") from None
            if not image.startswith(b"\xff\xd8"):
                raise ProtocolError("bad_field", "thumbnail.data: not a JPEG")
            if conn.record is not None:
                conn.record.thumbnail, conn.record.thumbnail_at = image, time.time()
                conn.record.last_seen = conn.record.thumbnail_at
        case Hello():
            raise ProtocolError("unexpected", "hello was already received on this connection")
        case _:
            raise ProtocolError("unexpected_type", f"a display may not send {type(frame).__name__} frames")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/ws", display_socket)
