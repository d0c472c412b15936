"""Step Functions redrives a Standard execution that did not succeed: RedriveExecution.

AWS behaviour reproduced (Step Functions developer guide, "Redriving executions"; API reference, RedriveExecution,
DescribeExecution, ListExecutions, ExecutionRedrivenEventDetails; "Context object"; botocore's `stepfunctions`
service model):
- RedriveExecution of a FAILED, TIMED_OUT or ABORTED Standard execution continues the same execution (same ARN,
  same definition, same input) from the state that did not succeed, with the input that state was given; the
  states that succeeded are not run again. Retry counters start afresh. The history continues: an
  `ExecutionRedriven` event (`executionRedrivenEventDetails.redriveCount`), then the events of the rerun. The
  answer is `{"redriveDate": ...}`.
- Refused with `ExecutionNotRedrivable` (redriveStatusReason's wording): a RUNNING or SUCCEEDED execution, an
  execution that ended more than 14 days ago (the redrivable period), one whose history holds 24,999 events or
  more, an Express one; an unknown execution is `ExecutionDoesNotExist`.
- The context object's `$$.Execution.RedriveCount` is 0 until the execution is redriven, then the count;
  `$$.Execution.RedriveTime` exists only after a redrive.
- DescribeExecution shows `redriveCount` (0 until redriven), `redriveDate` (after a redrive), `redriveStatus`
  (REDRIVABLE or NOT_REDRIVABLE) and, when not redrivable, `redriveStatusReason`; ListExecutions items show
  `redriveCount` and `redriveDate`, and `redriveFilter` (REDRIVEN | NOT_REDRIVEN) lists only those.

Not reproduced: an Inline Map or Parallel state that failed is run again whole, not only its failed iterations or
branches (the sandbox records where an execution stopped at the top level only); Distributed Map runs, versions
and aliases are not modelled; `clientToken` is accepted and not used for idempotency.

moto internals patched (moto.stepfunctions.parser, LocalStack's interpreter):
- `CommonStateField._eval_body`: each top-level state records its name and input before it runs, which is where a
  redrive resumes (Map iterations and Parallel branches run in frames and are not recorded).
- `ExecutionWorker._get_evaluation_environment`: `RedriveCount` (and `RedriveTime`) in the context object.
- `StepFunctionsParserBackend.redrive_execution` (new) and `StepFunctionResponse.redrive_execution` (new: moto finds
  handler methods by the action's name); `StepFunctionResponse.describe_execution` and `list_executions`, and
  `StepFunctionBackend.list_executions` (the redrive filter, applied before pagination).
"""

from __future__ import annotations

import copy
import datetime
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from moto.core.exceptions import AWSError
from moto.core.responses import ActionResult
from moto.stepfunctions.exceptions import ValidationException
from moto.stepfunctions.models import StepFunctionBackend
from moto.stepfunctions.parser.api import (
    ExecutionRedrivenEventDetails,
    ExecutionStatus,
    HistoryEventType,
    StateMachineType,
)
from moto.stepfunctions.parser.asl.component.common.flow.start_at import StartAt
from moto.stepfunctions.parser.asl.component.program.program import Program
from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse
from moto.stepfunctions.utils import PAGINATION_MODEL
from moto.utilities.paginator import paginate

from restore_sync_sandbox import clock
from restore_sync_sandbox.extensions.stepfunctions_clock import aws_timestamp

REDRIVABLE_PERIOD = datetime.timedelta(days=14)
# A redrive appends ExecutionRedriven and at least one more event to a history of at most 25,000.
MAX_HISTORY_EVENTS = 24_999
REDRIVABLE_STATUSES = frozenset({ExecutionStatus.FAILED, ExecutionStatus.TIMED_OUT, ExecutionStatus.ABORTED})
REDRIVE_FILTERS = ("REDRIVEN", "NOT_REDRIVEN")


class ExecutionNotRedrivable(AWSError):
    TYPE = "ExecutionNotRedrivable"
    STATUS = 400


@dataclass(frozen=True)
class Redrive:
    count: int
    date: datetime.datetime


@dataclass(frozen=True)
class ResumePoint:
    """Where a top-level state began: its name and the input it was given."""

    state: str
    state_input: Any


_lock = threading.Lock()
_installed = False
# The last redrive of each execution, and where each execution's top level last entered a state.
_redrives: weakref.WeakKeyDictionary[Execution, Redrive] = weakref.WeakKeyDictionary()
_resume_points: weakref.WeakKeyDictionary[Environment, ResumePoint] = weakref.WeakKeyDictionary()

_original_state_body: Callable[..., None] = CommonStateField._eval_body
_original_environment: Callable[..., Environment] = ExecutionWorker._get_evaluation_environment
_original_describe: Callable[..., ActionResult] = StepFunctionResponse.describe_execution
_original_list: Callable[..., ActionResult] = StepFunctionResponse.list_executions


