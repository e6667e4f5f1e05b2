"""A layout drawn exactly as a display will draw it, for the panel's layout editor.

As with message previews (``message_preview.py``), the browser cannot be
trusted to lay out words as a display will, so the server runs the real
``layout`` scene with the real text engine, fonts, live totals and pictures,
at the display shape the operator picks, and the panel shows that picture.

Rendering happens on the message previews' one worker thread (pygame's text
engine is not thread-safe across threads); each shape has its own assets,
kept between previews.
"""

from __future__ import annotations

import asyncio
import io
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from media.library import MediaLibrary
from projector.core.state import ShowState
from projector.display.look import portrait_tone

#: The shapes a preview is drawn at: what displays run (a 16:9 screen, a tower, a banner).
SHAPES: dict[str, tuple[int, int]] = {
    "landscape": (1920, 1080),
    "tower": (1080, 1920),
    "banner": (3840, 1080),
}
#: The longest side of the picture the panel is sent.
PREVIEW_SIDE = 960
#: How long a preview waits for the pictures it shows (portraits are decoded on a worker).
PICTURE_WAIT = 3.0
#: What a preview's cue names the layout being edited.
DRAFT = "draft"


class _ServerMedia:
    """The server's own picture files, in the shape of a display's media cache (``path(hash)``)."""

    def __init__(self, library: MediaLibrary) -> None:
        self.library = library

    def path(self, media_hash: str) -> Path | None:
        try:
            found = self.library.path_of(media_hash)
        except ValueError:
            return None
        return found if found.is_file() else None


class LayoutPreviewer:
    def __init__(self, library: MediaLibrary, pool: ThreadPoolExecutor) -> None:
        self.media = _ServerMedia(library)
        #: Shared with the message previews, whose owner shuts it down.
        self._pool = pool
        self._assets: dict[str, Any] = {}

    async def png(self, state: ShowState, source: str, shape: str) -> bytes:
        """The layout ``source`` drawn on ``state`` at ``shape`` (a key of :data:`SHAPES`), as PNG.

        The layout must have been checked (``parse_layout``) by the caller.
        """
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._render, state, source, shape)

    def _render(self, state: ShowState, source: str, shape: str) -> bytes:
        # Imported here: a server that never previews never loads pygame or the fonts.
        import pygame
        from PIL import Image

        from projector.display.assets import Assets
        from scenes.layout import LayoutScene

        size = SHAPES[shape]
        assets = self._assets.get(shape)
        if assets is None:
            assets = self._assets[shape] = Assets(size, name="preview", media_cache=self.media)
        assets.tone = portrait_tone(state.campaign.brand)  # as a display's director does
        layouts = MappingProxyType({**state.campaign.layouts, DRAFT: source})
        state = replace(state, campaign=replace(state.campaign, layouts=layouts))
        scene = LayoutScene()
        scene.enter(state, assets, {"layout": DRAFT})
        surface = pygame.Surface(size)
        # Pictures arrive from worker threads: a few short frames until they are in, or time is up.
        deadline = time.monotonic() + PICTURE_WAIT
        while True:
            scene.refresh()
            if scene.complete() or time.monotonic() > deadline:
                break
            time.sleep(0.03)
        scene.draw(surface)
        image = Image.frombytes("RGB", size, pygame.image.tobytes(surface, "RGB"))
        scale = PREVIEW_SIDE / max(size)
        image = image.resize((round(size[0] * scale), round(size[1] * scale)), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, "PNG", optimize=False, compress_level=3)
        return out.getvalue()

    def close(self) -> None:
        for assets in self._assets.values():
            assets.close()
