"""Draw the portraits of the demo cases: ``python -m media.draw_demo``.

The demo cases are fictional, so their portraits must be too: a photo of a
real face would put a real person on a building next to a made-up prison
sentence. These are illustrated head-and-shoulders figures drawn with Pillow
from a description per case (skin, hair, clothes, background), made to read
well after the duotone treatment: a darker background than the face, one key
light from the upper left, and soft shading for volume.

Deterministic: the same case id always gives the same picture (the small
variations come from a random generator seeded with the case id), so the
committed PNGs can be regenerated and diffed. An id without a description
gets a look chosen from the same palettes, seeded by the id.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

from media.dossier import CASE_FILE, DEMO_DIR

RGB = tuple[int, int, int]
Point = tuple[float, float]

#: Portrait size: 4:5, the shape of a passport-style portrait, big enough for 4K crops.
WIDTH, HEIGHT = 1200, 1500
#: Drawn at this multiple and scaled down, for smooth edges.
SUPERSAMPLE = 2


@dataclass(frozen=True)
class Look:
    """Everything that makes one portrait different from another."""

    skin: RGB
    hair: RGB
    hair_style: str  # short, cropped, bob, long, braids, curly, headwrap
    eyes: RGB
    lips: RGB
    clothing: RGB
    clothing_style: str  # crew, collar, jacket, blouse, scarf, wrap, vneck
    accent: RGB
    background: tuple[RGB, RGB]  # top, bottom
    accent2: RGB = (240, 170, 40)
    hair_length: float = 1100.0  # y where long hair ends
    grey: float = 0.0  # share of grey in the hair
    face_width: float = 1.0
    face_length: float = 1.0
    glasses: bool = False
    beard: str = ""  # "", stubble, full
    earrings: bool = False
    tie: bool = False


LOOKS: dict[str, Look] = {
    "alesia-karpovich": Look(
        skin=(232, 196, 170),
        hair=(150, 108, 66),
        hair_style="bob",
        eyes=(80, 115, 140),
        lips=(196, 112, 112),
        clothing=(52, 86, 140),
        clothing_style="crew",
        accent=(200, 200, 210),
        background=((26, 32, 52), (8, 10, 18)),
        face_width=0.96,
    ),
    "ayse-karaman": Look(
        skin=(214, 170, 135),
        hair=(58, 38, 28),
        hair_style="long",
        hair_length=1120.0,
        eyes=(72, 46, 30),
        lips=(172, 92, 86),
        clothing=(44, 44, 52),
        clothing_style="jacket",
        accent=(222, 212, 196),
        background=((50, 26, 34), (14, 8, 12)),
        glasses=True,
    ),
    "itzel-ramirez": Look(
        skin=(178, 122, 84),
        hair=(24, 20, 18),
        hair_style="braids",
        eyes=(52, 32, 22),
        lips=(150, 82, 72),
        clothing=(232, 226, 214),
        clothing_style="blouse",
        accent=(206, 40, 84),
        accent2=(40, 150, 96),
        background=((20, 48, 40), (6, 14, 12)),
        earrings=True,
        face_width=1.04,
    ),
    "ramon-dizon": Look(
        skin=(190, 138, 98),
        hair=(22, 18, 16),
        hair_style="short",
        eyes=(46, 30, 20),
        lips=(160, 96, 82),
        clothing=(170, 42, 42),
        clothing_style="collar",
        accent=(150, 34, 34),
        background=((32, 28, 58), (10, 8, 18)),
        beard="stubble",
        face_width=1.06,
        face_length=0.97,
    ),
    "roya-karimzadeh": Look(
        skin=(224, 182, 150),
        hair=(36, 26, 22),
        hair_style="long",
        hair_length=1380.0,
        eyes=(62, 40, 26),
        lips=(182, 86, 92),
        clothing=(30, 30, 40),
        clothing_style="scarf",
        accent=(128, 40, 62),
        background=((46, 36, 24), (12, 10, 6)),
        face_width=0.95,
        face_length=1.03,
    ),
    "tamara-ebiowei": Look(
        skin=(112, 72, 50),
        hair=(20, 16, 14),
        hair_style="headwrap",
        eyes=(30, 20, 15),
        lips=(98, 56, 46),
        clothing=(36, 78, 160),
        clothing_style="wrap",
        accent=(232, 124, 32),
        accent2=(236, 200, 80),
        background=((20, 34, 50), (6, 8, 12)),
        earrings=True,
    ),
    "tarek-abdelhady": Look(
        skin=(192, 146, 112),
        hair=(42, 34, 30),
        hair_style="cropped",
        grey=0.35,
        eyes=(42, 28, 20),
        lips=(150, 96, 86),
        clothing=(34, 40, 58),
        clothing_style="jacket",
        accent=(222, 226, 236),
        accent2=(122, 30, 42),
        background=((38, 38, 40), (10, 10, 12)),
        glasses=True,
        beard="full",
        tie=True,
        face_width=1.05,
    ),
    "yolanda-mosquera": Look(
        skin=(98, 64, 46),
        hair=(30, 25, 22),
        hair_style="curly",
        grey=0.4,
        eyes=(26, 18, 12),
        lips=(92, 52, 44),
        clothing=(196, 72, 52),
        clothing_style="vneck",
        accent=(232, 190, 70),
        background=((40, 28, 16), (10, 7, 4)),
        earrings=True,
        face_width=1.07,
        face_length=0.98,
    ),
}


def look_for(case_id: str) -> Look:
    """The described look for a demo case, or one picked deterministically from the id."""
    if case_id in LOOKS:
        return LOOKS[case_id]
    rng = _rng(case_id + "/look")
    base = rng.choice(list(LOOKS.values()))
    other = rng.choice(list(LOOKS.values()))
    return Look(
        skin=rng.choice(list(LOOKS.values())).skin,
        hair=other.hair,
        hair_style=rng.choice(["short", "cropped", "bob", "long", "curly"]),
        eyes=base.eyes,
        lips=base.lips,
        clothing=other.clothing,
        clothing_style=rng.choice(["crew", "collar", "vneck", "jacket"]),
        accent=base.accent,
        background=rng.choice(list(LOOKS.values())).background,
        glasses=rng.random() < 0.3,
        face_width=rng.uniform(0.95, 1.06),
    )


def _rng(seed: str) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))


def _scale(colour: RGB, k: float) -> RGB:
    return (min(255, round(colour[0] * k)), min(255, round(colour[1] * k)), min(255, round(colour[2] * k)))


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def bezier(p0: Point, p1: Point, p2: Point, p3: Point, n: int = 24) -> list[Point]:
    """Points along a cubic Bezier curve, for smooth outlines from four numbers."""
    out = []
    for i in range(n + 1):
        t = i / n
        u = 1 - t
        out.append(
            (
                u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
                u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
            )
        )
    return out


class Painter:
    """A supersampled canvas with masks and shaded fills, in portrait (1x) coordinates."""

    def __init__(self) -> None:
        self.s = SUPERSAMPLE
        self.size = (WIDTH * self.s, HEIGHT * self.s)
        self.img = Image.new("RGB", self.size)

    # masks -------------------------------------------------------------------------
    def blank(self) -> Image.Image:
        return Image.new("L", self.size, 0)

    def polygon(self, pts: Sequence[Point]) -> Image.Image:
        m = self.blank()
        ImageDraw.Draw(m).polygon([(x * self.s, y * self.s) for x, y in pts], fill=255)
        return m

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, angle: float = 0.0) -> Image.Image:
        a = math.radians(angle)
        pts = []
        for i in range(96):
            t = 2 * math.pi * i / 96
            x, y = rx * math.cos(t), ry * math.sin(t)
            pts.append((cx + x * math.cos(a) - y * math.sin(a), cy + x * math.sin(a) + y * math.cos(a)))
        return self.polygon(pts)

    def line(self, pts: Sequence[Point], width: float) -> Image.Image:
        m = self.blank()
        ImageDraw.Draw(m).line(
            [(x * self.s, y * self.s) for x, y in pts],
            fill=255,
            width=max(1, round(width * self.s)),
            joint="curve",
        )
        return m

    def above(self, curve: Callable[[float], float]) -> Image.Image:
        """Everything above the curve y = curve(x)."""
        pts = [(x, curve(x)) for x in range(0, WIDTH + 1, 10)]
        return self.polygon([(0, -10), *pts, (WIDTH, -10)])

    @staticmethod
    def union(*masks: Image.Image) -> Image.Image:
        out = masks[0]
        for m in masks[1:]:
            out = ImageChops.lighter(out, m)
        return out

    @staticmethod
    def intersect(a: Image.Image, b: Image.Image) -> Image.Image:
        return ImageChops.multiply(a, b)

    @staticmethod
    def minus(a: Image.Image, b: Image.Image) -> Image.Image:
        return ImageChops.subtract(a, b)

    # painting ----------------------------------------------------------------------
    def fill(self, mask: Image.Image, colour: RGB, opacity: float = 1.0, blur: float = 0.0) -> None:
        bbox = mask.getbbox()
        if bbox is None:
            return
        r = round(blur * self.s * 3)
        box = (
            max(0, bbox[0] - r),
            max(0, bbox[1] - r),
            min(self.size[0], bbox[2] + r),
            min(self.size[1], bbox[3] + r),
        )
        region = mask.crop(box)
        if blur > 0:
            region = region.filter(ImageFilter.GaussianBlur(blur * self.s))
        if opacity < 1.0:
            region = region.point(lambda v: round(v * opacity))
        self.img.paste(colour, box, region)

    def paint(
        self, mask: Image.Image, colour: RGB, light: float = 0.4, rounding: float = 0.5, radius: float = 45
    ) -> None:
        """Fill with volume: lit from the upper left, darker towards the shape's own edges."""
        bbox = mask.getbbox()
        if bbox is None:
            return
        r = round(radius * self.s)
        box = (
            max(0, bbox[0] - r),
            max(0, bbox[1] - r),
            min(self.size[0], bbox[2] + r),
            min(self.size[1], bbox[3] + r),
        )
        region = mask.crop(box)
        inner = region.filter(ImageFilter.GaussianBlur(r))
        roundness = inner.point(
            lambda v: round(255 * (1 - rounding) + rounding * max(0.0, min(255.0, (v - 100) * 255 / 155)))
        )
        grad = _light_gradient(region.size).point(lambda v: round(255 * (1 - light) + light * v))
        tone = ImageChops.multiply(roundness, grad)
        # Brighten the lit side without clipping a channel, which would shift the hue.
        coloured = ImageOps.colorize(tone, (0, 0, 0), _scale(colour, min(1.22, 255 / max(colour))))
        self.img.paste(coloured, box[:2], region)

    def texture(
        self, mask: Image.Image, colour: RGB, strokes: list[list[Point]], width: float, opacity: float
    ) -> None:
        """Thin strokes (hair strands, fabric folds) clipped to ``mask``."""
        layer = self.blank()
        draw = ImageDraw.Draw(layer)
        for pts in strokes:
            draw.line(
                [(x * self.s, y * self.s) for x, y in pts], fill=255, width=max(1, round(width * self.s))
            )
        layer = layer.filter(ImageFilter.GaussianBlur(0.6 * self.s))
        self.fill(self.intersect(layer, mask), colour, opacity)

    def finish(self) -> Image.Image:
        return self.img.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)


