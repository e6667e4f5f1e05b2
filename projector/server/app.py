"""The aiohttp application factory and its start-up: the store opened, the show rebuilt from it, the first admin made."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
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
from projector.server.config import Config
from projector.server.media_service import start_media, video_lengths
from projector.server.moderation import load_moderation
from projector.server.routes import accounts as http_accounts
from projector.server.routes import actions, brand, campaign, cases, displays, health
from projector.server.routes import fleet as http_fleet
from projector.server.routes import fonts as http_fonts
from projector.server.routes import i18n as http_i18n
from projector.server.routes import mapping as http_mapping
from projector.server.routes import media as http_media
from projector.server.routes import messages as http_messages
from projector.server.routes import panel as http_panel
from projector.server.routes import schedule as http_schedule
from projector.server.routes import show as http_show
from projector.server.services import SERVICES, build_services
from projector.server.show_control import restore
from projector.server.web.errors import error_middleware
from projector.store.data_lock import DataDirLock
from projector.store.database import describe
from projector.store.preflight import check_sqlite_file

ADMIN_PASSWORD_FILE = "admin-password.txt"

log = logging.getLogger("projector.server")


def _first_run_admin(store: Any, data_dir: Path) -> str | None:
    """Create the first admin and write its password to a new file only its owner can read.

    An existing password file is never overwritten: if one is there (a database begun again
    with --init), the new password goes to a file of its own beside it.
    """
    if store.has_users():
        return None
    password = secrets.token_urlsafe(16)
    store.create_user("admin", password, "admin", time.time())
    path = data_dir / ADMIN_PASSWORD_FILE
    n = 1
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            break
        except FileExistsError:
            n += 1
            path = data_dir / f"admin-password-{n}.txt"
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f"username: admin\npassword: {password}\n")
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


def _open_sqlite_checked(config: Config, lock: DataDirLock, init: bool) -> None:
    """One server per data directory, and its SQLite file checked before SQLite may start it anew."""
    lock.acquire()
    try:
        check_sqlite_file(config.db_path, config.data_dir, init=init)
    except BaseException:
        lock.release()
        raise


async def _lifespan(app: web.Application, *, init: bool = False) -> AsyncIterator[None]:
    """Open the store, rebuild the show, start the services; on the way out, close in reverse:
    sockets (displays, panels, OSC) first, then the services, then the store."""
    s = app[SERVICES]
    config = s.config
    config.data_dir.mkdir(parents=True, exist_ok=True)
    loop = asyncio.get_running_loop()
    lock = DataDirLock(config.data_dir)
    if not config.database:
        await loop.run_in_executor(None, _open_sqlite_checked, config, lock, init)
    try:
        await loop.run_in_executor(None, s.store.start)
    except BaseException:
        lock.release()
        raise
    if s.shared is not None:
        await s.shared.start(lambda st: restore(st, _load_state(st, config), time.time()))
    else:
        state = await s.store.call(lambda st: _load_state(st, config))
        s.show.state = await s.store.call(lambda st: restore(st, state, time.time()))
    s.media.video_seconds.update(await s.store.call(video_lengths))
    s.show_control.attach()
    where = await s.store.call(lambda st: _first_run_admin(st, config.data_dir))
    if where is not None:
        log.warning("first run: created the admin login; its password is in %s", where)
    state = s.show.state
    log.info(
        "loaded %s: %d actions counted, %d cases",
        describe(config.database, config.db_path),
        state.totals.total,
        len(state.cases),
    )
    await load_moderation(s.store, s.intake, s.queue)
    start_media(s.media, s.store, s.show)
    s.panels.start()
    await s.fleet.start(on_change=s.panels.dirty.set)
    await s.scheduler.start()
    await s.osc.start()
    yield
    s.osc.close()
    await s.panels.close()
    await s.hub.close_all()
    await s.scheduler.close()
    await s.fleet.close()
    await s.media.close()
    s.previews.close()
    s.layout_previews.close()
    s.passwords.close()
    s.show_control.close()
    if s.shared is not None:
        await s.shared.close()
    await asyncio.get_running_loop().run_in_executor(None, s.store.close)
    lock.release()


def build_app(config: Config, *, init: bool = False) -> web.Application:
    """The server. ``init``: begin a new database where the old one is missing or damaged
    (``projector serve --init``); without it such a start is refused (``store/preflight.py``)."""
    app = web.Application(middlewares=[error_middleware], client_max_size=config.max_body_bytes)
    app[SERVICES] = build_services(config)
    app.cleanup_ctx.append(functools.partial(_lifespan, init=init))
    # Each area adds its routes; no area's routes depend on another's having been added, except
    # that the reader's-language GET /submit (i18n) must come before the panel's.
    for area in (
        health,
        displays,
        actions,
        campaign,
        brand,
        cases,
        http_accounts,
        http_messages,
        http_show,
        http_i18n,
        http_panel,
        http_media,
        http_fonts,
        http_fleet,
        http_schedule,
        http_mapping,
    ):
        area.add_routes(app)
    return app
