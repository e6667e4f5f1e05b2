"""A message drawn exactly as the wall will draw it, for the moderation queue.

The browser cannot be trusted to show a message the way a display will: it
has other fonts, other shaping and other line breaks, and it would happily
show a box where the wall drops a glyph no font covers. So the server renders
the real ``messages`` scene, with the real text engine and fonts, at the wall's
resolution, and the panel shows that picture next to the raw text.

Rendering happens on one worker thread (pygame is not thread-safe across
threads sharing fonts), and pictures are cached by what they show.
"""

from __future__ import annotations

import asyncio
import io
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from projector.core.state import Message, ShowState

#: The wall's layout is relative to the height; 1080p is what most screens run.
RENDER_SIZE = (1920, 1080)
#: What the panel shows: half size, sharp enough to read every diacritic.
PREVIEW_WIDTH = 960
CACHE_SIZE = 128


class PreviewRenderer:
    def __init__(self, size: tuple[int, int] = RENDER_SIZE, width: int = PREVIEW_WIDTH) -> None:
        self.size = size
        self.width = width
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="message-preview")
        self._assets: Any = None
        self._cache: OrderedDict[tuple[str, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    async def png(self, message: Message) -> bytes:
        key = (message.id, message.text, message.name, message.country or "", message.lang or "")
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        data = await asyncio.get_running_loop().run_in_executor(self._pool, self._render, message)
        with self._lock:
            self._cache[key] = data
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return data

    def _render(self, message: Message) -> bytes:
        # Imported here: a server that never previews never loads pygame or the fonts.
        import pygame
        from PIL import Image

        from projector.display.assets import Assets
        from scenes.messages import MessagesScene

        if self._assets is None:
            self._assets = Assets(self.size, name="preview")
        scene = MessagesScene()
        scene.enter(ShowState(wall=(message,)), self._assets, {})
        surface = pygame.Surface(self.size)
        scene.draw(surface)
        raw = pygame.image.tobytes(surface, "RGB")
        image = Image.frombytes("RGB", self.size, raw)
        height = round(self.size[1] * self.width / self.size[0])
        image = image.resize((self.width, height), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, "PNG", optimize=False, compress_level=3)
        return out.getvalue()

    @property
    def pool(self) -> ThreadPoolExecutor:
        """The one thread pygame renders previews on (the layout editor's previews share it)."""
        return self._pool

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
