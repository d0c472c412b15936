"""Injected faults: throttling, internal errors, timeouts and Lambda crashes, by service and operation.

AWS behaviour reproduced: any AWS call can fail transiently, and each service says so in its own words. A
throttled call answers the service's throttling code and HTTP status (DynamoDB `ThrottlingException` 400, or
`ProvisionedThroughputExceededException` 400 for item operations; CloudFormation, CloudWatch, IAM and STS
`Throttling` 400; Lambda `TooManyRequestsException` 429; SQS `RequestThrottled` 400; most JSON services
`ThrottlingException` 400); an internal error answers the service's 500 (`InternalServerError` for DynamoDB,
`ServiceException` for Lambda, `InternalServiceException` for Application Auto Scaling, `InternalServiceError`
for CloudWatch, `InternalException` for EventBridge, `ServiceFailure` for IAM, `InternalFailure` elsewhere). A
faulted call does nothing: no resource changes and no CloudTrail event. The answer is serialized in the
service's own protocol by moto's serializer, so botocore parses it as it parses AWS's (and its retry modes
retry it: the throttling codes are botocore's throttling codes; 500, 502, 503 and 504 are transient).

Lambda functions can also fail inside the service: `crash` answers Invoke with HTTP 200, `FunctionError:
Unhandled` and the payload Lambda returns when the runtime process dies (`{"errorType": "Runtime.ExitError",
"errorMessage": "RequestId: ... Error: Runtime exited with error: exit status 1"}`); `handler-timeout` with the
payload of a function killed at its timeout (`{"errorType": "Sandbox.Timedout", "errorMessage": "RequestId: ...
Error: Task timed out after 3.00 seconds"}`, the function's own Timeout, reported at once, without waiting).
With `at=end` the handler runs to completion first, so its effects happen and only its answer is lost: the
case a retry must not double. Step Functions reports both as `Lambda.Unknown` ("Unhandled errors in Lambda are
reported as Lambda.Unknown ... out-of-memory errors and function timeouts", Step Functions developer guide), and
reports an error answered by the Lambda API itself as `Lambda.<code>` (`Lambda.TooManyRequestsException`,
`Lambda.ServiceException`); a call that got no answer at all is `Lambda.SdkClientException`. moto's interpreter
names all of these `Exception` or after the payload's errorType, so this module renames them as AWS does.

`timeout` holds the request for `seconds` (default 2) of REAL time, whatever the sandbox clock: the point is to
outlast a client's socket read timeout, so that botocore raises ReadTimeoutError (and, with retries on, tries
again). Give the client a read timeout below `seconds` (`Config(read_timeout=1)`); a client that waits longer
gets, after `seconds`, HTTP 504 `RequestTimeout`, as from a gateway. The call is not performed, unless
`applied=true`: then it is performed first and only its answer is late, the case where a retried create or
start meets the first attempt's result. `reset()` releases held requests at once. Under `mock_aws` there is no
socket, so the call just takes `seconds` longer and answers 504. The Step Functions interpreter's own clients
wait 99999999 s: against it use `internal` or `handler-timeout`, not `timeout`.

Rules, grammar of `parse()` (the `--faults` option of `restore-sync sandbox`):

    SPEC      := RULE ("," RULE)*                      spaces around rules and fields are ignored
    RULE      := SERVICE ":" OPERATION ":" KIND (":" PARAM)*
    SERVICE   := a boto3 client name: dynamodb, cloudformation, lambda, stepfunctions (or states), sqs,
                 application-autoscaling, cloudwatch (or monitoring), events, logs, backup, iam, sts, ...
    OPERATION := an API operation name as AWS spells it (DescribeTable, CreateChangeSet, Invoke), or "*"
    KIND      := throttle | internal | timeout | crash | handler-timeout   (the last two: lambda only)
    PARAM     := times=N        the first N matching calls fail (after `after`); default 1 without p
               | p=P            each matching call fails with probability P in [0, 1] (also probability=P);
                                with times=N as well, at most N fail
               | seed=S         seeds that rule's random.Random (an integer); without it p is not reproducible
               | after=N        the first N matching calls pass untouched
               | function=NAME  lambda only: only this function (its name, not its ARN)
               | code=CODE      throttle, internal: answer this error code instead of the service's
               | status=N       throttle, internal: answer this HTTP status instead
               | seconds=S      timeout: how long the request is held (real seconds, default 2)
               | applied=true   timeout: perform the call, then answer late
               | at=start|end   crash, handler-timeout: before the handler runs (default) or after it ran

    e.g. "dynamodb:DescribeTable:throttle:times=3, cloudformation:*:internal:p=0.2:seed=7,
          lambda:Invoke:crash:times=1:function=restore-sync-apply"

Every rule whose service, operation (and function) match a call counts it (`matched`); the first rule, in
order, that decides to fail it injects its fault (`injected`); rules after it still count the call but do not
draw. Lambda `crash` and `handler-timeout` apply to every invocation of a function (Invoke, Step Functions,
EventBridge targets, event source mappings); the other kinds apply to API requests only, so `lambda:Invoke:
throttle` does not reach event source mappings, which moto invokes without an API request.

moto internals patched: `moto.core.responses.BaseResponse._dispatch` (wrapped around the CloudTrail extension's
wrapper, which is installed first, so a faulted call never reaches it), `moto.awslambda.models.LambdaFunction.
invoke` (around the in-process runner), and `_from_error` of the Step Functions interpreter's Lambda tasks
(`StateTaskLambda`, `StateTaskServiceLambda`).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import uuid
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from botocore.exceptions import BotoCoreError, ClientError
from moto.awslambda.models import LambdaFunction
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse
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

from restore_sync_sandbox.extensions import cloudtrail_events

logger = logging.getLogger(__name__)

Kind = Literal["throttle", "internal", "timeout", "crash", "handler-timeout"]
KINDS: tuple[Kind, ...] = ("throttle", "internal", "timeout", "crash", "handler-timeout")
_REQUEST_KINDS = frozenset({"throttle", "internal", "timeout"})
_INVOCATION_KINDS = frozenset({"crash", "handler-timeout"})
DEFAULT_TIMEOUT_SECONDS = 2.0

# Spellings accepted for a service -> the boto3 client name rules are stored under.
_SERVICE_ALIASES = {"states": "stepfunctions", "monitoring": "cloudwatch", "awslambda": "lambda"}
# moto's handler service_name -> boto3 client name, where they differ.
_MOTO_SERVICES = {"awslambda": "lambda"}

# (code, HTTP status, message) per service; "*" is every other service.
_THROTTLE: dict[str, tuple[str, int, str]] = {
    "dynamodb": ("ThrottlingException", 400, "Rate of requests exceeds the allowed throughput."),
    "cloudformation": ("Throttling", 400, "Rate exceeded"),
    "cloudwatch": ("Throttling", 400, "Rate exceeded"),
    "iam": ("Throttling", 400, "Rate exceeded"),
    "sts": ("Throttling", 400, "Rate exceeded"),
    "lambda": ("TooManyRequestsException", 429, "Rate Exceeded."),
    "sqs": ("RequestThrottled", 400, "Rate exceeded"),
    "*": ("ThrottlingException", 400, "Rate exceeded"),
}
_DYNAMODB_ITEM_THROTTLE = (
    "ProvisionedThroughputExceededException",
    400,
    "The level of configured provisioned throughput for the table was exceeded. "
    "Consider increasing your provisioning level with the UpdateTable API.",
)
_DYNAMODB_ITEM_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
_INTERNAL: dict[str, tuple[str, int, str]] = {
    "dynamodb": ("InternalServerError", 500, "Internal server error"),
    "lambda": ("ServiceException", 500, "An internal service error occurred."),
    "application-autoscaling": ("InternalServiceException", 500, "The service encountered an internal error."),
    "cloudwatch": ("InternalServiceError", 500, "Internal service error"),
    "events": ("InternalException", 500, "Internal service error"),
    "logs": ("ServiceUnavailableException", 500, "The service cannot complete the request."),
    "backup": ("ServiceUnavailableException", 500, "The service cannot complete the request."),
    "iam": ("ServiceFailure", 500, "The request processing has failed because of an unknown error."),
    "*": ("InternalFailure", 500, "The request processing has failed because of an unknown error."),
}
_GATEWAY_TIMEOUT = ("RequestTimeout", 504, "The request timed out before the service answered.")

# What Step Functions names an invocation the Lambda runtime, not the handler, failed.
_RUNTIME_FAILURES = frozenset({"Runtime.ExitError", "Runtime.OutOfMemory", "Sandbox.Timedout"})
LAMBDA_UNKNOWN = "Lambda.Unknown"


class FaultSpecError(ValueError):
    """A fault rule or spec that cannot be used; the message names the rule and what is wrong with it."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


