"""The polling schedule of the wait loop: exponential, capped, with equal jitter, until a horizon."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Interval n = min(cap, first * rate**n); the wait is drawn from [interval/2, interval] (equal jitter).

    Equal jitter keeps the mean wait near the interval, so detection lag stays bounded by the interval, while
    spreading retries of simultaneous restores apart; full jitter would allow waits near zero and so many
    more polls for the same lag.
    """

    first_seconds: int = 20
    rate: float = 1.07
    cap_seconds: int = 300
    horizon_seconds: int = 48 * 3600

    def __post_init__(self) -> None:
        if not 1 <= self.first_seconds <= self.cap_seconds:
            raise ValueError("need 1 <= first_seconds <= cap_seconds")
        if self.rate < 1:
            raise ValueError("rate must be at least 1")
        if self.horizon_seconds < self.cap_seconds:
            raise ValueError("horizon_seconds must be at least cap_seconds")

    def interval(self, attempt: int) -> float:
        """The un-jittered interval before poll `attempt + 1` (attempt counts from 0)."""
        # rate**attempt would overflow after enough attempts; by 200 any useful rate is far past the cap.
        exponent = min(attempt, 200)
        return float(min(self.cap_seconds, self.first_seconds * self.rate**exponent))

    def wait(self, attempt: int, uniform: Callable[[float, float], float] = random.uniform) -> int:
        """Seconds to wait after poll `attempt`; whole seconds because a Wait state takes integers."""
        interval = self.interval(attempt)
        return max(1, round(uniform(interval / 2, interval)))


def schedule(backoff: Backoff, uniform: Callable[[float, float], float] = random.uniform) -> list[float]:
    """Poll times, in seconds after the first poll, until the horizon: what the wait loop will do."""
    times = [0.0]
    # Every wait is at least one second, so the horizon bounds the number of polls.
    for attempt in range(backoff.horizon_seconds):
        nxt = times[-1] + backoff.wait(attempt, uniform)
        if nxt > backoff.horizon_seconds:
            break
        times.append(nxt)
    return times
