"""Step Functions ends an execution whose payload outgrows 256 KiB with States.DataLimitExceeded, which no
Catch or Retry on States.ALL matches.

AWS behaviour reproduced (Step Functions developer guide, "Handling errors": States.DataLimitExceeded is reported
when a connector's output, a state's output, or a state's input after Parameters processing is larger than the
payload quota; it is a terminal error that the States.ALL error type cannot catch; "Service quotas": 256 KiB of
data as a UTF-8 encoded string, the `input`/`output` of history events being at most 262,144 bytes): a payload of
at most 262,144 bytes of UTF-8 JSON passes; one byte more fails the state with `States.DataLimitExceeded`, and
the execution fails with it unless a Catch or Retry names `States.DataLimitExceeded` itself.

moto's interpreter (LocalStack's) already checks a state's output and a task's result, but measures
`json.dumps` with spaces after separators and refuses a payload of exactly 262,144 bytes; its States.ALL matches
the error, so a Catch on States.ALL carries the execution on; and it never checks a Task's input after
Parameters nor a Map iteration's input after ItemSelector.

moto internals patched:
- the `is_within_size_quota` globals of `state` (every state's output), `state_task_lambda` and
  `state_task_service` (a task's result): rebound to `within_limit` (compact JSON, UTF-8, at most 262,144 bytes),
  which for a Lambda task measures the function's payload, not Lambda's whole answer to Invoke;
- `ErrorEqualsDecl._eval_body`: States.ALL does not match States.DataLimitExceeded;
- `StateTaskLambda._eval_parameters`, `StateTask._eval_parameters` (service integrations) and
  `ItemSelector._eval_body`: the effective input is measured and fails the state when over the limit.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any, cast

from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.state import state as state_module
from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_selector import ItemSelector
from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_lambda
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

# AWS's quota: 256 KiB of data as a UTF-8 encoded string.
MAX_PAYLOAD_BYTES = 262_144
DATA_LIMIT_EXCEEDED = StatesErrorNameType.StatesStatesDataLimitExceeded

_lock = threading.Lock()
_installed = False
_original_error_equals: Callable[..., None] = ErrorEqualsDecl._eval_body
_original_lambda_parameters: Callable[..., dict] = StateTaskLambda._eval_parameters
_original_task_parameters: Callable[..., dict] = StateTask._eval_parameters
_original_item_selector: Callable[..., None] = ItemSelector._eval_body


def payload_bytes(value: Any) -> int:
    """The size Step Functions measures: the value as compact JSON (a string as it is), in UTF-8 bytes."""
    text = (
        value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    )
    return len(text.encode("utf-8"))


def within_limit(value: Any) -> bool:
    return payload_bytes(value) <= MAX_PAYLOAD_BYTES


def _error_equals(self: ErrorEqualsDecl, env: Environment) -> None:
    error_name = env.stack[-1]
    if (
        isinstance(error_name, StatesErrorName)
        and error_name.typ == DATA_LIMIT_EXCEEDED
        and ErrorEqualsDecl._STATE_ALL_ERROR in self.error_names
    ):
        env.stack.pop()
        env.stack.append(False)
        return
    _original_error_equals(self, env)


def _refuse_input(env: Environment, state: str, value: Any) -> None:
    if within_limit(value):
        return
    cause = (
        f"The state/task '{state}' has an input of {payload_bytes(value)} bytes after Parameters or ItemSelector "
        f"processing, more than the maximum of {MAX_PAYLOAD_BYTES} bytes."
    )
    raise FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=DATA_LIMIT_EXCEEDED),
            event_type=HistoryEventType.TaskFailed,
            event_details=cast(
                EventDetails,
                {"taskFailedEventDetails": TaskFailedEventDetails(error=DATA_LIMIT_EXCEEDED.to_name(), cause=cause)},
            ),
        )
    )


def _lambda_parameters(self: StateTaskLambda, env: Environment) -> dict:
    parameters = _original_lambda_parameters(self, env)
    _refuse_input(env, self.name, parameters.get("Payload"))
    return parameters


def _task_parameters(self: StateTask, env: Environment) -> dict:
    parameters = _original_task_parameters(self, env)
    _refuse_input(env, self.name, parameters)
    return parameters


def lambda_within_limit(value: Any) -> bool:
    """`within_limit` for a Lambda task, whose check moto calls with Lambda's whole answer to Invoke (the task's
    result is its Payload) and, through the same method, with the state's output."""
    if isinstance(value, dict) and "Payload" in value and "StatusCode" in value:
        return within_limit(value["Payload"])
    return within_limit(value)


def _item_selector(self: ItemSelector, env: Environment) -> None:
    _original_item_selector(self, env)
    _refuse_input(env, "ItemSelector", env.stack[-1])


# Module globals rebound, by module and global name, and what they become.
REBOUND_GLOBALS: list[tuple[ModuleType, str, Callable[[Any], bool]]] = [
    (state_module, "is_within_size_quota", within_limit),
    (state_task_lambda, "is_within_size_quota", lambda_within_limit),
    (state_task_service, "is_within_size_quota", within_limit),
]


def install() -> None:
    """Applies the payload limit to the Step Functions interpreter; later calls do nothing."""
    global _installed
    with _lock:
        if _installed:
            return
        for module, name, stand_in in REBOUND_GLOBALS:
            if name not in vars(module):
                raise RuntimeError(f"moto changed: {module.__name__} no longer imports {name}")
            setattr(module, name, stand_in)
        ErrorEqualsDecl._eval_body = _error_equals  # type: ignore[method-assign]
        StateTaskLambda._eval_parameters = _lambda_parameters  # type: ignore[method-assign]
        StateTask._eval_parameters = _task_parameters  # type: ignore[method-assign]
        ItemSelector._eval_body = _item_selector  # type: ignore[method-assign]
        _installed = True


__all__ = ["MAX_PAYLOAD_BYTES", "install", "payload_bytes", "within_limit"]
