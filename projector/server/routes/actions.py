"""Supporters' actions in, live totals out: the heartbeat of the show."""

from __future__ import annotations

import logging
import time

from aiohttp import web

from projector.core.ingest import decode_actions, parse_actions_body
from projector.core.model import (
    ValidationError,
)
from projector.core.state import (
    RecordActions,
)
from projector.server.services import SERVICES
from projector.server.views import totals_json
from projector.server.web.auth import (
    require,
)
from projector.server.web.errors import ApiError, read_json
from projector.server.web.http import json_response
from projector.store.sqlite import StoreError

log = logging.getLogger("projector.server")


async def post_actions(request: web.Request) -> web.Response:
    principal = await require(request, "ingest")
    show = request.app[SERVICES].show
    config = request.app[SERVICES].config
    m = request.app[SERVICES].metrics
    max_at = time.time() + 300
    actions = None
    if request.content_type == "application/json":
        # The fast lane: one msgspec pass over the bytes. None sends the body down
        # the checked path below (every other content type, and every refusal, so
        # that each is refused with the same code and message as ever).
        actions = decode_actions(
            await request.read(),  # aiohttp enforces client_max_size (413) and keeps the bytes
            show.state.cases,
            max_batch=config.max_batch,
            entered_by=principal.name,
            max_at=max_at,
        )
    if actions is None:
        body = await read_json(request)
        try:
            actions = parse_actions_body(
                body,
                show.state.cases,
                max_batch=config.max_batch,
                entered_by=principal.name,
                max_at=max_at,
            )
        except ValidationError:
            m.requests.labels("invalid").inc()
            raise
    try:
        result = await request.app[SERVICES].store.record(actions)
    except StoreError as exc:
        m.requests.labels("error").inc()
        raise ApiError(
            503, "store_failed", f"actions were not stored; retry with the same ids: {exc}"
        ) from exc
    if result.error is not None:
        m.requests.labels("error").inc()
        raise ApiError(503, "store_failed", f"actions were not stored: {result.error}")
    await show.execute(RecordActions(result.accepted), now=result.received_at)
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
    state = request.app[SERVICES].show.state
    return json_response({**totals_json(state), "rev": state.rev})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/actions", post_actions)
    app.router.add_get("/api/v1/totals", get_totals)
