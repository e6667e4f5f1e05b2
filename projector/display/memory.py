"""How much of a display's memory its picture caches may hold, sized from the display's resolution.

A small box (a Raspberry Pi, a fanless mini PC) runs the display for days
beside nothing else; issue 19 asks for under 200 MB with the demo cases at
1080p. Rendered text and treated portraits are the caches that grow with the
show (every case, every message, every size a scene asks for), so each is an
LRU bounded by what its pixels weigh, measured in screens of the display's
own size: a 4K wall gets four times the room of a 1080p one, because every
surface its scenes draw is four times larger.

The bounds hold what the show needs: the scene on screen and the one coming
in (a crossfade draws both). Past that, the least recently used goes and is
made again when needed: a text surface in a frame (milliseconds), a portrait
on a worker thread while the scene shows its placeholder (the director enters
the next scene ahead of its cut, so the worker usually finishes first).
Measured with the 8 demo cases at 1080p (issue 19): at three screens of text
the rotation re-renders about 80 surfaces a round, as at four; at two it
re-renders 570, and frame times would pay for it.
"""

from __future__ import annotations

#: Rendered text and scene memos (``TextRenderer.cache``): three screens of pixels. The totals
#: scene alone keeps about one and a half (its digits at every colour), a portrait scene about
#: one (placeholder, name, call to action), messages less: two live scenes fit.
TEXT_SCREENS = 3.0
#: Treated portraits (``Assets.portrait``): one screen of pixels, two portraits at the portrait
#: scene's panel size: the one on screen and the next (a crossfade shows both).
PORTRAIT_SCREENS = 1.0
#: However small the display, room for a few ordinary surfaces (a 320x180 test frame).
MIN_PIXELS = 1_000_000
#: Bytes per pixel of the surfaces kept (32-bit: pygame's screen format and RGBA).
BYTES_PER_PIXEL = 4


def screen_pixels(size: tuple[int, int]) -> int:
    return max(1, int(size[0])) * max(1, int(size[1]))


def text_pixels(size: tuple[int, int]) -> int:
    """The text cache's bound, in pixels, for a display of ``size``."""
    return max(MIN_PIXELS, int(TEXT_SCREENS * screen_pixels(size)))


def portrait_bytes(size: tuple[int, int]) -> int:
    """The portrait cache's bound, in bytes, for a display of ``size``."""
    return max(MIN_PIXELS, int(PORTRAIT_SCREENS * screen_pixels(size))) * BYTES_PER_PIXEL
