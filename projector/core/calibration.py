"""Outputs of a display and calibrating them: names, ``--outputs`` specs, and the keyboard calibration.

A display process drives one or more *outputs* (a projector each, a window
each). Every output has a name (``main`` when there is only one), a monitor,
and the slice of the display's canvas it shows; its calibration is an
:class:`~projector.core.mapping.OutputMapping` of the slice's size.

The keyboard calibration is the on-display fallback for a night with no
laptop: Tab picks a corner, the arrow keys move it, Enter keeps the result,
Escape restores the mapping from before. :class:`KeyCalibration` is that
state machine, pure, so its rules (a bad nudge is refused and the last good
mapping stays) are tested without a screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from projector.core.mapping import (
    CORNER_NAMES,
    MAX_OUTPUT_SIDE,
    MIN_OUTPUT_SIDE,
    OutputMapping,
    validate_mapping,
)
from projector.core.model import ValidationError

#: The one output of a display that declares none.
DEFAULT_OUTPUT = "main"
MAX_OUTPUTS = 8
#: Output names go into URLs, file names and store keys: a small safe alphabet.
OUTPUT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
#: Test patterns a display can draw through an output's mapping (``projector.display.output.patterns``).
PATTERN_NAMES = ("grid", "crosshatch", "bars", "overlap")
#: The widest canvas a display draws: several 4K outputs side by side.
MAX_CANVAS_SIDE = 4 * MAX_OUTPUT_SIDE


def parse_output_name(value: object, field: str = "output") -> str:
    if not isinstance(value, str) or not OUTPUT_NAME.match(value):
        raise ValidationError(
            field,
            "must be an output name: letters, digits, '-' or '_', starting with a letter or digit (1-32)",
        )
    return value


def parse_pattern(value: object, field: str = "pattern") -> str | None:
    """A test pattern's name, or None (no pattern: the show)."""
    if value is None:
        return None
    if not isinstance(value, str) or value not in PATTERN_NAMES:
        raise ValidationError(field, f"must be one of {', '.join(PATTERN_NAMES)}, or null")
    return value


@dataclass(frozen=True, slots=True)
class OutputSpec:
    """One output of a display: its name, its monitor, and its slice of the canvas (x, y, w, h)."""

    name: str
    monitor: int
    slice: tuple[int, int, int, int]

    @property
    def size(self) -> tuple[int, int]:
        return (self.slice[2], self.slice[3])


def canvas_size(specs: tuple[OutputSpec, ...]) -> tuple[int, int]:
    """The canvas the scene is drawn on: from (0, 0) to the far corner of the furthest slice."""
    return (max(s.slice[0] + s.slice[2] for s in specs), max(s.slice[1] + s.slice[3] for s in specs))


_SPEC = re.compile(
    r"^\s*([^@:\s]+)\s*(?:@\s*(\d+))?\s*:\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*[xX\u00d7]\s*(\d+)\s*$"
)


def parse_outputs(text: str) -> tuple[OutputSpec, ...]:
    """``left@0:0,0,1920x1080;right@1:1600,0,1920x1080`` -> output specs (``@monitor`` defaults to 0).

    Each slice is ``x,y,WxH`` in canvas pixels; slices may overlap (that is what
    an edge blend is for). Raises ``ValidationError`` naming the faulty part.
    """
    parts = [p for p in text.split(";") if p.strip()]
    if not parts:
        raise ValidationError("outputs", "no outputs given; expected name@monitor:x,y,WxH;...")
    if len(parts) > MAX_OUTPUTS:
        raise ValidationError("outputs", f"at most {MAX_OUTPUTS} outputs")
    specs: list[OutputSpec] = []
    for i, part in enumerate(parts):
        where = f"outputs[{i}]"
        match = _SPEC.match(part)
        if match is None:
            raise ValidationError(where, f"{part.strip()!r} should look like name@monitor:x,y,WxH")
        name = parse_output_name(match.group(1), f"{where}.name")
        if any(s.name == name for s in specs):
            raise ValidationError(f"{where}.name", f"two outputs are called {name!r}")
        monitor = int(match.group(2) or 0)
        if monitor > 15:
            raise ValidationError(f"{where}.monitor", "must be 0 to 15")
        x, y, w, h = (int(match.group(k)) for k in range(3, 7))
        if not (MIN_OUTPUT_SIDE <= w <= MAX_OUTPUT_SIDE and MIN_OUTPUT_SIDE <= h <= MAX_OUTPUT_SIDE):
            raise ValidationError(
                f"{where}.size", f"{w}x{h} is out of range ({MIN_OUTPUT_SIDE}..{MAX_OUTPUT_SIDE} a side)"
            )
        if x + w > MAX_CANVAS_SIDE or y + h > MAX_CANVAS_SIDE:
            raise ValidationError(where, f"the slice reaches past {MAX_CANVAS_SIDE} px")
        specs.append(OutputSpec(name, monitor, (x, y, w, h)))
    return tuple(specs)


def single_output(size: tuple[int, int], monitor: int = 0) -> tuple[OutputSpec, ...]:
    """The usual display: one output called ``main`` showing the whole canvas."""
    return (OutputSpec(DEFAULT_OUTPUT, monitor, (0, 0, int(size[0]), int(size[1]))),)


# --- the keyboard calibration ---------------------------------------------------------------------


#: Pixels one arrow press moves a corner, and with Shift held.
NUDGE = 1.0
BIG_NUDGE = 10.0


@dataclass(frozen=True, slots=True)
class KeyCalibration:
    """Calibrating one output's corners from the keyboard.

    ``mapping`` is always a valid mapping (what the output shows while
    calibrating); a move that would make it invalid is refused with
    ``message`` saying why, and the corner stays where it was.
    """

    output: str
    before: OutputMapping
    mapping: OutputMapping
    corner: int = 0
    pattern: str = "crosshatch"
    message: str = ""

    @classmethod
    def start(cls, output: str, mapping: OutputMapping) -> KeyCalibration:
        return cls(output, mapping, mapping)

    @property
    def corner_name(self) -> str:
        return CORNER_NAMES[self.corner]

    @property
    def changed(self) -> bool:
        return self.mapping != self.before

    def next_corner(self, step: int = 1) -> KeyCalibration:
        return replace(self, corner=(self.corner + step) % 4, message="")

    def next_pattern(self) -> KeyCalibration:
        index = PATTERN_NAMES.index(self.pattern) if self.pattern in PATTERN_NAMES else -1
        return replace(self, pattern=PATTERN_NAMES[(index + 1) % len(PATTERN_NAMES)], message="")

    def nudge(self, dx: float, dy: float) -> KeyCalibration:
        """Move the selected corner by (dx, dy) output pixels, unless the result is invalid."""
        corners = list(self.mapping.corners)
        x, y = corners[self.corner]
        corners[self.corner] = (x + dx, y + dy)
        moved = replace(self.mapping, corners=(corners[0], corners[1], corners[2], corners[3]))
        try:
            validate_mapping(moved, expected_size=self.mapping.size)
        except ValidationError as exc:
            return replace(self, message=f"refused: {exc.field}: {exc.message}")
        return replace(self, mapping=moved, message="")
