"""The AWS::DynamoDB::GlobalTable resource: a version 2019.11.21 global table created, updated, imported and deleted.

Where AWS defines it: the resource's registry schema (cfn-lint's data, `AWS::DynamoDB::GlobalTable`:
primaryIdentifier TableName, createOnlyProperties TableName, conditionalCreateOnlyProperties KeySchema and
LocalSecondaryIndexes, readOnlyProperties Arn, StreamArn and TableId, `Replicas` required with at least one
ReplicaSpecification) and the CloudFormation template reference for the type and its ReplicaSpecification,
StreamSpecification and WriteProvisionedThroughputSettings; the DynamoDB Developer Guide, "Best practices for global
tables" (converting an AWS::DynamoDB::Table: retain it, remove it from the stack, import it as a GlobalTable). The
resource handler's calls follow the schema's handler permissions: CreateTable, UpdateTable (ReplicaUpdates),
UpdateTimeToLive, UpdateContinuousBackups, UpdateContributorInsights, Tag/UntagResource, Enable/Disable
KinesisStreamingDestination, Put/DeleteResourcePolicy and Application Auto Scaling, each in the replica's region.

AWS behaviour reproduced:
- Create: the table is created in the stack's region, which `Replicas` must list ("The list must contain at least one
  element, the region where the stack defining the global table is deployed"); then each other replica is added with
  UpdateTable ReplicaUpdates (through `dynamodb_replicas`, so DynamoDB's rules apply: items copied, stream enabled,
  PROVISIONED write capacity must be auto scaled). Table-wide properties: KeySchema, AttributeDefinitions,
  BillingMode (default PROVISIONED), GlobalSecondaryIndexes (keys, projection, WriteProvisionedThroughputSettings,
  WriteOnDemandThroughputSettings), LocalSecondaryIndexes, SSESpecification, StreamSpecification,
  TimeToLiveSpecification, WriteProvisionedThroughputSettings (WriteCapacityAutoScalingSettings: a scalable target
  and a target-tracking policy on the write capacity of the table and of each GSI, in every replica region; the
  capacity starts at SeedCapacity, else MinCapacity), WriteOnDemandThroughputSettings, MultiRegionConsistency.
  Per replica, applied in the replica's own region: Tags, PointInTimeRecoverySpecification, DeletionProtectionEnabled,
  ContributorInsightsSpecification (of the table and of each GSI), KinesisStreamSpecification, ResourcePolicy,
  TableClass, ReadProvisionedThroughputSettings (ReadCapacityUnits, or ReadCapacityAutoScalingSettings),
  ReadOnDemandThroughputSettings, the GSIs' read settings, SSESpecification.KMSMasterKeyId.
- PROVISIONED needs write auto scaling and read settings for every replica and GSI ("You must specify ReadCapacityUnits
  or ReadCapacityAutoScalingSettings for each global table replica and each of its GSIs when BillingMode is
  Provisioned"); more than one replica of an EVENTUAL global table needs a StreamSpecification (the template
  reference). Both fail the resource.
- Update in place: a replica added (ReplicaUpdates Create) or removed (ReplicaUpdates Delete, the replica's table and
  items deleted in its region), one per update as the template reference says ("you can only add or remove a single
  replica in each update"), never the stack's own region ("You cannot remove the replica in the stack region"); each
  replica's changed settings applied in its region (a removed one back to its default); table-wide TTL, billing mode,
  write settings, GSIs created or deleted, applied once and followed by every replica as DynamoDB does;
  StreamSpecification changes only while there is one replica. TableName, KeySchema or LocalSecondaryIndexes changes
  replace the table (a custom-named table fails as for AWS::DynamoDB::Table).
- Delete: every other replica is deleted, then the table; DeletionPolicy Retain keeps all of them (the change set
  extension skips retained resources).
- Import by TableName (the registry's primaryIdentifier), the documented way to convert an AWS::DynamoDB::Table: the
  existing table, with or without replicas, is seated as it is; the next update applies what the template changes.
- Ref gives the table name; `Fn::GetAtt` Arn and StreamArn (the stack region's table) and TableId.

Not reproduced: witnesses (GlobalTableWitnesses), GlobalTableSourceArn, multi-account replicas and
GlobalTableSettingsReplicationMode, ReplicaStreamSpecification (the stream's resource policy), WarmThroughput and
VectorIndexes, read auto scaling changes after creation (the capacity limits are set at creation only), the time
replicas take.

moto internals touched: moto has no model for the type; `GlobalTable` is a new direct subclass of
`CloudFormationModel`, and `install()` clears moto's cached model map. The import module's `IMPORTERS` gains the
type; the change set module's update rules gain its replacing properties.
"""

