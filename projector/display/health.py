"""What a display can tell about the machine it runs on: memory and temperature, where available.

Read every few seconds for the status frame (a couple of small file reads).
Anything missing (no /proc, no thermal zones: a Mac, a container) is None,
never an error.
"""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path

THERMAL = Path("/sys/class/thermal")


def memory_mb() -> float | None:
    """Resident memory of this process in MiB."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return round(pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024), 1)
    except (OSError, ValueError, IndexError):
        pass
    try:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # the peak, the best there is
    except (OSError, ValueError):
        return None
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


def temperature_c(root: Path = THERMAL) -> float | None:
    """The hottest thermal zone in °C (SoC or CPU on a kiosk PC or a Raspberry Pi)."""
    hottest: float | None = None
    try:
        zones = list(root.glob("thermal_zone*/temp"))
    except OSError:
        return None
    for zone in zones:
        try:
            value = int(zone.read_text().strip()) / 1000
        except (OSError, ValueError):
            continue
        if -40 <= value <= 150 and (hottest is None or value > hottest):
            hottest = value
    return None if hottest is None else round(hottest, 1)
