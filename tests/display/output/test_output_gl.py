"""The OpenGL output stage, for real, on a standalone EGL context (Mesa's llvmpipe where there is no GPU).

These tests do not skip: a machine that cannot make an EGL context fails them
with the packages to install (CI installs them, see .ci/run).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np
import pygame
import pytest

from projector.core.mapping import OutputMapping, identity_mapping, parse_mapping, regular_mesh
from projector.core.model import ValidationError
from projector.display.output.output_gl import (
    GL_PACKAGES_HINT,
    GLOutput,
    GLProbe,
    OutputUnavailable,
    choose_output,
    decide_output,
    mesh_vertices,
    probe_gl,
)
from projector.display.output.output_stage import SoftwareOutput
from tests.display.output import output_checks as checks
from tests.display.output.output_checks import OUT, STRONG_PIN, mapping, rgb, solid

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def stage() -> Iterator[GLOutput]:
    try:
        gl = GLOutput.offscreen(OUT)
    except OutputUnavailable as exc:
        pytest.fail(f"the OpenGL output stage needs an EGL context: {exc}", pytrace=False)
    yield gl
    gl.release()


@pytest.fixture
def show(stage: GLOutput) -> checks.Show:
    def render(m: OutputMapping, scene: pygame.Surface) -> np.ndarray:
        stage.set_mapping(m)
        stage.render(scene)
        return rgb(stage.snapshot())

    return render


def software(m: OutputMapping, scene: pygame.Surface) -> np.ndarray:
    target = solid(OUT, (0, 0, 0))
    SoftwareOutput(OUT, m).render(scene, target)
    return rgb(target)


def test_a_strong_corner_pin_keeps_lines_straight_and_in_place(show: checks.Show) -> None:
    checks.check_lines_stay_straight(show, mapping(corners=STRONG_PIN), OUT)
    checks.check_lines_stay_straight(show, mapping(corners=STRONG_PIN), (480, 280))


def test_an_affine_mesh_keeps_lines_straight(show: checks.Show) -> None:
    mesh = [[[0.1 + 0.8 * u, 0.05 + 0.9 * v] for u, v in row] for row in regular_mesh(4, 3)]
    checks.check_lines_stay_straight(show, mapping(corners=STRONG_PIN, mesh=mesh), OUT)


def test_a_bent_mesh_puts_scene_points_where_warp_point_says(show: checks.Show) -> None:
    checks.check_mesh_points_land(show, mapping(corners=STRONG_PIN, mesh=checks.bent_mesh()), OUT)


def test_masks_are_black_inside(show: checks.Show) -> None:
    checks.check_masks_are_black(show)
    checks.check_masks_are_black(show, STRONG_PIN)


def test_the_blend_ramp_follows_blend_gain(show: checks.Show) -> None:
    checks.check_blend_ramp(show)


def test_brightness_and_black_level(show: checks.Show) -> None:
    checks.check_brightness_and_black_level(show)


def test_identity_is_pixel_exact(show: checks.Show) -> None:
    rng = np.random.default_rng(2)
    scene = pygame.Surface(OUT).convert()
    pygame.surfarray.blit_array(scene, rng.integers(0, 256, (OUT[0], OUT[1], 3), dtype=np.uint8))
    assert np.array_equal(show(identity_mapping("id", OUT), scene), rgb(scene))


def test_a_scene_in_another_pixel_format_keeps_its_colours(show: checks.Show) -> None:
    for flags in (0, pygame.SRCALPHA):
        scene = pygame.Surface(OUT, flags, 32)
        scene.fill((200, 30, 90))
        assert tuple(show(mapping(corners=STRONG_PIN), scene)[180, 320]) == (200, 30, 90)


def test_software_and_opengl_agree_on_a_corner_pin(show: checks.Show) -> None:
    m = mapping(
        corners=STRONG_PIN,
        masks=[[list(p) for p in checks.MASKS[0]]],
        blend={"left": 80, "right": 60, "gamma": [1.8, 2.2, 2.6]},
        brightness=0.9,
        black_level=0.05,
    )
    smooth = checks.smooth_scene(OUT)
    diff = np.abs(show(m, smooth).astype(int) - software(m, smooth).astype(int))
    assert diff.mean() < 0.3 and np.percentile(diff, 99.5) <= 3, (diff.mean(), np.percentile(diff, 99.5))
    # Hard edges: the two samplers may put an edge pixel a level or two apart, never a square apart.
    board = checks.checkerboard(OUT, 20)
    diff = np.abs(show(m, board).astype(int) - software(m, board).astype(int))
    assert (diff > 64).mean() < 0.01


def test_software_and_opengl_agree_on_a_bent_mesh(show: checks.Show) -> None:
    m = mapping(corners=STRONG_PIN, mesh=checks.bent_mesh())
    smooth = checks.smooth_scene(OUT)
    diff = np.abs(show(m, smooth).astype(int) - software(m, smooth).astype(int))
    assert diff.mean() < 0.5 and np.percentile(diff, 99) <= 4, (diff.mean(), np.percentile(diff, 99))


def test_a_mapping_for_another_resolution_is_refused_and_the_last_one_kept(
    stage: GLOutput, show: checks.Show
) -> None:
    scene = checks.smooth_scene(OUT)
    before = show(mapping(corners=STRONG_PIN), scene)
    other = parse_mapping({"name": "big", "size": [1280, 720], "blend": {"left": 100}})
    with pytest.raises(ValidationError) as caught:
        stage.set_mapping(other)
    assert caught.value.field == "size" and "1280x720" in caught.value.message
    stage.render(scene)
    assert np.array_equal(rgb(stage.snapshot()), before)


def test_a_pure_corner_pin_is_two_triangles_and_a_mesh_is_fine() -> None:
    vertices, indices = mesh_vertices(mapping(corners=STRONG_PIN))
    assert vertices.shape == (4, 6) and indices.size == 6
    vertices, indices = mesh_vertices(mapping(corners=STRONG_PIN, mesh=checks.bent_mesh()))
    assert indices.size // 6 >= 64 * 64
    assert (vertices[:, 3] > 0).all()  # every vertex in front: w > 0


def probe(available: bool, renderer: str = "", reason: str = "") -> GLProbe:
    return GLProbe(available, renderer, reason or renderer)


def test_auto_picks_opengl_only_on_a_gpu() -> None:
    gpu = decide_output("auto", lambda: probe(True, "NVIDIA GeForce RTX 3060/PCIe/SSE2"))
    assert gpu.path == "opengl" and "NVIDIA" in gpu.reason
    for renderer in ("llvmpipe (LLVM 15.0.6, 256 bits)", "softpipe", "Mesa swrast"):

        def software(renderer: str = renderer) -> GLProbe:
            return probe(True, renderer)

        choice = decide_output("auto", software)
        assert choice.path == "software" and "software rasteriser" in choice.reason
    none = decide_output("auto", lambda: probe(False, reason="libEGL.so.1: cannot open shared object"))
    assert none.path == "software" and "libEGL" in none.reason
    assert choose_output("software", lambda: pytest.fail("software needs no probe")) == "software"


def test_forcing_opengl_without_a_context_is_a_clear_error() -> None:
    with pytest.raises(OutputUnavailable) as caught:
        decide_output("opengl", lambda: probe(False, reason="eglInitialize failed"))
    assert "eglInitialize failed" in str(caught.value) and "libegl-mesa0" in str(caught.value)
    forced = decide_output("opengl", lambda: probe(True, "llvmpipe"))
    assert forced.path == "opengl" and "slower" in forced.reason
    with pytest.raises(ValueError):
        decide_output("vulkan")


def test_this_machine_can_make_a_context() -> None:
    found = probe_gl()
    assert found.available, f"no OpenGL context ({found.reason}); {GL_PACKAGES_HINT}"
    expected = "software" if found.software else "opengl"
    assert choose_output("auto") == expected


def test_it_draws_into_a_pygame_opengl_window() -> None:
    # SDL's offscreen driver makes real EGL windows with no display server; a subprocess,
    # because this one's pygame already runs the dummy driver.
    script = textwrap.dedent(
        """
        import os, sys
        os.environ["SDL_VIDEODRIVER"] = "offscreen"
        import numpy as np, pygame
        from projector.core.mapping import parse_mapping
        from projector.display.output.output_gl import GLOutput, request_gl_attributes
        from projector.display.output.output_stage import SoftwareOutput
        pygame.display.init()
        request_gl_attributes()
        pygame.display.set_mode((320, 180), pygame.OPENGL | pygame.DOUBLEBUF)
        m = parse_mapping({"name": "w", "size": [320, 180],
                           "corners": [[30, 10], [300, 20], [310, 170], [5, 150]], "blend": {"left": 40}})
        stage = GLOutput.for_window(m)
        scene = pygame.Surface((320, 180), 0, 32)
        scene.fill((250, 120, 30))
        stage.render(scene)
        got = pygame.surfarray.array3d(stage.snapshot()).astype(int)
        pygame.display.flip()
        target = pygame.Surface((320, 180), 0, 32)
        SoftwareOutput((320, 180), m).render(scene, target)
        want = pygame.surfarray.array3d(target).astype(int)
        diff = np.abs(got - want)
        print("renderer", stage.renderer, "mean", diff.mean(), "centre", got[160, 90].tolist())
        sys.exit(0 if diff.mean() < 1.0 and got[160, 90].tolist() == [250, 120, 30] else 1)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env, cwd=ROOT
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr[-2000:]}\n{GL_PACKAGES_HINT}"
