"""A video's sound, decoded off the frame loop and kept on the video's playhead.

Only a ``video`` cue with ``audio = true``, on a display that allows sound,
gets one. A thread of its own opens the mixer (``audio_out``; a device that
cannot open means muted, logged once), opens the file a second time (so the
picture decoder's queue and seeks never wait on the sound's, nor the other
way round), decodes the first audio stream with PyAV and resamples it
(``AudioResampler``) to the mixer's one format. It hands the mixer 100 ms
chunks on a channel of its own, one playing and one queued, so the frame loop
never touches sound at all: the scene only says where its playhead is.

Keeping the sound on the picture (A/V drift): the playhead is the clock, the
same one the frames are picked by (the server's time since the cue on a cue,
the scene's own in a rotation). Each chunk is cut for the playhead time at
which it will be heard: the time the chunks already queued run out (counted in
samples, re-anchored whenever the mixer is seen taking the next chunk at
another moment) plus the device's latency. Chunks follow on sample by sample
(no clicks) while the sound is within ``RESYNC_SECONDS`` (80 ms) of that
time; past it (a server clock step, a mixer that ran dry, a display that joined
late, a loop going round) the next chunk starts exactly at the playhead again,
skipping or waiting with silence, and a jump of seconds seeks the file. So
drift stays under 80 ms plus one poll (10 ms).

A scene that leaves the air (a cue, a blackout) closes its sound: silent
within a poll. One that merely stops telling its playhead goes silent within
``STALE_SECONDS``. Every call into pygame's mixer holds ``audio_out.mixer()``,
so a display closing the device never pulls it from under a call.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import av.error
import numpy as np
import pygame

from projector.display import audio_out
from projector.display.audio_out import MixerFormat

log = logging.getLogger(__name__)

#: Seconds of sound per chunk handed to the mixer (one plays while the next waits).
CHUNK_SECONDS = 0.1
#: How often the thread looks at the mixer: the bound on how late it notices a chunk starting.
POLL_SECONDS = 0.01
#: Sound further than this from the playhead is cut back onto it (skipped or waited for).
RESYNC_SECONDS = 0.08
#: A jump further than this seeks the file instead of decoding up to it.
SEEK_SECONDS = 2.0
#: A playhead not told for this long: the scene is off the air, the sound stops.
STALE_SECONDS = 0.5
#: Decoded sound kept ahead of what the mixer has, in seconds (a few chunks).
AHEAD_SECONDS = 0.5
#: Packets in a row that decode to nothing before the file counts as unreadable.
MAX_EMPTY_PACKETS = 1000


def video_length(container: av.container.InputContainer) -> float | None:
    """The picture's running time as the picture decoder counts it (frames times their period)."""
    if not container.streams.video:
        return None
    stream = container.streams.video[0]
    if stream.frames and stream.average_rate:
        return float(stream.frames / stream.average_rate)
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return container.duration / av.time_base if container.duration else None


