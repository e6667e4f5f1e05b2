"""Health, metrics and the API's own description: what a load balancer, Prometheus and an integrator read."""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from projector.server.openapi.document import openapi_document
from projector.server.services import SERVICES
from projector.server.web.http import json_response

log = logging.getLogger("projector.server")


async def healthz(request: web.Request) -> web.Response:
    show = request.app[SERVICES].show
    return json_response(
        {"status": "ok", "rev": show.state.rev, "displays": len(request.app[SERVICES].hub.clients)}
    )


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[SERVICES].metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def openapi(request: web.Request) -> web.Response:
    return json_response(openapi_document())


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/healthz", healthz)
    r.add_get("/metrics", metrics)
    r.add_get("/api/v1/openapi.json", openapi)