@dataclass(frozen=True)
class Rule:
    """One fault: which calls it matches, what it answers and how often. See the module docstring."""

    service: str
    operation: str
    kind: Kind
    times: int | None = None
    probability: float | None = None
    seed: int | None = None
    after: int = 0
    function: str | None = None
    code: str | None = None
    status: int | None = None
    seconds: float = DEFAULT_TIMEOUT_SECONDS
    applied: bool = False
    at: Literal["start", "end"] = "start"

    def __post_init__(self) -> None:
        object.__setattr__(self, "service", _SERVICE_ALIASES.get(self.service.lower(), self.service.lower()))
        problems = _problems(self)
        if problems:
            raise FaultSpecError(f"fault rule {self}: {'; '.join(problems)}", problems)

    @property
    def limit(self) -> int | None:
        """How many calls this rule may fail at most (None: no limit)."""
        if self.times is not None:
            return self.times
        return None if self.probability is not None else 1

    def __str__(self) -> str:
        parts = [self.service, self.operation, self.kind]
        defaults = Rule.__dataclass_fields__
        for name, label in (
            ("times", "times"),
            ("probability", "p"),
            ("seed", "seed"),
            ("after", "after"),
            ("function", "function"),
            ("code", "code"),
            ("status", "status"),
            ("seconds", "seconds"),
            ("applied", "applied"),
            ("at", "at"),
        ):
            value = getattr(self, name)
            if value != defaults[name].default:
                parts.append(f"{label}={str(value).lower() if isinstance(value, bool) else value}")
        return ":".join(parts)


