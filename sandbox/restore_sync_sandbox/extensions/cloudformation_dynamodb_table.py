"""The AWS::DynamoDB::Table resource created and updated as CloudFormation does, through moto's backend.

AWS behaviour reproduced:
- A stack update that changes table properties applies each changed property to the SAME table (physical
  id = table name, items untouched): TTL, stream (enable, disable, and a new view type as disable then enable,
  so a new stream ARN), PITR with RecoveryPeriodInDays, deletion protection, tags (added, changed and removed
  keys), billing mode and provisioned throughput, GSIs (added, removed, throughput), SSE, table class, Kinesis
  streaming destination, contributor insights and the resource policy. A property removed from the template
  goes back to its default (the stream and TTL are disabled, PITR is turned off, the policy deleted ...).
  Properties the update does not change are not touched, even if the live table drifted.
- A change of TableName, KeySchema or LocalSecondaryIndexes replaces the table. For a custom-named table
  without a new name the update fails with CloudFormation's "cannot update a stack when a custom-named
  resource requires replacing"; with a new name a new table is created and the old one is deleted unless the
  resource has UpdateReplacePolicy Retain.
- Creating a table from a template also applies the properties moto's CreateTable path ignores (TTL, PITR,
  table class, Kinesis, contributor insights, resource policy).

moto internals patched: `Table.create_from_cloudformation_json` (wrapped) and
`Table.update_from_cloudformation_json` (added; moto has none, so its update stored None in the stack's
resource map). Each table remembers the template properties it was last given (`CFN_PROPERTIES`), which is how
an update knows what changed; the import extension records them too.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from typing import Any

from moto.cloudformation.exceptions import ValidationError
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
    # The table class extension describes what is stored here (TableClassSummary).
    setattr(table, "table_class", table_class)  # noqa: B010


def _backend_method(table: Table, name: str) -> Callable[..., Any]:
    method = getattr(_backend(table), name, None)
    if method is None:
        raise TableUpdateError(f"The DynamoDB backend in this sandbox has no {name}")
    return method


def _apply_kinesis(table: Table, old: Any, new: Any, props: dict[str, Any]) -> None:
    old_arn = (old or {}).get("StreamArn")
    new_arn = (new or {}).get("StreamArn")
    if old_arn and old_arn != new_arn:
        _backend_method(table, "disable_kinesis_streaming_destination")(table.name, old_arn)
    if new_arn:
        precision = (new or {}).get("ApproximateCreationDateTimePrecision")
        enable = _backend_method(table, "enable_kinesis_streaming_destination")
        if precision:
            enable(table.name, new_arn, precision)
        else:
            enable(table.name, new_arn)


def _apply_contributor_insights(table: Table, old: Any, new: Any, props: dict[str, Any]) -> None:
    action = "ENABLE" if (new or {}).get("Enabled") in (True, "true", "True") else "DISABLE"
    if action == "DISABLE" and not hasattr(_backend(table), "update_contributor_insights"):
        return  # without the contributor insights extension nothing can have enabled them
    _backend_method(table, "update_contributor_insights")(table.name, None, action)


def _apply_resource_policy(table: Table, old: Any, new: Any, props: dict[str, Any]) -> None:
    backend = _backend(table)
    document = (new or {}).get("PolicyDocument")
    if document:
        text = document if isinstance(document, str) else json.dumps(document)
        backend.put_resource_policy(table.table_arn, text, None)
    elif table.table_arn in backend.resource_policies:
        backend.delete_resource_policy(table.table_arn, None)


def _apply_warm_throughput(table: Table, old: Any, new: Any, props: dict[str, Any]) -> None:
    if new:
        table.warm_throughput = {**copy.deepcopy(new), "Status": "ACTIVE"}


Applier = Callable[[Table, Any, Any, dict[str, Any]], None]

# In the order CloudFormation's handler applies them: table shape and capacity first, then features.
APPLIERS: tuple[tuple[tuple[str, ...], Applier], ...] = (
    (("AttributeDefinitions",), _apply_attribute_definitions),
    (("BillingMode", "ProvisionedThroughput"), _apply_capacity),
    (("GlobalSecondaryIndexes",), _apply_global_indexes),
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
