"""A call to action: a big title, a subtitle, and a QR code a passer-by can scan.

The code is made once in ``enter()`` with segno (pure Python): black modules
on white with the standard quiet zone of four modules, scaled up by a whole
number so every module stays a crisp square (nearest neighbour, no blur) and
the code covers at least 40% of the screen height. The URL is printed small
under it for those who would rather type.

Parameters: ``url`` (required for a code: http or https, at most 300
characters; anything else shows the scene without a code and logs once),
``title`` (default "Send your message of solidarity"), ``subtitle`` (default
"Scan to send your message" when there is a code).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import pygame

from projector.core.state import ShowState
from scenes.base import BLACK, DIM_WHITE, WHITE, YELLOW, param_str, register

try:
    import segno
except ImportError:  # pragma: no cover - a missing dependency shows the scene without a code
    segno = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from projector.display.assets import Assets

log = logging.getLogger(__name__)

QUIET_ZONE = 4  # modules of white around the code, as ISO/IEC 18004 asks
MAX_URL = 300
DEFAULT_TITLE = "Send your message of solidarity"
DEFAULT_SUBTITLE = "Scan to send your message"
_logged: set[str] = set()


def _log_once(message: str, value: object) -> None:
    key = f"{message}|{value!r}"[:400]
    if key not in _logged:
        _logged.add(key)
        log.error(message, value)


def valid_url(value: object) -> str | None:
    """``value`` if it is a short, plain http(s) URL with a host; otherwise None."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL:
        return None
    if any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in value):
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return value


def qr_matrix(url: str) -> list[list[bool]]:
    """The code's modules, row by row (True = dark), without the quiet zone."""
    if segno is None:
        raise RuntimeError("segno is not installed")
    code = segno.make_qr(url, error="m")
    return [[bool(v) for v in row] for row in code.matrix]


def qr_surface(matrix: list[list[bool]], scale: int) -> pygame.Surface:
    """Black modules on white with the quiet zone, each module ``scale`` px square."""
    n = len(matrix) + 2 * QUIET_ZONE
    small = pygame.Surface((n, n))
    small.fill(WHITE)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                small.set_at((c + QUIET_ZONE, r + QUIET_ZONE), BLACK)
    big = pygame.transform.scale(small, (n * scale, n * scale))  # nearest neighbour: crisp modules
    if pygame.display.get_surface() is not None:
        big = big.convert()
    return big


@register
class QrScene:
    name: ClassVar[str] = "qr"

    def enter(self, state: ShowState, assets: Assets, params: Mapping[str, Any]) -> None:
        text = assets.text
        self.w, self.h = w, h = assets.size
        u = h / 100
        margin = int(6 * u)
        raw = params.get("url")
        self.url = valid_url(raw)
        if raw is not None and self.url is None:
            _log_once("qr: parameter url=%r is not an http(s) URL of at most 300 characters", raw)
        elif raw is None:
            _log_once("qr: no url parameter; %s", "showing the scene without a code")
        self.matrix: list[list[bool]] | None = None
        self.code: pygame.Surface | None = None
        self.code_rect = pygame.Rect(0, 0, 0, 0)
        self.scale = 0
        if self.url is not None:
            try:
                self.matrix = qr_matrix(self.url)
            except Exception:  # a code that cannot be made must not take the screen down
                _log_once("qr: could not make a code for %r", self.url)
        self.url_text: pygame.Surface | None = None
        url = self.url
        if self.matrix is not None and url is not None:
            modules = len(self.matrix) + 2 * QUIET_ZONE
            side = min(int(0.66 * h), int(0.45 * w))
            self.scale = max(1, side // modules)
            self.code = assets.memo(
                ("qr", url, self.scale), lambda: qr_surface(self.matrix or [], self.scale)
            )
            url_px = text.fit_size(url, "body", self.code.get_width(), max(8, int(3 * u)), 6)
            self.url_text = text.render(url, "body", url_px, DIM_WHITE, BLACK)
            gap = int(1.5 * u)
            block_h = self.code.get_height() + gap + self.url_text.get_height()
            top = (h - block_h) // 2
            self.code_rect = self.code.get_rect(topright=(w - margin, top))
            self.url_pos = (
                self.code_rect.centerx - self.url_text.get_width() // 2,
                self.code_rect.bottom + gap,
            )
            column = pygame.Rect(margin, 0, self.code_rect.left - int(5 * u) - margin, h)
        else:
            column = pygame.Rect(margin, 0, w - 2 * margin, h)
        title = param_str(params, "title", 200) or DEFAULT_TITLE
        default_sub = DEFAULT_SUBTITLE if self.code is not None else ""
        subtitle = param_str(params, "subtitle", 300)
        subtitle = default_sub if subtitle is None else subtitle
        width = max(1, column.width)
        for size, max_lines in ((11.0, 3), (9.0, 3), (7.5, 4), (6.0, 5)):
            title_px = max(8, int(size * u))
            lines = text.wrap(title, "display", title_px, width)
            if len(lines) <= max_lines:
                break
        lines = text.wrap(title, "display", title_px, width, max_lines)
        align = "left" if self.code is not None else "center"
        self.title = text.render_lines(lines, "display", title_px, YELLOW, align=align, bg=BLACK)
        sub_px = max(8, int(5 * u))
        self.subtitle: pygame.Surface | None = None
        if subtitle.strip():
            sub_lines = text.wrap(subtitle, "strong", sub_px, width, 3)
            self.subtitle = text.render_lines(sub_lines, "strong", sub_px, WHITE, align=align, bg=BLACK)
        gap = int(4 * u)
        block_h = self.title.get_height() + (gap + self.subtitle.get_height() if self.subtitle else 0)
        top = (h - block_h) // 2
        if self.code is not None:
            self.title_pos = (column.left, top)
            sub_x = column.left
        else:
            self.title_pos = (column.centerx - self.title.get_width() // 2, top)
            sub_x = column.centerx - (self.subtitle.get_width() // 2 if self.subtitle else 0)
        self.subtitle_pos = (sub_x, top + self.title.get_height() + gap)

    def update(self, state: ShowState, dt: float) -> None:
        pass  # a still picture: everything was prepared in enter()

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(BLACK)
        surface.blit(self.title, self.title_pos)
        if self.subtitle is not None:
            surface.blit(self.subtitle, self.subtitle_pos)
        if self.code is not None:
            surface.blit(self.code, self.code_rect)
            if self.url_text is not None:
                surface.blit(self.url_text, self.url_pos)
