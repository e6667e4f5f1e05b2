"""What a display made heard: SDL's ``disk`` audio driver writes the mixed output to a file.

SDL's disk driver plays in real time, like a sound card, but into
``SDL_DISKAUDIOFILE`` (raw samples in the mixer's format: 48 kHz, int16,
stereo); the tests read it back to see that sound came out, and which.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from projector.display import audio_out
from projector.display.audio_out import CHANNELS, RATE


@contextmanager
def heard(monkeypatch: pytest.MonkeyPatch, path: Path, driver: str = "disk") -> Iterator[Path]:
    """A mixer that opens on SDL's ``driver`` (writing to ``path``) the next time a cue asks for sound."""
    audio_out.close_mixer()
    monkeypatch.setenv("SDL_AUDIODRIVER", driver)
    monkeypatch.setenv("SDL_DISKAUDIOFILE", str(path))
    try:
        yield path
    finally:
        audio_out.close_mixer()  # closes (and so flushes) the file


def samples(path: Path) -> np.ndarray:
    """The left channel as floats (empty: nothing was ever played, the device never opened)."""
    if not path.exists():
        return np.zeros(0)
    raw = np.fromfile(path, np.int16)
    return raw[: len(raw) // CHANNELS * CHANNELS].reshape(-1, CHANNELS)[:, 0].astype(np.float64)


def loudness(wave: np.ndarray) -> float:
    """Root mean square, as a fraction of full scale (a sine at half scale: 0.354)."""
    return float(np.sqrt(np.mean(wave**2)) / 32768) if len(wave) else 0.0


def pitch(wave: np.ndarray) -> float:
    """The strongest frequency in ``wave``, in Hz."""
    spectrum = np.abs(np.fft.rfft(wave * np.hanning(len(wave))))
    return float(np.fft.rfftfreq(len(wave), 1 / RATE)[int(np.argmax(spectrum))])


def sounding(wave: np.ndarray, window: float = 0.02) -> np.ndarray:
    """For each ``window`` seconds of ``wave``: whether something was heard in it."""
    n = round(window * RATE)
    count = len(wave) // n
    if not count:
        return np.zeros(0, bool)
    blocks = wave[: count * n].reshape(count, n)
    heard: np.ndarray = np.sqrt(np.mean(blocks**2, axis=1)) / 32768 > 0.05
    return heard
