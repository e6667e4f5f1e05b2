"""Videos made in the tests themselves, with PyAV: moving colour bars, in any size, length and codec."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


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
) -> Path:
    """Write ``seconds`` of moving bars; ``frames`` and ``step`` (pts between frames) make odd timings."""
    width, height = size
    count = frames if frames is not None else max(1, round(seconds * fps))
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, fps)
        if codec == "libx264":
            stream.options = {"preset": "ultrafast", "tune": "zerolatency"}
        for key, value in (metadata or {}).items():
            out.metadata[key] = value
        for i in range(count):
            frame = av.VideoFrame.from_ndarray(bars(width, height, i), format="rgb24")
            frame.pts = i * step
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path
