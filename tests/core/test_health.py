"""Display alerts: offline, silent, under its frame rate, on the fallback card."""

from __future__ import annotations

from projector.core.health import Observed, alerts, slow_since

T = 1000.0


def codes(o: Observed, now: float) -> list[str]:
    return [a.code for a in alerts(o, now)]


def test_a_healthy_display_has_no_alerts() -> None:
    assert codes(Observed(True, T, T - 60, fps=59.8, target_fps=60, scene="totals"), T + 4) == []


def test_disconnected_is_offline_and_red() -> None:
    [alert] = alerts(Observed(False, T, T - 60), T + 1)
    assert (alert.code, alert.level) == ("offline", "red")


def test_connected_but_quiet_for_15_s_is_silent() -> None:
    o = Observed(True, status_at=T, connected_at=T - 60, fps=60)
    assert codes(o, T + 14.9) == []
    assert codes(o, T + 15.1) == ["silent"]
    never = Observed(True, status_at=None, connected_at=T)
    assert codes(never, T + 16) == ["silent"]


def test_under_its_frame_rate_for_5_s_is_slow() -> None:
    since = slow_since(None, 40.0, 60.0, T)
    assert since == T
    assert slow_since(since, 41.0, 60.0, T + 3) == T  # still slow: the clock keeps running
    assert slow_since(since, 58.0, 60.0, T + 4) is None  # 58 >= 0.9 * 60: recovered
    assert slow_since(None, 28.0, 30.0, T) is None  # a 30 fps display at 28: fine
    assert slow_since(None, 25.0, 30.0, T) == T  # at 25: under 90 % of 30
    o = Observed(True, T + 4, T - 60, fps=40, target_fps=60, slow_since=T)
    assert codes(o, T + 4) == []
    [alert] = alerts(Observed(True, T + 5, T - 60, fps=40, target_fps=60, slow_since=T), T + 5)
    assert (alert.code, alert.level, alert.message) == ("slow", "amber", "40 fps of 60 for 5 s")


def test_the_fallback_card_is_amber() -> None:
    assert codes(Observed(True, T, T, fps=60, scene="fallback"), T) == ["fallback"]
