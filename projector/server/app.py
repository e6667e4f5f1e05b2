"""The aiohttp application factory and its start-up: the store opened, the show rebuilt from it, the first admin made."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

from aiohttp import web

from projector.core.model import (
    Campaign,
)
from projector.core.state import (
    WALL_SIZE,
    Message,
    ShowState,
)
from projector.server import osc
from projector.server.app_keys import CONFIG, HUB, METRICS, PUBLIC_LIMITER, SHOW, SHOW_CONTROL, STORE
from projector.server.config import Config
from projector.server.hub import Hub
from projector.server.routes import accounts as http_accounts
from projector.server.routes import actions, campaign, cases, displays, health
from projector.server.routes import fleet as http_fleet
from projector.server.routes import i18n as http_i18n
from projector.server.routes import mapping as http_mapping
from projector.server.routes import media as http_media
from projector.server.routes import messages as http_messages
from projector.server.routes import panel as http_panel
from projector.server.routes import schedule as http_schedule
from projector.server.routes import show as http_show
from projector.server.show import Show
from projector.server.show_control import restore
from projector.server.web.auth import (
    TOKEN_CACHE,
    TokenCache,
)
from projector.server.web.errors import error_middleware
from projector.server.web.metrics import Metrics
from projector.server.web.ratelimit import RateLimiter
from projector.store.writer import StoreWriter

ADMIN_PASSWORD_FILE = "admin-password.txt"

log = logging.getLogger("projector.server")


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
    app[SHOW].state = await writer.call(lambda s: restore(s, state, time.time()))
    app[SHOW_CONTROL].attach()
    where = await writer.call(lambda s: _first_run_admin(s, config.data_dir))
    if where is not None:
        log.warning("first run: created the admin login; its password is in %s", where)
    state = app[SHOW].state
    log.info("loaded %s: %d actions counted, %d cases", config.db_path, state.totals.total, len(state.cases))
    yield
    app[SHOW_CONTROL].close()
    await app[HUB].close_all()
    await asyncio.get_running_loop().run_in_executor(None, writer.close)


def build_app(config: Config) -> web.Application:
    app = web.Application(middlewares=[error_middleware], client_max_size=config.max_body_bytes)
    metrics_ = Metrics()
    hub = Hub(metrics_, totals_rate=config.totals_rate, queue_limit=config.client_queue)
    app[CONFIG] = config
    app[METRICS] = metrics_
    app[HUB] = hub
    app[SHOW] = Show(ShowState(), hub)
    app[STORE] = StoreWriter(config.db_path, database=config.database)
    app[TOKEN_CACHE] = TokenCache()
    app[PUBLIC_LIMITER] = RateLimiter(config.public_rate_per_minute)
    app.cleanup_ctx.append(_store_ctx)

    health.add_routes(app)
    displays.add_routes(app)
    actions.add_routes(app)
    campaign.add_routes(app)
    cases.add_routes(app)
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
