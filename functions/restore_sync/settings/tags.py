"""`tags`: every tag of the table except the ones AWS reserves (`aws:` keys cannot be set by anyone)."""

from __future__ import annotations

from typing import Any

from restore_sync.aws import Aws, TableRef, translated_errors
from restore_sync.settings.base import Fragment, Setting, State

RESERVED_PREFIX = "aws:"


class Tags(Setting):
    name = "tags"
    reads = ("dynamodb:ListTagsOfResource",)

    def read(self, aws: Aws, table: TableRef) -> State:
        client = aws.client("dynamodb", table.region)
        tags: list[dict[str, str]] = []
        with translated_errors():
            for page in client.get_paginator("list_tags_of_resource").paginate(ResourceArn=table.arn):
                tags += page.get("Tags", [])
        kept = [{"Key": t["Key"], "Value": t["Value"]} for t in tags if not t["Key"].startswith(RESERVED_PREFIX)]
        return {"tags": sorted(kept, key=lambda t: t["Key"])}

    def fragment(self, state: State, target: dict[str, Any]) -> Fragment:
        return Fragment(properties={"Tags": state["tags"]}) if state["tags"] else Fragment()


SETTING = Tags()