def _light_gradient(size: tuple[int, int]) -> Image.Image:
    """255 at the upper left (the key light) falling to 0 at the lower right."""
    vertical = Image.linear_gradient("L")
    horizontal = vertical.transpose(Image.Transpose.TRANSPOSE)
    return ImageOps.invert(Image.blend(vertical, horizontal, 0.4)).resize(size, Image.Resampling.BILINEAR)


@dataclass(frozen=True)
class Head:
    """Where the face and its features are, in 1x coordinates."""

    cx: float
    cy: float
    rx: float
    ry: float

    @property
    def eye_y(self) -> float:
        return self.cy - 0.08 * self.ry

    @property
    def nose_y(self) -> float:
        return self.cy + 0.32 * self.ry

    @property
    def mouth_y(self) -> float:
        return self.cy + 0.58 * self.ry

    @property
    def chin_y(self) -> float:
        return self.cy + self.ry

    @property
    def shoulder_y(self) -> float:
        return self.cy + self.ry + 150

    def outline(self) -> list[Point]:
        """Egg-shaped face: narrower at the jaw than at the temples."""
        pts = []
        for i in range(120):
            t = 2 * math.pi * i / 120
            down = max(0.0, math.sin(t))
            taper = 1 - 0.24 * down**2.2
            pts.append((self.cx + self.rx * math.cos(t) * taper, self.cy + self.ry * math.sin(t)))
        return pts


