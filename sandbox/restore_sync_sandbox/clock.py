"""One clock for the whole sandbox: Wait and Retry states, restore durations and timestamps all read it.

Real mode sleeps. Virtual mode never sleeps: a sleep advances an offset added to the real time, so an hour-long
Wait state takes no wall time. The offset is exact for one execution at a time (sandbox-notes.md).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class Clock:
    """Seconds since the epoch, real or virtual."""

    def __init__(self, virtual: bool = False) -> None:
        self.virtual = virtual
        self._offset = 0.0
        self._lock = threading.Lock()

    def time(self) -> float:
        return time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), tz=UTC)

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self.virtual:
            self.advance(seconds)
        else:
            time.sleep(seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds


# The sandbox has one clock; tests and the server swap its mode with use_clock().
_current = Clock()


def current() -> Clock:
    return _current


def use_clock(clock: Clock) -> Clock:
    """Makes `clock` the sandbox clock and returns the previous one."""
    global _current
    previous, _current = _current, clock
    return previous
