"""DynamoDB global tables, version 2019.11.21: replicas added, changed and removed with UpdateTable ReplicaUpdates.

Where AWS defines it: botocore's DynamoDB model (UpdateTable `ReplicaUpdates` / `ReplicationGroupUpdate` with
Create, Update and Delete, `MultiRegionConsistency`; TableDescription `GlobalTableVersion`, `Replicas`
(`ReplicaDescription`), `MultiRegionConsistency`); the DynamoDB Developer Guide, "Global tables - how it works"
and "Best practices for global tables"; messages as DynamoDB returns them, recorded by tests run against AWS
(scylladb test/alternator/test_global_tables.py and public probe logs); where none was found the message is this
sandbox's own and says so below.

AWS behaviour reproduced:
- `UpdateTable ReplicaUpdates=[{"Create": {"RegionName": R, ...}}]` creates a replica: a table of the same name in
  region R with the same key schema, attribute definitions, GSIs, LSIs, billing mode, write capacity, stream, TTL
  and SSE, and the items present at that moment. Per replica (CreateReplicationGroupMemberAction):
  `ProvisionedThroughputOverride.ReadCapacityUnits`, `OnDemandThroughputOverride.MaxReadRequestUnits`,
  `GlobalSecondaryIndexes[]` (each index's read overrides), `TableClassOverride` ("If not specified, uses the
  source table's table class") and `KMSMasterKeyId`. Regional settings are not copied: tags, PITR, deletion
  protection, contributor insights, Kinesis destinations and the resource policy stay with each table in its
  region and are set there with the ordinary region-local calls.
- There is no stream prerequisite in version 2019.11.21: a table without a stream gets one with NEW_AND_OLD_IMAGES
  when its first replica is created, and an existing stream keeps its view type. While the table has replicas the
  stream cannot be disabled ("One or more parameter values were invalid: Disabling Stream is not allowed for a
  Global Table replica.") nor its view type changed (DynamoDB's "Table already has an enabled stream"); once the
  last replica is gone the stream stays on and may then be disabled.
- DescribeTable in every member region shows `GlobalTableVersion` "2019.11.21", `MultiRegionConsistency` and
  `Replicas` (every member, in creation order: RegionName, ReplicaStatus ACTIVE, ReplicaTableClassSummary and the
  overrides given). A table whose last replica is removed shows neither again.
- `Update` changes a member's overrides (read capacity, maximum on-demand reads, per-index read overrides, table
  class); a KMSMasterKeyId cannot be changed this way (sandbox wording; the key is changed with SSESpecification in
  the replica's region). `Delete` deletes the replica table and its items in its region.
- Refusals (ValidationException): a Create of the table's own region ("Cannot add or delete the local region
  through ReplicaUpdates. Use CreateTable, DeleteTable, or UpdateTable as required."); a Create where region R
  already has a table of that name, a member or not ("Failed to create a the new replica of table with name:
  '<name>' because one or more replicas already existed as tables."); an Update or Delete of a region that is not a
  member ("Update global table operation failed because one or more replicas were not part of the global table.
  Please retry the request without these replicas: [<region>]."); a region DynamoDB does not offer (botocore's
  endpoint data; sandbox wording); ReplicaUpdates together with any other table change ("Requests that modify
  replicas or witnesses must not also modify other fields"); more than one Create or Delete in one call of an
  EVENTUAL group (sandbox wording); a PROVISIONED table (or GSI) whose write capacity has no Application Auto
  Scaling target and scaling policy ("Table write capacity should either be Pay-Per-Request or AutoScaled.").
- MultiRegionConsistency: EVENTUAL is the default and the only mode after creation ("You cannot change a global
  table's consistency mode after creation"). STRONG (MRSC) is accepted only when the global table is created,
  with exactly two Creates in the one call, on a table holding no items (the Developer Guide: an MRSC global table
  can only be created from an empty table); other requests are refused (sandbox wording). Witnesses
  (GlobalTableWitnessUpdates) are not reproduced: a request with one is refused (sandbox wording).
- Writes (PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems) to any member are replicated to every
  other member. AWS replicates asynchronously, usually within a second; the sandbox replicates synchronously, before
  the call returns, so a read in another region right after a write already sees it (last writer wins either way).
- Settings that belong to the whole global table follow a change made in any member region: TTL (UpdateTimeToLive),
  GSIs created or deleted, billing mode and write capacity (the Developer Guide: "the new write capacity is
  reflected to other synchronized replicas but the new read capacity is not"), the maximum on-demand writes
  (OnDemandThroughputOverride: "you can't modify MaxWriteRequestUnits for individual replica tables").
- Table class stays with the table UpdateTable is called on (AWS was observed applying a TableClass change made on
  the source to every replica that has no TableClassOverride; not reproduced).
- A point-in-time restore or a restore from a backup of a member is a new single-region table (aws-facts.md: "global
  table replicas: restored as a single-region table").
- DeleteTable of a member deletes that replica only and removes it from the others' Replicas; a table that created
  another member in the last 24 hours (sandbox clock) cannot be deleted, by DeleteTable or ReplicaUpdates Delete
  ("Replica cannot be deleted because it has acted as a source region for new replica(s) being added to the table
  in the last 24 hours."). A replica with deletion protection refuses both.

Not reproduced: the CREATING / UPDATING / DELETING windows (everything is ACTIVE at once), witnesses, multi-account
replicas, DisassociateTableReplica, settings replication modes, the mirroring of auto scaling into replica regions,
ReplicaArn and warm throughput of replicas, replication of PartiQL writes.

moto internals patched (moto has no replica support at all): `DynamoHandler.update_table`, `transact_write_items`
and `delete_table` (wrapped), `DynamoDBBackend.put_item`, `update_item`, `delete_item` and `update_time_to_live`
(wrapped), `Table.describe` (wrapped). A global table is a `Group` shared by
its member tables (attribute `_sandbox_replication_group`), so it goes with the tables when moto is reset.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import boto3
from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.core.responses import ActionResult
from moto.dynamodb.exceptions import MockValidationException
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler, DynamoResult

from restore_sync_sandbox import clock
from restore_sync_sandbox.extensions import dynamodb_on_demand_throughput as on_demand
from restore_sync_sandbox.extensions import dynamodb_table_class as table_class

GLOBAL_TABLE_VERSION = "2019.11.21"
GROUP_ATTRIBUTE = "_sandbox_replication_group"
SOURCE_WINDOW = timedelta(hours=24)

LOCAL_REGION = (
    "Cannot add or delete the local region through ReplicaUpdates. Use CreateTable, DeleteTable, or UpdateTable as "
    "required."
)
NOT_MEMBERS = (
    "Update global table operation failed because one or more replicas were not part of the global table. Please "
    "retry the request without these replicas: [{regions}]."
)
ALREADY_TABLES = (
    "Failed to create a the new replica of table with name: '{name}' because one or more replicas already existed as "
    "tables."
)
ONLY_REPLICA_UPDATES = "Requests that modify replicas or witnesses must not also modify other fields"
NOT_AUTOSCALED = "{what} write capacity should either be Pay-Per-Request or AutoScaled."
SOURCE_REGION = (
    "Replica cannot be deleted because it has acted as a source region for new replica(s) being added to the table in "
    "the last 24 hours."
)
STREAM_DISABLE = (
    "One or more parameter values were invalid: Disabling Stream is not allowed for a Global Table replica."
)

# UpdateTable members that may accompany ReplicaUpdates.
_REPLICA_CALL_MEMBERS = {"TableName", "ReplicaUpdates", "MultiRegionConsistency"}


@dataclass
class Replica:
    """One member of a global table, as its ReplicaDescription shows it."""

    region: str
    source_region: str | None = None
    created_at: datetime | None = None
    kms_key: str | None = None
    read_capacity: int | None = None
    max_read_units: int | None = None
    indexes: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Group:
    """A global table: its member regions (in creation order) and its consistency mode."""

    account_id: str
    name: str
    consistency: str = "EVENTUAL"
    replicas: dict[str, Replica] = field(default_factory=dict)

    def table(self, region: str) -> Table | None:
        found: Table | None = dynamodb_backends[self.account_id][region].tables.get(self.name)
        return found

    def tables(self) -> dict[str, Table]:
        """The member tables by region (a member whose table is gone is left out)."""
        return {region: table for region in self.replicas if (table := self.table(region)) is not None}


def group_of(table: Table) -> Group | None:
    """The global table `table` belongs to, or None for a table without replicas."""
    group: Group | None = getattr(table, GROUP_ATTRIBUTE, None)
    return group


def replica_regions(table: Table) -> list[str]:
    """Every member region of `table`'s global table, its own included; [] for a single-region table."""
    group = group_of(table)
    return list(group.replicas) if group is not None else []


