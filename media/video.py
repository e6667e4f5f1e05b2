"""Campaign videos: an untrusted upload in, a checked, metadata-free video file out.

A video reaches the server as it reaches a picture: from a laptop or a phone,
renamed, half copied, or not a video at all, and it will play on a public
building. So it is checked by its content (never its name), with PyAV (FFmpeg):

- the container is sniffed from its first bytes and the demuxer is then
  *named* (MP4/QuickTime or Matroska/WebM only), so a playlist, a concat
  script or any of FFmpeg's other formats never reaches a parser that would
  open further files or URLs; an MP4 whose data references point outside the
  file (``dref`` entries that are not self-contained) is refused as well,
  and FFmpeg is told not to follow such references anyway;
- the video codec must be one displays decode well (H.264, HEVC, VP8, VP9, AV1);
- the picture size (4K) and the running time (30 minutes, configurable) are
  capped from the headers, before a packet is read, and the running time
  again from the packets themselves (a header can lie);
- the whole file is read packet by packet, and the first picture decoded: a
  file that stops halfway through (its packets end well before its declared
  length), or whose pictures cannot be decoded, is refused as truncated.

The packets are then copied (no re-encoding, so no quality lost and seconds,
not minutes) into a new file with no metadata: a phone video's GPS position,
device and owner never leave the server. Only the first video stream and,
where the container takes it, the first audio stream are kept. Every refusal
is a :class:`media.pipeline.MediaError` whose reason names what was wrong.
"""

from __future__ import annotations

import contextlib
import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import av
import av.error

from media.pipeline import MediaError, _describe_content

__all__ = [
    "VIDEO_CODECS",
    "VideoInfo",
    "VideoLimits",
    "clean_video",
    "sniff_container",
]

