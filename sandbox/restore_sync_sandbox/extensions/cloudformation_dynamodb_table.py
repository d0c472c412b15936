"""The AWS::DynamoDB::Table resource created and updated as CloudFormation does, through moto's backend.

AWS behaviour reproduced:
- A stack update that changes table properties applies each changed property to the SAME table (physical
  id = table name, items untouched): TTL, stream (enable, disable, and a new view type as disable then enable,
  so a new stream ARN), PITR with RecoveryPeriodInDays, deletion protection, tags (added, changed and removed
  keys), billing mode and provisioned throughput, GSIs (added, removed, throughput), SSE, table class, Kinesis
  streaming destination, contributor insights (table, and each GSI's own ContributorInsightsSpecification), the
  maximum on-demand throughput (OnDemandThroughput of the table and of each GSI: a member the template leaves out
  has no maximum), the warm throughput (WarmThroughput of the table and of each GSI, raised in place; a lower
  value fails the resource with DynamoDB's error, and a template that drops it leaves it as it is, since it
  cannot be lowered) and the resource policy. A property removed from the template goes back to its default (the
  stream and TTL are disabled, PITR is turned off, the policy deleted, the Kinesis destination disabled, the class
  STANDARD, no maximum ...).
  Properties the update does not change are not touched, even if the live table drifted.
- KinesisStreamSpecification (StreamArn, ApproximateCreationDateTimePrecision): a new stream disables the live
  destination and enables the new one; a new precision updates it in place. DynamoDB accepts any stream and
  fails the destination afterwards (ENABLE_FAILED), and CloudFormation waits for the outcome: a stream that does
  not exist fails the resource with DynamoDB's DestinationStatusDescription, so the stack rolls back.
- ContributorInsightsSpecification (Enabled, Mode) of the table and of each GSI, a Mode changed in place (the
  CloudFormation reference: "Update requires: No interruption"); a Mode left out enables without one, and
  DynamoDB then states none (AWS documents no default; a Mode removed from a template leaves the live mode as it
  is). ResourcePolicy.PolicyDocument as a JSON object or a JSON string. A document that is not a JSON policy (no
  Statement, a statement without Effect or Action, malformed JSON) fails the resource.
- An API error of DynamoDB while applying a property (an unknown table class, a refused destination ...) fails
  the resource with DynamoDB's error code and message, which the change set machinery turns into a rollback.
- A change of TableName, KeySchema or LocalSecondaryIndexes replaces the table. For a custom-named table
  without a new name the update fails with CloudFormation's "cannot update a stack when a custom-named
  resource requires replacing"; with a new name a new table is created and the old one is deleted unless the
  resource has UpdateReplacePolicy Retain.
- Creating a table from a template also applies the properties moto's CreateTable path ignores (TTL, PITR,
  table class, maximum on-demand throughput and contributor insights of the table and of its GSIs, Kinesis,
  resource policy).

moto internals patched: `Table.create_from_cloudformation_json` (wrapped) and
`Table.update_from_cloudformation_json` (added; moto has none, so its update stored None in the stack's
resource map). Each table remembers the template properties it was last given (`CFN_PROPERTIES`), which is how
an update knows what changed; the import extension records them too. Table class, Kinesis destinations,
contributor insights, the maximum on-demand throughput and the warm throughput go through the DynamoDB backend
methods the dynamodb_table_class, dynamodb_kinesis_destinations, dynamodb_contributor_insights,
dynamodb_on_demand_throughput and dynamodb_warm_throughput extensions add (looked up by name).
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from typing import Any

from moto.cloudformation.exceptions import ValidationError
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.table import Table

# Attribute on a Table: the template properties it was last created, imported or updated with; None after a
# failed update, when it is unknown which properties were applied.
CFN_PROPERTIES = "_sandbox_cfn_properties"

REPLACING_PROPERTIES = ("TableName", "KeySchema", "LocalSecondaryIndexes")


class TableUpdateError(ValidationError):
    """A property CloudFormation could not apply (the stack update then rolls back)."""

    def __init__(self, message: str) -> None:
        super().__init__(message=message)


def remember_properties(table: Table, properties: dict[str, Any] | None) -> None:
    """Records the template properties a table now has, so the next update applies only what changed."""
    setattr(table, CFN_PROPERTIES, copy.deepcopy(properties) if properties is not None else None)


def remembered_properties(table: Table) -> dict[str, Any] | None:
    properties: dict[str, Any] | None = getattr(table, CFN_PROPERTIES, None)
    return properties


def _backend(table: Table) -> DynamoDBBackend:
    backend: DynamoDBBackend = dynamodb_backends[table.account_id][table.region_name]
    return backend


def _throughput(spec: dict[str, Any] | None) -> dict[str, Any]:
    spec = spec or {}
    return {
        "ReadCapacityUnits": int(spec.get("ReadCapacityUnits", 0)),
        "WriteCapacityUnits": int(spec.get("WriteCapacityUnits", 0)),
        "NumberOfDecreasesToday": 0,
    }


def _apply_attribute_definitions(table: Table, old: Any, new: Any, props: dict[str, Any]) -> None:
    if new:
        table.attr = copy.deepcopy(new)


def _apply_capacity(table: Table, old: Any, new: Any, props: dict[str, Any]) -> None:
    billing_mode = "PAY_PER_REQUEST" if props.get("BillingMode") == "PAY_PER_REQUEST" else "PROVISIONED"
    if billing_mode == "PROVISIONED" and not props.get("ProvisionedThroughput"):
        raise TableUpdateError("No provisioned throughput specified for the table")
    table.billing_mode = billing_mode
    table.throughput = _throughput(props.get("ProvisionedThroughput") if billing_mode == "PROVISIONED" else None)


def _apply_global_indexes(table: Table, old: Any, new: Any, props: dict[str, Any]) -> None:
    live = {index.name: index for index in table.global_indexes}
    wanted = {index["IndexName"]: index for index in new or []}
    updates: list[dict[str, Any]] = []
    for name in live:
        if name not in wanted:
            updates.append({"Delete": {"IndexName": name}})
    for name, spec in wanted.items():
        if name not in live:
            updates.append({"Create": copy.deepcopy(spec)})
            continue
        index = live[name]
        if spec.get("KeySchema") != index.schema or spec.get("Projection") != index.projection:
            raise TableUpdateError(
                f"Cannot update GSI's properties other than Provisioned Throughput and Contributor Insights "
                f"Specification. You can create a new GSI with a different name. (index {name})"
            )
        if "ProvisionedThroughput" in spec:
            updates.append(
                {
                    "Update": {
                        "IndexName": name,
                        "ProvisionedThroughput": _throughput(spec["ProvisionedThroughput"]),
                    }
                }
            )
    if updates:
        _backend(table).update_table_global_indexes(table, updates)


def _apply_sse(table: Table, old: Any, new: Any, props: dict[str, Any]) -> None:
    spec = copy.deepcopy(new) if new else None
    if spec and spec.get("SSEEnabled"):
        spec["Enabled"] = True
        spec.setdefault("KMSMasterKeyId", table._get_default_encryption_key(table.account_id, table.region_name))
    table.sse_specification = spec


def _apply_stream(table: Table, old: Any, new: Any, props: dict[str, Any]) -> None:
    backend = _backend(table)
    current = table.stream_specification or {}
    enabled = bool(current.get("StreamEnabled"))
    view_type = (new or {}).get("StreamViewType")
    if enabled and view_type == current.get("StreamViewType"):
        return
    if enabled:
        # DynamoDB cannot change a stream's view type: CloudFormation disables it and enables a new one.
        backend.update_table_streams(table, {"StreamEnabled": False})
    if view_type:
        backend.update_table_streams(table, {"StreamEnabled": True, "StreamViewType": view_type})


def _apply_ttl(table: Table, old: Any, new: Any, props: dict[str, Any]) -> None:
    backend = _backend(table)
    if new and new.get("Enabled"):
        if table.ttl.get("TimeToLiveStatus") == "ENABLED" and table.ttl.get("AttributeName") != new.get(
            "AttributeName"
        ):
            backend.update_time_to_live(table.name, {"Enabled": False, "AttributeName": table.ttl["AttributeName"]})
        backend.update_time_to_live(table.name, {"Enabled": True, "AttributeName": new["AttributeName"]})
        return
    if table.ttl.get("TimeToLiveStatus") == "ENABLED":
        attribute = (new or {}).get("AttributeName") or table.ttl.get("AttributeName")
        backend.update_time_to_live(table.name, {"Enabled": False, "AttributeName": attribute})


def _apply_pitr(table: Table, old: Any, new: Any, props: dict[str, Any]) -> None:
    spec: dict[str, Any] = {"PointInTimeRecoveryEnabled": bool((new or {}).get("PointInTimeRecoveryEnabled"))}
    if spec["PointInTimeRecoveryEnabled"]:
        spec["RecoveryPeriodInDays"] = int((new or {}).get("RecoveryPeriodInDays", 35))
        if not 1 <= spec["RecoveryPeriodInDays"] <= 35:
            raise TableUpdateError("RecoveryPeriodInDays must be between 1 and 35")
    _backend(table).update_continuous_backups(table.name, spec)


def _apply_deletion_protection(table: Table, old: Any, new: Any, props: dict[str, Any]) -> None:
    table.deletion_protection_enabled = new in (True, "true", "True")


def _tag_map(tags: Any) -> dict[str, str]:
    return {tag["Key"]: str(tag["Value"]) for tag in tags or []}


def _apply_tags(table: Table, old: Any, new: Any, props: dict[str, Any]) -> None:
    backend = _backend(table)
    before, after = _tag_map(old), _tag_map(new)
    live = _tag_map(table.tags)
    removed = [key for key in before if key not in after and key in live]
    if removed:
        backend.untag_resource(table.table_arn, removed)
    changed = {key: value for key, value in after.items() if live.get(key) != value}
    if changed:
        # moto's TagResource appends; drop the keys first so a changed value replaces the old one.
        backend.untag_resource(table.table_arn, list(changed))
        backend.tag_resource(table.table_arn, changed)


def _apply_table_class(table: Table, old: Any, new: Any, props: dict[str, Any]) -> None:
    table_class = new or "STANDARD"
    if table_class not in ("STANDARD", "STANDARD_INFREQUENT_ACCESS"):
        raise TableUpdateError(f"Invalid TableClass: {table_class}")
    if table_class == "STANDARD" and not hasattr(_backend(table), "update_table_class"):
        return  # without the table class extension nothing can have set another class
    # The table class extension stores it and describes it (TableClassSummary).
    _call(table, "update_table_class", table.name, table_class)


def _backend_method(table: Table, name: str) -> Callable[..., Any]:
    method = getattr(_backend(table), name, None)
    if method is None:
        raise TableUpdateError(f"The DynamoDB backend in this sandbox has no {name}")
    return method


def _call(table: Table, name: str, *args: Any) -> Any:
    """Calls a DynamoDB backend method; an API error becomes the resource's failure, with DynamoDB's message."""
    try:
        return _backend_method(table, name)(*args)
    except JsonRESTError as error:
        raise TableUpdateError(f"{error.relative_error_type}: {error.message}") from error


def _apply_kinesis(table: Table, old: Any, new: Any, props: dict[str, Any]) -> None:
    wanted_arn = (new or {}).get("StreamArn")
    precision = (new or {}).get("ApproximateCreationDateTimePrecision")
    if not wanted_arn and not hasattr(_backend(table), "describe_kinesis_streaming_destination"):
        return  # without the Kinesis destinations extension nothing can have enabled one
    live = {entry["StreamArn"]: entry for entry in _call(table, "describe_kinesis_streaming_destination", table.name)}
    # A table streams to one destination at a time: whatever else is live goes first.
    for arn, entry in live.items():
        if arn != wanted_arn and entry["DestinationStatus"] == "ACTIVE":
            _call(table, "disable_kinesis_streaming_destination", table.name, arn)
    if not wanted_arn:
        return
    current = live.get(wanted_arn)
    if current is not None and current["DestinationStatus"] == "ACTIVE":
        wanted = precision or "MILLISECOND"
        if wanted != current.get("ApproximateCreationDateTimePrecision", "MILLISECOND"):
            _call(table, "update_kinesis_streaming_destination", table.name, wanted_arn, wanted)
        return
    if precision:
        _call(table, "enable_kinesis_streaming_destination", table.name, wanted_arn, precision)
    else:
        _call(table, "enable_kinesis_streaming_destination", table.name, wanted_arn)
    # DynamoDB checks the stream after answering ENABLING; CloudFormation waits for the outcome.
    entries = _call(table, "describe_kinesis_streaming_destination", table.name)
    outcome: dict[str, Any] = next((entry for entry in entries if entry["StreamArn"] == wanted_arn), {})
    if outcome.get("DestinationStatus") != "ACTIVE":
        raise TableUpdateError(
            f"Kinesis streaming destination {wanted_arn} ended {outcome.get('DestinationStatus', 'missing')}: "
            f"{outcome.get('DestinationStatusDescription', 'no reason given')}"
        )


def _insights_action(spec: Any) -> tuple[str, str | None]:
    enabled = (spec or {}).get("Enabled") in (True, "true", "True")
    return ("ENABLE", (spec or {}).get("Mode")) if enabled else ("DISABLE", None)


def _apply_contributor_insights(table: Table, old: Any, new: Any, props: dict[str, Any]) -> None:
    action, mode = _insights_action(new)
    if action == "DISABLE" and not hasattr(_backend(table), "update_contributor_insights"):
        return  # without the contributor insights extension nothing can have enabled them
    _call(table, "update_contributor_insights", table.name, None, action, mode)


def _apply_index_insights(table: Table, old: Any, new: Any, props: dict[str, Any]) -> None:
    """ContributorInsightsSpecification of each GSI, applied to the index after the indexes themselves."""
    before = {index["IndexName"]: index.get("ContributorInsightsSpecification") for index in old or []}
    for index in new or []:
        spec = index.get("ContributorInsightsSpecification")
        if spec == before.get(index["IndexName"]):
            continue
        action, mode = _insights_action(spec)
        if action == "DISABLE" and not hasattr(_backend(table), "update_contributor_insights"):
            continue
        _call(table, "update_contributor_insights", table.name, index["IndexName"], action, mode)


def _policy_text(document: Any) -> str:
    """The policy as DynamoDB stores it; a document that is not a JSON policy object fails the resource."""
    try:
        parsed = json.loads(document) if isinstance(document, str) else document
    except ValueError as error:
        raise TableUpdateError(f"Invalid policy document: the document is not valid JSON ({error})") from error
    if not isinstance(parsed, dict) or not parsed.get("Statement"):
        raise TableUpdateError("Invalid policy document: a policy is a JSON object with a Statement")
    statements = parsed["Statement"] if isinstance(parsed["Statement"], list) else [parsed["Statement"]]
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny"):
            raise TableUpdateError("Invalid policy document: every statement needs an Effect of Allow or Deny")
        if "Action" not in statement and "NotAction" not in statement:
            raise TableUpdateError("Invalid policy document: every statement needs an Action")
    return document if isinstance(document, str) else json.dumps(document)


def _apply_resource_policy(table: Table, old: Any, new: Any, props: dict[str, Any]) -> None:
    backend = _backend(table)
    document = (new or {}).get("PolicyDocument")
    if document:
        _call(table, "put_resource_policy", table.table_arn, _policy_text(document), None)
    elif table.table_arn in backend.resource_policies:
        _call(table, "delete_resource_policy", table.table_arn, None)


def _on_demand(spec: Any) -> dict[str, int]:
    """A template's OnDemandThroughput as UpdateTable takes it: a member the template leaves out has no maximum."""
    return {member: int((spec or {}).get(member, -1)) for member in ("MaxReadRequestUnits", "MaxWriteRequestUnits")}


