"""CloudTrail management events for chosen API calls, delivered to EventBridge as AWS does.

AWS behaviour reproduced: CloudTrail records each API call, and EventBridge receives it on the default bus of the
account and region that served the call as `{"source": "aws.<service>", "detail-type": "AWS API Call via
CloudTrail", "detail": {...}}`. The detail carries eventVersion, userIdentity, eventTime, eventSource, eventName,
awsRegion, sourceIPAddress, userAgent, requestParameters and responseElements (lower camel case keys, as
CloudTrail writes them, e.g. `sSESpecificationOverride`, `uUID`), requestID, eventID, readOnly, eventType,
managementEvent, eventCategory and recipientAccountId; a failed call carries errorCode and errorMessage and no
responseElements. requestParameters hold the members of the operation's input that the call sent, wherever the
protocol put them (JSON body, query string, or the URI path, like Lambda's `UUID`), as the client sent them;
responseElements hold the JSON response, and are null for services that answer in XML (CloudWatch's query
protocol), as CloudTrail logs null for calls such as PutMetricAlarm.

Which calls are recorded is configurable (`track`, `untrack`, and `untracked` for the calls of one block: a call
no trail saw, like a restore made before restore-sync was deployed, or in an account whose trail logs no
management events). By default (DEFAULT_TRACKED): every call that changes a
setting restore-sync copies, and the two DynamoDB restores:
- DynamoDB (dynamodb.amazonaws.com, aws.dynamodb): CreateTable, UpdateTable, DeleteTable, UpdateTimeToLive,
  UpdateContinuousBackups, TagResource, UntagResource, Enable/Disable/UpdateKinesisStreamingDestination,
  UpdateContributorInsights, PutResourcePolicy, DeleteResourcePolicy, RestoreTableToPointInTime,
  RestoreTableFromBackup. The table is requestParameters.tableName, or .resourceArn for tags and policies.
- Lambda (lambda.amazonaws.com, aws.lambda): event source mappings, under the event names CloudTrail gives them,
  which carry the API version: `CreateEventSourceMapping20150331`, `UpdateEventSourceMapping20150331`,
  `DeleteEventSourceMapping20150331`. Source: the Lambda Developer Guide, "Logging AWS Lambda API calls using
  AWS CloudTrail" (awsdocs aws-lambda-developer-guide, logging-using-cloudtrail.md), which lists the event name
  of each action; UpdateEventSourceMapping has no `v2` suffix there (UpdateFunctionCode and
  UpdateFunctionConfiguration do). AWS announced in September 2021 that the suffixes would be dropped; the
  current guide still lists them, so they are kept. Create sends eventSourceArn in requestParameters; Update and
  Delete send only `uUID` there, and the mapping, with eventSourceArn, is in responseElements.
- Application Auto Scaling (application-autoscaling.amazonaws.com, aws.application-autoscaling):
  RegisterScalableTarget, DeregisterScalableTarget, PutScalingPolicy, DeleteScalingPolicy, PutScheduledAction,
  DeleteScheduledAction, with serviceNamespace and resourceId (`table/NAME` or `table/NAME/index/INDEX`).
- CloudWatch (monitoring.amazonaws.com, aws.monitoring): PutMetricAlarm (alarmName, namespace, dimensions),
  DeleteAlarms, EnableAlarmActions, DisableAlarmActions (alarmNames). The source follows the EventBridge events
  reference, "Amazon CloudWatch Monitoring events", which gives CloudWatch's CloudTrail records `source:
  aws.monitoring` (its alarm state events come as aws.cloudwatch, per "Amazon CloudWatch events"). AWS's pages do
  not agree everywhere, so restore-sync's rules match the record's eventSource, never this source.
Recording never changes or breaks the API call: any failure to record is logged and ignored. Only calls that
reach the API are recorded: resources that moto's CloudFormation creates call the backends directly and emit
nothing (AWS records those calls too, with invokedBy cloudformation.amazonaws.com).

moto internals patched: `moto.core.responses.BaseResponse._dispatch`, the one method every service's request
passes through, both under `mock_aws` and in the threaded server. Input members are read from botocore's service
model (`moto.core.utils.get_service_model`).
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from moto.core.responses import BaseResponse
from moto.core.utils import get_service_model
from moto.events.models import events_backends
from moto.utilities.utils import get_partition

from restore_sync_sandbox import clock

logger = logging.getLogger(__name__)

DETAIL_TYPE = "AWS API Call via CloudTrail"
EVENT_VERSION = "1.08"

# moto's service name -> (CloudTrail eventSource, EventBridge source), where they differ from the default
# "<service>.amazonaws.com" / "aws.<service>".
_SOURCES: dict[str, tuple[str, str]] = {
    "awslambda": ("lambda.amazonaws.com", "aws.lambda"),
    "stepfunctions": ("states.amazonaws.com", "aws.states"),
    "cloudwatch": ("monitoring.amazonaws.com", "aws.monitoring"),
    "application-autoscaling": ("application-autoscaling.amazonaws.com", "aws.application-autoscaling"),
}

# Members whose values are user data (item attributes, expression values), not API structure: their keys are
# kept as sent, like CloudTrail does.
_OPAQUE_MEMBERS = frozenset(
    {
        "Item",
        "Items",
        "Key",
        "Keys",
        "ExclusiveStartKey",
        "LastEvaluatedKey",
        "ExpressionAttributeValues",
        "ExpressionAttributeNames",
        "ExpressionAttributeValueMap",
        "Attributes",
        "Environment",
        "Variables",
    }
)

_READ_ONLY_PREFIXES = ("Describe", "Get", "List", "BatchGet", "Scan", "Query")
_DATA_EVENTS = {
    "dynamodb": frozenset(
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
            "ExecuteStatement",
            "BatchExecuteStatement",
            "ExecuteTransaction",
        }
    ),
}


@dataclass(frozen=True)
class TrackedService:
    """API operations of one moto service that produce CloudTrail events."""

    service_name: str
    event_source: str
    source: str
    # API operation name (as moto resolves it) -> CloudTrail eventName
    event_names: Mapping[str, str] = field(default_factory=dict)


# Lambda writes some event names with the API version they were introduced in (see the module docstring).
LAMBDA_EVENT_NAMES: dict[str, str] = {
    "CreateEventSourceMapping": "CreateEventSourceMapping20150331",
    "UpdateEventSourceMapping": "UpdateEventSourceMapping20150331",
    "DeleteEventSourceMapping": "DeleteEventSourceMapping20150331",
}

DEFAULT_TRACKED: dict[str, Mapping[str, str] | tuple[str, ...]] = {
    "dynamodb": (
        "RestoreTableToPointInTime",
        "RestoreTableFromBackup",
        "CreateTable",
        "UpdateTable",
        "DeleteTable",
        "UpdateTimeToLive",
        "UpdateContinuousBackups",
        "TagResource",
        "UntagResource",
        "EnableKinesisStreamingDestination",
        "DisableKinesisStreamingDestination",
        "UpdateKinesisStreamingDestination",
        "UpdateContributorInsights",
        "PutResourcePolicy",
        "DeleteResourcePolicy",
    ),
    "awslambda": LAMBDA_EVENT_NAMES,
    "application-autoscaling": (
        "RegisterScalableTarget",
        "DeregisterScalableTarget",
        "PutScalingPolicy",
        "DeleteScalingPolicy",
        "PutScheduledAction",
        "DeleteScheduledAction",
    ),
    "cloudwatch": ("PutMetricAlarm", "DeleteAlarms", "EnableAlarmActions", "DisableAlarmActions"),
}

_lock = threading.Lock()
_tracked: dict[str, TrackedService] = {}
_installed = False
_original_dispatch: Callable[..., Any] | None = None


def track(
    service_name: str,
    operations: Iterable[str] | Mapping[str, str],
    *,
    event_source: str | None = None,
    source: str | None = None,
) -> None:
    """Records the given operations of a moto service (`"dynamodb"`, `"awslambda"`, `"application-autoscaling"`
    ...) from now on. `operations` lists API operation names, or maps them to the CloudTrail eventName where
    the two differ (Lambda's `CreateEventSourceMapping` is recorded as `CreateEventSourceMapping20150331`)."""
    names = dict(operations) if isinstance(operations, Mapping) else {name: name for name in operations}
    default_source, default_bus_source = _SOURCES.get(
        service_name, (f"{service_name}.amazonaws.com", f"aws.{service_name}")
    )
    with _lock:
        known = _tracked.get(service_name)
        merged = {**(known.event_names if known else {}), **names}
        _tracked[service_name] = TrackedService(
            service_name=service_name,
            event_source=event_source or (known.event_source if known else default_source),
            source=source or (known.source if known else default_bus_source),
            event_names=merged,
        )


def untrack(service_name: str, operations: Iterable[str] | None = None) -> None:
    """Stops recording the given operations of a service, or all of them."""
    with _lock:
        known = _tracked.get(service_name)
        if known is None:
            return
        if operations is None:
            del _tracked[service_name]
            return
        remaining = {op: name for op, name in known.event_names.items() if op not in set(operations)}
        _tracked[service_name] = TrackedService(known.service_name, known.event_source, known.source, remaining)


@contextmanager
def untracked(service_name: str, operations: Iterable[str] | None = None) -> Iterator[None]:
    """Records none of the given operations of a service (or none of its calls) inside the block; afterwards,
    exactly what was recorded before it."""
    with _lock:
        before = _tracked.get(service_name)
    untrack(service_name, operations)
    try:
        yield
    finally:
        with _lock:
            if before is None:
                _tracked.pop(service_name, None)
            else:
                _tracked[service_name] = before


def tracked() -> dict[str, TrackedService]:
    """The services and operations recorded now."""
    with _lock:
        return dict(_tracked)


def reset() -> None:
    """Back to the default selection, DEFAULT_TRACKED."""
    with _lock:
        _tracked.clear()
    for service_name, operations in DEFAULT_TRACKED.items():
        track(service_name, operations)


def lower_camel(value: Any) -> Any:
    """CloudTrail's casing of request and response members: the first letter lowered (`SSEDescription` ->
    `sSEDescription`), recursively, except inside user data such as item attributes."""
    if isinstance(value, Mapping):
        converted: dict[str, Any] = {}
        for key, member in value.items():
            name = key[:1].lower() + key[1:] if isinstance(key, str) else key
            converted[name] = _plain(member) if key in _OPAQUE_MEMBERS else lower_camel(member)
        return converted
    if isinstance(value, list | tuple):
        return [lower_camel(member) for member in value]
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain(member) for key, member in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(member) for member in value]
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    return value


