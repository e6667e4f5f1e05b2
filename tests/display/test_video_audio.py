"""A video's sound: a tone made here with PyAV, played through SDL's disk driver and read back.

The sound must come out (loud, at the tone's pitch), start where the
playhead is (a late join seeks), go round with a loop, stay on the playhead
when the clock jumps, stop when the scene stops telling its playhead or
closes it, and a file with no sound track must simply be silent.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from projector.display.video_audio import RESYNC_SECONDS, STALE_SECONDS, VideoAudio
from tests.sound import heard, loudness, pitch, samples, sounding
from tests.video_files import make_video

RATE = 48_000


@pytest.fixture(scope="module")
def tone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("tone") / "tone.mp4", seconds=2.0, tone=440)


def play(
    audio: VideoAudio, start: float, seconds: float, jump_at: float | None = None, jump: float = 0.0
) -> None:
    """Tell ``audio`` a playhead running in real time from ``start`` (as a scene on air does), at 60 Hz."""
    began = time.monotonic()
    while (elapsed := time.monotonic() - began) < seconds:
        shift = jump if jump_at is not None and elapsed >= jump_at else 0.0
        audio.follow(start + elapsed + shift)
        time.sleep(1 / 60)


def test_the_tone_is_heard_then_silence_when_it_ends(
    tone: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with heard(monkeypatch, tmp_path / "out.raw") as out:
        audio = VideoAudio(tone)
        play(audio, 0.0, 2.6)
        assert audio.muted is None and audio.seeks == 0
        audio.close()
    wave = samples(out)
    on = sounding(wave)
    assert on.any(), "no sound came out"
    first, last = int(np.argmax(on)), len(on) - 1 - int(np.argmax(on[::-1]))
    heard_for = (last - first + 1) * 0.02
    assert 1.8 <= heard_for <= 2.1, f"heard for {heard_for:.2f} s of a 2 s tone"
    middle = wave[(first + 10) * 960 : (first + 60) * 960]
    assert 0.3 < loudness(middle) < 0.4  # the tone's half scale, not a crackle
    assert abs(pitch(middle) - 440) < 5
    assert on[first:last].mean() > 0.97  # no gaps while it plays
    assert not on[last + 5 :].any()  # played once: silence after the end


def test_a_late_join_seeks_and_a_loop_goes_round_without_a_gap(
    tone: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with heard(monkeypatch, tmp_path / "out.raw") as out:
        audio = VideoAudio(tone, loop=True)
        play(audio, 5.3, 1.6)  # 1.3 s into the third round, then round again at 6.0
        assert audio.seeks == 1 and audio.muted is None
        audio.close()
    on = sounding(samples(out))
    first = int(np.argmax(on))
    assert on[first : first + 70].mean() > 0.9, "the loop went quiet"


def test_a_clock_jump_brings_the_sound_back_onto_the_playhead(
    tone: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with heard(monkeypatch, tmp_path / "out.raw") as out:
        audio = VideoAudio(tone)
        play(audio, 0.0, 2.3, jump_at=0.5, jump=0.4)  # the server's clock steps 0.4 s on
        # Over 80 ms: cut back onto it (a seek is allowed too: on a loaded machine the thread
        # may start late enough that its first chunk already had to seek).
        assert audio.resyncs + audio.seeks >= 1
        audio.close()
    on = sounding(samples(out))
    first, last = int(np.argmax(on)), len(on) - 1 - int(np.argmax(on[::-1]))
    heard_for = (last - first + 1) * 0.02
    # The 0.4 s the playhead skipped were skipped in the sound too: it ends with the picture.
    assert 2.0 - 0.4 - 2 * RESYNC_SECONDS <= heard_for <= 2.0 - 0.4 + RESYNC_SECONDS, heard_for


def test_a_file_with_no_sound_track_is_silent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    quiet = make_video(tmp_path / "quiet.mp4", seconds=1.0)
    with heard(monkeypatch, tmp_path / "out.raw") as out:
        audio = VideoAudio(quiet)
        play(audio, 0.0, 0.5)
        assert audio.muted == "the file has no sound" and audio.chunks == 0
        audio.close()
    assert not sounding(samples(out)).any()


def test_sound_stops_when_the_playhead_goes_untold_and_at_once_on_close(
    tone: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with heard(monkeypatch, tmp_path / "out.raw") as out:
        audio = VideoAudio(tone, loop=True)
        play(audio, 0.0, 0.6)
        time.sleep(STALE_SECONDS + 0.6)  # the scene left the air without closing: silence
        stale_chunks = audio.chunks
        time.sleep(0.3)
        assert audio.chunks == stale_chunks
        play(audio, 1.7, 0.5)  # back on air: sound again, on the playhead
        assert audio.chunks > stale_chunks
        audio.close()
        assert not audio.playing
        closed_chunks = audio.chunks
        time.sleep(0.3)
        assert audio.chunks == closed_chunks
    on = sounding(samples(out))
    first = int(np.argmax(on))
    # About 0.6 s of sound, a pause of STALE_SECONDS + 0.6 s or so, then 0.5 s more.
    runs = np.flatnonzero(np.diff(on[first:].astype(int)))
    assert len(runs) >= 2, "the sound never paused"
    pause = (runs[1] - runs[0]) * 0.02
    assert pause > 0.5, f"paused only {pause:.2f} s"
