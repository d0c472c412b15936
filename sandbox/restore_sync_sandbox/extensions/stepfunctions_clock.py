"""Step Functions waits and timestamps follow the sandbox clock.

AWS behaviour reproduced: a Wait state (`Seconds`, `SecondsPath`, `Timestamp`, `TimestampPath`) and the
interval before a Retry let that much time pass, and the execution's start and stop dates, its history event
timestamps and the context object's `$$.Execution.StartTime` and `$$.State.EnteredTime` show it. On the
virtual clock the time passes without sleeping, so an hour-long Wait takes milliseconds and the history still
shows the hour.

moto internals patched (moto.stepfunctions.parser, LocalStack's interpreter):
- `WaitFunction._wait_interval`: on the virtual clock advances the clock instead of waiting on the
  execution's event; on the real clock moto's own interruptible wait is kept (StopExecution ends it).
- `Timestamp._get_wait_seconds` (also TimestampPath): measured from the clock's now, in UTC (moto compares a
  UTC timestamp with the local naive time).
- `EventManager._get_current_timestamp`: history event timestamps.
- `Execution.get_start_execution_details`: `$$.Execution.StartTime` becomes the ISO 8601 text AWS gives
  (`2026-01-02T03:04:05.678Z`); moto puts the datetime object there, which then breaks DescribeExecution
  of any execution whose output contains it.
- the module globals `time` of `retrier_decl` (Retry intervals) and `datetime` of the parser backend
  (`start_execution`'s start date), `backend.execution` (stop date), `state` (EnteredTime), `map_run_record`
  and `branches_decl`: rebound to stand-ins whose `sleep`/`time`/`now` read the sandbox clock. These modules
  use nothing else of `time` and `datetime` (checked by the test).
"""

from __future__ import annotations

import datetime as _datetime
import time as _time
from types import ModuleType, SimpleNamespace
from typing import Any

from moto.stepfunctions.parser import models as parser_models
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state import state as state_module
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor import (
    map_run_record,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl
from moto.stepfunctions.parser.asl.component.state.wait.wait_function import timestamp as timestamp_module
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.evaluation_details import ExecutionDetails
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
from moto.stepfunctions.parser.backend import execution as execution_module

from restore_sync_sandbox import clock

_original_wait_interval = WaitFunction._wait_interval
_original_start_execution_details = execution_module.Execution.get_start_execution_details


class ClockDatetime(_datetime.datetime):
    """`datetime.datetime` whose now() reads the sandbox clock."""

    @classmethod
    def now(cls, tz: _datetime.tzinfo | None = None) -> _datetime.datetime:  # type: ignore[override]
        return _datetime.datetime.fromtimestamp(clock.current().time(), tz=tz)


# Stand-ins for the `datetime` and `time` modules as the patched moto modules use them.
CLOCK_DATETIME = SimpleNamespace(
    datetime=ClockDatetime, timezone=_datetime.timezone, timedelta=_datetime.timedelta, UTC=_datetime.UTC
)
CLOCK_TIME = SimpleNamespace(
    sleep=lambda seconds: clock.current().sleep(seconds),
    time=lambda: clock.current().time(),
    monotonic=_time.monotonic,
)

# Module globals rebound, by module and global name.
REBOUND_GLOBALS: list[tuple[ModuleType, str, Any]] = [
    (retrier_decl, "time", CLOCK_TIME),
    (parser_models, "datetime", CLOCK_DATETIME),
    (execution_module, "datetime", CLOCK_DATETIME),
    (state_module, "datetime", CLOCK_DATETIME),
    (map_run_record, "datetime", CLOCK_DATETIME),
    (branches_decl, "datetime", CLOCK_DATETIME),
]


def _wait_interval(self: WaitFunction, env: Environment, wait_seconds: int) -> None:
    current = clock.current()
    if not current.virtual:
        _original_wait_interval(self, env=env, wait_seconds=wait_seconds)
        return
    if env.is_running():
        current.sleep(wait_seconds)


def _timestamp_wait_seconds(self: timestamp_module.Timestamp, env: Environment) -> int:
    self.string.eval(env=env)
    timestamp_str: str = env.stack.pop()
    timestamp = self._from_timestamp_string(timestamp=timestamp_str)
    if timestamp is None:
        raise timestamp_module.FailureEventException(self._create_failure_event(env, timestamp_str))
    # The parsed timestamp is naive but written in UTC ("...Z").
    delta = timestamp.replace(tzinfo=_datetime.UTC) - clock.current().now()
    return int(delta.total_seconds())


def _current_timestamp() -> _datetime.datetime:
    return clock.current().now()


def aws_timestamp(moment: _datetime.datetime) -> str:
    """A time as Step Functions writes it in the context object: UTC, milliseconds, `Z`."""
    utc = moment.astimezone(_datetime.UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def _start_execution_details(self: execution_module.Execution) -> ExecutionDetails:
    details = _original_start_execution_details(self)
    if isinstance(details.start_time, _datetime.datetime):
        details.start_time = aws_timestamp(details.start_time)
    return details


def install() -> None:
    """Routes the Step Functions interpreter's sleeps and timestamps through the sandbox clock."""
    WaitFunction._wait_interval = _wait_interval  # type: ignore[method-assign]
    timestamp_module.Timestamp._get_wait_seconds = _timestamp_wait_seconds  # type: ignore[method-assign]
    EventManager._get_current_timestamp = staticmethod(_current_timestamp)  # type: ignore[method-assign]
    execution_module.Execution.get_start_execution_details = _start_execution_details  # type: ignore[method-assign]
    for module, name, stand_in in REBOUND_GLOBALS:
        setattr(module, name, stand_in)
