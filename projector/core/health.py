"""When a display is in trouble: the alerts the panel raises and ``/metrics`` carries.

A display reports its health in every ``status`` frame (every few seconds).
The server turns what it has seen into alerts:

- ``offline`` (red): the display was connected and is not any more;
- ``silent`` (red): connected, but no status for ``SILENT_AFTER`` seconds (a
  frozen frame loop, a wedged machine: the socket alone says nothing);
- ``slow`` (amber): under ``SLOW_RATIO`` of its target frame rate for
  ``SLOW_AFTER`` seconds (two reports in a row at the default interval);
- ``fallback`` (amber): it shows the fallback card (a scene failed).

Pure: the caller passes the time.
"""

from __future__ import annotations

from dataclasses import dataclass

SILENT_AFTER = 15.0
SLOW_AFTER = 5.0
SLOW_RATIO = 0.9
DEFAULT_TARGET_FPS = 60.0

#: Alert codes, worst first.
LEVELS = {"offline": "red", "silent": "red", "slow": "amber", "fallback": "amber"}


@dataclass(frozen=True, slots=True)
class Alert:
    code: str
    level: str
    message: str


@dataclass(frozen=True, slots=True)
class Observed:
    """What the server knows of one display."""

    connected: bool
    #: When it last reported a status (None: never).
    status_at: float | None
    #: When it connected (the silence clock starts here before the first status).
    connected_at: float
    fps: float | None = None
    target_fps: float | None = None
    #: Since when its reports have been under the frame rate (see ``slow_since``).
    slow_since: float | None = None
    scene: str | None = None


def is_slow(fps: float | None, target_fps: float | None) -> bool:
    if fps is None or fps <= 0:
        return False  # no frames counted yet: "silent" covers a stopped loop
    return fps < SLOW_RATIO * (target_fps or DEFAULT_TARGET_FPS)


def slow_since(
    previous: float | None, fps: float | None, target_fps: float | None, now: float
) -> float | None:
    """Update the "under its frame rate since" time with a new report."""
    if not is_slow(fps, target_fps):
        return None
    return now if previous is None else previous


def alerts(o: Observed, now: float) -> tuple[Alert, ...]:
    found: list[Alert] = []
    if not o.connected:
        found.append(Alert("offline", "red", "disconnected"))
    else:
        quiet = now - (o.status_at if o.status_at is not None else o.connected_at)
        if quiet > SILENT_AFTER:
            found.append(Alert("silent", "red", f"no report for {quiet:.0f} s"))
    if o.connected and o.slow_since is not None and now - o.slow_since >= SLOW_AFTER and o.fps is not None:
        target = o.target_fps or DEFAULT_TARGET_FPS
        found.append(
            Alert("slow", "amber", f"{o.fps:.0f} fps of {target:.0f} for {now - o.slow_since:.0f} s")
        )
    if o.connected and o.scene == "fallback":
        found.append(Alert("fallback", "amber", "a scene failed (see its last error)"))
    return tuple(found)
