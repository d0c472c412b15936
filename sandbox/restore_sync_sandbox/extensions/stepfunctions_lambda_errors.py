"""Step Functions names a failed Lambda task's error as AWS does: Lambda.Unknown, Lambda.<code>, SdkClientException.

AWS behaviour reproduced: when the Lambda runtime, not the handler, fails an invocation (the process died:
`Runtime.ExitError`, `Runtime.OutOfMemory`; the function's timeout: `Sandbox.Timedout`; or a payload with no
errorType), Step Functions reports `Lambda.Unknown` ("Unhandled errors in Lambda are reported as Lambda.Unknown
... out-of-memory errors and function timeouts", Step Functions developer guide), with the payload as cause; an
error answered by the Lambda API itself is `Lambda.<code>` (`Lambda.TooManyRequestsException`,
`Lambda.ServiceException`), its cause the message and the response's details; a call that got no answer at all
is `Lambda.SdkClientException`. A handler's own error keeps its errorType, so Retry and Catch match it by the
exception's class name. This holds for a Task whose Resource is the function's ARN and for the
`arn:aws:states:::lambda:invoke` integration, whether the failure is real or injected (the fault_injection
extension): moto's interpreter names these `Exception` or after the payload's errorType (its integration
already names Lambda API errors `Lambda.<code>`).

moto internals patched: `_from_error` of the Step Functions interpreter's Lambda tasks (`StateTaskLambda`,
`StateTaskServiceLambda`): moto's failure event is kept and only its error and cause are renamed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any, cast

from botocore.exceptions import BotoCoreError, ClientError
from moto.stepfunctions.parser.api import HistoryEventType
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_lambda import (
    StateTaskServiceLambda,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

# What Step Functions names an invocation the Lambda runtime, not the handler, failed.
_RUNTIME_FAILURES = frozenset({"Runtime.ExitError", "Runtime.OutOfMemory", "Sandbox.Timedout"})
LAMBDA_UNKNOWN = "Lambda.Unknown"

_lock = threading.Lock()
_installed = False
_original_task_error: Callable[..., Any] | None = None
_original_service_task_error: Callable[..., Any] | None = None


def step_functions_error(ex: Exception) -> tuple[str, str] | None:
    """The error and cause AWS Step Functions reports for a Lambda task that failed with `ex`, where moto's
    differ; None where moto already names it as AWS does (a handler's own error)."""
    if isinstance(ex, ClientError):
        return StateTaskServiceLambda._error_cause_from_client_error(ex)
    if isinstance(ex, BotoCoreError):
        return "Lambda.SdkClientException", str(ex)
    if isinstance(ex, lambda_eval_utils.LambdaFunctionErrorException):
        try:
            error_type = json.loads(ex.payload).get("errorType")
        except (ValueError, AttributeError):
            error_type = None
        if error_type is None or error_type in _RUNTIME_FAILURES:
            return LAMBDA_UNKNOWN, ex.payload
    return None


def _renamed(failure: FailureEvent, env: Environment, ex: Exception) -> FailureEvent:
    named = step_functions_error(ex)
    if named is None or not failure.event_details:
        return failure
    error, cause = named
    # One entry, keyed by the event's kind (lambdaFunctionFailedEventDetails, taskFailedEventDetails).
    details: dict[str, Any] = dict(failure.event_details)
    renamed = {key: {**value, "error": error, "cause": cause} for key, value in details.items()}
    return FailureEvent(
        env=env,
        error_name=CustomErrorName(error),
        event_type=failure.event_type,
        event_details=cast(EventDetails, renamed),
    )


def _lambda_task_error(self: StateTaskLambda, env: Environment, ex: Exception) -> FailureEvent:
    assert _original_task_error is not None
    failure: FailureEvent = _original_task_error(self, env, ex)
    if failure.event_type != HistoryEventType.LambdaFunctionFailed:
        return failure
    return _renamed(failure, env, ex)


def _lambda_service_task_error(self: StateTaskServiceLambda, env: Environment, ex: Exception) -> FailureEvent:
    assert _original_service_task_error is not None
    failure: FailureEvent = _original_service_task_error(self, env, ex)
    if failure.event_type != HistoryEventType.TaskFailed:
        return failure
    return _renamed(failure, env, ex)


def install() -> None:
    """Renames the errors of the Step Functions interpreter's failed Lambda tasks; later calls do nothing."""
    global _installed, _original_task_error, _original_service_task_error
    with _lock:
        if _installed:
            return
        for owner in (StateTaskLambda, StateTaskServiceLambda):
            if not callable(getattr(owner, "_from_error", None)):
                raise RuntimeError(f"moto changed: {owner.__name__}._from_error is gone")
        _original_task_error = StateTaskLambda._from_error
        _original_service_task_error = StateTaskServiceLambda._from_error
        StateTaskLambda._from_error = _lambda_task_error  # type: ignore[method-assign]
        StateTaskServiceLambda._from_error = _lambda_service_task_error  # type: ignore[method-assign]
        _installed = True


__all__ = ["LAMBDA_UNKNOWN", "install", "step_functions_error"]