def _problems(rule: Rule) -> list[str]:
    problems = []
    if not rule.service or not rule.service.replace("-", "").isalnum():
        problems.append(f"service {rule.service!r} is not a service name (dynamodb, lambda, ...)")
    if not rule.operation or not (rule.operation == "*" or rule.operation.isalnum()):
        problems.append(f"operation {rule.operation!r} is not an API operation name (DescribeTable) or *")
    if rule.kind not in KINDS:
        problems.append(f"kind {rule.kind!r} is not one of {', '.join(KINDS)}")
    if rule.kind in _INVOCATION_KINDS and (rule.service != "lambda" or rule.operation not in ("Invoke", "*")):
        problems.append(f"{rule.kind} applies to lambda:Invoke only")
    if rule.function is not None and rule.service != "lambda":
        problems.append("function= applies to lambda rules only")
    if rule.times is not None and rule.times < 0:
        problems.append("times must be 0 or more")
    if rule.probability is not None and not 0.0 <= rule.probability <= 1.0:
        problems.append("p must be between 0 and 1")
    if rule.seed is not None and rule.probability is None:
        problems.append("seed needs p")
    if rule.after < 0:
        problems.append("after must be 0 or more")
    if (rule.code is not None or rule.status is not None) and rule.kind not in ("throttle", "internal"):
        problems.append("code= and status= apply to throttle and internal only")
    if rule.status is not None and not 400 <= rule.status <= 599:
        problems.append("status must be an HTTP error status (400-599)")
    if rule.kind != "timeout" and (rule.seconds != DEFAULT_TIMEOUT_SECONDS or rule.applied):
        problems.append("seconds= and applied= apply to timeout only")
    if not rule.seconds > 0:
        problems.append("seconds must be more than 0")
    if rule.at != "start" and rule.kind not in _INVOCATION_KINDS:
        problems.append("at= applies to crash and handler-timeout only")
    if rule.at not in ("start", "end"):
        problems.append("at must be start or end")
    return problems