def _input_members(handler: BaseResponse, operation: str) -> dict[str, str] | None:
    """Lower-cased name -> name of each member of the operation's input, or None when botocore has no model."""
    try:
        model = get_service_model(handler.boto3_service_name).operation_model(operation)
    except Exception:
        return None
    shape = model.input_shape
    return {name.lower(): name for name in shape.members} if shape is not None else {}


def _request_parameters(handler: BaseResponse, operation: str) -> dict[str, Any] | None:
    merged: dict[str, Any] = {}
    raw = getattr(handler, "raw_body", None)
    if raw:
        try:
            body = json.loads(raw)
        except (ValueError, TypeError, UnicodeDecodeError):
            body = None
        # Parsed again from the text: handlers may have changed the dict they were given.
        if isinstance(body, dict):
            merged.update(body)
    params = getattr(handler, "params", None)
    if not merged and isinstance(params, Mapping) and params:
        merged.update(params)
    if not merged:
        merged = {
            key: values[0] if isinstance(values, list) and len(values) == 1 else values
            for key, values in getattr(handler, "querystring", {}).items()
            if key not in ("Action", "Version")
        }
    merged.update(getattr(handler, "uri_match", None) or {})
    members = _input_members(handler, operation)
    if members is not None:
        # moto's querystring also holds the request headers; only the operation's input belongs here.
        merged = {members[key.lower()]: value for key, value in merged.items() if key.lower() in members}
    return lower_camel(merged) if merged else None


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    for key, value in dict(headers).items():
        if str(key).lower() == name:
            return str(value)
    return None