def _apply_on_demand_throughput(table: Table, old: Any, new: Any, props: dict[str, Any]) -> None:
    if not new and not hasattr(_backend(table), "update_on_demand_throughput"):
        return  # without the on-demand throughput extension nothing can have set a maximum
    _call(table, "update_on_demand_throughput", table.name, _on_demand(new), {})


def _apply_index_on_demand_throughput(table: Table, old: Any, new: Any, props: dict[str, Any]) -> None:
    """OnDemandThroughput of each GSI, applied to the index after the indexes themselves."""
    before = {index["IndexName"]: index.get("OnDemandThroughput") for index in old or []}
    changed = {
        index["IndexName"]: _on_demand(index.get("OnDemandThroughput"))
        for index in new or []
        if index.get("OnDemandThroughput") != before.get(index["IndexName"])
    }
    if changed and hasattr(_backend(table), "update_on_demand_throughput"):
        _call(table, "update_on_demand_throughput", table.name, None, changed)


def _apply_warm_throughput(table: Table, old: Any, new: Any, props: dict[str, Any]) -> None:
    # Warm throughput is never lowered: a template that drops it leaves the table's as it is.
    if new:
        _call(table, "update_warm_throughput", table.name, dict(new), {})


def _apply_index_warm_throughput(table: Table, old: Any, new: Any, props: dict[str, Any]) -> None:
    """WarmThroughput of each GSI, applied to the index after the indexes themselves."""
    before = {index["IndexName"]: index.get("WarmThroughput") for index in old or []}
    changed = {
        index["IndexName"]: dict(index["WarmThroughput"])
        for index in new or []
        if index.get("WarmThroughput") and index["WarmThroughput"] != before.get(index["IndexName"])
    }
    if changed:
        _call(table, "update_warm_throughput", table.name, None, changed)


