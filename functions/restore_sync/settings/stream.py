"""`stream`: the DynamoDB stream and its view type (a restored table has none, so triggers have nothing to read)."""

from __future__ import annotations

from typing import Any

from restore_sync.aws import Aws, TableRef, translated_errors
from restore_sync.settings.base import Fragment, Setting, State


class Stream(Setting):
    name = "stream"
    reads = ("dynamodb:DescribeTable",)

    def read(self, aws: Aws, table: TableRef) -> State:
        with translated_errors():
            spec = (
                aws.client("dynamodb", table.region)
                .describe_table(TableName=table.name)["Table"]
                .get("StreamSpecification", {})
            )
        enabled = bool(spec.get("StreamEnabled"))
        return {"enabled": enabled, "viewType": spec.get("StreamViewType") if enabled else None}

    def fragment(self, state: State, target: dict[str, Any]) -> Fragment:
        if not state["enabled"]:
            return Fragment()
        return Fragment(properties={"StreamSpecification": {"StreamViewType": state["viewType"]}})


SETTING = Stream()
