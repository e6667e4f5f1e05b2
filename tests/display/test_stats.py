"""Frame statistics as the Status frame reports them."""

from __future__ import annotations

from projector.display.stats import FrameStats, percentile


def test_percentiles_and_fps() -> None:
    assert percentile([], 99) == 0.0
    assert percentile([5.0], 50) == 5.0
    values = [float(i) for i in range(1, 101)]
    assert percentile(values, 50) == 50.0 and percentile(values, 99) == 99.0
    stats = FrameStats(capacity=10)
    assert stats.fps() == 0.0
    for i in range(20):
        stats.record(float(i), i / 60)
    assert len(stats) == 10
    assert stats.p99() == 19.0 and stats.p50() == 14.0
    assert abs(stats.fps() - 60.0) < 1e-6
