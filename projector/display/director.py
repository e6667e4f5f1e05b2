"""Scene lifecycle: which scene is on screen, how the next one arrives, and what happens on failure.

Rules the director keeps, because a public screen depends on them:

- No black gap. A scene is entered and drawn once offscreen *before* it is
  shown; a cut swaps in a scene that has already proven it can draw, and a
  crossfade blends two full frames.
- A scene that raises (in enter, update or draw) is replaced on the same
  frame by the fallback card; the traceback goes to the log, a one-line
  summary to the next Status frame, nothing to the screen.
- Unknown scene names and absurd parameters are logged and ignored.
- Before the first snapshot the ident card shows, never a blank frame.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

import pygame

from projector.core.fleet import cue_for, targets
from projector.core.rundown import ROTATION_ORDER, Position, Step, active_case_ids, next_step
from projector.core.state import ShowState
from projector.display.blackout_scene import BlackoutScene
from projector.display.fallback_scene import FallbackScene
from projector.display.layout import NoRoom
from projector.display.look import portrait_tone
from projector.display.scene import BLACK, YELLOW, Scene, UnknownScene, clamp_dt, ease, get_scene, set_fade

if TYPE_CHECKING:
    from projector.display.assets import Assets

log = logging.getLogger(__name__)

TRANSITIONS = ("crossfade", "cut", "wipe")
MAX_FADE_SECONDS = 10.0
PREROLL_SECONDS = 0.25
#: The longest a scene may hold the rotation past its turn (the record moment is 10 s).
MAX_HOLD_SECONDS = 130.0


class _LastResort:
    """Drawn only if even the fallback scene fails: rectangles cannot raise."""

    name: ClassVar[str] = "fallback"

    def enter(self, state: ShowState, assets: Assets, params: Mapping[str, Any]) -> None:
        pass

    def update(self, state: ShowState, dt: float) -> None:
        pass

    def draw(self, surface: pygame.Surface) -> None:
        w, h = surface.get_size()
        surface.fill(BLACK)
        surface.fill(YELLOW, (w // 16, h // 3, max(2, h // 80), h // 3))


@dataclass
class _Live:
    scene: Scene
    step: Step


def seconds(value: object, default: float, lo: float, hi: float, what: str) -> float:
    """A duration that cannot break the show: finite and within [lo, hi], else logged and fixed."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        log.error("%s=%r is not a number of seconds; using %s", what, value, default)
        return default
    if not lo <= value <= hi:
        fixed = min(max(float(value), lo), hi)
        log.error("%s=%r is out of range [%s, %s]; using %s", what, value, lo, hi, fixed)
        return fixed
    return float(value)