def draw_portrait(case_id: str) -> Image.Image:
    """Draw the portrait for ``case_id`` (1200x1500 RGB)."""
    look = look_for(case_id)
    rng = _rng(case_id)
    p = Painter()
    head = Head(
        cx=600 + rng.uniform(-12, 12),
        cy=600 + rng.uniform(-8, 8),
        rx=172 * look.face_width,
        ry=228 * look.face_length,
    )
    _background(p, look, head)
    _hair_back(p, look, head, rng)
    _neck(p, look, head)
    _body(p, look, head, rng)
    _hair_locks(p, look, head, rng)
    _ears(p, look, head)
    face = p.polygon(head.outline())
    p.paint(face, look.skin, light=0.45, rounding=0.55, radius=60)
    _face_details(p, look, head, face)
    _beard(p, look, head, face, rng)
    _hair_top(p, look, head, face, rng)
    if look.glasses:
        _glasses(p, head)
    if look.earrings:
        _earrings(p, look, head)
    return p.finish()


# ------------------------------------------------------------------------------ layers


def _background(p: Painter, look: Look, head: Head) -> None:
    top, bottom = look.background
    gradient = Image.linear_gradient("L").resize(p.size, Image.Resampling.BILINEAR)
    p.img = ImageOps.colorize(gradient, top, bottom)
    # A soft pool of light behind the head separates it from the wall.
    p.fill(p.ellipse(head.cx - 40, head.cy - 40, 430, 520), _scale(top, 1.6), opacity=0.35, blur=160)


def _hair_colour(look: Look) -> RGB:
    return _mix(look.hair, (150, 146, 142), look.grey)


def _cranium(p: Painter, head: Head, grow: float = 1.0) -> Image.Image:
    return p.ellipse(head.cx, head.cy - 0.24 * head.ry, head.rx * 1.1 * grow, head.ry * 0.98 * grow)


def _strands(rng: random.Random, head: Head, n: int, length: float, spread: float) -> list[list[Point]]:
    """Strands combed down and out from a parting, for the texture of long hair."""
    out = []
    part = head.cx - 0.25 * head.rx
    for _ in range(n):
        side = rng.choice((-1, 1))
        x0 = part + side * rng.uniform(0, 0.3) * head.rx
        y0 = head.cy - 1.15 * head.ry + rng.uniform(0, 25)
        x3 = head.cx + side * rng.uniform(0.6, 1.0) * spread
        y3 = y0 + length * rng.uniform(0.75, 1.0)
        out.append(bezier((x0, y0), (x3, y0 + 10), (x3 + side * 20, y3 - length * 0.5), (x3, y3), 20))
    return out


def _strands_back(rng: random.Random, head: Head, n: int) -> list[list[Point]]:
    """Short strands brushed back from the hairline towards the crown."""
    out = []
    for _ in range(n):
        d = rng.uniform(-1.1, 1.1)
        x0 = head.cx + d * head.rx
        y0 = head.cy - 0.45 * head.ry + 0.22 * head.ry * d * d
        x3 = head.cx + d * head.rx * 0.55
        y3 = head.cy - 1.2 * head.ry
        out.append(bezier((x0, y0), (x0, y0 - 60), (x3, y3 + 60), (x3, y3), 12))
    return out


def _hair_back(p: Painter, look: Look, head: Head, rng: random.Random) -> None:
    colour = _hair_colour(look)
    cx, cy, rx, ry = head.cx, head.cy, head.rx, head.ry
    style = look.hair_style
    if style in ("long", "bob"):
        end = look.hair_length if style == "long" else cy + 0.78 * ry
        width = 1.42 if style == "long" else 1.3
        left = [
            *bezier(
                (cx, cy - 1.22 * ry),
                (cx - 1.3 * rx, cy - 1.2 * ry),
                (cx - 1.25 * rx, cy),
                (cx - width * rx, end),
                30,
            )
        ]
        right = [
            (2 * cx - x, y)
            for x, y in bezier(
                (cx, cy - 1.22 * ry),
                (cx - 1.3 * rx, cy - 1.2 * ry),
                (cx - 1.25 * rx, cy),
                (cx - width * rx, end),
                30,
            )
        ]
        bottom = bezier(
            (cx - width * rx, end),
            (cx - 0.5 * rx, end + 40),
            (cx + 0.5 * rx, end + 40),
            (cx + width * rx, end),
        )
        mask = p.polygon([*left, *bottom, *reversed(right)])
        p.paint(mask, colour, light=0.35, rounding=0.5, radius=70)
        p.texture(
            mask,
            _scale(colour, 1.6 if sum(colour) > 200 else 2.4),
            _strands(rng, head, 80, end - cy + ry, rx * 1.35),
            1.2,
            0.3,
        )
    elif style == "braids":
        mask = _cranium(p, head, 1.02)
        p.paint(mask, colour, light=0.35, rounding=0.5)
    elif style == "curly":
        mask = _curly_mass(p, head, rng)
        p.paint(mask, colour, light=0.35, rounding=0.55, radius=80)
        _curl_texture(p, mask, look, head, rng, 420)
    elif style == "headwrap":
        pass  # drawn over the head in _hair_top


def _curly_mass(p: Painter, head: Head, rng: random.Random) -> Image.Image:
    cx, cy, rx, ry = head.cx, head.cy - 0.3 * head.ry, head.rx * 1.55, head.ry * 1.08
    parts = [p.ellipse(cx, cy, rx * 0.95, ry * 0.95)]
    for i in range(30):
        t = 2 * math.pi * i / 30
        if math.sin(t) > 0.55:  # no curls where the neck is
            continue
        r = rng.uniform(48, 70)
        parts.append(p.ellipse(cx + rx * math.cos(t), cy + ry * math.sin(t), r, r))
    return Painter.union(*parts)


def _curl_texture(p: Painter, mask: Image.Image, look: Look, head: Head, rng: random.Random, n: int) -> None:
    colour = _hair_colour(look)
    bbox = mask.getbbox() or (0, 0, 1, 1)
    strokes = []
    for _ in range(n):
        x = rng.uniform(bbox[0], bbox[2]) / p.s
        y = rng.uniform(bbox[1], bbox[3]) / p.s
        r = rng.uniform(7, 14)
        a0 = rng.uniform(0, math.pi)
        strokes.append([(x + r * math.cos(a0 + k * 0.4), y + r * math.sin(a0 + k * 0.4)) for k in range(9)])
    p.texture(mask, _scale(colour, 2.2) if look.grey < 0.2 else (200, 196, 190), strokes, 2.2, 0.35)


