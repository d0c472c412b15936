"""The settings document's JSON Schema holds what `settings_document` really produces, and refuses what it never does.

Documents are read in-process against moto (no server) from the examples' tables: one with every setting, an
everyday one, and a bare one with a local index and a customer managed key.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from restore_sync.aws import Aws, TableRef
from restore_sync.history.store import canonical
from restore_sync.settings import NAMES
from restore_sync.settings.document import document_problems, document_schema, settings_document
from restore_sync_sandbox import examples
from restore_sync_sandbox.extensions import (
    dynamodb_contributor_insights,
    dynamodb_kinesis_destinations,
    dynamodb_stream_policies,
    dynamodb_stream_tags,
    dynamodb_table_class,
)

REGION = "us-east-1"
TABLES = ("full", "everyday", "bare")
# The DynamoDB APIs the full source needs that moto lacks.
EXTENSIONS = (
    dynamodb_contributor_insights,
    dynamodb_kinesis_destinations,
    dynamodb_stream_policies,
    dynamodb_stream_tags,
    dynamodb_table_class,
)


def make_bare(client: Any, name: str) -> None:
    """Nothing set but what a table must have, with a local secondary index and a customer managed key."""
    key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "at", "AttributeType": "B"},
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "by-at",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["total"]},
            }
        ],
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key},
    )


@pytest.fixture(scope="module")
def documents() -> Iterator[dict[str, dict[str, Any]]]:
    for extension in EXTENSIONS:
        extension.install()
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        clients: Callable[[str], Any] = lambda service: session.client(service, region_name=REGION)  # noqa: E731
        examples.make_full_source(clients, "full", items=0)
        examples.make_source(clients("dynamodb"), "everyday", items=0)
        make_bare(clients("dynamodb"), "bare")
        aws = Aws(region=REGION, session=session)
        yield {name: settings_document(aws, TableRef(name, REGION, examples.ACCOUNT), list(NAMES)) for name in TABLES}


@pytest.mark.parametrize("name", TABLES)
def test_every_document_restore_sync_reads_is_valid_as_the_history_keeps_it(
    documents: dict[str, dict[str, Any]], name: str
) -> None:
    document = documents[name]
    assert document_problems(document) == []
    assert document_problems(json.loads(canonical(document))) == []


def test_the_examples_set_what_the_schema_constrains(documents: dict[str, dict[str, Any]]) -> None:
    """The documents above exercise the schema: every setting is set on the full table, and left unset elsewhere."""
    full, bare = documents["full"]["settings"], documents["bare"]["settings"]
    assert full["resource_policy"]["policy"] is not None
    assert full["stream_policy"]["policy"] is not None
    assert full["stream"]["tags"]
    for setting, items in (("triggers", "mappings"), ("autoscaling", "targets"), ("alarms", "alarms")):
        assert full[setting][items], setting
    for setting, items in (("kinesis", "destinations"), ("tags", "tags")):
        assert full[setting][items], setting
    assert bare["resource_policy"] == {"policy": None}
    assert bare["stream"] == {"enabled": False, "viewType": None, "tags": []}
    assert bare["stream_policy"] == {"policy": None, "streamArn": None}
    assert documents["bare"]["table"]["localSecondaryIndexes"]
    assert "sse" in documents["bare"]["table"]


def test_the_schema_has_an_entry_for_each_registered_setting_and_no_other() -> None:
    assert list(document_schema()["properties"]["settings"]["properties"]) == list(NAMES)


def changed(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `document` with the value at the dotted `path` replaced (a list index is a number)."""
    copied = copy.deepcopy(document)
    *parents, last = path.split(".")
    held: Any = copied
    for part in parents:
        held = held[int(part)] if isinstance(held, list) else held[part]
    held[int(last) if isinstance(held, list) else last] = value
    return copied


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("schemaVersion", 2, "schemaVersion: 1 was expected"),
        ("table.arn", "arn:aws:s3:::bucket", "table.arn: 'arn:aws:s3:::bucket' does not match"),
        ("settings.ttl.enabled", "yes", "settings.ttl.enabled: 'yes' is not of type 'boolean'"),
        ("settings.pitr.recoveryPeriodInDays", 400, "settings.pitr.recoveryPeriodInDays: 400 is greater than"),
        ("settings.triggers.mappings.0.functionArn", "evil", "settings.triggers.mappings.0.functionArn: 'evil' does"),
        ("settings.triggers.mappings.0.properties.Code", "x", "Additional properties are not allowed ('Code'"),
        ("settings.resource_policy.policy.Statement.0.Principal", "everyone", "Principal: 'everyone' is not valid"),
        ("settings.resource_policy.policy.Statement.0.Effect", "Permit", "Effect: 'Permit' is not one of"),
        ("settings.table_class.tableClass", "FREE", "settings.table_class.tableClass: 'FREE' is not one of"),
        ("settings.iam_role", {"arn": "x"}, "settings: Additional properties are not allowed ('iam_role'"),
        ("settings.contributor_insights.tableMode", "ALL_KEYS", "settings.contributor_insights.tableMode: 'ALL_KEYS'"),
        ("settings.contributor_insights.indexModes.by-status", "ALL_KEYS", "'ALL_KEYS' is not one of"),
        ("settings.contributor_insights.indexModes", {"x": "THROTTLED_KEYS"}, "'x' does not match"),
    ],
)
def test_what_restore_sync_never_writes_is_not_a_settings_document(
    documents: dict[str, dict[str, Any]], path: str, value: Any, problem: str
) -> None:
    problems = document_problems(changed(documents["full"], path, value))
    assert any(found.startswith(problem) or problem in found for found in problems), problems


def test_a_document_recorded_before_contributor_insights_modes_were_read_is_still_valid(
    documents: dict[str, dict[str, Any]],
) -> None:
    full = documents["full"]["settings"]["contributor_insights"]
    assert full["indexModes"] == {"by-status": "THROTTLED_KEYS"}
    older = changed(documents["full"], "settings.contributor_insights", {"table": True, "indexes": ["by-status"]})
    assert document_problems(older) == []
    assert document_problems(json.loads(canonical(older))) == []
