"""The polling schedule: proportional to the time waited, capped, jittered within bounds, ending at the horizon.

The targets (docs/waiting.md) are checked here as properties of the schedule, for every jitter draw; the
benchmark (bench/waiting.py) checks them again on the deployed state machine.
"""

from __future__ import annotations

import random
from itertools import pairwise

import pytest

from restore_sync.workflow.backoff import (
    HISTORY_EVENTS_LIMIT,
    HISTORY_EVENTS_PER_POLL,
    WAIT_EVENTS_BUDGET,
    Backoff,
    next_wait,
    schedule,
)

DAY = 24 * 3600
RESTORES = [60, 5 * 60, 30 * 60, 3600, 6 * 3600, DAY]
# Besides the wait loop, a whole execution's history has about 130 events (measured by the benchmark); the
# 24-hour target of 5,000 events leaves the loop this many.
WAIT_EVENTS_FOR_A_DAY = 5000 - 150


def low(a: float, b: float) -> float:
    return a


def high(a: float, b: float) -> float:
    return b


def target_lag(duration: float) -> float:
    return max(30.0, duration / 10)


def detection_lag(times: list[float], ready_at: float) -> float:
    return next(t for t in times if t >= ready_at) - ready_at


def test_interval_is_a_share_of_the_time_waited_between_first_and_cap() -> None:
    b = Backoff(first_seconds=30, lag_percent=10, cap_seconds=300, horizon_seconds=DAY)
    assert [b.interval(t) for t in (-5, 0, 100, 300, 1200, 3000, 10_000)] == [30, 30, 30, 30, 120, 300, 300]


def test_jitter_only_shortens_a_wait_within_its_share() -> None:
    b = Backoff(first_seconds=40, lag_percent=10, cap_seconds=300, jitter_percent=40, horizon_seconds=DAY)
    assert b.wait(0, low) == 24
    assert b.wait(0, high) == 40
    rng = random.Random(7)
    waits = {b.wait(0, rng.uniform) for _ in range(200)}
    assert min(waits) >= 24
    assert max(waits) <= 40
    assert len(waits) > 5


def test_no_jitter_waits_the_whole_interval() -> None:
    b = Backoff(first_seconds=40, lag_percent=10, cap_seconds=300, jitter_percent=0, horizon_seconds=DAY)
    assert b.wait(2000, random.uniform) == 200


def test_wait_is_whole_seconds_never_over_the_interval_and_at_least_one() -> None:
    b = Backoff(first_seconds=1, lag_percent=7, cap_seconds=300, horizon_seconds=DAY)
    assert b.wait(0, low) == 1
    assert all(b.wait(t, high) <= b.interval(t) for t in range(0, 5000, 7))


def test_schedule_polls_until_the_horizon_and_no_further() -> None:
    b = Backoff(first_seconds=10, lag_percent=50, cap_seconds=40, jitter_percent=0, horizon_seconds=200)
    assert schedule(b, high) == [0, 10, 20, 30, 45, 67, 100, 140, 180, 200]


def test_the_last_wait_ends_exactly_at_the_horizon() -> None:
    b = Backoff(first_seconds=10, lag_percent=10, cap_seconds=300, horizon_seconds=3600)
    assert next_wait(b, 3590.5, high) == 10
    assert next_wait(b, 3599.5, high) == 1


@pytest.mark.parametrize("seed", range(20))
def test_default_schedule_never_gives_up_before_the_horizon_of_at_least_24_hours(seed: int) -> None:
    b = Backoff()
    assert b.horizon_seconds >= DAY
    times = schedule(b, random.Random(seed).uniform, start=random.Random(seed).uniform(0, 5))
    # The loop gives up at the last poll: never before the horizon, and at most a second after it.
    assert b.horizon_seconds <= times[-1] <= b.horizon_seconds + 1
    assert max(b - a for a, b in pairwise(times)) <= b.cap_seconds


@pytest.mark.parametrize("draw", [low, high, random.Random(3).uniform], ids=["low", "high", "random"])
def test_default_lag_target_holds_by_construction_for_any_moment_of_readiness(draw: object) -> None:
    b = Backoff()
    times = schedule(b, draw)  # type: ignore[arg-type]
    # The worst moment to become ready is just after a poll: the lag is then the whole wait.
    for before, after in pairwise(times):
        ready_at = before + 1e-3
        lag = after - ready_at
        assert lag <= target_lag(ready_at)
        assert lag <= b.cap_seconds


@pytest.mark.parametrize("duration", RESTORES)
def test_default_lag_target_for_the_benchmark_durations(duration: int) -> None:
    for seed in range(50):
        times = schedule(Backoff(), random.Random(seed).uniform)
        assert detection_lag(times, duration) <= target_lag(duration)


def test_default_24_hour_wait_stays_within_its_history_budget_whatever_the_draws() -> None:
    worst = Backoff(horizon_seconds=DAY).max_polls()
    assert worst == len(schedule(Backoff(horizon_seconds=DAY), low))
    assert worst * HISTORY_EVENTS_PER_POLL <= WAIT_EVENTS_FOR_A_DAY


def test_default_horizon_stays_within_the_history_limit() -> None:
    assert Backoff().max_polls() * HISTORY_EVENTS_PER_POLL <= WAIT_EVENTS_BUDGET < HISTORY_EVENTS_LIMIT


def test_a_schedule_that_would_overflow_the_history_is_refused() -> None:
    with pytest.raises(ValueError, match="raise BackoffCapSeconds or lower HorizonHours"):
        Backoff(cap_seconds=60, horizon_seconds=48 * 3600)
    # The count stops early, so even an absurd schedule is refused at once.
    with pytest.raises(ValueError, match="more than 2222 times"):
        Backoff(first_seconds=1, lag_percent=1, cap_seconds=1, horizon_seconds=720 * 3600)


@pytest.mark.parametrize(
    ("first", "lag", "cap", "jitter", "horizon"),
    [
        (0, 10, 10, 0, 100),
        (20, 10, 10, 0, 100),
        (1, 0, 10, 0, 100),
        (1, 101, 10, 0, 100),
        (1, 10, 10, 95, 100),
        (1, 10, 10, 0, 5),
    ],
)
def test_nonsense_parameters_are_refused(first: int, lag: int, cap: int, jitter: int, horizon: int) -> None:
    with pytest.raises(ValueError, match=r"need|must"):
        Backoff(first_seconds=first, lag_percent=lag, cap_seconds=cap, jitter_percent=jitter, horizon_seconds=horizon)