Applier = Callable[[Table, Any, Any, dict[str, Any]], None]

# In the order CloudFormation's handler applies them: table shape and capacity first, then features.
APPLIERS: tuple[tuple[tuple[str, ...], Applier], ...] = (
    (("AttributeDefinitions",), _apply_attribute_definitions),
    (("BillingMode", "ProvisionedThroughput"), _apply_capacity),
    (("GlobalSecondaryIndexes",), _apply_global_indexes),
    (("GlobalSecondaryIndexes",), _apply_index_insights),
    (("GlobalSecondaryIndexes",), _apply_index_on_demand_throughput),
    (("GlobalSecondaryIndexes",), _apply_index_warm_throughput),
    (("OnDemandThroughput",), _apply_on_demand_throughput),
    (("SSESpecification",), _apply_sse),
    (("WarmThroughput",), _apply_warm_throughput),
    (("TableClass",), _apply_table_class),
    (("StreamSpecification",), _apply_stream),
    (("TimeToLiveSpecification",), _apply_ttl),
    (("PointInTimeRecoverySpecification",), _apply_pitr),
    (("DeletionProtectionEnabled",), _apply_deletion_protection),
    (("KinesisStreamSpecification",), _apply_kinesis),
    (("ContributorInsightsSpecification",), _apply_contributor_insights),
    (("ResourcePolicy",), _apply_resource_policy),
    (("Tags",), _apply_tags),
)

