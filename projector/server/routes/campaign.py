"""The campaign: its name, goal, last year's record and its words per language."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from projector.core.model import (
    MAX_CAMPAIGN_TEXT,
    Campaign,
    ValidationError,
    parse_campaign_translations,
    parse_lang,
    parse_text,
)
from projector.core.protocol import (
    campaign_to_wire,
)
from projector.core.state import (
    Command,
    SetCampaign,
)
from projector.server.services import SERVICES
from projector.server.web.auth import (
    require,
)
from projector.server.web.errors import read_json_object
from projector.server.web.http import json_response
from projector.store.base import Store

log = logging.getLogger("projector.server")


def _saved(store: Store, campaign: Campaign) -> list[Command]:
    """Store the campaign and name the command that shows it (``Show.execute_written``)."""
    store.save_campaign(campaign)
    return [SetCampaign(campaign)]


async def get_campaign(request: web.Request) -> web.Response:
    state = request.app[SERVICES].show.state
    return json_response({**campaign_to_wire(state.campaign), "rev": state.rev})


def _non_negative_int(body: dict[str, Any], name: str, default: int) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 10**12:
        raise ValidationError(name, "must be a whole number between 0 and 10^12")
    return value


async def put_campaign(request: web.Request) -> web.Response:
    await require(request, "operator")
    body = await read_json_object(request)
    unknown = set(body) - {"name", "goal", "record", "lang", "tagline", "call_to_action", "translations"}
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    show = request.app[SERVICES].show
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
        # The look and the layouts have routes of their own (routes/brand.py).
        brand=current.brand,
        layouts=current.layouts,
    )
    await show.execute_written(request.app[SERVICES].store, lambda s: _saved(s, campaign))
    return json_response({**campaign_to_wire(campaign), "rev": show.state.rev})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/campaign", get_campaign)
    app.router.add_put("/api/v1/campaign", put_campaign)
