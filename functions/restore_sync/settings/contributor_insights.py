"""`contributor_insights`: CloudWatch Contributor Insights on the table and on each global secondary index."""

from __future__ import annotations

from typing import Any

from restore_sync.aws import Aws, TableRef, translated_errors
from restore_sync.settings.base import Fragment, Retarget, Setting, State

ON = ("ENABLED", "ENABLING")


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
            on_table = client.describe_contributor_insights(TableName=table.name)["ContributorInsightsStatus"] in ON
            on_indexes = sorted(
                index
                for index in indexes
                if client.describe_contributor_insights(TableName=table.name, IndexName=index)[
                    "ContributorInsightsStatus"
                ]
                in ON
            )
        return {"table": on_table, "indexes": on_indexes}

    def wanted(self, state: State, retarget: Retarget) -> State:
        # A restore can leave indexes out; only those the target has can be watched.
        return {"table": state["table"], "indexes": [i for i in state["indexes"] if i in retarget.target_indexes]}

    def fragment(self, state: State, target: dict[str, Any]) -> Fragment:
        properties: dict[str, Any] = {}
        if state["table"]:
            properties["ContributorInsightsSpecification"] = {"Enabled": True}
        if state["indexes"]:
            # Only what this setting sets: the stack merges each index into its own by IndexName.
            properties["GlobalSecondaryIndexes"] = [
                {"IndexName": name, "ContributorInsightsSpecification": {"Enabled": True}} for name in state["indexes"]
            ]
        return Fragment(properties=properties)


SETTING = ContributorInsights()
