"""A display's outputs: slices of one canvas, a mapping and a pattern each, mappings from the server
(a bad one refused, the last good kept, the fault reported), a stage that fails falling back to the
identity instead of black, the keyboard calibration, the OpenGL path and several windows."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pygame
import pytest
from websockets.asyncio.server import ServerConnection

from projector.core.calibration import OutputSpec, parse_outputs, single_output
from projector.core.mapping import OutputMapping, parse_mapping
from projector.core.protocol import MappingFrame, PatternFrame, Status, Thumbnail, ThumbnailRequest
from projector.core.wire import encode
from projector.display import DisplayOptions
from projector.display.app import DisplayApp
from projector.display.frame_info import FrameInfo
from projector.display.options import add_display_arguments, options_from_args
from projector.display.output.mode import OutputMode
from projector.display.output.output_stage import SoftwareOutput
from projector.display.output.outputs import MAPPINGS_FILE, OutputSet
from projector.display.run import run_display
from tests.display.fake_server import FakeServer
from tests.display.output.output_checks import checkerboard, rgb
from tests.display.screens import sample_state
from tests.display.test_link import snapshot

ROOT = Path(__file__).resolve().parents[3]
W, H = 320, 180
TWO = "left@0:0,0,320x180;right@1:240,0,320x180"  # an 80 px overlap; canvas 560x180
WINDOW = [[60.0, 40.0], [140.0, 40.0], [140.0, 120.0], [60.0, 120.0]]  # a "window" mask
PIN = [[30.0, 20.0], [300.0, 5.0], [315.0, 175.0], [10.0, 160.0]]
CTRL_SHIFT = pygame.KMOD_LCTRL | pygame.KMOD_LSHIFT


def mapping(name: str, size: tuple[int, int] = (W, H), **wire: object) -> OutputMapping:
    return parse_mapping({"name": name, "size": list(size), **wire})


def png(path: Path) -> np.ndarray:
    return rgb(pygame.image.load(str(path)))


def key(k: int, mod: int = 0) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=k, mod=mod))


# --- slices and mappings ---------------------------------------------------------------------------


def test_each_output_shows_its_own_slice_of_one_canvas(tmp_path: Path) -> None:
    """Two outputs draw the same pixels as one wide output would, each its slice."""
    wide, split = tmp_path / "wide", tmp_path / "split"
    common = dict(state=sample_state(), mode=OutputMode.HEADLESS, frames=2, media=None, scene="totals")
    assert run_display(DisplayOptions(out=wide, size=(560, 180), **common)) == 0  # type: ignore[arg-type]
    assert run_display(DisplayOptions(out=split, outputs=parse_outputs(TWO), **common)) == 0  # type: ignore[arg-type]
    assert sorted(p.name for p in split.iterdir()) == [
        "frame-00001-left.png",
        "frame-00001-right.png",
        "frame-00002-left.png",
        "frame-00002-right.png",
    ]
    canvas = png(wide / "frame-00002.png")
    assert (png(split / "frame-00002-left.png") == canvas[:, 0:320]).all()
    assert (png(split / "frame-00002-right.png") == canvas[:, 240:560]).all()
    assert canvas[:, 240:320].max() > 100  # the overlap is lit in both: the blend's job


def test_each_output_has_its_own_mapping() -> None:
    outputs = OutputSet.open(parse_outputs(TWO), mode=OutputMode.HEADLESS)
    assert outputs.path == "software" and "headless" in outputs.choice.reason
    assert outputs.set_mapping("left", mapping("left", masks=[WINDOW])) is None
    assert outputs.set_mapping("right", mapping("right", corners=PIN, blend={"left": 80})) is None
    canvas = checkerboard((560, 180), 20)
    outputs.render(canvas)
    left, right = rgb(outputs.picture("left")), rgb(outputs.picture("right"))  # type: ignore[arg-type]
    assert left[41:119, 61:139].max() == 0  # the window stays dark
    assert (left[:, 150:] == rgb(canvas)[:, 150:320]).all()  # the rest is the slice as it is
    expected = pygame.Surface((W, H)).convert()
    SoftwareOutput((W, H), mapping("right", corners=PIN, blend={"left": 80})).render(
        canvas.subsurface((240, 0, W, H)), expected
    )
    assert (right == rgb(expected)).all()
    outputs.close()


def test_a_mapping_for_another_resolution_is_refused_and_the_last_good_one_kept() -> None:
    outputs = OutputSet.open(single_output((W, H)), mode=OutputMode.HEADLESS)
    good = mapping("main", corners=PIN)
    assert outputs.set_mapping("main", good) is None
    reason = outputs.set_mapping("main", mapping("main", (640, 360)))
    assert reason is not None and "640x360" in reason and "320x180" in reason
    assert outputs.outputs[0].mapping == good
    assert outputs.set_mapping("nowhere", None) is not None
    assert "640x360" in (outputs.take_error() or "") and outputs.take_error() is None
    outputs.close()


def test_a_failing_stage_falls_back_to_the_identity_never_black(monkeypatch: pytest.MonkeyPatch) -> None:
    outputs = OutputSet.open(single_output((W, H)), mode=OutputMode.HEADLESS)
    outputs.set_mapping("main", mapping("main", corners=PIN))
    stage = outputs.outputs[0].stage
    real = SoftwareOutput.render
    calls = []

    def broken(self: SoftwareOutput, scene: pygame.Surface, target: pygame.Surface) -> None:
        calls.append(self.mapping)
        if len(calls) == 1:
            raise RuntimeError("simulated OpenCV fault")
        real(self, scene, target)

    monkeypatch.setattr(SoftwareOutput, "render", broken)
    canvas = checkerboard((W, H), 20)
    outputs.render(canvas)
    assert (rgb(outputs.picture()) == rgb(canvas)).all()  # type: ignore[arg-type]
    assert stage.mapping.corners == ((0.0, 0.0), (320.0, 0.0), (320.0, 180.0), (0.0, 180.0))
    assert "simulated OpenCV fault" in (outputs.take_error() or "")
    outputs.close()


def test_the_scene_is_drawn_straight_on_the_output_until_there_is_something_to_do(tmp_path: Path) -> None:
    outputs = OutputSet.open(single_output((W, H)), mode=OutputMode.HEADLESS, keep_dir=tmp_path)
    target = outputs.outputs[0].target
    assert outputs.surface() is target  # the identity: no copy at all
    outputs.set_mapping("main", mapping("main", corners=PIN))
    assert outputs.surface() is not target
    outputs.set_mapping("main", None)
    outputs.set_pattern("main", "grid")
    assert outputs.surface() is not target
    outputs.set_pattern("main", None)
    assert outputs.surface() is target
    # Mappings are kept in the cache folder for a start with no server.
    outputs.set_mapping("main", mapping("main", corners=PIN))
    assert (tmp_path / MAPPINGS_FILE).exists()
    again = OutputSet.open(single_output((W, H)), mode=OutputMode.HEADLESS, keep_dir=tmp_path)
    assert again.outputs[0].mapping.corners == mapping("main", corners=PIN).corners
    # ... but not one made for another size.
    other = OutputSet.open(single_output((640, 360)), mode=OutputMode.HEADLESS, keep_dir=tmp_path)
    assert other.outputs[0].mapping.size == (640, 360) and other.take_error()


def test_patterns_are_drawn_through_the_mapping() -> None:
    outputs = OutputSet.open(single_output((W, H)), mode=OutputMode.HEADLESS)
    outputs.set_mapping("main", mapping("main", masks=[WINDOW]))
    outputs.set_pattern("main", "crosshatch")
    blank = pygame.Surface((W, H)).convert()
    outputs.render(outputs.surface())
    picture = rgb(outputs.picture())  # type: ignore[arg-type]
    assert picture.max() == 255 and picture[41:119, 61:139].max() == 0
    outputs.set_pattern("main", None)
    outputs.render(blank)
    assert rgb(outputs.picture()).max() == 0  # type: ignore[arg-type]


# --- from the server -------------------------------------------------------------------------------


def test_the_server_sets_mappings_and_patterns_and_hears_refusals_and_pictures(tmp_path: Path) -> None:
    good = mapping("main", masks=[WINDOW])

    async def script(ws: ServerConnection, n: int) -> None:
        await ws.send(snapshot(1000, 1))
        await ws.send(encode(MappingFrame("main", good)))
        await ws.send(encode(PatternFrame("main", "crosshatch")))
        await asyncio.sleep(0.3)
        await ws.send(encode(MappingFrame("main", mapping("main", (640, 360)))))  # another resolution
        await asyncio.sleep(0.3)
        await ws.send(encode(ThumbnailRequest(160, "main")))
        await ws.wait_closed()

    server = FakeServer(script).start()
    seen: list[FrameInfo] = []

    def on_frame(info: FrameInfo) -> bool:
        seen.append(info)
        done = any(isinstance(f, Thumbnail) for f in server.received) and any(
            isinstance(f, Status) and f.error for f in server.received
        )
        return done or len(seen) > 600

    app = DisplayApp(
        DisplayOptions(
            server=server.url,
            token="t",
            name="facade",
            mode=OutputMode.HEADLESS,
            realtime=True,
            size=(W, H),
            out=tmp_path,
            on_frame=on_frame,
            status_interval=0.1,
            media=None,
        )
    )
    try:
        assert app.run() == 0
    finally:
        server.stop()
    assert app.outputs is not None and app.outputs.outputs[0].mapping == good  # the last good one
    statuses = [f for f in server.received if isinstance(f, Status)]
    assert statuses[0].output_path == "software" and statuses[0].output_reason
    errors = [s.error for s in statuses if s.error]
    assert errors and "640x360" in errors[0] and "last good one kept" in errors[0]
    thumbnail = next(f for f in server.received if isinstance(f, Thumbnail))
    assert thumbnail.output == "main"
    last = png(tmp_path / f"frame-{seen[-1].index:05d}.png")
    assert last.max() == 255 and last[41:119, 61:139].max() == 0  # the crosshatch, masked


# --- the keyboard calibration ------------------------------------------------------------------------


def _calibrate(keys: list[tuple[int, int]], tmp_path: Path) -> tuple[DisplayApp, FakeServer, list[FrameInfo]]:
    """A connected headless display; at frame 3, Ctrl+Shift+M, then one key a frame."""

    async def script(ws: ServerConnection, n: int) -> None:
        await ws.send(snapshot(1000, 1))
        await ws.wait_closed()

    server = FakeServer(script).start()
    seen: list[FrameInfo] = []
    pending = [(pygame.K_m, CTRL_SHIFT), *keys]
    app: DisplayApp

    def on_frame(info: FrameInfo) -> bool:
        seen.append(info)
        if info.index >= 3 and pending and info.connected:
            key(*pending.pop(0))
        return (not pending and info.index > 3 + len(keys) + 3) or info.index > 600

    app = DisplayApp(
        DisplayOptions(
            server=server.url,
            token="t",
            name="facade",
            mode=OutputMode.HEADLESS,
            realtime=True,
            size=(W, H),
            out=tmp_path,
            on_frame=on_frame,
            media=None,
        )
    )
    try:
        assert app.run() == 0
        server.wait_for(lambda: any(isinstance(f, MappingFrame) for f in server.received), 1.0)
    finally:
        server.stop()
    return app, server, seen


def test_keyboard_calibration_moves_a_corner_and_sends_the_result(tmp_path: Path) -> None:
    keys = [
        (pygame.K_TAB, 0),  # top-right
        (pygame.K_LEFT, pygame.KMOD_LSHIFT),  # 10 px
        (pygame.K_LEFT, pygame.KMOD_LSHIFT),
        (pygame.K_DOWN, 0),  # 1 px
        (pygame.K_p, 0),  # the next pattern
        (pygame.K_RETURN, 0),
    ]
    app, server, seen = _calibrate(keys, tmp_path)
    sent = [f for f in server.received if isinstance(f, MappingFrame)]
    assert len(sent) == 1 and sent[0].output == "main" and sent[0].mapping is not None
    assert sent[0].mapping.corners[1] == (300.0, 1.0)
    assert app.outputs is not None and app.outputs.outputs[0].mapping == sent[0].mapping
    assert app.outputs.calibration is None
    # While calibrating the projector showed the crosshatch through the mapping being made;
    # afterwards the show again, pinned to the new corner (right of x=300 at the top is dark).
    during = png(tmp_path / f"frame-{seen[5].index:05d}.png")
    after = png(tmp_path / f"frame-{seen[-1].index:05d}.png")
    assert during.max() == 255
    assert after[0:1, 302:].max() == 0


def test_keyboard_calibration_refuses_a_crossed_quad_and_escape_restores(tmp_path: Path) -> None:
    # Bottom-right corner dragged 200 px up: past the top edge the quad would cross itself.
    keys = [(pygame.K_TAB, 0), (pygame.K_TAB, 0)] + [(pygame.K_UP, pygame.KMOD_LSHIFT)] * 20
    messages: list[str] = []
    original = DisplayApp._events

    def spy(self: DisplayApp) -> None:
        original(self)
        if self.outputs is not None and self.outputs.calibration is not None:
            messages.append(self.outputs.calibration.message)

    mp = pytest.MonkeyPatch()
    mp.setattr(DisplayApp, "_events", spy)
    try:
        app, server, _ = _calibrate([*keys, (pygame.K_ESCAPE, 0)], tmp_path)
    finally:
        mp.undo()
    assert any(m.startswith("refused: corners") for m in messages)
    assert app.outputs is not None and app.outputs.outputs[0].mapping.corners[2] == (320.0, 180.0)
    assert not [f for f in server.received if isinstance(f, MappingFrame)]


# --- the OpenGL path, several windows ----------------------------------------------------------------


def test_the_opengl_path_headless_warps_masks_and_reports_itself(tmp_path: Path) -> None:
    keep = tmp_path / "cache"
    keep.mkdir()
    (keep / MAPPINGS_FILE).write_text(
        '{"main": {"name": "main", "size": [320, 180], "masks": [[[60, 40], [140, 40], [140, 120], [60, 120]]]}}'
    )
    app = DisplayApp(
        DisplayOptions(
            state=sample_state(),
            mode=OutputMode.HEADLESS,
            frames=2,
            out=tmp_path / "out",
            size=(W, H),
            media=None,
            output_path="opengl",
            cache=keep,
        )
    )
    assert app.run() == 0
    assert app.outputs is not None and app.outputs.path == "opengl"
    picture = png(tmp_path / "out" / "frame-00002.png")
    assert picture.max() > 200 and picture[41:119, 61:139].max() == 0


def test_several_windows_open_one_per_output() -> None:
    outputs = OutputSet.open(parse_outputs(TWO), mode=OutputMode.WINDOW)
    try:
        assert [o.window is not None for o in outputs.outputs] == [True, True]
        assert [o.target.get_size() for o in outputs.outputs] == [(W, H), (W, H)]  # type: ignore[union-attr]
        outputs.set_mapping("right", mapping("right", corners=PIN))
        outputs.render(checkerboard((560, 180), 20))
        outputs.present()
        assert rgb(outputs.picture("left")).max() == 255  # type: ignore[arg-type]
    finally:
        outputs.close()


def test_an_opengl_window_runs_the_display(tmp_path: Path) -> None:
    """A real OpenGL window (SDL's offscreen driver over EGL, llvmpipe where there is no GPU)."""
    script = textwrap.dedent(
        f"""
        import os, sys
        os.environ["SDL_VIDEODRIVER"] = "offscreen"
        sys.path.insert(0, {str(ROOT)!r})
        import pygame
        from projector.display import DisplayOptions, OutputMode
        from projector.display.app import DisplayApp
        from tests.display.screens import sample_state
        lit = []
        def on_frame(info):
            # The panel's picture of a GL window: drawn again, since a swapped buffer is empty.
            lit.append(int(pygame.surfarray.array3d(app.outputs.picture()).max()))
        app = DisplayApp(DisplayOptions(state=sample_state(), mode=OutputMode.WINDOW, size=(320, 180), frames=3,
                                        fps=240, media=None, output_path="opengl", on_frame=on_frame))
        code = app.run()
        print("PATH", app.outputs.path, app.frames_drawn, code, min(lit))
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "SDL_VIDEODRIVER"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert "PATH opengl 3 0 255" in done.stdout, done.stdout + done.stderr


def test_forcing_opengl_with_several_outputs_uses_software_and_says_why() -> None:
    outputs = OutputSet.open(
        (OutputSpec("a", 0, (0, 0, W, H)), OutputSpec("b", 0, (W, 0, W, H))),
        preference="opengl",
        mode=OutputMode.HEADLESS,
    )
    assert outputs.path == "software" and "2 outputs" in outputs.choice.reason
    outputs.close()


def test_the_command_line_takes_outputs_and_a_path() -> None:
    parser = argparse.ArgumentParser()
    add_display_arguments(parser)
    opts = options_from_args(parser.parse_args(["--outputs", TWO, "--output-path", "software"]))
    assert opts.output_path == "software" and [o.name for o in opts.outputs or ()] == ["left", "right"]
    assert options_from_args(parser.parse_args([])).output_path == "auto"
    with pytest.raises(SystemExit):
        parser.parse_args(["--outputs", "left:0,0,10x10"])  # too small: argparse says why and exits
    with pytest.raises(SystemExit):
        parser.parse_args(["--output-path", "vulkan"])
