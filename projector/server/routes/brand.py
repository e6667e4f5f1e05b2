"""The campaign's look (issue 18): its brand kit, and the layouts the ``layout`` scene draws.

| route | who |
|---|---|
| ``GET /api/v1/brand`` | anyone (what the screens show is public) |
| ``PUT /api/v1/brand`` ``{"background"?, "text"?, "accent"?, "font"?, "logo"?}`` | operator |
| ``GET /api/v1/layouts`` | anyone |
| ``GET /api/v1/layouts/{layout}`` | anyone |
| ``PUT /api/v1/layouts/{layout}`` ``{"source"}`` | operator |
| ``DELETE /api/v1/layouts/{layout}`` | operator |
| ``POST /api/v1/layouts/preview`` ``{"source", "shape"?}`` -> PNG | operator |

Both live with the campaign (``Campaign.brand``, ``Campaign.layouts``), so a
change is stored, then reaches every display in the ``campaign`` event and
shows from each scene's next entry. A kit whose colour pairs are below WCAG
AA for large text (3:1) is saved (the operator may know the wall) but its
answer lists ``warnings``, which the panel shows. The kit's ``font`` is a
packaged font's name or ``upload:<hash>`` of a font uploaded with
``POST /api/v1/fonts`` (``routes.fonts``).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from aiohttp import web

from projector.core.brand import AA_LARGE, brand_to_dict, contrast_warnings, parse_brand
from projector.core.layout_spec import (
    MAX_LAYOUTS,
    keep_out_clash,
    layout_source,
    load_source,
    parse_layout,
    parse_layout_name,
)
from projector.core.model import BRAND_FONTS, Campaign, ValidationError, uploaded_font_hash
from projector.core.shipped_layouts import SHIPPED
from projector.core.state import Command, SetCampaign
from projector.server.layout_preview import SHAPES
from projector.server.services import SERVICES
from projector.server.web.auth import require
from projector.server.web.errors import ApiError, read_json_object
from projector.server.web.http import json_response
from projector.store.base import Store

log = logging.getLogger("projector.server")


def _brand_json(campaign: Campaign, rev: int) -> dict[str, Any]:
    return {
        **brand_to_dict(campaign.brand),
        "fonts": list(BRAND_FONTS),
        "warnings": contrast_warnings(campaign.brand),
        "minimum_contrast": AA_LARGE,
        "rev": rev,
    }


async def _save(request: web.Request, campaign: Campaign) -> int:
    """Store the campaign, then tell every display; the new rev."""
    show = request.app[SERVICES].show

    def write(s: Store) -> list[Command]:  # as the campaign route stores the rest of it
        s.save_campaign(campaign)
        return [SetCampaign(campaign)]

    await show.execute_written(request.app[SERVICES].store, write)
    return show.state.rev


async def get_brand(request: web.Request) -> web.Response:
    state = request.app[SERVICES].show.state
    return json_response(_brand_json(state.campaign, state.rev))


async def put_brand(request: web.Request) -> web.Response:
    await require(request, "operator")
    body = await read_json_object(request)
    current = request.app[SERVICES].show.state.campaign
    brand = parse_brand(body, current.brand)
    font_hash = uploaded_font_hash(brand.font)
    if font_hash is not None and brand.font != current.brand.font:
        record = await request.app[SERVICES].store.call(lambda s: s.get_media(font_hash))
        if record is None or not record.is_font:
            raise ValidationError(
                "font", f"no uploaded font {font_hash[:12]}… on the server; upload it with POST /api/v1/fonts"
            )
    if brand.logo is not None and brand.logo != current.brand.logo:
        logo = brand.logo
        known = await request.app[SERVICES].store.call(
            lambda s: (m := s.get_media(logo)) is not None and not m.is_font
        )
        if not known:
            raise ValidationError("logo", f"no picture {logo[:12]}… on the server; upload it first")
    campaign = replace(current, brand=brand)
    rev = await _save(request, campaign)
    return json_response(_brand_json(campaign, rev))


# --- layouts ---------------------------------------------------------------------------------


def _layout_json(name: str, source: str, own: bool) -> dict[str, Any]:
    return {"name": name, "title": parse_layout(source).title, "source": source, "shipped": not own}


async def list_layouts(request: web.Request) -> web.Response:
    """The campaign's layouts, then the shipped ones it has not replaced."""
    own = request.app[SERVICES].show.state.campaign.layouts
    items = [_layout_json(name, source, True) for name, source in sorted(own.items())]
    items += [_layout_json(name, source, False) for name, source in SHIPPED.items() if name not in own]
    return json_response({"layouts": items})


