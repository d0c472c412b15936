"""The settings document: one table's description and settings, as read, planned, and kept in the history."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from botocore.exceptions import ClientError
from jsonschema.exceptions import best_match

from restore_sync.aws import Aws, TableRef, error_code, translated_errors
from restore_sync.errors import SourceTableUnavailable
from restore_sync.schemas import Validator
from restore_sync.settings import REGISTRY, ordered
from restore_sync.table import table_document

SCHEMA_VERSION = 1
# What every document must look like (schemas/settings-document.schema.json): the history's documents are
# checked against it when read, since anyone able to write the history would otherwise decide what is applied.
SCHEMA_FILE = "schemas/settings-document.schema.json"
# A problem quotes the value it is about; a policy or an alarm is cut short.
_MESSAGE = 160
# What changes while a table lives without any setting changing (warm throughput grows with use and is a setting
# of its own); left out so unchanged settings read equal.
_VOLATILE = ("status", "restoreInProgress", "warmThroughput")


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
        index.pop("WarmThroughput", None)
    return {"schemaVersion": SCHEMA_VERSION, "table": table, "settings": settings}


@cache
def document_schema() -> dict[str, Any]:
    return dict(json.loads(resources.files("restore_sync").joinpath(SCHEMA_FILE).read_text()))


@cache
def _validator() -> jsonschema.Draft202012Validator:
    # The schemas' own validator: a pattern's `$` is the end of the text, as the published schema means it.
    return Validator(document_schema())


def document_problems(document: Any) -> list[str]:
    """Every way `document` is not a settings document (`path: what is wrong`); empty when it is one."""
    problems = []
    for found in _validator().iter_errors(document):
        # Of the alternatives a value matched none of, the one it came closest to says the most.
        error = best_match([found]) or found
        message = error.message if len(error.message) <= _MESSAGE else error.message[: _MESSAGE - 3] + "..."
        problems.append(f"{'.'.join(str(part) for part in error.absolute_path) or 'document'}: {message}")
    return sorted(problems)
