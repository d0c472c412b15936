"""AWS::Lambda::EventSourceMapping on DynamoDB streams created, updated, replaced and deleted as CloudFormation does.

AWS behaviour reproduced:
- Creating the resource creates the mapping through CreateEventSourceMapping with the template's properties
  (BatchSize, StartingPosition, MaximumBatchingWindowInSeconds, BisectBatchOnFunctionError,
  MaximumRetryAttempts, MaximumRecordAgeInSeconds, ParallelizationFactor, TumblingWindowInSeconds,
  FilterCriteria, DestinationConfig, FunctionResponseTypes, KmsKeyArn (the API's KMSKeyArn), MetricsConfig,
  Enabled, Tags). Ref and `Fn::GetAtt Id` give the mapping's UUID; `Fn::GetAtt EventSourceMappingArn` its ARN.
  Values given as text by a parameter ("10", "true") are read as the numbers and booleans they stand for.
- A property the resource type's schema does not have (`KMSKeyArn`, the API's spelling, for example) fails the
  resource, as CloudFormation's validation of the properties against the registry schema does (the wording of
  the message is the sandbox's).
- Failures fail the resource, and so the stack operation, with Lambda's own error: a function that does not
  exist ("Function not found: arn:..."), a stream that does not exist, a value out of Lambda's range for a
  stream source or a metric Lambda does not know (InvalidParameterValueException), a second mapping of the
  same function on the same stream (ResourceConflictException, "... provided mapping already exists. Please
  update or delete the existing mapping with UUID ...").
- An update of the other properties changes the same mapping (same UUID) through UpdateEventSourceMapping; a
  property removed from the template goes back to its default and reads back as on a mapping created without
  it (BatchSize 100, enabled, the others unset). A new FunctionName moves the mapping to that function.
- EventSourceArn, StartingPosition and StartingPositionTimestamp require replacement: a new mapping (new UUID)
  is created, then the old one deleted. As in AWS, a replacement on the same stream for the same function
  therefore fails with the conflict above (the old mapping still exists when the new one is created) and the
  stack rolls back; changing the function in the same update avoids it.
- Deleting the resource deletes the mapping (one already gone is not an error, as for CloudFormation's
  handler).
- A disabled or deleted mapping no longer delivers stream records to its function; enabling it again does.

moto internals patched: `EventSourceMapping.create_from_cloudformation_json` / `update_from_cloudformation_json`
/ `has_cfn_attr` / `get_cfn_attribute` (moto's update passes the template straight to its backend and would set
nothing back to default, nor replace), and `LambdaBackend.create_event_source_mapping` /
`update_event_source_mapping` / `delete_event_source_mapping` (the conflict check, and keeping
`Table.lambda_event_source_mappings`, the map moto's DynamoDB streams deliver from, in step with the mapping:
moto leaves a deleted or disabled mapping there, keyed by the function ARN it had at creation). Only DynamoDB
stream sources get the range checks and delivery bookkeeping; queues and Kinesis streams keep moto's behaviour.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from moto.awslambda.exceptions import UnknownFunctionException
from moto.awslambda.models import EventSourceMapping, LambdaBackend
from moto.awslambda.utils import get_backend
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.models import dynamodb_backends

from restore_sync_sandbox.extensions.cloudformation_changesets import ResourceHandlerError, error_message

RESOURCE_TYPE = "AWS::Lambda::EventSourceMapping"

# Attribute on an EventSourceMapping: the template properties it was last created or updated with.
CFN_PROPERTIES = "_sandbox_cfn_properties"

# "Update requires: Replacement" in the resource reference.
REPLACING_PROPERTIES = ("EventSourceArn", "StartingPosition", "StartingPositionTimestamp")

# What an update sets for a property no longer in the template (stream sources): what a mapping created without
# it has in this sandbox (moto leaves the optional ones unset where Lambda would show its defaults), so that a
# property removed reads back exactly as one never given.
STREAM_DEFAULTS: dict[str, Any] = {
    "BatchSize": 100,
    "MaximumBatchingWindowInSeconds": None,
    "BisectBatchOnFunctionError": None,
    "MaximumRetryAttempts": None,
    "MaximumRecordAgeInSeconds": None,
    "ParallelizationFactor": None,
    "TumblingWindowInSeconds": None,
    "FilterCriteria": None,
    "DestinationConfig": None,
    "FunctionResponseTypes": None,
    "KMSKeyArn": None,
    "MetricsConfig": None,
    "Enabled": True,
}

# The properties of AWS::Lambda::EventSourceMapping that a template may set (the registry schema's, but for the
# read-only Id and EventSourceMappingArn).
TEMPLATE_PROPERTIES = frozenset(
    {
        "AmazonManagedKafkaEventSourceConfig",
        "BatchSize",
        "BisectBatchOnFunctionError",
        "DestinationConfig",
        "DocumentDBEventSourceConfig",
        "Enabled",
        "EventSourceArn",
        "FilterCriteria",
        "FunctionName",
        "FunctionResponseTypes",
        "KmsKeyArn",
        "LoggingConfig",
        "MaximumBatchingWindowInSeconds",
        "MaximumRecordAgeInSeconds",
        "MaximumRetryAttempts",
        "MetricsConfig",
        "ParallelizationFactor",
        "ProvisionedPollerConfig",
        "Queues",
        "ScalingConfig",
        "SelfManagedEventSource",
        "SelfManagedKafkaEventSourceConfig",
        "SourceAccessConfigurations",
        "StartingPosition",
        "StartingPositionTimestamp",
        "Tags",
        "Topics",
        "TumblingWindowInSeconds",
    }
)
# Template property names that differ from the API's.
API_NAMES = {"KmsKeyArn": "KMSKeyArn"}

INTEGER_PROPERTIES = (
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds",
    "ParallelizationFactor",
    "TumblingWindowInSeconds",
)
BOOLEAN_PROPERTIES = ("Enabled", "BisectBatchOnFunctionError")

# Lambda's limits for DynamoDB stream sources: (property, lowest, highest, allowed outside the range).
STREAM_RANGES: tuple[tuple[str, int, int, tuple[int, ...]], ...] = (
    ("BatchSize", 1, 10000, ()),
    ("MaximumBatchingWindowInSeconds", 0, 300, ()),
    ("MaximumRetryAttempts", -1, 10000, ()),
    ("MaximumRecordAgeInSeconds", 60, 604800, (-1,)),
    ("ParallelizationFactor", 1, 10, ()),
    ("TumblingWindowInSeconds", 0, 900, ()),
)
STREAM_STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST")
RESPONSE_TYPES = ("ReportBatchItemFailures",)
METRICS = ("EventCount", "ErrorCount", "KafkaMetrics")

_originals: dict[str, Any] = {}
_lock = threading.Lock()


class LambdaRequestError(JsonRESTError):
    """An error of the Lambda API (the type is its `x-amzn-errortype`)."""

    def __init__(self, error_type: str, message: str, status: int = 400) -> None:
        super().__init__(error_type, message)
        self.code = status


def _is_stream(event_source_arn: Any) -> bool:
    return isinstance(event_source_arn, str) and ":dynamodb:" in event_source_arn and "/stream/" in event_source_arn


def _as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise LambdaRequestError("InvalidParameterValueException", f"Value {value!r} for {name} is not a boolean")


def _as_int(name: str, value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise LambdaRequestError(
            "InvalidParameterValueException", f"Value {value!r} for {name} is not an integer"
        ) from None


def _tags(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return {str(tag["Key"]): str(tag["Value"]) for tag in value or []}


def api_spec(properties: dict[str, Any]) -> dict[str, Any]:
    """CreateEventSourceMapping's request for template properties: the API's names, typed values, Tags as a map."""
    unknown = sorted(set(properties) - TEMPLATE_PROPERTIES)
    if unknown:
        raise ResourceHandlerError(
            f"Properties validation failed for resource of type {RESOURCE_TYPE}: extraneous key "
            f"{unknown} is not permitted",
            "InvalidRequest",
        )
    spec = {API_NAMES.get(key, key): copy.deepcopy(value) for key, value in properties.items() if value is not None}
    for name in INTEGER_PROPERTIES:
        if name in spec:
            spec[name] = _as_int(name, spec[name])
    for name in BOOLEAN_PROPERTIES:
        if name in spec:
            spec[name] = _as_bool(name, spec[name])
    if "Tags" in spec:
        spec["Tags"] = _tags(spec["Tags"])
    return spec


def validate_stream_spec(spec: dict[str, Any]) -> None:
    """Lambda's InvalidParameterValueException for values a DynamoDB stream source does not accept."""
    problems: list[str] = []
    for name, low, high, extra in STREAM_RANGES:
        value = spec.get(name)
        if value is not None and not (low <= value <= high or value in extra):
            problems.append(
                f"Value {value} at '{name[0].lower()}{name[1:]}' failed to satisfy constraint: Member must have "
                f"value {'-1 or ' if extra else ''}between {low} and {high}"
            )
    position = spec.get("StartingPosition")
    if position is not None and position not in STREAM_STARTING_POSITIONS:
        problems.append(f"Unsupported starting position for DynamoDB streams: {position}")
    unknown = [t for t in spec.get("FunctionResponseTypes") or [] if t not in RESPONSE_TYPES]
    if unknown:
        problems.append(
            f"Value {unknown} at 'functionResponseTypes' failed to satisfy constraint: Member must satisfy enum "
            f"value set: {list(RESPONSE_TYPES)}"
        )
    unknown_metrics = [m for m in (spec.get("MetricsConfig") or {}).get("Metrics") or [] if m not in METRICS]
    if unknown_metrics:
        problems.append(
            f"Value {unknown_metrics} at 'metricsConfig.metrics' failed to satisfy constraint: Member must satisfy "
            f"enum value set: {list(METRICS)}"
        )
    if problems:
        count = len(problems)
        raise LambdaRequestError(
            "InvalidParameterValueException",
            f"{count} validation error{'s' if count > 1 else ''} detected: {'; '.join(problems)}",
        )


