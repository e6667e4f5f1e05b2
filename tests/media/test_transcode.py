"""Display-friendly copies: H.264, scaled to fit 1080p or 4K either way up, a keyframe a second, progress."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from media.pipeline import MediaError
from media.transcode import TRANSCODES, _fit, transcode, transcodes_for
from tests.video_files import make_video


def test_which_videos_get_copies() -> None:
    assert transcodes_for("h264", 1920, 1080) == []
    assert transcodes_for("h264", 1080, 1920) == []  # a tower at 1080p is fine as it is
    assert [t.name for t in transcodes_for("vp9", 1280, 720)] == ["h264-1080"]
    assert [t.name for t in transcodes_for("hevc", 3840, 2160)] == ["h264-1080", "h264-2160"]
    assert [t.name for t in transcodes_for("h264", 3840, 2160)] == ["h264-1080"]


def test_sizes_fit_either_way_up_and_never_grow() -> None:
    assert _fit(3840, 2160, (1920, 1080)) == (1920, 1080)
    assert _fit(2160, 3840, (1920, 1080)) == (1080, 1920)
    assert _fit(640, 360, (1920, 1080)) == (640, 360)
    assert _fit(4096, 1716, (1920, 1080)) == (1920, 804)


def test_a_vp9_video_becomes_h264_with_a_keyframe_every_second(tmp_path: Path) -> None:
    source = make_video(
        tmp_path / "a.webm", codec="libvpx-vp9", container="webm", seconds=2.5, size=(640, 360)
    )
    heard: list[float] = []
    transcode(source, tmp_path / "out.mp4", TRANSCODES["h264-1080"], heard.append)
    assert heard[-1] == 1.0 and len(heard) > 10 and heard == sorted(heard)
    with av.open(str(tmp_path / "out.mp4")) as out:
        stream = out.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.codec_context.width, stream.codec_context.height) == (640, 360)
        keys = [float(p.pts * p.time_base) for p in out.demux(stream) if p.is_keyframe and p.pts is not None]
    assert keys[:3] == pytest.approx([0.0, 1.0, 2.0], abs=0.05)


def test_a_stop_removes_the_half_made_copy(tmp_path: Path) -> None:
    source = make_video(tmp_path / "a.mp4", seconds=1.0)
    with pytest.raises(MediaError, match="stopped"):
        transcode(source, tmp_path / "out.mp4", TRANSCODES["h264-1080"], should_stop=lambda: True)
    assert not (tmp_path / "out.mp4").exists()
