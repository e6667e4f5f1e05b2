"""The display's sound output: pygame's mixer, opened only when a cue first asks for sound.

Most shows are silent, and many venues have no sound card, a sound server
that is not running, or a rule that nothing may be heard: so nothing here
runs at start. The first video cue with ``audio = true`` opens the mixer
(from its audio thread, never the frame loop: a sound server can take a
while to answer or not answer at all). A device that cannot open is logged
once, in one line, and every video plays muted from then on; nothing is
retried on every cue.

The mixer runs at one fixed format (48 kHz, signed 16-bit, stereo) that SDL
converts to whatever the device wants (``allowedchanges=0``), so the video
side resamples every file to the same thing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pygame

log = logging.getLogger(__name__)

RATE = 48_000
CHANNELS = 2
#: Samples per device period: 21 ms at 48 kHz, the sound's latency from queue to speaker.
DEVICE_BUFFER = 1024
#: At most this many videos sound at once (a crossfade between two is the usual case).
MIXER_CHANNELS = 8


@dataclass(frozen=True, slots=True)
class MixerFormat:
    """What every chunk handed to the mixer is: ``rate`` samples a second of ``channels`` int16 each."""

    rate: int = RATE
    channels: int = CHANNELS

    @property
    def latency(self) -> float:
        """Seconds between a chunk starting in the mixer and it reaching the device's output."""
        return DEVICE_BUFFER / self.rate


class _Mixer:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tried = False
        self.format: MixerFormat | None = None
        self.claimed: set[int] = set()


_mixer = _Mixer()


def open_mixer() -> MixerFormat | None:
    """Open the mixer the first time (blocking: call it off the frame loop); None: no sound here."""
    with _mixer.lock:
        if not _mixer.tried:
            _mixer.tried = True
            try:
                pygame.mixer.init(RATE, -16, CHANNELS, DEVICE_BUFFER, allowedchanges=0)
                pygame.mixer.set_num_channels(MIXER_CHANNELS)
                _mixer.format = MixerFormat()
                log.info("audio output open (%s, 48 kHz stereo)", pygame.mixer.get_driver())
            except (pygame.error, OSError, ValueError) as exc:
                log.warning("no audio output (%s); videos play muted", str(exc).strip() or type(exc).__name__)
        return _mixer.format


def claim_channel() -> int | None:
    """A mixer channel of its own for one video (None: all taken, that video plays muted)."""
    with _mixer.lock:
        if _mixer.format is None:
            return None
        for number in range(MIXER_CHANNELS):
            if number not in _mixer.claimed:
                _mixer.claimed.add(number)
                return number
    return None


def release_channel(number: int) -> None:
    """Silence channel ``number`` now and hand it back."""
    with _mixer.lock:
        if _mixer.format is not None:
            pygame.mixer.Channel(number).stop()
        _mixer.claimed.discard(number)


@contextmanager
def mixer() -> Iterator[bool]:
    """Hold the mixer open while using it: True if it is open (a video's thread calls pygame's mixer
    only inside this, so that closing the device never pulls it out from under a call: that crashes)."""
    with _mixer.lock:
        yield _mixer.format is not None


def close_mixer() -> None:
    """Close the device, so that the next cue with sound opens it again (tests; a display's exit)."""
    with _mixer.lock:
        if _mixer.format is not None:
            pygame.mixer.quit()
        _mixer.tried = False
        _mixer.format = None
        _mixer.claimed.clear()
