"""The display websocket: hello, snapshot, then events (DESIGN.md, wire protocol).

A thin loop around :class:`projector.core.display_session.DisplaySession`, which decides
every protocol question (is this a hello, may it connect, what does a frame ask for, when
has a display sent too much garbage); this module only does the I/O those answers ask for.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time

from aiohttp import WSMsgType, web

from projector.core import wire
from projector.core.display_session import (
    HELLO_TIMEOUT,
    BadFrame,
    Close,
    DisplaySession,
    Effect,
    ForMappings,
    Refusal,
    ResyncWanted,
    Send,
    StatusReported,
    ThumbnailReceived,
)
from projector.core.protocol import ProtocolError, Status, Thumbnail
from projector.server.fleet import Fleet
from projector.server.hub import WRITER_LIMIT, DisplayConnection
from projector.server.services import SERVICES
from projector.server.show import Show
from projector.server.web.auth import verify_token
from projector.server.web.errors import ApiError
from projector.server.web.http import client_address
from projector.server.web.principal import Principal

#: Frames larger than the protocol limit get an error frame; far larger ones
#: are cut off by aiohttp itself (close code 1009).
WS_MAX_MESSAGE = 4 * 1024 * 1024

log = logging.getLogger("projector.server")


async def _refuse(ws: web.WebSocketResponse, refusal: Refusal) -> web.WebSocketResponse:
    log.info("display handshake refused: %s: %s", refusal.code, refusal.message)
    with contextlib.suppress(ConnectionError):
        await ws.send_str(wire.encode(refusal.frame))
    await ws.close(code=refusal.close_code, message=refusal.code.encode())
    return ws


def _snapshot_for(fleet: Fleet, show: Show, conn: DisplayConnection) -> str:
    """The snapshot for one display: the show, and who the display is (name, groups, latency)."""
    return wire.encode(dataclasses.replace(show.snapshot(), you=fleet.you(conn.hello_name or conn.name)))


def _on_status(conn: DisplayConnection, fleet: Fleet, status: Status, at: float) -> None:
    conn.status, conn.status_at = status, at
    if conn.record is not None:
        conn.record.status, conn.record.last_seen = status, at
        fleet.on_status(conn.record, status, at)
    if status.error:
        log.warning("display %r reports: %s", conn.name, status.error)


def _on_thumbnail(conn: DisplayConnection, show: Show, received: ThumbnailReceived) -> bool:
    """Keep a display's picture for the panel; False when it went over the display's cap (dropped)."""
    jpeg, at = received.jpeg, received.at
    if not conn.thumbnail_budget.take(len(jpeg), time.monotonic()):
        conn.thumbnails_dropped += 1
        if conn.thumbnails_dropped in (1, 100, 10_000):
            log.warning(
                "display %r sends pictures over its cap; %d dropped", conn.name, conn.thumbnails_dropped
            )
        return False
    record = conn.record
    if record is not None:
        record.last_seen = at
        if received.preview:
            record.preview_thumbnail, record.preview_thumbnail_at = jpeg, at
            record.preview_for = show.state.preview
        else:
            record.thumbnail, record.thumbnail_at = jpeg, at
    return True


async def display_socket(request: web.Request) -> web.WebSocketResponse:
    """The display websocket: hello -> snapshot -> events (see DESIGN.md, wire protocol)."""
    # No permessage-deflate: compressing every frame for every display costs more
    # CPU than the bytes it saves on a LAN, and fan-out is CPU-bound.
    ws = web.WebSocketResponse(
        heartbeat=15.0, max_msg_size=WS_MAX_MESSAGE, compress=False, writer_limit=WRITER_LIMIT
    )
    await ws.prepare(request)
    app, session = request.app, DisplaySession()
    m, hub, show, fleet = app[SERVICES].metrics, app[SERVICES].hub, app[SERVICES].show, app[SERVICES].fleet
    mappings, panels = app[SERVICES].mappings, app[SERVICES].panels
    try:
        first = await ws.receive(timeout=HELLO_TIMEOUT)
    except TimeoutError:
        return await _refuse(ws, session.hello_timeout(HELLO_TIMEOUT))
    if first.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
        return ws
    hello = session.receive_hello(first.data)
    if isinstance(hello, Refusal):
        if hello.bad_frame:
            m.protocol_errors.labels(hello.code).inc()
        return await _refuse(ws, hello)
    principal: Principal | None
    try:
        principal = await verify_token(app, hello.token)
    except ApiError:
        principal = None
    settings, now = fleet.settings_for(hello.name), app[SERVICES].clock()
    refusal = session.authorize(
        token_ok=principal is not None,
        can_display=principal is not None and principal.can("display"),
        role=principal.role if principal is not None else "",
        retired=settings.retired_at is not None,
        now=now,
    )
    if refusal is not None:
        return await _refuse(ws, refusal)
    conn = DisplayConnection(
        ws=ws,
        name=settings.name,
        resolution=hello.resolution,
        capabilities=hello.capabilities,
        address=client_address(request),
        connected_at=now,
        # The hub writes shared frames straight to this socket while the display keeps up.
        transport=request.transport,
        hello_name=hello.name,
    )
    shared = app[SERVICES].shared
    if shared is not None:  # never older than what another node showed it (shared_show.py)
        await shared.caught_up()
    hub.attach(conn, _snapshot_for(fleet, show, conn))
    await mappings.connected(conn, hello)  # its outputs' mappings (issue 6)
    panels.display_connected(conn)
    log.info("display %r connected from %s at %dx%d", conn.name, conn.address, *conn.resolution)
    try:
        async for msg in ws:
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                break
            now = app[SERVICES].clock()  # the time its clock synchronises with (node_clock.py)
            effects: list[Effect] = session.receive(msg.data, now)
            # A mapping frame the mapping service refuses adds its error's effects to this list.
            for effect in effects:
                match effect:
                    case Send(frame):
                        hub.send(conn, wire.encode(frame))
                    case BadFrame(code, message):
                        m.protocol_errors.labels(code).inc()
                        log.info("display %r sent a bad frame: %s: %s", conn.name, code, message)
                    case StatusReported(status, at):
                        _on_status(conn, fleet, status, at)
                        panels.dirty.set()  # operators see a new status at once
                    case ThumbnailReceived() as received:
                        if _on_thumbnail(conn, show, received):
                            panels.dirty.set()
                    case ResyncWanted():
                        if shared is not None:
                            await shared.caught_up()
                        hub.resync(conn, _snapshot_for(fleet, show, conn))
                    case ForMappings(frame):
                        try:
                            await mappings.from_display(conn, frame)
                        except ProtocolError as exc:
                            effects.extend(session.protocol_error(exc, now))
                        else:
                            if isinstance(frame, Thumbnail):
                                panels.dirty.set()
                    case Close(code, reason):
                        await ws.close(code=code, message=reason.encode())
            if session.closed:
                break
    finally:
        hub.detach(conn)
        panels.dirty.set()
        log.info("display %r disconnected", conn.name)
    return ws


def add_routes(app: web.Application) -> None:
    app.router.add_get("/ws", display_socket)