_PARAMS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "times": ("times", int),
    "p": ("probability", float),
    "probability": ("probability", float),
    "seed": ("seed", int),
    "after": ("after", int),
    "function": ("function", str),
    "code": ("code", str),
    "status": ("status", int),
    "seconds": ("seconds", float),
    "applied": ("applied", lambda text: {"true": True, "false": False}[text.lower()]),
    "at": ("at", str),
}


def parse(spec: str) -> list[Rule]:
    """The rules of a spec in the module docstring's grammar, in order. Raises FaultSpecError naming the rule
    and what is wrong with it. An empty or blank spec is no rules."""
    rules = []
    for text in (part.strip() for part in spec.split(",")):
        if not text:
            if spec.strip():
                raise FaultSpecError(f"empty rule in {spec!r}: rules are separated by single commas")
            continue
        fields = [piece.strip() for piece in text.split(":")]
        if len(fields) < 3:
            raise FaultSpecError(f"fault rule {text!r}: expected SERVICE:OPERATION:KIND[:PARAM=VALUE...]")
        service, operation, kind, *params = fields
        if kind not in KINDS:
            raise FaultSpecError(f"fault rule {text!r}: kind {kind!r} is not one of {', '.join(KINDS)}")
        values: dict[str, Any] = {}
        for param in params:
            name, equals, value = param.partition("=")
            if name not in _PARAMS or not equals or not value:
                raise FaultSpecError(
                    f"fault rule {text!r}: {param!r} is not NAME=VALUE with NAME one of {', '.join(_PARAMS)}"
                )
            attribute, convert = _PARAMS[name]
            if attribute in values:
                raise FaultSpecError(f"fault rule {text!r}: {name} is given twice")
            try:
                values[attribute] = convert(value)
            except (ValueError, KeyError):
                raise FaultSpecError(f"fault rule {text!r}: {name}={value!r} is not a valid value") from None
        try:
            rules.append(Rule(service=service, operation=operation, kind=kind, **values))
        except FaultSpecError as error:
            raise FaultSpecError(f"fault rule {text!r}: {'; '.join(error.problems)}", error.problems) from None
    return rules


@dataclass(frozen=True)
class Counts:
    """How many calls a rule matched (including those `after` let through) and how many it failed."""

    rule: Rule
    matched: int
    injected: int


@dataclass
class _Slot:
    rule: Rule
    matched: int = 0
    injected: int = 0
    random: random.Random = field(default_factory=random.Random)


_lock = threading.Lock()
_slots: list[_Slot] = []
# Set to release every request a timeout fault is holding; replaced by reset().
_release = threading.Event()
_installed = False
_original_dispatch: Callable[..., Any] | None = None
_original_invoke: Callable[..., Any] | None = None
_original_task_error: Callable[..., Any] | None = None
_original_service_task_error: Callable[..., Any] | None = None


def configure(rules: Iterable[Rule]) -> None:
    """Replaces every rule (and its counts) with `rules`, in order."""
    slots = [_slot(rule) for rule in rules]
    with _lock:
        _slots[:] = slots


def add(rule: Rule) -> None:
    """Adds a rule after the others."""
    slot = _slot(rule)
    with _lock:
        _slots.append(slot)


def reset() -> None:
    """No rules, no counts; requests held by a timeout fault are answered at once."""
    global _release
    with _lock:
        _slots.clear()
        released, _release = _release, threading.Event()
    released.set()


def rules() -> list[Rule]:
    """The rules in force, in order."""
    with _lock:
        return [slot.rule for slot in _slots]


def injected() -> list[Counts]:
    """Per rule, in order: calls matched and faults injected so far."""
    with _lock:
        return [Counts(slot.rule, slot.matched, slot.injected) for slot in _slots]


