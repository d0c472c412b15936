"""The polling schedule of the wait loop: intervals proportional to the time waited, capped, jittered, to a horizon."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice

# One poll of the wait loop writes 9 history events: the Task state (entered, Lambda scheduled, started,
# succeeded, exited), the Choice (entered, exited) and the Wait (entered, exited).
HISTORY_EVENTS_PER_POLL = 9
# Standard workflows hold at most 25,000 history events; the wait loop may use at most 80% of them, leaving
# the rest for the work that follows (import, one change set per setting, verify, report).
HISTORY_EVENTS_LIMIT = 25_000
WAIT_EVENTS_BUDGET = HISTORY_EVENTS_LIMIT * 4 // 5


@dataclass(frozen=True)
class Backoff:
    """How long to wait before checking the restored table again, given the time since the restore call.

    interval(t) = min(cap, max(first, lag_percent% of t)); the wait is drawn from
    [(1 - jitter_percent%) x interval, interval] and rounded down to whole seconds.

    The table becomes ACTIVE at some T between a poll at t and the next at t + wait, so the detection lag is
    below the wait, hence below max(first, lag_percent% of T) and below the cap: the lag bound holds by
    construction, whatever the jitter draws. Growing with the time waited rather than with the number of polls
    keeps that true when a poll is retried or late. Between first and cap the interval grows by about
    lag_percent% (less the jitter) per poll: exponential in the number of polls.
    The jitter spreads the polls of simultaneous restores apart; it only ever shortens a wait, so it costs polls,
    never lag. It is partial, not full, so that the number of polls has a hard bound (`max_polls`).
    """

    first_seconds: int = 30
    lag_percent: int = 10
    cap_seconds: int = 300
    jitter_percent: int = 40
    horizon_seconds: int = 48 * 3600

    def __post_init__(self) -> None:
        if not 1 <= self.first_seconds <= self.cap_seconds:
            raise ValueError("need 1 <= first_seconds <= cap_seconds")
        if not 1 <= self.lag_percent <= 100:
            raise ValueError("lag_percent must be between 1 and 100")
        if not 0 <= self.jitter_percent <= 90:
            raise ValueError("jitter_percent must be between 0 and 90")
        if self.horizon_seconds < self.cap_seconds:
            raise ValueError("horizon_seconds must be at least cap_seconds")
        budget = WAIT_EVENTS_BUDGET // HISTORY_EVENTS_PER_POLL
        if self.max_polls(stop_after=budget + 1) > budget:
            raise ValueError(
                f"this schedule may check more than {budget} times before the horizon of {self.horizon_seconds}s: "
                f"more than the {WAIT_EVENTS_BUDGET} history events the wait may use of an execution's "
                f"{HISTORY_EVENTS_LIMIT}; raise BackoffCapSeconds or lower HorizonHours"
            )

    def interval(self, elapsed: float) -> float:
        """The longest wait after a poll made `elapsed` seconds after the restore call."""
        return float(min(self.cap_seconds, max(self.first_seconds, self.lag_percent / 100 * max(0.0, elapsed))))

    def wait(self, elapsed: float, uniform: Callable[[float, float], float] = random.uniform) -> int:
        """Seconds to wait after a poll at `elapsed`; whole seconds because a Wait state takes integers.

        Rounded down so that the wait never exceeds the interval, and at least one second.
        """
        interval = self.interval(elapsed)
        return max(1, math.floor(uniform(interval * (1 - self.jitter_percent / 100), interval)))

    def max_polls(self, stop_after: int | None = None) -> int:
        """The most polls the schedule can make up to the horizon: every jitter draw at its low end.

        Shorter waits only make later intervals shorter, so no other draws make more polls. Counting stops
        at `stop_after` if given.
        """
        return sum(1 for _ in islice(_polls(self, lambda low, high: low, 0.0), stop_after))


def schedule(
    backoff: Backoff, uniform: Callable[[float, float], float] = random.uniform, start: float = 0.0
) -> list[float]:
    """Poll times, in seconds after the restore call, from a first poll at `start` until the horizon.

    The same rule as the wait loop: the last wait is shortened to end at the horizon, where the loop gives up.
    """
    return list(_polls(backoff, uniform, start))


def next_wait(backoff: Backoff, elapsed: float, uniform: Callable[[float, float], float] = random.uniform) -> int:
    """The wait after a poll at `elapsed` that found the table not ready, the last one ending at the horizon."""
    remaining = backoff.horizon_seconds - elapsed
    return min(backoff.wait(elapsed, uniform), max(1, math.ceil(remaining)))


def _polls(backoff: Backoff, uniform: Callable[[float, float], float], start: float) -> Iterator[float]:
    elapsed = start
    yield elapsed
    # Every wait is at least one second, so the horizon ends the loop.
    while elapsed < backoff.horizon_seconds:
        elapsed += next_wait(backoff, elapsed, uniform)
        yield elapsed