def _neck(p: Painter, look: Look, head: Head) -> None:
    cx, rx = head.cx, head.rx
    top = head.cy + 0.45 * head.ry
    base = head.shoulder_y
    pts = [
        (cx - 0.46 * rx, top),
        (cx + 0.46 * rx, top),
        (cx + 0.52 * rx, base - 30),
        (cx + 1.3 * rx, base + 60),
        (cx + 1.1 * rx, base + 260),
        (cx - 1.1 * rx, base + 260),
        (cx - 1.3 * rx, base + 60),
        (cx - 0.52 * rx, base - 30),
    ]
    neck = p.polygon(pts)
    p.paint(neck, _scale(look.skin, 0.9), light=0.45, rounding=0.45, radius=40)
    # The jaw throws a shadow on the neck.
    shadow = p.ellipse(cx + 12, head.chin_y + 5, 0.78 * rx, 70)
    p.fill(p.intersect(shadow.filter(ImageFilter.GaussianBlur(24 * p.s)), neck), (0, 0, 0), 0.5)


def _shoulders(p: Painter, head: Head, neckline: list[Point]) -> Image.Image:
    cx, rx, y = head.cx, head.rx, head.shoulder_y
    left = bezier(
        (cx - 0.62 * rx, y - 28), (cx - 1.4 * rx, y + 10), (cx - 2.6 * rx, y + 30), (cx - 3.0 * rx, y + 190)
    )
    left += [(cx - 3.3 * rx, HEIGHT + 20)]
    right = [(2 * cx - x, yy) for x, yy in left]
    return p.polygon(
        [*reversed(left), *neckline, *right, (cx + 3.3 * rx, HEIGHT + 20), (cx - 3.3 * rx, HEIGHT + 20)]
    )


def _body(p: Painter, look: Look, head: Head, rng: random.Random) -> None:
    cx, rx, y = head.cx, head.rx, head.shoulder_y
    style = look.clothing_style
    if style in ("vneck", "blouse", "jacket", "scarf"):
        depth = {"vneck": 170, "blouse": 120, "jacket": 230, "scarf": 150}[style]
        neckline = bezier(
            (cx - 0.62 * rx, y - 28),
            (cx - 0.4 * rx, y + depth * 0.6),
            (cx - 0.1 * rx, y + depth),
            (cx, y + depth),
            12,
        )
        neckline += [(2 * cx - x, yy) for x, yy in reversed(neckline[:-1])]
    else:
        neckline = bezier(
            (cx - 0.62 * rx, y - 28),
            (cx - 0.45 * rx, y + 30),
            (cx + 0.45 * rx, y + 30),
            (cx + 0.62 * rx, y - 28),
            16,
        )
    if style == "jacket":
        _jacket(p, look, head, neckline)
        return
    body = _shoulders(p, head, neckline)
    p.paint(body, look.clothing, light=0.5, rounding=0.35, radius=90)
    folds = [
        bezier(
            (cx + s * rx * rng.uniform(1.2, 2.4), y + 60),
            (cx + s * rx * 1.5, y + 200),
            (cx + s * rx * 1.3, y + 300),
            (cx + s * rx * rng.uniform(1.0, 1.8), HEIGHT),
            16,
        )
        for s in (-1, -1, 1, 1)
    ]
    p.texture(body, _scale(look.clothing, 0.55), folds, 9, 0.35)
    if style == "crew":
        band = p.intersect(p.line(neckline, 26), body)
        p.paint(band, _scale(look.clothing, 0.85), light=0.4, rounding=0.3, radius=10)
    elif style == "collar":
        _collar(p, look, head)
    elif style == "blouse":
        _embroidery(p, look, neckline, rng)
    elif style == "scarf":
        _scarf(p, look, head, rng)
    elif style == "wrap":
        _fabric_pattern(p, body, look, rng)
    elif style == "vneck":
        band = p.intersect(p.line(neckline, 18), body)
        p.fill(band, _scale(look.clothing, 0.75), 0.9)


def _jacket(p: Painter, look: Look, head: Head, neckline: list[Point]) -> None:
    cx, rx, y = head.cx, head.rx, head.shoulder_y
    shirt_line = bezier(
        (cx - 0.62 * rx, y - 28),
        (cx - 0.4 * rx, y + 50),
        (cx + 0.4 * rx, y + 50),
        (cx + 0.62 * rx, y - 28),
        12,
    )
    shirt = _shoulders(p, head, shirt_line)
    p.paint(shirt, look.accent, light=0.4, rounding=0.3, radius=40)
    _collar(p, look, head, colour=look.accent)
    if look.tie:
        knot = p.polygon([(cx - 26, y + 20), (cx + 26, y + 20), (cx + 18, y + 70), (cx - 18, y + 70)])
        blade = p.polygon(
            [(cx - 18, y + 66), (cx + 18, y + 66), (cx + 44, y + 420), (cx, y + 470), (cx - 44, y + 420)]
        )
        p.paint(Painter.union(knot, blade), look.accent2, light=0.45, rounding=0.4, radius=16)
    # Jacket: the shoulders, open in a deep V; lapels fold back from it.
    open_v = bezier(
        (cx - 0.5 * rx, y - 10),
        (cx - 0.45 * rx, y + 150),
        (cx - 0.25 * rx, y + 300),
        (cx - 0.05 * rx, HEIGHT + 10),
        16,
    )
    opening = p.polygon([*open_v, *[(2 * cx - x, yy) for x, yy in reversed(open_v)]])
    body = p.minus(_shoulders(p, head, neckline), opening)
    p.paint(body, look.clothing, light=0.5, rounding=0.35, radius=90)
    for s in (-1, 1):
        lapel = p.polygon(
            [
                (cx + s * 0.6 * rx, y - 26),
                (cx + s * 0.46 * rx, y + 130),
                (cx + s * 0.95 * rx, y + 170),
                (cx + s * 0.55 * rx, y + 250),
                (cx + s * 0.18 * rx, y + 380),
                (cx + s * 0.35 * rx, y + 200),
            ]
        )
        p.paint(lapel, _scale(look.clothing, 1.25), light=0.55, rounding=0.3, radius=14)
        edge = p.line(
            [(cx + s * 0.95 * rx, y + 170), (cx + s * 0.55 * rx, y + 250), (cx + s * 0.18 * rx, y + 380)], 4
        )
        p.fill(edge, (0, 0, 0), 0.5)


def _collar(p: Painter, look: Look, head: Head, colour: RGB | None = None) -> None:
    cx, rx, y = head.cx, head.rx, head.shoulder_y
    colour = colour or _scale(look.clothing, 1.12)
    for s in (-1, 1):
        pts = [
            (cx + s * 0.66 * rx, y - 60),
            (cx + s * 0.05 * rx, y + 60),
            (cx + s * 0.9 * rx, y + 70),
            (cx + s * 0.86 * rx, y - 10),
        ]
        point = p.polygon(pts)
        p.paint(point, colour, light=0.5, rounding=0.3, radius=10)
        p.fill(p.line(pts[:3], 3), (0, 0, 0), 0.35)
    if look.clothing_style == "collar":
        placket = p.line([(cx, y + 60), (cx, HEIGHT)], 5)
        p.fill(placket, _scale(look.clothing, 0.6), 0.8)
        for k in range(4):
            p.fill(p.ellipse(cx + 14, y + 130 + k * 120, 8, 8), _scale(look.clothing, 1.4), 0.9)


