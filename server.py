"""The projector server: HTTP API, display websocket, operator panel.

``build_app(config)`` is the aiohttp application factory; ``main()`` runs it.
Handlers only decode, call the core, persist and broadcast: every rule about
what an action, a case or a frame may be lives in ``projector.core``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import dataclasses
import logging
import secrets
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from projector import (
    http_accounts,
    http_fleet,
    http_i18n,
    http_mapping,
    http_media,
    http_messages,
    http_panel,
    http_schedule,
    http_show,
    osc,
    wire,
)
from projector.app_keys import CONFIG, HUB, METRICS, PUBLIC_LIMITER, SHOW, STORE
from projector.auth import (
    TOKEN_CACHE,
    TokenCache,
    require,
    verify_token,
)
from projector.config import Config, ConfigError, load_config
from projector.core.dossier import case_from_json
from projector.core.ingest import parse_actions_body
from projector.core.model import (
    MAX_CAMPAIGN_TEXT,
    Campaign,
    Case,
    ValidationError,
    parse_campaign_translations,
    parse_lang,
    parse_text,
)
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
    campaign_to_wire,
    case_to_wire,
)
from projector.core.state import (
    WALL_SIZE,
    Message,
    RecordActions,
    RemoveCase,
    SetCampaign,
    ShowState,
    UpsertCase,
)
from projector.errors import ApiError, error_middleware, read_json
from projector.fleet import FLEET, Fleet
from projector.http_panel import totals_json
from projector.http_util import client_address, json_response
from projector.hub import DisplayConnection, Hub
from projector.metrics import Metrics
from projector.openapi import openapi_document
from projector.ratelimit import RateLimiter
from projector.show import Show
from projector.store.sqlite import StoreError
from projector.store.writer import StoreWriter

log = logging.getLogger("projector.server")

ADMIN_PASSWORD_FILE = "admin-password.txt"
#: A display must say hello this quickly after connecting.
HELLO_TIMEOUT = 10.0
#: Bad frames a display may send before the server gives up on it.
MAX_PROTOCOL_ERRORS = 50
#: Frames larger than the protocol limit get an error frame; far larger ones
#: are cut off by aiohttp itself (close code 1009).
WS_MAX_MESSAGE = 4 * 1024 * 1024


# --- startup ----------------------------------------------------------------------


def _first_run_admin(store: Any, data_dir: Path) -> str | None:
    """Create the first admin and write its password to a file only its owner can read."""
    if store.has_users():
        return None
    password = secrets.token_urlsafe(16)
    store.create_user("admin", password, "admin", time.time())
    path = data_dir / ADMIN_PASSWORD_FILE
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(f"username: admin\npassword: {password}\n", encoding="utf-8")
    return str(path)


def _load_state(store: Any, config: Config) -> ShowState:
    """Rebuild the show from the store: totals from the action log, exactly."""
    campaign = store.load_campaign()
    if campaign is None:
        campaign = Campaign(config.campaign_name, config.goal, config.record)
        store.save_campaign(campaign)
    existing = {c.id for c in store.list_cases()}
    for case in config.cases:
        if case.id not in existing:
            store.upsert_case(case)
    cases = {c.id: c for c in store.list_cases()}
    wall = tuple(
        Message(m.id, m.text, m.name, m.country, m.lang, m.decided_at or m.created_at, m.pinned)
        for m in store.approved_messages(WALL_SIZE)
    )
    from types import MappingProxyType

    return ShowState(
        rev=0,
        campaign=campaign,
        totals=store.load_totals(),
        record_beaten_at=store.record_beaten_at(campaign.record),
        cases=MappingProxyType(cases),
        wall=wall,
    )


async def _store_ctx(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    config.data_dir.mkdir(parents=True, exist_ok=True)
    writer = app[STORE]
    await asyncio.get_running_loop().run_in_executor(None, writer.start)
    state = await writer.call(lambda s: _load_state(s, config))
    app[SHOW].state = await writer.call(lambda s: http_show.restore(s, state, time.time()))
    app[http_show.SHOW_CONTROL].attach()
    where = await writer.call(lambda s: _first_run_admin(s, config.data_dir))
    if where is not None:
        log.warning("first run: created the admin login; its password is in %s", where)
    state = app[SHOW].state
    log.info("loaded %s: %d actions counted, %d cases", config.db_path, state.totals.total, len(state.cases))
    yield
    app[http_show.SHOW_CONTROL].close()
    await app[HUB].close_all()
    await asyncio.get_running_loop().run_in_executor(None, writer.close)


# --- health, metrics, docs -------------------------------------------------------------------


async def healthz(request: web.Request) -> web.Response:
    show = request.app[SHOW]
    return json_response({"status": "ok", "rev": show.state.rev, "displays": len(request.app[HUB].clients)})


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[METRICS].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def openapi(request: web.Request) -> web.Response:
    return json_response(openapi_document())


# --- actions and totals -----------------------------------------------------------------------


async def post_actions(request: web.Request) -> web.Response:
    principal = await require(request, "ingest")
    body = await read_json(request)
    show = request.app[SHOW]
    config = request.app[CONFIG]
    m = request.app[METRICS]
    try:
        actions = parse_actions_body(
            body,
            show.state.cases,
            max_batch=config.max_batch,
            entered_by=principal.name,
            max_at=time.time() + 300,
        )
    except ValidationError:
        m.requests.labels("invalid").inc()
        raise
    try:
        result = await request.app[STORE].record(actions)
    except StoreError as exc:
        m.requests.labels("error").inc()
        raise ApiError(
            503, "store_failed", f"actions were not stored; retry with the same ids: {exc}"
        ) from exc
    if result.error is not None:
        m.requests.labels("error").inc()
        raise ApiError(503, "store_failed", f"actions were not stored: {result.error}")
    show.execute(RecordActions(result.accepted), now=result.received_at)
    by_channel: dict[str, int] = {}
    for action in result.accepted:
        by_channel[action.channel.value] = by_channel.get(action.channel.value, 0) + action.count
    for channel, count in by_channel.items():
        m.actions.labels(channel).inc(count)
    if result.duplicates:
        m.duplicates.inc(result.duplicates)
    m.requests.labels("accepted").inc()
    return json_response(
        {"accepted": len(result.accepted), "duplicates": result.duplicates, "rev": show.state.rev}
    )


async def get_totals(request: web.Request) -> web.Response:
    state = request.app[SHOW].state
    return json_response({**totals_json(state), "rev": state.rev})


async def get_campaign(request: web.Request) -> web.Response:
    state = request.app[SHOW].state
    return json_response({**campaign_to_wire(state.campaign), "rev": state.rev})


def _non_negative_int(body: dict[str, Any], name: str, default: int) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 10**12:
        raise ValidationError(name, "must be a whole number between 0 and 10^12")
    return value


async def put_campaign(request: web.Request) -> web.Response:
    await require(request, "operator")
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ValidationError("body", "must be a JSON object")
    unknown = set(body) - {"name", "goal", "record", "lang", "tagline", "call_to_action", "translations"}
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    show = request.app[SHOW]
    current = show.state.campaign
    campaign = Campaign(
        name=parse_text(body.get("name", current.name), "name", MAX_CAMPAIGN_TEXT),
        goal=_non_negative_int(body, "goal", current.goal),
        record=_non_negative_int(body, "record", current.record),
        lang=parse_lang(body.get("lang", current.lang), "lang"),
        tagline=parse_text(
            body.get("tagline", current.tagline), "tagline", MAX_CAMPAIGN_TEXT, required=False
        ),
        call_to_action=parse_text(
            body.get("call_to_action", current.call_to_action),
            "call_to_action",
            MAX_CAMPAIGN_TEXT,
            required=False,
        ),
        translations=(
            parse_campaign_translations(body["translations"])
            if "translations" in body
            else current.translations
        ),
    )
    await request.app[STORE].call(lambda s: s.save_campaign(campaign))
    show.execute(SetCampaign(campaign))
    return json_response({**campaign_to_wire(campaign), "rev": show.state.rev})


# --- cases ---------------------------------------------------------------------------------


async def list_cases(request: web.Request) -> web.Response:
    state = request.app[SHOW].state
    return json_response({"cases": [case_to_wire(c) for c in state.cases.values()], "rev": state.rev})


async def get_case(request: web.Request) -> web.Response:
    case = request.app[SHOW].state.cases.get(request.match_info["case_id"])
    if case is None:
        raise ApiError(404, "not_found", f"no case {request.match_info['case_id']!r}")
    return json_response(case_to_wire(case))


def _parse_case_body(case_id: str, body: object) -> Case:
    return case_from_json(case_id, body)  # the rules: projector/core/dossier.py


async def put_case(request: web.Request) -> web.Response:
    await require(request, "operator")
    case = _parse_case_body(request.match_info["case_id"], await read_json(request))
    await http_media.check_case_media(request, case)
    await request.app[STORE].call(lambda s: s.upsert_case(case))
    show = request.app[SHOW]
    show.execute(UpsertCase(case))
    return json_response({**case_to_wire(case), "rev": show.state.rev})


async def delete_case(request: web.Request) -> web.Response:
    await require(request, "operator")
    case_id = request.match_info["case_id"]
    removed = await request.app[STORE].call(lambda s: s.delete_case(case_id))
    if not removed:
        raise ApiError(404, "not_found", f"no case {case_id!r}")
    show = request.app[SHOW]
    show.execute(RemoveCase(case_id))
    return json_response({"deleted": case_id, "rev": show.state.rev})


# --- displays -------------------------------------------------------------------------------------


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


# --- the app -----------------------------------------------------------------------------------------


def build_app(config: Config) -> web.Application:
    app = web.Application(middlewares=[error_middleware], client_max_size=config.max_body_bytes)
    metrics_ = Metrics()
    hub = Hub(metrics_, totals_rate=config.totals_rate, queue_limit=config.client_queue)
    app[CONFIG] = config
    app[METRICS] = metrics_
    app[HUB] = hub
    app[SHOW] = Show(ShowState(), hub)
    app[STORE] = StoreWriter(config.db_path)
    app[TOKEN_CACHE] = TokenCache()
    app[PUBLIC_LIMITER] = RateLimiter(config.public_rate_per_minute)
    app.cleanup_ctx.append(_store_ctx)

    r = app.router
    r.add_get("/healthz", healthz)
    r.add_get("/metrics", metrics)
    r.add_get("/ws", display_socket)
    r.add_get("/api/v1/openapi.json", openapi)
    r.add_post("/api/v1/actions", post_actions)
    r.add_get("/api/v1/totals", get_totals)
    r.add_get("/api/v1/campaign", get_campaign)
    r.add_put("/api/v1/campaign", put_campaign)
    r.add_get("/api/v1/cases", list_cases)
    r.add_get("/api/v1/cases/{case_id}", get_case)
    r.add_put("/api/v1/cases/{case_id}", put_case)
    r.add_delete("/api/v1/cases/{case_id}", delete_case)
    http_accounts.add_routes(app)
    http_messages.add_routes(app)
    http_show.add_routes(app)
    # Before the panel's routes: its GET /submit (in the reader's language) is the one that answers.
    http_i18n.add_routes(app)
    http_panel.add_routes(app)
    http_media.add_routes(app)
    http_fleet.add_routes(app)
    http_schedule.add_routes(app)
    http_mapping.add_routes(app)
    osc.add_routes(app)
    return app


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="TOML config file (default: DATA_DIR/projector.toml)")
    parser.add_argument("--data-dir", type=Path, help="where the database and secrets live (default ./data)")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1; 0.0.0.0 for the LAN)")
    parser.add_argument("--port", type=int, help="port (default 8080)")
    parser.add_argument("--goal", type=int, help="campaign goal (seeds the store on first run)")
    parser.add_argument("--record", type=int, help="last year's record (seeds the store on first run)")
    parser.add_argument("--log-level", help="DEBUG, INFO, WARNING")


def config_from_args(ns: argparse.Namespace) -> Config:
    return load_config(
        file=ns.config,
        overrides={
            "data_dir": ns.data_dir,
            "host": ns.host,
            "port": ns.port,
            "goal": ns.goal,
            "record": ns.record,
            "log_level": ns.log_level,
        },
    )


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def serve(config: Config) -> None:
    setup_logging(config.log_level)
    log.info("projector server on http://%s:%d (data in %s)", config.host, config.port, config.data_dir)
    web.run_app(build_app(config), host=config.host, port=config.port, print=None, access_log=None)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="server.py", description="Run the projector server.")
    add_serve_arguments(parser)
    try:
        config = config_from_args(parser.parse_args(argv))
    except ConfigError as exc:
        print(f"projector: {exc}", file=sys.stderr)
        return 2
    serve(config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
