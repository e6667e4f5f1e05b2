"""What scenes are given: fonts, rendered text, portraits and facts about the display.

Scenes must never block a frame or touch the disk, so portraits are decoded
and treated by ``media.pipeline.PortraitLoader`` on worker threads; the main
thread only converts a finished image to a Surface (a memory copy) and keeps
it. ``portrait()`` therefore answers None until the picture is ready, and a
scene lays itself out without it meanwhile.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Container, Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pygame

from media.dossier import load_dossiers
from media.pipeline import PortraitLoader, Treatment
from projector.core.model import MEDIA_HASH_PATTERN, Brand, Case, uploaded_font_hash
from projector.core.safe_area import NO_SAFE_AREA, SafeArea
from projector.display.memory import portrait_bytes, text_pixels
from projector.display.pictures import Pictures
from projector.display.text.fitting import TextFitter
from projector.display.text.fonts import FontBook
from projector.display.text.renderer import TextRenderer
from projector.i18n import Localizer

log = logging.getLogger(__name__)

#: Stands for "the picture is still downloading" where a path is expected.
_DOWNLOADING = Path("<downloading>")
#: Portraits that failed or have no picture are remembered (as None) up to this many keys.
MAX_PORTRAIT_KEYS = 256


@dataclass
class LinkInfo:
    """The connection as the ident scene and the offline mark show it."""

    server: str | None = None
    connected: bool = False
    reason: str = ""
    since: float = field(default_factory=time.monotonic)
    ever_connected: bool = False


class Assets:
    """Shared, cached resources for scenes; owned and polled by the main thread."""

    def __init__(
        self,
        size: tuple[int, int],
        *,
        name: str = "display",
        server: str | None = None,
        media_dir: Path | None = None,
        fonts: FontBook | None = None,
        loader: Any = None,
        fps: int = 60,
        media_cache: Any = None,
        languages: tuple[str, ...] = (),
        locale: str | None = None,
    ) -> None:
        self.size = (int(size[0]), int(size[1]))
        self.name = name
        self.fps = fps
        self.fonts = fonts or FontBook()
        #: Rendered text and scene memos, bounded by pixels from the display's size (``memory``).
        self.text = TextRenderer(self.fonts, text_pixels(self.size))
        #: What the treated portraits kept here may weigh, in bytes (``memory``).
        self.portrait_budget = portrait_bytes(self.size)
        #: Words fitted to boxes (size, wrap, balance), cached: what scenes lay text out with.
        self.fit = TextFitter(self.text)
        self.link = LinkInfo(server=server)
        self.media_dir = Path(media_dir) if media_dir is not None else None
        #: Pictures by content hash, downloaded from the server (``display.media_cache``).
        self.media_cache = media_cache
        #: Pictures shown whole (the brand's logo, a layout's images), fitted to their box.
        self.pictures = Pictures(media_cache)
        #: The languages asked for with ``--languages``, most wanted first (empty: the locale's).
        self.asked_languages = tuple(languages)
        #: The display's locale, most decisive first: the operator's per-display setting (from
        #: the server, kept in its store), then ``--locale``/``PROJECTOR_LOCALE``, then the
        #: campaign's language (the director keeps that one current).
        self.locale_setting: str | None = None
        self.locale_flag: str | None = locale
        self.campaign_lang: str | None = None
        self._localizers: dict[tuple[str | None, ...], Localizer] = {}
        #: Where words may go (margins, keep-out boxes): set by the operator, per display and output.
        self.safe_area: SafeArea = NO_SAFE_AREA
        #: Where a supporter sends a message (the qr scene's default): the server's public
        #: ``/submit`` when it has said so, else the display's own server's.
        self.submit_url: str | None = None
        #: The server's time at this frame (None: no server clock) and the server time the cue on
        #: program started at (None: the rotation, not a cue, decides): the director sets both, so
        #: a video starts on the cue's frame on every display of a group, and a late one seeks.
        self.server_now: float | None = None
        self.cue_at: float | None = None
        #: The portraits' duotone (dark, light): the brand kit's background and accent, None for
        #: the house look (the pipeline's own). The director sets it on each scene entry, as the locale.
        self.tone: tuple[tuple[int, int, int], tuple[int, int, int]] | None = None
        #: May this display make a sound (a video cue with ``audio = true``)? The display app sets it
        #: from ``--no-audio``; off here, so that a server's previews and renders are never heard.
        self.audio = False
        self._cases: Mapping[str, Case] = {}
        self._dossiers: dict[str, Any] = {}
        self._loader = loader
        self._loader_failed = False
        self._surfaces: OrderedDict[str, pygame.Surface | None] = OrderedDict()
        self._portrait_bytes = 0
        self._requested: set[str] = set()
        #: Keys whose picture is still on its way into the media cache.
        self._downloading: set[str] = set()
        self._warned: set[str] = set()
        if self.media_dir is not None:
            self._load_dossiers()

    # --- facts ------------------------------------------------------------------------

    @property
    def locale(self) -> Localizer:
        """The locale scenes draw in now: words, numbers, country names, direction.

        Scenes take it on entry and keep it, so a change (from the panel, or a new
        campaign language) shows from the next scene entry; the app re-enters the
        scenes at once when the operator changes it.
        """
        key = (self.locale_setting, self.locale_flag, self.campaign_lang)
        found = self._localizers.get(key)
        if found is None:
            found = self._localizers[key] = Localizer.for_tag(*key)
        return found

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages for a dossier's story and the campaign's words, most wanted first:
        ``--languages`` if given, else the locale's (``tr-TR`` then ``tr``)."""
        if self.asked_languages:
            return self.asked_languages
        tag = self.locale.tag
        return (tag,) if tag == self.locale.language else (tag, self.locale.language)

    @property
    def unit(self) -> float:
        """One hundredth of the height: the layout unit, so 1080p and 4K look alike."""
        return self.size[1] / 100

    def memo(self, key: tuple[Hashable, ...], make: Callable[[], pygame.Surface]) -> pygame.Surface:
        """A surface a scene prepared once (a card, a panel), kept for its next entry.

        Shares the text cache's pixel budget, so scenes cannot grow memory
        without bound on a display that runs for days.
        """
        return self.text.cache.memo(("scene", *key), make)

    def has_memo(self, key: tuple[Hashable, ...]) -> bool:
        return self.text.cache.get(("scene", *key)) is not None

    def set_cases(self, cases: Mapping[str, Case]) -> None:
        """The director hands over the current cases so portraits can be resolved."""
        self._cases = cases

    def media_path(self, media_hash: object) -> Path | None:
        """The checked local file of an uploaded video or picture, or None (not here yet, or no cache)."""
        if not isinstance(media_hash, str) or not MEDIA_HASH_PATTERN.match(media_hash):
            return None
        if self.media_cache is None:
            self._warn_once("nocache:media", "a cue plays uploaded media but this display has no media cache")
            return None
        path: Path | None = self.media_cache.path(media_hash)
        return path

    def faces_for(self, brand: Brand) -> Container[str]:
        """The faces this display can draw, the kit's uploaded headline font among them once its
        file is in the media cache (then it is added to the font book; see ``look.look_of``)."""
        font_hash = uploaded_font_hash(brand.font)
        if font_hash is not None and brand.font not in self.fonts.faces:
            path = self.media_cache.path(font_hash) if self.media_cache is not None else None
            if path is not None:
                self.fonts.add_upload(brand.font, Path(path))
        return self.fonts.faces

    def picture(self, media_hash: str, size: tuple[int, int]) -> pygame.Surface | Exception | None:
        """An uploaded picture in natural colour covering exactly ``size`` (a slideshow's slide).

        None until it is ready (asked again on later calls, which start the work once the
        file is in the media cache); the error when it cannot be made. The surface is
        handed over, not kept here: at 4K a slide is 40 MB, and a slideshow keeps only the
        one on screen and the next.
        """
        key = f"picture:{media_hash}@{int(size[0])}x{int(size[1])}"
        loader = self._get_loader()
        if loader is None:
            return RuntimeError("the media pipeline is not available")
        if key not in self._requested:
            path = self.media_path(media_hash)
            if path is None:
                return None
            self._requested.add(key)
            try:
                # As photographed: no duotone, no vignette (a slideshow is the campaign's own photos).
                loader.request(key, path, size, treatment=Treatment("natural", vignette=0.0), focus=None)
            except Exception as exc:
                return exc
            return None
        result = loader.get(key)
        if result is None:
            return None
        self._requested.discard(key)
        loader.forget(key)
        if isinstance(result, Exception):
            return result
        image = result.convert("RGB")
        surf = pygame.image.frombytes(image.tobytes(), image.size, "RGB")
        if pygame.display.get_init() and pygame.display.get_surface() is not None:
            surf = surf.convert()
        return surf

    # --- portraits --------------------------------------------------------------------

    def portrait(self, case_id: str, size: tuple[int, int]) -> pygame.Surface | None:
        """The treated portrait of a case at exactly ``size``, or None (not ready, or none).

        The first call starts the work; later calls return the Surface once the
        worker has finished. A picture still downloading into the media cache
        is asked for again on later calls. A failed or missing portrait is
        logged once and stays None: the scene shows the case with text only.
        """
        try:
            width, height = int(size[0]), int(size[1])
        except (TypeError, ValueError, IndexError):
            return None
        if not (1 <= width <= 8192 and 1 <= height <= 8192):
            self._warn_once(f"size:{case_id}", "portrait size %r for %s is out of range", size, case_id)
            return None
        key = self._key(case_id, (width, height))
        if key in self._surfaces:
            self._surfaces.move_to_end(key)
            return self._surfaces[key]
        if key not in self._requested:
            self._request(case_id, key, (width, height))
            return None
        return self._collect(case_id, key, (width, height))

    def _key(self, case_id: str, size: tuple[int, int]) -> str:
        """Per case, picture, focus and size: a new portrait or focus from the panel is a new key."""
        case = self._cases.get(case_id)
        ref = f"{case.portrait}:{case.focus}" if case is not None else ""
        tone = "" if self.tone is None else "".join("#{:02x}{:02x}{:02x}".format(*c) for c in self.tone)
        return f"{case_id}:{ref}{tone}@{int(size[0])}x{int(size[1])}"

    def portrait_pending(self, case_id: str, size: tuple[int, int]) -> bool:
        """True while a portrait is still being downloaded or prepared (for warm-ups and tests)."""
        key = self._key(case_id, size)
        return key not in self._surfaces and (key in self._requested or key in self._downloading)

    def _request(self, case_id: str, key: str, size: tuple[int, int]) -> None:
        path, focus = self._portrait_source(case_id)
        if path is _DOWNLOADING:
            self._downloading.add(key)  # not requested yet: asked again next frame
            return
        self._downloading.discard(key)
        self._requested.add(key)
        if path is None:
            self._store(key, None)
            return
        loader = self._get_loader()
        if loader is None:
            self._store(key, None)
            return
        try:
            if self.tone is None:
                loader.request(key, path, size, focus=focus)
            else:
                loader.request(
                    key, path, size, Treatment(shadow=self.tone[0], highlight=self.tone[1]), focus=focus
                )
        except Exception:
            log.exception("portrait request for %s failed", case_id)
            self._store(key, None)

    def _collect(self, case_id: str, key: str, size: tuple[int, int]) -> pygame.Surface | None:
        loader = self._get_loader()
        result = loader.get(key) if loader is not None else None
        if result is None:
            return None
        # Kept here from now on (or not at all): the loader's copy would double it, for good.
        loader.forget(key)
        if isinstance(result, Exception):
            self._warn_once(f"fail:{case_id}", "portrait of %s could not be prepared: %s", case_id, result)
            self._store(key, None)
            return None
        try:
            image = result if result.mode == "RGBA" else result.convert("RGBA")
            # A view of the image's bytes, not a copy of them: convert() below makes the one copy kept.
            surf = pygame.image.frombuffer(image.tobytes(), image.size, "RGBA")
            if surf.get_size() != size:
                surf = pygame.transform.smoothscale(surf, size)
            if pygame.display.get_init() and pygame.display.get_surface() is not None:
                # A fully opaque portrait (duotone, natural) blits far faster without alpha.
                opaque = image.getchannel("A").getextrema() == (255, 255)
                surf = surf.convert() if opaque else surf.convert_alpha()
        except Exception:
            log.exception("portrait of %s could not be converted", case_id)
            surf = None
        self._store(key, surf)
        return surf

    def _store(self, key: str, surf: pygame.Surface | None) -> None:
        """Keep a portrait (or its absence), least recently used first out past the byte budget.

        An evicted portrait is asked for again, from the file, if a scene wants it back.
        """
        self._portrait_bytes -= _weight(self._surfaces.pop(key, None))
        self._surfaces[key] = surf
        self._portrait_bytes += _weight(surf)
        while len(self._surfaces) > 1 and (
            self._portrait_bytes > self.portrait_budget or len(self._surfaces) > MAX_PORTRAIT_KEYS
        ):
            old, evicted = self._surfaces.popitem(last=False)
            self._portrait_bytes -= _weight(evicted)
            self._requested.discard(old)

    @property
    def portrait_bytes(self) -> int:
        """What the portraits kept here weigh now (at most :attr:`portrait_budget`, or one portrait)."""
        return self._portrait_bytes

    def _portrait_source(self, case_id: str) -> tuple[Path | None, tuple[float, float] | None]:
        """Where a case's portrait file is: its dossier, else ``<media>/<case id>/<portrait>``.

        The file name comes from the server; it must stay inside the media
        folder, however it is spelt.
        """
        case = self._cases.get(case_id)
        if case is not None and case.portrait and MEDIA_HASH_PATTERN.match(case.portrait):
            return self._cached_media(case_id, case.portrait, case.focus)
        dossier = self._dossiers.get(case_id)
        if dossier is not None and dossier.portrait_path is not None:
            return Path(dossier.portrait_path), dossier.focus
        if case is None or not case.portrait or self.media_dir is None:
            self._warn_once(f"none:{case_id}", "case %s has no portrait; showing text only", case_id)
            return None, None
        base = (self.media_dir / case_id).resolve()
        candidate = (base / case.portrait).resolve()
        if not candidate.is_relative_to(base):
            self._warn_once(
                f"path:{case_id}", "portrait %r of %s leaves the media folder", case.portrait, case_id
            )
            return None, None
        return candidate, None

    def _cached_media(
        self, case_id: str, media_hash: str, focus: tuple[float, float] | None
    ) -> tuple[Path | None, tuple[float, float] | None]:
        """An uploaded picture: from the media cache once it is there (and checked)."""
        if self.media_cache is None:
            self._warn_once(
                f"nocache:{case_id}", "case %s has an uploaded portrait but no media cache", case_id
            )
            return None, None
        path = self.media_cache.path(media_hash)
        if path is None:
            return _DOWNLOADING, None
        return path, focus

    def _get_loader(self) -> Any:
        if self._loader is None and not self._loader_failed:
            try:
                self._loader = PortraitLoader(workers=2)
            except Exception:
                self._loader_failed = True
                log.exception("the media pipeline is not available; portraits are off")
        return self._loader

    def _load_dossiers(self) -> None:
        assert self.media_dir is not None
        if not self.media_dir.is_dir():
            log.warning("media folder %s does not exist; portraits come from nowhere", self.media_dir)
            return
        try:
            self._dossiers = {d.case.id: d for d in load_dossiers(self.media_dir)}
        except Exception:
            log.exception("could not load the case dossiers in %s", self.media_dir)

    def _warn_once(self, key: str, message: str, *args: object) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(message, *args)

    def close(self) -> None:
        self._surfaces.clear()
        self._portrait_bytes = 0
        self.pictures.close()
        if self._loader is not None:
            try:
                self._loader.close()
            except Exception:
                log.exception("closing the portrait loader failed")


def _weight(surf: pygame.Surface | None) -> int:
    """The bytes a surface's pixels take."""
    return 0 if surf is None else surf.get_pitch() * surf.get_height()
