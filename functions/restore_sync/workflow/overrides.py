"""What the restore chose for its table (the overrides of its request): kept as chosen, and reported `kept`.

RestoreTableToPointInTime and RestoreTableFromBackup (botocore's DynamoDB model) let the restore choose the billing
mode (BillingModeOverride), the provisioned capacity (ProvisionedThroughputOverride), the maximum on-demand
throughput (OnDemandThroughputOverride), the encryption (SSESpecificationOverride) and which indexes are kept
(GlobalSecondaryIndexOverride, with each index's capacity or maximum; LocalSecondaryIndexOverride;
VectorIndexOverride). restore-sync never sets billing mode, capacity, encryption or indexes (the governance stack
describes them as the target has them), and the on-demand maximum a restore chose is not replaced by the source's
(settings/on_demand_throughput.py). The report names each choice under `restore`, `kept`, "chosen at restore: ...".

Where the choices are read from, best first:
- the restore's own request, as CloudTrail recorded it (an event's `detail.requestParameters`, lower camel case:
  `billingModeOverride`, `sSESpecificationOverride`): each member is matched to botocore's model of the call's input
  and checked against it (types, required members, enums, minimums), so a record that does not match the model is
  refused. Only the overrides are read from it: the source and restore point come from the target's RestoreSummary.
- otherwise (a manual start, an AWS Backup restore job): the target compared with the source's settings document,
  which is the source at the restore point when it comes from the settings history. restore-sync never changes a
  billing mode, a capacity, the encryption or the indexes, so where the target's differ from the source's, only its
  restore can have chosen them. CloudTrail's LookupEvents could find the call itself, but only within 90 days
  (botocore's documentation of LookupEvents), and only with a grant on every resource (IAM's action table gives it no
  resource type); the comparison needs neither, and says that it is one. An AWS Backup restore of a table chooses
  its name and its encryption only (AWS Backup's developer guide, "Restoring an Amazon DynamoDB table"): a different
  encryption is what the comparison finds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ListShape, Shape, StructureShape

from restore_sync.aws import Aws, TableRef
from restore_sync.contracts import KeptChoice, RestoreCall
from restore_sync.settings.base import Setting, State

OVERRIDES = (
    "BillingModeOverride",
    "ProvisionedThroughputOverride",
    "OnDemandThroughputOverride",
    "SSESpecificationOverride",
    "GlobalSecondaryIndexOverride",
    "LocalSecondaryIndexOverride",
    "VectorIndexOverride",
)
CHOSEN = "chosen at restore"
# What a restore request may leave out, and what DynamoDB then does (SSESpecification.Enabled's documentation).
OWNED_KEY = "a DynamoDB-owned key"


@cache
def _input_shape(operation: str) -> StructureShape:
    model = botocore.session.get_session().get_service_model("dynamodb")
    shape = model.operation_model(operation).input_shape
    assert isinstance(shape, StructureShape)
    return shape


# ---- the restore's own request -------------------------------------------------------------------------------


def from_request_parameters(operation: str, parameters: dict[str, Any], where: str) -> tuple[RestoreCall, list[str]]:
    """The overrides of the `operation` call (RestoreTableToPointInTime or RestoreTableFromBackup) whose request
    CloudTrail recorded as `parameters`, in botocore's casing; and every way they do not match botocore's model of the
    call's input (`where` prefixes each problem). Members that are not overrides are not read here."""
    shape = _input_shape(operation)
    members = {name.lower(): name for name in OVERRIDES if name in shape.members}
    overrides: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in parameters.items():
        name = members.get(key.lower()) if isinstance(key, str) else None
        if name is None:
            continue
        overrides[name] = _canonical(value, shape.members[name], f"{where}.{key}", problems)
    read_from = f"the CloudTrail record of the {operation} call"
    return RestoreCall(read_from=read_from, overrides=dict(sorted(overrides.items()))), problems


def _canonical(value: Any, shape: Shape, where: str, problems: list[str]) -> Any:
    """`value` in botocore's casing, as `shape` describes it; what does not match is added to `problems`."""
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            problems.append(f"{where}: expected an object, got {json.dumps(value)[:60]}")
            return None
        names = {name.lower(): name for name in shape.members}
        result: dict[str, Any] = {}
        for key, member in value.items():
            name = names.get(str(key).lower())
            if name is None:
                problems.append(f"{where}: {key} is not a member of {shape.name} ({', '.join(shape.members)})")
                continue
            result[name] = _canonical(member, shape.members[name], f"{where}.{key}", problems)
        missing = [name for name in shape.required_members if name not in result]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
        return result
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            problems.append(f"{where}: expected a list, got {json.dumps(value)[:60]}")
            return None
        return [_canonical(item, shape.member, f"{where}[{i}]", problems) for i, item in enumerate(value)]
    kind = shape.type_name
    if kind == "string":
        if not isinstance(value, str):
            problems.append(f"{where}: expected a string, got {json.dumps(value)[:60]}")
        elif shape.enum and value not in shape.enum:
            problems.append(f"{where}: {value!r} is not one of {', '.join(shape.enum)}")
        return value
    if kind in ("long", "integer"):
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{where}: expected an integer, got {json.dumps(value)[:60]}")
        elif "min" in shape.metadata and value < shape.metadata["min"]:
            problems.append(f"{where}: {value} is less than {shape.metadata['min']}")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{where}: expected true or false, got {json.dumps(value)[:60]}")
        return value
    problems.append(f"{where}: a {kind} is not read")
    return None