async def get_layout(request: web.Request) -> web.Response:
    name = request.match_info["layout"]
    own = request.app[SERVICES].show.state.campaign.layouts
    source = layout_source(own, name)
    if source is None:
        raise ApiError(404, "not_found", f"no layout {name!r}")
    return json_response(_layout_json(name, source, name in own))


def _checked_source(request: web.Request, body: dict[str, Any]) -> str:
    """The body's ``source``, parsed and checked, and clear of every display's keep-out boxes."""
    unknown = sorted(set(body) - {"source", "shape"})
    if unknown:
        raise ValidationError(unknown[0], "unknown field")
    source = body.get("source")
    load_source(source)  # a string, not too long, no control characters, TOML or JSON
    assert isinstance(source, str)
    layout = parse_layout(source)
    for display in request.app[SERVICES].fleet.active():
        areas = [("", display.safe_area), *((f" output {o}", a) for o, a in display.output_safe_areas)]
        for where, area in areas:
            clash = keep_out_clash(layout, area) if area is not None else None
            if clash is not None:
                raise ValidationError(clash.field, f"{clash.message} of display {display.name}{where}")
    return source


async def put_layout(request: web.Request) -> web.Response:
    await require(request, "operator")
    name = parse_layout_name(request.match_info["layout"], "layout")
    body = await read_json_object(request)
    source = _checked_source(request, body)
    current = request.app[SERVICES].show.state.campaign
    if name not in current.layouts and len(current.layouts) >= MAX_LAYOUTS:
        raise ValidationError("layout", f"a campaign has at most {MAX_LAYOUTS} layouts of its own")
    layouts = MappingProxyType({**current.layouts, name: source})
    rev = await _save(request, replace(current, layouts=layouts))
    return json_response({**_layout_json(name, source, True), "rev": rev})


async def delete_layout(request: web.Request) -> web.Response:
    """Forget the campaign's own layout (a shipped one of that name shows again)."""
    await require(request, "operator")
    name = request.match_info["layout"]
    current = request.app[SERVICES].show.state.campaign
    if name not in current.layouts:
        raise ApiError(404, "not_found", f"the campaign has no layout {name!r} of its own")
    layouts = MappingProxyType({k: v for k, v in current.layouts.items() if k != name})
    await _save(request, replace(current, layouts=layouts))
    return web.Response(status=204)


async def preview_layout(request: web.Request) -> web.Response:
    """The layout in the body drawn by the real scene on the live state (PNG), before it is saved."""
    await require(request, "operator")
    body = await read_json_object(request)
    shape = body.get("shape", "landscape")
    if shape not in SHAPES:
        raise ValidationError("shape", f"must be one of {', '.join(SHAPES)}")
    source = _checked_source(request, body)
    services = request.app[SERVICES]
    # Pictures another node took in are copied here first (a no-op with one node).
    brand = services.show.state.campaign.brand
    own = [h for h in (brand.logo, uploaded_font_hash(brand.font)) if h is not None]
    await services.media.local_all([*parse_layout(source).media(), *own])
    png = await services.layout_previews.png(services.show.state, source, shape)
    return web.Response(body=png, content_type="image/png", headers={"Cache-Control": "no-store"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/brand", get_brand)
    app.router.add_put("/api/v1/brand", put_brand)
    app.router.add_get("/api/v1/layouts", list_layouts)
    app.router.add_post("/api/v1/layouts/preview", preview_layout)
    app.router.add_get("/api/v1/layouts/{layout}", get_layout)
    app.router.add_put("/api/v1/layouts/{layout}", put_layout)
    app.router.add_delete("/api/v1/layouts/{layout}", delete_layout)