def _embroidery(p: Painter, look: Look, neckline: list[Point], rng: random.Random) -> None:
    """Flowers along the neckline, as on an embroidered blouse."""
    for i, (x, y) in enumerate(neckline[::2]):
        y += 42
        colour = (look.accent, look.accent2, (236, 180, 40))[i % 3]
        r = 17 + rng.uniform(-2, 3)
        petals = Painter.union(
            *[
                p.ellipse(x + r * 0.8 * math.cos(a), y + r * 0.8 * math.sin(a), r * 0.55, r * 0.55)
                for a in (0, 1.26, 2.51, 3.77, 5.03)
            ]
        )
        p.paint(petals, colour, light=0.4, rounding=0.3, radius=6)
        p.fill(p.ellipse(x, y, r * 0.35, r * 0.35), (250, 230, 120), 1.0)
        leaf = p.ellipse(x + r * 1.5, y + r * 0.8, r * 0.7, r * 0.3, angle=30)
        p.fill(leaf, look.accent2, 0.9)


def _scarf(p: Painter, look: Look, head: Head, rng: random.Random) -> None:
    cx, rx, y = head.cx, head.rx, head.shoulder_y
    drape = Painter.union(
        p.polygon(
            [
                *bezier(
                    (cx - 1.9 * rx, y + 40),
                    (cx - 1.0 * rx, y - 40),
                    (cx - 0.6 * rx, y + 10),
                    (cx - 0.3 * rx, y + 190),
                    16,
                ),
                *bezier(
                    (cx - 0.1 * rx, y + 230),
                    (cx - 0.6 * rx, y + 420),
                    (cx - 1.0 * rx, y + 700),
                    (cx - 1.2 * rx, HEIGHT + 20),
                    16,
                ),
                (cx - 2.1 * rx, HEIGHT + 20),
                *bezier(
                    (cx - 2.2 * rx, y + 500),
                    (cx - 2.3 * rx, y + 300),
                    (cx - 2.2 * rx, y + 150),
                    (cx - 1.9 * rx, y + 40),
                    12,
                ),
            ]
        ),
        p.polygon(
            [
                *bezier(
                    (cx + 0.55 * rx, y - 10),
                    (cx + 1.1 * rx, y - 30),
                    (cx + 1.8 * rx, y + 20),
                    (cx + 2.2 * rx, y + 120),
                    16,
                ),
                (cx + 2.4 * rx, y + 260),
                *bezier(
                    (cx + 2.0 * rx, y + 230),
                    (cx + 1.4 * rx, y + 120),
                    (cx + 0.9 * rx, y + 120),
                    (cx + 0.45 * rx, y + 150),
                    16,
                ),
            ]
        ),
    )
    p.paint(drape, look.accent, light=0.5, rounding=0.45, radius=50)
    folds = [
        bezier(
            (cx - 1.6 * rx + k * 40, y + 60),
            (cx - 1.3 * rx + k * 30, y + 300),
            (cx - 1.5 * rx + k * 40, y + 500),
            (cx - 1.6 * rx + k * 45, HEIGHT),
            16,
        )
        for k in range(-2, 4)
    ]
    p.texture(drape, _scale(look.accent, 0.5), folds, 7, 0.45)


def _fabric_pattern(p: Painter, body: Image.Image, look: Look, rng: random.Random) -> None:
    """A bold wax-print style pattern: rings and diamonds on a grid."""
    motif = p.blank()
    draw = ImageDraw.Draw(motif)
    s = p.s
    for row in range(12):
        for col in range(16):
            x = (col * 90 + (45 if row % 2 else 0)) * s
            y = (1000 + row * 90) * s
            draw.ellipse((x - 30 * s, y - 30 * s, x + 30 * s, y + 30 * s), outline=255, width=9 * s)
            draw.polygon(
                [(x + 45 * s, y - 14 * s), (x + 59 * s, y), (x + 45 * s, y + 14 * s), (x + 31 * s, y)],
                fill=255,
            )
    p.fill(p.intersect(motif, body), look.accent, 0.85)


def _hair_locks(p: Painter, look: Look, head: Head, rng: random.Random) -> None:
    """Hair that falls in front of the shoulders."""
    colour = _hair_colour(look)
    cx, cy, rx, ry = head.cx, head.cy, head.rx, head.ry
    if look.hair_style == "long":
        end = look.hair_length
        for s in (-1, 1):
            inner = bezier(
                (cx + s * 0.92 * rx, cy - 0.2 * ry),
                (cx + s * 1.0 * rx, cy + 0.6 * ry),
                (cx + s * 1.05 * rx, end - 200),
                (cx + s * 1.25 * rx, end - 10),
                40,
            )
            outer = bezier(
                (cx + s * 1.6 * rx, end - 40),
                (cx + s * 1.5 * rx, end - 300),
                (cx + s * 1.4 * rx, cy + 0.4 * ry),
                (cx + s * 1.2 * rx, cy - 0.4 * ry),
                40,
            )
            # a gentle wave, stronger towards the ends
            wave = [
                (x + s * 14 * math.sin((y - cy) / 55) * min(1.0, max(0.0, (y - cy) / 300)), y)
                for x, y in [*inner, *outer]
            ]
            lock = p.polygon(wave)
            p.paint(lock, colour, light=0.4, rounding=0.5, radius=40)
            p.texture(
                lock,
                _scale(colour, 1.6 if sum(colour) > 200 else 2.4),
                _strands(rng, head, 40, end - cy + ry, rx * 1.3),
                1.2,
                0.3,
            )
    elif look.hair_style == "braids":
        for s in (-1, 1):
            x, y = cx + s * 1.02 * rx, cy + 0.15 * ry
            k = 0
            while y < 1380:
                seg = p.ellipse(x + (8 if k % 2 else -8) * s, y, 30, 40, angle=25 * (1 if k % 2 else -1))
                p.paint(seg, colour, light=0.45, rounding=0.6, radius=14)
                y += 46
                x += s * 6
                k += 1
            ribbon = Painter.union(
                p.ellipse(x - 22, y, 26, 14, angle=-30), p.ellipse(x + 22, y, 26, 14, angle=30)
            )
            p.paint(ribbon, look.accent, light=0.5, rounding=0.4, radius=8)


