"""Clock sync arithmetic: offsets from ping/pong samples, absurd samples refused, outliers dropped."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projector.core.clock import MAX_RTT, BadSample, ClockFilter, Sample, estimate, sample


def exchange(
    offset: float, up: float, down: float, t0: float = 1000.0, work: float = 0.0002
) -> tuple[float, ...]:
    """The four times of a ping that takes ``up`` s there and ``down`` s back, to a server ``offset`` ahead."""
    t1 = t0 + up + offset
    t2 = t1 + work
    t3 = t2 - offset + down
    return t0, t1, t2, t3


def test_a_symmetric_exchange_gives_the_exact_offset_and_round_trip() -> None:
    s = sample(*exchange(offset=2.5, up=0.01, down=0.01))
    assert s.offset == pytest.approx(2.5)
    assert s.rtt == pytest.approx(0.02)


def test_an_asymmetric_exchange_is_off_by_at_most_half_the_round_trip() -> None:
    s = sample(*exchange(offset=-0.3, up=0.05, down=0.001))
    assert abs(s.offset - -0.3) <= s.rtt / 2 + 1e-9


@pytest.mark.parametrize(
    ("times", "why"),
    [
        ((0.0, 1.0, 1.0, -0.5), "before the ping"),  # pong before ping
        ((0.0, 2.0, 1.0, 1.0), "answered before it received"),
        ((0.0, 0.0, 0.0, MAX_RTT + 0.5), "over"),  # absurd round trip
        ((0.0, math.nan, 0.0, 0.1), "finite"),
        ((0.0, math.inf, math.inf, 0.1), "finite"),
        ((0.0, 0.0, 0.5, 0.1), "negative round trip"),  # the server held it longer than the trip took
        ((0.0, 1e12, 1e12, 0.01), "apart"),
    ],
)
def test_absurd_samples_are_refused_with_a_reason(times: tuple[float, float, float, float], why: str) -> None:
    with pytest.raises(BadSample) as info:
        sample(*times)
    assert why in info.value.reason


def test_the_estimate_rests_on_the_fastest_samples_and_ignores_outliers() -> None:
    good = [sample(*exchange(0.1, 0.002, 0.002, t0=1000 + i)) for i in range(5)]
    slow = [sample(*exchange(0.1, 0.3, 0.01, t0=2000 + i)) for i in range(2)]  # delayed one way
    est = estimate(good + slow)
    assert est is not None
    assert est.offset == pytest.approx(0.1, abs=1e-6)
    assert est.rtt == pytest.approx(0.004, abs=1e-6)
    assert est.samples == 5  # the two slow ones are outliers (far above the median RTT)


def test_no_samples_no_estimate() -> None:
    assert estimate([]) is None


def test_the_filter_keeps_a_window_and_keeps_its_estimate_through_a_bad_sample() -> None:
    f = ClockFilter(window=4)
    for i in range(10):
        f.add(*exchange(0.02, 0.001, 0.001, t0=1000 + i))
    assert len(f.samples) == 4
    before = f.current
    with pytest.raises(BadSample):
        f.add(0.0, 0.0, 0.0, 5.0)
    assert f.current == before and f.rejected == 1
    f.reset()
    assert not f.samples and f.current == before  # a new connection starts over, the estimate stays


@given(
    offset=st.floats(-3600, 3600),
    ups=st.lists(st.floats(0.0001, 0.2), min_size=1, max_size=8),
    downs=st.lists(st.floats(0.0001, 0.2), min_size=8, max_size=8),
)
def test_the_estimate_is_never_further_off_than_half_its_best_round_trip(
    offset: float, ups: list[float], downs: list[float]
) -> None:
    samples: list[Sample] = []
    for i, up in enumerate(ups):
        samples.append(sample(*exchange(offset, up, downs[i], t0=1_700_000_000 + i)))
    est = estimate(samples)
    assert est is not None
    worst = max(s.rtt for s in samples)
    assert abs(est.offset - offset) <= worst / 2 + 1e-6
