"""The fleet's rules: who a cue is for, what a display may be called, when a cue may be scheduled.

A cue (or a show, for all its cues) names a *target*: ``all`` (the default),
``group:<name>`` or ``display:<name>``. The server keeps one program cue; a
display takes it only if the cue targets it, and otherwise keeps showing the
last cue that did (``ShowState.targeted`` remembers one per target, newest
last, so a display that reconnects or restarts finds its own again).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from projector.core.model import ValidationError

ALL = "all"
GROUP_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_DISPLAY_NAME = 100
MAX_GROUPS = 32
#: Latency compensation a display may be given (a slow projector: tens of ms).
MAX_LATENCY_MS = 1000.0
#: How far ahead a cue may be scheduled with ``at``/``in`` (further: use a schedule).
MAX_CUE_LEAD = 3600.0


@dataclass(frozen=True, slots=True)
class Target:
    kind: str  # "all", "group" or "display"
    name: str = ""

    def __str__(self) -> str:
        return ALL if self.kind == ALL else f"{self.kind}:{self.name}"


def parse_group(value: object, field: str = "group") -> str:
    if not isinstance(value, str) or not GROUP_PATTERN.match(value):
        raise ValidationError(field, "a group is 1-64 letters, digits, '.', '-' or '_'")
    return value


def parse_display_name(value: object, field: str = "name") -> str:
    """A display's name: what its ``hello`` says, or what an operator renamed it to."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, "must be a non-empty name")
    if len(value) > MAX_DISPLAY_NAME:
        raise ValidationError(field, f"at most {MAX_DISPLAY_NAME} characters")
    if value != value.strip():
        raise ValidationError(field, "must not start or end with a space")
    if any(unicodedata.category(ch).startswith("C") for ch in value) or "/" in value:
        raise ValidationError(field, "must not contain control characters or '/'")
    return value


def parse_groups(value: object, field: str = "groups") -> tuple[str, ...]:
    """A list of group names, duplicates removed, in the order given."""
    if not isinstance(value, list | tuple):
        raise ValidationError(field, "must be a list of group names")
    if len(value) > MAX_GROUPS:
        raise ValidationError(field, f"at most {MAX_GROUPS} groups")
    seen: dict[str, None] = {}
    for i, item in enumerate(value):
        seen[parse_group(item, f"{field}[{i}]")] = None
    return tuple(seen)


def parse_target(value: object, field: str = "target") -> Target:
    """``all``, ``group:<name>`` or ``display:<name>`` (syntax only; see ``check_target``)."""
    if value is None or value == ALL:
        return Target(ALL)
    if not isinstance(value, str) or ":" not in value:
        raise ValidationError(field, "must be 'all', 'group:<name>' or 'display:<name>'")
    kind, name = value.split(":", 1)
    if kind == "group":
        return Target("group", parse_group(name, field))
    if kind == "display":
        return Target("display", parse_display_name(name, field))
    raise ValidationError(field, "must be 'all', 'group:<name>' or 'display:<name>'")


def check_target(
    target: Target, groups: Collection[str], displays: Collection[str], field: str = "target"
) -> None:
    """Refuse a target that names a group or display the fleet does not have."""
    if target.kind == "group" and target.name not in groups:
        known = ", ".join(sorted(groups)) or "none yet"
        raise ValidationError(field, f"unknown group {target.name!r} (groups: {known})")
    if target.kind == "display" and target.name not in displays:
        raise ValidationError(field, f"unknown display {target.name!r}")


def targets(target: str | None, name: str, groups: Collection[str]) -> bool:
    """Whether a cue for ``target`` is for the display called ``name`` in ``groups``."""
    if target is None or target == ALL:
        return True
    kind, _, which = target.partition(":")
    if kind == "group":
        return which in groups
    if kind == "display":
        return which == name
    return False


def cue_for(
    targeted: Iterable[tuple[str, int, float | None]], name: str, groups: Collection[str]
) -> tuple[str, int, float | None] | None:
    """The newest (target, cue index, at) entry meant for this display, or None (its rotation)."""
    found = None
    for entry in targeted:
        if targets(entry[0], name, groups):
            found = entry
    return found


def parse_cue_time(body: Mapping[str, object], now: float, default_lead: float = 0.0) -> float | None:
    """When a cue should go on screen, in server time, from ``{"at": epoch}`` or ``{"in": seconds}``.

    Neither: ``now + default_lead`` when a lead is configured, else None (at once).
    """
    if "at" in body and "in" in body:
        raise ValidationError("at", "give either 'at' or 'in', not both")
    if "in" in body and body["in"] is not None:
        delay = body["in"]
        if isinstance(delay, bool) or not isinstance(delay, int | float) or not math.isfinite(delay):
            raise ValidationError("in", "must be a number of seconds")
        if not 0 <= delay <= MAX_CUE_LEAD:
            raise ValidationError("in", f"must be between 0 and {MAX_CUE_LEAD:g} seconds")
        return now + float(delay)
    if "at" in body and body["at"] is not None:
        at = body["at"]
        if isinstance(at, bool) or not isinstance(at, int | float) or not math.isfinite(at):
            raise ValidationError("at", "must be a server time in seconds since the epoch")
        if at < now:
            raise ValidationError("at", f"is {now - at:.3f} s in the past (server time {now:.3f})")
        if at > now + MAX_CUE_LEAD:
            raise ValidationError(
                "at", f"is more than {MAX_CUE_LEAD:g} s ahead; use a schedule for later cues"
            )
        return float(at)
    return now + default_lead if default_lead > 0 else None
