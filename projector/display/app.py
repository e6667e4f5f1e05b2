"""The display loop: drain the link's queue, update the replica and director, draw, present.

One frame, as DESIGN.md has it: take whatever the link thread queued (a
snapshot, events, link notices), apply it to the replica, ``director.update``,
``director.draw``, then flip the window (or save a PNG when headless). The
main thread owns pygame; nothing in the loop waits on the network or disk.

Kiosk rules: the mouse is hidden, a lone Escape does nothing (a visitor
pressing keys must not end the show); Ctrl+Shift+Q quits, as do SIGTERM and
SIGINT. While offline the last state stays up with a small mark in a corner.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pygame

from projector.core.protocol import (
    PROTOCOL_VERSION,
    Command,
    ErrorFrame,
    EventFrame,
    Health,
    Hello,
    MappingFrame,
    PatternFrame,
    Pong,
    Resync,
    Snapshot,
    Status,
    ThumbnailRequest,
    You,
)
from projector.core.replica import Outcome, Replica
from projector.core.safe_area import NO_SAFE_AREA, Box, SafeArea, combine, within
from projector.core.state import ShowState
from projector.display import health
from projector.display.assets import Assets
from projector.display.audio_out import close_mixer
from projector.display.director import Director
from projector.display.frame_info import FrameInfo
from projector.display.link import ClockSync, Inbound, Link, LinkState, websocket_url
from projector.display.media_cache import MediaCache, needed_media
from projector.display.options import DisplayOptions
from projector.display.output.mode import OutputMode
from projector.display.output.outputs import OutputSet, open_outputs
from projector.display.pacing import FramePacer
from projector.display.stats import FrameStats
from projector.display.text.fonts import system_fonts
from projector.display.thumbnails import Picture, PictureSender, ThumbnailSchedule, ThumbnailWorker, sample
from projector.display.video import start_video

log = logging.getLogger(__name__)

HEADLESS_DT = 1 / 60
CAPABILITIES = ("status", "resync", "ping", "thumbnail", "mapping", "thumbnail_stream")
OFFLINE_GRACE = 2.0  # seconds offline before the mark shows: a quick reconnect shows nothing
RESYNC_RETRY = 3.0
MAX_CONSECUTIVE_FAILURES = 300
MAX_INBOX_PER_FRAME = 5000


class DisplayApp:
    def __init__(self, opts: DisplayOptions) -> None:
        self.opts = opts
        self.inbox: queue.SimpleQueue[Inbound] = queue.SimpleQueue()
        self.replica = Replica()
        self.stats = FrameStats()
        self.link: Link | None = None
        self._stop = threading.Event()
        self._resync_at = -1e9
        self._refused_at = -1e9
        #: Pictures for the operator panel (``thumbnails``): when to take one, and the thread
        #: that encodes and sends them (started with the link).
        self.thumbnails = ThumbnailSchedule()
        self._thumbnail_worker: ThumbnailWorker | None = None
        #: What the last picture showed, in the terms an operator cares about (scene, fade, blackout).
        self._on_air_key: tuple[object, ...] | None = None
        self._preview_key: object = None
        self._preview_surface: pygame.Surface | None = None
        self.frames_drawn = 0
        #: Pictures and the saved show (issue 7): None without a cache folder.
        self.media_cache: MediaCache | None = None
        self._cached_state: ShowState | None = None
        self._from_cache = False
        self._link_answered = False
        #: The fleet (issue 8): who the server says we are, its clock, operators' commands.
        self.you: You | None = None
        self.clock: ClockSync | None = None
        self.director: Director | None = None
        self._reload = False
        self.pacer = FramePacer(opts.fps)
        #: Projection mapping (issue 6): the outputs, their stages and the calibration keys.
        self.outputs: OutputSet | None = None

    def request_stop(self) -> None:
        """Ask the loop to end after the current frame (thread- and signal-safe)."""
        self._stop.set()

    # --- set-up -------------------------------------------------------------------------

    def _open_output(self) -> tuple[pygame.Surface, pygame.Surface]:
        """(the window, the surface scenes draw on): the outputs decide (``projector.display.output.outputs``)."""
        opts = self.opts
        if opts.mode is OutputMode.HEADLESS:
            os.environ["SDL_VIDEODRIVER"] = "dummy"
            pygame.display.init()
        else:
            start_video()  # no screen to show on: NoVideoDevice, before any window opens
        pygame.font.init()
        self.outputs = open_outputs(opts)
        surface = self.outputs.surface()
        return surface, surface

    def _offline_mark(self, unit: float) -> pygame.Surface:
        """A small grey "no signal" glyph: visible to the crew, ignorable for the public."""
        r = max(6, int(1.3 * unit))
        mark = pygame.Surface((2 * r + 2, 2 * r + 2), pygame.SRCALPHA)
        grey = (110, 110, 110, 200)
        width = max(2, r // 5)
        pygame.draw.circle(mark, grey, (r + 1, r + 1), r, width)
        pygame.draw.line(
            mark, grey, (r + 1 - r * 0.7, r + 1 + r * 0.7), (r + 1 + r * 0.7, r + 1 - r * 0.7), width
        )
        return mark.convert_alpha()

    def _install_signals(self) -> dict[int, Any]:
        previous: dict[int, Any] = {}
        if threading.current_thread() is not threading.main_thread():
            return previous

        def stop(signum: int, frame: FrameType | None) -> None:
            log.info("signal %d: stopping the display", signum)
            self._stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(ValueError, OSError):
                previous[sig] = signal.signal(sig, stop)
        return previous

    # --- the loop ----------------------------------------------------------------------

    def run(self) -> int:
        opts = self.opts
        previous = self._install_signals()
        assets: Assets | None = None
        try:
            # The system font scan (a second or so) runs once, the first time a message
            # needs a script the packaged fonts lack: do it now, off the frame loop.
            threading.Thread(target=system_fonts, name="font-scan", daemon=True).start()
            window, surface = self._open_output()
            size = surface.get_size()
            self.media_cache = self._open_cache()
            assets = Assets(
                size,
                name=opts.name,
                server=opts.server,
                media_dir=opts.media,
                fps=opts.fps,
                media_cache=self.media_cache,
                languages=opts.languages,
                locale=opts.locale,
            )
            assets.audio = opts.audio
            log.info(
                "locale %s (%s)", assets.locale.tag, "right to left" if assets.locale.rtl else "left to right"
            )
            assets.submit_url = submit_url_for(opts.server)  # until the server says otherwise (``you``)
            if self.outputs is not None:
                self.outputs.text = assets.text  # test patterns use the display's fonts
            if opts.state is not None:
                now = time.time()
                self.replica.load(Snapshot(opts.state, now), now)
            elif self.media_cache is not None:
                self._load_cached_show()
            director = self.director = self._make_director(assets)
            if opts.server:
                outputs = self.outputs.infos() if self.outputs is not None else ()
                hello = Hello(opts.name[:100], opts.token, PROTOCOL_VERSION, size, CAPABILITIES, outputs)
                base, cap = opts.backoff
                urls = [websocket_url(s) for s in (opts.servers or (opts.server,))]
                self.link = Link(urls, hello, self.inbox, backoff_base=base, backoff_cap=cap)
                self.link.start()
                self._thumbnail_worker = ThumbnailWorker(PictureSender(self.link.send, time.monotonic))
            if opts.out is not None:
                Path(opts.out).mkdir(parents=True, exist_ok=True)
            mark = self._offline_mark(assets.unit) if opts.offline_mark else None
            self._wait_for_snapshot(assets)
            return self._loop(window, surface, assets, director, mark)
        finally:
            if self._thumbnail_worker is not None:
                self._thumbnail_worker.close()
            if self.link is not None:
                self.link.close()
            if assets is not None:
                assets.close()
            if self.media_cache is not None:
                if self.replica.state is not None:
                    self.media_cache.save_state(self.replica.state)
                self.media_cache.close()  # saves the latest show first
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if self.outputs is not None:
                self.outputs.close()
            close_mixer()  # a video's sound stops with the display, not when its thread notices
            pygame.display.quit()

    def _make_director(self, assets: Assets) -> Director:
        opts = self.opts
        director = Director(
            assets,
            rotation=opts.rotation,
            cycle=opts.cycle,
            pinned=opts.scene,
            pinned_params=opts.scene_params,
            transition=opts.transition,
            fade=opts.fade,
        )
        if self.you is not None:
            director.identity = (self.you.name, self.you.groups)
            director.latency = self.you.latency_ms / 1000
        return director

    # --- the media cache and the saved show (issue 7) ------------------------------------------

    def _open_cache(self) -> MediaCache | None:
        root = self.opts.cache_dir()
        if root is None:
            if self.opts.server and self.opts.state is None:
                # Headless with a server and no --cache: fetch pictures, remember nothing.
                return MediaCache.temporary(server=self.opts.server, token=self.opts.token)
            return None
        log.info("media cache and saved show in %s", root)
        return MediaCache(
            root, server=self.opts.server, token=self.opts.token, max_bytes=self.opts.cache_bytes
        )

    def _load_cached_show(self) -> None:
        """After a reboot, play the last show from the cache until (unless) the server answers."""
        assert self.media_cache is not None
        state = self.media_cache.load_state()
        if state is None:
            return
        now = time.time()
        self.replica.load(Snapshot(state, now), now)
        self.replica.server_offset = 0.0
        self._from_cache = True
        log.info(
            "playing the saved show (rev %d, %d cases) until the server answers", state.rev, len(state.cases)
        )

    def _feed_cache(self) -> None:
        """Each new state: fetch the pictures it needs, and keep it for the next start."""
        state = self.replica.state
        if self.media_cache is None or state is None or state is self._cached_state:
            return
        old = self._cached_state
        # What needed_media reads: the cases, the show's cues and the campaign (its brand kit's
        # logo and uploaded font, its layouts' pictures). Totals alone change none of them.
        if old is None or (state.cases, state.show, state.campaign) != (old.cases, old.show, old.campaign):
            self.media_cache.want(needed_media(state))
        self._cached_state = state
        self.media_cache.save_state(state)

    def _wait_for_snapshot(self, assets: Assets) -> None:
        """Headless with a server: the first frame should show the show, not the ident card."""
        if not (
            self.opts.mode is OutputMode.HEADLESS
            and self.link is not None
            and self.opts.wait_for_snapshot > 0
        ):
            return
        deadline = time.monotonic() + self.opts.wait_for_snapshot
        while not self.replica.synced and time.monotonic() < deadline and not self._stop.is_set():
            self._drain(assets)
            time.sleep(0.01)
        # Started from the cached show: wait for the server's answer, either way, not for the deadline.
        while self._from_cache and not self._link_answered and time.monotonic() < deadline:
            self._drain(assets)
            time.sleep(0.01)
        if not self.replica.synced:
            log.warning("no snapshot after %.0fs; rendering without one", self.opts.wait_for_snapshot)

    def _loop(
        self,
        window: pygame.Surface,
        surface: pygame.Surface,
        assets: Assets,
        director: Director,
        mark: pygame.Surface | None,
    ) -> int:
        opts = self.opts
        paced = opts.mode.on_screen or opts.realtime
        next_status = time.monotonic() + opts.status_interval
        failures = 0
        # Frames are paced on the server's clock (FramePacer), so a group presents in step.
        while not self._stop.is_set():
            offset = self.replica.server_offset
            dt = self.pacer.wait(offset) if paced else HEADLESS_DT
            if opts.mode is OutputMode.HEADLESS and opts.realtime:
                dt = HEADLESS_DT if self.frames_drawn == 0 else dt
            try:
                started = time.perf_counter()
                self._events()
                self._drain(assets)
                self._feed_cache()
                if self._reload:
                    self._reload = False
                    director = self.director = self._make_director(assets)
                    if self.link is not None:
                        self.link.reconnect()
                # The server time this frame stands for: its slot when paced (the same
                # on every display of a group), else now.
                director.server_now = self.pacer.slot if paced else time.time() + self.replica.server_offset
                director.update(self.replica.state, dt)
                surface = self.outputs.surface() if self.outputs is not None else surface
                director.draw(surface)
                if mark is not None and self._offline(assets):
                    u = assets.unit
                    surface.blit(mark, (surface.get_width() - mark.get_width() - int(u), int(u)))
                if self.outputs is not None:
                    self.outputs.render(surface)  # each output's slice through its mapping
                work_ms = (time.perf_counter() - started) * 1000
                self.frames_drawn += 1
                self._present(window, surface)
                failures = 0
            except Exception:
                failures += 1
                log.exception("frame %d failed (%d in a row)", self.frames_drawn + 1, failures)
                if failures >= MAX_CONSECUTIVE_FAILURES:
                    log.critical("the display keeps failing; exiting so a supervisor can restart it")
                    return 1
                continue
            now = time.monotonic()
            self.stats.record(work_ms, now)
            self._take_thumbnails(surface, director, now, work_ms)
            if self.link is not None and now >= next_status:
                next_status = now + opts.status_interval
                self._send_status(assets, director)
            if opts.on_frame is not None and opts.on_frame(self._frame_info(director, assets, now, work_ms)):
                break
            if opts.frames is not None and self.frames_drawn >= opts.frames:
                break
        return 0

    def _present(self, window: pygame.Surface, surface: pygame.Surface) -> None:
        if self.outputs is not None:
            if self.opts.mode.on_screen:
                self.outputs.present()
            elif self.opts.out is not None:
                self.outputs.save(Path(self.opts.out), self.frames_drawn)
            self._send_calibrations()
            return
        if self.opts.mode is OutputMode.HEADLESS:
            if self.opts.out is not None:
                pygame.image.save(surface, str(Path(self.opts.out) / f"frame-{self.frames_drawn:05d}.png"))
        else:
            pygame.display.flip()

    def _frame_info(self, director: Director, assets: Assets, now: float, work_ms: float) -> FrameInfo:
        state = self.replica.state
        displayed = getattr(director.scene, "displayed_total", None)
        return FrameInfo(
            index=self.frames_drawn,
            time=now,
            rev=state.rev if state else 0,
            total=state.totals.total if state else 0,
            displayed=displayed if isinstance(displayed, int) else None,
            scene=director.scene_name,
            connected=assets.link.connected,
            spotlight=getattr(director.scene, "spot", None) if director.scene_name == "messages" else None,
            work_ms=work_ms,
            output=self._output_picture(),
        )

    def _offline(self, assets: Assets) -> bool:
        link = assets.link
        return (
            self.link is not None
            and link.ever_connected
            and not link.connected
            and time.monotonic() - link.since >= OFFLINE_GRACE
        )

    # --- input, the link, status -----------------------------------------------------------

    def _events(self) -> None:
        kiosk = self.opts.mode is OutputMode.FULLSCREEN
        for event in pygame.event.get():
            if event.type == pygame.KEYDOWN and self.outputs is not None and self.outputs.handle_key(event):
                continue  # the keyboard calibration took it (Ctrl+Shift+M)
            if event.type == pygame.QUIT:
                if kiosk:
                    log.info("ignoring a window close in kiosk mode (Ctrl+Shift+Q quits)")
                else:
                    self._stop.set()
            elif event.type == pygame.KEYDOWN and event.key == pygame.K_q:
                mods = event.mod
                if mods & pygame.KMOD_CTRL and mods & pygame.KMOD_SHIFT:
                    log.info("Ctrl+Shift+Q: stopping the display")
                    self._stop.set()

    def _drain(self, assets: Assets) -> None:
        for _ in range(MAX_INBOX_PER_FRAME):
            try:
                item = self.inbox.get_nowait()
            except queue.Empty:
                return
            self._handle(item, assets)

    def _handle(self, item: Inbound, assets: Assets) -> None:
        now = time.time()
        if isinstance(item, LinkState):
            self._link_answered = True
            link = assets.link
            refused = not item.connected and time.monotonic() - self._refused_at < 5.0
            link.connected = item.connected
            link.reason = link.reason if refused else item.reason  # "bad token" beats "closed"
            link.since = time.monotonic()
            link.ever_connected = link.ever_connected or item.connected
            if not item.connected:
                self.thumbnails.stop()  # a new connection asks afresh if a panel watches
        elif isinstance(item, Snapshot):
            offset = self.replica.server_offset
            self.replica.load(item, now)
            if self.clock is not None:
                self.replica.server_offset = offset  # the ping estimate beats the snapshot's guess
            if item.you is not None:
                self._set_you(item.you, assets)
            self._resync_at = -1e9
        elif isinstance(item, EventFrame):
            outcome = self.replica.receive(item)
            if outcome is Outcome.GAP:
                self._resync()
        elif isinstance(item, ClockSync):
            self.clock = item
            self.replica.server_offset = item.offset
        elif isinstance(item, Pong):
            pass  # clock samples are taken by the link thread (ClockSync)
        elif isinstance(item, You):
            self._set_you(item, assets)
        elif isinstance(item, Command):
            if item.do == "identify" and self.director is not None:
                log.info("identify: showing the ident card for %.0f s", item.seconds)
                self.director.identify(item.seconds)
            elif item.do == "reload":
                log.info("reload: entering the scenes afresh and reconnecting")
                self._reload = True
        elif isinstance(item, ThumbnailRequest):
            self.thumbnails.request(item.width, item.output, item.every)
            if item.every and self._thumbnail_worker is not None:
                self._thumbnail_worker.forget()  # a new stream starts with a picture, changed or not
        elif isinstance(item, MappingFrame | PatternFrame):
            self._output_frame(item)
        elif isinstance(item, ErrorFrame):
            assets.link.reason = f"{item.code}: {item.message}"[:200]
            self._refused_at = time.monotonic()
        else:
            log.debug("ignoring %s from the server", type(item).__name__)

    def _set_you(self, you: You, assets: Assets) -> None:
        """The server says who we are: name (an operator may rename us), groups, latency,
        where words may go (the safe area) and where supporters send messages."""
        before = self.you
        if before is None or (before.name, before.groups) != (you.name, you.groups):
            log.info("the server knows this display as %r in groups %s", you.name, list(you.groups) or "none")
        self.you = you
        assets.name = you.name
        assets.submit_url = you.submit_url or submit_url_for(self.opts.server)
        if self.director is not None:
            self.director.identity = (you.name, you.groups)
            self.director.latency = you.latency_ms / 1000
        if you.locale != assets.locale_setting:
            assets.locale_setting = you.locale
            log.info("locale now %s (set by an operator: %s)", assets.locale.tag, you.locale or "none")
            if self.director is not None:
                self.director.relayout()  # the words change now, not at the next rotation
        area = self._canvas_safe_area(you)
        if area != assets.safe_area:
            assets.safe_area = area
            log.info(
                "safe area now: margins %.3g/%.3g/%.3g/%.3g (top/right/bottom/left), %d keep-out boxes",
                area.top,
                area.right,
                area.bottom,
                area.left,
                len(area.avoid),
            )
            if self.director is not None:
                self.director.relayout()  # words move off a window now, not at the next scene

    def _canvas_safe_area(self, you: You) -> SafeArea:
        """The display's safe area and each output's (moved onto its slice), as one for the canvas."""
        areas = [you.safe_area or NO_SAFE_AREA]
        outputs = self.outputs
        if outputs is not None and you.output_safe_areas:
            cw, ch = outputs.canvas_size
            slices = {out.name: out.spec.slice for out in outputs.outputs}
            for name, area in you.output_safe_areas:
                if name not in slices:
                    continue  # kept on the server for an output this run does not drive
                x, y, w, h = slices[name]
                areas.append(within(area, Box(x / cw, y / ch, w / cw, h / ch)))
        return combine(areas)

    def _resync(self) -> None:
        """Ask for a snapshot after a gap; once per few seconds, not once per late event."""
        state = self.replica.state
        now = time.monotonic()
        if self.link is None or state is None or now - self._resync_at < RESYNC_RETRY:
            return
        self._resync_at = now
        log.info("missed events after rev %d; asking for a snapshot", state.rev)
        self.link.send(Resync(state.rev))

    # --- pictures for the operator panel ------------------------------------------------------

    def _take_thumbnails(
        self, surface: pygame.Surface, director: Director, now: float, work_ms: float
    ) -> None:
        """Sample this frame (and the preview cue) for the panel when due; the worker does the rest."""
        worker, schedule = self._thumbnail_worker, self.thumbnails
        if worker is None:
            return
        state = self.replica.state
        blackout = state.blackout if state is not None else False
        # A new scene on air (a cue, a blackout, the rotation) or a fade's start and end.
        key = (
            director.scene,
            director.transitioning,
            blackout,
        )  # the scene by identity: scenes keep object equality
        if key != self._on_air_key:
            self._on_air_key = key
            schedule.changed()
        preview = director.preview_scene
        if preview is not self._preview_key:
            self._preview_key = preview
            schedule.preview_changed()
        shot = schedule.program_due(now)
        if shot is not None:
            picture = self._program_picture(surface, shot.output)
            if picture is not None:
                worker.put(Picture(sample(picture, shot.width), shot.width, shot.output, force=shot.force))
        # The preview is a whole extra scene draw: only on a frame that left half its budget spare.
        if preview is not None and work_ms < 500 / max(1, self.opts.fps) and schedule.preview_due(now):
            target = self._preview_target(surface)
            if director.draw_preview(target):
                worker.put(Picture(sample(target, schedule.width), schedule.width, preview=True))

    def _program_picture(self, surface: pygame.Surface, output: str | None) -> pygame.Surface | None:
        """What the screen shows now; with outputs, what the projector gets, warped (what an operator calibrates over)."""
        if self.outputs is None:
            return surface
        picture = self.outputs.picture(output)
        if picture is None:
            log.warning("thumbnail of unknown output %r not sent", output)
        return picture

    def _preview_target(self, like: pygame.Surface) -> pygame.Surface:
        if self._preview_surface is None or self._preview_surface.get_size() != like.get_size():
            self._preview_surface = like.copy()
        return self._preview_surface

    # --- projection mapping (issue 6) ----------------------------------------------------------

    def _output_frame(self, item: MappingFrame | PatternFrame) -> None:
        """A mapping or a test pattern for one output, from the server (refusals go in the next status)."""
        if self.outputs is None:
            return
        if isinstance(item, MappingFrame):
            self.outputs.set_mapping(item.output, item.mapping)
        else:
            self.outputs.set_pattern(item.output, item.pattern)
            self.thumbnails.changed()  # the panel shows the pattern at once

    def _send_calibrations(self) -> None:
        """Keyboard calibrations go to the server once it can hear them (kept until then)."""
        outputs = self.outputs
        if outputs is None or not outputs.outbox or self.link is None or not self._link_connected():
            return
        for frame in outputs.outbox:
            self.link.send(frame)
        outputs.outbox.clear()

    def _link_connected(self) -> bool:
        return self.director is not None and self.director.assets.link.connected

    def _output_picture(self) -> pygame.Surface | None:
        if self.outputs is None or self.outputs.path != "software":
            return None
        return self.outputs.picture()

    def _send_status(self, assets: Assets, director: Director) -> None:
        if self.link is None or not assets.link.connected:
            return  # errors stay queued in the director until someone can hear them
        state = self.replica.state
        ready, missing = self.media_cache.counts() if self.media_cache is not None else (None, None)
        self.link.send(
            Status(
                fps=round(self.stats.fps(), 2),
                frame_p99_ms=round(self.stats.p99(), 3),
                scene=director.scene_name,
                rev=state.rev if state else 0,
                error=director.take_error() or (self.outputs.take_error() if self.outputs else None),
                media_ready=ready,
                media_missing=missing,
                health=self._health(),
                output_path=self.outputs.path if self.outputs else None,
                output_reason=self.outputs.choice.reason[:500] if self.outputs else None,
            )
        )

    def _health(self) -> Health:
        clock = self.clock
        return Health(
            target_fps=float(self.opts.fps),
            dropped=self.pacer.dropped,
            memory_mb=health.memory_mb(),
            temperature_c=health.temperature_c(),
            clock_offset_ms=None if clock is None else round(clock.offset * 1000, 3),
            rtt_ms=None if clock is None else round(clock.rtt * 1000, 3),
            connections=self.link.connections if self.link is not None else None,
        )


def submit_url_for(server: str | None) -> str | None:
    """The message form of the server a display connects to: ``ws://h:p/ws`` -> ``http://h:p/submit``.

    A server behind a path prefix (``wss://h/projector/ws``) has its form under
    the same prefix. None without a server (or with one that is not an address).
    """
    if not server:
        return None
    try:
        parts = urlsplit(websocket_url(server))
    except ValueError:
        return None
    prefix = parts.path[: -len("/ws")] if parts.path.endswith("/ws") else ""
    scheme = "https" if parts.scheme == "wss" else "http"
    return urlunsplit((scheme, parts.netloc, prefix + "/submit", "", ""))
