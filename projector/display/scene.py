"""The Scene interface, the scene registry, and the house style scenes share.

A scene is a small object the director drives: ``enter`` once with the state,
the assets and its parameters, then ``update`` and ``draw`` every frame.
Scenes never touch the network or the disk: everything they show arrives
through ``enter()``/``update()`` and ``assets``, which is what lets the
director swap a failing scene for the fallback and keeps tests headless.

The display owns this contract; scenes depend on it, never the reverse. The
built-in scenes register when whoever starts a display loads the ``scenes``
package (the ``display`` and ``demo`` commands do); the fallback and blackout cards the director
itself relies on live in the display. Third-party scenes register through the
``projector.scenes`` entry point group; each entry point names a Scene class.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar, runtime_checkable

import pygame

from projector.core.cues import SCENE_NAME
from projector.core.state import ShowState
from projector.i18n.localizer import N_

if TYPE_CHECKING:
    from projector.display.assets import Assets

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "projector.scenes"

# --- house style: a dark facade at night ----------------------------------------------
BLACK = (0, 0, 0)
WHITE = (255, 255, 255)
YELLOW = (255, 221, 0)  # the campaign accent
GREY = (150, 150, 150)
DARK = (34, 34, 34)
DIM_WHITE = (205, 205, 205)

#: The line under the total when the campaign gives no tagline of its own (a catalog msgid).
DEFAULT_TAGLINE = N_("ACTIONS FOR HUMAN RIGHTS")


@runtime_checkable
class Scene(Protocol):
    name: ClassVar[str]

    def enter(self, state: ShowState, assets: Assets, params: Mapping[str, Any]) -> None: ...

    def update(self, state: ShowState, dt: float) -> None: ...  # no drawing

    def draw(self, surface: pygame.Surface) -> None: ...  # no mutation, no I/O


class UnknownScene(KeyError):
    """No scene of that name is registered (built in or through an entry point)."""


_REGISTRY: dict[str, type[Scene]] = {}
_loaded = False

S = TypeVar("S", bound=type)


def register(cls: S) -> S:
    """Class decorator: make a scene available by its ``name``.

    Registering a second, different class under a taken name is refused: a
    plug-in must not silently replace a built-in scene on a public screen.
    """
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not SCENE_NAME.match(name):
        raise ValueError(f"scene class {cls!r} needs a `name` like 'totals' (lower-case, short)")
    for method in ("enter", "update", "draw"):
        if not callable(getattr(cls, method, None)):
            raise ValueError(f"scene {name!r} has no {method}() method")
    existing = _REGISTRY.get(name)
    if existing is not None and existing is not cls and _qualified(existing) != _qualified(cls):
        raise ValueError(f"scene name {name!r} is already taken by {_qualified(existing)}")
    _REGISTRY[name] = cls
    return cls


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _ensure_loaded() -> None:
    """Load the plug-in scenes once; a broken plug-in is logged and skipped."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    try:
        found = entry_points(group=ENTRY_POINT_GROUP)
    except Exception:  # a broken installed distribution must not stop the display
        log.exception("could not list %s entry points", ENTRY_POINT_GROUP)
        return
    for ep in found:
        try:
            cls = ep.load()
            if ep.name != getattr(cls, "name", None):
                log.warning(
                    "scene entry point %r loads a scene named %r", ep.name, getattr(cls, "name", None)
                )
            register(cls)
        except Exception:
            log.exception("scene plug-in %r (%s) failed to load; skipped", ep.name, ep.value)


def get_scene(name: object) -> type[Scene]:
    """The scene class registered under ``name``; ``UnknownScene`` if there is none."""
    _ensure_loaded()
    if not isinstance(name, str) or name not in _REGISTRY:
        raise UnknownScene(f"unknown scene {name!r}; known: {', '.join(scene_names())}")
    return _REGISTRY[name]


def scene_names() -> list[str]:
    _ensure_loaded()
    return sorted(_REGISTRY)


# --- parameters: scenes take what they understand and log what they refuse ---------------


def param_float(params: Mapping[str, Any], key: str, default: float, lo: float, hi: float) -> float:
    """A number from ``params`` clamped to ``[lo, hi]``; wrong types fall back to ``default``.

    Operators type parameters by hand on a laptop at night; a typo must give a
    sane screen and a log line, not an exception.
    """
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        log.error("parameter %s=%r is not a finite number; using %s", key, value, default)
        return default
    if not lo <= value <= hi:
        clamped = min(max(float(value), lo), hi)
        log.error("parameter %s=%r is out of range [%s, %s]; using %s", key, value, lo, hi, clamped)
        return clamped
    return float(value)


def param_str(params: Mapping[str, Any], key: str, max_length: int = 200) -> str | None:
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_length:
        log.error("parameter %s=%r is not a short string; ignored", key, value)
        return None
    return value


def opaque_surface(size: tuple[int, int]) -> pygame.Surface:
    """A black surface in the screen's format: opaque surfaces fade (set_alpha)
    several times faster than per-pixel alpha ones."""
    surface = pygame.Surface((max(1, size[0]), max(1, size[1])))
    if pygame.display.get_surface() is not None:
        surface = surface.convert()
    surface.fill(BLACK)
    return surface


def clamp_dt(dt: float) -> float:
    """A frame step the scene can trust: finite, not negative, at most a quarter second."""
    if not isinstance(dt, int | float) or not math.isfinite(dt) or dt <= 0:
        return 0.0
    return min(float(dt), 0.25)


def ease(t: float) -> float:
    """Smoothstep on [0, 1]: motion that starts and lands softly."""
    t = min(max(t, 0.0), 1.0)
    return t * t * (3 - 2 * t)


def set_fade(surface: pygame.Surface, alpha: float) -> None:
    """Set a surface's opacity for the next blits, choosing the fast path.

    In pygame-ce 2.5 an opaque surface with ``set_alpha(255)`` takes a
    generic blitter some 40 times slower than with no surface alpha at all:
    a fully faded-in 4K frame would cost 100 ms. So 255 becomes None.
    """
    value = int(alpha)
    surface.set_alpha(None if value >= 255 else max(0, value))


def visible(surface: pygame.Surface) -> bool:
    """False for a surface faded out completely: skip the blit instead of blending nothing."""
    return surface.get_alpha() != 0