def _text(body: Any) -> str:
    if isinstance(body, bytes | bytearray):
        return body.decode("utf-8", errors="replace")
    return body if isinstance(body, str) else ""


def _error(status: int, headers: Any, body: Any) -> tuple[str, str]:
    text = _text(body)
    try:
        parsed = json.loads(text) if text else {}
    except ValueError:
        parsed = {}
    code = ""
    message = ""
    if isinstance(parsed, dict):
        code = str(parsed.get("__type") or parsed.get("code") or parsed.get("Code") or "")
        message = str(parsed.get("message") or parsed.get("Message") or "")
    if not code:
        code = _header(headers, "x-amzn-errortype") or ""
    if not code:
        found = re.search(r"<Code>([^<]+)</Code>", text)
        code = found.group(1) if found else ""
        found = re.search(r"<Message>([^<]*)</Message>", text)
        message = message or (found.group(1) if found else "")
    code = code.split("#")[-1].split(":")[0] or f"HTTP{status}"
    return code, message


def _response_elements(body: Any) -> Any:
    text = _text(body)
    if not text:
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        # Query and XML protocols: CloudTrail may log null here too.
        return None
    # CloudTrail logs null, not {}, for a call that returns nothing.
    return lower_camel(parsed) if isinstance(parsed, dict) and parsed else None


