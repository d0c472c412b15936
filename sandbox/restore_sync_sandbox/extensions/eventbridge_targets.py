"""EventBridge delivery to SQS, Step Functions and Lambda targets, with retries and dead-letter queues as in AWS.

AWS behaviour reproduced:
- A matching event reaches each target as the full envelope (`version, id, detail-type, source, account, time,
  region, resources, detail`, time in ISO 8601), or as the target's `Input`, `InputPath` or `InputTransformer`.
- A Step Functions target starts an execution of the state machine with a generated name (EventBridge cannot
  name executions), in the backend that executes definitions when `execute_state_machine` is configured. A
  Lambda target is invoked asynchronously (invocation type Event).
- A failed delivery is retried per the target's RetryPolicy (MaximumRetryAttempts, default 185;
  MaximumEventAgeInSeconds, default 86,400) with exponential backoff and jitter on the sandbox clock; errors no
  retry can fix (a target that does not exist, invalid input) are not retried. Then the event goes to the
  target's DeadLetterConfig SQS queue with the attributes RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE,
  RETRY_ATTEMPTS and, when a retry limit ended the delivery, EXHAUSTED_RETRY_CONDITION.
- A rule without an EventPattern (a schedule's) matches no event: "Rules with EventPatterns are triggered when a
  matching event is observed. Rules with ScheduleExpressions self-trigger based on the given schedule" (PutRule,
  botocore's events model). moto's empty pattern matches every event.
- The first attempt is made at once (so an SQS target has its message when PutEvents returns); retries run in
  the background, so PutEvents never waits for them.

moto internals patched: `moto.events.models.Rule.send_to_targets` (SQS, Step Functions and Lambda targets are
delivered here; log groups, archives, event buses and API destinations still go to moto's code).
"""

from __future__ import annotations

import copy
import json
import logging
import random
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.events.models import Rule
from moto.utilities.arns import parse_arn

from restore_sync_sandbox import clock

logger = logging.getLogger(__name__)

DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 185
DEFAULT_MAXIMUM_EVENT_AGE_SECONDS = 86_400
_ENVELOPE_KEYS = ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail")

# Error classes of the services we deliver to, by name -> (EventBridge ERROR_CODE, worth retrying)
_ERRORS: dict[str, tuple[str, bool]] = {
    "QueueDoesNotExist": ("NO_RESOURCE", False),
    "StateMachineDoesNotExist": ("NO_RESOURCE", False),
    "StateMachineDeleting": ("NO_RESOURCE", False),
    "ResourceNotFound": ("NO_RESOURCE", False),
    "ResourceNotFoundException": ("NO_RESOURCE", False),
    "UnknownFunctionException": ("NO_RESOURCE", False),
    "InvalidArn": ("INVALID_PARAMETER", False),
    "InvalidName": ("INVALID_PARAMETER", False),
    "ValidationException": ("INVALID_PARAMETER", False),
    "InvalidParameterValue": ("INVALID_PARAMETER", False),
    "MissingParameter": ("INVALID_PARAMETER", False),
    "InvalidExecutionInput": ("INVALID_JSON", False),
    "AccessDeniedException": ("NO_PERMISSIONS", False),
    "ExecutionLimitExceeded": ("THROTTLING", True),
    "ThrottlingException": ("THROTTLING", True),
    "TooManyRequestsException": ("THROTTLING", True),
}