def _now() -> datetime:
    return clock.current().now()


def _invalid(message: str) -> MockValidationException:
    return MockValidationException(message)


@functools.cache
def supported_regions() -> frozenset[str]:
    """The regions DynamoDB is offered in, from botocore's endpoint data."""
    session = boto3.session.Session()
    regions: set[str] = set()
    for partition in session.get_available_partitions():
        regions.update(session.get_available_regions("dynamodb", partition_name=partition))
    return frozenset(regions)


def _autoscaled(account_id: str, region: str, resource_id: str, dimension: str) -> bool:
    backend = applicationautoscaling_backends[account_id][region]
    if resource_id not in backend.targets.get(dimension, {}):
        return False
    return any(
        policy.resource_id == resource_id and policy.scalable_dimension == dimension
        for policy in list(backend.policies.values())
    )


def _check_write_autoscaling(table: Table) -> None:
    if table.billing_mode == "PAY_PER_REQUEST":
        return
    account, region, name = table.account_id, table.region_name, table.name
    if not _autoscaled(account, region, f"table/{name}", "dynamodb:table:WriteCapacityUnits"):
        raise _invalid(NOT_AUTOSCALED.format(what="Table"))
    for index in table.global_indexes:
        if not _autoscaled(account, region, f"table/{name}/index/{index.name}", "dynamodb:index:WriteCapacityUnits"):
            raise _invalid(NOT_AUTOSCALED.format(what="GSI"))


