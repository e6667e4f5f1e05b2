"""Scenes: one module per scene type; importing the package registers the built-ins."""

from scenes import blackout, fallback, ident, messages, portrait, qr, ticker, totals
from scenes.base import Scene, UnknownScene, get_scene, register, scene_names

__all__ = [
    "Scene",
    "UnknownScene",
    "blackout",
    "fallback",
    "get_scene",
    "ident",
    "messages",
    "portrait",
    "qr",
    "register",
    "scene_names",
    "ticker",
    "totals",
]
