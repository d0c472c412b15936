"""`deletion_protection`: whether DeleteTable is refused; restores never carry it over."""

from __future__ import annotations

from typing import Any

from restore_sync.aws import Aws, TableRef, translated_errors
from restore_sync.settings.base import Fragment, Setting, State


class DeletionProtection(Setting):
    name = "deletion_protection"
    reads = ("dynamodb:DescribeTable",)

    def read(self, aws: Aws, table: TableRef) -> State:
        with translated_errors():
            description = aws.client("dynamodb", table.region).describe_table(TableName=table.name)["Table"]
        return {"enabled": bool(description.get("DeletionProtectionEnabled", False))}

    def fragment(self, state: State, target: dict[str, Any]) -> Fragment:
        return Fragment(properties={"DeletionProtectionEnabled": True}) if state["enabled"] else Fragment()


SETTING = DeletionProtection()
