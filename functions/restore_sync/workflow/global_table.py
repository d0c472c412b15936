"""The governance stack's table as an AWS::DynamoDB::GlobalTable: the translation from table properties, and the
conversion of a stack that holds an AWS::DynamoDB::Table.

Every setting states its fragment in AWS::DynamoDB::Table properties. Once a table has replicas, the stack must hold
it as AWS::DynamoDB::GlobalTable (AWS::DynamoDB::Table has no replicas), whose properties are split in two: what is
the same in every region (keys, indexes, billing, TTL, the stream's view type) and what each replica states for its
own region (`Replicas[]`: tags, PITR, deletion protection, contributor insights, Kinesis, resource policy, table
class, read maxima). The registry schemas of both types (cfn-lint's data, `AWS::DynamoDB::Table` and
`AWS::DynamoDB::GlobalTable`) define the two sides; `to_global` and `to_table` translate between them, so that the
stack keeps merging table properties as before and writes them as a global table (`table_view`, `global_view`).
In a table view, `Replicas` (not a property of AWS::DynamoDB::Table) holds the replicas of the other regions, each
stated in table properties with its `Region`.

The conversion follows CloudFormation's documented way (the AWS::DynamoDB::GlobalTable reference, converting an
AWS::DynamoDB::Table; the user guide's "Reverting an import operation": "specify a Retain deletion policy for the
resource you want to remove from the template to ensure that it's preserved when you delete it from the stack"): the
table, retained, is removed from the stack, then imported as a global table with the same properties; replicas are
added by later updates, one each. `detached` is the
removal's template; the data-safety guard allows that one Remove, of a retained table, and nothing else.
"""

from __future__ import annotations

import copy
from typing import Any

from restore_sync.errors import SettingNotExpressible
from restore_sync.settings.base import Fragment
from restore_sync.table import TABLE_LOGICAL_ID

TABLE_TYPE = "AWS::DynamoDB::Table"
GLOBAL_TABLE_TYPE = "AWS::DynamoDB::GlobalTable"
# In a table view: the replicas of the other regions, each in table properties with its Region.
REPLICAS = "Replicas"
# A stack must hold a resource: while the table is out of it, between the removal and the import, this does.
PLACEHOLDER_ID = "TableOutsideStack"
PLACEHOLDER = {"Type": "AWS::CloudFormation::WaitConditionHandle"}

# AWS::DynamoDB::Table properties that AWS::DynamoDB::GlobalTable states once, for every replica, by the same name.
TABLE_LEVEL = (
    "TableName",
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "LocalSecondaryIndexes",
    "TimeToLiveSpecification",
    "WarmThroughput",
    "VectorIndexes",
)
# AWS::DynamoDB::Table properties that AWS::DynamoDB::GlobalTable states per replica (ReplicaSpecification), by the
# same name and shape.
PER_REPLICA = (
    "Tags",
    "PointInTimeRecoverySpecification",
    "DeletionProtectionEnabled",
    "ContributorInsightsSpecification",
    "KinesisStreamSpecification",
    "ResourcePolicy",
    "TableClass",
)
# Translated part by part (see `to_global`): split between the table level and the replica.
SPLIT = ("GlobalSecondaryIndexes", "OnDemandThroughput", "SSESpecification", "StreamSpecification")
# AWS::DynamoDB::Table properties a global table made from a restored table cannot state, with why.
NOT_EXPRESSIBLE = {
    "ProvisionedThroughput": (
        "AWS::DynamoDB::GlobalTable states a provisioned table's write capacity only as auto scaling "
        "(WriteProvisionedThroughputSettings.WriteCapacityAutoScalingSettings), never as fixed units"
    ),
    "ImportSourceSpecification": "creation only: a restored table is filled by its restore",
}
# The stream a table with replicas has.
REPLICATED_VIEW = "NEW_AND_OLD_IMAGES"
# Read-only in both types: never in a template.
READ_ONLY = ("Arn", "StreamArn")


class NotExpressible(SettingNotExpressible):
    """Table properties that AWS::DynamoDB::GlobalTable cannot state: the setting that needs them fails, saying
    which and why."""