#: Video codecs displays decode (FFmpeg's names), and how an error message names them.
VIDEO_CODECS = {"h264": "H.264", "hevc": "HEVC", "vp8": "VP8", "vp9": "VP9", "av1": "AV1"}
#: Audio codecs kept in each output container (audio is kept for later; displays play muted).
_AUDIO_FOR = {
    "mp4": frozenset({"aac", "mp3", "opus", "ac3", "eac3", "flac", "alac"}),
    "webm": frozenset({"opus", "vorbis"}),
    "matroska": frozenset({"aac", "mp3", "opus", "vorbis", "ac3", "eac3", "flac"}),
}
#: Codecs a WebM file may carry; anything else in a Matroska file stays Matroska.
_WEBM_VIDEO = frozenset({"vp8", "vp9", "av1"})
#: The demuxers a video may be read with (FFmpeg's names), by what the first bytes say.
_DEMUXERS = {"mov": "mov,mp4,m4a,3gp,3g2,mj2", "matroska": "matroska,webm"}
#: Told to the MP4 demuxer: never open a file a data reference names (off by default; said anyway).
_OPEN_OPTIONS = {"enable_drefs": "0", "use_absolute_path": "0"}
#: Boxes of an MP4 that hold further boxes, on the way to its data references.
_MP4_CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"dinf"})
#: The first box types of an MP4/QuickTime file (``ftyp`` in any recent one).
_MP4_FIRST = frozenset({b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot"})
#: Tags muxers write about the file itself, not about a person, a place or a device.
_TECHNICAL_TAGS = frozenset(
    {"major_brand", "minor_version", "compatible_brands", "encoder", "handler_name", "vendor_id", "language"}
    | {"duration", "DURATION", "ENCODER", "creation_time"}
)
_EBML = b"\x1a\x45\xdf\xa3"
_MIME = {"mp4": "video/mp4", "webm": "video/webm", "matroska": "video/x-matroska"}


@dataclass(frozen=True)
class VideoLimits:
    """What a stored video may be: the server's ``video_max_*`` settings."""

    #: Running time. 30 minutes is a long campaign film; a night's loop is minutes.
    max_seconds: float = 30 * 60.0
    #: Picture size: a 4K frame (DCI 4096x2160 or UHD 3840x2160, either way up).
    max_side: int = 4096
    max_pixels: int = 4096 * 2160
    #: File size, in bytes: 4K H.264 at 20 Mbit/s for 30 minutes is 4.5 GB; 2 GiB covers 1080p at
    #: that length and 4K for ten minutes. Displays keep their copy in their media cache.
    max_bytes: int = 2 * 1024**3


@dataclass(frozen=True)
class VideoInfo:
    """A stored video: what the displays will be given."""

    mime: str
    width: int
    height: int
    #: Running time of its pictures, from the packets (not the header).
    seconds: float
    fps: float
    codec: str
    #: What changed, in words for the operator ("metadata removed", "audio track dropped").
    notes: tuple[str, ...]


def sniff_container(head: bytes, label: Path) -> str:
    """The demuxer for a file that starts with ``head`` ("mov" or "matroska"), or a MediaError saying why not."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"#extm3u") or b"#ext-x-" in text:
        raise MediaError(
            label,
            "a playlist (HLS/M3U) that points at other files or network addresses; upload the video file",
        )
    if text.startswith(
        (b"ffconcat", b"file ", b"<?xml", b"<mpd", b"[playlist]", b"<asx", b"rtsp://", b"http")
    ):
        raise MediaError(label, "a playlist or address list, not a video file; upload the video file itself")
    if head.startswith(_EBML):
        return "matroska"
    if head[4:8] in _MP4_FIRST:
        brand = head[8:12]
        if head[4:8] == b"ftyp" and brand in (b"heic", b"heix", b"mif1", b"msf1", b"avif"):
            raise MediaError(
                label, f"not a video (a still picture, {brand.decode()}); upload it as a picture"
            )
        return "mov"
    raise MediaError(label, f"not a video (looks like {_describe_content(head)}); use MP4, MOV, WebM or MKV")


def clean_video(source: Path, target: Path, label: Path, limits: VideoLimits = VideoLimits()) -> VideoInfo:
    """Check the video in ``source`` and write it, packets copied and metadata dropped, to ``target``.

    Blocking (reads the whole file): call it off the event loop. ``label`` names
    the file in messages. On any refusal ``target`` is removed and a
    :class:`MediaError` says why.
    """
    size = source.stat().st_size
    if size == 0:
        raise MediaError(label, "empty file (0 bytes)")
    if size > limits.max_bytes:
        raise MediaError(label, f"{size:,} bytes exceeds the {limits.max_bytes:,} byte video limit")
    with source.open("rb") as f:
        demuxer = sniff_container(f.read(64), label)
        if demuxer == "mov" and _external_reference(f, size):
            raise MediaError(
                label,
                "refers to media data outside the file (an external or network data reference);"
                " export a self-contained video",
            )
    try:
        return _remux(source, target, label, demuxer, limits)
    except BaseException:
        with contextlib.suppress(OSError):
            target.unlink()
        raise


def _remux(source: Path, target: Path, label: Path, demuxer: str, limits: VideoLimits) -> VideoInfo:
    try:
        inp = av.open(str(source), format=demuxer, options=_OPEN_OPTIONS)
    except av.error.FFmpegError as exc:
        raise MediaError(label, f"truncated or damaged video ({_ffmpeg_reason(exc)})") from None
    with inp:
        if inp.format.name not in (demuxer, _DEMUXERS[demuxer]):  # pragma: no cover - it was named
            raise MediaError(label, f"unsupported container {inp.format.name}")
        if not inp.streams.video:
            raise MediaError(label, "no video stream in the file (an audio file?)")
        video = inp.streams.video[0]
        codec = video.codec_context.name
        width, height = video.codec_context.width, video.codec_context.height
        if width < 1 or height < 1:
            raise MediaError(label, "the video stream has no picture size (damaged header)")
        if max(width, height) > limits.max_side or width * height > limits.max_pixels:
            raise MediaError(
                label,
                f"{width}x{height} pixels exceeds the 4K limit ({limits.max_side} pixels a side at most)",
            )
        if codec not in VIDEO_CODECS:
            names = ", ".join(VIDEO_CODECS.values())
            raise MediaError(label, f"unsupported video codec {codec}; use {names}")
        declared = _declared_seconds(inp, video)
        if declared is not None and declared > limits.max_seconds:
            raise MediaError(label, f"{_clock(declared)} long exceeds the {_clock(limits.max_seconds)} limit")
        audio = inp.streams.audio[0] if inp.streams.audio else None
        container = demuxer if demuxer == "matroska" else "mp4"
        if (
            container == "matroska"
            and codec in _WEBM_VIDEO
            and (audio is None or audio.codec_context.name in _AUDIO_FOR["webm"])
        ):
            container = "webm"
        notes: list[str] = []
        if audio is not None and audio.codec_context.name not in _AUDIO_FOR[container]:
            notes.append(f"audio track ({audio.codec_context.name}) dropped: not playable in {container}")
            audio = None
        dropped = len(inp.streams) - 1 - (audio is not None)
        if dropped > 0:
            notes.append(f"{dropped} other stream(s) dropped (second tracks, subtitles, data)")
        if any(set(m) - _TECHNICAL_TAGS for m in (inp.metadata, *(s.metadata for s in inp.streams))):
            notes.append("metadata removed (location, device, dates, titles)")
        options = {"movflags": "+faststart"} if container == "mp4" else {}
        with av.open(str(target), "w", format=container, options=options) as out:
            seconds = _copy(inp, out, video, audio, label, declared, limits)
    fps = float(video.average_rate) if video.average_rate else 0.0
    return VideoInfo(_MIME[container], width, height, seconds, fps, codec, tuple(notes))


def _copy(
    inp: av.container.InputContainer,
    out: av.container.OutputContainer,
    video: av.video.stream.VideoStream,
    audio: av.audio.stream.AudioStream | None,
    label: Path,
    declared: float | None,
    limits: VideoLimits,
) -> float:
    """Copy the kept streams' packets, measuring the pictures' running time and decoding the first."""
    out_video = out.add_stream_from_template(video)
    out_audio = out.add_stream_from_template(audio) if audio is not None else None
    for stream in (out_video, out_audio):
        if stream is not None:
            stream.metadata.clear()
    out.metadata.clear()
    tb = video.time_base or Fraction(1, 90000)
    first: int | None = None
    end: int | None = None
    pictures = 0
    decoded = False
    kept = [video] if audio is None else [video, audio]
    try:
        for packet in inp.demux(kept):
            if packet.dts is None and packet.pts is None:
                continue  # the demuxer's end-of-stream marker
            if packet.stream is video:
                pictures += 1
                pts = packet.pts if packet.pts is not None else packet.dts
                assert pts is not None
                first = pts if first is None else min(first, pts)
                end = max(end or pts, pts + (packet.duration or 0))
                if float((end - first) * tb) > limits.max_seconds:
                    raise MediaError(
                        label, f"longer than the {_clock(limits.max_seconds)} limit (its packets say so)"
                    )
                if not decoded:
                    decoded = bool(video.codec_context.decode(packet))
                packet.stream = out_video
            else:
                assert out_audio is not None
                packet.stream = out_audio
            out.mux(packet)
        if not decoded:
            decoded = bool(video.codec_context.decode(None))  # a decoder with a delay: drain it
    except av.error.FFmpegError as exc:
        raise MediaError(label, f"truncated or damaged video ({_ffmpeg_reason(exc)})") from None
    if pictures == 0 or first is None or end is None:
        raise MediaError(label, "no pictures in the video stream (truncated?)")
    if not decoded:
        raise MediaError(
            label, f"its pictures cannot be decoded ({VIDEO_CODECS[video.codec_context.name]} damaged)"
        )
    seconds = float((end - first) * tb)
    if declared is not None and seconds < declared - max(0.25, 0.02 * declared):
        raise MediaError(
            label, f"truncated: its pictures stop at {seconds:.1f} s of the {declared:.1f} s it declares"
        )
    return seconds


def _declared_seconds(inp: av.container.InputContainer, video: av.video.stream.VideoStream) -> float | None:
    """The running time the headers claim (the stream's, else the container's), or None."""
    if video.duration is not None and video.time_base is not None and video.duration > 0:
        return float(video.duration * video.time_base)
    if inp.duration is not None and inp.duration > 0:
        return inp.duration / 1_000_000
    return None


def _clock(seconds: float) -> str:
    """``2:05:00`` or ``30:00``: lengths as people say them."""
    total = math.floor(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _ffmpeg_reason(exc: av.error.FFmpegError) -> str:
    """FFmpeg's own words, without the file path it adds."""
    return str(getattr(exc, "strerror", None) or exc).strip() or type(exc).__name__


# --- MP4 data references ------------------------------------------------------------------------


def _boxes(f: BinaryIO, start: int, stop: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, body start, body end) of each box between ``start`` and ``stop``; stops at a bad size."""
    pos = start
    while pos + 8 <= stop:
        f.seek(pos)
        header = f.read(8)
        if len(header) < 8:
            return
        size, kind = struct.unpack(">I4s", header)
        body = pos + 8
        if size == 1:
            large = f.read(8)
            if len(large) < 8:
                return
            size = struct.unpack(">Q", large)[0]
            body = pos + 16
        elif size == 0:
            size = stop - pos
        if size < body - pos or pos + size > stop:
            return  # damaged or cut: FFmpeg says what is wrong with it
        yield kind, body, pos + size
        pos += size


def _external_reference(f: BinaryIO, stop: int, start: int = 0, depth: int = 0) -> bool:
    """True when any track's data reference (``dref``) is not "in this file" (flag 1).

    A data reference may name another file or a URL that holds the samples;
    FFmpeg follows them only when asked to, and this server never asks, but
    a video that needs them would play wrong or not at all on a facade.
    """
    if depth > 6:
        return False
    for kind, body, end in _boxes(f, start, stop):
        if kind in _MP4_CONTAINERS and _external_reference(f, end, body, depth + 1):
            return True
        if kind == b"dref":
            f.seek(body + 8)  # version and flags, entry count
            for _entry, entry_body, _entry_end in _boxes(f, body + 8, end):
                f.seek(entry_body)
                flags = f.read(4)
                if len(flags) < 4 or not flags[3] & 1:
                    return True
    return False