def _ensure_stream(backend: DynamoDBBackend, table: Table) -> None:
    spec = table.stream_specification or {}
    if not spec.get("StreamEnabled"):
        table.set_stream_specification({"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})


def _index_throughput(index: Any, replica: Replica) -> dict[str, Any]:
    read = replica.indexes.get(index.name, {}).get("ProvisionedThroughputOverride", {}).get("ReadCapacityUnits")
    return {
        "ReadCapacityUnits": int(read if read is not None else index.throughput.get("ReadCapacityUnits", 0)),
        "WriteCapacityUnits": int(index.throughput.get("WriteCapacityUnits", 0)),
    }


def _build_replica_table(source: Table, replica: Replica, table_class_override: str | None) -> Table:
    target_backend: DynamoDBBackend = dynamodb_backends[source.account_id][replica.region]
    provisioned = source.billing_mode != "PAY_PER_REQUEST"
    throughput = None
    if provisioned:
        read = replica.read_capacity
        throughput = {
            "ReadCapacityUnits": int(read if read is not None else source.throughput.get("ReadCapacityUnits", 0)),
            "WriteCapacityUnits": int(source.throughput.get("WriteCapacityUnits", 0)),
        }
    global_indexes = []
    for index in source.global_indexes:
        spec: dict[str, Any] = {
            "IndexName": index.name,
            "KeySchema": copy.deepcopy(index.schema),
            "Projection": copy.deepcopy(index.projection),
        }
        if provisioned:
            spec["ProvisionedThroughput"] = _index_throughput(index, replica)
        global_indexes.append(spec)
    sse = copy.deepcopy(source.sse_specification) if source.sse_specification else None
    if sse and replica.kms_key:
        sse["KMSMasterKeyId"] = replica.kms_key
    stream = source.stream_specification or {}
    created: Table = target_backend.create_table(
        source.name,
        schema=copy.deepcopy(source.schema),
        throughput=throughput,
        attr=copy.deepcopy(source.attr),
        global_indexes=global_indexes,
        indexes=[index.describe() for index in source.indexes],
        streams={"StreamEnabled": True, "StreamViewType": stream.get("StreamViewType", "NEW_AND_OLD_IMAGES")},
        billing_mode=source.billing_mode or "PROVISIONED",
        sse_specification=sse,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    created.items = copy.deepcopy(source.items)
    created.ttl = copy.deepcopy(source.ttl)
    table_class.set_table_class(created, table_class_override or table_class.table_class_of(source), creating=True)
    if source.billing_mode == "PAY_PER_REQUEST":
        maximum = on_demand.maximum_of(source)
        if replica.max_read_units is not None:
            maximum["MaxReadRequestUnits"] = replica.max_read_units
        on_demand.set_maximum(created, maximum)
        for index in created.global_indexes:
            source_index = next(i for i in source.global_indexes if i.name == index.name)
            index_maximum = on_demand.maximum_of(source_index)
            override = replica.indexes.get(index.name, {}).get("OnDemandThroughputOverride", {})
            if "MaxReadRequestUnits" in override:
                index_maximum["MaxReadRequestUnits"] = override["MaxReadRequestUnits"]
            on_demand.set_maximum(index, index_maximum, "index")
    return created


def _apply_overrides(replica: Replica, action: dict[str, Any]) -> None:
    if "KMSMasterKeyId" in action:
        replica.kms_key = action["KMSMasterKeyId"]
    if action.get("ProvisionedThroughputOverride"):
        replica.read_capacity = int(action["ProvisionedThroughputOverride"]["ReadCapacityUnits"])
    if action.get("OnDemandThroughputOverride"):
        replica.max_read_units = int(action["OnDemandThroughputOverride"]["MaxReadRequestUnits"])
    for index in action.get("GlobalSecondaryIndexes") or []:
        merged = replica.indexes.setdefault(index["IndexName"], {})
        for member in ("ProvisionedThroughputOverride", "OnDemandThroughputOverride"):
            if index.get(member):
                merged[member] = copy.deepcopy(index[member])


def _apply_to_replica_table(table: Table, source: Table, replica: Replica, action: dict[str, Any]) -> None:
    """An Update's overrides applied to the member table in its region."""
    if action.get("TableClassOverride"):
        table_class.set_table_class(table, action["TableClassOverride"])
    if (
        action.get("ProvisionedThroughputOverride")
        and table.billing_mode != "PAY_PER_REQUEST"
        and replica.read_capacity
    ):
        table.throughput = {**table.throughput, "ReadCapacityUnits": replica.read_capacity}
    if action.get("OnDemandThroughputOverride") and replica.max_read_units is not None:
        on_demand.set_maximum(table, {"MaxReadRequestUnits": replica.max_read_units})
    for spec in action.get("GlobalSecondaryIndexes") or []:
        for index in table.global_indexes:
            if index.name != spec["IndexName"]:
                continue
            if spec.get("ProvisionedThroughputOverride") and table.billing_mode != "PAY_PER_REQUEST":
                index.throughput = {**index.throughput, **_index_throughput(index, replica)}
            if spec.get("OnDemandThroughputOverride"):
                on_demand.set_maximum(index, spec["OnDemandThroughputOverride"], "index")


def _group_for(table: Table) -> Group:
    group = group_of(table)
    if group is None:
        group = Group(table.account_id, table.name)
        group.replicas[table.region_name] = Replica(table.region_name, created_at=_now())
    return group


def _check_source_rule(group: Group, region: str) -> None:
    horizon = _now() - SOURCE_WINDOW
    for other in group.replicas.values():
        if other.region != region and other.source_region == region and (other.created_at or horizon) > horizon:
            raise _invalid(SOURCE_REGION)


def _leave(group: Group, region: str) -> None:
    group.replicas.pop(region, None)
    remaining = group.tables()
    if len(remaining) <= 1:
        for table in remaining.values():
            if group_of(table) is group:
                delattr(table, GROUP_ATTRIBUTE)
        group.replicas.clear()


def update_replicas(
    backend: DynamoDBBackend, table_name: str, updates: list[dict[str, Any]], consistency: str | None = None
) -> Table:
    """UpdateTable with ReplicaUpdates (and MultiRegionConsistency) on `table_name` in `backend`'s region.

    Raises MockValidationException where DynamoDB refuses the request; nothing is changed then.
    """
    table = backend.get_table(table_name)
    local = table.region_name
    existing = group_of(table)
    actions = [(kind, spec) for update in updates for kind, spec in update.items() if spec is not None]
    creates = [spec for kind, spec in actions if kind == "Create"]
    deletes = [spec for kind, spec in actions if kind == "Delete"]
    supported = supported_regions()
    for kind, spec in actions:
        if kind not in ("Create", "Update", "Delete"):
            raise _invalid(f"One or more parameter values were invalid: {kind} is not a replica action")
        region = spec.get("RegionName", "")
        if region not in supported:
            raise _invalid(f"One or more parameter values were invalid: {region} is not a region DynamoDB supports")
        if region == local and kind != "Update":
            raise _invalid(LOCAL_REGION)
        if kind == "Create" and ((existing is not None and region in existing.replicas) or backend_has(table, region)):
            raise _invalid(ALREADY_TABLES.format(name=table.name))
        if kind != "Create" and (existing is None or region not in existing.replicas):
            raise _invalid(NOT_MEMBERS.format(regions=region))
        if kind == "Update" and "KMSMasterKeyId" in spec:
            raise _invalid(
                "One or more parameter values were invalid: the KMS key of a replica is changed with "
                "SSESpecification in its region"
            )
    if consistency is not None and not creates:
        raise _invalid(
            "One or more parameter values were invalid: MultiRegionConsistency is only valid with Create actions in "
            "ReplicaUpdates"
        )
    wanted = consistency or (existing.consistency if existing is not None else "EVENTUAL")
    if existing is not None and consistency is not None and consistency != existing.consistency:
        raise _invalid(
            "One or more parameter values were invalid: the consistency mode of a global table cannot change"
        )
    if wanted == "STRONG" and creates:
        if existing is not None or len(creates) != 2 or deletes:
            raise _invalid(
                "One or more parameter values were invalid: a STRONG (MRSC) global table is created with exactly two "
                "Create actions in one request"
            )
        if len(table):
            raise _invalid(
                "One or more parameter values were invalid: a STRONG (MRSC) global table can only be created from an "
                "empty table"
            )
    elif wanted == "EVENTUAL" and len(creates) + len(deletes) > 1:
        raise _invalid(
            "One or more parameter values were invalid: only one replica can be created or deleted in one request"
        )
    if creates:
        _check_write_autoscaling(table)
    for spec in deletes:
        if existing is not None:
            _check_source_rule(existing, spec["RegionName"])

    group = _group_for(table)
    group.consistency = wanted
    for kind, spec in actions:
        region = spec["RegionName"]
        if kind == "Create":
            _ensure_stream(backend, table)
            replica = Replica(region, source_region=local, created_at=_now())
            _apply_overrides(replica, spec)
            created = _build_replica_table(table, replica, spec.get("TableClassOverride"))
            group.replicas[region] = replica
            setattr(table, GROUP_ATTRIBUTE, group)
            setattr(created, GROUP_ATTRIBUTE, group)
        elif kind == "Update":
            replica = group.replicas[region]
            _apply_overrides(replica, spec)
            member = group.table(region)
            if member is not None:
                _apply_to_replica_table(member, table, replica, spec)
        else:
            member = group.table(region)
            dynamodb_backends[table.account_id][region].delete_table(table.name)
            if member is not None:
                _forget(member)
    return table


def backend_has(table: Table, region: str) -> bool:
    return table.name in dynamodb_backends[table.account_id][region].tables


def _replica_description(group: Group, replica: Replica) -> dict[str, Any]:
    description: dict[str, Any] = {"RegionName": replica.region, "ReplicaStatus": "ACTIVE"}
    member = group.table(replica.region)
    if replica.kms_key:
        description["KMSMasterKeyId"] = replica.kms_key
    if replica.read_capacity is not None:
        description["ProvisionedThroughputOverride"] = {"ReadCapacityUnits": replica.read_capacity}
    if replica.max_read_units is not None:
        description["OnDemandThroughputOverride"] = {"MaxReadRequestUnits": replica.max_read_units}
    if member is not None:
        indexes = []
        for index in member.global_indexes:
            entry: dict[str, Any] = {"IndexName": index.name}
            entry.update(copy.deepcopy(replica.indexes.get(index.name, {})))
            indexes.append(entry)
        if indexes:
            description["GlobalSecondaryIndexes"] = indexes
        description["ReplicaTableClassSummary"] = {"TableClass": table_class.table_class_of(member)}
    return description


def _describe(describe: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def wrapped(self: Table, base_key: str = "TableDescription") -> dict[str, Any]:
        result = describe(self, base_key=base_key)
        group = group_of(self)
        # A member deleted outside DeleteTable and ReplicaUpdates (a stack's table resource) is gone all the same.
        live = [r for r in group.replicas.values() if group.table(r.region) is not None] if group is not None else []
        if group is not None and len(live) > 1:
            result[base_key]["GlobalTableVersion"] = GLOBAL_TABLE_VERSION
            result[base_key]["MultiRegionConsistency"] = group.consistency
            result[base_key]["Replicas"] = [_replica_description(group, r) for r in live]
        return result

    wrapped.__wrapped__ = describe  # type: ignore[attr-defined]
    return wrapped


# Writes: replicated key by key to every other member.


def _key_values(table: Table, attributes: dict[str, Any]) -> tuple[DynamoType, DynamoType | None] | None:
    if table.hash_key_attr not in attributes:
        return None
    hash_value = DynamoType(attributes[table.hash_key_attr])
    range_value = None
    if table.range_key_attr is not None:
        if table.range_key_attr not in attributes:
            return None
        range_value = DynamoType(attributes[table.range_key_attr])
    return hash_value, range_value


def replicate(backend: DynamoDBBackend, table_name: str, keys: Iterable[dict[str, Any]]) -> None:
    """Copies the items under `keys` of `table_name` (as they are now: present or deleted) to every other member."""
    try:
        table = backend.get_table(table_name)
    except Exception:  # a write that failed on a missing table has nothing to replicate
        return
    group = group_of(table)
    if group is None:
        return
    others = [member for region, member in group.tables().items() if region != table.region_name]
    for key in keys:
        values = _key_values(table, key)
        if values is None:
            continue
        item = table.get_item(*values)
        for member in others:
            if item is not None:
                member.put_item(copy.deepcopy(item.to_json()["Attributes"]))
            else:
                member.delete_item(*values)


def _put_item(self: DynamoDBBackend, table_name: str, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    result = _originals["put_item"](self, table_name, item_attrs, *args, **kwargs)
    replicate(self, table_name, [item_attrs])
    return result


def _update_item(self: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    result = _originals["update_item"](self, table_name, key, *args, **kwargs)
    replicate(self, table_name, [key])
    return result


def _delete_item(self: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    result = _originals["delete_item"](self, table_name, key, *args, **kwargs)
    replicate(self, table_name, [key])
    return result


def _transact_write_items(self: DynamoHandler) -> ActionResult:
    result: ActionResult = _originals["transact_write_items"](self)
    by_table: dict[str, list[dict[str, Any]]] = {}
    for entry in self.body.get("TransactItems") or []:
        for kind, spec in entry.items():
            if kind == "ConditionCheck":
                continue
            by_table.setdefault(spec["TableName"], []).append(spec.get("Item") or spec.get("Key") or {})
    for name, keys in by_table.items():
        replicate(self.dynamodb_backend, name, keys)
    return result


# Table-wide settings: followed by every member.


def _update_time_to_live(self: DynamoDBBackend, table_name: str, ttl_spec: dict[str, Any]) -> None:
    _originals["update_time_to_live"](self, table_name, ttl_spec)
    table = self.get_table(table_name)
    group = group_of(table)
    if group is None:
        return
    for region, member in group.tables().items():
        if region != table.region_name:
            member.ttl = copy.deepcopy(table.ttl)


def fan_out_table_settings(table: Table, body: dict[str, Any]) -> None:
    group = group_of(table)
    if group is None:
        return
    for region, member in group.tables().items():
        if region == table.region_name:
            continue
        backend = dynamodb_backends[table.account_id][region]
        index_changes = [
            change
            for change in body.get("GlobalSecondaryIndexUpdates") or []
            if change.get("Create") or change.get("Delete")
        ]
        if index_changes:
            if body.get("AttributeDefinitions"):
                member.attr = copy.deepcopy(body["AttributeDefinitions"])
            backend.update_table_global_indexes(member, copy.deepcopy(index_changes))
        if body.get("BillingMode"):
            member.billing_mode = table.billing_mode
        if body.get("BillingMode") or body.get("ProvisionedThroughput"):
            write = table.throughput.get("WriteCapacityUnits", 0)
            member.throughput = {**member.throughput, "WriteCapacityUnits": write}
        # MaxWriteRequestUnits belongs to the global table ("you can't modify MaxWriteRequestUnits for individual
        # replica tables"); the read maximum stays regional.
        write_maximum = (body.get("OnDemandThroughput") or {}).get("MaxWriteRequestUnits")
        if write_maximum is not None:
            on_demand.set_maximum(member, {"MaxWriteRequestUnits": write_maximum})


def _update_table(self: DynamoHandler) -> ActionResult:
    body = self.body
    if body.get("GlobalTableWitnessUpdates"):
        # Refused rather than ignored, so that nothing relies on a witness the sandbox does not keep.
        raise _invalid("One or more parameter values were invalid: witnesses (MRSC) are not modelled by this sandbox")
    if body.get("ReplicaUpdates"):
        if any(body.get(member) is not None for member in set(body) - _REPLICA_CALL_MEMBERS):
            raise _invalid(ONLY_REPLICA_UPDATES)
        table = update_replicas(
            self.dynamodb_backend, body["TableName"], body["ReplicaUpdates"], body.get("MultiRegionConsistency")
        )
        return DynamoResult(table.describe())
    if body.get("MultiRegionConsistency") is not None:
        raise _invalid(
            "One or more parameter values were invalid: MultiRegionConsistency is only valid with Create actions in "
            "ReplicaUpdates"
        )
    table = self.dynamodb_backend.get_table(body["TableName"])
    stream = body.get("StreamSpecification")
    if stream is not None and group_of(table) is not None and not stream.get("StreamEnabled"):
        raise _invalid(STREAM_DISABLE)
    result: ActionResult = _originals["update_table"](self)
    fan_out_table_settings(table, body)
    return result


def _forget(table: Table) -> None:
    """Takes a deleted member out of its global table."""
    group = group_of(table)
    if group is not None:
        _leave(group, table.region_name)
        if group_of(table) is group:
            delattr(table, GROUP_ATTRIBUTE)


def _delete_table(self: DynamoHandler) -> ActionResult:
    table = self.dynamodb_backend.get_table(self.body["TableName"])
    group = group_of(table)
    if group is not None:
        _check_source_rule(group, table.region_name)
    result: ActionResult = _originals["delete_table"](self)
    _forget(table)
    return result


_lock = threading.Lock()
_originals: dict[str, Callable[..., Any]] = {}

PATCHED: dict[type, tuple[str, ...]] = {
    DynamoHandler: ("update_table", "transact_write_items", "delete_table"),
    DynamoDBBackend: ("put_item", "update_item", "delete_item", "update_time_to_live"),
    Table: ("describe",),
}

_REPLACEMENTS: dict[str, Callable[..., Any]] = {
    "update_table": _update_table,
    "transact_write_items": _transact_write_items,
    "put_item": _put_item,
    "update_item": _update_item,
    "delete_item": _delete_item,
    "update_time_to_live": _update_time_to_live,
    "delete_table": _delete_table,
}


def install() -> None:
    """Applies the patches once; later calls do nothing."""
    with _lock:
        if _originals:
            return
        for owner, names in PATCHED.items():
            for name in names:
                if not callable(getattr(owner, name, None)):
                    raise RuntimeError(f"moto changed: {owner.__name__}.{name} is gone")
        for owner, names in PATCHED.items():
            for name in names:
                original = getattr(owner, name)
                _originals[name] = original
                if name == "describe":
                    setattr(owner, name, _describe(original))
                    continue
                replacement = _REPLACEMENTS[name]
                replacement.__wrapped__ = original  # type: ignore[attr-defined]
                setattr(owner, name, replacement)