def redrive_count(execution: Execution) -> int:
    redrive = _redrives.get(execution)
    return redrive.count if redrive else 0


def not_redrivable_reason(execution: Execution) -> str | None:
    """Why RedriveExecution would refuse the execution now (redriveStatusReason's wording), or None."""
    if execution.sm_type == StateMachineType.EXPRESS:
        return "Execution of an EXPRESS state machine cannot be redriven"
    status = execution.exec_status
    if status not in REDRIVABLE_STATUSES:
        return f"Execution is {status.value if status else 'RUNNING'} and cannot be redriven"
    if execution.stop_date is not None and clock.current().now() - execution.stop_date > REDRIVABLE_PERIOD:
        return "Execution redrivable period exceeded"
    worker = execution.exec_worker
    if (
        worker is not None
        and worker.env is not None
        and len(worker.env.event_manager.get_event_history()) >= MAX_HISTORY_EVENTS
    ):
        return "Execution history event limit exceeded"
    return None


def _state_body(self: CommonStateField, env: Environment) -> None:
    # A frame is a Map iteration or a Parallel branch: a redrive resumes at the top-level state that holds it.
    if not env.is_frame():
        # A copy: the state's evaluation may write its result into the input it was given (ResultPath).
        _resume_points[env] = ResumePoint(self.name, copy.deepcopy(env.states.get_input()))
    _original_state_body(self, env)


def _evaluation_environment(self: ExecutionWorker) -> Environment:
    env = _original_environment(self)
    communication = self._execution_communication
    execution = communication.execution if isinstance(communication, BaseExecutionWorkerCommunication) else None
    redrive = _redrives.get(execution) if execution is not None else None
    data = env.states.context_object.context_object_data["Execution"]
    data["RedriveCount"] = redrive.count if redrive else 0  # type: ignore[typeddict-unknown-key]
    if redrive:
        data["RedriveTime"] = aws_timestamp(redrive.date)  # type: ignore[typeddict-unknown-key]
    return env


class RedriveWorker(ExecutionWorker):
    """Runs an execution again from where it stopped, in a new environment that continues the old history."""

    def __init__(self, execution: Execution, previous: Environment, resume: ResumePoint | None) -> None:
        super().__init__(
            evaluation_details=execution.exec_worker._evaluation_details,  # type: ignore[union-attr]
            exec_comm=BaseExecutionWorkerCommunication(execution),
            cloud_watch_logging_session=execution._cloud_watch_logging_session,
            activity_store=execution._activity_store,
        )
        self._previous = previous
        self._resume = resume

    def _execution_logic(self) -> None:
        program = self._get_evaluation_entrypoint()
        assert isinstance(program, Program)
        env = self._get_evaluation_environment()
        # The history continues where it stopped: same events, same numbering.
        env.event_manager = self._previous.event_manager
        history = env.event_manager.get_event_history()
        env.event_history_context.source_event_id = history[-1]["id"] if history else 0
        env.event_history_context.last_published_event_id = env.event_history_context.source_event_id
        self.env = env
        count = env.states.context_object.context_object_data["Execution"]["RedriveCount"]  # type: ignore[typeddict-item]
        env.event_manager.add_event(
            context=env.event_history_context,
            event_type=HistoryEventType.ExecutionRedriven,
            # moto's EventDetails does not list this event's details.
            event_details=cast(
                EventDetails, {"executionRedrivenEventDetails": ExecutionRedrivenEventDetails(redriveCount=count)}
            ),
        )
        start = program.start_at
        if self._resume is not None:
            start = StartAt(self._resume.state)
            env.states.reset(input_value=self._resume.state_input)
        else:
            env.states.reset(input_value=self._evaluation_details.execution_details.inpt)
        Program(
            query_language=program.query_language,
            start_at=start,
            states=program.states,
            timeout_seconds=program.timeout_seconds,
            comment=program.comment,
            version=program.version,
        ).eval(env)
        self._execution_communication.terminated()


def redrive_execution(self: StepFunctionsParserBackend, execution_arn: str) -> datetime.datetime:
    """RedriveExecution: resumes the execution from the state that did not succeed; returns the redrive date."""
    execution = self.describe_execution(execution_arn)
    if not isinstance(execution, Execution):
        raise ExecutionNotRedrivable(f"Execution {execution_arn} cannot be redriven")
    reason = not_redrivable_reason(execution)
    if reason is not None:
        raise ExecutionNotRedrivable(reason)
    previous = execution.exec_worker.env if execution.exec_worker else None
    if previous is None:
        raise ExecutionNotRedrivable(f"Execution {execution_arn} never started and cannot be redriven")
    date = clock.current().now()
    _redrives[execution] = Redrive(count=redrive_count(execution) + 1, date=date)
    worker = RedriveWorker(execution, previous, _resume_points.get(previous))
    execution.exec_worker = worker
    execution.exec_status = ExecutionStatus.RUNNING
    execution.stop_date = None
    execution.error = None
    execution.cause = None
    execution.output = None
    worker.start()
    return date


