"""A display's outputs: a window (or an offscreen target) per projector, each with its own mapping.

The director draws the scene once, on a *canvas*; each output takes its slice
of the canvas and puts it through its own output stage (corner-pin, mesh,
masks, blend: ``output_stage`` or ``output_gl``) onto its own window. One
output called ``main`` showing the whole canvas is the usual case, and the
cheap one: while its mapping is the identity and no pattern is up, the scene
is drawn straight onto the window, exactly as before there was a stage.

Two paths, chosen once at start (``--output-path``): software (OpenCV, any
number of outputs) and OpenGL (moderngl, one output in this version). A
mapping from the server is checked against the output's size before it
replaces the last good one; a stage that fails while drawing falls back to
the identity for that output and says so in the next status, so a fault in
the stage can never black a projector.

The keyboard calibration (Ctrl+Shift+M) lives here too: the crosshatch
through the current mapping, the selected corner marked, arrows to move it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pygame

from projector.core.calibration import (
    BIG_NUDGE,
    NUDGE,
    KeyCalibration,
    OutputSpec,
    canvas_size,
    single_output,
)
from projector.core.mapping import (
    OutputMapping,
    identity_mapping,
    is_identity,
    mapping_to_wire,
    parse_mapping,
)
from projector.core.model import ValidationError
from projector.core.protocol import MappingFrame, OutputInfo
from projector.display.output.mode import OutputMode
from projector.display.output.output_gl import (
    GLOutput,
    OutputChoice,
    decide_output,
    request_gl_attributes,
)
from projector.display.output.output_stage import SoftwareOutput
from projector.display.output.patterns import draw_pattern
from projector.display.text.fonts import FontBook
from projector.display.text.renderer import TextRenderer

if TYPE_CHECKING:
    from projector.display.options import DisplayOptions

log = logging.getLogger(__name__)

#: Where a display with a cache folder keeps its outputs' last mappings (for a start with no server).
MAPPINGS_FILE = "mappings.json"
Stage = SoftwareOutput | GLOutput

YELLOW = (255, 221, 0)
RED = (255, 70, 70)
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)


@dataclass(eq=False)
class Output:
    """One projector: its spec, its stage, and where its pixels go."""

    spec: OutputSpec
    stage: Stage
    #: Software path: the surface the projector shows (a window's, or offscreen when headless).
    target: pygame.Surface | None
    #: Several outputs: each has its own window (the single output uses the display surface).
    window: Any = None
    pattern: str | None = None
    #: The pattern (or calibration card) as last drawn, and what it was drawn from.
    card: pygame.Surface | None = None
    card_key: tuple[object, ...] = ()
    #: The scene it showed last (the OpenGL window draws it again for a picture: after a
    #: buffer swap the back buffer holds nothing that can be read).
    scene: pygame.Surface | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def size(self) -> tuple[int, int]:
        """The projector's pixels (the slice is scaled to them when a monitor refused its size)."""
        return self.stage.size

    @property
    def mapping(self) -> OutputMapping:
        return self.stage.mapping


