"""Faults injected into AWS calls: throttling, internal errors, timeouts and Lambda crashes, by service and operation.

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
case a retry must not double. Step Functions names both `Lambda.Unknown`, and Lambda API errors
`Lambda.<code>`: that is the stepfunctions_lambda_errors extension's, which applies with or without faults.

`timeout` holds the request for `seconds` (default 2) of REAL time, whatever the sandbox clock: the point is to
outlast a client's socket read timeout, so that botocore raises ReadTimeoutError (and, with retries on, tries
again). Give the client a read timeout below `seconds` (`Config(read_timeout=1)`); a client that waits longer
gets, after `seconds`, HTTP 504 `RequestTimeout`, as from a gateway. The call is not performed, unless
`applied=true`: then it is performed first and only its answer is late, the case where a retried create or
start meets the first attempt's result. `reset()` releases held requests at once. Under `mock_aws` there is no
socket, so the call just takes `seconds` longer and answers 504. The Step Functions interpreter's own clients
wait 99999999 s: against it use `internal` or `handler-timeout`, not `timeout`.

Rules are `restore_sync_sandbox.fault_spec.Rule`s (its grammar: the `--faults` option of `restore-sync
sandbox`), set by `configure()`. Every rule whose service, operation (and function) match a call counts it
(`matched`); the first rule, in order, that decides to fail it injects its fault (`injected`); rules after it
still count the call but do not draw. Lambda `crash` and `handler-timeout` apply to every invocation of a
function (Invoke, Step Functions, EventBridge targets, event source mappings); the other kinds apply to API
requests only, so `lambda:Invoke:throttle` does not reach event source mappings, which moto invokes without an
API request.

moto internals patched: `moto.core.responses.BaseResponse._dispatch` (wrapped around the CloudTrail extension's
wrapper, which is installed first, so a faulted call never reaches it) and `moto.awslambda.models.
LambdaFunction.invoke` (around the in-process runner).
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
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse

from restore_sync_sandbox.extensions import cloudtrail_events
from restore_sync_sandbox.fault_spec import INVOCATION_KINDS, REQUEST_KINDS, Rule

logger = logging.getLogger(__name__)

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
        wanted = any(slot.rule.service == service and slot.rule.kind in REQUEST_KINDS for slot in _slots)
    if not wanted:
        return _original_dispatch(self, request, full_url, headers)
    # The operation is known only once the request is parsed; parse it on a copy of the handler so that the
    # real dispatch below starts from a fresh one (werkzeug caches the body, so it is read once).
    probe = type(self)()
    probe.setup_class(request, full_url, headers)
    operation = probe._get_action() or ""
    function = _function_name((probe.uri_match or {}).get("FunctionName")) if service == "lambda" else None
    rule = _decide(service, operation, function, REQUEST_KINDS)
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
    rule = _decide("lambda", "Invoke", self.function_name, INVOCATION_KINDS)
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


def install() -> None:
    """Hooks every moto request and every Lambda invocation; later calls do nothing. Installs the CloudTrail
    extension first, so that this hook runs outside it."""
    global _installed, _original_dispatch, _original_invoke
    cloudtrail_events.install()
    with _lock:
        if _installed:
            return
        for owner, name in ((BaseResponse, "_dispatch"), (LambdaFunction, "invoke")):
            if not callable(getattr(owner, name, None)):
                raise RuntimeError(f"moto changed: {owner.__name__}.{name} is gone")
        _quiet_unmodelled_codes()
        _original_dispatch = BaseResponse._dispatch
        _original_invoke = LambdaFunction.invoke
        BaseResponse._dispatch = _dispatch_with_faults  # type: ignore[method-assign]
        LambdaFunction.invoke = _invoke_with_faults  # type: ignore[method-assign]
        _installed = True


__all__ = ["Counts", "add", "configure", "injected", "install", "reset", "rules"]
