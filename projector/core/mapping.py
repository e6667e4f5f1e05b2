"""Projection mapping: how the rendered scene is placed on one projector's output.

A building is not a screen. The projector stands off-axis, so the picture is
corner-pinned (a perspective-correct homography) onto the facade; a curved or
uneven wall needs a mesh warp on top; windows and doors are masked black; where
two projectors overlap, each fades its edge (Paul Bourke's edge blending) so the
overlap is not twice as bright. This module is the pure description of that,
shared by the server (stores it), the panel (edits it) and the display's output
stage (draws it). It validates calibrations that arrive as JSON or TOML.

Coordinate conventions (everything else follows from these):

* **Output pixels** are the projector's own pixels, ``x`` to the right and ``y``
  down, in continuous coordinates: pixel column ``i`` covers ``[i, i + 1)`` and
  its centre is at ``i + 0.5``. The output is ``[0, w] x [0, h]``. Corners,
  masks and blend widths are in output pixels of ``OutputMapping.size``.
* **Scene coordinates** ``(s, t)`` are normalised: ``(0, 0)`` is the scene's
  top-left corner, ``(1, 1)`` its bottom-right, whatever the scene's size (a
  scene pixel ``(px, py)`` of a ``W x H`` scene is at ``(px / W, py / H)``).
* The **mesh** deforms the unit square before the corner-pin: control point
  ``mesh[r][c]`` is the ``(u, v)`` where the scene point ``(c / (cols - 1),
  r / (rows - 1))`` goes; between control points the mesh is bilinear. The
  regular grid (``u = s, v = t``) is no deformation.
* The **corner-pin** ``H`` maps the unit square onto ``corners`` (the scene's
  top-left, top-right, bottom-right and bottom-left, in output pixels). A scene
  point lands at ``H(mesh(s, t))`` (:func:`warp_point`).
* **Edge blend** strips lie along the output's own edges (not the scene's): the
  left strip is ``0 <= x < left``. Inside it the gain at a pixel centre is
  ``blend_gain(x / left, curve, gamma)``: about 0 at the outer edge, 1 at the
  inner boundary. Where two strips cross (a corner) the gains multiply.

Validation raises :class:`~projector.core.model.ValidationError` whose field is
a dotted path into the wire form: ``corners[2].x``, ``mesh[1][3].u``,
``masks[0]``, ``masks[0][4].y``, ``blend.left``, ``blend.gamma[1]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from projector.core.model import ValidationError, parse_text

Point = tuple[float, float]
Quad = tuple[Point, Point, Point, Point]
Matrix3 = tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]]

MIN_OUTPUT_SIDE = 16
MAX_OUTPUT_SIDE = 16384
MAX_NAME_LENGTH = 64
#: A mesh has 2..33 control points a side: 32 cells are finer than any facade needs.
MIN_MESH_POINTS = 2
MAX_MESH_POINTS = 33
#: How far a mesh point may leave the unit square (a facade that bulges past the corners).
MESH_REACH = 0.5
MAX_MASKS = 64
MAX_MASK_POINTS = 256
#: A corner quad side shorter than this is a slip of the mouse, not a calibration.
MIN_CORNER_SIDE = 16.0
#: Corners whose sides meet at less than ~1.1 degrees from straight are treated as collinear:
#: the homography would be nearly singular and blow the picture up.
MIN_CORNER_SINE = 0.02
MIN_MASK_AREA = 1.0
MIN_CURVE, MAX_CURVE = 1.0, 8.0
MIN_GAMMA, MAX_GAMMA = 0.5, 4.0
#: Projectors in their usual video modes follow a ~2.2 power law (sRGB / Rec. 709).
#: Bourke suggests measuring; 2.2 is the right start for most projectors, 1.8 for some
#: older "PC" modes.
DEFAULT_GAMMA = 2.2
DEFAULT_CURVE = 2.0
MAX_BLACK_LEVEL = 0.25

UNIT_SQUARE: Quad = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))

CORNER_NAMES = ("top-left", "top-right", "bottom-right", "bottom-left")
_TOP_FIELDS = frozenset({"name", "size", "corners", "mesh", "masks", "blend", "brightness", "black_level"})
_BLEND_FIELDS = frozenset({"left", "right", "top", "bottom", "curve", "gamma"})


@dataclass(frozen=True, slots=True)
class EdgeBlend:
    """Soft edges for overlapping projectors (Paul Bourke, "Edge blending using commodity projectors").

    Widths are in output pixels along the output's edges; 0 means no blend on
    that side. ``curve`` is Bourke's exponent ``p`` (1: a linear ramp; 2: the
    usual S-curve whose halves from two projectors sum to 1). ``gamma`` is the
    projector's gamma per channel (r, g, b): the blend is computed in light and
    pre-distorted by ``1 / gamma`` so that light, not pixel values, adds up to 1.
    """

    left: int = 0
    right: int = 0
    top: int = 0
    bottom: int = 0
    curve: float = DEFAULT_CURVE
    gamma: tuple[float, float, float] = (DEFAULT_GAMMA, DEFAULT_GAMMA, DEFAULT_GAMMA)

    @property
    def active(self) -> bool:
        return bool(self.left or self.right or self.top or self.bottom)


@dataclass(frozen=True, slots=True)
class OutputMapping:
    """One projector output's calibration. See the module docstring for the coordinates.

    ``mesh`` is None (no deformation) or rows of ``(u, v)`` control points, top
    row first, each row left to right. ``masks`` are polygons in output pixels
    drawn black over everything. ``brightness`` scales the picture (0..1);
    ``black_level`` lifts black to that fraction of white outside the blend
    strips and masks, so the single-projector area matches the overlap's black
    (where two projectors' blacks add up). White stays white.
    """

    name: str
    size: tuple[int, int]
    corners: Quad
    mesh: tuple[tuple[Point, ...], ...] | None = None
    masks: tuple[tuple[Point, ...], ...] = ()
    blend: EdgeBlend = field(default_factory=EdgeBlend)
    brightness: float = 1.0
    black_level: float = 0.0


# --- geometry -------------------------------------------------------------------------


def output_corners(size: tuple[int, int]) -> Quad:
    """The output's own corners (top-left, top-right, bottom-right, bottom-left): no corner-pin."""
    w, h = float(size[0]), float(size[1])
    return ((0.0, 0.0), (w, 0.0), (w, h), (0.0, h))


def regular_mesh(cols: int, rows: int) -> tuple[tuple[Point, ...], ...]:
    """The undeformed ``cols x rows`` grid: the starting point for editing a mesh."""
    return tuple(tuple((c / (cols - 1), r / (rows - 1)) for c in range(cols)) for r in range(rows))


def identity_mapping(name: str, size: tuple[int, int]) -> OutputMapping:
    """The mapping that changes nothing: the scene fills the output as it is."""
    return OutputMapping(name=name, size=(int(size[0]), int(size[1])), corners=output_corners(size))


def homography(src_quad: Sequence[Point], dst_quad: Sequence[Point]) -> Matrix3:
    """The 3x3 projective transform taking the four ``src_quad`` points onto ``dst_quad``.

    Solved exactly (8 unknowns, ``H[2][2] = 1``) by Gaussian elimination with
    partial pivoting. Raises ``ValueError`` when three points are collinear.
    """
    if len(src_quad) != 4 or len(dst_quad) != 4:
        raise ValueError("a homography needs exactly four point pairs")
    rows: list[list[float]] = []
    for (x, y), (u, v) in zip(src_quad, dst_quad, strict=True):
        rows.append([x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u])
        rows.append([0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v])
    h = _solve(rows)
    return ((h[0], h[1], h[2]), (h[3], h[4], h[5]), (h[6], h[7], 1.0))


def _solve(augmented: list[list[float]]) -> list[float]:
    """Solve ``A x = b`` given as rows ``[A | b]``; ``ValueError`` if (nearly) singular."""
    n = len(augmented)
    m = [row[:] for row in augmented]
    scale = max(abs(v) for row in m for v in row[:n]) or 1.0
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        if abs(m[pivot][col]) < 1e-12 * scale:
            raise ValueError("degenerate quad: three of its points are collinear")
        m[col], m[pivot] = m[pivot], m[col]
        p = m[col][col]
        for r in range(col + 1, n):
            f = m[r][col] / p
            if f:
                for c in range(col, n + 1):
                    m[r][c] -= f * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


def apply_homography(h: Matrix3, x: float, y: float) -> Point:
    """``H`` applied to the point ``(x, y)``. ``ValueError`` if it goes to infinity."""
    w = h[2][0] * x + h[2][1] * y + h[2][2]
    if abs(w) < 1e-12:
        raise ValueError(f"({x}, {y}) maps to infinity")
    return (
        (h[0][0] * x + h[0][1] * y + h[0][2]) / w,
        (h[1][0] * x + h[1][1] * y + h[1][2]) / w,
    )


def invert_homography(h: Matrix3) -> Matrix3:
    """The inverse transform (adjugate over determinant), scaled so its ``[2][2]`` is 1 when it can be."""
    (a, b, c), (d, e, f), (g, i, j) = h
    adj = (
        (e * j - f * i, c * i - b * j, b * f - c * e),
        (f * g - d * j, a * j - c * g, c * d - a * f),
        (d * i - e * g, b * g - a * i, a * e - b * d),
    )
    det = a * adj[0][0] + b * adj[1][0] + c * adj[2][0]
    if abs(det) < 1e-15:
        raise ValueError("the homography is singular")
    k = adj[2][2] if abs(adj[2][2]) > 1e-12 else det
    (a0, a1, a2), (b0, b1, b2), (c0, c1, c2) = adj
    return ((a0 / k, a1 / k, a2 / k), (b0 / k, b1 / k, b2 / k), (c0 / k, c1 / k, c2 / k))


def mapping_homography(m: OutputMapping) -> Matrix3:
    """The corner-pin: the unit square onto ``m.corners`` (output pixels)."""
    return homography(UNIT_SQUARE, m.corners)


def mesh_point(mesh: Sequence[Sequence[Point]] | None, s: float, t: float) -> Point:
    """Where the mesh puts the scene point ``(s, t)`` in the unit square (bilinear between control points)."""
    if mesh is None:
        return (s, t)
    rows, cols = len(mesh), len(mesh[0])
    fx = min(max(s, 0.0), 1.0) * (cols - 1)
    fy = min(max(t, 0.0), 1.0) * (rows - 1)
    c = min(int(fx), cols - 2)
    r = min(int(fy), rows - 2)
    a, b = fx - c, fy - r
    p00, p10, p01, p11 = mesh[r][c], mesh[r][c + 1], mesh[r + 1][c], mesh[r + 1][c + 1]
    u = (1 - a) * (1 - b) * p00[0] + a * (1 - b) * p10[0] + (1 - a) * b * p01[0] + a * b * p11[0]
    v = (1 - a) * (1 - b) * p00[1] + a * (1 - b) * p10[1] + (1 - a) * b * p01[1] + a * b * p11[1]
    return (u, v)


def warp_point(m: OutputMapping, s: float, t: float) -> Point:
    """Where the scene point ``(s, t)`` (normalised) lands in output pixels: ``H(mesh(s, t))``."""
    u, v = mesh_point(m.mesh, s, t)
    return apply_homography(mapping_homography(m), u, v)


def unwarp_point(m: OutputMapping, x: float, y: float) -> Point | None:
    """The scene point ``(s, t)`` shown at output pixel ``(x, y)``, or None where no scene is shown.

    The inverse of :func:`warp_point` (for the panel's pointer, and patterns
    that must line up with output-space features such as the blend strips).
    """
    try:
        u, v = apply_homography(invert_homography(mapping_homography(m)), x, y)
    except ValueError:
        return None
    if m.mesh is None:
        return (u, v) if -1e-9 <= u <= 1 + 1e-9 and -1e-9 <= v <= 1 + 1e-9 else None
    rows, cols = len(m.mesh), len(m.mesh[0])
    for r in range(rows - 1):
        for c in range(cols - 1):
            quad = (m.mesh[r][c], m.mesh[r][c + 1], m.mesh[r + 1][c + 1], m.mesh[r + 1][c])
            local = inverse_bilinear(quad, u, v)
            if local is not None:
                return ((c + local[0]) / (cols - 1), (r + local[1]) / (rows - 1))
    return None


def inverse_bilinear(quad: Quad, x: float, y: float) -> Point | None:
    """The ``(a, b)`` in the unit square whose bilinear image in ``quad`` (TL, TR, BR, BL) is ``(x, y)``.

    None if the point is outside the quad. Closed form (a quadratic in ``b``),
    after Inigo Quilez's "inverse bilinear interpolation".
    """
    p0, p1, p2, p3 = quad
    e = (p1[0] - p0[0], p1[1] - p0[1])
    f = (p3[0] - p0[0], p3[1] - p0[1])
    g = (p0[0] - p1[0] + p2[0] - p3[0], p0[1] - p1[1] + p2[1] - p3[1])
    q = (x - p0[0], y - p0[1])
    k2 = _cross(g, f)
    k1 = _cross(e, f) + _cross(q, g)
    k0 = _cross(q, e)
    if abs(k2) < 1e-12 * max(1.0, abs(k1)):
        if abs(k1) < 1e-15:
            return None
        candidates = [-k0 / k1]
    else:
        disc = k1 * k1 - 4 * k0 * k2
        if disc < 0:
            return None
        root = math.sqrt(disc)
        candidates = [(-k1 - root) / (2 * k2), (-k1 + root) / (2 * k2)]
    eps = 1e-9
    for b in candidates:
        if -eps <= b <= 1 + eps:
            den_x, den_y = e[0] + g[0] * b, e[1] + g[1] * b
            if abs(den_x) >= abs(den_y):
                a = (q[0] - f[0] * b) / den_x if den_x else math.inf
            else:
                a = (q[1] - f[1] * b) / den_y
            if -eps <= a <= 1 + eps:
                return (min(max(a, 0.0), 1.0), min(max(b, 0.0), 1.0))
    return None


def _cross(a: Point, b: Point) -> float:
    return a[0] * b[1] - a[1] * b[0]


def polygon_area(points: Sequence[Point]) -> float:
    """Signed area (shoelace); positive when the points run clockwise on screen (y down)."""
    total = 0.0
    for i, (x0, y0) in enumerate(points):
        x1, y1 = points[(i + 1) % len(points)]
        total += x0 * y1 - x1 * y0
    return total / 2


def is_regular_mesh(mesh: Sequence[Sequence[Point]] | None) -> bool:
    """True for no mesh or the undeformed grid."""
    if mesh is None:
        return True
    rows, cols = len(mesh), len(mesh[0])
    return all(
        abs(u - c / (cols - 1)) < 1e-9 and abs(v - r / (rows - 1)) < 1e-9
        for r, row in enumerate(mesh)
        for c, (u, v) in enumerate(row)
    )


def is_identity(m: OutputMapping) -> bool:
    """True when the output stage has nothing to do: a plain copy of the scene."""
    return (
        m.corners == output_corners(m.size)
        and is_regular_mesh(m.mesh)
        and not m.masks
        and not m.blend.active
        and m.brightness == 1.0
        and m.black_level == 0.0
    )


# --- edge blending ----------------------------------------------------------------------


def blend_curve(x: float, p: float) -> float:
    """Bourke's blend function: ``0.5 (2x)^p`` below ``x = 0.5``, ``1 - 0.5 (2(1 - x))^p`` above.

    ``x`` is the position across the strip from its outer edge (0) to its inner
    boundary (1); it is clamped to [0, 1]. Two projectors' curves over one
    overlap sum to 1 for every ``p``.
    """
    x = min(max(x, 0.0), 1.0)
    if x < 0.5:
        return 0.5 * math.pow(2 * x, p)
    return 1 - 0.5 * math.pow(2 * (1 - x), p)


def blend_gain(x: float, p: float, gamma: float) -> float:
    """The pixel-value gain at ``x`` across a strip: the light fraction pre-distorted by ``1 / gamma``."""
    return math.pow(blend_curve(x, p), 1 / gamma)


# --- wire form and validation -----------------------------------------------------------


def mapping_to_wire(m: OutputMapping) -> dict[str, object]:
    """A JSON- and TOML-safe dict that :func:`parse_mapping` turns back into an equal mapping.

    TOML has no null, so "no mesh" is an absent ``mesh`` key, not ``None``.
    """
    wire: dict[str, object] = {
        "name": m.name,
        "size": [m.size[0], m.size[1]],
        "corners": [[x, y] for x, y in m.corners],
        "masks": [[[x, y] for x, y in poly] for poly in m.masks],
        "blend": {
            "left": m.blend.left,
            "right": m.blend.right,
            "top": m.blend.top,
            "bottom": m.blend.bottom,
            "curve": m.blend.curve,
            "gamma": list(m.blend.gamma),
        },
        "brightness": m.brightness,
        "black_level": m.black_level,
    }
    if m.mesh is not None:
        wire["mesh"] = [[[u, v] for u, v in row] for row in m.mesh]
    return wire


def parse_mapping(obj: object, *, expected_size: tuple[int, int] | None = None) -> OutputMapping:
    """An :class:`OutputMapping` from its wire form (JSON or TOML), validated.

    ``size`` may be left out when ``expected_size`` is given. A calibration made
    for another resolution than ``expected_size`` is refused: its corners and
    masks would land in the wrong places.
    """
    if not isinstance(obj, Mapping):
        raise ValidationError("mapping", "must be an object")
    unknown = set(obj) - _TOP_FIELDS
    if unknown:
        raise ValidationError(str(sorted(map(str, unknown))[0]), "unknown field")
    name = parse_text(obj.get("name"), "name", MAX_NAME_LENGTH)
    if "size" in obj:
        size = _parse_size(obj["size"])
    elif expected_size is not None:
        size = (int(expected_size[0]), int(expected_size[1]))
    else:
        raise ValidationError("size", "required: the output resolution [width, height] of the calibration")
    corners = output_corners(size)
    if obj.get("corners") is not None:
        corners = _parse_corners(obj["corners"])
    mesh = _parse_mesh(obj["mesh"]) if obj.get("mesh") is not None else None
    masks_value, blend_value = obj.get("masks"), obj.get("blend")  # null (JSON) = the default
    masks = _parse_masks([] if masks_value is None else masks_value)
    blend = _parse_blend({} if blend_value is None else blend_value)
    brightness = _number(obj.get("brightness", 1.0), "brightness", 0.0, 1.0)
    black_level = _number(obj.get("black_level", 0.0), "black_level", 0.0, MAX_BLACK_LEVEL)
    mapping = OutputMapping(name, size, corners, mesh, masks, blend, brightness, black_level)
    validate_mapping(mapping, expected_size=expected_size)
    return mapping


def validate_mapping(m: OutputMapping, *, expected_size: tuple[int, int] | None = None) -> None:
    """Check the geometry of a mapping however it was made; ``ValidationError`` on the first fault.

    The output stage calls this too, so a mapping built in code is held to the
    same rules as one from the wire.
    """
    w, h = m.size
    if not (MIN_OUTPUT_SIDE <= w <= MAX_OUTPUT_SIDE and MIN_OUTPUT_SIDE <= h <= MAX_OUTPUT_SIDE):
        raise ValidationError(
            "size", f"must be between {MIN_OUTPUT_SIDE} and {MAX_OUTPUT_SIDE} pixels a side"
        )
    if expected_size is not None and (w, h) != (expected_size[0], expected_size[1]):
        raise ValidationError(
            "size",
            f"this calibration was made for a {w}x{h} output but this output is "
            f"{expected_size[0]}x{expected_size[1]}; recalibrate at this resolution",
        )
    for i, (x, y) in enumerate(m.corners):
        _check_in_reach(x, y, m.size, f"corners[{i}]")
    _check_corner_quad(m.corners)
    if m.mesh is not None:
        _check_mesh(m.mesh, mapping_homography(m), m.size)
    _check_masks(m.masks, m.size)
    _check_blend(m.blend, m.size)
    if not (math.isfinite(m.brightness) and 0.0 <= m.brightness <= 1.0):
        raise ValidationError("brightness", "must be between 0 and 1")
    if not (math.isfinite(m.black_level) and 0.0 <= m.black_level <= MAX_BLACK_LEVEL):
        raise ValidationError("black_level", f"must be between 0 and {MAX_BLACK_LEVEL}")


def _number(value: object, where: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(where, "must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValidationError(where, "must be a finite number")
    if not lo <= number <= hi:
        raise ValidationError(where, f"must be between {lo:g} and {hi:g}, got {number:g}")
    return number


def _integer(value: object, where: str, lo: int, hi: int) -> int:
    number = _number(value, where, lo, hi)
    if number != int(number):
        raise ValidationError(where, "must be a whole number of pixels")
    return int(number)


def _list(value: object, where: str) -> Sequence[object]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ValidationError(where, "must be a list")
    return value


def _parse_size(value: object) -> tuple[int, int]:
    items = _list(value, "size")
    if len(items) != 2:
        raise ValidationError("size", "must be [width, height]")
    w = _integer(items[0], "size[0]", MIN_OUTPUT_SIDE, MAX_OUTPUT_SIDE)
    h = _integer(items[1], "size[1]", MIN_OUTPUT_SIDE, MAX_OUTPUT_SIDE)
    return (w, h)


def _parse_point(value: object, where: str, names: tuple[str, str] = ("x", "y")) -> Point:
    """A point as ``[a, b]`` or ``{"x": a, "y": b}`` (``u``/``v`` for mesh points)."""
    if isinstance(value, Mapping):
        unknown = set(value) - set(names)
        if unknown:
            raise ValidationError(f"{where}.{sorted(map(str, unknown))[0]}", "unknown field")
        missing = [n for n in names if n not in value]
        if missing:
            raise ValidationError(f"{where}.{missing[0]}", "required")
        a, b = value[names[0]], value[names[1]]
    else:
        items = _list(value, where)
        if len(items) != 2:
            raise ValidationError(where, f"must be a point [{names[0]}, {names[1]}]")
        a, b = items
    inf = math.inf
    return (_number(a, f"{where}.{names[0]}", -inf, inf), _number(b, f"{where}.{names[1]}", -inf, inf))


def _parse_corners(value: object) -> Quad:
    items = _list(value, "corners")
    if len(items) != 4:
        raise ValidationError("corners", "must be 4 points: top-left, top-right, bottom-right, bottom-left")
    p = [_parse_point(item, f"corners[{i}]") for i, item in enumerate(items)]
    return (p[0], p[1], p[2], p[3])


def _parse_mesh(value: object) -> tuple[tuple[Point, ...], ...]:
    rows = _list(value, "mesh")
    if not MIN_MESH_POINTS <= len(rows) <= MAX_MESH_POINTS:
        raise ValidationError("mesh", f"must have {MIN_MESH_POINTS} to {MAX_MESH_POINTS} rows of points")
    mesh = []
    cols = -1
    for r, row_value in enumerate(rows):
        row = _list(row_value, f"mesh[{r}]")
        if not MIN_MESH_POINTS <= len(row) <= MAX_MESH_POINTS:
            raise ValidationError(
                f"mesh[{r}]", f"must have {MIN_MESH_POINTS} to {MAX_MESH_POINTS} points (columns)"
            )
        if cols not in (-1, len(row)):
            raise ValidationError(f"mesh[{r}]", f"has {len(row)} points; the first row has {cols}")
        cols = len(row)
        mesh.append(tuple(_parse_point(p, f"mesh[{r}][{c}]", ("u", "v")) for c, p in enumerate(row)))
    return tuple(mesh)


def _parse_masks(value: object) -> tuple[tuple[Point, ...], ...]:
    items = _list(value, "masks")
    if len(items) > MAX_MASKS:
        raise ValidationError("masks", f"at most {MAX_MASKS} masks")
    masks = []
    for i, poly_value in enumerate(items):
        poly = _list(poly_value, f"masks[{i}]")
        masks.append(tuple(_parse_point(p, f"masks[{i}][{j}]") for j, p in enumerate(poly)))
    return tuple(masks)


def _parse_blend(value: object) -> EdgeBlend:
    if not isinstance(value, Mapping):
        raise ValidationError("blend", "must be an object")
    unknown = set(value) - _BLEND_FIELDS
    if unknown:
        raise ValidationError(f"blend.{sorted(map(str, unknown))[0]}", "unknown field")
    widths = {
        side: _integer(value.get(side, 0), f"blend.{side}", 0, MAX_OUTPUT_SIDE)
        for side in ("left", "right", "top", "bottom")
    }
    curve = _number(value.get("curve", DEFAULT_CURVE), "blend.curve", MIN_CURVE, MAX_CURVE)
    gamma_value = value.get("gamma", DEFAULT_GAMMA)
    if isinstance(gamma_value, int | float) and not isinstance(gamma_value, bool):
        g = _number(gamma_value, "blend.gamma", MIN_GAMMA, MAX_GAMMA)
        gamma = (g, g, g)
    else:
        items = _list(gamma_value, "blend.gamma")
        if len(items) != 3:
            raise ValidationError("blend.gamma", "must be one number or [red, green, blue]")
        r, g, b = (_number(v, f"blend.gamma[{i}]", MIN_GAMMA, MAX_GAMMA) for i, v in enumerate(items))
        gamma = (r, g, b)
    return EdgeBlend(widths["left"], widths["right"], widths["top"], widths["bottom"], curve, gamma)


def _check_in_reach(x: float, y: float, size: tuple[int, int], where: str) -> None:
    """Points may lie off the output (a picture cropped by the frame), but not absurdly far."""
    w, h = size
    if not (math.isfinite(x) and -w <= x <= 2 * w):
        raise ValidationError(f"{where}.x", f"must be within {-w} and {2 * w} (one output width around it)")
    if not (math.isfinite(y) and -h <= y <= 2 * h):
        raise ValidationError(f"{where}.y", f"must be within {-h} and {2 * h} (one output height around it)")


def _turns(points: Sequence[Point]) -> list[float]:
    """The cross product at each vertex (its edge in, its edge out), normalised to a sine."""
    n = len(points)
    out = []
    for i in range(n):
        a, b, c = points[i - 1], points[i], points[(i + 1) % n]
        e1 = (b[0] - a[0], b[1] - a[1])
        e2 = (c[0] - b[0], c[1] - b[1])
        lengths = math.hypot(*e1) * math.hypot(*e2)
        out.append(_cross(e1, e2) / lengths if lengths > 0 else 0.0)
    return out


def _check_corner_quad(corners: Quad) -> None:
    for i in range(4):
        a, b = corners[i], corners[(i + 1) % 4]
        if math.hypot(b[0] - a[0], b[1] - a[1]) < MIN_CORNER_SIDE:
            raise ValidationError(
                f"corners[{(i + 1) % 4}]",
                f"the {CORNER_NAMES[i]} and {CORNER_NAMES[(i + 1) % 4]} corners are less than "
                f"{MIN_CORNER_SIDE:g} px apart",
            )
    turns = _turns(corners)
    for i, sine in enumerate(turns):
        if abs(sine) < MIN_CORNER_SINE:
            raise ValidationError(
                f"corners[{i}]",
                f"the {CORNER_NAMES[i]} corner is in line with its neighbours (degenerate quad)",
            )
    positive = [t > 0 for t in turns]
    if positive.count(True) == 2:
        raise ValidationError("corners", "the quad crosses itself: check the order (TL, TR, BR, BL)")
    if 0 < positive.count(True) < 4:
        # One corner turns the other way from the other three: that corner is the reflex one.
        odd = positive.index(True) if positive.count(True) == 1 else positive.index(False)
        raise ValidationError(f"corners[{odd}]", f"the {CORNER_NAMES[odd]} corner makes the quad non-convex")
    if abs(polygon_area(corners)) < MIN_CORNER_SIDE * MIN_CORNER_SIDE:
        raise ValidationError("corners", "the quad is too small")


def _check_mesh(mesh: tuple[tuple[Point, ...], ...], h: Matrix3, size: tuple[int, int]) -> None:
    rows = len(mesh)
    if not MIN_MESH_POINTS <= rows <= MAX_MESH_POINTS:
        raise ValidationError("mesh", f"must have {MIN_MESH_POINTS} to {MAX_MESH_POINTS} rows of points")
    cols = len(mesh[0])
    for r, row in enumerate(mesh):
        if len(row) != cols or not MIN_MESH_POINTS <= cols <= MAX_MESH_POINTS:
            raise ValidationError(
                f"mesh[{r}]", f"every row needs the same {MIN_MESH_POINTS}..{MAX_MESH_POINTS} points"
            )
        for c, (u, v) in enumerate(row):
            for value, axis in ((u, "u"), (v, "v")):
                if not (math.isfinite(value) and -MESH_REACH <= value <= 1 + MESH_REACH):
                    raise ValidationError(
                        f"mesh[{r}][{c}].{axis}", f"must be between {-MESH_REACH:g} and {1 + MESH_REACH:g}"
                    )
            # The corner-pin's w must stay well positive: past its horizon the picture flips.
            w = h[2][0] * u + h[2][1] * v + h[2][2]
            if w <= 0.05 * abs(h[2][2]):
                raise ValidationError(f"mesh[{r}][{c}]", "is past the corner-pin's horizon")
            x, y = apply_homography(h, u, v)
            _check_in_reach(x, y, size, f"mesh[{r}][{c}]")
    _check_mesh_cells(mesh)
    boundary = (
        [mesh[0][c] for c in range(cols)]
        + [mesh[r][cols - 1] for r in range(1, rows)]
        + [mesh[rows - 1][c] for c in range(cols - 2, -1, -1)]
        + [mesh[r][0] for r in range(rows - 2, 0, -1)]
    )
    if not _is_simple(boundary):
        raise ValidationError("mesh", "the mesh folds over itself: its outline crosses itself")


def _check_mesh_cells(mesh: tuple[tuple[Point, ...], ...]) -> None:
    """Every cell strictly convex and turning the way the regular grid does.

    A bilinear cell's Jacobian determinant is affine in (s, t), so it is positive
    everywhere in the cell exactly when it is positive at the four corners:
    then the cell cannot fold.
    """
    for r in range(len(mesh) - 1):
        for c in range(len(mesh[0]) - 1):
            cell = (mesh[r][c], mesh[r][c + 1], mesh[r + 1][c + 1], mesh[r + 1][c])
            where = ((r, c), (r, c + 1), (r + 1, c + 1), (r + 1, c))
            for k, sine in enumerate(_turns(cell)):
                if sine <= 1e-6:
                    pr, pc = where[k]
                    raise ValidationError(
                        f"mesh[{pr}][{pc}]", f"the mesh cell at row {r}, column {c} folds over (or collapses)"
                    )


def _is_simple(poly: Sequence[Point]) -> bool:
    """No two non-adjacent edges of the closed polygon touch."""
    n = len(poly)
    edges = [(poly[i], poly[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue
            if _segments_touch(*edges[i], *edges[j]):
                return False
    return True


def _segments_touch(a: Point, b: Point, c: Point, d: Point) -> bool:
    def orient(p: Point, q: Point, r: Point) -> float:
        return _cross((q[0] - p[0], q[1] - p[1]), (r[0] - p[0], r[1] - p[1]))

    d1, d2, d3, d4 = orient(c, d, a), orient(c, d, b), orient(a, b, c), orient(a, b, d)
    if ((d1 > 0) != (d2 > 0)) and ((d3 > 0) != (d4 > 0)) and 0 not in (d1, d2, d3, d4):
        return True

    def on(p: Point, q: Point, r: Point) -> bool:
        return min(p[0], q[0]) <= r[0] <= max(p[0], q[0]) and min(p[1], q[1]) <= r[1] <= max(p[1], q[1])

    return (
        (d1 == 0 and on(c, d, a))
        or (d2 == 0 and on(c, d, b))
        or (d3 == 0 and on(a, b, c))
        or (d4 == 0 and on(a, b, d))
    )


def _check_masks(masks: tuple[tuple[Point, ...], ...], size: tuple[int, int]) -> None:
    if len(masks) > MAX_MASKS:
        raise ValidationError("masks", f"at most {MAX_MASKS} masks")
    for i, poly in enumerate(masks):
        if len(poly) < 3:
            raise ValidationError(f"masks[{i}]", "a mask needs at least 3 points")
        if len(poly) > MAX_MASK_POINTS:
            raise ValidationError(f"masks[{i}]", f"a mask has at most {MAX_MASK_POINTS} points")
        for j, (x, y) in enumerate(poly):
            _check_in_reach(x, y, size, f"masks[{i}][{j}]")
        if abs(polygon_area(poly)) < MIN_MASK_AREA:
            raise ValidationError(f"masks[{i}]", "the mask has no area (its points are in a line)")


def _check_blend(blend: EdgeBlend, size: tuple[int, int]) -> None:
    w, h = size
    for side, limit in (("left", w), ("right", w), ("top", h), ("bottom", h)):
        width = getattr(blend, side)
        if isinstance(width, bool) or not isinstance(width, int) or not 0 <= width <= limit:
            raise ValidationError(f"blend.{side}", f"must be a whole number of pixels from 0 to {limit}")
    if blend.left + blend.right > w:
        raise ValidationError(
            "blend.right",
            f"left + right blend ({blend.left} + {blend.right} px) is wider than the output ({w} px)",
        )
    if blend.top + blend.bottom > h:
        raise ValidationError(
            "blend.bottom",
            f"top + bottom blend ({blend.top} + {blend.bottom} px) is taller than the output ({h} px)",
        )
    if not (math.isfinite(blend.curve) and MIN_CURVE <= blend.curve <= MAX_CURVE):
        raise ValidationError("blend.curve", f"must be between {MIN_CURVE:g} and {MAX_CURVE:g}")
    if len(blend.gamma) != 3:
        raise ValidationError("blend.gamma", "must be [red, green, blue]")
    for i, g in enumerate(blend.gamma):
        if not (math.isfinite(g) and MIN_GAMMA <= g <= MAX_GAMMA):
            raise ValidationError(f"blend.gamma[{i}]", f"must be between {MIN_GAMMA:g} and {MAX_GAMMA:g}")