class Director:
    """Holds the current scene (and the incoming one during a transition) and cycles the rotation."""

    def __init__(
        self,
        assets: Assets,
        *,
        rotation: float = 12.0,
        pinned: str | None = None,
        pinned_params: Mapping[str, Any] | None = None,
        transition: str = "crossfade",
        fade: float = 1.0,
        lookup: Callable[[object], type[Scene]] = get_scene,
        cycle: tuple[str, ...] = ROTATION_ORDER,
    ) -> None:
        self.assets = assets
        #: The rotation's scenes in order (``portrait`` takes each active case in turn).
        self.cycle = tuple(cycle) or ROTATION_ORDER
        self.rotation = seconds(rotation, 12.0, 1.0, 24 * 3600.0, "rotation")
        self.fade = seconds(fade, 1.0, 0.0, MAX_FADE_SECONDS, "fade")
        if transition not in TRANSITIONS:
            log.error("unknown transition %r; using crossfade", transition)
            transition = "crossfade"
        self.transition = transition
        self._lookup = lookup
        self.pinned = self._checked_step(pinned, pinned_params) if pinned is not None else None
        self._state = ShowState()
        self._synced = False
        self._errors: deque[str] = deque(maxlen=8)
        self._logged: set[str] = set()
        self._buffer: pygame.Surface | None = None
        self._incoming: _Live | None = None
        self._fade_t = 0.0
        self._fade_d = 0.0
        self._age = 0.0
        #: Where the rotation stands (``core.rundown`` decides the next step from it).
        self._position = Position()
        self._failed: Step | None = None
        self._ready: _Live | None = None
        self._failures = 0
        #: What the show last asked for: (blackout, program, program_at, show id).
        self._cue_key: tuple[object, ...] | None = None
        self._on_cue = False
        self._fade_kind = "crossfade"
        #: A band over the scene (a cue's overlay): kept across cues that share it.
        self._overlay: _Live | None = None
        #: The fleet (issue 8): who this display is (the server says so: ``you``), the
        #: server's time at this frame (set by the app each frame; None: take cues at
        #: once) and how much earlier than ``at`` to switch (a slow projector's latency).
        self.identity: tuple[str, tuple[str, ...]] = (assets.name, ())
        self.server_now: float | None = None
        self.latency = 0.0
        self._preview_key: tuple[object, ...] | None = None
        #: The preview cue as entered ahead (it is ``_ready`` until GO takes it or something replaces it).
        self._preview_live: _Live | None = None
        #: "identify": the ident card over everything for a few seconds.
        self._ident: _Live | None = None
        self._ident_left = 0.0
        self._current = self._enter(Step("ident"))

    # --- what is on screen ------------------------------------------------------------

    @property
    def scene(self) -> Scene:
        return self._current.scene

    @property
    def scene_name(self) -> str:
        live = self._ident if self._ident is not None else self._current  # identify shows over all
        return str(getattr(live.scene, "name", "?"))

    @property
    def step(self) -> Step:
        return self._current.step

    @property
    def transitioning(self) -> bool:
        return self._incoming is not None

    @property
    def preview_scene(self) -> Scene | None:
        """The preview cue's scene as entered ahead of GO (None: none entered, or GO took it)."""
        ready = self._ready
        return ready.scene if ready is not None and ready is self._preview_live else None

    def draw_preview(self, target: pygame.Surface) -> bool:
        """Draw the entered preview cue on ``target`` (offscreen), as GO will first show it.

        False (``target`` untouched or half drawn) when there is none or it fails to draw;
        a failure is the scene's to report when it goes on air, not the panel picture's.
        """
        scene = self.preview_scene
        if scene is None:
            return False
        try:
            scene.draw(target)
        except Exception as exc:
            log.warning("the preview cue's picture could not be drawn: %s", exc)
            return False
        return True

    def take_error(self) -> str | None:
        """The latest scene error since the last call (for the Status frame), then forget them."""
        error = self._errors[-1] if self._errors else None
        self._errors.clear()
        return error

    # --- commands -----------------------------------------------------------------------

    def cut(self, name: object, params: object = None) -> None:
        """Show a scene now. It is entered and drawn offscreen first, so there is no gap."""
        self._finish_transition()
        self._current = self._enter(self._checked_step(name, params))
        self._age = 0.0

    def crossfade(self, name: object, params: object = None, duration: object = None) -> None:
        """Blend to a scene over ``duration`` seconds (a running fade completes at once)."""
        d = self.fade if duration is None else seconds(duration, self.fade, 0.0, MAX_FADE_SECONDS, "duration")
        if d <= 0:
            self.cut(name, params)
            return
        self._finish_transition()
        # No proof draw here: the incoming scene's first draw goes to the offscreen
        # buffer anyway, at alpha 0, and a failure there swaps in the fallback on
        # the same frame. Skipping it saves a full 4K draw on the busiest frame.
        self._incoming = self._enter(self._checked_step(name, params), proof=False)
        self._fade_t, self._fade_d = 0.0, d
        self._fade_kind = "crossfade"

    def _take(self, step: Step, transition: str, duration: float) -> None:
        """Put an operator's cue on screen with the cue's own transition.

        The preview cue was entered ahead of time (``_ready``), so GO only swaps.
        """
        ready, self._ready = self._ready, None
        duration = seconds(duration, self.fade, 0.0, MAX_FADE_SECONDS, "duration")
        if transition not in TRANSITIONS:
            log.error("unknown transition %r; using a cut", transition)
            transition = "cut"
        live = ready if ready is not None and ready.step.same_as(step) else None
        self._finish_transition()
        if transition == "cut" or duration <= 0:
            self._current = live or self._enter(step)
            self._age = 0.0
        else:
            self._incoming = live or self._enter(step, proof=False)
            self._fade_t, self._fade_d, self._fade_kind = 0.0, duration, transition

    def relayout(self) -> None:
        """Lay the scenes out afresh (the safe area changed): the same steps, entered again now.

        Scenes lay themselves out on entry; a new safe area must move words off
        a window at once, not at the next rotation.
        """
        self._finish_transition()
        self._ready = None
        self._logged = {key for key in self._logged if "has no room" not in key}
        step = self._failed if self._current.step.name == "fallback" and self._failed is not None else None
        self._current = self._enter(step or self._current.step)
        if self._overlay is not None:
            step, self._overlay = self._overlay.step, None
            self._set_overlay(step)

    def identify(self, seconds: float) -> None:
        """Show the ident card (this display's name, big) for ``seconds``, then go back."""
        self._ident = self._enter(Step("ident"))
        self._ident_left = seconds

    def _mine(self) -> tuple[int | None, float | None]:
        """The cue this display shows (the newest one aimed at it) and when it starts."""
        state = self._state
        if state.show is None:
            return None, None
        name, groups = self.identity
        entry = cue_for(state.targeted, name, groups)
        if entry is None or not 0 <= entry[1] < len(state.show.cues):
            return None, None
        return entry[1], entry[2]

    def _due(self, at: float | None) -> bool:
        """Whether a cue for server time ``at`` goes on this frame (``latency`` early)."""
        return at is None or self.server_now is None or self.server_now + self.latency >= at

    def _follow_show(self) -> bool:
        """Follow the program cue and blackout; True while the show (not the rotation) decides.

        Blackout beats everything and is instant. The preview cue is entered
        offscreen as soon as it is known, so the next GO has no gap and no stutter.
        Only cues aimed at this display count (``ShowState.targeted``); a cue for
        a later server time waits, entered offscreen, for the frame it is due on.
        """
        state = self._state
        show_id = state.show.id if state.show is not None else None
        program, at = self._mine()
        key = (state.blackout, program, at, show_id)
        cue = state.show.cues[program] if state.show is not None and program is not None else None
        if key != self._cue_key and not state.blackout and cue is not None and not self._due(at):
            step = self._checked_step(cue.scene, cue.params)  # due later: have it ready
            if not step.same_as(self._current.step) and not (self._ready and self._ready.step.same_as(step)):
                self._ready = self._enter(step)
                self._prefetch(step)
            return self._on_cue
        if key != self._cue_key:
            self._cue_key = key
            # When the cue started, in server time: a video scene plays from it (and seeks to it).
            self.assets.cue_at = at if cue is not None and not state.blackout else None
            if state.blackout:
                self._take(Step(BlackoutScene.name), "cut", 0.0)
                self._set_overlay(None)  # blackout means black: no band either
            elif cue is not None:
                self._take(self._checked_step(cue.scene, cue.params), cue.transition.value, cue.duration)
                self._set_overlay(
                    self._checked_step(cue.overlay, cue.overlay_params) if cue.overlay else None
                )
            elif self._on_cue:
                self._go(self._next_step(advance=True))  # show unloaded or reset: back to the rotation
                self._set_overlay(None)
            self._on_cue = state.blackout or cue is not None
            self._preview_key = None
        preview_key = (key, state.preview)
        if preview_key != self._preview_key:
            self._preview_key = preview_key
            upcoming = state.preview_cue
            name, groups = self.identity
            if (
                upcoming is not None
                and state.show is not None
                and state.preview is not None
                and not state.blackout
                and targets(state.show.target_of(state.preview), name, groups)
            ):
                step = self._checked_step(upcoming.scene, upcoming.params)
                if not step.same_as(self._current.step):
                    self._ready = self._preview_live = self._enter(step)
                    self._prefetch(step)
        return self._on_cue

    def _go(self, step: Step) -> None:
        ready, self._ready = self._ready, None
        if ready is not None and ready.step.same_as(step):
            # Entered (and proof-drawn) a few frames ago: this frame only swaps.
            self._finish_transition()
            if self.transition == "cut" or self.fade <= 0:
                self._current, self._age = ready, 0.0
            else:
                self._incoming, self._fade_t, self._fade_d = ready, 0.0, self.fade
                self._fade_kind = "crossfade"
        elif self.transition == "cut" or self.fade <= 0:
            self.cut(step.name, step.params)
        else:
            self.crossfade(step.name, step.params)
        self._prefetch(self._next_step(advance=False))

    def _preroll(self) -> None:
        """Enter the next rotation step shortly before it is due.

        Entering a scene (layout, first text renders) is the most expensive
        thing a scene does; doing it on a frame of its own keeps it off the
        frame that also starts the crossfade.
        """
        if self._ready is not None or self._age < self.rotation - min(PREROLL_SECONDS, self.rotation / 4):
            return
        step = self._next_step(advance=False)
        if not step.same_as(self._current.step):
            self._ready = self._enter(step)

    def _finish_transition(self) -> None:
        if self._incoming is not None:
            self._current, self._incoming = self._incoming, None
            self._age = 0.0

    def _checked_step(self, name: object, params: object) -> Step:
        if params is None:
            params = {}
        if not isinstance(params, Mapping):
            log.error("parameters for scene %r must be a mapping, got %r; ignored", name, params)
            params = {}
        return Step(name if isinstance(name, str) else repr(name), MappingProxyType(dict(params)))

    # --- the frame ----------------------------------------------------------------------

    def update(self, state: ShowState | None, dt: float) -> None:
        dt = clamp_dt(dt)
        self.assets.server_now = self.server_now
        if state is not None:
            self._state = state
            self.assets.set_cases(state.cases)
            if not self._synced:
                self._synced = True
                first = self._next_step(advance=True)
                if self.pinned is None and (state.blackout or self._mine()[0] is not None):
                    self._follow_show()
                elif self._age == 0.0:  # nothing shown yet (a display started with a state): no fade
                    self.cut(first.name, first.params)
                    self._prefetch(self._next_step(advance=False))
                else:
                    self._go(first)
        self._update_live("_current", dt)
        self._update_overlay(dt)
        if self._ident is not None:
            self._ident_left -= dt
            if self._ident_left <= 0:
                self._ident = None
            else:
                self._update_live("_ident", dt)
        if self._incoming is not None:
            self._update_live("_incoming", dt)
            self._fade_t += dt
            if self._fade_t >= self._fade_d:
                self._finish_transition()
            if self._synced and self.pinned is None:
                self._follow_show()  # GO during a transition completes it and takes the new cue
            return
        self._age += dt
        if not self._synced:
            return
        if self.pinned is None and self._follow_show():
            return
        if self._current.step.name != "fallback" and self._age > 60.0:
            self._failures = 0  # it has run for a minute: past failures are forgiven
        if self.pinned is not None and self._failed is not None:
            # A pinned scene that failed is retried, less and less often while it keeps failing.
            if self._age >= self._retry_delay():
                step, self._failed = self._failed, None
                self._go(step)
            return
        self._preroll()
        if self._age >= self.rotation and self._holding():
            return  # the record moment: the rotation waits for it (a GO does not)
        if self._age >= self.rotation:
            step = self._next_step(advance=True)
            if step.same_as(self._current.step):
                self._age = 0.0
            else:
                self._failed = None
                self._go(step)

    def draw(self, surface: pygame.Surface) -> None:
        if self._ident is not None:
            self._draw_live("_ident", surface)
            return
        self._draw_scenes(surface)
        if self._overlay is not None:
            try:
                self._overlay.scene.draw_overlay(surface)  # type: ignore[attr-defined]
            except Exception as exc:
                self._report(self._overlay.step.name, "draw", exc)
                self._overlay = None  # the scene beneath stays; a broken band just goes

    def _draw_scenes(self, surface: pygame.Surface) -> None:
        if self._incoming is None:
            self._draw_live("_current", surface)
            return
        alpha = int(255 * ease(self._fade_t / self._fade_d)) if self._fade_d > 0 else 255
        if alpha >= 255:
            self._draw_live("_incoming", surface)
            return
        buffer = self._offscreen(surface)
        self._draw_live("_current", surface)
        self._draw_live("_incoming", buffer)  # drawn even at alpha 0: its offscreen proof
        if self._fade_kind == "wipe":
            # A left-to-right reveal with a yellow leading edge.
            width = int(surface.get_width() * ease(self._fade_t / self._fade_d))
            if width > 0:
                surface.blit(buffer, (0, 0), pygame.Rect(0, 0, width, surface.get_height()))
                edge = max(2, surface.get_width() // 400)
                surface.fill(YELLOW, pygame.Rect(max(0, width - edge), 0, edge, surface.get_height()))
            return
        if alpha > 0:
            set_fade(buffer, alpha)
            surface.blit(buffer, (0, 0))
            buffer.set_alpha(None)

    # --- rotation -----------------------------------------------------------------------

    def _next_step(self, *, advance: bool) -> Step:
        """The rotation's (or the pinned scene's) next step; ``advance`` takes it, else a look ahead."""
        step, position = next_step(
            self.cycle,
            self._position,
            pinned=self.pinned,
            active_cases=active_case_ids(self._state),
            wall=bool(self._state.wall),
        )
        if advance:
            self._position = position
        return step

    def _holding(self) -> bool:
        """True while the scene on screen asks the rotation to wait (``holding``), for a bounded time.

        A scene that never lets go would freeze the rotation, so the hold ends
        ``MAX_HOLD_SECONDS`` after the rotation was due, whatever the scene says.
        """
        if self._age >= self.rotation + MAX_HOLD_SECONDS:
            return False
        try:
            return bool(getattr(self._current.scene, "holding", False))
        except Exception as exc:
            self._report(self._current.step.name, "holding", exc)
            return False

    def _prefetch(self, step: Step) -> None:
        """Let the coming scene start slow work (portrait decoding) in the background now."""
        try:
            prefetch = getattr(self._lookup(step.name), "prefetch", None)
            if prefetch is not None:
                prefetch(self._state, self.assets, step.params)
        except Exception as exc:
            self._report(step.name, "prefetch", exc)

    def _retry_delay(self) -> float:
        return min(300.0, max(self.rotation, 10.0) * float(2 ** max(0, self._failures - 1)))

    # --- guarded calls into scenes ---------------------------------------------------------

    def _enter(self, step: Step, *, proof: bool = True) -> _Live:
        try:
            cls = self._lookup(step.name)
        except UnknownScene as exc:
            self._report(step.name, "lookup", exc, traceback=False)
            return self._fallback(step)
        phase = "enter"
        # A scene takes the display's locale on entry; the campaign's language is its default.
        self.assets.campaign_lang = self._state.campaign.lang
        # And the brand kit's colours tone the portraits it prepares from now on.
        self.assets.tone = portrait_tone(self._state.campaign.brand)
        try:
            scene = cls()
            scene.enter(self._state, self.assets, step.params)
            phase = "draw"
            if proof:
                scene.draw(self._offscreen())
        except Exception as exc:
            self._report(step.name, phase, exc)
            return self._fallback(step)
        return _Live(scene, step)

    def _fallback(self, failed: Step) -> _Live:
        self._failed = failed if failed.name not in ("fallback", "ident") else None
        self._failures += 1
        self._age = 0.0
        try:
            scene: Scene = FallbackScene()
            scene.enter(self._state, self.assets, {})
            scene.draw(self._offscreen())
        except Exception as exc:
            self._report("fallback", "enter", exc)
            scene = _LastResort()
        return _Live(scene, Step("fallback"))

    def _set_overlay(self, step: Step | None) -> None:
        """Run ``step`` as the overlay (None: none); the same overlay keeps running."""
        if step is None:
            self._overlay = None
            return
        if self._overlay is not None and self._overlay.step.same_as(step):
            return
        try:
            cls = self._lookup(step.name)
            scene = cls()
            if not callable(getattr(scene, "draw_overlay", None)):
                raise UnknownScene(f"scene {step.name!r} cannot be an overlay")
            scene.enter(self._state, self.assets, step.params)
            scene.draw_overlay(self._offscreen())  # type: ignore[attr-defined]
        except Exception as exc:
            self._report(step.name, "overlay", exc, traceback=not isinstance(exc, UnknownScene))
            self._overlay = None
            return
        self._overlay = _Live(scene, step)

    def _update_overlay(self, dt: float) -> None:
        if self._overlay is None:
            return
        try:
            self._overlay.scene.update(self._state, dt)
        except Exception as exc:
            self._report(self._overlay.step.name, "update", exc)
            self._overlay = None

    def _update_live(self, slot: str, dt: float) -> None:
        live: _Live = getattr(self, slot)
        try:
            live.scene.update(self._state, dt)
        except Exception as exc:
            self._report(live.step.name, "update", exc)
            setattr(self, slot, self._fallback(live.step))

    def _draw_live(self, slot: str, target: pygame.Surface) -> None:
        live: _Live = getattr(self, slot)
        try:
            live.scene.draw(target)
            return
        except Exception as exc:
            self._report(live.step.name, "draw", exc)
        replacement = self._fallback(live.step)
        setattr(self, slot, replacement)
        try:
            replacement.scene.draw(target)
        except Exception:
            _LastResort().draw(target)

    def _offscreen(self, like: pygame.Surface | None = None) -> pygame.Surface:
        """The one reusable full-frame buffer (offscreen first draws, the incoming side of a fade)."""
        size = like.get_size() if like is not None else self.assets.size
        if self._buffer is None or self._buffer.get_size() != size:
            buffer = pygame.Surface(size)
            if pygame.display.get_init() and pygame.display.get_surface() is not None:
                buffer = buffer.convert()
            self._buffer = buffer
        return self._buffer

    def _report(self, name: str, phase: str, exc: BaseException, *, traceback: bool = True) -> None:
        if isinstance(exc, NoRoom):
            # Not a fault: the frame or its safe area is too small for this scene. Said once
            # (it stays true until an operator changes the safe area), shown as the fallback.
            summary = f"scene {name!r} has no room: {exc}"[:1000]
            self._errors.append(summary)
            if summary not in self._logged:
                self._logged.add(summary)
                log.warning("%s; showing the fallback card", summary)
            return
        summary = f"scene {name!r} failed in {phase}: {type(exc).__name__}: {exc}"[:1000]
        self._errors.append(summary)
        key = f"{name}:{phase}:{type(exc).__name__}:{exc}"
        if key in self._logged:
            log.error("%s (again)", summary)
            return
        self._logged.add(key)
        if len(self._logged) > 200:
            self._logged.clear()
        if traceback:
            log.error("%s; showing the fallback card", summary, exc_info=exc)
        else:
            log.error("%s; showing the fallback card", summary)