def _build_detail(
    handler: BaseResponse,
    service: TrackedService,
    operation: str,
    outcome: tuple[int, Any, Any] | BaseException,
) -> dict[str, Any]:
    account: str = handler.current_account
    region: str = handler.region
    request = getattr(handler, "normalized_request", None)
    access_key = getattr(handler, "access_key", None) or "AKIAEXAMPLE"
    request_id = None
    if not isinstance(outcome, BaseException):
        request_id = _header(outcome[1], "x-amzn-requestid") or _header(outcome[1], "x-amz-request-id")
    event_name = service.event_names[operation]
    data_event = operation in _DATA_EVENTS.get(service.service_name, frozenset())
    detail: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": {
            "type": "Root",
            "principalId": account,
            "arn": f"arn:{get_partition(region)}:iam::{account}:root",
            "accountId": account,
            "accessKeyId": access_key,
        },
        "eventTime": clock.current().now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": service.event_source,
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": (getattr(request, "remote_addr", None) if request is not None else None) or "127.0.0.1",
        "userAgent": _header(getattr(handler, "headers", None), "user-agent") or "",
        "requestParameters": _request_parameters(handler, operation),
    }
    if isinstance(outcome, BaseException):
        detail["errorCode"] = str(getattr(outcome, "error_type", "") or type(outcome).__name__).split("#")[-1]
        detail["errorMessage"] = str(getattr(outcome, "message", "") or outcome)
    else:
        status, headers, body = outcome
        if status >= 400:
            detail["errorCode"], detail["errorMessage"] = _error(status, headers, body)
        else:
            detail["responseElements"] = _response_elements(body)
    detail.update(
        {
            "requestID": request_id or str(uuid.uuid4()),
            "eventID": str(uuid.uuid4()),
            "readOnly": operation.startswith(_READ_ONLY_PREFIXES),
            "eventType": "AwsApiCall",
            "managementEvent": not data_event,
            "recipientAccountId": account,
            "eventCategory": "Data" if data_event else "Management",
        }
    )
    return detail


def record_call(
    account: str,
    region: str,
    service_name: str,
    operation: str,
    *,
    request_parameters: dict[str, Any],
    response_elements: Any,
    role_arn: str,
    invoked_by: str,
) -> None:
    """Puts the event of a call an AWS service made on the caller's behalf with the caller's role (AWS Backup
    restoring a table), when `service_name`'s `operation` is tracked: the userIdentity is the role's session with
    `invokedBy`, and the service is the source address and user agent, as CloudTrail records such calls."""
    service = _tracked.get(service_name)
    if service is None or operation not in service.event_names:
        return
    partition = get_partition(region)
    role_name = role_arn.rsplit("/", 1)[-1]
    session = f"{invoked_by.split('.')[0]}-{uuid.uuid4().hex[:8]}"
    detail = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": f"AROAEXAMPLE:{session}",
            "arn": f"arn:{partition}:sts::{account}:assumed-role/{role_name}/{session}",
            "accountId": account,
            "invokedBy": invoked_by,
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role_arn, "accountId": account}},
        },
        "eventTime": clock.current().now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": service.event_source,
        "eventName": service.event_names[operation],
        "awsRegion": region,
        "sourceIPAddress": invoked_by,
        "userAgent": invoked_by,
        "requestParameters": request_parameters,
        "responseElements": response_elements,
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": operation.startswith(_READ_ONLY_PREFIXES),
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }
    _put(service, detail)


def _put(service: TrackedService, detail: dict[str, Any]) -> None:
    entries = events_backends[detail["recipientAccountId"]][detail["awsRegion"]].put_events(
        [
            {
                "Source": service.source,
                "DetailType": DETAIL_TYPE,
                "Detail": json.dumps(detail),
                "Time": clock.current().time(),
                "Resources": [],
            }
        ]
    )
    failed = [entry for entry in entries if "ErrorCode" in entry]
    if failed:
        logger.warning("CloudTrail event not accepted by EventBridge: %s", failed)


def _record(handler: BaseResponse, outcome: tuple[int, Any, Any] | BaseException) -> None:
    try:
        service = _tracked.get(getattr(handler, "service_name", None) or "")
        if service is None or not hasattr(handler, "current_account"):
            return
        operation = handler._get_action()
        if operation not in service.event_names:
            return
        _put(service, _build_detail(handler, service, operation, outcome))
    except Exception:
        # A lost event must never turn a successful API call into a failure.
        logger.exception("CloudTrail event could not be recorded")


def _dispatch_and_record(self: BaseResponse, request: Any, full_url: str | None = None, headers: Any = None) -> Any:
    assert _original_dispatch is not None
    try:
        response = _original_dispatch(self, request, full_url, headers)
    except Exception as error:
        _record(self, error)
        raise
    if isinstance(response, tuple) and len(response) == 3:
        _record(self, response)
    return response


def install() -> None:
    """Records the default operations and hooks every moto request; later calls do nothing."""
    global _installed, _original_dispatch
    with _lock:
        if _installed:
            return
        if not callable(getattr(BaseResponse, "_dispatch", None)):
            raise RuntimeError("moto changed: BaseResponse._dispatch is gone")
        _original_dispatch = BaseResponse._dispatch
        BaseResponse._dispatch = _dispatch_and_record  # type: ignore[method-assign]
        _installed = True
    if not tracked():
        reset()