# ---- what is kept, and why --------------------------------------------------------------------------------------


def kept_from_request(call: RestoreCall, source: dict[str, Any]) -> dict[str, KeptChoice]:
    """Each override of the restore's request as the report's `kept` entry; `source` is the source's table document
    (which indexes an index override left out)."""
    kept = {}
    for name, value in call.overrides.items():
        kept[name] = KeptChoice(
            reason=f"{CHOSEN}: {_described(name, value, source)} ({name} in {call.read_from})", chosen=value
        )
    return kept


def _described(name: str, value: Any, source: dict[str, Any]) -> str:
    if name == "BillingModeOverride":
        return f"billing mode {value}"
    if name == "ProvisionedThroughputOverride":
        return f"provisioned capacity {_capacity(value)}"
    if name == "OnDemandThroughputOverride":
        return f"maximum on-demand throughput {_maximum(value)}"
    if name == "SSESpecificationOverride":
        return f"encryption with {_encryption(value)}"
    kind = {
        "GlobalSecondaryIndexOverride": ("global secondary indexes", "globalSecondaryIndexes"),
        "LocalSecondaryIndexOverride": ("local secondary indexes", "localSecondaryIndexes"),
        "VectorIndexOverride": ("vector indexes", None),
    }[name]
    indexes = [index for index in value or [] if isinstance(index, dict)]
    names = [str(index.get("IndexName")) for index in indexes]
    text = f"{kind[0]} kept: {', '.join(names) or 'none'}"
    if kind[1]:
        left = sorted({i["IndexName"] for i in source.get(kind[1], [])} - set(names))
        text += f" (left out: {', '.join(left)})" if left else ""
    own = [
        f"{index.get('IndexName')} {part}"
        for index in indexes
        for part in (
            f"capacity {_capacity(index['ProvisionedThroughput'])}" if index.get("ProvisionedThroughput") else "",
            f"maximum {_maximum(index['OnDemandThroughput'])}" if index.get("OnDemandThroughput") else "",
        )
        if part
    ]
    return text + (f"; {', '.join(own)}" if own else "")


def _capacity(throughput: dict[str, Any]) -> str:
    return f"{throughput.get('ReadCapacityUnits')} read, {throughput.get('WriteCapacityUnits')} write units"


def _maximum(throughput: dict[str, Any]) -> str:
    parts = [
        f"{value} {member.removeprefix('Max').removesuffix('RequestUnits').lower()}"
        for member, value in sorted(throughput.items())
    ]
    return f"{', '.join(parts) or 'none'} request units"


def _encryption(sse: dict[str, Any]) -> str:
    if not sse.get("Enabled"):
        return OWNED_KEY
    key = sse.get("KMSMasterKeyId")
    return f"the KMS key {key}" if key else "the AWS managed key (aws/dynamodb)"


def kept_by_comparison(source: dict[str, Any], target: dict[str, Any], which: str) -> dict[str, KeptChoice]:
    """What the target (its table document) has that differs from the source's table document, each as a `kept`
    entry under the override that chooses it: restore-sync never changes these, so only the restore can have.
    `which` says which source the document is (the restore point's, or the live table's)."""
    why = (
        f"the target differs from the source {which}; restore-sync never changes it, so only the restore can have: "
        "no request of the restore was read"
    )
    kept: dict[str, KeptChoice] = {}

    def add(name: str, what: str, chosen: Any) -> None:
        kept[name] = KeptChoice(reason=f"{CHOSEN}: {what} ({why})", chosen=chosen)

    if target["billingMode"] != source["billingMode"]:
        add(
            "BillingModeOverride",
            f"billing mode {target['billingMode']}, the source's {source['billingMode']}",
            target["billingMode"],
        )
    elif target.get("provisionedThroughput") != source.get("provisionedThroughput"):
        add(
            "ProvisionedThroughputOverride",
            f"provisioned capacity {_capacity(target['provisionedThroughput'])}, the source's "
            f"{_capacity(source['provisionedThroughput'])}",
            target["provisionedThroughput"],
        )
    sse_target, sse_source = target.get("sse"), source.get("sse")
    if sse_target != sse_source:
        chosen = sse_target or {"Enabled": False}
        add(
            "SSESpecificationOverride",
            f"encryption with {_encryption(_as_override(sse_target))}, the source's "
            f"{_encryption(_as_override(sse_source))}",
            chosen,
        )
    for name, key, kind in (
        ("GlobalSecondaryIndexOverride", "globalSecondaryIndexes", "global secondary indexes"),
        ("LocalSecondaryIndexOverride", "localSecondaryIndexes", "local secondary indexes"),
    ):
        have = sorted(i["IndexName"] for i in target.get(key, []))
        left = sorted({i["IndexName"] for i in source.get(key, [])} - set(have))
        if left:
            add(name, f"{kind} kept: {', '.join(have) or 'none'} (left out: {', '.join(left)})", have)
    return kept


