"""Putting the server on the network: the guarded listening socket, and the run loop of ``projector serve``."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from projector.server.config import Config
from projector.server.services import SERVICES
from projector.server.web.connections import RESERVED_FDS, ConnectionGuard, GuardedSite, raise_open_file_limit

log = logging.getLogger("projector.server")


def runner_for(app: web.Application) -> web.AppRunner:
    config = app[SERVICES].config
    # Handlers get a few seconds to finish on shutdown, not aiohttp's minute: displays reconnect.
    return web.AppRunner(
        app, access_log=None, keepalive_timeout=config.keepalive_timeout, shutdown_timeout=5.0
    )


async def listen(runner: web.AppRunner, config: Config, port: int | None = None) -> GuardedSite:
    """Start accepting connections on ``config.host`` (and ``port``, else the config's), through the guard."""
    limit = raise_open_file_limit()
    ceiling = max(64, limit - RESERVED_FDS)
    total = min(config.max_connections, ceiling) if config.max_connections else ceiling
    metrics = runner.app[SERVICES].metrics
    guard = ConnectionGuard(
        per_address=min(config.max_connections_per_address, total),
        total=total,
        header_timeout=config.header_timeout,
        on_refused=lambda reason: metrics.connections_refused.labels(reason).inc(),
    )
    site = GuardedSite(runner, config.host, config.port if port is None else port, guard)
    await site.start()
    log.info(
        "listening on %s: at most %d connections (%d per address; open-file limit %d), headers within %.0f s",
        site.name,
        guard.total,
        guard.per_address,
        limit,
        guard.header_timeout,
    )
    return site


async def serve_until_stopped(app: web.Application) -> None:
    """Run until SIGINT or SIGTERM, then close: sockets, services, store (the app's lifespan)."""
    runner = runner_for(app)
    await runner.setup()  # the lifespan starts here: a refused database raises before we listen
    try:
        await listen(runner, app[SERVICES].config)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("stopping")
    finally:
        await runner.cleanup()