def _slot(rule: Rule) -> _Slot:
    return _Slot(rule=rule, random=random.Random(rule.seed))  # noqa: S311 - reproducible draws, not secrets


def _matches(rule: Rule, service: str, operation: str, function: str | None) -> bool:
    if rule.service != service:
        return False
    if rule.operation != "*" and rule.operation.lower() != operation.lower():
        return False
    return rule.function is None or rule.function == function


def _decide(service: str, operation: str, function: str | None, kinds: frozenset[str]) -> Rule | None:
    """Counts the call in every matching rule of these kinds; returns the rule that fails it, if any."""
    chosen: Rule | None = None
    with _lock:
        for slot in _slots:
            rule = slot.rule
            if rule.kind not in kinds or not _matches(rule, service, operation, function):
                continue
            slot.matched += 1
            if chosen is not None or slot.matched <= rule.after:
                continue
            limit = rule.limit
            if limit is not None and slot.injected >= limit:
                continue
            if rule.probability is not None and not slot.random.random() < rule.probability:
                continue
            slot.injected += 1
            chosen = rule
    return chosen


# ---- API requests ---------------------------------------------------------------------------------------------


class _InjectedError(ServiceException):
    def __init__(self, code: str, message: str, **members: Any) -> None:
        super().__init__(code, message)
        for name, value in members.items():
            setattr(self, name, value)


def _quiet_unmodelled_codes() -> None:
    # moto warns when an error code is not in the service's model; AWS's throttling codes often are not.
    warnings.filterwarnings("ignore", message=r"Exception\(_InjectedError\)", category=UserWarning)


# At import too: a test runner restores the warning filters after each test, keeping those set before it.
_quiet_unmodelled_codes()


def _error_for(rule: Rule, operation: str) -> tuple[str, int, str]:
    if rule.kind == "throttle":
        if rule.service == "dynamodb" and operation in _DYNAMODB_ITEM_OPERATIONS:
            code, status, message = _DYNAMODB_ITEM_THROTTLE
        else:
            code, status, message = _THROTTLE.get(rule.service, _THROTTLE["*"])
    elif rule.kind == "internal":
        code, status, message = _INTERNAL.get(rule.service, _INTERNAL["*"])
    else:
        code, status, message = _GATEWAY_TIMEOUT
    return rule.code or code, rule.status or status, message


def _error_response(handler: BaseResponse, rule: Rule, operation: str) -> tuple[int, Any, Any]:
    code, status, message = _error_for(rule, operation)
    members: dict[str, Any] = {}
    if code == "TooManyRequestsException" and rule.service == "lambda":
        members = {"Type": "User", "Reason": "CallerRateLimitExceeded"}
    _, headers, body = handler.serialized(ActionResult(_InjectedError(code, message, **members)))
    # moto takes the status from the error's model, which lacks it for most JSON services.
    headers["status"] = str(status)
    headers, body = handler._enrich_response(headers, body)  # the request id botocore reports
    return status, headers, body


