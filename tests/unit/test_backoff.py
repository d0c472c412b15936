"""The polling schedule: exponential, capped, jittered within bounds, ending at the horizon."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest

from restore_sync.backoff import Backoff, schedule


def low(a: float, b: float) -> float:
    return a


def high(a: float, b: float) -> float:
    return b


def test_interval_grows_by_the_rate_until_the_cap() -> None:
    b = Backoff(first_seconds=10, rate=2.0, cap_seconds=100, horizon_seconds=1000)
    assert [b.interval(n) for n in range(6)] == [10, 20, 40, 80, 100, 100]


def test_interval_never_overflows() -> None:
    assert Backoff().interval(100_000) == Backoff().cap_seconds


def test_equal_jitter_stays_between_half_and_whole_interval() -> None:
    b = Backoff(first_seconds=40, rate=1.0, cap_seconds=40, horizon_seconds=3600)
    assert b.wait(0, low) == 20
    assert b.wait(0, high) == 40
    rng = random.Random(7)
    waits = {b.wait(0, rng.uniform) for _ in range(200)}
    assert min(waits) >= 20
    assert max(waits) <= 40
    assert len(waits) > 5


def test_wait_is_at_least_one_second() -> None:
    assert Backoff(first_seconds=1, rate=1.0, cap_seconds=10, horizon_seconds=100).wait(0, low) == 1


def test_schedule_polls_until_the_horizon_and_no_further() -> None:
    b = Backoff(first_seconds=10, rate=2.0, cap_seconds=40, horizon_seconds=200)
    times = schedule(b, high)
    assert times == [0, 10, 30, 70, 110, 150, 190]


def test_default_schedule_never_gives_up_before_24_hours() -> None:
    times = schedule(Backoff(), random.Random(1).uniform)
    assert times[-1] >= 24 * 3600
    gaps = [b - a for a, b in pairwise(times)]
    assert max(gaps) <= Backoff().cap_seconds


@pytest.mark.parametrize(
    ("first", "rate", "cap", "horizon"), [(0, 2.0, 10, 100), (20, 2.0, 10, 100), (1, 0.5, 10, 100), (1, 2, 10, 5)]
)
def test_nonsense_parameters_are_refused(first: int, rate: float, cap: int, horizon: int) -> None:
    with pytest.raises(ValueError, match=r"need|must"):
        Backoff(first_seconds=first, rate=rate, cap_seconds=cap, horizon_seconds=horizon)
