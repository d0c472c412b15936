"""The settings document: one table's description and settings, as read, planned, and (later) kept in history."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from restore_sync.aws import Aws, TableRef, error_code, translated_errors
from restore_sync.errors import SourceTableUnavailable
from restore_sync.settings import REGISTRY, ordered
from restore_sync.table import table_document

SCHEMA_VERSION = 1
# What changes while a table lives without any setting changing; left out so unchanged settings read equal.
_VOLATILE = ("status", "restoreInProgress")


def describe(aws: Aws, ref: TableRef) -> dict[str, Any]:
    """DescribeTable as a table document; raises ClientError (ResourceNotFoundException) when it is not there."""
    with translated_errors():
        description = aws.client("dynamodb", ref.region).describe_table(TableName=ref.name)["Table"]
    return table_document(description, ref)


def settings_document(aws: Aws, ref: TableRef, names: list[str]) -> dict[str, Any]:
    """`{"schemaVersion", "table", "settings"}` of a live table, for the settings in `names`."""
    try:
        table = describe(aws, ref)
        settings = {name: REGISTRY[name].read(aws, ref) for name in ordered(names)}
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            raise SourceTableUnavailable(
                f"source table {ref.arn} does not exist, so its settings cannot be read"
            ) from error
        raise
    for key in _VOLATILE:
        table.pop(key, None)
    for index in table["globalSecondaryIndexes"]:
        index.pop("IndexStatus", None)
    return {"schemaVersion": SCHEMA_VERSION, "table": table, "settings": settings}