@dataclass
class OutputSet:
    """Every output of the display, the canvas the scene is drawn on, and the calibration keys."""

    outputs: list[Output]
    choice: OutputChoice
    mode: OutputMode
    canvas_size: tuple[int, int]
    #: A separate canvas, made the first time the scene cannot be drawn straight on a window.
    _canvas: pygame.Surface | None = None
    text: TextRenderer | None = None
    calibration: KeyCalibration | None = None
    #: Keyboard calibrations to send to the server (kept until the link takes them).
    outbox: list[MappingFrame] = field(default_factory=list)
    #: Faults to report in the next status (a refused mapping, a stage that failed).
    errors: list[str] = field(default_factory=list)
    #: Where the last mappings are kept between runs (``--cache``); None: nowhere.
    keep_dir: Path | None = None
    _drawn: pygame.Surface | None = None

    # --- opening ----------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        specs: Sequence[OutputSpec],
        *,
        preference: str = "auto",
        mode: OutputMode = OutputMode.FULLSCREEN,
        title: str = "projector",
        keep_dir: Path | None = None,
    ) -> OutputSet:
        """Open a window per output (none when headless) and a stage per output.

        ``pygame.display.init()`` must have run. Forcing ``opengl`` where no
        context can be made raises ``OutputUnavailable``.
        """
        specs = tuple(specs)
        choice = _choose(preference, mode, outputs=len(specs))
        log.info("output stage: %s (%s)", choice.path, choice.reason)
        outputs: list[Output]
        windowed = mode is OutputMode.WINDOW
        if mode is OutputMode.HEADLESS:
            pygame.display.set_mode((1, 1))
            outputs = [_offscreen_output(spec, choice.path) for spec in specs]
        elif len(specs) == 1 and choice.path == "opengl":
            try:
                outputs = [_gl_window_output(specs[0], windowed, title)]
            except Exception as exc:
                log.error("the OpenGL output could not start (%s); using the software output", exc)
                choice = OutputChoice("software", f"OpenGL failed to start: {exc}")
                outputs = [_display_output(specs[0], windowed, title)]
        elif len(specs) == 1:
            outputs = [_display_output(specs[0], windowed, title)]
        else:
            outputs = [_window_output(spec, windowed, title) for spec in specs]
        found = cls(outputs, choice, mode, canvas_size(specs), keep_dir=keep_dir)
        found._load_kept()
        return found

    def close(self) -> None:
        for out in self.outputs:
            if isinstance(out.stage, GLOutput):
                out.stage.release()
            if out.window is not None:
                out.window.destroy()

    # --- what the protocol needs --------------------------------------------------------------

    @property
    def path(self) -> str:
        return self.choice.path

    def infos(self) -> tuple[OutputInfo, ...]:
        return tuple(OutputInfo(o.name, o.size) for o in self.outputs)

    def find(self, name: str | None) -> Output | None:
        if name is None:
            return self.outputs[0]
        return next((o for o in self.outputs if o.name == name), None)

    def take_error(self) -> str | None:
        if not self.errors:
            return None
        text = "; ".join(self.errors)[:2000]
        self.errors.clear()
        return text

    # --- mappings and patterns ----------------------------------------------------------------

    def set_mapping(self, name: str, mapping: OutputMapping | None, *, keep: bool = True) -> str | None:
        """Use ``mapping`` (None: the identity) on output ``name``; the reason it was refused, or None.

        A refused mapping leaves the output's last good mapping in place.
        """
        out = self.find(name)
        if out is None:
            return self._refuse(f"mapping for unknown output {name!r} ignored")
        new = identity_mapping(out.name, out.size) if mapping is None else mapping
        if new.name != out.name:
            new = _renamed(new, out.name)
        try:
            out.stage.set_mapping(new)
        except ValidationError as exc:
            return self._refuse(
                f"mapping for output {out.name!r} refused, last good one kept: {exc.field}: {exc.message}"
            )
        except Exception as exc:  # a GL error while uploading: keep the last good mapping too
            log.exception("output %r could not take the new mapping", out.name)
            return self._refuse(f"mapping for output {out.name!r} failed, last good one kept: {exc}")
        log.info("output %r: %s", out.name, "identity" if is_identity(new) else "new mapping")
        if self.calibration is not None and self.calibration.output == out.name:
            self.calibration = KeyCalibration(
                out.name, new, new, self.calibration.corner, self.calibration.pattern
            )
        if keep:
            self._keep()
        return None

    def set_pattern(self, name: str, pattern: str | None) -> str | None:
        out = self.find(name)
        if out is None:
            return self._refuse(f"pattern for unknown output {name!r} ignored")
        out.pattern = pattern
        return None

    def _refuse(self, message: str) -> str:
        log.warning("%s", message)
        self.errors.append(message)
        return message

    # --- a frame ------------------------------------------------------------------------------

    def surface(self) -> pygame.Surface:
        """The surface the director draws this frame's scene on."""
        if self._direct():
            target = self.outputs[0].target
            assert target is not None
            return target
        if self._canvas is None or self._canvas.get_size() != self.canvas_size:
            self._canvas = pygame.Surface(self.canvas_size).convert()
        return self._canvas

    def _direct(self) -> bool:
        """One software output, nothing to warp or show instead: draw the scene straight on it."""
        if len(self.outputs) != 1 or self.calibration is not None:
            return False
        out = self.outputs[0]
        return (
            isinstance(out.stage, SoftwareOutput)
            and out.target is not None
            and out.pattern is None
            and is_identity(out.mapping)
            and out.size == self.canvas_size
            and out.target.get_size() == out.size
        )

    def render(self, drawn: pygame.Surface) -> None:
        """Each output's slice of ``drawn`` (or its pattern) through its stage, onto its target."""
        self._drawn = drawn
        for out in self.outputs:
            if drawn is out.target:
                continue  # drawn straight on it
            scene = out.scene = self._scene_for(out, drawn)
            try:
                self._render_one(out, scene)
            except Exception as exc:
                log.exception(
                    "the output stage failed on output %r; showing it without its mapping", out.name
                )
                self.errors.append(f"output {out.name!r}: the output stage failed ({exc}); mapping dropped")
                out.stage.set_mapping(identity_mapping(out.name, out.size))
                self._render_one(out, scene)

    def _render_one(self, out: Output, scene: pygame.Surface) -> None:
        if isinstance(out.stage, GLOutput):
            out.stage.render(scene)
        else:
            assert out.target is not None
            out.stage.render(scene, out.target)

    def _scene_for(self, out: Output, drawn: pygame.Surface) -> pygame.Surface:
        calibrating = self.calibration is not None and self.calibration.output == out.name
        if calibrating or out.pattern is not None:
            return self._card(out, calibrating)
        x, y, w, h = out.spec.slice
        if (x, y) == (0, 0) and drawn.get_size() == (w, h):
            return drawn
        return drawn.subsurface((x, y, w, h))

    def present(self) -> None:
        """Show what ``render`` drew: flip each window (nothing to do headless)."""
        if not self.mode.on_screen:
            return
        for out in self.outputs:
            if out.window is not None:
                out.window.flip()
        if any(out.window is None for out in self.outputs):
            pygame.display.flip()

    def picture(self, name: str | None = None) -> pygame.Surface | None:
        """What output ``name`` (None: the first) sends to its projector now, warped."""
        out = self.find(name)
        if out is None:
            return None
        if isinstance(out.stage, GLOutput):
            if self.mode.on_screen and out.scene is not None:
                out.stage.render(out.scene)  # into the back buffer, redrawn before the next swap
            return out.stage.snapshot()
        return out.target

    def save(self, folder: Path, index: int) -> None:
        """Headless: each output's frame as a PNG (``frame-00001.png``; with several, ``frame-00001-left.png``)."""
        for out in self.outputs:
            picture = self.picture(out.name)
            if picture is None:
                continue
            suffix = "" if len(self.outputs) == 1 else f"-{out.name}"
            pygame.image.save(picture, str(folder / f"frame-{index:05d}{suffix}.png"))

    # --- patterns and the calibration card ------------------------------------------------------

    def _card(self, out: Output, calibrating: bool) -> pygame.Surface:
        cal = self.calibration if calibrating else None
        pattern = cal.pattern if cal is not None else out.pattern
        assert pattern is not None
        key: tuple[object, ...] = (pattern, out.mapping, cal)
        if out.card is None or out.card_key != key:
            w, h = out.size
            card = out.card if out.card is not None else pygame.Surface((w, h)).convert()
            text = self._text()
            draw_pattern(pattern, card, out.mapping, text=text)
            if cal is not None:
                _draw_calibration(card, cal, text)
            out.card, out.card_key = card, key
        return out.card

    def _text(self) -> TextRenderer:
        if self.text is None:
            self.text = TextRenderer(FontBook())
        return self.text

    # --- the keyboard calibration ----------------------------------------------------------------

    def handle_key(self, event: Any) -> bool:
        """A key press; True when the calibration took it (the app ignores it then)."""
        mods = getattr(event, "mod", 0)
        ctrl_shift = bool(mods & pygame.KMOD_CTRL and mods & pygame.KMOD_SHIFT)
        if event.key == pygame.K_m and ctrl_shift:
            if self.calibration is None:
                self._start_calibration(self._focused(event))
            else:
                self._cancel_calibration()
            return True
        cal = self.calibration
        if cal is None or (event.key == pygame.K_q and ctrl_shift):
            return False
        step = BIG_NUDGE if mods & pygame.KMOD_SHIFT else NUDGE
        moves = {
            pygame.K_LEFT: (-step, 0.0),
            pygame.K_RIGHT: (step, 0.0),
            pygame.K_UP: (0.0, -step),
            pygame.K_DOWN: (0.0, step),
        }
        if event.key in moves:
            moved = cal.nudge(*moves[event.key])
            if moved.mapping != cal.mapping:
                self._stage_of(cal.output).set_mapping(moved.mapping)
            self.calibration = moved
        elif event.key == pygame.K_TAB:
            self.calibration = cal.next_corner(-1 if mods & pygame.KMOD_SHIFT else 1)
        elif event.key == pygame.K_p:
            self.calibration = cal.next_pattern()
        elif event.key == pygame.K_o:
            self._next_output(cal)
        elif event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
            self._save_calibration(cal)
        elif event.key == pygame.K_ESCAPE:
            self._cancel_calibration()
        return True

    def _focused(self, event: Any) -> Output:
        window = getattr(event, "window", None)
        for out in self.outputs:
            if window is not None and out.window is window:
                return out
        return self.outputs[0]

    def _stage_of(self, name: str) -> Stage:
        out = self.find(name)
        assert out is not None
        return out.stage

    def _start_calibration(self, out: Output) -> None:
        log.info(
            "keyboard calibration of output %r: Tab corner, arrows move, Enter keeps, Esc cancels", out.name
        )
        self.calibration = KeyCalibration.start(out.name, out.mapping)

    def _next_output(self, cal: KeyCalibration) -> None:
        if cal.changed:
            self.calibration = _with_message(cal, "Enter keeps the changes, Esc drops them; then O")
            return
        names = [o.name for o in self.outputs]
        following = self.outputs[(names.index(cal.output) + 1) % len(names)]
        self._start_calibration(following)

    def _save_calibration(self, cal: KeyCalibration) -> None:
        self.calibration = None
        if not cal.changed:
            return
        log.info("keyboard calibration of output %r kept", cal.output)
        self.outbox.append(MappingFrame(cal.output, cal.mapping))
        self._keep()

    def _cancel_calibration(self) -> None:
        cal = self.calibration
        self.calibration = None
        if cal is not None and cal.changed:
            log.info("keyboard calibration of output %r cancelled", cal.output)
            self._stage_of(cal.output).set_mapping(cal.before)

    # --- the mappings kept between runs ----------------------------------------------------------

    def _keep(self) -> None:
        if self.keep_dir is None:
            return
        data = {o.name: None if is_identity(o.mapping) else mapping_to_wire(o.mapping) for o in self.outputs}
        path = self.keep_dir / MAPPINGS_FILE
        try:
            self.keep_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("could not keep the mappings in %s: %s", path, exc)

    def _load_kept(self) -> None:
        if self.keep_dir is None:
            return
        path = self.keep_dir / MAPPINGS_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            log.warning("ignoring the kept mappings in %s: %s", path, exc)
            return
        if not isinstance(data, dict):
            return
        for name, wire in data.items():
            out = self.find(str(name))
            if out is None or wire is None:
                continue
            try:
                self.set_mapping(out.name, parse_mapping(wire, expected_size=out.size), keep=False)
            except ValidationError as exc:
                self._refuse(
                    f"the kept mapping of output {out.name!r} is ignored: {exc.field}: {exc.message}"
                )