# Applied at creation on top of moto's CreateTable path, which ignores them.
_CREATE_EXTRAS = (
    "TableClass",
    "OnDemandThroughput",
    "TimeToLiveSpecification",
    "PointInTimeRecoverySpecification",
    "KinesisStreamSpecification",
    "ContributorInsightsSpecification",
    "ResourcePolicy",
)


def apply_properties(table: Table, old: dict[str, Any] | None, new: dict[str, Any], only: set[str]) -> None:
    """Applies to `table` each property named in `only`, from template properties `old` to `new`."""
    old = old or {}
    for names, applier in APPLIERS:
        if only.intersection(names):
            applier(table, old.get(names[0]), new.get(names[0]), new)


def changed_properties(old: dict[str, Any] | None, new: dict[str, Any]) -> set[str]:
    """Properties whose template value differs; every property when the previous ones are unknown."""
    if old is None:
        return {name for names, _ in APPLIERS for name in names}
    return {name for name in set(old) | set(new) if old.get(name) != new.get(name)}


_originals: dict[str, Any] = {}
_lock = threading.Lock()


def _create_from_cloudformation_json(
    cls: type[Table],
    resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> Table:
    table: Table = _originals["create"].__func__(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    )
    properties = cloudformation_json.get("Properties") or {}
    extras = {name for name in _CREATE_EXTRAS if properties.get(name) is not None}
    apply_properties(table, {}, properties, extras)
    # moto's CreateTable path keeps the indexes but not their contributor insights or maximum throughput.
    _apply_index_insights(table, [], properties.get("GlobalSecondaryIndexes"), properties)
    _apply_index_on_demand_throughput(table, [], properties.get("GlobalSecondaryIndexes"), properties)
    remember_properties(table, properties)
    return table


def _update_from_cloudformation_json(
    cls: type[Table],
    original_resource: Table,
    new_resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
) -> Table:
    table = original_resource
    new = cloudformation_json.get("Properties") or {}
    old = remembered_properties(table)
    if old is not None and any(old.get(p) != new.get(p) for p in REPLACING_PROPERTIES):
        return _replace(cls, table, old, new, cloudformation_json, account_id, region_name)
    try:
        apply_properties(table, old, new, changed_properties(old, new))
    except Exception:
        remember_properties(table, None)
        raise
    remember_properties(table, new)
    return table


def _replace(
    cls: type[Table],
    table: Table,
    old: dict[str, Any],
    new: dict[str, Any],
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
) -> Table:
    new_name = new.get("TableName") or table.name
    if new_name == table.name:
        raise TableUpdateError(
            "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
            f"Rename {table.name} and update the stack again."
        )
    replacement = _create_from_cloudformation_json(cls, new_name, cloudformation_json, account_id, region_name)
    if cloudformation_json.get("UpdateReplacePolicy") not in ("Retain", "Snapshot"):
        dynamodb_backends[account_id][region_name].delete_table(table.name)
    return replacement


PATCHED = ("create_from_cloudformation_json", "update_from_cloudformation_json")


def install() -> None:
    """Gives moto's AWS::DynamoDB::Table an update path; calling it again does nothing."""
    with _lock:
        if _originals:
            return
        _originals["create"] = Table.__dict__["create_from_cloudformation_json"]
        Table.create_from_cloudformation_json = classmethod(_create_from_cloudformation_json)  # type: ignore[method-assign,assignment]
        Table.update_from_cloudformation_json = classmethod(_update_from_cloudformation_json)  # type: ignore[method-assign,assignment]
