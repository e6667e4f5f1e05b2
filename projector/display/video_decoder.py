"""Video frames decoded off the render thread: one decoder thread per playing video.

The render thread must never wait for a decoder: a 4K frame takes longer to
decode than a 60 Hz frame lasts on a small PC, and a damaged file can make
FFmpeg stall or fail at any packet. So a thread of its own opens the file
(PyAV), decodes, scales each picture to the size it will be drawn at (FFmpeg's
scaler, in C, outside the GIL) and puts it in a small bounded queue: at most
``depth`` frames wait, so memory stays a few frames whatever the video's length.
The render thread asks :meth:`VideoDecoder.frame_at` for the newest frame due at
its playhead and never blocks; frames it has passed are dropped, and the
decoder skips scaling frames that are already late. A decoder that fails, or
a file that ends early, leaves the last good frame on screen: the scene keeps
showing it and the show follows on as planned.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import av
import av.error
import numpy as np

log = logging.getLogger(__name__)

#: Frames decoded ahead of the playhead: a quarter second at 30 fps (6 MB a frame at 1080p)...
DEFAULT_DEPTH = 8
#: ... within this many bytes: 4 frames at 4K (25 MB each). A preloaded next cue holds as many.
QUEUE_BYTES = 100 * 1024 * 1024
#: Late frames skipped in a row at most: a decoder that cannot keep up still shows every fifth.
MAX_SKIPPED_IN_A_ROW = 4
#: A start this far into the video seeks (to the keyframe before it) instead of decoding up to it.
SEEK_AFTER_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Frame:
    """One picture, scaled to its drawing size: ``pixels`` is (height, width, 3) RGB, C-contiguous."""

    #: Seconds from the video's start (loops add the video's length each time round).
    t: float
    pixels: np.ndarray


def fitted_size(video: tuple[int, int], box: tuple[int, int], fit: str) -> tuple[int, int]:
    """The size a ``video`` picture is drawn at in ``box``: all of it (``contain``) or covering it (``cover``)."""
    vw, vh = max(1, video[0]), max(1, video[1])
    bw, bh = max(1, box[0]), max(1, box[1])
    scale = max(bw / vw, bh / vh) if fit == "cover" else min(bw / vw, bh / vh)
    # Even sizes: FFmpeg's scaler is exact and fast on them for 4:2:0 sources.
    return max(2, round(vw * scale / 2) * 2), max(2, round(vh * scale / 2) * 2)


class VideoDecoder:
    """Decodes ``path`` on a thread of its own into frames for a ``box`` of the screen."""

    def __init__(
        self,
        path: Path,
        box: tuple[int, int],
        *,
        fit: str = "contain",
        loop: bool = False,
        start: float = 0.0,
        depth: int = DEFAULT_DEPTH,
        name: str = "video",
    ) -> None:
        self.path = Path(path)
        self.box = box
        self.fit = fit
        self.loop = loop
        self.depth = max(2, depth)
        #: Set by the render thread each frame: frames well behind it are not even scaled.
        self.playhead = max(0.0, start)
        #: The video's own picture size and drawing size, once the file is open (else None).
        self.video_size: tuple[int, int] | None = None
        self.size: tuple[int, int] | None = None
        #: The video's running time, once known (the end of its last frame).
        self.length: float | None = None
        #: True once the last frame is in the queue (never, while looping).
        self.ended = False
        #: Why decoding stopped early (None while it goes well): logged once, the last frame stays.
        self.error: str | None = None
        self.decoded = 0
        self.skipped = 0
        self._frames: deque[Frame] = deque()
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._seek_to: float | None = start if start >= SEEK_AFTER_SECONDS else None
        #: Frames before this playhead are skipped unscaled whatever else happens (a seek's target).
        self._floor = max(0.0, start)
        self._thread = threading.Thread(target=self._run, name=f"decoder-{name}", daemon=True)
        self._thread.start()

    # --- the render thread's side -----------------------------------------------------------

    def frame_at(self, playhead: float) -> Frame | None:
        """The newest decoded frame due at ``playhead`` (None: none due yet); older ones are dropped."""
        self.playhead = playhead
        found: Frame | None = None
        with self._lock:
            while self._frames and self._frames[0].t <= playhead:
                found = self._frames.popleft()
            if found is not None:
                self._lock.notify_all()  # room in the queue again
        return found

    def seek(self, playhead: float) -> None:
        """Jump to ``playhead`` (a display that joins a cue late); frames queued before it go."""
        with self._lock:
            self._seek_to = max(0.0, playhead)
            self.playhead = self._seek_to
            self._frames.clear()
            self.ended = False
            self._lock.notify_all()

    @property
    def buffered_until(self) -> float | None:
        """The time of the newest frame waiting in the queue (None: none waiting)."""
        with self._lock:
            return self._frames[-1].t if self._frames else None

    @property
    def finished(self) -> bool:
        """The last frame has been taken (or decoding failed): nothing more will come."""
        with self._lock:
            return (self.ended or self.error is not None) and not self._frames

    def close(self) -> None:
        """Stop the thread; it exits at its next frame (never waited for here)."""
        self._stop.set()
        with self._lock:
            self._frames.clear()
            self._lock.notify_all()

    # --- the decoder thread ----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._decode()
        except av.error.FFmpegError as exc:
            self._fail(f"the video cannot be decoded further ({getattr(exc, 'strerror', None) or exc})")
        except Exception as exc:  # a bug must not reach the render thread; the last frame stays
            log.exception("video decoder for %s failed", self.path.name)
            self._fail(f"{type(exc).__name__}: {exc}")

    def _fail(self, reason: str) -> None:
        with self._lock:
            self.error = reason
            self._lock.notify_all()
        log.warning("video %s: %s; the last good frame stays on screen", self.path.name[:12], reason)

    def _decode(self) -> None:
        with av.open(str(self.path), options={"enable_drefs": "0"}) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"  # FFmpeg's own threads: a 4K stream on a small PC needs them
            ctx = stream.codec_context
            self.video_size = (ctx.width, ctx.height)
            self.size = fitted_size(self.video_size, self.box, self.fit)
            with self._lock:
                self.depth = max(2, min(self.depth, QUEUE_BYTES // (self.size[0] * self.size[1] * 3)))
            base = stream.time_base
            first = stream.start_time or 0
            offset = 0.0  # added each time a loop goes round
            while not self._stop.is_set():
                last = self._play_once(container, stream, base, first, offset)
                if self._stop.is_set():
                    return
                if last is None:
                    self._fail("no pictures could be decoded")
                    return
                self.length = last
                if not self.loop:
                    with self._lock:
                        self.ended = True
                    return
                offset += last
                container.seek(first, stream=stream)

    def _play_once(
        self,
        container: av.container.InputContainer,
        stream: av.video.stream.VideoStream,
        base: object,
        first: int,
        offset: float,
    ) -> float | None:
        """Decode to the end once; the end time of the last picture (seconds from the start), or None."""
        assert self.size is not None
        width, height = self.size
        end: float | None = None
        late = 0
        period = 1 / float(stream.average_rate) if stream.average_rate else 1 / 30
        for frame in container.decode(stream):
            if self._stop.is_set():
                return end
            target = self._take_seek()
            if target is not None:
                self._seek(container, stream, target, offset)
                continue
            if frame.pts is None:
                continue
            t = float((frame.pts - first) * frame.time_base) if frame.time_base else 0.0
            end = t + period
            at = offset + t
            if at + period < self._floor:  # before where a seek asked to start: never shown
                self.skipped += 1
                continue
            if at + period < self.playhead and late < MAX_SKIPPED_IN_A_ROW:
                # Late: not worth scaling, the screen has moved on (but some frame must reach it).
                self.skipped += 1
                late += 1
                continue
            late = 0
            pixels = frame.to_ndarray(width=width, height=height, format="rgb24", interpolation="BILINEAR")
            self._put(Frame(at, np.ascontiguousarray(pixels)))
            self.decoded += 1
        return end

    def _take_seek(self) -> float | None:
        with self._lock:
            target, self._seek_to = self._seek_to, None
        return target

    def _seek(
        self,
        container: av.container.InputContainer,
        stream: av.video.stream.VideoStream,
        target: float,
        offset: float,
    ) -> None:
        """To the keyframe at or before ``target`` (frames before it are then skipped as late)."""
        if stream.time_base is None:
            return
        self._floor = target
        local = max(0.0, target - offset)
        if self.length is not None and self.loop and self.length > 0:
            local = math.fmod(local, self.length)
        container.seek(int(local / float(stream.time_base)) + (stream.start_time or 0), stream=stream)

    def _put(self, frame: Frame) -> None:
        """Wait (off the render thread) until the queue has room; a stop or a seek ends the wait."""
        with self._lock:
            while len(self._frames) >= self.depth and not self._stop.is_set() and self._seek_to is None:
                self._lock.wait(0.1)
            if not self._stop.is_set() and self._seek_to is None:
                self._frames.append(frame)
