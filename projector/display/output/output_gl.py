"""The OpenGL output stage (moderngl): the same mapping as the software path, drawn by the GPU.

Each frame the scene surface is uploaded as a texture and drawn as a mesh of
triangles covering the warped picture; a fragment shader multiplies by a gain
texture (masks, edge blend and brightness, computed once per mapping by the
same code as the software path) and adds the black-level lift.

Why a mesh with homogeneous vertices rather than a per-pixel inverse in the
fragment shader: every vertex carries the corner-pin's ``w``, so the
rasteriser's perspective-correct interpolation makes the texture mapping
*exactly* projective (two triangles suffice for a pure corner-pin, with no
per-pixel division in the shader), and a mesh warp is the same vertex buffer,
only finer (bilinear cells have no closed-form per-pixel inverse a shader could
use cheaply). A new mapping is a new small vertex buffer and one gain texture
upload, so dragging a corner in the panel stays interactive.

Two ways to get a context:

* a pygame-ce window opened with ``pygame.OPENGL | pygame.DOUBLEBUF`` (after
  :func:`request_gl_attributes`), then :meth:`GLOutput.for_window`; the stage
  draws into the window's default framebuffer and the app calls
  ``pygame.display.flip()``. The scene is drawn on its own ``pygame.Surface``:
  an OpenGL window's display surface cannot be drawn on.
* :meth:`GLOutput.offscreen`: a standalone EGL context and an offscreen
  framebuffer, for tests and benchmarks (Mesa's llvmpipe works with no GPU).

:func:`choose_output` decides between this and the software path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pygame

from projector.core.mapping import (
    OutputMapping,
    identity_mapping,
    is_regular_mesh,
    mapping_homography,
    mesh_point,
    validate_mapping,
)
from projector.display.output.gl_probe import run_probe
from projector.display.output.output_stage import byte_order, gain_and_lift

log = logging.getLogger(__name__)

#: What to install when no context can be made (Debian / Ubuntu package names).
GL_PACKAGES_HINT = (
    "install Mesa's EGL and GL drivers (Debian/Ubuntu: apt-get install libegl1 libgl1 "
    "libegl-mesa0 libgl1-mesa-dri) and the moderngl Python package"
)
#: Renderer names of software rasterisers: GL that runs on the CPU, slower than the software path.
SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swrast", "software rasterizer", "lavapipe", "basic render")
#: Mesh warps are drawn with at least this many triangle strips a side.
MESH_SUBDIVISIONS = 64
OUTPUTS = ("auto", "software", "opengl")

VERTEX_SHADER = """
#version 330
in vec4 in_position;   // clip space, w = the corner-pin's w: perspective-correct st
in vec2 in_st;         // the scene point, normalised, (0, 0) = top-left
out vec2 st;
void main() {
    st = in_st;
    gl_Position = in_position;
}
"""

FRAGMENT_SHADER = """
#version 330
uniform sampler2D scene;
uniform sampler2D shade;  // rgb: gain, a: lift; uploaded bottom row first, like the framebuffer
in vec2 st;
out vec4 colour;
void main() {
    vec4 g = texelFetch(shade, ivec2(gl_FragCoord.xy), 0);
    colour = vec4(texture(scene, st).rgb * g.rgb + g.a, 1.0);
}
"""

LIFT_VERTEX_SHADER = """
#version 330
in vec2 in_position;
void main() { gl_Position = vec4(in_position, 0.0, 1.0); }
"""

LIFT_FRAGMENT_SHADER = """
#version 330
uniform sampler2D shade;
out vec4 colour;
void main() { colour = vec4(vec3(texelFetch(shade, ivec2(gl_FragCoord.xy), 0).a), 1.0); }
"""


class OutputUnavailable(RuntimeError):
    """The output path that was asked for cannot run on this machine."""


def request_gl_attributes() -> None:
    """Ask SDL for an OpenGL 3.3 core context; call before ``pygame.display.set_mode(..., OPENGL)``."""
    pygame.display.gl_set_attribute(pygame.GL_CONTEXT_MAJOR_VERSION, 3)
    pygame.display.gl_set_attribute(pygame.GL_CONTEXT_MINOR_VERSION, 3)
    pygame.display.gl_set_attribute(pygame.GL_CONTEXT_PROFILE_MASK, pygame.GL_CONTEXT_PROFILE_CORE)


def is_software_renderer(renderer: str) -> bool:
    name = renderer.lower()
    return any(s in name for s in SOFTWARE_RENDERERS)


def create_offscreen_context() -> Any:
    """A standalone OpenGL 3.3 context over EGL (no window, no display server).

    Raises :class:`OutputUnavailable` naming the packages to install when it
    cannot be made.
    """
    try:
        import moderngl

        make: Any = moderngl.create_standalone_context  # its stubs do not know the backend argument
        return make(backend="egl")
    except Exception as exc:  # ImportError, or glcontext's "libEGL not found" / "eglInitialize failed"
        raise OutputUnavailable(
            f"cannot create an OpenGL context over EGL ({exc}); {GL_PACKAGES_HINT}"
        ) from exc


class GLOutput:
    """The output stage on the GPU. One per output and GL context; the main thread owns it."""

    path = "opengl"

    def __init__(
        self,
        ctx: Any,
        size: tuple[int, int],
        mapping: OutputMapping | None = None,
        *,
        framebuffer: Any = None,
    ) -> None:
        import moderngl

        self.ctx = ctx
        self.size = (int(size[0]), int(size[1]))
        self._owns_context = False
        self._own_target: Any = None
        if framebuffer is None:
            # No window framebuffer: draw into a texture of the output's size.
            self._own_target = ctx.texture(self.size, 4)
            framebuffer = ctx.framebuffer(color_attachments=[self._own_target])
        self.framebuffer = framebuffer
        self.program = ctx.program(vertex_shader=VERTEX_SHADER, fragment_shader=FRAGMENT_SHADER)
        self.program["scene"].value = 0
        self.program["shade"].value = 1
        self.lift_program = ctx.program(
            vertex_shader=LIFT_VERTEX_SHADER, fragment_shader=LIFT_FRAGMENT_SHADER
        )
        self.lift_program["shade"].value = 1
        # One triangle bigger than the screen: every pixel gets the lift, no diagonal seam.
        screen = ctx.buffer(np.array([-1, -1, 3, -1, -1, 3], np.float32).tobytes())
        self._lift_vao = ctx.vertex_array(self.lift_program, [(screen, "2f", "in_position")])
        self._buffers: list[Any] = [screen]
        # Black outside the scene (like OpenCV's BORDER_CONSTANT), smooth inside.
        self.sampler = ctx.sampler(
            repeat_x=False,
            repeat_y=False,
            filter=(moderngl.LINEAR, moderngl.LINEAR),
            border_color=(0.0, 0.0, 0.0, 0.0),
        )
        self._scene_texture: Any = None
        self._scene_key: tuple[object, ...] = ()
        self._shade: Any = None
        self._mesh_vao: Any = None
        self._mesh_buffers: list[Any] = []
        self._has_lift = False
        self._mapping = identity_mapping("output", self.size)
        self.set_mapping(mapping or self._mapping)

    @classmethod
    def offscreen(cls, size: tuple[int, int], mapping: OutputMapping | None = None) -> GLOutput:
        """A stage with its own standalone EGL context and offscreen framebuffer (tests, benchmarks)."""
        stage = cls(create_offscreen_context(), size, mapping)
        stage._owns_context = True
        return stage

    @classmethod
    def for_window(cls, mapping: OutputMapping | None = None) -> GLOutput:
        """A stage drawing into the current pygame OPENGL window (its size is the output size)."""
        import moderngl

        surface = pygame.display.get_surface()
        if surface is None or not surface.get_flags() & pygame.OPENGL:
            raise OutputUnavailable("no pygame window opened with pygame.OPENGL")
        ctx = moderngl.create_context()
        return cls(ctx, surface.get_size(), mapping, framebuffer=ctx.screen)

    @property
    def renderer(self) -> str:
        return str(self.ctx.info.get("GL_RENDERER", "unknown"))

    @property
    def mapping(self) -> OutputMapping:
        """The mapping in use: the last one that was accepted."""
        return self._mapping

    def set_mapping(self, mapping: OutputMapping) -> None:
        """Use ``mapping`` from the next frame on; ``ValidationError`` keeps the previous one."""
        validate_mapping(mapping, expected_size=self.size)
        gain, lift, _ = gain_and_lift(mapping)
        shade = np.empty((self.size[1], self.size[0], 4), np.uint8)
        shade[:, :, :3] = gain
        shade[:, :, 3] = lift
        vertices, indices = mesh_vertices(mapping)
        # Everything new is built before anything old is dropped: a failure keeps the last good mapping.
        made: list[Any] = []
        try:
            texture = self.ctx.texture(self.size, 4, np.ascontiguousarray(shade[::-1]).tobytes())
            made.append(texture)
            texture.filter = (self.ctx.NEAREST, self.ctx.NEAREST)
            vbo = self.ctx.buffer(vertices.tobytes())
            made.append(vbo)
            ibo = self.ctx.buffer(indices.tobytes())
            made.append(ibo)
            vao = self.ctx.vertex_array(self.program, [(vbo, "4f 2f", "in_position", "in_st")], ibo)
        except Exception:
            for obj in made:
                obj.release()
            raise
        self._release_mapping_objects()
        self._shade, self._mesh_vao, self._mesh_buffers = texture, vao, [vbo, ibo]
        self._has_lift = bool(lift.any())
        self._mapping = mapping

    def render(self, scene: pygame.Surface) -> None:
        """Draw ``scene`` through the mapping into the framebuffer (the window's back buffer, or offscreen)."""
        import moderngl

        texture = self._upload(scene)
        fbo = self.framebuffer
        fbo.use()
        self.ctx.viewport = (0, 0, *self.size)
        self.ctx.disable(moderngl.BLEND | moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        fbo.clear(0.0, 0.0, 0.0, 1.0)
        texture.use(0)
        self.sampler.use(0)
        self._shade.use(1)
        if self._has_lift:
            self._lift_vao.render(moderngl.TRIANGLES)
        self._mesh_vao.render(moderngl.TRIANGLES)

    def snapshot(self) -> pygame.Surface:
        """What the framebuffer holds now, as an opaque 32-bit surface (top row first)."""
        data = self.framebuffer.read(viewport=(0, 0, *self.size), components=4, alignment=1)
        return pygame.image.frombytes(data, self.size, "RGBX", True)

    def release(self) -> None:
        """Free the GL objects (the context too, when this stage made it offscreen)."""
        self._release_mapping_objects()
        for obj in (self._scene_texture, self._lift_vao, *self._buffers, self.sampler):
            if obj is not None:
                obj.release()
        self.program.release()
        self.lift_program.release()
        if self._own_target is not None:
            self.framebuffer.release()
            self._own_target.release()
        if self._owns_context:
            self.ctx.release()

    def _release_mapping_objects(self) -> None:
        for obj in (self._mesh_vao, *self._mesh_buffers, self._shade):
            if obj is not None:
                obj.release()
        self._mesh_vao, self._mesh_buffers, self._shade = None, [], None

    def _upload(self, scene: pygame.Surface) -> Any:
        """The scene as a texture: the surface's bytes as they are, channels picked by swizzle."""
        w, h = scene.get_size()
        if scene.get_bitsize() != 32:
            scene = scene.convert(32, 0)
        order = byte_order(scene)
        key = (w, h, order)
        if self._scene_texture is None or self._scene_key != key:
            if self._scene_texture is not None:
                self._scene_texture.release()
            self._scene_texture = self.ctx.texture((w, h), 4)
            # Texture channels R, G, B, A are bytes 0..3 of a pixel; point red, green, blue at theirs.
            self._scene_texture.swizzle = "".join("RGBA"[i] for i in order[:3]) + "1"
            self._scene_key = key
        if scene.get_pitch() == w * 4:
            self._scene_texture.write(scene.get_buffer())
        else:
            self._scene_texture.write(pygame.image.tobytes(scene, "RGBA"))
            self._scene_texture.swizzle = "RGB1"
            self._scene_key = ()
        return self._scene_texture


def mesh_vertices(m: OutputMapping) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int32]]:
    """Vertices (clip x, y, z, w, s, t) and triangle indices covering the warped picture.

    A pure corner-pin is two triangles: with ``w`` from the homography the GPU
    interpolates the texture coordinates exactly projectively. A mesh is cut
    into at least :data:`MESH_SUBDIVISIONS` quads a side, each a pair of triangles.
    """
    if is_regular_mesh(m.mesh):
        n_cols = n_rows = 1
    else:
        assert m.mesh is not None
        cells_x, cells_y = len(m.mesh[0]) - 1, len(m.mesh) - 1
        n_cols = cells_x * -(-MESH_SUBDIVISIONS // cells_x)
        n_rows = cells_y * -(-MESH_SUBDIVISIONS // cells_y)
    hom = np.array(mapping_homography(m), np.float64)
    w_out, h_out = m.size
    rows = []
    for j in range(n_rows + 1):
        t = j / n_rows
        for i in range(n_cols + 1):
            s = i / n_cols
            u, v = mesh_point(m.mesh, s, t)
            x, y, w = hom @ (u, v, 1.0)
            # Output pixels to clip space, multiplied through by w (y flips: GL's y is up).
            rows.append((2 * x / w_out - w, w - 2 * y / h_out, 0.0, w, s, t))
    vertices = np.array(rows, np.float32)
    quads = []
    for j in range(n_rows):
        for i in range(n_cols):
            a = j * (n_cols + 1) + i
            b, c, d = a + 1, a + n_cols + 1, a + n_cols + 2
            quads.append((a, b, d, a, d, c))
    return vertices, np.array(quads, np.int32).reshape(-1)


# --- choosing a path ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GLProbe:
    """What OpenGL this machine offers: whether a context could be made, and its renderer."""

    available: bool
    renderer: str = ""
    reason: str = ""

    @property
    def software(self) -> bool:
        return is_software_renderer(self.renderer)


@dataclass(frozen=True, slots=True)
class OutputChoice:
    path: str  # "software" or "opengl"
    reason: str


def probe_gl() -> GLProbe:
    """Whether a standalone context (EGL, then the platform default) can be made, and its renderer.

    Asked in a child process (:mod:`projector.display.output.gl_probe`): a context made
    here, before SDL opens its window, makes Mesa refuse the window's own
    context, and a driver that hangs or crashes must not take the display with it.
    """
    answer = run_probe()
    if not answer.available:
        return GLProbe(False, reason=answer.reason)
    return GLProbe(True, answer.renderer, answer.reason or f"{answer.renderer}, OpenGL {answer.version}")


def decide_output(preference: str, probe: Callable[[], GLProbe] = probe_gl) -> OutputChoice:
    """The output path for ``preference`` ("auto", "software" or "opengl"), with the reason.

    Auto takes OpenGL only on a real GPU: a software rasteriser (llvmpipe,
    softpipe, swrast) is slower than OpenCV on the same cores. Forcing
    "opengl" where no context can be made raises :class:`OutputUnavailable`.
    """
    if preference not in OUTPUTS:
        raise ValueError(f"unknown output {preference!r}; expected one of {', '.join(OUTPUTS)}")
    if preference == "software":
        return OutputChoice("software", "software output asked for")
    found = probe()
    if preference == "opengl":
        if not found.available:
            raise OutputUnavailable(
                f"OpenGL output was asked for but no OpenGL context can be created ({found.reason}); "
                f"{GL_PACKAGES_HINT}, or use the software output"
            )
        note = " (a software rasteriser: expect it to be slower than the software output)"
        return OutputChoice(
            "opengl", f"OpenGL output asked for: {found.reason}{note if found.software else ''}"
        )
    if not found.available:
        return OutputChoice("software", f"no OpenGL context: {found.reason}")
    if found.software:
        return OutputChoice("software", f"OpenGL renderer {found.renderer!r} is a software rasteriser")
    return OutputChoice("opengl", f"GPU renderer {found.renderer!r}")


def choose_output(preference: str, probe: Callable[[], GLProbe] = probe_gl) -> str:
    """:func:`decide_output`'s path, with the reason logged."""
    choice = decide_output(preference, probe)
    log.info("output stage: %s (%s)", choice.path, choice.reason)
    return choice.path