class VideoAudio:
    """Plays the sound of ``path`` along a playhead the render thread keeps telling it."""

    def __init__(
        self,
        path: Path,
        *,
        loop: bool = False,
        length: Callable[[], float | None] = lambda: None,
        name: str = "video",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self.loop = loop
        self._length = length
        self._clock = clock
        #: Why this video is silent (None while it plays or before it starts): no device, no stream ...
        self.muted: str | None = None
        #: Chunks handed to the mixer, and times the sound was cut back onto the playhead.
        self.chunks = 0
        self.resyncs = 0
        self.seeks = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._told: tuple[float, float] | None = None  # (playhead, clock) as last told
        self._channel: int | None = None
        self._thread = threading.Thread(target=self._run, name=f"audio-{name}", daemon=True)
        self._thread.start()

    # --- the render thread's side -----------------------------------------------------------

    def follow(self, playhead: float) -> None:
        """Where the picture is this frame: the clock the sound keeps to (never blocks)."""
        self._told = (playhead, self._clock())

    def close(self) -> None:
        """Stop: no chunk is handed over after this, and the thread silences its channel at its next
        poll (within ``POLL_SECONDS``). Never waits: the mixer's lock may be held by a decode."""
        with self._lock:
            self._stop.set()

    @property
    def playing(self) -> bool:
        return self._channel is not None and not self._stop.is_set()

    # --- the audio thread ------------------------------------------------------------------------

    def _playhead_at(self, when: float) -> float | None:
        """The playhead at clock time ``when``, from what the scene last told (None: stale or untold)."""
        told = self._told
        if told is None or self._clock() - told[1] > STALE_SECONDS:
            return None
        return told[0] + (when - told[1])

    def _mute(self, reason: str) -> None:
        self.muted = reason
        log.info("video %s plays muted: %s", self.path.name[:12], reason)

    def _run(self) -> None:
        try:
            fmt = audio_out.open_mixer()
            if fmt is None:
                self.muted = "no audio output"  # audio_out has said why, once
                return
            with av.open(str(self.path), options={"enable_drefs": "0"}) as container:
                if not container.streams.audio:
                    self._mute("the file has no sound")
                    return
                with self._lock:
                    if self._stop.is_set():
                        return
                    self._channel = audio_out.claim_channel()
                if self._channel is None:
                    self._mute("every mixer channel is taken")
                    return
                _Feeder(self, container, fmt).run()
        except (av.error.FFmpegError, pygame.error) as exc:
            self._mute(f"the sound cannot be played further ({getattr(exc, 'strerror', None) or exc})")
        except Exception:  # a bug must not reach the render thread; the picture goes on
            log.exception("video sound for %s failed", self.path.name[:12])
            self.muted = "failed"
        finally:
            self.close()
            channel, self._channel = self._channel, None
            if channel is not None:
                audio_out.release_channel(channel)


class _Feeder:
    """The audio thread's loop: decode ahead, cut chunks on the playhead, keep the mixer fed."""

    def __init__(self, owner: VideoAudio, container: av.container.InputContainer, fmt: MixerFormat) -> None:
        self.owner = owner
        self.container = container
        self.fmt = fmt
        self.stream = container.streams.audio[0]
        video = container.streams.video[0] if container.streams.video else None
        # Times count from the picture's first frame, as the picture decoder's do.
        self.zero = (
            float(video.start_time * video.time_base)
            if video and video.start_time and video.time_base
            else 0.0
        )
        self.nominal = video_length(container)
        #: Decoded sound not yet handed over: (time of its first sample, samples (n, channels) int16).
        self.segments: deque[tuple[float, np.ndarray]] = deque()
        self.offset = 0.0  # added each time a loop goes round
        #: The playhead time decoding has reached (the end of the last sound kept; None: none yet).
        self.decoded: float | None = None
        self.ended = False
        #: The playhead time of the next sample to hand over (None: start afresh at the playhead).
        self.cursor: float | None = None
        #: Clock time when the sound handed over so far runs out, and the last chunk's length.
        self.runs_out = 0.0
        self.last_seconds = 0.0
        self.queued = False
        self.polled = 0.0
        self.packets: Iterator[av.packet.Packet[av.audio.stream.AudioStream]] | None = None
        self.resampler = self._resampler()

    def _resampler(self) -> av.AudioResampler:
        layout = "stereo" if self.fmt.channels == 2 else "mono"
        return av.AudioResampler(format="s16", layout=layout, rate=self.fmt.rate)

    @property
    def length(self) -> float | None:
        return self.owner._length() or self.nominal

    @property
    def channel(self) -> pygame.mixer.Channel | None:
        number = self.owner._channel
        return None if number is None else pygame.mixer.Channel(number)

    def run(self) -> None:
        owner = self.owner
        while not owner._stop.wait(POLL_SECONDS):
            now = owner._clock()
            if self.cursor is not None:  # decode ahead outside the mixer's lock: closing never waits on it
                self._decode_until(self.cursor + CHUNK_SECONDS + AHEAD_SECONDS)
            with audio_out.mixer() as open_:
                channel = self.channel
                if channel is None or not open_:
                    return
                self._feed(channel, now)
            self.polled = now

    def _feed(self, channel: pygame.mixer.Channel, now: float) -> None:
        busy = channel.get_busy()
        if busy and channel.get_queue() is not None:
            return  # one playing, one waiting: nothing to do
        if busy and self.queued:
            # The mixer just took the chunk that was waiting: it started between the last poll and now.
            predicted = self.runs_out - self.last_seconds
            if not self.polled - POLL_SECONDS <= predicted <= now + POLL_SECONDS:
                self.runs_out = now + self.last_seconds  # the device's clock and ours parted: re-anchor
        elif not busy:
            self.runs_out = now  # dry (start, a stall, the end): the next chunk plays at once
        heard_at = self.runs_out + self.fmt.latency
        playhead = self.owner._playhead_at(heard_at)
        if playhead is None:  # off the air: silence, and start afresh when told again
            if busy:
                channel.stop()
            self.cursor, self.queued = None, False
            return
        samples = self._chunk(playhead)
        if samples is None:
            self.queued = False
            return
        sound = pygame.mixer.Sound(buffer=samples.tobytes())
        with self.owner._lock:
            if self.owner._stop.is_set():
                return
            if busy:
                channel.queue(sound)
            else:
                channel.play(sound)
        self.queued = busy
        self.last_seconds = len(samples) / self.fmt.rate
        self.runs_out += self.last_seconds
        self.owner.chunks += 1

    # --- cutting chunks on the playhead ----------------------------------------------------------

    def _chunk(self, playhead: float) -> np.ndarray | None:
        """``CHUNK_SECONDS`` of sound for the playhead time ``playhead``; None: nothing left to play."""
        rate = self.fmt.rate
        if self.cursor is None or abs(self.cursor - playhead) > RESYNC_SECONDS:
            if self.cursor is not None:
                self.owner.resyncs += 1
            self._move_to(playhead)
        assert self.cursor is not None
        n = round(CHUNK_SECONDS * rate)
        end = self.cursor + n / rate
        self._decode_until(end + AHEAD_SECONDS)
        if self.ended and not self.segments:
            self.cursor = None  # played out: nothing to keep in step with any more
            return None
        out = np.zeros((n, self.fmt.channels), np.int16)
        for start, samples in self.segments:
            first = round((start - self.cursor) * rate)
            lo, hi = max(0, first), min(n, first + len(samples))
            if lo < hi:
                out[lo:hi] = samples[lo - first : hi - first]
        self.cursor = end
        while self.segments and self.segments[0][0] + len(self.segments[0][1]) / rate <= end:
            self.segments.popleft()
        return out

    def _move_to(self, playhead: float) -> None:
        """Start afresh at ``playhead``: decode on to it if it is near, else seek the file there."""
        self.cursor = playhead
        length = self.length
        if not self.owner.loop and length is not None and playhead >= length:
            self.segments.clear()
            self.ended = True  # past the end of a video that plays once: silence, no seek
            return
        # Kept sound from where the playhead is, or decoding that has got (or ended) about there.
        since = self.segments[0][0] if self.segments else self.decoded
        near = (
            since is not None and since - RESYNC_SECONDS <= playhead < (self.decoded or since) + SEEK_SECONDS
        )
        fresh = self.packets is None and not self.segments and playhead < SEEK_SECONDS and self.offset == 0
        if near or fresh:
            return  # decoding on (from the start, or from what is kept) reaches it soon enough
        self.owner.seeks += 1
        if self.owner.loop and length:
            self.offset = math.floor(playhead / length) * length
            local = playhead - self.offset
        else:
            self.offset, local = 0.0, playhead
        self.segments.clear()
        self.ended = False
        self.decoded = None
        self.resampler = self._resampler()
        base = self.stream.time_base
        if base is not None:  # to the packet at or before it; what comes before is cut in ``_chunk``
            self.container.seek(int((local + self.zero) / base), stream=self.stream)
        self.packets = None

    def _decode_until(self, until: float) -> None:
        """Decode until the sound reaches ``until`` (playhead time) or the file ends (for good)."""
        empty = 0
        rate = self.fmt.rate
        while not self.ended and not self.owner._stop.is_set():
            if self.segments and self.segments[-1][0] + len(self.segments[-1][1]) / rate >= until:
                return
            if self.packets is None:
                self.packets = iter(self.container.demux(self.stream))
            packet = next(self.packets, None)
            if packet is None or (packet.dts is None and packet.size == 0):
                if not self._round_again():
                    self.ended = True
                continue
            got = False
            for frame in packet.decode():
                for out in self.resampler.resample(frame):
                    got = self._add(out) or got
            empty = 0 if got else empty + 1
            if empty > MAX_EMPTY_PACKETS:
                raise av.error.InvalidDataError(0, "no sound in the packets")

    def _round_again(self) -> bool:
        """At the file's end: go round (a loop) and say True, or say False (played once)."""
        length = self.length
        if not self.owner.loop or not length:
            return False
        self.offset += length
        self.resampler = self._resampler()
        self.container.seek(self.stream.start_time or 0, stream=self.stream)
        self.packets = None
        return True

    def _add(self, frame: av.AudioFrame) -> bool:
        """Keep ``frame`` (resampled) as a segment on the playhead's time line; False if it had nothing."""
        rate = self.fmt.rate
        samples = frame.to_ndarray().reshape(-1, self.fmt.channels)
        if not len(samples) or frame.time is None:
            return False
        start = self.offset + float(frame.time) - self.zero
        length = self.length
        if self.owner.loop and length:
            # Sound past the picture's end would play over the next round's start: cut it.
            keep = max(0, round((self.offset + length - start) * rate))
            samples = samples[:keep]
            if not len(samples):
                return False
        if self.segments:
            last_start, last = self.segments[-1]
            last_end = last_start + len(last) / rate
            if abs(start - last_end) < 0.02:
                start = last_end  # the next samples: follow on exactly, no rounding gaps or clicks
        self.segments.append((start, np.ascontiguousarray(samples)))
        self.decoded = start + len(samples) / rate
        return True