def _ears(p: Painter, look: Look, head: Head) -> None:
    for s in (-1, 1):
        x = head.cx + s * 0.95 * head.rx
        y = head.eye_y + 0.2 * head.ry
        ear = p.ellipse(x, y, 0.16 * head.rx, 0.22 * head.ry, angle=s * 8)
        p.paint(ear, _scale(look.skin, 0.92), light=0.4, rounding=0.6, radius=14)
        p.fill(p.ellipse(x + s * 4, y, 0.07 * head.rx, 0.12 * head.ry), (0, 0, 0), 0.25, blur=6)


def _face_details(p: Painter, look: Look, head: Head, face: Image.Image) -> None:
    cx, rx, ry = head.cx, head.rx, head.ry
    ey, ny, my = head.eye_y, head.nose_y, head.mouth_y
    skin_dark = _scale(look.skin, 0.55)
    # Sheen on the lit side of the forehead and cheekbone; form shadow on the far cheek.
    # Darker skin shows its highlights more: they carry the face after duotone.
    sheen = 0.1 + 0.22 * (1 - (0.3 * look.skin[0] + 0.59 * look.skin[1] + 0.11 * look.skin[2]) / 255)
    p.fill(
        p.intersect(p.ellipse(cx - 0.25 * rx, head.cy - 0.55 * ry, 0.45 * rx, 0.22 * ry), face),
        (255, 232, 210),
        sheen,
        blur=30,
    )
    p.fill(
        p.intersect(p.ellipse(cx - 0.5 * rx, ey + 0.25 * ry, 0.25 * rx, 0.12 * ry), face),
        (255, 232, 210),
        sheen * 0.8,
        blur=22,
    )
    p.fill(
        p.ellipse(cx - 0.04 * rx, head.nose_y - 0.05 * ry, 0.06 * rx, 0.12 * ry),
        (255, 232, 210),
        sheen * 0.8,
        blur=10,
    )
    p.fill(
        p.intersect(p.ellipse(cx + 0.9 * rx, head.cy + 0.2 * ry, 0.35 * rx, 0.8 * ry), face),
        (0, 0, 0),
        0.22,
        blur=40,
    )
    p.fill(
        p.intersect(p.ellipse(cx + 0.48 * rx, ey + 0.42 * ry, 0.2 * rx, 0.09 * ry), face),
        look.lips,
        0.12,
        blur=20,
    )
    p.fill(
        p.intersect(p.ellipse(cx - 0.48 * rx, ey + 0.42 * ry, 0.2 * rx, 0.09 * ry), face),
        look.lips,
        0.1,
        blur=20,
    )
    brow = _hair_colour(look) if sum(look.hair) < 300 else _scale(look.hair, 0.6)
    for s in (-1, 1):
        ex = cx + s * 0.4 * rx
        ew, eh = 0.33 * rx, 0.33 * rx * 0.5
        # socket shadow and lid crease
        p.fill(p.ellipse(ex, ey - eh * 0.2, ew * 1.15, eh * 1.5), skin_dark, 0.25, blur=14)
        crease = bezier(
            (ex - s * ew * 0.9, ey - eh * 0.3),
            (ex - s * ew * 0.4, ey - eh * 1.45),
            (ex + s * ew * 0.5, ey - eh * 1.4),
            (ex + s * ew * 1.0, ey - eh * 0.4),
            16,
        )
        p.fill(p.line(crease, 3), skin_dark, 0.45, blur=1.5)
        upper = [
            (ex + ew * u, ey - eh * 0.62 * (1 - u * u) ** 0.7 - s * u * eh * 0.1) for u in _span(-1, 1, 20)
        ]
        lower = [(ex + ew * u, ey + eh * 0.46 * (1 - u * u) ** 0.9) for u in _span(1, -1, 20)]
        almond = p.polygon([*upper, *lower])
        # Eye whites are never white in a portrait: a bright sclera glows after duotone.
        p.fill(almond, _mix((212, 202, 192), look.skin, 0.4))
        p.fill(p.intersect(p.ellipse(ex, ey - eh * 0.6, ew, eh * 0.5), almond), (0, 0, 0), 0.3, blur=4)
        iris = p.ellipse(ex, ey - eh * 0.04, eh * 0.52, eh * 0.52)
        p.paint(p.intersect(iris, almond), look.eyes, light=0.6, rounding=0.3, radius=5)
        p.fill(p.intersect(p.ellipse(ex, ey - eh * 0.04, eh * 0.24, eh * 0.24), almond), (12, 8, 8))
        p.fill(p.ellipse(ex - eh * 0.18, ey - eh * 0.22, eh * 0.09, eh * 0.09), (255, 255, 255), 0.9)
        p.fill(p.line(upper, 5.5), (24, 16, 14), 0.95)
        p.fill(p.line(lower[3:-3], 1.8), skin_dark, 0.5)
        # eyebrow: thick at the inner end, tapering out
        inner_x, outer_x = ex - s * ew * 0.95, ex + s * ew * 1.15
        by = ey - eh * 2.3
        top = bezier(
            (inner_x, by + 4),
            (ex - s * ew * 0.3, by - 16),
            (ex + s * ew * 0.5, by - 18),
            (outer_x, by + 10),
            16,
        )
        bottom = bezier(
            (outer_x, by + 12),
            (ex + s * ew * 0.5, by - 8),
            (ex - s * ew * 0.3, by - 2),
            (inner_x, by + 20),
            16,
        )
        p.fill(p.polygon([*top, *bottom]), brow, 0.92, blur=1.2)
    # nose: shadow down the far side of the bridge, nostrils, a shadow beneath
    bridge = bezier(
        (cx + 0.12 * rx, ey + 10),
        (cx + 0.16 * rx, ey + 60),
        (cx + 0.17 * rx, ny - 40),
        (cx + 0.2 * rx, ny - 6),
        16,
    )
    p.fill(p.line(bridge, 14), skin_dark, 0.3, blur=8)
    p.fill(p.ellipse(cx - 0.04 * rx, ny - 14, 0.1 * rx, 0.06 * ry), (255, 245, 235), 0.18, blur=10)
    wing = bezier(
        (cx - 0.22 * rx, ny - 14), (cx - 0.28 * rx, ny + 14), (cx - 0.1 * rx, ny + 22), (cx, ny + 16), 12
    )
    p.fill(p.line(wing, 3), skin_dark, 0.35, blur=2)
    p.fill(p.line([(2 * cx - x, y) for x, y in wing], 3), skin_dark, 0.45, blur=2)
    for s in (-1, 1):
        p.fill(
            p.ellipse(cx + s * 0.1 * rx, ny + 10, 0.06 * rx, 0.025 * ry, angle=s * 15),
            (20, 10, 10),
            0.55,
            blur=2,
        )
    p.fill(p.ellipse(cx + 6, ny + 34, 0.2 * rx, 0.03 * ry), skin_dark, 0.3, blur=10)
    # mouth: a calm, closed mouth with the corners very slightly up
    mw = 0.6 * rx
    upper_lip = p.polygon(
        [
            (cx - mw / 2, my),
            *bezier(
                (cx - mw / 2, my),
                (cx - mw * 0.3, my - 10),
                (cx - mw * 0.15, my - 18),
                (cx - mw * 0.05, my - 15),
                10,
            ),
            (cx, my - 11),
            *bezier(
                (cx + mw * 0.05, my - 15),
                (cx + mw * 0.15, my - 18),
                (cx + mw * 0.3, my - 10),
                (cx + mw / 2, my),
                10,
            ),
            *bezier(
                (cx + mw / 2, my), (cx + mw * 0.2, my + 3), (cx - mw * 0.2, my + 3), (cx - mw / 2, my), 10
            ),
        ]
    )
    lower_lip = p.polygon(
        [
            *bezier(
                (cx - mw / 2 + 4, my + 1),
                (cx - mw * 0.25, my + 30),
                (cx + mw * 0.25, my + 30),
                (cx + mw / 2 - 4, my + 1),
                16,
            ),
            *bezier(
                (cx + mw / 2 - 4, my + 1),
                (cx + mw * 0.2, my + 4),
                (cx - mw * 0.2, my + 4),
                (cx - mw / 2 + 4, my + 1),
                10,
            ),
        ]
    )
    p.paint(upper_lip, _scale(look.lips, 0.82), light=0.4, rounding=0.3, radius=5)
    p.paint(lower_lip, look.lips, light=0.5, rounding=0.4, radius=8)
    p.fill(p.ellipse(cx - mw * 0.12, my + 12, mw * 0.16, 4), (255, 240, 235), 0.3, blur=3)
    line = bezier(
        (cx - mw / 2 - 4, my - 4),
        (cx - mw * 0.2, my + 3),
        (cx + mw * 0.2, my + 3),
        (cx + mw / 2 + 4, my - 4),
        16,
    )
    p.fill(p.line(line, 3), (40, 16, 16), 0.6, blur=1)
    p.fill(p.ellipse(cx + 4, my + 48, 0.22 * rx, 0.035 * ry), skin_dark, 0.28, blur=10)