def _redrive_response(self: StepFunctionResponse) -> ActionResult:
    backend = self.stepfunction_backend
    if not isinstance(backend, StepFunctionsParserBackend):
        raise ExecutionNotRedrivable("executions run only when the sandbox executes state machines")
    date = redrive_execution(backend, self._get_param("executionArn"))
    return ActionResult({"redriveDate": date})


def _redrive_fields(execution: Any) -> dict[str, Any]:
    if not isinstance(execution, Execution):
        return {}
    fields: dict[str, Any] = {"redriveCount": redrive_count(execution)}
    redrive = _redrives.get(execution)
    if redrive is not None:
        fields["redriveDate"] = redrive.date
    return fields


def _describe_response(self: StepFunctionResponse) -> ActionResult:
    result = _original_describe(self)
    execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
    if not isinstance(execution, Execution):
        return result
    response = dict(result.result)
    response.update(_redrive_fields(execution))
    reason = not_redrivable_reason(execution)
    response["redriveStatus"] = "NOT_REDRIVABLE" if reason else "REDRIVABLE"
    if reason:
        response["redriveStatusReason"] = reason
    return ActionResult(response)


def _list_response(self: StepFunctionResponse) -> ActionResult:
    redrive_filter = self._get_param("redriveFilter")
    if redrive_filter is not None and redrive_filter not in REDRIVE_FILTERS:
        raise ValidationException(
            f"1 validation error detected: Value '{redrive_filter}' at 'redriveFilter' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(REDRIVE_FILTERS)}]"
        )
    _list_filter.value = redrive_filter
    try:
        result = _original_list(self)
    finally:
        _list_filter.value = None
    response = dict(result.result)  # type: ignore[call-overload]
    backend = self.stepfunction_backend
    executions = {
        e.execution_arn: e for e in backend.describe_state_machine(self._get_param("stateMachineArn")).executions
    }
    response["executions"] = [
        {**item, **_redrive_fields(executions.get(item["executionArn"]))} for item in response["executions"]
    ]
    return ActionResult(response)


class _ListFilter(threading.local):
    value: str | None = None


_list_filter = _ListFilter()


@paginate(pagination_model=PAGINATION_MODEL)
def list_executions(self: StepFunctionBackend, state_machine_arn: str, status_filter: str | None = None) -> list[Any]:
    """moto's ListExecutions, with the redrive filter of the request being answered applied before pagination."""
    executions = self.describe_state_machine(state_machine_arn).executions
    if status_filter:
        executions = [e for e in executions if e.status == status_filter]
    if _list_filter.value is not None:
        redriven = _list_filter.value == "REDRIVEN"
        executions = [
            e for e in executions if (redrive_count(e) > 0 if isinstance(e, Execution) else False) == redriven
        ]
    return sorted(executions, key=lambda x: x.start_date, reverse=True)


def install() -> None:
    """Adds RedriveExecution to the executing Step Functions backend; later calls do nothing."""
    global _installed
    with _lock:
        if _installed:
            return
        for owner, name in [
            (CommonStateField, "_eval_body"),
            (ExecutionWorker, "_get_evaluation_environment"),
            (ExecutionWorker, "_execution_logic"),
            (StepFunctionResponse, "describe_execution"),
            (StepFunctionResponse, "list_executions"),
            (StepFunctionBackend, "list_executions"),
        ]:
            if not callable(vars(owner).get(name)):
                raise RuntimeError(f"moto changed: {owner.__name__}.{name} is gone")
        CommonStateField._eval_body = _state_body  # type: ignore[method-assign]
        ExecutionWorker._get_evaluation_environment = _evaluation_environment  # type: ignore[method-assign]
        StepFunctionsParserBackend.redrive_execution = redrive_execution  # type: ignore[attr-defined]
        StepFunctionResponse.redrive_execution = _redrive_response  # type: ignore[attr-defined]
        StepFunctionResponse.describe_execution = _describe_response  # type: ignore[method-assign]
        StepFunctionResponse.list_executions = _list_response  # type: ignore[method-assign]
        StepFunctionBackend.list_executions = list_executions  # type: ignore[method-assign]
        _installed = True


__all__ = ["ExecutionNotRedrivable", "install", "not_redrivable_reason", "redrive_count", "redrive_execution"]