def _stream_table(esm: EventSourceMapping) -> Any:
    for table in dynamodb_backends[esm.account_id][esm.region].tables.values():
        if (
            table.latest_stream_label
            and f"{table.table_arn}/stream/{table.latest_stream_label}" == esm.event_source_arn
        ):
            return table
    return None


def _detach(esm: EventSourceMapping) -> None:
    for table in dynamodb_backends[esm.account_id][esm.region].tables.values():
        for key, attached in list(table.lambda_event_source_mappings.items()):
            if attached is esm:
                del table.lambda_event_source_mappings[key]


def sync_delivery(esm: EventSourceMapping) -> None:
    """Makes the stream deliver to the mapping's current function exactly when the mapping is enabled."""
    if not _is_stream(esm.event_source_arn):
        return
    _detach(esm)
    table = _stream_table(esm)
    if table is not None and esm.enabled:
        table.lambda_event_source_mappings[esm.function_arn] = esm


def _backend_create(self: LambdaBackend, spec: dict[str, Any]) -> EventSourceMapping:
    if _is_stream(spec.get("EventSourceArn")) and spec.get("FunctionName"):
        function = self._lambdas.get_function_by_name_or_arn_with_qualifier(spec["FunctionName"])
        for existing in self._event_source_mappings.values():
            if existing.event_source_arn == spec["EventSourceArn"] and existing.function_arn == function.function_arn:
                raise LambdaRequestError(
                    "ResourceConflictException",
                    f'The event source arn (" {spec["EventSourceArn"]} ") and function (" {function.function_name} '
                    f'") provided mapping already exists. Please update or delete the existing mapping with UUID '
                    f"{existing.uuid}",
                    409,
                )
    esm: EventSourceMapping = _originals["backend.create"](self, spec)
    sync_delivery(esm)
    return esm