# --- choosing a path, opening windows --------------------------------------------------------------


def open_outputs(opts: DisplayOptions) -> OutputSet:
    """The outputs ``opts`` ask for: ``--outputs``, or one ``main`` output as the display always had
    (full screen on ``--monitor`` at its size or ``--size``; a 1280x720 window; headless 1920x1080)."""
    specs = opts.outputs
    if not specs:
        if opts.mode is OutputMode.HEADLESS:
            size = opts.render_size() or (1920, 1080)
            monitor = 0
        else:
            desktops = pygame.display.get_desktop_sizes() or [(1920, 1080)]
            monitor = opts.monitor
            if not 0 <= monitor < len(desktops):
                log.error("there is no monitor %d (found %d); using monitor 0", monitor, len(desktops))
                monitor = 0
            size = opts.size or ((1280, 720) if opts.mode is OutputMode.WINDOW else desktops[monitor])
        specs = single_output(size, monitor)
    return OutputSet.open(
        specs,
        preference=opts.output_path,
        mode=opts.mode,
        title=f"projector \u2014 {opts.name}",
        keep_dir=opts.cache_dir(),
    )


def _choose(preference: str, mode: OutputMode, *, outputs: int) -> OutputChoice:
    if preference == "auto" and mode is OutputMode.HEADLESS:
        return OutputChoice(
            "software", "headless: the software output (--output-path opengl tests the GL one)"
        )
    if outputs > 1:
        if preference == "opengl":
            log.error("the OpenGL output drives one output in this version; using the software output")
        return OutputChoice("software", f"{outputs} outputs: the software output (OpenGL drives one)")
    return decide_output(preference)


