"""Display-friendly copies of uploaded videos: H.264 at 1080p and 4K, made in the background.

Every display PC decodes H.264 well, often in hardware; HEVC, VP9 and AV1 at 4K
are another matter on a small box behind a projector. So a video that is not
already H.264 within 1080p gets an H.264 copy at 1080p (and, when it is
larger than 1080p, one at 4K too): the same pictures, scaled to fit, with a
keyframe every second (a display that joins a cue late seeks to within a
second of where its group is) and the audio copied when MP4 can carry it.
Each copy is stored by its own hash like any upload, so an operator cues it
by that hash and displays fetch and check it the same way.

Blocking and CPU-heavy (minutes for a long 4K film): the server runs one at a
time on a worker thread, reporting progress as a fraction of the running time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error

from media.pipeline import MediaError
from media.video import _AUDIO_FOR

__all__ = ["TRANSCODES", "Transcode", "transcode", "transcodes_for"]


@dataclass(frozen=True)
class Transcode:
    """One display-friendly variant: its name and the box its pictures fit in."""

    name: str
    width: int
    height: int
    #: x264's constant quality: 20 looks like the source on a facade and keeps 1080p near 8 Mbit/s.
    crf: int = 20


TRANSCODES = {t.name: t for t in (Transcode("h264-1080", 1920, 1080), Transcode("h264-2160", 3840, 2160))}


def transcodes_for(codec: str, width: int, height: int) -> list[Transcode]:
    """The variants a video needs: none for H.264 within 1080p; 1080p for anything else; 4K too
    for a video larger than 1080p that is not H.264 already."""
    big = max(width, height) > 1920 or min(width, height) > 1080
    if codec == "h264" and not big:
        return []
    wanted = [TRANSCODES["h264-1080"]]
    if big and codec != "h264":
        wanted.append(TRANSCODES["h264-2160"])
    return wanted


def _fit(width: int, height: int, box: tuple[int, int]) -> tuple[int, int]:
    """Within ``box`` either way up (a tower's video stays a tower), never larger, even sides."""
    bw, bh = box if width >= height else (box[1], box[0])
    scale = min(1.0, bw / width, bh / height)
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def transcode(
    source: Path,
    target: Path,
    variant: Transcode,
    progress: Callable[[float], None] = lambda fraction: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Write ``variant`` of the (already checked) video ``source`` to ``target`` as MP4.

    ``progress`` hears the fraction done (by running time) now and then. Raises
    :class:`MediaError` when the source cannot be read to the end; ``target`` is
    then removed, as it is when ``should_stop`` asks to stop.
    """
    try:
        _transcode(source, target, variant, progress, should_stop)
    except av.error.FFmpegError as exc:
        with contextlib.suppress(OSError):
            target.unlink()
        raise MediaError(
            source.name, f"cannot be transcoded ({getattr(exc, 'strerror', None) or exc})"
        ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            target.unlink()
        raise


def _transcode(
    source: Path,
    target: Path,
    variant: Transcode,
    progress: Callable[[float], None],
    should_stop: Callable[[], bool],
) -> None:
    with av.open(str(source), options={"enable_drefs": "0"}) as inp:
        video = inp.streams.video[0]
        video.thread_type = "AUTO"
        audio = inp.streams.audio[0] if inp.streams.audio else None
        if audio is not None and audio.codec_context.name not in _AUDIO_FOR["mp4"]:
            audio = None
        rate = video.average_rate or Fraction(30)
        width, height = _fit(
            video.codec_context.width, video.codec_context.height, (variant.width, variant.height)
        )
        if video.duration and video.time_base:
            length = float(video.duration * video.time_base)
        else:  # Matroska keeps the length in the container only
            length = (inp.duration or 0) / 1_000_000
        with av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            encoder = out.add_stream("libx264", rate=rate)
            encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
            keyframes = max(1, round(float(rate)))
            encoder.options = {"preset": "veryfast", "crf": str(variant.crf), "g": str(keyframes)}
            copied = out.add_stream_from_template(audio) if audio is not None else None
            first = video.start_time or 0
            streams = [video] if audio is None else [video, audio]
            reported = -1.0
            for packet in inp.demux(streams):
                if should_stop():
                    raise MediaError(source.name, "transcode stopped")
                if packet.stream is audio and copied is not None:
                    if packet.dts is not None:
                        packet.stream = copied
                        out.mux(packet)
                    continue
                for frame in packet.decode():
                    if not isinstance(frame, av.VideoFrame):  # pragma: no cover - a video stream's frames
                        continue
                    scaled = frame.reformat(
                        width=width, height=height, format="yuv420p", interpolation="BICUBIC"
                    )
                    scaled.pts = frame.pts - first if frame.pts is not None else None
                    scaled.time_base = frame.time_base
                    for encoded in encoder.encode(scaled):
                        out.mux(encoded)
                    if length > 0 and frame.pts is not None and frame.time_base is not None:
                        done = min(1.0, float((frame.pts - first) * frame.time_base) / length)
                        if done - reported >= 0.01:
                            reported = done
                            progress(done)
            for encoded in encoder.encode():
                out.mux(encoded)
    progress(1.0)