def _backend_update(self: LambdaBackend, uuid: str, spec: dict[str, Any]) -> EventSourceMapping | None:
    esm: EventSourceMapping | None = _originals["backend.update"](self, uuid, spec)
    if esm is not None:
        if "FunctionName" in spec:
            esm.function_name = spec["FunctionName"]
        sync_delivery(esm)
    return esm


def _backend_delete(self: LambdaBackend, uuid: str) -> EventSourceMapping | None:
    esm: EventSourceMapping | None = _originals["backend.delete"](self, uuid)
    if esm is not None:
        _detach(esm)
    return esm


def remember_properties(esm: EventSourceMapping, properties: dict[str, Any]) -> None:
    """Records the template properties a mapping now has (an imported one: the template's)."""
    setattr(esm, CFN_PROPERTIES, copy.deepcopy(properties))


def remembered_properties(esm: EventSourceMapping) -> dict[str, Any] | None:
    properties: dict[str, Any] | None = getattr(esm, CFN_PROPERTIES, None)
    return properties


def _handler_error(error: Exception) -> ResourceHandlerError:
    code = "NotFound" if getattr(error, "error_type", "") == "ResourceNotFoundException" else "InvalidRequest"
    if getattr(error, "error_type", "") == "ResourceConflictException":
        code = "AlreadyExists"
    return ResourceHandlerError(error_message(error), code, service="Lambda")


