"""`contributor_insights`: CloudWatch Contributor Insights on the table and on each global secondary index, with
the mode of each (every accessed and throttled key, or throttled keys only).

AWS documents no default mode (UpdateContributorInsights' ContributorInsightsMode is optional and its default is
not stated; DescribeContributorInsights' is optional too): where DynamoDB states none, the state says null (or, for
an index, leaves it out of `indexModes`), the template sets no Mode and verification accepts whatever mode the
target reports. A document recorded before modes were read has no `tableMode` or `indexModes`: the same, mode not
stated.
"""

from __future__ import annotations

from typing import Any

from restore_sync.aws import Aws, TableRef, translated_errors
from restore_sync.settings.base import Fragment, Retarget, Setting, State

ON = ("ENABLED", "ENABLING")


def _spec(mode: str | None) -> dict[str, Any]:
    return {"Enabled": True, "Mode": mode} if mode else {"Enabled": True}


def _stated(state: State, wanted: State) -> State:
    """`state` with only the modes `wanted` states: a mode nobody stated is not compared."""
    index_modes = state.get("indexModes") or {}
    return {
        "table": state["table"],
        "indexes": state["indexes"],
        "tableMode": state.get("tableMode") if wanted.get("tableMode") else None,
        "indexModes": {index: index_modes.get(index) for index in wanted.get("indexModes") or {}},
    }


class ContributorInsights(Setting):
    name = "contributor_insights"
    reads = ("dynamodb:DescribeTable", "dynamodb:DescribeContributorInsights")

    def read(self, aws: Aws, table: TableRef) -> State:
        client = aws.client("dynamodb", table.region)
        with translated_errors():
            indexes = [
                i["IndexName"]
                for i in client.describe_table(TableName=table.name)["Table"].get("GlobalSecondaryIndexes", [])
            ]
            on_table = client.describe_contributor_insights(TableName=table.name)
            on_indexes = {
                index: client.describe_contributor_insights(TableName=table.name, IndexName=index) for index in indexes
            }
        table_on = on_table["ContributorInsightsStatus"] in ON
        enabled = {index: found for index, found in on_indexes.items() if found["ContributorInsightsStatus"] in ON}
        return {
            "table": table_on,
            "tableMode": on_table.get("ContributorInsightsMode") if table_on else None,
            "indexes": sorted(enabled),
            "indexModes": {
                index: enabled[index]["ContributorInsightsMode"]
                for index in sorted(enabled)
                if enabled[index].get("ContributorInsightsMode")
            },
        }

    def wanted(self, state: State, retarget: Retarget) -> State:
        # A restore can leave indexes out; only those the target has can be watched.
        wanted: State = {**state, "indexes": [i for i in state["indexes"] if i in retarget.target_indexes]}
        if "indexModes" in state:
            wanted["indexModes"] = {i: m for i, m in state["indexModes"].items() if i in retarget.target_indexes}
        return wanted

    def fragment(self, state: State, target: dict[str, Any]) -> Fragment:
        properties: dict[str, Any] = {}
        if state["table"]:
            properties["ContributorInsightsSpecification"] = _spec(state.get("tableMode"))
        if state["indexes"]:
            modes = state.get("indexModes") or {}
            # Only what this setting sets: the stack merges each index into its own by IndexName.
            properties["GlobalSecondaryIndexes"] = [
                {"IndexName": name, "ContributorInsightsSpecification": _spec(modes.get(name))}
                for name in state["indexes"]
            ]
        return Fragment(properties=properties)

    def diff(self, wanted: State, found: State) -> list[dict[str, Any]]:
        # On and off must match; a mode only where the wanted state states one.
        if _stated(wanted, wanted) == _stated(found, wanted):
            return []
        return [{"setting": self.name, "wanted": wanted, "found": found}]


SETTING = ContributorInsights()