from __future__ import annotations

import copy
import threading
import uuid
from typing import Any

from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.core.common_models import CloudFormationModel
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.table import Table

from restore_sync_sandbox.extensions import cloudformation_changesets as changesets
from restore_sync_sandbox.extensions import cloudformation_dynamodb_table as table_model
from restore_sync_sandbox.extensions import cloudformation_import as importing
from restore_sync_sandbox.extensions import dynamodb_on_demand_throughput as on_demand
from restore_sync_sandbox.extensions import dynamodb_replicas as replicas

RESOURCE_TYPE = "AWS::DynamoDB::GlobalTable"
MODEL_CACHES = ("get_model_list", "get_model_map", "get_name_type_map")
TABLE_ID_ATTRIBUTE = "_sandbox_table_id"
REPLACING_PROPERTIES = ("TableName", "KeySchema", "LocalSecondaryIndexes")

# ReplicaSpecification members that are settings of the replica's own table, as AWS::DynamoDB::Table names them.
REGIONAL_SETTINGS = (
    "PointInTimeRecoverySpecification",
    "DeletionProtectionEnabled",
    "ContributorInsightsSpecification",
    "KinesisStreamSpecification",
    "ResourcePolicy",
    "TableClass",
    "Tags",
)
READ_SETTINGS = ("ReadProvisionedThroughputSettings", "ReadOnDemandThroughputSettings", "GlobalSecondaryIndexes")


class GlobalTableError(changesets.ResourceHandlerError):
    """The resource handler refused the template or DynamoDB refused a call (the stack operation then rolls back)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, handler_error_code="InvalidRequest", service="DynamoDb")


def _backend(account_id: str, region: str) -> DynamoDBBackend:
    backend: DynamoDBBackend = dynamodb_backends[account_id][region]
    return backend


def _call(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Calls DynamoDB (or Application Auto Scaling); its error fails the resource with the service's message."""
    try:
        return function(*args, **kwargs)
    except JsonRESTError as error:
        raise GlobalTableError(f"{error.message} (Error Code: {error.relative_error_type})") from error


