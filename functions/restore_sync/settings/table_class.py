"""`table_class`: STANDARD or STANDARD_INFREQUENT_ACCESS; a restored table is always STANDARD."""

from __future__ import annotations

from typing import Any

from restore_sync.aws import Aws, TableRef, translated_errors
from restore_sync.settings.base import Fragment, Setting, State

DEFAULT = "STANDARD"


class TableClass(Setting):
    name = "table_class"
    reads = ("dynamodb:DescribeTable",)

    def read(self, aws: Aws, table: TableRef) -> State:
        with translated_errors():
            description = aws.client("dynamodb", table.region).describe_table(TableName=table.name)["Table"]
        return {"tableClass": description.get("TableClassSummary", {}).get("TableClass") or DEFAULT}

    def fragment(self, state: State, target: dict[str, Any]) -> Fragment:
        if state["tableClass"] == DEFAULT:
            return Fragment()
        return Fragment(properties={"TableClass": state["tableClass"]})


SETTING = TableClass()