def _index_to_global(index: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A Table index -> (the GlobalTable index, the replica's part of it: IndexName and per-replica settings)."""
    shared = {k: v for k, v in index.items() if k in ("IndexName", "KeySchema", "Projection", "WarmThroughput")}
    own: dict[str, Any] = {}
    if "ProvisionedThroughput" in index:
        why = NOT_EXPRESSIBLE["ProvisionedThroughput"]
        raise NotExpressible(f"GlobalSecondaryIndexes.ProvisionedThroughput: {why}")
    limits = index.get("OnDemandThroughput") or {}
    if "MaxWriteRequestUnits" in limits:
        shared["WriteOnDemandThroughputSettings"] = {"MaxWriteRequestUnits": limits["MaxWriteRequestUnits"]}
    if "MaxReadRequestUnits" in limits:
        own["ReadOnDemandThroughputSettings"] = {"MaxReadRequestUnits": limits["MaxReadRequestUnits"]}
    if "ContributorInsightsSpecification" in index:
        own["ContributorInsightsSpecification"] = index["ContributorInsightsSpecification"]
    return shared, ({"IndexName": index["IndexName"], **own} if own else {})


def replica_to_global(properties: dict[str, Any]) -> dict[str, Any]:
    """The per-replica part of table properties as a GlobalTable `Replicas` entry (`Region` kept as given)."""
    replica: dict[str, Any] = {k: copy.deepcopy(properties[k]) for k in ("Region", *PER_REPLICA) if k in properties}
    limits = properties.get("OnDemandThroughput") or {}
    if "MaxReadRequestUnits" in limits:
        replica["ReadOnDemandThroughputSettings"] = {"MaxReadRequestUnits": limits["MaxReadRequestUnits"]}
    key = (properties.get("SSESpecification") or {}).get("KMSMasterKeyId")
    if key:
        replica["SSESpecification"] = {"KMSMasterKeyId": key}
    policy = (properties.get("StreamSpecification") or {}).get("ResourcePolicy")
    if policy:
        replica["ReplicaStreamSpecification"] = {"ResourcePolicy": copy.deepcopy(policy)}
    indexes = [own for own in (_index_to_global(i)[1] for i in properties.get("GlobalSecondaryIndexes", [])) if own]
    if indexes:
        replica["GlobalSecondaryIndexes"] = sorted(indexes, key=lambda i: i["IndexName"])
    return replica


def to_global(properties: dict[str, Any], region: str) -> dict[str, Any]:
    """AWS::DynamoDB::GlobalTable properties from a table view's properties: the table-level ones as they are, the
    per-replica ones in the replica of `region` (the stack's), then the other replicas (`Replicas`), by region.
    Raises NotExpressible for properties a global table cannot state (NOT_EXPRESSIBLE)."""
    unknown = sorted(set(properties) - {*TABLE_LEVEL, *PER_REPLICA, *SPLIT, REPLICAS} - set(READ_ONLY))
    if unknown:
        raise NotExpressible("; ".join(f"{name}: {NOT_EXPRESSIBLE.get(name, 'not translated')}" for name in unknown))
    result: dict[str, Any] = {k: copy.deepcopy(properties[k]) for k in TABLE_LEVEL if k in properties}
    if "GlobalSecondaryIndexes" in properties:
        result["GlobalSecondaryIndexes"] = [_index_to_global(i)[0] for i in properties["GlobalSecondaryIndexes"]]
    limits = properties.get("OnDemandThroughput") or {}
    if "MaxWriteRequestUnits" in limits:
        result["WriteOnDemandThroughputSettings"] = {"MaxWriteRequestUnits": limits["MaxWriteRequestUnits"]}
    if "SSESpecification" in properties:
        result["SSESpecification"] = {k: v for k, v in properties["SSESpecification"].items() if k != "KMSMasterKeyId"}
    if "StreamSpecification" in properties:
        result["StreamSpecification"] = {"StreamViewType": properties["StreamSpecification"]["StreamViewType"]}
    others = sorted(properties.get(REPLICAS, []), key=lambda r: r["Region"])
    if any(other["Region"] == region for other in others):
        raise NotExpressible(f"Replicas: {region} is the stack's own region, whose replica is the table itself")
    if others:
        # "You must provide a value for this property if your global table contains more than one replica"
        # (GlobalTable's StreamSpecification); DynamoDB replicates both images of each change.
        view_type = result.setdefault("StreamSpecification", {"StreamViewType": REPLICATED_VIEW})["StreamViewType"]
        if view_type != REPLICATED_VIEW:
            raise NotExpressible(
                f"StreamSpecification: a global table with replicas has a {REPLICATED_VIEW} stream, and the table's "
                f"is {view_type} (the stream setting copies the source's)"
            )
    result["Replicas"] = [
        replica_to_global({**properties, "Region": region}),
        *(replica_to_global(other) for other in others),
    ]
    return result


def replica_to_table(replica: dict[str, Any]) -> dict[str, Any]:
    """A GlobalTable `Replicas` entry in table properties (`Region` kept): the inverse of `replica_to_global`."""
    properties: dict[str, Any] = {k: copy.deepcopy(replica[k]) for k in ("Region", *PER_REPLICA) if k in replica}
    if "ReadOnDemandThroughputSettings" in replica:
        properties["OnDemandThroughput"] = dict(replica["ReadOnDemandThroughputSettings"])
    if "SSESpecification" in replica:
        properties["SSESpecification"] = {"KMSMasterKeyId": replica["SSESpecification"]["KMSMasterKeyId"]}
    if "ReplicaStreamSpecification" in replica:
        properties["StreamSpecification"] = copy.deepcopy(replica["ReplicaStreamSpecification"])
    indexes = []
    for index in replica.get("GlobalSecondaryIndexes", []):
        entry: dict[str, Any] = {"IndexName": index["IndexName"]}
        if "ContributorInsightsSpecification" in index:
            entry["ContributorInsightsSpecification"] = index["ContributorInsightsSpecification"]
        if "ReadOnDemandThroughputSettings" in index:
            entry["OnDemandThroughput"] = dict(index["ReadOnDemandThroughputSettings"])
        indexes.append(entry)
    if indexes:
        properties["GlobalSecondaryIndexes"] = indexes
    return properties


def to_table(properties: dict[str, Any], region: str) -> dict[str, Any]:
    """A table view of AWS::DynamoDB::GlobalTable properties: the replica of `region` merged into the table-level
    properties as AWS::DynamoDB::Table states them, the other replicas under `Replicas`. The inverse of
    `to_global`."""
    result: dict[str, Any] = {k: copy.deepcopy(properties[k]) for k in TABLE_LEVEL if k in properties}
    replicas = properties.get("Replicas", [])
    [own] = [replica for replica in replicas if replica["Region"] == region] or [{"Region": region}]
    mine = replica_to_table(own)
    mine.pop("Region")
    own_indexes = {index["IndexName"]: index for index in mine.pop("GlobalSecondaryIndexes", [])}
    if "GlobalSecondaryIndexes" in properties:
        indexes = []
        for index in properties["GlobalSecondaryIndexes"]:
            entry = {k: copy.deepcopy(v) for k, v in index.items() if k in ("IndexName", "KeySchema", "Projection")}
            if "WarmThroughput" in index:
                entry["WarmThroughput"] = copy.deepcopy(index["WarmThroughput"])
            local = own_indexes.get(index["IndexName"], {})
            if "ContributorInsightsSpecification" in local:
                entry["ContributorInsightsSpecification"] = local["ContributorInsightsSpecification"]
            limits = {**local.get("OnDemandThroughput", {}), **index.get("WriteOnDemandThroughputSettings", {})}
            if limits:
                entry["OnDemandThroughput"] = dict(sorted(limits.items()))
            indexes.append(entry)
        result["GlobalSecondaryIndexes"] = indexes
    limits = {**mine.pop("OnDemandThroughput", {}), **properties.get("WriteOnDemandThroughputSettings", {})}
    if limits:
        result["OnDemandThroughput"] = dict(sorted(limits.items()))
    key = mine.pop("SSESpecification", None)
    if "SSESpecification" in properties:
        result["SSESpecification"] = {**properties["SSESpecification"], **(key or {})}
    stream_policy = mine.pop("StreamSpecification", None)
    if "StreamSpecification" in properties:
        result["StreamSpecification"] = {**properties["StreamSpecification"], **(stream_policy or {})}
    result.update(mine)
    result[REPLICAS] = [replica_to_table(r) for r in sorted(replicas, key=lambda r: r["Region"]) if r is not own]
    return result


# ---- templates ------------------------------------------------------------------------------------------------


def holds_global_table(template: dict[str, Any]) -> bool:
    """Whether the governance stack's template holds the table as AWS::DynamoDB::GlobalTable."""
    return template.get("Resources", {}).get(TABLE_LOGICAL_ID, {}).get("Type") == GLOBAL_TABLE_TYPE


def table_view(template: dict[str, Any], region: str) -> dict[str, Any]:
    """The template with its global table as an AWS::DynamoDB::Table (`to_table`), for settings' fragments to merge
    into; a template that holds a table as it is."""
    if not holds_global_table(template):
        return copy.deepcopy(template)
    view = copy.deepcopy(template)
    table = view["Resources"][TABLE_LOGICAL_ID]
    table["Type"] = TABLE_TYPE
    table["Properties"] = to_table(table.get("Properties", {}), region)
    return view


def global_view(view: dict[str, Any], region: str) -> dict[str, Any]:
    """The template of a table view with its table as AWS::DynamoDB::GlobalTable (`to_global`); the placeholder of
    the conversion goes, since the table is back in the stack."""
    template = copy.deepcopy(view)
    table = template["Resources"][TABLE_LOGICAL_ID]
    table["Type"] = GLOBAL_TABLE_TYPE
    table["Properties"] = to_global(table.get("Properties", {}), region)
    template["Resources"].pop(PLACEHOLDER_ID, None)
    return template


def detached(template: dict[str, Any], table_name: str) -> dict[str, Any]:
    """The conversion's first template: `template` without its table, which a retained resource keeps (and
    `template` must retain). What named the table through the stack (Ref, DependsOn) names it by its name, the value
    the Ref gave, so the other resources do not change; a placeholder keeps the stack from being empty."""
    table = template["Resources"][TABLE_LOGICAL_ID]
    if table.get("DeletionPolicy") != "Retain":
        raise ValueError(f"the stack's table has DeletionPolicy {table.get('DeletionPolicy')!r}, not Retain")
    resources = {key: value for key, value in template["Resources"].items() if key != TABLE_LOGICAL_ID}
    resources = _named(resources, table_name)
    for resource in resources.values():
        depends = resource.get("DependsOn")
        if depends == TABLE_LOGICAL_ID or (isinstance(depends, list) and TABLE_LOGICAL_ID in depends):
            rest = [d for d in ([depends] if isinstance(depends, str) else depends) if d != TABLE_LOGICAL_ID]
            if rest:
                resource["DependsOn"] = rest
            else:
                resource.pop("DependsOn")
    # The placeholder keeps the table's resource as the stack had it: an import resumed after a crash still has it.
    placeholder = {**PLACEHOLDER, "Metadata": {"table": copy.deepcopy(table)}}
    return {**copy.deepcopy(template), "Resources": {**resources, PLACEHOLDER_ID: placeholder}}


def _named(value: Any, table_name: str) -> Any:
    if value == {"Ref": TABLE_LOGICAL_ID}:
        return table_name
    if isinstance(value, dict):
        return {key: _named(item, table_name) for key, item in value.items()}
    if isinstance(value, list):
        return [_named(item, table_name) for item in value]
    return value


def is_retained_table_removal(change: dict[str, Any]) -> bool:
    """Whether a change (DescribeChangeSet's) is the conversion's one allowed removal: the stack's table, of type
    AWS::DynamoDB::Table, which `detached` checked is retained (DeletionPolicy Retain)."""
    resource = change.get("ResourceChange", {})
    return (resource.get("Action"), resource.get("LogicalResourceId"), resource.get("ResourceType")) == (
        "Remove",
        TABLE_LOGICAL_ID,
        TABLE_TYPE,
    )


def imported(detached_template: dict[str, Any], region: str) -> dict[str, Any]:
    """The conversion's import template: the detached template with the table back, as an AWS::DynamoDB::GlobalTable
    of the properties it had (kept by the placeholder), retained as before; the placeholder stays (an import changes
    nothing else)."""
    table = detached_template["Resources"][PLACEHOLDER_ID]["Metadata"]["table"]
    converted = {
        "Type": GLOBAL_TABLE_TYPE,
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": to_global(table.get("Properties", {}), region),
    }
    template = copy.deepcopy(detached_template)
    template["Resources"][TABLE_LOGICAL_ID] = converted
    return template


def replica_changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's entries for the replicas an update adds, changes or removes (by region), from the templates
    before and after it."""

    def replicas(template: dict[str, Any]) -> dict[str, Any]:
        table = template.get("Resources", {}).get(TABLE_LOGICAL_ID, {})
        if table.get("Type") != GLOBAL_TABLE_TYPE:
            return {}
        return {replica["Region"]: replica for replica in table.get("Properties", {}).get("Replicas", [])}

    before, after = replicas(old), replicas(new)
    entries = []
    for region in sorted(set(before) | set(after)):
        if region not in before:
            action = "Add"
        elif region not in after:
            action = "Remove"
        elif before[region] != after[region]:
            action = "Modify"
        else:
            continue
        entries.append({"resource": TABLE_LOGICAL_ID, "type": GLOBAL_TABLE_TYPE, "action": action, "replica": region})
    return entries


def one_replica_at_a_time(current: list[dict[str, Any]], fragment: Fragment) -> list[Fragment]:
    """`fragment` (whose `Replicas` are the replicas wanted, in table properties) as the fragments of successive
    updates, each adding one replica: CloudFormation adds or removes one replica of a global table per update
    ("You can only add or remove a single replica in each update"). The first also sets the replicas that exist
    already; a replica `current` has that is not wanted stays as it is."""
    wanted = {replica["Region"]: replica for replica in fragment.properties[REPLICAS]}
    kept = [replica for replica in current if replica["Region"] not in wanted]
    present = [wanted[r["Region"]] for r in current if r["Region"] in wanted]
    new = [replica for region, replica in sorted(wanted.items()) if region not in {r["Region"] for r in current}]
    steps = []
    for count in range(1, len(new) + 1) if new else [0]:
        replicas = sorted([*kept, *present, *new[:count]], key=lambda r: r["Region"])
        steps.append(Fragment(properties={**fragment.properties, REPLICAS: replicas}, resources=fragment.resources))
    return steps