def _span(a: float, b: float, n: int) -> list[float]:
    return [a + (b - a) * i / n for i in range(n + 1)]


def _beard(p: Painter, look: Look, head: Head, face: Image.Image, rng: random.Random) -> None:
    if not look.beard:
        return
    cx, rx, ry = head.cx, head.rx, head.ry
    colour = _hair_colour(look)

    def upper_edge(x: float) -> float:
        # Under the nose in the middle, rising along the cheeks to the sideburns.
        d = min(1.0, abs(x - cx) / rx)
        # math.pow, not **: float ** float is typed Any (a negative base gives a complex); the base is >= 0.
        return head.nose_y + 0.1 * ry - 0.5 * ry * math.pow(max(0.0, (d - 0.3) / 0.7), 1.4)

    area = Painter.union(
        p.minus(face, p.above(upper_edge)), p.ellipse(cx, head.chin_y - 0.06 * ry, 0.46 * rx, 0.14 * ry)
    )
    area = p.minus(area, p.ellipse(cx, head.mouth_y + 6, 0.3 * rx, 0.05 * ry))
    line_y = head.nose_y
    if look.beard == "stubble":
        p.fill(area, colour, 0.3, blur=14)
        dots = [
            [(x, y), (x + 1, y + 2)]
            for x, y in (
                (rng.uniform(cx - rx, cx + rx), rng.uniform(line_y, head.chin_y + 20)) for _ in range(900)
            )
        ]
        p.texture(area, colour, dots, 2.2, 0.35)
    else:
        p.paint(area, colour, light=0.4, rounding=0.45, radius=30)
        hairs = []
        for _ in range(500):
            x, y = rng.uniform(cx - rx, cx + rx), rng.uniform(line_y - 0.4 * ry, head.chin_y + 0.1 * ry)
            lean = (x - cx) / rx * 6
            hairs.append([(x, y), (x + lean, y + 12)])
        p.texture(area, _scale(colour, 1.9), hairs, 1.6, 0.4)


def _hair_top(p: Painter, look: Look, head: Head, face: Image.Image, rng: random.Random) -> None:
    """Hair over the forehead and temples, drawn over the face."""
    colour = _hair_colour(look)
    cx, cy, rx, ry = head.cx, head.cy, head.rx, head.ry
    style = look.hair_style
    mask: Image.Image | None = None
    if style in ("short", "cropped"):
        grow, top = (0.98, -0.6) if style == "short" else (0.95, -0.64)

        def hairline(x: float) -> float:
            d = (x - cx) / rx
            y = cy + top * ry + 0.16 * ry * d * d + 0.04 * ry * math.sin(d * 7)
            if style == "cropped":  # receding at the temples
                y += 0.08 * ry * math.exp(-(((abs(d) - 0.5) / 0.18) ** 2))
            return y

        cap = p.intersect(_cranium(p, head, grow), p.above(hairline))
        sideburns = p.intersect(
            face, p.minus(p.above(lambda x: cy - 0.12 * ry), p.ellipse(cx, cy, 0.9 * rx, 1.3 * ry))
        )
        # A short-hair hairline is soft, not a cut edge.
        mask = Painter.union(cap, sideburns).filter(ImageFilter.GaussianBlur(2.5 * p.s))
    elif style == "bob":
        fringe = p.intersect(
            _cranium(p, head, 1.03),
            p.above(lambda x: cy - 0.36 * ry + 8 * math.sin(x / 14) + 0.1 * ry * ((x - cx) / rx) ** 2),
        )
        curtains = p.intersect(
            face, p.minus(p.above(lambda x: cy + 0.5 * ry), p.ellipse(cx, cy + 0.1 * ry, 0.8 * rx, 1.3 * ry))
        )
        mask = Painter.union(fringe, curtains)
    elif style in ("long", "braids"):
        part = cx - 0.25 * rx

        def hairline(x: float) -> float:
            d = (x - part) / (rx * 1.2)
            return cy - 0.78 * ry + 0.5 * ry * math.pow(abs(d), 1.6)  # math.pow: typed float, unlike **

        mask = p.intersect(_cranium(p, head, 1.03), p.above(hairline))
        if style == "long":
            sides = p.intersect(
                face,
                p.minus(p.above(lambda x: cy - 0.05 * ry), p.ellipse(cx, cy + 0.2 * ry, 0.9 * rx, 1.25 * ry)),
            )
            mask = Painter.union(mask, sides)
    elif style == "curly":
        mask = p.intersect(
            _curly_mass(p, head, _rng("curly-front")),
            p.above(lambda x: cy - 0.62 * ry + 10 * math.sin(x / 11) + 0.3 * ry * ((x - cx) / rx) ** 2),
        )
    elif style == "headwrap":
        _headwrap(p, look, head, rng)
        return
    if mask is None:
        return
    # Hair casts a soft shadow onto the forehead before it is drawn.
    p.fill(p.intersect(mask.filter(ImageFilter.GaussianBlur(10 * p.s)), face), (0, 0, 0), 0.35)
    p.paint(mask, colour, light=0.45, rounding=0.45, radius=35)
    if style == "curly":
        _curl_texture(p, mask, look, head, rng, 120)
    else:
        strands = (
            _strands_back(rng, head, 90)
            if style in ("short", "cropped")
            else _strands(rng, head, 60, ry, rx * 1.2)
        )
        shine = _scale(colour, 1.6) if sum(colour) > 200 else _scale(colour, 2.4)
        p.texture(mask, shine if look.grey < 0.2 else (206, 202, 198), strands, 1.2, 0.3 + look.grey * 0.3)


