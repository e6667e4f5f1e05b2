"""Is there a screen to show on? SDL's video driver, checked before any window opens.

With no X11 or Wayland display and no console KMS/DRM device, SDL does not
fail: it falls back to its ``offscreen`` (or ``dummy``) driver, and a display
would run for ever showing nothing to no one. Unless the user asked for that
driver (``SDL_VIDEODRIVER=dummy`` is how the tests open "windows"), that is
a start-up error, reported in one line that says what to do.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import pygame

#: SDL drivers that show nothing on any screen.
INVISIBLE_DRIVERS = ("offscreen", "dummy")
HINT = "set DISPLAY, run on the console with SDL_VIDEODRIVER=kmsdrm, or use --headless --frames N --out DIR"


class NoVideoDevice(RuntimeError):
    """No screen to show on; ``str()`` is the whole one-line message, hint included."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"no usable video device ({detail}); {HINT}")
        self.detail = detail


def asked_driver(env: Mapping[str, str]) -> str:
    """The driver named in ``SDL_VIDEODRIVER`` (SDL 2 takes one name), lower case; "" if none."""
    return env.get("SDL_VIDEODRIVER", "").strip().lower()


def check_driver(driver: str, env: Mapping[str, str]) -> None:
    """Raise :class:`NoVideoDevice` when SDL fell back to an invisible driver nobody asked for."""
    name = driver.lower()
    if name in INVISIBLE_DRIVERS and name != asked_driver(env):
        raise NoVideoDevice(
            f"no X11 or Wayland display and no console KMS/DRM device; SDL fell back to {name!r}"
        )


def start_video(env: Mapping[str, str] | None = None) -> str:
    """``pygame.display.init()``, refusing a video driver that shows nothing; SDL's driver name.

    Raises :class:`NoVideoDevice` (with SDL's own words when it could not
    start at all, e.g. ``SDL_VIDEODRIVER=x11`` with no X server). Calling it
    again once video runs is cheap: SDL is not probed twice.
    """
    env = os.environ if env is None else env
    try:
        pygame.display.init()
    except pygame.error as exc:
        asked = asked_driver(env)
        where = f"SDL_VIDEODRIVER={asked}: " if asked else ""
        raise NoVideoDevice(f"SDL could not start its video: {where}{exc}") from exc
    driver = pygame.display.get_driver()
    try:
        check_driver(driver, env)
    except NoVideoDevice:
        pygame.display.quit()
        raise
    return driver
