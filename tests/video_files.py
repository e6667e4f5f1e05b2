"""Videos made in the tests themselves, with PyAV: moving colour bars, in any size, length and codec, and a tone."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

TONE_RATE = 48_000


def bars(width: int, height: int, i: int) -> np.ndarray:
    """Colour bars that slide right by a few pixels a frame, and a grey level that climbs: every frame differs."""
    x = (np.arange(width) + 7 * i) % width
    band = (x * 8 // max(1, width)).astype(np.uint8)
    palette = np.array(
        [
            [255, 255, 255],
            [255, 221, 0],
            [0, 200, 200],
            [0, 200, 0],
            [200, 0, 200],
            [200, 0, 0],
            [0, 0, 200],
            [0, 0, 0],
        ],
        np.uint8,
    )
    frame = np.repeat(palette[band][np.newaxis, :, :], height, axis=0)
    frame[: max(1, height // 8), :, :] = (i * 9) % 256
    return frame


def make_video(
    path: Path,
    *,
    size: tuple[int, int] = (320, 180),
    seconds: float = 2.0,
    fps: int = 30,
    codec: str = "libx264",
    container: str | None = None,
    frames: int | None = None,
    step: int = 1,
    metadata: dict[str, str] | None = None,
    tone: float | None = None,
    tone_seconds: float | None = None,
) -> Path:
    """Write ``seconds`` of moving bars; ``frames`` and ``step`` (pts between frames) make odd timings.

    ``tone`` (Hz) adds an AAC sound track of that sine, ``tone_seconds`` long (default: as the bars).
    """
    width, height = size
    count = frames if frames is not None else max(1, round(seconds * fps))
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=fps)
        assert isinstance(stream, av.video.stream.VideoStream)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, fps)
        if codec == "libx264":
            stream.options = {"preset": "ultrafast", "tune": "zerolatency"}
        # Every stream before the first packet: the header is written with the first one.
        sound = out.add_stream("aac", rate=TONE_RATE, layout="stereo") if tone is not None else None
        for key, value in (metadata or {}).items():
            out.metadata[key] = value
        for i in range(count):
            frame = av.VideoFrame.from_ndarray(bars(width, height, i), format="rgb24")
            frame.pts = i * step
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
        if sound is not None and tone is not None:
            add_tone(out, sound, tone, tone_seconds if tone_seconds is not None else count / fps)
    return path


def add_tone(out: av.container.OutputContainer, stream: av.AudioStream, hz: float, seconds: float) -> None:
    """Encode a sine at ``hz``, half loud, ``seconds`` long, into ``stream`` (the muxer interleaves it)."""
    rate = TONE_RATE
    total = round(seconds * rate)
    step = 1024  # AAC's frame size
    for first in range(0, total, step):
        n = min(step, total - first)
        t = (np.arange(first, first + n) / rate).astype(np.float32)
        wave = (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(np.stack([wave, wave]), format="fltp", layout="stereo")
        frame.sample_rate = rate
        frame.pts = first
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
