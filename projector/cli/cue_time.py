"""When and for whom a cue goes on screen, from ``projector cue go|back|jump --at/--in/--target``.

``--at`` is read on the server's clock and in the server's zone: the operator
types the time the venue's schedule says ("21:00"), whatever the laptop's own
clock or zone, and the server turns nothing it was sent into a surprise. Pure:
the caller gives the server's "now" (a timezone-aware time, from
``GET /api/v1/schedules``).
"""

from __future__ import annotations

import math
import re
from datetime import datetime, time, timedelta, tzinfo

from projector.cli.http import CliError
from projector.core.fleet import MAX_CUE_LEAD, parse_target
from projector.core.model import ValidationError

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d{1,6})?))?")


def parse_in(text: str) -> float:
    """``--in SECONDS``: a number of seconds from now, more than 0 and at most the server's lead bound."""
    try:
        seconds = float(text)
    except ValueError:
        raise CliError(f"--in: {text!r} is not a number of seconds") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise CliError(f"--in: {text!r} must be more than 0 seconds")
    if seconds > MAX_CUE_LEAD:
        raise CliError(f"--in: at most {MAX_CUE_LEAD:g} seconds ahead; use a schedule for later cues")
    return seconds


def parse_at(text: str, server_now: datetime, zone: tzinfo | None = None) -> datetime:
    """``--at``: ``HH:MM[:SS]`` today in the server's zone, or an ISO date and time (without an
    offset: the server's zone). Refused in the past or past the server's lead bound, as the
    server would, but named for the flag and with the server's time beside it."""
    if server_now.tzinfo is None:
        raise ValueError("server_now must be timezone-aware")
    zone = zone or server_now.tzinfo
    local_now = server_now.astimezone(zone)
    clock = _CLOCK.fullmatch(text.strip())
    if clock:
        hour, minute = int(clock[1]), int(clock[2])
        second = float(clock[3] or 0)
        if hour > 23 or minute > 59 or second >= 60:
            raise CliError(f"--at: {text!r} is not a time of day (HH:MM or HH:MM:SS)")
        whole = int(second)
        at_time = time(hour, minute, whole, round((second - whole) * 1_000_000))
        at = datetime.combine(local_now.date(), at_time, tzinfo=zone)
    else:
        try:
            at = datetime.fromisoformat(text.strip())
        except ValueError:
            raise CliError(
                f"--at: {text!r} is neither HH:MM[:SS] nor an ISO date and time (2026-12-05T21:00:00)"
            ) from None
        if at.tzinfo is None:
            at = at.replace(tzinfo=zone)
    said = f"server time {local_now:%H:%M:%S}"
    if at < server_now:
        raise CliError(f"--at {text} is {_span(server_now - at)} in the past ({said})")
    if at - server_now > timedelta(seconds=MAX_CUE_LEAD):
        raise CliError(f"--at {text} is more than {MAX_CUE_LEAD:g} s ahead ({said}); use a schedule")
    return at


def check_target(text: str) -> str:
    """``--target``: ``group:NAME``, ``display:NAME`` or ``all`` (the server checks that it exists)."""
    try:
        return str(parse_target(text))
    except ValidationError as exc:
        raise CliError(f"--target: {exc.message}") from None


def _span(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.1f} s"
