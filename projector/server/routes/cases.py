"""Cases: the prisoners of conscience whose portraits and dossiers the screens show."""

from __future__ import annotations

import logging

from aiohttp import web

from projector.core.dossier import case_from_json
from projector.core.model import (
    Case,
)
from projector.core.protocol import (
    case_to_wire,
)
from projector.core.state import (
    Command,
    RemoveCase,
    UpsertCase,
)
from projector.server.routes import media as http_media
from projector.server.services import SERVICES
from projector.server.web.auth import (
    require,
)
from projector.server.web.errors import ApiError, read_json
from projector.server.web.http import json_response
from projector.store.base import Store

log = logging.getLogger("projector.server")


async def list_cases(request: web.Request) -> web.Response:
    state = request.app[SERVICES].show.state
    return json_response({"cases": [case_to_wire(c) for c in state.cases.values()], "rev": state.rev})


async def get_case(request: web.Request) -> web.Response:
    case = request.app[SERVICES].show.state.cases.get(request.match_info["case_id"])
    if case is None:
        raise ApiError(404, "not_found", f"no case {request.match_info['case_id']!r}")
    return json_response(case_to_wire(case))


def _parse_case_body(case_id: str, body: object) -> Case:
    return case_from_json(case_id, body)  # the rules: projector/core/dossier.py


async def put_case(request: web.Request) -> web.Response:
    await require(request, "operator")
    case = _parse_case_body(request.match_info["case_id"], await read_json(request))
    await http_media.check_case_media(request, case)
    services = request.app[SERVICES]

    def write(s: Store) -> list[Command]:
        s.upsert_case(case)
        return [UpsertCase(case)]

    await services.show.execute_written(services.store, write)
    return json_response({**case_to_wire(case), "rev": services.show.state.rev})


async def delete_case(request: web.Request) -> web.Response:
    await require(request, "operator")
    case_id = request.match_info["case_id"]
    services = request.app[SERVICES]

    def write(s: Store) -> list[Command]:
        if not s.delete_case(case_id):
            raise ApiError(404, "not_found", f"no case {case_id!r}")
        return [RemoveCase(case_id)]

    await services.show.execute_written(services.store, write)
    return json_response({"deleted": case_id, "rev": services.show.state.rev})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/v1/cases", list_cases)
    r.add_get("/api/v1/cases/{case_id}", get_case)
    r.add_put("/api/v1/cases/{case_id}", put_case)
    r.add_delete("/api/v1/cases/{case_id}", delete_case)
