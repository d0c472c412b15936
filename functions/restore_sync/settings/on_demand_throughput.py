"""`on_demand_throughput`: the maximum read and write request units of an on-demand table and of each of its global
secondary indexes.

A restore does not keep the source's maximum (RestoreTableToPointInTime's documentation lists what it includes, and
the maximum is not among it), but the restore request can choose one: `OnDemandThroughputOverride` for the table,
`OnDemandThroughput` in each `GlobalSecondaryIndexOverride` (botocore's DynamoDB model). A target whose maximum
differs from the source's was given it by its restore: that choice is kept, not reverted.

DescribeTable states "no maximum" either by leaving a member out or as -1 (botocore's documentation of
MaxReadRequestUnits: "To remove the maximum ... set the value ... to -1"); the state holds only the members that
bound something.
"""

from __future__ import annotations

from typing import Any

from restore_sync.aws import Aws, TableRef, translated_errors
from restore_sync.settings.base import Fragment, Retarget, Setting, State

MEMBERS = ("MaxReadRequestUnits", "MaxWriteRequestUnits")
ON_DEMAND = "PAY_PER_REQUEST"


def maximum(described: dict[str, Any] | None) -> dict[str, int]:
    """The members of an OnDemandThroughput that set a maximum (at least 1); -1 and absent mean none."""
    return {member: int(value) for member in MEMBERS if (value := (described or {}).get(member)) and int(value) >= 1}


def chosen_at_restore(wanted: State, found: State) -> list[str]:
    """The parts (`table`, `index NAME`) where the target has a maximum of its own that differs from the wanted one:
    what its restore chose."""
    parts = [("table", wanted["table"], found["table"])]
    parts += [
        (f"index {name}", wanted["indexes"].get(name, {}), limit) for name, limit in sorted(found["indexes"].items())
    ]
    return [part for part, want, have in parts if have and have != want]


class OnDemandThroughput(Setting):
    name = "on_demand_throughput"
    reads = ("dynamodb:DescribeTable",)

    def read(self, aws: Aws, table: TableRef) -> State:
        with translated_errors():
            description = aws.client("dynamodb", table.region).describe_table(TableName=table.name)["Table"]
        indexes = {
            index["IndexName"]: maximum(index.get("OnDemandThroughput"))
            for index in description.get("GlobalSecondaryIndexes", [])
        }
        return {
            "table": maximum(description.get("OnDemandThroughput")),
            "indexes": {name: limit for name, limit in sorted(indexes.items()) if limit},
        }

    def wanted(self, state: State, retarget: Retarget) -> State:
        # A restore can leave indexes out; only those the target has can be bounded.
        return {**state, "indexes": {i: m for i, m in state["indexes"].items() if i in retarget.target_indexes}}

    def not_applicable(self, target: dict[str, Any]) -> str | None:
        if target["billingMode"] != ON_DEMAND:
            return (
                "the target is provisioned: a maximum on-demand throughput bounds only an on-demand "
                "(PAY_PER_REQUEST) table, and its provisioned capacity bounds it already"
            )
        return None

    def kept(self, aws: Aws, table: TableRef, wanted: State) -> str | None:
        chosen = chosen_at_restore(wanted, self.read(aws, table))
        return (
            f"chosen at restore: the target's own maximum on-demand throughput ({', '.join(chosen)})"
            if chosen
            else None
        )

    def fragment(self, state: State, target: dict[str, Any]) -> Fragment:
        properties: dict[str, Any] = {}
        if state["table"]:
            properties["OnDemandThroughput"] = dict(state["table"])
        if state["indexes"]:
            # Only what this setting sets: the stack merges each index into its own by IndexName.
            properties["GlobalSecondaryIndexes"] = [
                {"IndexName": name, "OnDemandThroughput": dict(limit)}
                for name, limit in sorted(state["indexes"].items())
            ]
        return Fragment(properties=properties)


SETTING = OnDemandThroughput()