class DeliveryError(Exception):
    """A target refused an event: `code` is EventBridge's ERROR_CODE."""

    def __init__(self, code: str, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable

    @classmethod
    def from_exception(cls, error: Exception) -> DeliveryError:
        if isinstance(error, DeliveryError):
            return error
        code, retryable = _ERRORS.get(type(error).__name__, ("INTERNAL_ERROR", True))
        message = str(getattr(error, "message", "") or error) or type(error).__name__
        return cls(code, message, retryable)


@dataclass
class _Settings:
    retry_base_seconds: float = 0.0
    retry_max_seconds: float = 60.0


_settings = _Settings()
_lock = threading.Lock()
_installed = False
_original_send_to_targets: Callable[..., None] | None = None


# Asynchronous Lambda invocations still running, and the condition that tells when they are done.
_invocations = threading.Condition()
_pending = 0


def configure(retry_base_seconds: float | None = None, retry_max_seconds: float | None = None) -> None:
    """Sets the backoff between retries: the n-th retry waits a random time up to
    min(retry_max_seconds, retry_base_seconds * 2**(n-1)) on the sandbox clock. The default base of 0 retries at
    once, so a failing delivery reaches its dead-letter queue quickly and moves no virtual clock."""
    with _lock:
        if retry_base_seconds is not None:
            _settings.retry_base_seconds = max(0.0, retry_base_seconds)
        if retry_max_seconds is not None:
            _settings.retry_max_seconds = max(0.0, retry_max_seconds)


def reset() -> None:
    configure(retry_base_seconds=0.0, retry_max_seconds=60.0)


def _iso(moment: Any) -> str:
    if isinstance(moment, datetime):
        value = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(moment, int | float):
        return datetime.fromtimestamp(float(moment), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(moment, str) and moment:
        return moment
    return clock.current().now().strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(event: dict[str, Any]) -> dict[str, Any]:
    """The event as a target receives it, with the account moto's default template leaves out."""
    delivered = {key: copy.deepcopy(event.get(key)) for key in _ENVELOPE_KEYS}
    delivered["version"] = delivered["version"] or "0"
    delivered["resources"] = delivered["resources"] or []
    delivered["time"] = _iso(event.get("time"))
    if "replay-name" in event:
        delivered["replay-name"] = event["replay-name"]
    return delivered


def _json_path(document: Any, path: str) -> Any:
    from jsonpath_ng.ext import parse

    matches = parse(path).find(document)
    return matches[0].value if matches else None


_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


def _transform(rule: Rule, transformer: dict[str, Any], delivered: dict[str, Any]) -> str:
    values: dict[str, Any] = {
        name: _json_path(delivered, path) for name, path in (transformer.get("InputPathsMap") or {}).items()
    }
    values.setdefault("aws.events.rule-arn", rule.arn)
    values.setdefault("aws.events.rule-name", rule.name)
    values.setdefault("aws.events.event.ingestion-time", delivered["time"])
    values.setdefault("aws.events.event", delivered)
    values.setdefault("aws.events.event.json", delivered)

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        value = values[name]
        # A string fills in without quotes: the template puts them where it wants them, as in AWS.
        return json.dumps(value)[1:-1] if isinstance(value, str) else json.dumps(value)

    return _PLACEHOLDER.sub(substitute, transformer.get("InputTemplate") or "<aws.events.event>")


def payload(rule: Rule, target: dict[str, Any], event: dict[str, Any], transform_input: bool = True) -> str:
    """The text a target receives for `event`: the envelope, or what Input, InputPath or InputTransformer make."""
    delivered = envelope(event)
    if not transform_input:
        return json.dumps(delivered)
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath"):
        return json.dumps(_json_path(delivered, target["InputPath"]))
    if target.get("InputTransformer"):
        return _transform(rule, target["InputTransformer"], delivered)
    return json.dumps(delivered)


def _send_to_queue(arn: str, body: str, group_id: str | None, event_id: str) -> None:
    from moto.sqs import sqs_backends

    parsed = parse_arn(arn)
    fifo = parsed.resource_id.endswith(".fifo")
    sqs_backends[parsed.account][parsed.region].send_message(
        queue_name=parsed.resource_id,
        message_body=body,
        group_id=group_id,
        deduplication_id=event_id if fifo else None,
    )


def _start_execution(arn: str, body: str) -> None:
    from moto.stepfunctions.responses import get_backend

    parsed = parse_arn(arn)
    try:
        json.loads(body)
    except ValueError as error:
        raise DeliveryError("INVALID_JSON", f"Input is not valid JSON: {error}", retryable=False) from None
    get_backend(parsed.account, parsed.region).start_execution(arn, str(uuid.uuid4()), body)


def _invoke_function(arn: str, body: str) -> None:
    from moto.awslambda.models import lambda_backends

    parsed = parse_arn(arn)
    backend = lambda_backends[parsed.account][parsed.region]
    backend.get_function(arn)

    def invoke() -> None:
        try:
            backend.invoke(arn, None, body, {"x-amz-invocation-type": "Event"}, {})
        except Exception:
            # An asynchronous invocation's failure is the function's business (its own retries and DLQ).
            logger.exception("asynchronous invocation of %s failed", arn)
        finally:
            _count_pending(-1)

    _count_pending(+1)
    threading.Thread(target=invoke, name=f"eventbridge-lambda-{parsed.resource_id}", daemon=True).start()


def wait_for_lambda_deliveries(timeout_seconds: float = 60.0) -> bool:
    """Blocks (real time) until no asynchronous Lambda invocation started by a rule is still running; False when
    `timeout_seconds` pass first. Lambda targets run in the background as in AWS: a scenario that needs their
    effects (a settings history caught up with its tables) waits here instead of guessing a sleep."""
    with _invocations:
        return _invocations.wait_for(lambda: _pending == 0, timeout=timeout_seconds)


def _count_pending(change: int) -> None:
    global _pending
    with _invocations:
        _pending += change
        _invocations.notify_all()


def _send(target: dict[str, Any], body: str, event_id: str) -> None:
    arn: str = target["Arn"]
    service = parse_arn(arn).service
    try:
        if service == "sqs":
            _send_to_queue(arn, body, (target.get("SqsParameters") or {}).get("MessageGroupId"), event_id)
        elif service == "states":
            _start_execution(arn, body)
        elif service == "lambda":
            _invoke_function(arn, body)
        else:
            raise DeliveryError("INVALID_PARAMETER", f"unsupported target {arn}", retryable=False)
    except Exception as error:
        raise DeliveryError.from_exception(error) from error


def _dead_letter(
    rule_arn: str,
    target: dict[str, Any],
    event: dict[str, Any],
    error: DeliveryError,
    retries: int,
    exhausted: str | None,
) -> None:
    dlq_arn = (target.get("DeadLetterConfig") or {}).get("Arn")
    if not dlq_arn:
        logger.warning(
            "event %s dropped for target %s: %s %s", event.get("id"), target["Arn"], error.code, error.message
        )
        return
    attributes = {
        "RULE_ARN": rule_arn,
        "TARGET_ARN": target["Arn"],
        "ERROR_CODE": error.code,
        "ERROR_MESSAGE": error.message[:1024],
        "RETRY_ATTEMPTS": str(retries),
    }
    if exhausted:
        attributes["EXHAUSTED_RETRY_CONDITION"] = exhausted
    from moto.sqs import sqs_backends

    try:
        parsed = parse_arn(dlq_arn)
        sqs_backends[parsed.account][parsed.region].send_message(
            queue_name=parsed.resource_id,
            message_body=json.dumps(envelope(event)),
            message_attributes={
                name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()
            },
        )
    except Exception:
        logger.exception("event %s could not be sent to the dead-letter queue %s", event.get("id"), dlq_arn)


def _retry(rule_arn: str, target: dict[str, Any], event: dict[str, Any], body: str, first: DeliveryError) -> None:
    policy = target.get("RetryPolicy") or {}
    maximum_retries = int(policy.get("MaximumRetryAttempts", DEFAULT_MAXIMUM_RETRY_ATTEMPTS))
    maximum_age = float(policy.get("MaximumEventAgeInSeconds", DEFAULT_MAXIMUM_EVENT_AGE_SECONDS))
    sandbox_clock = clock.current()
    # Age counts from the first attempt: events put without a Time carry moto's wall-clock time, which a virtual
    # sandbox clock does not share.
    started = sandbox_clock.time()
    error = first
    retries = 0
    exhausted: str | None = "MaximumRetryAttempts"
    for attempt in range(1, maximum_retries + 1):
        ceiling = min(_settings.retry_max_seconds, _settings.retry_base_seconds * 2 ** (attempt - 1))
        delay = random.uniform(0, ceiling) if ceiling > 0 else 0.0  # noqa: S311 - jitter, not security
        if sandbox_clock.time() + delay - started > maximum_age:
            exhausted = "MaximumEventAgeInSeconds"
            break
        sandbox_clock.sleep(delay)
        retries = attempt
        try:
            _send(target, body, str(event.get("id")))
            return
        except DeliveryError as failure:
            error = failure
            if not failure.retryable:
                exhausted = None
                break
    _dead_letter(rule_arn, target, event, error, retries, exhausted)


def _retry_safely(
    rule_arn: str, target: dict[str, Any], event: dict[str, Any], body: str, first: DeliveryError
) -> None:
    try:
        _retry(rule_arn, target, event, body, first)
    except Exception:
        logger.exception("retrying event %s for target %s failed", event.get("id"), target.get("Arn"))


def deliver(rule: Rule, target: dict[str, Any], event: dict[str, Any], transform_input: bool = True) -> None:
    """Delivers `event` to one SQS, Step Functions or Lambda target: first attempt now, retries in the
    background, then the dead-letter queue. Never raises."""
    try:
        body = payload(rule, target, event, transform_input)
    except Exception as error:
        _dead_letter(rule.arn, target, event, DeliveryError("INVALID_PARAMETER", str(error), False), 0, None)
        return
    try:
        _send(target, body, str(event.get("id")))
        return
    except DeliveryError as error:
        if not error.retryable:
            _dead_letter(rule.arn, target, event, error, 0, None)
            return
        first = error
    threading.Thread(
        target=_retry_safely,
        args=(rule.arn, copy.deepcopy(target), copy.deepcopy(event), body, first),
        name=f"eventbridge-retry-{target.get('Id')}",
        daemon=True,
    ).start()


_DELIVERED_HERE = frozenset({"sqs", "states", "lambda"})


def send_to_targets(self: Rule, original_event: dict[str, Any], transform_input: bool = True) -> None:
    if not self.event_pattern.get_pattern() or not self.event_pattern.matches_event(original_event):  # type: ignore[arg-type]
        return
    for target in list(self.targets):
        try:
            service = parse_arn(target["Arn"]).service
        except Exception:
            logger.warning("target %s of rule %s has an unusable ARN", target.get("Arn"), self.arn)
            continue
        if service in _DELIVERED_HERE:
            deliver(self, target, original_event, transform_input)
            continue
        # Other targets keep moto's delivery, one target at a time so one failure cannot stop the rest.
        single = copy.copy(self)
        single.targets = [target]
        try:
            assert _original_send_to_targets is not None
            _original_send_to_targets(single, original_event, transform_input)
        except Exception:
            logger.exception("event %s not delivered to %s", original_event.get("id"), target.get("Arn"))


def install() -> None:
    """Applies the patch once; later calls do nothing."""
    global _installed, _original_send_to_targets
    with _lock:
        if _installed:
            return
        if not callable(getattr(Rule, "send_to_targets", None)):
            raise RuntimeError("moto changed: Rule.send_to_targets is gone")
        _original_send_to_targets = Rule.send_to_targets
        Rule.send_to_targets = send_to_targets  # type: ignore[method-assign,assignment]
        _installed = True