def _create(account_id: str, region_name: str, properties: dict[str, Any]) -> EventSourceMapping:
    backend = get_backend(account_id, region_name)
    try:
        spec = api_spec(properties)
        if _is_stream(spec.get("EventSourceArn")):
            validate_stream_spec(spec)
        esm: EventSourceMapping = backend.create_event_source_mapping(spec)
    except (UnknownFunctionException, JsonRESTError) as error:
        raise _handler_error(error) from error
    except ValueError as error:  # moto's mapping model raises ValueError(type, message) for bad values
        raise ResourceHandlerError(str(error.args[-1]), "InvalidRequest", service="Lambda") from error
    setattr(esm, CFN_PROPERTIES, copy.deepcopy(properties))
    return esm


def _update(esm: EventSourceMapping, properties: dict[str, Any]) -> EventSourceMapping:
    backend = get_backend(esm.account_id, esm.region)
    try:
        spec = api_spec(properties)
        if _is_stream(esm.event_source_arn):
            validate_stream_spec(spec)
            wanted = {name: spec.get(name, default) for name, default in STREAM_DEFAULTS.items()}
        else:
            wanted = {name: value for name, value in spec.items() if name not in REPLACING_PROPERTIES}
        wanted["FunctionName"] = spec.get("FunctionName", esm.function_name)
        if "Tags" in spec or esm.tags:
            esm.tags = spec.get("Tags", {})
        # Look the function up first: moto's update would otherwise apply the properties listed before it.
        backend.get_function(wanted["FunctionName"])
        backend.update_event_source_mapping(esm.uuid, wanted)
    except (UnknownFunctionException, JsonRESTError) as error:
        raise _handler_error(error) from error
    setattr(esm, CFN_PROPERTIES, copy.deepcopy(properties))
    return esm


def _create_from_cloudformation_json(
    cls: type[EventSourceMapping],
    resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> EventSourceMapping:
    return _create(account_id, region_name, cloudformation_json.get("Properties") or {})


def _update_from_cloudformation_json(
    cls: type[EventSourceMapping],
    original_resource: EventSourceMapping,
    new_resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
) -> EventSourceMapping:
    new = cloudformation_json.get("Properties") or {}
    old = remembered_properties(original_resource)
    if old is not None:
        replace = any(old.get(name) != new.get(name) for name in REPLACING_PROPERTIES)
    else:
        # Not made by a template here: compare with the live mapping instead.
        replace = (
            new.get("EventSourceArn") != original_resource.event_source_arn
            or new.get("StartingPosition", original_resource.starting_position) != original_resource.starting_position
        )
    if replace:
        # Replacement: the new mapping first, then the old one goes, as CloudFormation's cleanup does.
        replacement = _create(account_id, region_name, new)
        get_backend(original_resource.account_id, original_resource.region).delete_event_source_mapping(
            original_resource.uuid
        )
        return replacement
    return _update(original_resource, new)


def _has_cfn_attr(cls: type[EventSourceMapping], attr: str) -> bool:
    return attr in ("Id", "EventSourceMappingArn")


def _get_cfn_attribute(self: EventSourceMapping, attribute_name: str) -> str:
    if attribute_name == "Id":
        return str(self.uuid)
    if attribute_name == "EventSourceMappingArn":
        return str(self.arn)
    raise UnformattedGetAttTemplateException()


PATCHES: tuple[tuple[str, Any, str, Any], ...] = (
    (
        "model.create",
        EventSourceMapping,
        "create_from_cloudformation_json",
        classmethod(_create_from_cloudformation_json),
    ),
    (
        "model.update",
        EventSourceMapping,
        "update_from_cloudformation_json",
        classmethod(_update_from_cloudformation_json),
    ),
    ("model.has_cfn_attr", EventSourceMapping, "has_cfn_attr", classmethod(_has_cfn_attr)),
    ("model.get_cfn_attribute", EventSourceMapping, "get_cfn_attribute", _get_cfn_attribute),
    ("backend.create", LambdaBackend, "create_event_source_mapping", _backend_create),
    ("backend.update", LambdaBackend, "update_event_source_mapping", _backend_update),
    ("backend.delete", LambdaBackend, "delete_event_source_mapping", _backend_delete),
)


# Patched attributes that moto does not define (added rather than replaced).
ADDED = frozenset({"model.get_cfn_attribute"})


def install() -> None:
    """Gives CloudFormation's AWS::Lambda::EventSourceMapping AWS's update, replacement and errors; idempotent."""
    with _lock:
        if _originals:
            return
        for key, owner, attribute, replacement in PATCHES:
            _originals[key] = getattr(owner, attribute, None)
            setattr(owner, attribute, replacement)
