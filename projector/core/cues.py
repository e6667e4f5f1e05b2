"""Shows and cues: what operators queue, validated in one place.

A show is an ordered cue list; a cue is a scene with its parameters, how to
get there (cut, crossfade, wipe, with a duration), and optionally how long to
hold it before following on to the next cue by itself. Shows come from the
panel, the API and TOML files; all of them go through ``parse_show`` so a bad
cue is refused with the field that is wrong, before anything changes.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from projector.core.fleet import parse_target
from projector.core.model import ValidationError, parse_text

MAX_CUES = 500
MAX_TRANSITION_SECONDS = 30.0
MAX_HOLD_SECONDS = 7 * 24 * 3600.0
MAX_PARAMS = 32
MAX_PARAM_TEXT = 500
CUE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

ParamValue = str | int | float | bool


class Transition(enum.Enum):
    CUT = "cut"
    CROSSFADE = "crossfade"
    WIPE = "wipe"


def _no_params() -> Mapping[str, ParamValue]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Cue:
    id: str
    scene: str
    params: Mapping[str, ParamValue] = field(default_factory=_no_params)
    transition: Transition = Transition.CROSSFADE
    duration: float = 1.0
    #: Seconds on program before the show follows on by itself (None: wait for GO).
    hold: float | None = None
    #: ``hold = "end"``: follow on when the video or slideshow ends (``core.playout``).
    hold_end: bool = False
    label: str = ""
    #: Where panic goes. The first cue is the safe one when none is marked.
    safe: bool = False
    #: A band drawn over the scene (only "ticker" for now). Consecutive cues with
    #: the same overlay keep it running, so the crawl never restarts on GO.
    overlay: str | None = None
    overlay_params: Mapping[str, ParamValue] = field(default_factory=_no_params)
    #: Which displays take this cue: "all", "group:<name>", "display:<name>";
    #: None: the show's target.
    target: str | None = None


@dataclass(frozen=True, slots=True)
class Show:
    id: str
    name: str
    cues: tuple[Cue, ...]
    loop: bool = False
    #: The target of every cue that names none.
    target: str = "all"

    def target_of(self, index: int) -> str:
        return self.cues[index].target or self.target

    def index_of(self, cue_id: str) -> int | None:
        for i, cue in enumerate(self.cues):
            if cue.id == cue_id:
                return i
        return None

    @property
    def safe_index(self) -> int:
        for i, cue in enumerate(self.cues):
            if cue.safe:
                return i
        return 0

    def after(self, index: int | None) -> int | None:
        """The cue GO would take from ``index`` (None before the first cue)."""
        nxt = 0 if index is None else index + 1
        if nxt < len(self.cues):
            return nxt
        return 0 if self.loop and self.cues else None


def _number(
    raw: Mapping[str, object], name: str, where: str, default: float | None, hi: float
) -> float | None:
    value = raw.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(f"{where}{name}", "must be a number of seconds")
    if not 0 <= value <= hi:
        raise ValidationError(f"{where}{name}", f"must be between 0 and {hi:g} seconds, got {value}")
    return float(value)


def parse_params(value: object, where: str, name: str = "params") -> Mapping[str, ParamValue]:
    if value is None:
        return _no_params()
    if not isinstance(value, Mapping):
        raise ValidationError(f"{where}{name}", "must be an object of scene parameters")
    if len(value) > MAX_PARAMS:
        raise ValidationError(f"{where}{name}", f"at most {MAX_PARAMS} parameters")
    params: dict[str, ParamValue] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not re.match(r"^[a-z][a-z0-9_]{0,31}$", key):
            raise ValidationError(f"{where}{name}", f"bad parameter name {key!r}")
        if isinstance(item, float) and not math.isfinite(item):
            raise ValidationError(f"{where}{name}.{key}", "must be a finite number")
        if isinstance(item, str):
            parse_text(item, f"{where}{name}.{key}", MAX_PARAM_TEXT, required=False)
        elif not isinstance(item, bool | int | float):
            raise ValidationError(f"{where}{name}.{key}", "must be a string, number or true/false")
        params[key] = item
    return MappingProxyType(params)


def parse_cue(raw: object, known_scenes: Collection[str], where: str = "") -> Cue:
    if not isinstance(raw, Mapping):
        raise ValidationError(where.rstrip(".") or "cue", "a cue must be an object")
    unknown = set(raw) - {
        "id", "scene", "params", "transition", "duration", "hold", "label", "safe", "overlay", "overlay_params",
        "target",
    }  # fmt: skip
    if unknown:
        raise ValidationError(f"{where}{sorted(unknown)[0]}", "unknown field")
    overlay = raw.get("overlay")
    if overlay is not None and overlay not in OVERLAY_SCENES:
        raise ValidationError(
            f"{where}overlay", f"must be one of {', '.join(sorted(OVERLAY_SCENES))} or absent"
        )
    if overlay is None and raw.get("overlay_params"):
        raise ValidationError(f"{where}overlay_params", "needs an overlay")
    cue_id = raw.get("id")
    if not isinstance(cue_id, str) or not CUE_ID_PATTERN.match(cue_id):
        raise ValidationError(f"{where}id", "must be 1-64 letters, digits, '.', '-' or '_'")
    scene = raw.get("scene")
    if not isinstance(scene, str) or scene not in known_scenes:
        names = ", ".join(sorted(known_scenes))
        raise ValidationError(f"{where}scene", f"unknown scene {scene!r}; known: {names}")
    try:
        transition = Transition(raw.get("transition", "crossfade"))
    except ValueError:
        raise ValidationError(f"{where}transition", "must be cut, crossfade or wipe") from None
    duration = _number(raw, "duration", where, 1.0, MAX_TRANSITION_SECONDS)
    assert duration is not None
    if transition is Transition.CUT:
        duration = 0.0
    hold_end = raw.get("hold") == HOLD_END
    hold = None if hold_end else _number(raw, "hold", where, None, MAX_HOLD_SECONDS)
    if hold_end and scene not in HOLD_END_SCENES:
        raise ValidationError(f"{where}hold", f'"end" is for video and slides cues; {scene} has no end')
    params = parse_params(raw.get("params"), where)
    if hold_end and params.get("loop") is True:
        raise ValidationError(f"{where}hold", '"end" never comes for a video that loops; set loop to false')
    if scene == "video" and "audio" in params and not isinstance(params["audio"], bool):
        # Sound on a building is a choice: only an explicit true plays it, and a typo must not pass as one.
        raise ValidationError(
            f"{where}params.audio", "must be true (play the video's sound) or false (muted)"
        )
    if hold is not None and hold < duration:
        raise ValidationError(f"{where}hold", "must be at least the transition's duration")
    safe = raw.get("safe", False)
    if not isinstance(safe, bool):
        raise ValidationError(f"{where}safe", "must be true or false")
    return Cue(
        id=cue_id,
        scene=scene,
        params=params,
        transition=transition,
        duration=duration,
        hold=hold,
        hold_end=hold_end,
        label=parse_text(raw.get("label", ""), f"{where}label", 200, required=False),
        safe=safe,
        overlay=overlay,
        overlay_params=parse_params(raw.get("overlay_params"), where, "overlay_params"),
        target=None if raw.get("target") is None else str(parse_target(raw["target"], f"{where}target")),
    )


def parse_show(raw: object, known_scenes: Collection[str]) -> Show:
    """A whole show, all-or-nothing: the first bad field is named, nothing is loaded."""
    if not isinstance(raw, Mapping):
        raise ValidationError("show", "must be an object")
    unknown = set(raw) - {"id", "name", "cues", "loop", "target"}
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    show_id = raw.get("id", "show")
    if not isinstance(show_id, str) or not CUE_ID_PATTERN.match(show_id):
        raise ValidationError("id", "must be 1-64 letters, digits, '.', '-' or '_'")
    cues_raw = raw.get("cues")
    if not isinstance(cues_raw, list) or not cues_raw:
        raise ValidationError("cues", "must be a non-empty list of cues")
    if len(cues_raw) > MAX_CUES:
        raise ValidationError("cues", f"a show holds at most {MAX_CUES} cues")
    cues = tuple(parse_cue(c, known_scenes, f"cues[{i}].") for i, c in enumerate(cues_raw))
    seen: set[str] = set()
    for i, cue in enumerate(cues):
        if cue.id in seen:
            raise ValidationError(f"cues[{i}].id", f"duplicate cue id {cue.id!r}")
        seen.add(cue.id)
    loop = raw.get("loop", False)
    if not isinstance(loop, bool):
        raise ValidationError("loop", "must be true or false")
    target = str(parse_target(raw.get("target"), "target"))
    return Show(show_id, parse_text(raw.get("name", show_id), "name", 200), cues, loop, target)


def cue_to_wire(cue: Cue) -> dict[str, object]:
    return {
        "id": cue.id,
        "scene": cue.scene,
        "params": dict(cue.params),
        "transition": cue.transition.value,
        "duration": cue.duration,
        "hold": HOLD_END if cue.hold_end else cue.hold,
        "label": cue.label,
        "safe": cue.safe,
        **({"overlay": cue.overlay, "overlay_params": dict(cue.overlay_params)} if cue.overlay else {}),
        **({"target": cue.target} if cue.target is not None else {}),
    }


def show_to_wire(show: Show) -> dict[str, object]:
    wire: dict[str, object] = {
        "id": show.id,
        "name": show.name,
        "loop": show.loop,
        "cues": [cue_to_wire(c) for c in show.cues],
    }
    if show.target != "all":
        wire["target"] = show.target
    return wire


class AnyScene:
    """A scene list that accepts every name: for shows that were valid where they
    were made (a display, a restored save). A scene a display lacks shows its
    fallback card and is reported, rather than refusing the whole show."""

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


#: ``hold = "end"``, and the scenes that have an end to hold until (``core.playout``).
HOLD_END = "end"
HOLD_END_SCENES = frozenset({"video", "slides"})

#: What a scene may be called (the registry refuses other names).
SCENE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")

#: Scenes that can run as a band over another scene (they have ``draw_overlay``).
OVERLAY_SCENES = frozenset({"ticker"})

#: Scenes every display has. Third-party scenes (entry point group
#: ``projector.scenes``) are added to this by the server at start-up.
BUILTIN_SCENES = frozenset(
    {
        "totals",
        "portrait",
        "messages",
        "blackout",
        "ident",
        "fallback",
        "ticker",
        "qr",
        "video",
        "slides",
        "layout",
    }
)
