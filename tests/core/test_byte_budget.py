"""The byte budget: a burst, then the rate; nothing taken when a send does not fit."""

from __future__ import annotations

import pytest

from projector.core.byte_budget import ByteBudget


def test_a_burst_then_the_rate() -> None:
    budget = ByteBudget(rate=1000, burst=3000)
    assert budget.take(2000, 0.0) and budget.take(1000, 0.0)
    assert not budget.take(1, 0.0)
    assert not budget.take(600, 0.5) and budget.take(500, 0.5)  # half a second: 500 bytes back
    assert budget.take(3000, 100.0)  # saved up to the burst, no more
    assert not budget.take(1, 100.0)


def test_a_send_that_does_not_fit_takes_nothing_and_time_going_back_adds_nothing() -> None:
    budget = ByteBudget(rate=1000, burst=1000)
    assert not budget.take(5000, 0.0)
    assert budget.allows(1000, 0.0)
    assert budget.take(1000, 10.0)
    assert not budget.take(1, 5.0)  # a clock step back gives nothing


@pytest.mark.parametrize(("rate", "burst"), [(0, 10), (10, 0), (-1, 10)])
def test_a_budget_needs_a_positive_rate_and_burst(rate: float, burst: float) -> None:
    with pytest.raises(ValueError, match="positive rate and burst"):
        ByteBudget(rate, burst)
