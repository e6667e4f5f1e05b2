"""The video scene: a video made here with PyAV, played from a real media cache through a real director.

Frames must move (successive frames differ), start on the cue's server time
on every display of a group (the same frame at the same server time), seek
for a display that joins late, and leave the last good frame on screen when
the file ends or breaks, without ever stalling the frame loop. Sound (heard
through SDL's disk driver) only when the cue asks and the display allows it,
and never at the picture's expense.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pygame
import pytest

from projector.core.cues import BUILTIN_SCENES, parse_show
from projector.core.state import Go, LoadShow, SetBlackout, ShowState, reduce
from projector.display import audio_out
from projector.display.assets import Assets
from projector.display.director import Director
from projector.display.media_cache import MediaCache
from scenes.video import VideoScene
from tests.display.screens import make_assets, sample_state
from tests.sound import heard, loudness, pitch, samples, sounding
from tests.video_files import make_video

SIZE = (320, 180)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("clip") / "bars.mp4", size=(320, 180), seconds=2.0, fps=30)


def cached(tmp_path: Path, source: Path) -> tuple[MediaCache, str]:
    """A real media cache with ``source`` already in it (as a previous run left it), checked."""
    media_hash = hashlib.sha256(source.read_bytes()).hexdigest()
    (tmp_path / "cache" / "media").mkdir(parents=True)
    shutil.copy(source, tmp_path / "cache" / "media" / media_hash)
    cache = MediaCache(tmp_path / "cache")
    deadline = time.monotonic() + 10
    while cache.path(media_hash) is None:
        assert time.monotonic() < deadline, "the cache never checked the file"
        time.sleep(0.01)
    return cache, media_hash


@pytest.fixture
def media(tmp_path: Path, clip: Path) -> Iterator[tuple[Assets, str]]:
    cache, media_hash = cached(tmp_path, clip)
    assets = make_assets(SIZE)
    assets.media_cache = cache
    yield assets, media_hash
    cache.close()


def settle(scene: VideoScene, playhead: float, timeout: float = 10.0) -> None:
    """Wait (in the test, never in the scene) until the decoder has the frame due at ``playhead``."""
    decoder = scene._decoder
    deadline = time.monotonic() + timeout
    while decoder is not None and not decoder.ended and decoder.error is None:
        ready = decoder.buffered_until
        if ready is not None and ready >= playhead:
            return
        assert time.monotonic() < deadline, "the decoder never caught up"
        time.sleep(0.002)


def pixels(surface: pygame.Surface) -> bytes:
    return bytes(pygame.image.tobytes(surface, "RGB"))


def test_a_video_plays_with_motion_then_holds_its_last_frame(media: tuple[Assets, str]) -> None:
    assets, media_hash = media
    scene = VideoScene()
    scene.enter(ShowState(), assets, {"media": media_hash})
    surface = pygame.Surface(SIZE)
    shown: list[bytes] = []
    for i in range(75):  # two and a half seconds of a two-second video, at 30 fps
        settle(scene, (i + 1) / 30)
        scene.update(ShowState(), 1 / 30)
        scene.draw(surface)
        shown.append(pixels(surface))
    moving = shown[:58]
    changes = sum(1 for a, b in itertools.pairwise(moving) if a != b)
    assert changes >= 50, f"only {changes} of {len(moving) - 1} frames changed"
    assert scene.finished and not scene.holding
    assert shown[-1] == shown[-10] and shown[-1] != shown[0]  # the last frame stays
    assert any(surface.get_at((x, 90))[:3] != (0, 0, 0) for x in range(0, 320, 16))  # not black


def test_the_same_server_time_shows_the_same_frame_on_every_display_and_a_late_one_seeks(
    media: tuple[Assets, str], tmp_path: Path
) -> None:
    assets, media_hash = media
    other = make_assets(SIZE)
    other.media_cache = assets.media_cache
    start = 1000.0
    scenes = []
    for a in (assets, other):
        a.cue_at, a.server_now = start, start
        scene = VideoScene()
        scene.enter(ShowState(), a, {"media": media_hash})
        scenes.append(scene)
    out = [pygame.Surface(SIZE), pygame.Surface(SIZE)]
    at_one_and_a_half = b""
    for i in range(1, 50):
        now = start + i / 30
        for a, scene, surface in zip((assets, other), scenes, out, strict=True):
            a.server_now = now
            settle(scene, now - start)
            scene.update(ShowState(), 1 / 30)
            scene.draw(surface)
        assert pixels(out[0]) == pixels(out[1]), f"the displays differ at frame {i}"
        if i == 45:
            at_one_and_a_half = pixels(out[0])
    # A display rebooted mid-video: its first frame is where the group is, not the video's start.
    late = make_assets(SIZE)
    late.media_cache = assets.media_cache
    late.cue_at, late.server_now = start, start + 1.5
    scene = VideoScene()
    scene.enter(ShowState(), late, {"media": media_hash})
    scene.update(ShowState(), 1 / 30)  # seeks
    settle(scene, 1.5)
    scene.update(ShowState(), 1 / 30)
    assert scene.playhead == pytest.approx(1.5)
    surface = pygame.Surface(SIZE)
    scene.draw(surface)
    assert pixels(surface) == at_one_and_a_half
    # Only frames near the join were scaled; those before it were passed over.
    assert scene._decoder is not None and scene._decoder.decoded <= 10 and scene._decoder.skipped >= 30


def test_a_broken_file_leaves_the_last_good_frame_and_never_stalls(tmp_path: Path) -> None:
    whole = make_video(tmp_path / "whole.webm", codec="libvpx-vp9", container="webm", seconds=2.0)
    data = whole.read_bytes()
    (tmp_path / "cut.webm").write_bytes(data[: len(data) // 2] + b"\x00garbage" * 500)
    cache, media_hash = cached(tmp_path, tmp_path / "cut.webm")
    try:
        assets = make_assets(SIZE)
        assets.media_cache = cache
        scene = VideoScene()
        scene.enter(ShowState(), assets, {"media": media_hash})
        surface = pygame.Surface(SIZE)
        slowest = 0.0
        for i in range(90):
            if i < 20:
                settle(scene, (i + 1) / 30)
            began = time.perf_counter()
            scene.update(ShowState(), 1 / 30)
            scene.draw(surface)
            slowest = max(slowest, time.perf_counter() - began)
            time.sleep(0.005)
        # A stall is the frame loop waiting on the decoder (a second or more); a shared CI core
        # may preempt one frame for tens of milliseconds, which is not what this looks for.
        assert slowest < 0.2, f"a frame took {slowest * 1000:.0f} ms"
        assert scene.finished  # ended (or failed) early: nothing more will come
        assert any(surface.get_at((x, 90))[:3] != (0, 0, 0) for x in range(0, 320, 16))  # not black
    finally:
        cache.close()


def test_a_video_not_yet_downloaded_shows_a_mark_not_black_and_starts_when_it_arrives(
    tmp_path: Path, clip: Path
) -> None:
    (tmp_path / "empty").mkdir()
    cache = MediaCache(tmp_path / "empty")
    try:
        assets = make_assets(SIZE)
        assets.media_cache = cache
        scene = VideoScene()
        media_hash = hashlib.sha256(clip.read_bytes()).hexdigest()
        scene.enter(ShowState(), assets, {"media": media_hash})
        surface = pygame.Surface(SIZE)
        scene.update(ShowState(), 1 / 30)
        scene.draw(surface)
        assert scene._decoder is None
        assert surface.get_at((SIZE[0] // 2, SIZE[1] // 2))[:3] != (0, 0, 0)
    finally:
        cache.close()


def test_fit_contain_letterboxes_and_cover_fills(media: tuple[Assets, str]) -> None:
    assets, media_hash = media
    tall = make_assets((180, 320))
    tall.media_cache = assets.media_cache
    for fit, bars in (("contain", True), ("cover", False)):
        scene = VideoScene()
        scene.enter(ShowState(), tall, {"media": media_hash, "fit": fit})
        settle(scene, 1 / 30)
        scene.update(ShowState(), 1 / 30)
        surface = pygame.Surface((180, 320))
        scene.draw(surface)
        assert (surface.get_at((90, 5))[:3] == (0, 0, 0)) is bars, fit


def test_the_director_gives_the_cue_start_and_a_rotation_waits_for_the_end(media: tuple[Assets, str]) -> None:
    assets, media_hash = media
    show = parse_show(
        {
            "id": "night",
            "cues": [
                {
                    "id": "film",
                    "scene": "video",
                    "params": {"media": media_hash},
                    "hold": "end",
                    "transition": "cut",
                },
                {"id": "after", "scene": "totals"},
            ],
        },
        BUILTIN_SCENES,
    )
    state, _ = reduce(sample_state(), LoadShow(show), 0.0)
    state, _ = reduce(state, Go(at=500.0), 499.0)
    d = Director(assets, rotation=60)
    d.server_now = 499.5
    d.update(state, 1 / 60)
    d.server_now = 500.0
    d.update(state, 1 / 60)
    assert d.scene_name == "video" and assets.cue_at == 500.0
    d.server_now = 500.5
    d.update(state, 1 / 60)
    assert isinstance(d.scene, VideoScene) and d.scene.playhead == pytest.approx(0.5)
    # In a rotation (no show), a video that plays once keeps the rotation until it ends.
    rotation = Director(assets, rotation=1.0, pinned="video", pinned_params={"media": media_hash})
    rotation.update(sample_state(), 1 / 60)
    scene = rotation.scene
    assert isinstance(scene, VideoScene)
    for _ in range(90):
        settle(scene, scene.playhead + 1 / 30)
        rotation.update(sample_state(), 1 / 30)
        if scene.finished:
            break
        assert scene.holding
    assert scene.finished and not scene.holding


# --- sound --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def toned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(
        tmp_path_factory.mktemp("toned") / "toned.mp4", size=SIZE, seconds=1.5, fps=30, tone=440
    )


def on_air(scene: VideoScene, seconds: float) -> int:
    """Run ``scene`` in real time at 30 fps, as a display would; how many frames differed from the last."""
    surface = pygame.Surface(SIZE)
    last, changes = b"", 0
    began = time.monotonic()
    for i in range(round(seconds * 30)):
        scene.update(ShowState(), 1 / 30)
        scene.draw(surface)
        shown = pixels(surface)
        changes += shown != last
        last = shown
        time.sleep(max(0.0, began + (i + 1) / 30 - time.monotonic()))
    return changes


def sounding_scene(
    tmp_path: Path, source: Path, params: dict[str, object], allowed: bool = True
) -> tuple[VideoScene, MediaCache]:
    cache, media_hash = cached(tmp_path, source)
    assets = make_assets(SIZE)
    assets.media_cache = cache
    assets.audio = allowed
    scene = VideoScene()
    scene.enter(ShowState(), assets, {"media": media_hash, **params})
    return scene, cache


@pytest.mark.parametrize("audio", [True, False])
def test_audio_true_is_heard_and_the_default_is_muted(
    audio: bool, toned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    params: dict[str, object] = {"audio": True} if audio else {}
    with heard(monkeypatch, tmp_path / "out.raw") as out:
        scene, cache = sounding_scene(tmp_path, toned, params)
        try:
            assert on_air(scene, 1.2) >= 12  # the picture moves either way (a third: CI's cores are shared)
        finally:
            del scene
            cache.close()
    wave = samples(out)
    if audio:
        on = sounding(wave)
        assert on.sum() * 0.02 > 0.9, "the tone was not heard"
        tone = wave[: len(on) * 960][on.repeat(960)]  # the 20 ms windows that sounded
        assert 0.3 < loudness(tone) < 0.4 and abs(pitch(tone) - 440) < 5
    else:
        assert len(wave) == 0  # muted: the device was never even opened


def test_a_display_that_refuses_sound_plays_the_picture_muted(
    toned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with heard(monkeypatch, tmp_path / "out.raw") as out:
        scene, cache = sounding_scene(tmp_path, toned, {"audio": True}, allowed=False)
        try:
            assert on_air(scene, 0.6) >= 6
            assert scene._audio is None
        finally:
            del scene
            cache.close()
    assert len(samples(out)) == 0


def test_a_video_with_no_sound_track_plays_with_audio_true(
    clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with heard(monkeypatch, tmp_path / "out.raw") as out:
        scene, cache = sounding_scene(tmp_path, clip, {"audio": True})
        try:
            assert on_air(scene, 0.8) >= 8
            assert scene._audio is not None and scene._audio.muted == "the file has no sound"
        finally:
            del scene
            cache.close()
    assert not sounding(samples(out)).any()


def test_a_sound_device_that_cannot_open_is_one_log_line_and_the_frames_go_on(
    toned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with heard(monkeypatch, tmp_path / "out.raw", driver="no-such-driver"), caplog.at_level(logging.INFO):
        scene, cache = sounding_scene(tmp_path, toned, {"audio": True})
        try:
            began = time.perf_counter()
            assert on_air(scene, 0.8) >= 8  # the frames advance, on time
            assert time.perf_counter() - began < 2.0
            assert scene._audio is not None and scene._audio.muted == "no audio output"
        finally:
            del scene
            cache.close()
    lines = [r for r in caplog.records if r.name == audio_out.__name__]
    assert len(lines) == 1 and "no audio output" in lines[0].getMessage()


def test_the_sound_stops_when_the_cue_leaves(
    toned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, media_hash = cached(tmp_path, toned)
    assets = make_assets(SIZE)
    assets.media_cache = cache
    assets.audio = True
    show = parse_show(
        {
            "id": "night",
            "cues": [
                {
                    "id": "film",
                    "scene": "video",
                    "params": {"media": media_hash, "audio": True},
                    "transition": "cut",
                }
            ],
        },
        BUILTIN_SCENES,
    )
    with heard(monkeypatch, tmp_path / "out.raw"):
        state, _ = reduce(sample_state(), LoadShow(show), 0.0)
        start = time.time()
        state, _ = reduce(state, Go(at=start), start)
        d = Director(assets, rotation=60)
        for _ in range(30):  # a second on air, in real time, on the server's clock
            d.server_now = time.time()
            d.update(state, 1 / 30)
            time.sleep(1 / 30)
        scene = d.scene
        assert isinstance(scene, VideoScene) and scene._audio is not None
        audio = scene._audio
        assert audio.playing and audio.chunks >= 5
        del scene
        state, _ = reduce(state, SetBlackout(on=True), time.time())
        d.server_now = time.time()
        d.update(state, 1 / 30)
        assert d.scene_name == "blackout"
        assert not audio.playing  # closed on the blackout's frame
        time.sleep(0.1)
        assert audio_out._mixer.claimed == set()  # and its channel silenced and handed back
    cache.close()
