"""`stream`: the DynamoDB stream, its view type and its own tags (a restored table has no stream, so triggers have
nothing to read).

A stream's tags are its own, independent of the table's (the AWS::DynamoDB::Table registry schema,
`StreamSpecification.Tags`), read with ListTagsOfResource on the stream's ARN (IAM's action table gives it, and
TagResource, the `stream` resource type). They belong to the stream: they are created with it, in its change set.
"""

from __future__ import annotations

from typing import Any

from restore_sync.aws import Aws, TableRef, translated_errors
from restore_sync.settings.base import Fragment, Retarget, Setting, State
from restore_sync.settings.tags import RESERVED_PREFIX


class Stream(Setting):
    name = "stream"
    reads = ("dynamodb:DescribeTable", "dynamodb:ListTagsOfResource")

    def read(self, aws: Aws, table: TableRef) -> State:
        client = aws.client("dynamodb", table.region)
        with translated_errors():
            description = client.describe_table(TableName=table.name)["Table"]
        spec = description.get("StreamSpecification", {})
        enabled = bool(spec.get("StreamEnabled"))
        if not enabled or not description.get("LatestStreamArn"):
            return {"enabled": enabled, "viewType": spec.get("StreamViewType") if enabled else None, "tags": []}
        tags: list[dict[str, str]] = []
        with translated_errors():
            pages = client.get_paginator("list_tags_of_resource").paginate(ResourceArn=description["LatestStreamArn"])
            for page in pages:
                tags += page.get("Tags", [])
        kept = [{"Key": t["Key"], "Value": t["Value"]} for t in tags if not t["Key"].startswith(RESERVED_PREFIX)]
        return {"enabled": True, "viewType": spec.get("StreamViewType"), "tags": sorted(kept, key=lambda t: t["Key"])}

    def wanted(self, state: State, retarget: Retarget) -> State:
        # A version of the settings history recorded before the stream's tags were read has none.
        return {"tags": [], **state}

    def fragment(self, state: State, target: dict[str, Any]) -> Fragment:
        if not state["enabled"]:
            return Fragment()
        spec: dict[str, Any] = {"StreamViewType": state["viewType"]}
        if state.get("tags"):
            spec["Tags"] = state["tags"]
        return Fragment(properties={"StreamSpecification": spec})


SETTING = Stream()