def _as_override(sse: dict[str, Any] | None) -> dict[str, Any]:
    """A table document's `sse` (only a KMS key is recorded) as an SSESpecification."""
    if not sse:
        return {"Enabled": False}
    return {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": sse.get("KMSMasterKeyId")}


def on_demand_chosen(call: RestoreCall) -> str | None:
    """Why `on_demand_throughput` keeps the target's maximum, from the restore's request: the maxima it chose for
    the table (OnDemandThroughputOverride) and each index (an index override's OnDemandThroughput); None when it
    chose none."""
    parts = []
    if call.overrides.get("OnDemandThroughputOverride"):
        parts.append(f"table {_maximum(call.overrides['OnDemandThroughputOverride'])}")
    for index in call.overrides.get("GlobalSecondaryIndexOverride") or []:
        if isinstance(index, dict) and index.get("OnDemandThroughput"):
            parts.append(f"index {index.get('IndexName')} {_maximum(index['OnDemandThroughput'])}")
    if not parts:
        return None
    return f"{CHOSEN}: the maximum on-demand throughput the restore asked for ({'; '.join(parts)}; {call.read_from})"


def kept_choices(
    call: RestoreCall | None, chosen_source: dict[str, Any], target: dict[str, Any]
) -> dict[str, KeptChoice]:
    """What the restore chose, each as a `kept` entry: from its request where that is known (`call`), otherwise by
    comparing the target's table document with the source's. `chosen_source` is what Read source settings returned
    (its `document`, and whether that is the settings history's version at the restore point or the live table)."""
    source = chosen_source["document"]["table"]
    if call is not None:
        return kept_from_request(call, source)
    if chosen_source.get("settingsFrom") == "snapshot":
        which = f"at the restore point {chosen_source.get('restorePoint')}, as the settings history recorded it"
    else:
        which = "as it is now (no settings history: a change made to the source since the restore reads as its choice)"
    return kept_by_comparison(source, target, which)


def capacity_moved(call: RestoreCall, wanted: State) -> str | None:
    """Why `autoscaling` is not copied: the provisioned capacity the restore asked for (ProvisionedThroughputOverride
    for the table, an index override's ProvisionedThroughput) lies outside the range of a scalable target it would
    copy (`wanted`, autoscaling's state). RegisterScalableTarget "changes the resource's current capacity to a value
    that is inside of this range" (botocore's Application Auto Scaling documentation), so copying it would undo the
    restore's choice. A capacity within the range stays as chosen until the copied policies scale on demand, as they
    do on the source: then the scaling is copied. None: nothing chosen is moved."""
    chosen = {"table": call.overrides.get("ProvisionedThroughputOverride") or {}}
    for index in call.overrides.get("GlobalSecondaryIndexOverride") or []:
        if isinstance(index, dict) and index.get("ProvisionedThroughput"):
            chosen[f"index/{index.get('IndexName')}"] = index["ProvisionedThroughput"]
    moved = []
    for target in wanted.get("targets", []):
        unit = str(target["dimension"]).rsplit(":", 1)[-1]
        capacity = chosen.get(target["resource"], {}).get(unit)
        if capacity is not None and not target["min"] <= capacity <= target["max"]:
            moved.append(f"{target['resource']} {unit} {capacity}, range {target['min']}-{target['max']}")
    if not moved:
        return None
    return (
        f"{CHOSEN}: the provisioned capacity the restore asked for lies outside the source's scaling range "
        f"({'; '.join(moved)}; {call.read_from}); registering the scaling would move it into the range, so it is "
        "not copied: to copy it, start by hand with --settings autoscaling (a manual start reads no restore request)"
    )


def kept_setting(setting: Setting, aws: Aws, table: TableRef, wanted: State, call: RestoreCall | None) -> str | None:
    """Why the target `table` keeps its own value of `setting` (Setting.kept): for a setting a restore's choices
    concern, what the restore's request asked for where it is known (`call`); otherwise what the setting finds by
    comparing the target with what is wanted."""
    from_request = _FROM_REQUEST.get(setting.name)
    if call is not None and from_request is not None:
        return from_request(call, wanted)
    return setting.kept(aws, table, wanted)


# The settings a restore's choices concern, and how its request decides whether the target keeps its own value.
_FROM_REQUEST: dict[str, Callable[[RestoreCall, State], str | None]] = {
    "on_demand_throughput": lambda call, wanted: on_demand_chosen(call),
    "autoscaling": capacity_moved,
}
