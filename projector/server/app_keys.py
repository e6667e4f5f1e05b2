"""Typed keys for the aiohttp application's shared objects (aiohttp's ``web.AppKey``)."""

from __future__ import annotations

from aiohttp import web

from projector.server.config import Config
from projector.server.hub import Hub
from projector.server.show import Show
from projector.server.show_control import ShowControl
from projector.server.web.metrics import Metrics
from projector.server.web.ratelimit import RateLimiter
from projector.store.writer import StoreWriter

CONFIG = web.AppKey("config", Config)
STORE = web.AppKey("store", StoreWriter)
SHOW = web.AppKey("show", Show)
HUB = web.AppKey("hub", Hub)
METRICS = web.AppKey("metrics", Metrics)
PUBLIC_LIMITER = web.AppKey("public_limiter", RateLimiter)
SHOW_CONTROL = web.AppKey("show_control", ShowControl)