def _headwrap(p: Painter, look: Look, head: Head, rng: random.Random) -> None:
    cx, cy, rx, ry = head.cx, head.cy, head.rx, head.ry
    band = p.intersect(
        _cranium(p, head, 1.06), p.above(lambda x: cy - 0.5 * ry + 0.22 * ry * ((x - cx) / rx) ** 2)
    )
    crown = p.ellipse(cx + 10, cy - 1.0 * ry, 1.22 * rx, 0.62 * ry, angle=-4)
    fan = Painter.union(
        p.ellipse(cx - 0.5 * rx, cy - 1.45 * ry, 0.95 * rx, 0.38 * ry, angle=-18),
        p.ellipse(cx + 0.55 * rx, cy - 1.5 * ry, 1.0 * rx, 0.36 * ry, angle=14),
    )
    p.paint(fan, _scale(look.accent, 0.9), light=0.5, rounding=0.5, radius=40)
    wrap = Painter.union(band, crown)
    p.fill(wrap.filter(ImageFilter.GaussianBlur(12 * p.s)), (0, 0, 0), 0.3)
    p.paint(wrap, look.accent, light=0.5, rounding=0.45, radius=45)
    folds = [
        bezier(
            (cx - 1.1 * rx + k * 0.35 * rx, cy - 0.55 * ry),
            (cx - 0.8 * rx + k * 0.3 * rx, cy - 1.1 * ry),
            (cx - 0.2 * rx + k * 0.25 * rx, cy - 1.5 * ry),
            (cx + 0.2 * rx + k * 0.3 * rx, cy - 1.75 * ry),
            20,
        )
        for k in range(6)
    ]
    p.texture(Painter.union(wrap, fan), _scale(look.accent, 0.5), folds, 8, 0.5)
    _fabric_pattern_small(p, Painter.union(wrap, fan), look)


def _fabric_pattern_small(p: Painter, mask: Image.Image, look: Look) -> None:
    motif = p.blank()
    draw = ImageDraw.Draw(motif)
    s = p.s
    for row in range(10):
        for col in range(14):
            x = (col * 70 + (35 if row % 2 else 0) + 120) * s
            y = (150 + row * 55) * s
            draw.ellipse((x - 9 * s, y - 9 * s, x + 9 * s, y + 9 * s), fill=255)
    p.fill(p.intersect(motif, mask), look.accent2, 0.6)


def _glasses(p: Painter, head: Head) -> None:
    cx, rx = head.cx, head.rx
    ey = head.eye_y
    frame = p.blank()
    draw = ImageDraw.Draw(frame)
    s = p.s
    w, h = 0.36 * rx, 0.2 * rx
    for side in (-1, 1):
        ex = cx + side * 0.4 * rx
        draw.rounded_rectangle(
            ((ex - w) * s, (ey - h) * s, (ex + w) * s, (ey + h) * s),
            radius=round(18 * s),
            outline=255,
            width=round(7 * s),
        )
        # glint on the lens
        p.fill(
            p.line([(ex - w * 0.5, ey + h * 0.4), (ex - w * 0.1, ey - h * 0.6)], 6),
            (255, 255, 255),
            0.12,
            blur=3,
        )
    draw.line(
        ((cx - 0.4 * rx + w) * s, (ey - 4) * s, (cx + 0.4 * rx - w) * s, (ey - 4) * s),
        fill=255,
        width=round(6 * s),
    )
    for side in (-1, 1):
        x0 = cx + side * (0.4 * rx + w)
        draw.line(
            (x0 * s, (ey - h * 0.6) * s, (cx + side * 0.95 * rx) * s, (ey - h * 0.3) * s),
            fill=255,
            width=round(6 * s),
        )
    p.fill(frame.filter(ImageFilter.GaussianBlur(6 * s)), (0, 0, 0), 0.3)
    p.fill(frame, (28, 24, 24))


def _earrings(p: Painter, look: Look, head: Head) -> None:
    gold = (226, 180, 80)
    for s in (-1, 1):
        x = head.cx + s * 0.97 * head.rx
        y = head.eye_y + 0.2 * head.ry + 0.22 * head.ry + 22
        ring = p.minus(p.ellipse(x, y, 20, 24), p.ellipse(x, y, 13, 17))
        p.paint(ring, gold, light=0.7, rounding=0.2, radius=4)


# ------------------------------------------------------------------------------ main


def generate(root: Path = DEMO_DIR, only: Sequence[str] = ()) -> list[Path]:
    """Draw ``portrait.png`` for every dossier folder under ``root`` (or only those named)."""
    written = []
    for folder in sorted(root.iterdir()):
        if not (folder / CASE_FILE).is_file() or (only and folder.name not in only):
            continue
        out = folder / "portrait.png"
        draw_portrait(folder.name).save(out, format="PNG", optimize=True)
        written.append(out)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Draw the fictional demo portraits.")
    parser.add_argument("cases", nargs="*", help="case ids (folder names); default: all")
    parser.add_argument("--root", type=Path, default=DEMO_DIR)
    args = parser.parse_args(argv)
    for path in generate(args.root, args.cases):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
