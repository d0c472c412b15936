"""An execution that has ended shows its output (or its error and cause) together with its status.

AWS behaviour reproduced (botocore's stepfunctions model, DescribeExecution): `output` is "the JSON output data of
the execution" and is present once the status is SUCCEEDED; `error` and `cause` come with FAILED. A caller that
reads a SUCCEEDED execution always finds its output.

moto set the status first and the output (or error and cause) a moment later, from the interpreter's thread: a
DescribeExecution in between saw SUCCEEDED with output `null`, or FAILED without a cause (seen under load in the
test suite).

moto internals patched: `BaseExecutionWorkerCommunication._reflect_execution_status` (replaced: the same fields,
the status last).
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from typing import Any

from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.asl.eval.program_state import (
    ProgramEnded,
    ProgramError,
    ProgramStopped,
    ProgramTimedOut,
)
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

from restore_sync_sandbox import clock

_lock = threading.Lock()
_original: list[Callable[..., Any]] = []


def _reflect_execution_status(self: BaseExecutionWorkerCommunication) -> None:
    # moto's annotations allow None where an ended execution always has its worker, environment and error.
    execution: Any = self.execution
    ended: Any = execution.exec_worker.env.program_state()
    execution.stop_date = datetime.datetime.fromtimestamp(clock.current().time(), tz=datetime.UTC)
    if isinstance(ended, ProgramEnded):
        execution.output = execution.exec_worker.env.states.get_input()
        status = ExecutionStatus.SUCCEEDED
    elif isinstance(ended, ProgramStopped):
        status = ExecutionStatus.ABORTED
    elif isinstance(ended, ProgramError):
        details = ended.error or {}
        execution.error = details.get("error")
        execution.cause = details.get("cause")
        status = ExecutionStatus.FAILED
    elif isinstance(ended, ProgramTimedOut):
        status = ExecutionStatus.TIMED_OUT
    else:
        raise RuntimeWarning(f"Execution ended with unsupported ProgramState type '{type(ended)}'.")
    execution.exec_status = status


def install() -> None:
    """Applies the patch once; later calls do nothing."""
    with _lock:
        if _original:
            return
        if not callable(getattr(BaseExecutionWorkerCommunication, "_reflect_execution_status", None)):
            raise RuntimeError("moto changed: BaseExecutionWorkerCommunication._reflect_execution_status is gone")
        _original.append(BaseExecutionWorkerCommunication._reflect_execution_status)
        BaseExecutionWorkerCommunication._reflect_execution_status = _reflect_execution_status  # type: ignore[method-assign]
