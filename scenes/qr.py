"""A call to action: a big title, a subtitle, and a QR code a passer-by can scan.

The code is made once in ``enter()`` with segno (pure Python): black modules
on white with the standard quiet zone of four modules, scaled up by a whole
number so every module stays a crisp square (nearest neighbour, no blur) and
the code covers at least 40% of the screen height. The URL is printed small
under it for those who would rather type.

Parameters: ``url`` (http or https, at most 300 characters; anything else
shows the scene without a code and logs once; without it, the server's own
``/submit`` form, from ``assets.submit_url``),
``title`` (default: the campaign's call to action in the display's language,
else "Send your message of solidarity" from the display's catalog),
``subtitle`` (default "Scan to send your message" when there is a code).
In a right-to-left locale the code sits on the left and the words, flush
right, on the right.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import pygame

from projector.core.model import campaign_text
from projector.core.state import ShowState
from projector.display.layout import Shape, frame_for, stack
from projector.display.look import HOUSE, Look, look_of
from projector.display.scene import BLACK, WHITE, param_str, register
from projector.i18n.localizer import N_

try:
    import segno
except ImportError:  # pragma: no cover - a missing dependency shows the scene without a code
    segno = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from projector.display.assets import Assets

log = logging.getLogger(__name__)

QUIET_ZONE = 4  # modules of white around the code, as ISO/IEC 18004 asks
MAX_URL = 300
DEFAULT_TITLE = N_("Send your message of solidarity")
DEFAULT_SUBTITLE = N_("Scan to send your message")
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
    #: The house look until the first entry (a scene is always entered before it draws).
    look: Look = HOUSE

    def enter(self, state: ShowState, assets: Assets, params: Mapping[str, Any]) -> None:
        # The campaign's look, taken on entry: a kit changed in the panel shows from the next entry.
        self.look = look_of(state.campaign.brand, assets.faces_for(state.campaign.brand))
        self.w, self.h = assets.size
        t = self.t = assets.locale
        self.rtl = t.rtl
        frame = self.frame = frame_for(assets.size, assets.safe_area)
        a = frame.area
        tall = frame.shape is Shape.PORTRAIT
        u = a.width / 100 if tall else frame.u
        raw = params.get("url")
        if raw is None and assets.submit_url is not None:
            raw = assets.submit_url  # the server's own message form: what the demo and most shows want
        self.url = valid_url(raw)
        if raw is not None and self.url is None:
            _log_once("qr: parameter url=%r is not an http(s) URL of at most 300 characters", raw)
        elif raw is None:
            _log_once(
                "qr: no url parameter and no server to point at; %s", "showing the scene without a code"
            )
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
        self.url_pos = (0, 0)
        call = campaign_text(state.campaign, assets.languages).call_to_action.strip()
        title = param_str(params, "title", 200) or call or t.gettext(DEFAULT_TITLE)
        subtitle = param_str(params, "subtitle", 300)
        if subtitle is None:
            subtitle = t.gettext(DEFAULT_SUBTITLE) if self.matrix is not None else ""
        gap = int(4 * u)
        if tall:
            side = min(int(0.86 * a.width), int(0.42 * a.height))
            self._make_code(assets, side, u)
            code_h = self.code_rect.height + (
                self.url_text.get_height() + int(1.5 * u) if self.url_text else 0
            )
            room = a.height - code_h - 2 * gap
            self._words(assets, title, subtitle, (a.width, room), u, "center")
            tops = stack([self.title.get_height(), code_h, *([self.subtitle.get_height()] if self.subtitle else [])],
                         a.top, a.height, gap, int(10 * u))  # fmt: skip
            self.title_pos = (a.centerx - self.title.get_width() // 2, tops[0])
            self._place_code(a.centerx - self.code_rect.width // 2, tops[1], u)
            if self.subtitle is not None:
                self.subtitle_pos = (a.centerx - self.subtitle.get_width() // 2, tops[2])
            return
        side = min(int(0.8 * a.height), int(0.45 * a.width))
        self._make_code(assets, side, u)
        if self.code is not None:
            column = pygame.Rect(a.left, a.top, a.width - self.code_rect.width - int(5 * u), a.height)
        else:
            column = a
        align = ("right" if self.rtl else "left") if self.code is not None else "center"
        # A banner's column is long and low: the title may be set larger there.
        self._words(
            assets, title, subtitle, column.size, u * (1.45 if frame.shape is Shape.BANNER else 1.0), align
        )
        block_h = self.title.get_height() + (gap + self.subtitle.get_height() if self.subtitle else 0)
        top = column.top + (column.height - block_h) // 2
        if self.code is not None:
            code_h = self.code_rect.height + (
                self.url_text.get_height() + int(1.5 * u) if self.url_text else 0
            )
            self._place_code(a.right - self.code_rect.width, a.top + (a.height - code_h) // 2, u)
            # Laid out left to right; draw() reflects it for a right-to-left locale.
            self.title_pos = (column.left, top)
            sub_x = column.left
        else:
            self.title_pos = (column.centerx - self.title.get_width() // 2, top)
            sub_x = column.centerx - (self.subtitle.get_width() // 2 if self.subtitle else 0)
        self.subtitle_pos = (sub_x, top + self.title.get_height() + gap)

    def _make_code(self, assets: Assets, side: int, u: float) -> None:
        """The code as large as ``side`` allows in whole pixels per module, and its URL under it."""
        url = self.url
        if self.matrix is None or url is None:
            return
        modules = len(self.matrix) + 2 * QUIET_ZONE
        self.scale = max(1, side // modules)
        self.code = assets.memo(("qr", url, self.scale), lambda: qr_surface(self.matrix or [], self.scale))
        self.code_rect = self.code.get_rect()
        url_px = assets.text.fit_size(url, "body", self.code.get_width(), max(8, int(3 * u)), 6)
        self.url_text = assets.text.render(url, "body", url_px, self.look.dim, self.look.background)

    def _place_code(self, left: int, top: int, u: float) -> None:
        self.code_rect.topleft = (left, top)
        if self.url_text is not None:
            self.url_pos = (
                self.code_rect.centerx - self.url_text.get_width() // 2,
                self.code_rect.bottom + int(1.5 * u),
            )

    def _words(
        self, assets: Assets, title: str, subtitle: str, box: tuple[int, int], u: float, align: str
    ) -> None:
        """The title as large as it fits whole in ``box`` (with room for the subtitle), then the subtitle."""
        text = assets.text
        width, height = max(1, box[0]), max(1, box[1])
        sub_h = int(height * 0.3) if subtitle.strip() else 0
        fitted = assets.fit.fit(
            title, self.look.display, width, height - sub_h, int(11 * u), max(8, int(3 * u))
        )
        self.title = text.render_lines(
            list(fitted.lines),
            self.look.display,
            fitted.size,
            self.look.accent,
            align=align,
            bg=self.look.background,
        )
        self.subtitle: pygame.Surface | None = None
        if subtitle.strip():
            sub = assets.fit.fit(subtitle, "strong", width, max(1, sub_h), int(5 * u), max(8, int(2.5 * u)))
            self.subtitle = text.render_lines(
                list(sub.lines), "strong", sub.size, self.look.text, align=align, bg=self.look.background
            )

    def update(self, state: ShowState, dt: float) -> None:
        pass  # a still picture: everything was prepared in enter()

    def _at(self, pos: tuple[int, int], width: int) -> tuple[int, int]:
        """``pos`` reflected across the frame in a right-to-left locale: the code on the left."""
        if not self.rtl:
            return pos
        a = self.frame.area
        return (a.left + a.right - pos[0] - width, pos[1])

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(self.look.background)
        surface.blit(self.title, self._at(self.title_pos, self.title.get_width()))
        if self.subtitle is not None:
            surface.blit(self.subtitle, self._at(self.subtitle_pos, self.subtitle.get_width()))
        if self.code is not None:
            surface.blit(self.code, self._at(self.code_rect.topleft, self.code_rect.width))
            if self.url_text is not None:
                surface.blit(self.url_text, self._at(self.url_pos, self.url_text.get_width()))