def _function_name(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    # A name, a partial ARN (123456789012:function:name) or a full ARN, with an optional qualifier.
    parts = value.split(":")
    if "function" in parts:
        return parts[parts.index("function") + 1]
    return parts[0]


def _dispatch_with_faults(self: BaseResponse, request: Any, full_url: str | None = None, headers: Any = None) -> Any:
    assert _original_dispatch is not None
    service = _MOTO_SERVICES.get(self.service_name or "", self.service_name or "")
    with _lock:
        wanted = any(slot.rule.service == service and slot.rule.kind in _REQUEST_KINDS for slot in _slots)
    if not wanted:
        return _original_dispatch(self, request, full_url, headers)
    # The operation is known only once the request is parsed; parse it on a copy of the handler so that the
    # real dispatch below starts from a fresh one (werkzeug caches the body, so it is read once).
    probe = type(self)()
    probe.setup_class(request, full_url, headers)
    operation = probe._get_action() or ""
    function = _function_name((probe.uri_match or {}).get("FunctionName")) if service == "lambda" else None
    rule = _decide(service, operation, function, _REQUEST_KINDS)
    if rule is None:
        return _original_dispatch(self, request, full_url, headers)
    logger.info("injecting %s into %s:%s (rule %s)", rule.kind, service, operation, rule)
    if rule.kind != "timeout":
        return _error_response(probe, rule, operation)
    release = _release
    if rule.applied:
        response = _original_dispatch(self, request, full_url, headers)
        release.wait(rule.seconds)
        return response
    release.wait(rule.seconds)
    return _error_response(probe, rule, operation)


# ---- Lambda invocations ---------------------------------------------------------------------------------------


def _invocation_failure(function: LambdaFunction, rule: Rule, request_id: str) -> dict[str, str]:
    if rule.kind == "crash":
        return {
            "errorType": "Runtime.ExitError",
            "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status 1",
        }
    return {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after {float(function.timeout):.2f} seconds",
    }


def _invoke_with_faults(self: LambdaFunction, body: str, request_headers: Any, response_headers: Any) -> str | bytes:
    assert _original_invoke is not None
    rule = _decide("lambda", "Invoke", self.function_name, _INVOCATION_KINDS)
    if rule is None:
        result: str | bytes = _original_invoke(self, body, request_headers, response_headers)
        return result
    logger.info("injecting %s into Lambda function %s (rule %s)", rule.kind, self.function_name, rule)
    self.logs_backend.ensure_log_group(self.logs_group_name)
    if rule.at == "end":
        # The handler's effects happen; the runtime then dies (or is killed) before its answer gets out.
        _original_invoke(self, body, request_headers, {})
    request_id = str(uuid.uuid4())
    failure = _invocation_failure(self, rule, request_id)
    self.save_logs(
        f"START RequestId: {request_id} Version: {self.version}\n"
        f"{failure['errorMessage']}\n{failure['errorType']}\nEND RequestId: {request_id}"
    )
    response_headers["x-amz-function-error"] = "Unhandled"
    payload = json.dumps(failure)
    if (request_headers or {}).get("x-amz-invocation-type", "RequestResponse") == "RequestResponse":
        return payload.encode("utf-8")
    return payload


# ---- how Step Functions names Lambda failures ------------------------------------------------------------------


def _aws_error(ex: Exception) -> tuple[str, str] | None:
    """The error and cause AWS Step Functions reports for a failed Lambda task, where moto's differ."""
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
    named = _aws_error(ex)
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
    """Hooks every moto request, every Lambda invocation and the Step Functions Lambda tasks; later calls do
    nothing. Installs the CloudTrail extension first, so that this hook runs outside it."""
    global _installed, _original_dispatch, _original_invoke, _original_task_error, _original_service_task_error
    cloudtrail_events.install()
    with _lock:
        if _installed:
            return
        for owner, name in (
            (BaseResponse, "_dispatch"),
            (LambdaFunction, "invoke"),
            (StateTaskLambda, "_from_error"),
            (StateTaskServiceLambda, "_from_error"),
        ):
            if not callable(getattr(owner, name, None)):
                raise RuntimeError(f"moto changed: {owner.__name__}.{name} is gone")
        _quiet_unmodelled_codes()
        _original_dispatch = BaseResponse._dispatch
        _original_invoke = LambdaFunction.invoke
        _original_task_error = StateTaskLambda._from_error
        _original_service_task_error = StateTaskServiceLambda._from_error
        BaseResponse._dispatch = _dispatch_with_faults  # type: ignore[method-assign]
        LambdaFunction.invoke = _invoke_with_faults  # type: ignore[method-assign]
        StateTaskLambda._from_error = _lambda_task_error  # type: ignore[method-assign]
        StateTaskServiceLambda._from_error = _lambda_service_task_error  # type: ignore[method-assign]
        _installed = True


__all__ = [
    "KINDS",
    "LAMBDA_UNKNOWN",
    "Counts",
    "FaultSpecError",
    "Rule",
    "add",
    "configure",
    "injected",
    "install",
    "parse",
    "reset",
    "rules",
]
