"""Scenes: one module per scene type; importing the package registers the built-ins.

The scene contract (the Scene base, the registry, easing, the house colours)
is the display's own, in ``projector.display.scene``. Whoever starts a display
imports this package so the built-in scenes are there to look up; the fallback
and blackout cards belong to the display and are imported here only so that
importing ``scenes`` still registers every built-in scene.
"""

from projector.display import blackout_scene, fallback_scene
from scenes import ident, layout, messages, portrait, qr, slides, ticker, totals, video

__all__ = [
    "blackout_scene",
    "fallback_scene",
    "ident",
    "layout",
    "messages",
    "portrait",
    "qr",
    "slides",
    "ticker",
    "totals",
    "video",
]