def _offscreen_output(spec: OutputSpec, path: str) -> Output:
    mapping = identity_mapping(spec.name, spec.size)
    if path == "opengl":
        return Output(spec, GLOutput.offscreen(spec.size, mapping), None)
    return Output(spec, SoftwareOutput(spec.size, mapping), pygame.Surface(spec.size).convert())


def _display_output(spec: OutputSpec, windowed: bool, title: str) -> Output:
    """The one output: the display surface, full screen on its monitor (or a window)."""
    pygame.display.set_caption(title)
    size = spec.size
    if windowed:
        window = pygame.display.set_mode(size, 0, display=spec.monitor)
    else:
        try:
            window = pygame.display.set_mode(size, pygame.FULLSCREEN | pygame.NOFRAME, display=spec.monitor)
        except pygame.error:
            log.exception("full screen failed; using a borderless window")
            window = pygame.display.set_mode(size, pygame.NOFRAME, display=spec.monitor)
        pygame.mouse.set_visible(False)
    return Output(
        spec, SoftwareOutput(window.get_size(), identity_mapping(spec.name, window.get_size())), window
    )


def _gl_window_output(spec: OutputSpec, windowed: bool, title: str) -> Output:
    pygame.display.set_caption(title)
    request_gl_attributes()
    flags = pygame.OPENGL | pygame.DOUBLEBUF | (0 if windowed else pygame.FULLSCREEN | pygame.NOFRAME)
    pygame.display.set_mode(spec.size, flags, display=spec.monitor)
    if not windowed:
        pygame.mouse.set_visible(False)
    return Output(spec, GLOutput.for_window(identity_mapping(spec.name, spec.size)), None)


