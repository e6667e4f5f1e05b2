"""Frames on the server's clock: every display starts frame n at the same server time."""

from __future__ import annotations

from pathlib import Path

import pytest

from projector.display.health import memory_mb, temperature_c
from projector.display.pacing import FramePacer


class FakeTime:
    def __init__(self, now: float) -> None:
        self.now = now
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds + 0.0001  # a sleep always overshoots a little


def test_frames_land_on_the_same_grid_of_server_time_whatever_the_local_clock() -> None:
    a, b = FakeTime(1000.0031), FakeTime(2000.0113)  # two machines, clocks 1000 s apart
    pa = FramePacer(60, a.clock, a.sleep)
    pb = FramePacer(60, b.clock, b.sleep)
    slots_a = [pa.wait(offset=5.0) for _ in range(3)] and pa.slot
    slots_b = [pb.wait(offset=-995.0) for _ in range(3)] and pb.slot
    assert slots_a == pytest.approx(slots_b)  # the same server-time slot
    assert (pa.slot * 60) == pytest.approx(round(pa.slot * 60))  # on the 1/60 s grid


def test_a_frame_that_runs_over_drops_slots_and_says_so() -> None:
    t = FakeTime(1000.0)
    pacer = FramePacer(60, t.clock, t.sleep)
    pacer.wait(0.0)
    assert pacer.wait(0.0) == pytest.approx(1 / 60)
    before = pacer.slot
    t.now += 0.05  # a 50.1 ms frame: the slots at +16.7, +33.3 and +50 ms go by
    dt = pacer.wait(0.0)
    assert pacer.dropped == 3
    assert dt == pytest.approx(pacer.slot - before) == pytest.approx(4 / 60)
    pacer.wait(0.3)  # a new clock estimate moves the grid: not counted as dropped
    assert pacer.dropped == 3


def test_memory_and_temperature_are_read_or_none(tmp_path: Path) -> None:
    assert (memory_mb() or 1.0) > 0
    assert temperature_c(tmp_path) is None
    for i, milli in enumerate(("45000", "61500", "garbage", "999999")):
        (tmp_path / f"thermal_zone{i}").mkdir()
        (tmp_path / f"thermal_zone{i}" / "temp").write_text(milli)
    assert temperature_c(tmp_path) == 61.5  # the hottest plausible zone