def _replica_specs(properties: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {spec["Region"]: spec for spec in properties.get("Replicas") or []}


def _provisioned(properties: dict[str, Any]) -> bool:
    return (properties.get("BillingMode") or "PROVISIONED") == "PROVISIONED"


def _write_scaling(properties: dict[str, Any], index: dict[str, Any] | None = None) -> dict[str, Any]:
    holder = index if index is not None else properties
    scaling: dict[str, Any] = (holder.get("WriteProvisionedThroughputSettings") or {}).get(
        "WriteCapacityAutoScalingSettings"
    ) or {}
    return scaling


def _read_settings(spec: dict[str, Any], index_name: str | None = None) -> dict[str, Any]:
    if index_name is None:
        settings: dict[str, Any] = spec.get("ReadProvisionedThroughputSettings") or {}
        return settings
    for index in spec.get("GlobalSecondaryIndexes") or []:
        if index.get("IndexName") == index_name:
            found: dict[str, Any] = index.get("ReadProvisionedThroughputSettings") or {}
            return found
    return {}


def _read_units(settings: dict[str, Any]) -> int | None:
    if settings.get("ReadCapacityUnits") is not None:
        return int(settings["ReadCapacityUnits"])
    scaling = settings.get("ReadCapacityAutoScalingSettings") or {}
    start = scaling.get("SeedCapacity") or scaling.get("MinCapacity")
    return int(start) if start is not None else None


def _start_capacity(scaling: dict[str, Any]) -> int:
    return int(scaling.get("SeedCapacity") or scaling.get("MinCapacity") or 1)


def validate(properties: dict[str, Any], stack_region: str) -> None:
    """Refuses a template the resource handler refuses, before anything is created or changed."""
    specs = _replica_specs(properties)
    if stack_region not in specs:
        raise GlobalTableError(
            f"Replicas must contain the region where the stack is deployed ({stack_region}); "
            "You cannot remove the replica in the stack region."
        )
    eventual = (properties.get("MultiRegionConsistency") or "EVENTUAL") == "EVENTUAL"
    if eventual and len(specs) > 1 and not properties.get("StreamSpecification"):
        raise GlobalTableError("StreamSpecification must be specified for a global table with more than one replica")
    if not _provisioned(properties):
        return
    if not _write_scaling(properties):
        raise GlobalTableError(
            "WriteProvisionedThroughputSettings with WriteCapacityAutoScalingSettings must be specified for the "
            "table when BillingMode is Provisioned"
        )
    indexes = [index["IndexName"] for index in properties.get("GlobalSecondaryIndexes") or []]
    for index in properties.get("GlobalSecondaryIndexes") or []:
        if not _write_scaling(properties, index):
            raise GlobalTableError(
                "WriteProvisionedThroughputSettings with WriteCapacityAutoScalingSettings must be specified for each "
                "GSI when BillingMode is Provisioned"
            )
    for spec in specs.values():
        if _read_units(_read_settings(spec)) is None or any(
            _read_units(_read_settings(spec, name)) is None for name in indexes
        ):
            raise GlobalTableError(
                "You must specify ReadCapacityUnits or ReadCapacityAutoScalingSettings for each global table replica "
                "and each of its GSIs when BillingMode is Provisioned"
            )


def _create_table(backend: DynamoDBBackend, name: str, properties: dict[str, Any], local: dict[str, Any]) -> Table:
    provisioned = _provisioned(properties)
    throughput = None
    if provisioned:
        throughput = {
            "ReadCapacityUnits": _read_units(_read_settings(local)) or 1,
            "WriteCapacityUnits": _start_capacity(_write_scaling(properties)),
        }
    indexes = []
    for index in properties.get("GlobalSecondaryIndexes") or []:
        spec = {key: copy.deepcopy(index[key]) for key in ("IndexName", "KeySchema", "Projection")}
        if provisioned:
            spec["ProvisionedThroughput"] = {
                "ReadCapacityUnits": _read_units(_read_settings(local, index["IndexName"])) or 1,
                "WriteCapacityUnits": _start_capacity(_write_scaling(properties, index)),
            }
        indexes.append(spec)
    stream = properties.get("StreamSpecification")
    sse = properties.get("SSESpecification") or {}
    sse_spec = None
    if sse.get("SSEEnabled") in (True, "true"):
        sse_spec = {"Enabled": True, "SSEType": sse.get("SSEType", "KMS")}
        if (local.get("SSESpecification") or {}).get("KMSMasterKeyId"):
            sse_spec["KMSMasterKeyId"] = local["SSESpecification"]["KMSMasterKeyId"]
    table: Table = _call(
        backend.create_table,
        name,
        schema=copy.deepcopy(properties.get("KeySchema") or []),
        throughput=throughput,
        attr=copy.deepcopy(properties.get("AttributeDefinitions") or []),
        global_indexes=indexes,
        indexes=copy.deepcopy(properties.get("LocalSecondaryIndexes") or []),
        streams={"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]} if stream else None,
        billing_mode="PROVISIONED" if provisioned else "PAY_PER_REQUEST",
        sse_specification=sse_spec,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    if sse_spec and "KMSMasterKeyId" not in sse_spec:
        sse_spec["KMSMasterKeyId"] = table._get_default_encryption_key(table.account_id, table.region_name)
    return table


def _apply_ttl(table: Table, old: Any, new: Any) -> None:
    # AWS::DynamoDB::Table's handler logic; DynamoDB spreads TTL to every replica (dynamodb_replicas).
    _call(table_model._apply_ttl, table, old, new, {})


def _policy_name(resource_id: str, metric: str) -> str:
    return f"{metric}:{resource_id}"


def _register_scaling(account_id: str, region: str, resource_id: str, dimension: str, scaling: dict[str, Any]) -> None:
    """Makes the live scalable target and target-tracking policy what the template says (nothing when they are)."""
    backend = applicationautoscaling_backends[account_id][region]
    metric = "DynamoDBWriteCapacityUtilization" if "Write" in dimension else "DynamoDBReadCapacityUtilization"
    tracking = copy.deepcopy(scaling.get("TargetTrackingScalingPolicyConfiguration") or {"TargetValue": 70.0})
    tracking["PredefinedMetricSpecification"] = {"PredefinedMetricType": metric}
    target = backend.targets.get(dimension, {}).get(resource_id)
    limits = (int(scaling["MinCapacity"]), int(scaling["MaxCapacity"]))
    policy = next(
        (
            p
            for p in list(backend.policies.values())
            if (p.resource_id, p.scalable_dimension, p.policy_name)
            == (resource_id, dimension, _policy_name(resource_id, metric))
        ),
        None,
    )
    if (
        target is not None
        and (target.min_capacity, target.max_capacity) == limits
        and policy is not None
        and policy.target_tracking_scaling_policy_configuration == tracking
    ):
        return
    _call(backend.register_scalable_target, "dynamodb", resource_id, dimension, *limits, None, None)
    _call(
        backend.put_scaling_policy,
        _policy_name(resource_id, metric),
        "dynamodb",
        resource_id,
        dimension,
        tracking,
        "TargetTrackingScaling",
    )


def _register_write_scaling(table: Table, region: str, properties: dict[str, Any]) -> None:
    if not _provisioned(properties):
        return
    name = table.name
    _register_scaling(
        table.account_id, region, f"table/{name}", "dynamodb:table:WriteCapacityUnits", _write_scaling(properties)
    )
    for index in properties.get("GlobalSecondaryIndexes") or []:
        _register_scaling(
            table.account_id,
            region,
            f"table/{name}/index/{index['IndexName']}",
            "dynamodb:index:WriteCapacityUnits",
            _write_scaling(properties, index),
        )


def _register_read_scaling(table: Table, region: str, spec: dict[str, Any], properties: dict[str, Any]) -> None:
    if not _provisioned(properties):
        return
    scaling = _read_settings(spec).get("ReadCapacityAutoScalingSettings")
    if scaling:
        _register_scaling(table.account_id, region, f"table/{table.name}", "dynamodb:table:ReadCapacityUnits", scaling)
    for index in properties.get("GlobalSecondaryIndexes") or []:
        index_scaling = _read_settings(spec, index["IndexName"]).get("ReadCapacityAutoScalingSettings")
        if index_scaling:
            _register_scaling(
                table.account_id,
                region,
                f"table/{table.name}/index/{index['IndexName']}",
                "dynamodb:index:ReadCapacityUnits",
                index_scaling,
            )


def _apply_regional(table: Table, old: dict[str, Any], new: dict[str, Any]) -> None:
    """A replica's own settings, applied to its table in its region as AWS::DynamoDB::Table applies them."""
    changed = {name for name in REGIONAL_SETTINGS if old.get(name) != new.get(name)}
    table_model.apply_properties(table, old, new, changed)
    table_model._apply_index_insights(table, old.get("GlobalSecondaryIndexes"), new.get("GlobalSecondaryIndexes"), new)


def _replica_action(region: str, spec: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    """The ReplicaUpdates member that gives a replica its per-replica read settings and key."""
    action: dict[str, Any] = {"RegionName": region}
    if _provisioned(properties):
        read = _read_units(_read_settings(spec))
        if read is not None:
            action["ProvisionedThroughputOverride"] = {"ReadCapacityUnits": read}
    elif (spec.get("ReadOnDemandThroughputSettings") or {}).get("MaxReadRequestUnits"):
        action["OnDemandThroughputOverride"] = {
            "MaxReadRequestUnits": int(spec["ReadOnDemandThroughputSettings"]["MaxReadRequestUnits"])
        }
    indexes = []
    for index in spec.get("GlobalSecondaryIndexes") or []:
        entry: dict[str, Any] = {"IndexName": index["IndexName"]}
        if _provisioned(properties) and _read_units(_read_settings(spec, index["IndexName"])) is not None:
            entry["ProvisionedThroughputOverride"] = {
                "ReadCapacityUnits": _read_units(_read_settings(spec, index["IndexName"]))
            }
        elif (index.get("ReadOnDemandThroughputSettings") or {}).get("MaxReadRequestUnits"):
            entry["OnDemandThroughputOverride"] = {
                "MaxReadRequestUnits": int(index["ReadOnDemandThroughputSettings"]["MaxReadRequestUnits"])
            }
        if len(entry) > 1:
            indexes.append(entry)
    if indexes:
        action["GlobalSecondaryIndexes"] = indexes
    return action


def _apply_local_reads(table: Table, spec: dict[str, Any], properties: dict[str, Any]) -> None:
    """The stack region's replica: its read settings are its own table's."""
    if _provisioned(properties):
        read = _read_units(_read_settings(spec))
        if read is not None:
            table.throughput = {**table.throughput, "ReadCapacityUnits": read}
        for index in table.global_indexes:
            index_read = _read_units(_read_settings(spec, index.name))
            if index_read is not None:
                index.throughput = {**index.throughput, "ReadCapacityUnits": index_read}
        return
    maximum = {
        "MaxReadRequestUnits": int((spec.get("ReadOnDemandThroughputSettings") or {}).get("MaxReadRequestUnits", -1))
    }
    on_demand.set_maximum(table, maximum)
    for index in table.global_indexes:
        index_spec: dict[str, Any] = next(
            (i for i in spec.get("GlobalSecondaryIndexes") or [] if i.get("IndexName") == index.name), {}
        )
        units = (index_spec.get("ReadOnDemandThroughputSettings") or {}).get("MaxReadRequestUnits", -1)
        on_demand.set_maximum(index, {"MaxReadRequestUnits": int(units)}, "index")


def _apply_write_on_demand(table: Table, properties: dict[str, Any]) -> None:
    if _provisioned(properties):
        return
    units = (properties.get("WriteOnDemandThroughputSettings") or {}).get("MaxWriteRequestUnits", -1)
    on_demand.set_maximum(table, {"MaxWriteRequestUnits": int(units)})
    for index in table.global_indexes:
        spec: dict[str, Any] = next(
            (i for i in properties.get("GlobalSecondaryIndexes") or [] if i["IndexName"] == index.name), {}
        )
        index_units = (spec.get("WriteOnDemandThroughputSettings") or {}).get("MaxWriteRequestUnits", -1)
        on_demand.set_maximum(index, {"MaxWriteRequestUnits": int(index_units)}, "index")


class GlobalTable(CloudFormationModel):
    """A global table as its stack sees it: the table in the stack's region and its replicas."""

    def __init__(self, account_id: str, region_name: str, name: str, properties: dict[str, Any]) -> None:
        self.account_id = account_id
        self.region_name = region_name
        self.name = name
        self.properties = copy.deepcopy(properties)

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "TableName"

    @staticmethod
    def cloudformation_type() -> str:
        return RESOURCE_TYPE

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "StreamArn", "TableId")

    def table(self) -> Table:
        found = _backend(self.account_id, self.region_name).tables.get(self.name)
        if found is None:
            raise GlobalTableError(f"Table {self.name} does not exist in {self.region_name}")
        return found

    def get_cfn_attribute(self, attribute_name: str) -> str:
        table = self.table()
        if attribute_name == "Arn":
            return str(table.table_arn)
        if attribute_name == "StreamArn" and table.latest_stream_label:
            return f"{table.table_arn}/stream/{table.latest_stream_label}"
        if attribute_name == "TableId":
            if getattr(table, TABLE_ID_ATTRIBUTE, None) is None:
                setattr(table, TABLE_ID_ATTRIBUTE, str(uuid.uuid4()))
            return str(getattr(table, TABLE_ID_ATTRIBUTE))
        raise UnformattedGetAttTemplateException()

    def _members(self) -> dict[str, Table]:
        table = self.table()
        group = replicas.group_of(table)
        return group.tables() if group is not None else {self.region_name: table}

    def create(self) -> None:
        properties = self.properties
        validate(properties, self.region_name)
        specs = _replica_specs(properties)
        local_spec = specs[self.region_name]
        backend = _backend(self.account_id, self.region_name)
        table = _create_table(backend, self.name, properties, local_spec)
        _apply_local_reads(table, local_spec, properties)
        _apply_write_on_demand(table, properties)
        if properties.get("TimeToLiveSpecification"):
            _apply_ttl(table, None, properties["TimeToLiveSpecification"])
        _register_write_scaling(table, self.region_name, properties)
        _register_read_scaling(table, self.region_name, local_spec, properties)
        _apply_regional(table, {}, local_spec)
        consistency = properties.get("MultiRegionConsistency")
        others = [region for region in specs if region != self.region_name]
        if consistency == "STRONG" and others:
            actions = [{"Create": _replica_action(region, specs[region], properties)} for region in others]
            _call(replicas.update_replicas, backend, self.name, actions, consistency)
            for region in others:
                self._settle_new_replica(region, specs[region])
            return
        for region in others:
            self.add_replica(region, specs[region])

    def add_replica(self, region: str, spec: dict[str, Any]) -> None:
        backend = _backend(self.account_id, self.region_name)
        # The handler makes the write auto scaling the template states before DynamoDB checks for it.
        _register_write_scaling(self.table(), self.region_name, self.properties)
        action = _replica_action(region, spec, self.properties)
        if (spec.get("SSESpecification") or {}).get("KMSMasterKeyId"):
            action["KMSMasterKeyId"] = spec["SSESpecification"]["KMSMasterKeyId"]
        _call(replicas.update_replicas, backend, self.name, [{"Create": action}])
        self._settle_new_replica(region, spec)

    def _settle_new_replica(self, region: str, spec: dict[str, Any]) -> None:
        member = _backend(self.account_id, region).get_table(self.name)
        _register_write_scaling(member, region, self.properties)
        _register_read_scaling(member, region, spec, self.properties)
        _apply_regional(member, {}, spec)

    def update(self, new: dict[str, Any]) -> None:
        old = self.properties
        validate(new, self.region_name)
        old_specs, new_specs = _replica_specs(old), _replica_specs(new)
        added = [region for region in new_specs if region not in old_specs]
        removed = [region for region in old_specs if region not in new_specs]
        if len(added) + len(removed) > 1:
            raise GlobalTableError("You can only add or remove a single replica in each update")
        if old.get("StreamSpecification") != new.get("StreamSpecification") and len(old_specs) > 1:
            raise GlobalTableError(
                "You can only modify StreamSpecification if your global table contains only one entry in Replicas"
            )
        backend = _backend(self.account_id, self.region_name)
        table = self.table()
        self._update_table_wide(backend, table, old, new)
        for region in removed:
            _call(replicas.update_replicas, backend, self.name, [{"Delete": {"RegionName": region}}])
        self.properties = copy.deepcopy(new)
        for region, spec in new_specs.items():
            if region in added:
                continue
            previous = old_specs.get(region, {})
            member = _backend(self.account_id, region).get_table(self.name)
            if any(previous.get(name) != spec.get(name) for name in READ_SETTINGS):
                if region == self.region_name:
                    _apply_local_reads(member, spec, new)
                else:
                    action = _replica_action(region, spec, new)
                    if len(action) > 1:
                        _call(replicas.update_replicas, backend, self.name, [{"Update": action}])
            _apply_regional(member, previous, spec)
        for region in added:
            self.add_replica(region, new_specs[region])

    def _update_table_wide(
        self, backend: DynamoDBBackend, table: Table, old: dict[str, Any], new: dict[str, Any]
    ) -> None:
        body: dict[str, Any] = {}
        if old.get("StreamSpecification") != new.get("StreamSpecification"):
            view_type = (new.get("StreamSpecification") or {}).get("StreamViewType")
            table_model._apply_stream(table, None, {"StreamViewType": view_type} if view_type else None, {})
        old_indexes = {index["IndexName"]: index for index in old.get("GlobalSecondaryIndexes") or []}
        new_indexes = {index["IndexName"]: index for index in new.get("GlobalSecondaryIndexes") or []}
        index_updates: list[dict[str, Any]] = [
            {"Delete": {"IndexName": name}} for name in old_indexes if name not in new_indexes
        ]
        local = _replica_specs(new)[self.region_name]
        for name, index in new_indexes.items():
            if name in old_indexes:
                continue
            create = {key: copy.deepcopy(index[key]) for key in ("IndexName", "KeySchema", "Projection")}
            if _provisioned(new):
                create["ProvisionedThroughput"] = {
                    "ReadCapacityUnits": _read_units(_read_settings(local, name)) or 1,
                    "WriteCapacityUnits": _start_capacity(_write_scaling(new, index)),
                }
            index_updates.append({"Create": create})
        if index_updates:
            body["GlobalSecondaryIndexUpdates"] = index_updates
            body["AttributeDefinitions"] = copy.deepcopy(new.get("AttributeDefinitions") or [])
            table.attr = copy.deepcopy(new.get("AttributeDefinitions") or table.attr)
            _call(backend.update_table_global_indexes, table, copy.deepcopy(index_updates))
        if _provisioned(old) != _provisioned(new) or _write_scaling(old) != _write_scaling(new):
            body["BillingMode"] = "PROVISIONED" if _provisioned(new) else "PAY_PER_REQUEST"
            table.billing_mode = body["BillingMode"]
            if _provisioned(new):
                write = _start_capacity(_write_scaling(new))
                read = _read_units(_read_settings(local)) or 1
                table.throughput = {"ReadCapacityUnits": read, "WriteCapacityUnits": write}
                body["ProvisionedThroughput"] = table.throughput
        replicas.fan_out_table_settings(table, body)
        if _provisioned(new):
            for region, member in self._members().items():
                _register_write_scaling(member, region, new)
        for member in self._members().values():
            _apply_write_on_demand(member, new)
        if old.get("TimeToLiveSpecification") != new.get("TimeToLiveSpecification"):
            _apply_ttl(table, old.get("TimeToLiveSpecification"), new.get("TimeToLiveSpecification"))

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _backend(self.account_id, self.region_name)
        table = backend.tables.get(self.name)
        if table is None:
            return
        for region in replicas.replica_regions(table):
            if region != self.region_name:
                _call(replicas.update_replicas, backend, self.name, [{"Delete": {"RegionName": region}}])
        _call(backend.delete_table, self.name)

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> GlobalTable:
        properties = cloudformation_json.get("Properties") or {}
        name = properties.get("TableName") or resource_name
        resource = cls(account_id, region_name, name, properties)
        resource.create()
        return resource

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: GlobalTable,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> GlobalTable:
        new = cloudformation_json.get("Properties") or {}
        old = original_resource.properties
        if any(old.get(name) != new.get(name) for name in REPLACING_PROPERTIES):
            new_name = new.get("TableName") or new_resource_name
            if new_name == original_resource.name:
                raise GlobalTableError(
                    "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
                    f"Rename {original_resource.name} and update the stack again."
                )
            replacement = cls.create_from_cloudformation_json(new_name, cloudformation_json, account_id, region_name)
            if cloudformation_json.get("UpdateReplacePolicy") not in ("Retain", "Snapshot"):
                original_resource.delete(account_id, region_name)
            return replacement
        original_resource.update(new)
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        cls(account_id, region_name, resource_name, cloudformation_json.get("Properties") or {}).delete(
            account_id, region_name
        )

    def is_created(self) -> bool:
        return True


def _find(account_id: str, region: str, identifier: dict[str, str]) -> GlobalTable | None:
    name = identifier.get("TableName", "")
    if name not in _backend(account_id, region).tables:
        return None
    return GlobalTable(account_id, region, name, {})


def _seat(resource: Any, properties: dict[str, Any]) -> None:
    # The stack's record from now on: the next update applies what the template changes from it.
    resource.properties = copy.deepcopy(properties)


_lock = threading.Lock()


def install() -> None:
    """Makes stacks create, update, import and delete AWS::DynamoDB::GlobalTable; idempotent."""
    with _lock:
        importing.install()
        importing.IMPORTERS[RESOURCE_TYPE] = importing.Importer(("TableName",), _find, _seat)
        changesets.register_update_rules(RESOURCE_TYPE, dict.fromkeys(REPLACING_PROPERTIES, changesets.ALWAYS))
        if cfn_parsing.get_model_map().get(RESOURCE_TYPE) is GlobalTable:
            return
        for name in MODEL_CACHES:
            getattr(cfn_parsing, name).cache_clear()
        if cfn_parsing.get_model_map().get(RESOURCE_TYPE) is not GlobalTable:
            raise RuntimeError(f"moto changed: its CloudFormation model map does not pick up {RESOURCE_TYPE}")
