"""A campaign video, full screen: decoded off the render thread, started on the cue's frame.

The file is an uploaded video (``POST /api/v1/media/videos``), named by its hash
and fetched into the display's media cache like a portrait. A decoder thread
(``projector.display.video_decoder``) scales each picture to its drawing size
and keeps a few frames ready; this scene only picks the frame due now and
blits it, so a slow or broken decode never holds a frame of the show up.

Time: on a cue, the playhead is the server's time since the cue started
(``assets.cue_at``), so the displays of a group show the same frame, and a
display that joins late (a reboot, a lost link) seeks to where the others
are. In a rotation the scene keeps its own clock.

Parameters: ``media`` (the video's hash; required), ``loop`` (true: round
and round; default false: once, then the last frame stays), ``fit``
(``contain``, the default: the whole picture, black bars where the shapes
differ; ``cover``: the screen filled, the edges cut), ``audio`` (true: the file's
sound on the default output; default false: muted). With ``hold = "end"``
on its cue the show follows on when the video ends (the server knows its
length from the upload); in a rotation the scene holds the rotation until
it ends (``holding``), for at most the director's bound.

Sound: muted unless the cue says ``audio = true`` and the display allows
sound (``--no-audio`` refuses it). Then ``projector.display.video_audio``
plays the file's first sound track on a thread of its own, kept on this
scene's playhead (the scene only tells it where the picture is, each
frame); it starts on the scene's first frame on air, not when a preview
enters it offscreen, and stops when the scene leaves. No sound device, or
no sound track: the picture plays on, muted.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pygame

from projector.core.state import ShowState
from projector.display.playhead import Playhead
from projector.display.scene import BLACK, YELLOW, param_str, register
from projector.display.video_audio import VideoAudio
from projector.display.video_decoder import SEEK_AFTER_SECONDS, VideoDecoder

if TYPE_CHECKING:
    from projector.display.assets import Assets

log = logging.getLogger(__name__)

FITS = ("contain", "cover")
#: A playhead this far from the decoder's (a late join, a server clock step) seeks instead of dropping.
RESYNC_SECONDS = 2.0


@register
class VideoScene:
    name: ClassVar[str] = "video"

    def __init__(self) -> None:
        self._assets: Assets | None = None
        self._media: str | None = None
        self._fit = "contain"
        self._loop = False
        self._decoder: VideoDecoder | None = None
        self._audio_asked = False
        self._audio: VideoAudio | None = None
        self._surface: pygame.Surface | None = None
        self._pixels: Any = None  # keeps the frame's memory alive under ``_surface``
        self._size = (1, 1)
        self._clock = Playhead()
        self._joined = False
        self._reported: str | None = None

    @classmethod
    def prefetch(cls, state: ShowState, assets: Assets, params: Mapping[str, Any]) -> None:
        """Nothing to do ahead: the media cache fetches every video the show names."""

    def enter(self, state: ShowState, assets: Assets, params: Mapping[str, Any]) -> None:
        self._assets = assets
        self._size = assets.size
        self._media = param_str(params, "media", 64)
        if self._media is None:
            log.error("the video scene needs a media parameter (an uploaded video's hash)")
        fit = params.get("fit", "contain")
        if fit not in FITS:
            log.error("parameter fit=%r is not contain or cover; using contain", fit)
            fit = "contain"
        self._fit = str(fit)
        loop = params.get("loop", False)
        self._loop = loop is True
        self._audio_asked = params.get("audio", False) is True
        if self._audio_asked and not assets.audio:
            log.info("video %s: the cue asks for sound, this display plays none (--no-audio)", self._media)
        self._open()

    def _open(self) -> None:
        """Start the decoder once the file is in the media cache (asked again every frame until then)."""
        if self._decoder is not None or self._assets is None or self._media is None:
            return
        path = self._assets.media_path(self._media)
        if path is None:
            return
        self._decoder = VideoDecoder(path, self._size, fit=self._fit, loop=self._loop, name=self._media[:12])

    # --- what the director asks -----------------------------------------------------------------

    @property
    def holding(self) -> bool:
        """In a rotation, wait for a video that plays once to end (the director bounds the wait)."""
        decoder = self._decoder
        return not self._loop and decoder is not None and not decoder.finished

    @property
    def finished(self) -> bool:
        """The video has shown its last frame (or cannot go on): what is on screen now stays."""
        decoder = self._decoder
        return decoder is not None and decoder.finished

    @property
    def playhead(self) -> float:
        return self._clock.seconds

    # --- the frame -------------------------------------------------------------------------------

    def update(self, state: ShowState, dt: float) -> None:
        assets = self._assets
        if assets is None:
            return
        playhead = self._clock.advance(assets, dt)
        self._open()
        decoder = self._decoder
        if decoder is None:
            return
        if not self._joined:
            self._joined = True
            if playhead >= SEEK_AFTER_SECONDS:
                decoder.seek(playhead)  # joined late: start where the group is
        self._sound(decoder, playhead)
        frame = decoder.frame_at(playhead)
        if frame is not None and frame.t < playhead - RESYNC_SECONDS:
            decoder.seek(playhead)  # far behind (a clock step, a slow disk): jump, not crawl
        if frame is not None:
            height, width = frame.pixels.shape[:2]
            self._pixels = frame.pixels
            self._surface = pygame.image.frombuffer(frame.pixels.data, (width, height), "RGB")
        if decoder.error is not None and decoder.error != self._reported:
            self._reported = decoder.error

    def _sound(self, decoder: VideoDecoder, playhead: float) -> None:
        """Start the sound on the first frame on air (asked for and allowed), and tell it the playhead."""
        if self._audio is None and self._audio_asked and self._assets is not None and self._assets.audio:
            self._audio = VideoAudio(
                decoder.path, loop=self._loop, length=lambda: decoder.length, name=decoder.path.name[:12]
            )
        if self._audio is not None:
            self._audio.follow(playhead)

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(BLACK)
        if self._surface is None:
            # Still downloading or starting: a quiet mark, never a bare black frame.
            w, h = surface.get_size()
            surface.fill(YELLOW, (w // 2 - w // 40, h // 2, max(2, w // 20), max(2, h // 200)))
            return
        sw, sh = surface.get_size()
        fw, fh = self._surface.get_size()
        surface.blit(self._surface, ((sw - fw) // 2, (sh - fh) // 2))

    def __del__(self) -> None:
        decoder = getattr(self, "_decoder", None)
        if decoder is not None:
            decoder.close()
        audio = getattr(self, "_audio", None)
        if audio is not None:
            audio.close()  # silent at once: a blackout or the next cue never has this sound under it