def _window_output(spec: OutputSpec, windowed: bool, title: str) -> Output:
    """One of several outputs: its own window (pygame-ce's multi-window API) on its monitor."""
    if not pygame.display.get_surface():
        pygame.display.set_mode((1, 1), pygame.HIDDEN)  # convert() needs a display surface
    desktops = pygame.display.get_desktop_sizes() or [spec.size]
    monitor = spec.monitor if spec.monitor < len(desktops) else 0
    if monitor != spec.monitor:
        log.error("output %r: there is no monitor %d; using monitor 0", spec.name, spec.monitor)
    # SDL_WINDOWPOS_CENTERED_DISPLAY(monitor): full screen then takes that monitor.
    window = pygame.Window(
        f"{title} \u2014 {spec.name}",
        spec.size,
        position=pygame.WINDOWPOS_CENTERED | monitor,
        borderless=not windowed,
    )
    if not windowed:
        try:
            window.set_fullscreen(False)
        except pygame.error:
            log.exception("output %r: full screen failed; using a borderless window", spec.name)
        pygame.mouse.set_visible(False)
    surface = window.get_surface()
    return Output(
        spec,
        SoftwareOutput(surface.get_size(), identity_mapping(spec.name, surface.get_size())),
        surface,
        window,
    )


def _renamed(m: OutputMapping, name: str) -> OutputMapping:
    return replace(m, name=name)


def _with_message(cal: KeyCalibration, message: str) -> KeyCalibration:
    return replace(cal, message=message)


# --- the calibration card ------------------------------------------------------------------------------


def _draw_calibration(card: pygame.Surface, cal: KeyCalibration, text: TextRenderer) -> None:
    """Over the pattern, in scene space (so it lands where the corner is): the selected corner, the keys."""
    w, h = card.get_size()
    corner = ((0, 0), (w, 0), (w, h), (0, h))[cal.corner]
    radius = max(12, h // 7)
    pygame.draw.circle(card, YELLOW, corner, radius)
    pygame.draw.circle(card, BLACK, corner, radius // 2, max(2, radius // 10))
    size = max(10, h // 36)
    x, y = cal.mapping.corners[cal.corner]
    lines = [
        (f"CALIBRATING {cal.output}: {cal.corner_name.upper()} corner at ({x:g}, {y:g})", YELLOW),
        ("Tab next corner · arrows 1 px · Shift+arrows 10 px · P pattern · O next output", WHITE),
        ("Enter keep · Esc cancel", WHITE),
    ]
    if cal.message:
        lines.append((cal.message, RED))
    rendered = [text.render(words, "strong", size, colour) for words, colour in lines]
    box_w = min(w - 2, max(r.get_width() for r in rendered) + size * 2)
    box_h = sum(r.get_height() for r in rendered) + size
    top = int(h * 0.70) - box_h // 2
    card.fill(BLACK, ((w - box_w) // 2, top, box_w, box_h))
    pygame.draw.rect(card, YELLOW, ((w - box_w) // 2, top, box_w, box_h), max(1, h // 540))
    y = top + size // 2
    for r in rendered:
        card.blit(r, ((w - r.get_width()) // 2, y))
        y += r.get_height()
