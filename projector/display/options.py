"""Display options: the ``projector display`` flags, and the dataclass code builds directly.

``projector display`` parses flags into ``DisplayOptions``; ``projector demo``
and tests build ``DisplayOptions`` in code (a ready ``state``, an ``on_frame``
hook). Both end in ``run_display``.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from media.dossier import DEMO_DIR
from projector.core.calibration import OutputSpec, parse_outputs, single_output
from projector.core.cues import SCENE_NAME
from projector.core.model import ValidationError, parse_lang
from projector.core.state import ShowState
from projector.display.frame_info import FrameInfo
from projector.display.link import websocket_url
from projector.display.media_cache import default_cache_dir
from projector.display.output.mode import OutputMode

log = logging.getLogger(__name__)

TOKEN_ENV = "PROJECTOR_DISPLAY_TOKEN"
DEFAULT_HEADLESS_SIZE = (1920, 1080)
MAX_SIDE = 16384


@dataclass
class DisplayOptions:
    """Everything a display needs; every field has a default that works on a venue laptop."""

    #: ``ws://host:port/ws`` or ``http://host:port`` (``/ws`` is derived). None: no server.
    #: The first of ``servers``: pictures and the QR code's form come from it.
    server: str | None = None
    #: Every server the link may use, in order (``--server a,b``): it fails over between them.
    servers: tuple[str, ...] = ()
    token: str = ""
    name: str = field(default_factory=socket.gethostname)
    #: Which monitor gets the full-screen window (0 = primary).
    monitor: int = 0
    #: Full screen (the kiosk), a window, or headless (SDL's dummy driver, the clock advancing
    #: 1/60 s per frame): chosen once, here.
    mode: OutputMode = OutputMode.FULLSCREEN
    #: Window or render size; None = the monitor's size (1920x1080 headless).
    size: tuple[int, int] | None = None
    #: Pin one scene instead of the rotation.
    scene: str | None = None
    scene_params: Mapping[str, Any] = field(default_factory=dict)
    #: Stop after this many frames (None: run until stopped).
    frames: int | None = None
    #: Headless only: write ``out/frame-00001.png`` ...
    out: Path | None = None
    fps: int = 60
    offline_mark: bool = True
    #: Folder of case dossiers (``<media>/<case-id>/...``); default: the demo cases.
    media: Path | None = DEMO_DIR
    #: Seconds each scene of the rotation stays on screen.
    rotation: float = 12.0
    #: The rotation's scenes, in order (``--cycle``); empty: totals, portrait, messages.
    cycle: tuple[str, ...] = ()
    transition: str = "crossfade"
    fade: float = 1.0
    #: Start from this state (no server needed): for demos, tests and screenshots.
    state: ShowState | None = None
    #: Headless with a server: wait this long for the first snapshot before frame 1.
    wait_for_snapshot: float = 10.0
    #: Headless: pace frames at ``fps`` in real time instead of rendering flat out.
    realtime: bool = False
    #: Called after every presented frame; return True to stop the display.
    on_frame: Callable[[FrameInfo], bool | None] | None = None
    status_interval: float = 5.0
    backoff: tuple[float, float] = (0.5, 30.0)
    #: The display's languages, most wanted first (``--languages tr,en``): a case's story and
    #: ask are shown in the first one its dossier has, else in its default language.
    languages: tuple[str, ...] = ()
    #: The display's locale (``--locale tr-TR``, ``PROJECTOR_LOCALE``): its words, numbers and
    #: country names. An operator's per-display setting on the server wins; None: the campaign's.
    locale: str | None = None
    #: Where pictures from the server and the last show are kept (``--cache DIR``). None: the
    #: default ``~/.cache/projector/<name>`` for a display with a server that is not headless;
    #: headless displays (tests, renders) cache only when given a folder.
    cache: Path | None = None
    #: Bound of the picture cache, in bytes.
    cache_bytes: int = 2 * 1024 * 1024 * 1024
    #: Projection mapping (issue 6): the output stage's path ("auto", "software", "opengl"), and
    #: the outputs (``--outputs``; None: one output, ``main``, of the window's size).
    output_path: str = "auto"
    outputs: tuple[OutputSpec, ...] | None = None
    #: Whether a video cue that asks for sound (``audio = true``) is heard here; False
    #: (``--no-audio``): never a sound, whatever the show says (a venue where nothing may be heard).
    audio: bool = True

    def cache_dir(self) -> Path | None:
        if self.cache is not None:
            return self.cache
        if self.server and self.mode.on_screen and self.state is None:
            return default_cache_dir(self.name)
        return None

    def output_specs(self, size: tuple[int, int]) -> tuple[OutputSpec, ...]:
        """The outputs to open: those given, or ``main`` of ``size`` (the window's) on ``monitor``."""
        return self.outputs if self.outputs else single_output(size, self.monitor)

    def render_size(self) -> tuple[int, int] | None:
        return (
            self.size
            if self.size is not None
            else (DEFAULT_HEADLESS_SIZE if self.mode is OutputMode.HEADLESS else None)
        )


def parse_size(text: str) -> tuple[int, int]:
    try:
        w_text, h_text = text.lower().replace("\u00d7", "x").split("x")
        w, h = int(w_text), int(h_text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1920x1080, got {text!r}") from None
    if not (16 <= w <= MAX_SIDE and 16 <= h <= MAX_SIDE):
        raise argparse.ArgumentTypeError(f"size {w}x{h} is out of range (16..{MAX_SIDE} per side)")
    return w, h


def parse_languages(text: str) -> tuple[str, ...]:
    """``tr,en`` -> ``("tr", "en")``, each a language tag (``pt-BR``), duplicates dropped."""
    tags: list[str] = []
    for part in text.split(","):
        if not part.strip():
            continue
        try:
            tag = parse_lang(part.strip(), "languages")
        except ValidationError as exc:
            raise argparse.ArgumentTypeError(exc.message) from None
        if tag not in tags:
            tags.append(tag)
    return tuple(tags)


def parse_cycle(text: str) -> tuple[str, ...]:
    """``totals,portrait,qr`` -> ``("totals", "portrait", "qr")``; each must be a scene name."""
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    if not names:
        raise argparse.ArgumentTypeError("--cycle needs at least one scene name")
    for name in names:
        if not SCENE_NAME.match(name):
            raise argparse.ArgumentTypeError(
                f"{name!r} is not a scene name (lower-case letters, digits, - _)"
            )
    return names


def _bounded_int(lo: int, hi: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value} is out of range ({lo}..{hi})")
        return value

    return parse


def _outputs(text: str) -> tuple[OutputSpec, ...]:
    try:
        return parse_outputs(text)
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(f"{exc.field}: {exc.message}") from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not math.isfinite(value) or not 1.0 <= value <= 86400.0:
        raise argparse.ArgumentTypeError(f"{text} seconds is out of range (1..86400)")
    return value


def add_display_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``projector display`` flags (``projector demo`` may reuse some of them)."""
    parser.add_argument(
        "--server",
        help="server URL: ws://host:port/ws or http://host:port; several, comma separated, to fail over"
        " between nodes (a DNS name with several addresses fails over too)",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get(TOKEN_ENV, ""),
        help=f"display token (default: ${TOKEN_ENV})",
    )
    parser.add_argument("--name", default=socket.gethostname(), help="display name (default: host name)")
    parser.add_argument("--monitor", type=_bounded_int(0, 15), default=0, help="monitor for full screen")
    parser.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    parser.add_argument("--size", type=parse_size, help="WxH, e.g. 1920x1080")
    parser.add_argument("--scene", help="pin one scene instead of the rotation")
    parser.add_argument("--headless", action="store_true", help="render with no screen (to PNG with --out)")
    parser.add_argument("--frames", type=_bounded_int(1, 10_000_000), help="stop after N frames")
    parser.add_argument("--out", type=Path, help="headless: write DIR/frame-00001.png ...")
    parser.add_argument("--fps", type=_bounded_int(1, 240), default=60)
    parser.add_argument("--no-offline-mark", action="store_true", help="no corner mark while offline")
    parser.add_argument("--media", type=Path, help="folder of case dossiers (default: the demo cases)")
    parser.add_argument("--rotation", type=_seconds, default=12.0, help="seconds per scene (default 12)")
    parser.add_argument(
        "--cycle",
        type=parse_cycle,
        default=(),
        help="the rotation's scenes in order, e.g. totals,portrait,messages,qr (default: the first three)",
    )
    parser.add_argument(
        "--languages",
        type=parse_languages,
        default=(),
        help="languages to show case stories in, most wanted first, e.g. tr,en",
    )
    parser.add_argument(
        "--locale",
        default=os.environ.get("PROJECTOR_LOCALE") or None,
        help="the display's locale, e.g. tr-TR, fr, ar (default: $PROJECTOR_LOCALE, else the campaign's"
        " language; an operator's setting from the panel wins); an unknown one falls back to English",
    )
    parser.add_argument(
        "--cache", type=Path, help="folder for pictures and the last show (default ~/.cache/projector/NAME)"
    )
    parser.add_argument(
        "--cache-size", type=_bounded_int(16, 1_000_000), default=2048, help="picture cache bound in MB"
    )
    parser.add_argument(
        "--output-path",
        choices=("auto", "software", "opengl"),
        default="auto",
        help="projection-mapping output stage: auto (OpenGL on a real GPU), software or opengl",
    )
    parser.add_argument(
        "--outputs",
        type=_outputs,
        help="several outputs, a window each: name@monitor:x,y,WxH;... (slices of the canvas)",
    )
    parser.add_argument(
        "--no-audio",
        action="store_true",
        default=os.environ.get("PROJECTOR_NO_AUDIO", "") not in ("", "0"),
        help="never play sound, even for a video cue with audio = true (default: $PROJECTOR_NO_AUDIO)",
    )


def options_from_args(ns: argparse.Namespace) -> DisplayOptions:
    """Build options from parsed flags; raises ``ValueError`` with a message for the user."""
    if ns.headless and ns.frames is None:
        raise ValueError("--headless needs --frames N")
    if ns.out is not None and not ns.headless:
        raise ValueError("--out only works with --headless")
    servers = tuple(s.strip() for s in (ns.server or "").split(",") if s.strip())
    for server in servers:
        websocket_url(server)  # raises ValueError naming the bad address
    opts = DisplayOptions(
        server=servers[0] if servers else None,
        servers=servers,
        token=ns.token or "",
        name=ns.name,
        monitor=ns.monitor,
        mode=OutputMode.from_flags(headless=ns.headless, windowed=ns.windowed),
        size=ns.size,
        scene=ns.scene,
        frames=ns.frames,
        out=ns.out,
        fps=ns.fps,
        offline_mark=not ns.no_offline_mark,
        rotation=ns.rotation,
        cycle=ns.cycle,
        languages=ns.languages,
        locale=ns.locale,
        cache=ns.cache,
        cache_bytes=ns.cache_size * 1024 * 1024,
        output_path=ns.output_path,
        outputs=ns.outputs,
        audio=not ns.no_audio,
    )
    if ns.media is not None:
        opts.media = ns.media
    return opts
