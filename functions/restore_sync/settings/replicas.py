"""`replicas`: the regions of a global table's replicas, and each replica's own settings read in its own region.

A restore makes a single-region table, whatever its source was ("global table replicas: restored as a single-region
table"). Replicas move the data to other regions and are billed there, so copying them is opt-in: the request's
`replicas` (the deployment's Replicas parameter, or a manual start's `replicas`) is `none` (the default: this setting
is skipped), `as-source` (the regions the source's replicas are in, but the target's own) or a list of regions.

DescribeTable's `Replicas` (in the source's region) names the source's replicas; each replica's per-replica settings
are read in its own region by the settings that read them on any table (PER_REPLICA: the same `read` functions, with
the replica's region), and retargeted as those settings retarget (`wanted`). The fragment states the replicas in
AWS::DynamoDB::Table properties plus their `Region`, under `Replicas`; the governance stack converts its table to
AWS::DynamoDB::GlobalTable to hold them (restore_sync.workflow.global_table).

A source with multi-Region strong consistency (DescribeTable `MultiRegionConsistency: STRONG`) cannot be copied:
DynamoDB makes a global table strongly consistent only from an empty table (AWS's MRSC example: "Table must be empty
when enabling MRSC"; UpdateTable's MultiRegionConsistency is "only valid when you create a global table"), and a
restored table holds the data. The setting is skipped saying so, and creates no eventually consistent replicas in
its place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from restore_sync.aws import Aws, TableRef, translated_errors
from restore_sync.settings import (
    contributor_insights,
    deletion_protection,
    kinesis,
    on_demand_throughput,
    pitr,
    resource_policy,
    table_class,
    tags,
)
from restore_sync.settings.base import Fragment, Retarget, Setting, State, merge_properties

NONE = "none"
AS_SOURCE = "as-source"
# The deployment parameter that sets the default, for messages.
PARAMETER = "Replicas"
STRONG = "STRONG"
# AWS's region names (botocore's partitions.json, regionRegex of each partition), as one pattern.
REGION = re.compile(
    r"^(?:(?:us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+|cn-\w+-\d+|eusc-de-\w+-\d+|us-iso-\w+-\d+|us-isob-\w+-\d+"
    r"|eu-isoe-\w+-\d+|us-isof-\w+-\d+|us-gov-\w+-\d+)\Z",
    re.ASCII,
)
# The settings a global table states per replica (AWS::DynamoDB::GlobalTable's ReplicaSpecification), read on each
# replica in its region with their own `read`.
PER_REPLICA: dict[str, Setting] = {
    s.name: s
    for s in (
        tags.SETTING,
        pitr.SETTING,
        deletion_protection.SETTING,
        contributor_insights.SETTING,
        kinesis.SETTING,
        table_class.SETTING,
        on_demand_throughput.SETTING,
        resource_policy.SETTING,
    )
}


def parse_replicas(value: str | Sequence[str], home_region: str) -> tuple[str, ...]:
    """The request's form of the replicas option (`none`, `as-source`, or region names): `()`, `("as-source",)`,
    or the regions sorted. Raises ValueError naming every problem: a region not shaped as AWS names regions, the
    target's own region (`home_region`: its replica is the table itself), a region given twice, a word mixed with
    regions."""
    names = [value] if isinstance(value, str) else list(value)
    if names in ([NONE], []):
        return ()
    if names == [AS_SOURCE]:
        return (AS_SOURCE,)
    problems = []
    words = [name for name in names if name in (NONE, AS_SOURCE)]
    if words:
        problems.append(f"{' and '.join(words)} cannot be combined with region names")
    malformed = [name for name in names if name not in words and not REGION.match(name)]
    if malformed:
        problems.append(f"not a region name: {', '.join(malformed)} (an AWS region, such as eu-west-1)")
    if home_region in names:
        problems.append(f"{home_region} is the target's own region: its replica there is the table itself")
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        problems.append(f"given more than once: {', '.join(twice)}")
    if problems:
        raise ValueError("; ".join(problems))
    return tuple(sorted(names))


def chosen_regions(replicas: Sequence[str], source_regions: Sequence[str], target_region: str) -> list[str]:
    """The regions the target gets replicas in: none, the source's (but the target's own), or those listed."""
    if tuple(replicas) == (AS_SOURCE,):
        return sorted(set(source_regions) - {target_region})
    return sorted(replicas)


class Replicas(Setting):
    name = "replicas"
    # Each replica's own settings are read by the settings of PER_REPLICA, whose actions every reader is granted.
    reads = ("dynamodb:DescribeTable",)

    def read(self, aws: Aws, table: TableRef) -> State:
        with translated_errors():
            description = aws.client("dynamodb", table.region).describe_table(TableName=table.name)["Table"]
        regions = sorted({replica["RegionName"] for replica in description.get("Replicas") or []})
        if regions:
            # DescribeTable may name the table's own region among its replicas or not: it is one either way.
            regions = sorted({*regions, table.region})
        state: State = {
            "replicas": [
                {
                    "region": region,
                    "settings": {
                        name: setting.read(aws, TableRef(table.name, region, table.account, table.partition))
                        for name, setting in PER_REPLICA.items()
                    },
                }
                for region in regions
            ]
        }
        if description.get("MultiRegionConsistency"):
            state["consistency"] = description["MultiRegionConsistency"]
        return state

    def wanted(self, state: State, retarget: Retarget) -> State:
        """The replicas the request chooses, each with the settings of the source's replica in that region (none for
        a region the source has no replica in), retargeted to the target's replica there."""
        source = {replica["region"]: replica["settings"] for replica in state["replicas"]}
        regions = chosen_regions(retarget.replicas, list(source), retarget.target.region)
        replicas = []
        for region in regions:
            here = Retarget(
                source=TableRef(retarget.source.name, region, retarget.source.account, retarget.source.partition),
                target=TableRef(retarget.target.name, region, retarget.target.account, retarget.target.partition),
                target_table=retarget.target_table,
            )
            settings = {name: PER_REPLICA[name].wanted(s, here) for name, s in source.get(region, {}).items()}
            replicas.append({"region": region, "settings": settings})
        return {**state, "replicas": replicas}

    def not_chosen(self, state: State, retarget: Retarget) -> str | None:
        if not retarget.replicas:
            return (
                f"replicas is {NONE} (the deployment's {PARAMETER} parameter, or the start's replicas): a replica "
                "moves the table's data to another region and is billed there, so it is made only when asked for"
            )
        if state.get("consistency") == STRONG:
            return (
                "the source is a global table with multi-Region strong consistency (MultiRegionConsistency STRONG); "
                "DynamoDB makes a table strongly consistent across regions only while it is empty, and a restored "
                "table holds the data, so no replica was made (nor an eventually consistent one in its place): "
                "create a new, empty MRSC global table and copy the items into it to have one"
            )
        return None

    def not_applicable(self, target: dict[str, Any]) -> str | None:
        if target["billingMode"] != on_demand_throughput.ON_DEMAND:
            return (
                "the target is provisioned: AWS::DynamoDB::GlobalTable states a provisioned table's write capacity "
                "only as auto scaling (WriteProvisionedThroughputSettings), so its replicas are not made; switch "
                "the target to on demand (PAY_PER_REQUEST), or add the replicas by hand"
            )
        if "sse" in target:
            return (
                "the target is encrypted with a KMS key: a replica in another region needs a key of that region "
                "(ReplicaSSESpecification.KMSMasterKeyId), which restore-sync does not choose; add the replicas by hand"
            )
        return None

    def fragment(self, state: State, target: dict[str, Any]) -> Fragment:
        if not state["replicas"]:
            return Fragment()
        replicas = []
        for replica in state["replicas"]:
            properties: dict[str, Any] = {}
            for name, setting_state in replica["settings"].items():
                properties = merge_properties(properties, PER_REPLICA[name].fragment(setting_state, target).properties)
            replicas.append({"Region": replica["region"], **properties})
        return Fragment(properties={"Replicas": replicas})

    def diff(self, wanted: State, found: State) -> list[dict[str, Any]]:
        """Per wanted replica: missing, or the differences of each of its settings, each entry naming the region."""
        have = {replica["region"]: replica["settings"] for replica in found["replicas"]}
        drift: list[dict[str, Any]] = []
        for replica in wanted["replicas"]:
            region = replica["region"]
            if region not in have:
                drift.append({"setting": self.name, "region": region, "wanted": replica, "found": None})
                continue
            for name, state in replica["settings"].items():
                for entry in PER_REPLICA[name].diff(state, have[region].get(name)):
                    drift.append({**entry, "setting": self.name, "region": region, "replicaSetting": name})
        return drift


SETTING = Replicas()
