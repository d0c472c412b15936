"""Maximum on-demand throughput: set by CreateTable and UpdateTable on the table and its indexes, removed with -1,
described on on-demand tables only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

from restore_sync_sandbox.extensions import dynamodb_on_demand_throughput

REGION = "us-east-1"
NONE = {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": -1}
INDEX: dict[str, Any] = {
    "IndexName": "by-status",
    "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
    "Projection": {"ProjectionType": "ALL"},
}


@pytest.fixture
def ddb() -> Iterator[Any]:
    dynamodb_on_demand_throughput.install()
    with mock_aws():
        yield boto3.client("dynamodb", region_name=REGION)


def create(ddb: Any, name: str, billing: str = "PAY_PER_REQUEST", **extra: Any) -> dict[str, Any]:
    if billing == "PROVISIONED":
        extra["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    attributes = ["pk", "status"] if "GlobalSecondaryIndexes" in extra else ["pk"]
    description: dict[str, Any] = ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in attributes],
        BillingMode=billing,
        **extra,
    )["TableDescription"]
    return description


def maxima(ddb: Any, name: str) -> tuple[Any, dict[str, Any]]:
    """The table's OnDemandThroughput (None when not described) and each index's, by name."""
    table = ddb.describe_table(TableName=name)["Table"]
    indexes = {i["IndexName"]: i.get("OnDemandThroughput") for i in table.get("GlobalSecondaryIndexes", [])}
    return table.get("OnDemandThroughput"), indexes


def chain(function: Any) -> list[Any]:
    """`function` and every function it wraps, outermost first (extensions wrap one another)."""
    found = [function]
    while hasattr(found[-1], "__wrapped__"):
        found.append(found[-1].__wrapped__)
    return found


def test_patched_moto_attributes_still_exist() -> None:
    for owner, names in dynamodb_on_demand_throughput.PATCHED.items():
        for name in names:
            assert callable(getattr(owner, name, None)), f"{owner.__name__}.{name}"
    dynamodb_on_demand_throughput.install()
    dynamodb_on_demand_throughput.install()
    assert hasattr(DynamoDBBackend, "update_on_demand_throughput")
    ours = dynamodb_on_demand_throughput.__name__
    for patched in (Table.describe, DynamoHandler.create_table, DynamoHandler.update_table):
        assert [f.__module__ for f in chain(patched)].count(ours) == 1, f"{patched.__name__}: wrapped once"


def test_an_on_demand_table_without_a_maximum_describes_minus_one(ddb: Any) -> None:
    created = create(ddb, "plain", GlobalSecondaryIndexes=[INDEX])
    assert created["OnDemandThroughput"] == NONE
    assert maxima(ddb, "plain") == (NONE, {"by-status": NONE})


def test_create_table_sets_the_table_and_index_maxima(ddb: Any) -> None:
    create(
        ddb,
        "bounded",
        OnDemandThroughput={"MaxReadRequestUnits": 400},
        GlobalSecondaryIndexes=[{**INDEX, "OnDemandThroughput": {"MaxWriteRequestUnits": 30}}],
    )
    assert maxima(ddb, "bounded") == (
        {"MaxReadRequestUnits": 400, "MaxWriteRequestUnits": -1},
        {"by-status": {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": 30}},
    )


def test_update_table_sets_keeps_and_removes_members(ddb: Any) -> None:
    create(ddb, "orders", GlobalSecondaryIndexes=[INDEX])
    updated = ddb.update_table(
        TableName="orders", OnDemandThroughput={"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 50}
    )["TableDescription"]
    assert updated["OnDemandThroughput"] == {"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 50}
    # A member left out keeps its value; -1 removes the maximum.
    ddb.update_table(TableName="orders", OnDemandThroughput={"MaxReadRequestUnits": -1})
    ddb.update_table(
        TableName="orders",
        GlobalSecondaryIndexUpdates=[
            {"Update": {"IndexName": "by-status", "OnDemandThroughput": {"MaxReadRequestUnits": 8}}}
        ],
    )
    assert maxima(ddb, "orders") == (
        {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": 50},
        {"by-status": {"MaxReadRequestUnits": 8, "MaxWriteRequestUnits": -1}},
    )


def test_an_index_created_by_update_table_gets_its_maximum(ddb: Any) -> None:
    create(ddb, "orders")
    ddb.update_table(
        TableName="orders",
        AttributeDefinitions=[{"AttributeName": "status", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {**INDEX, "OnDemandThroughput": {"MaxReadRequestUnits": 9}}}],
    )
    assert maxima(ddb, "orders")[1] == {"by-status": {"MaxReadRequestUnits": 9, "MaxWriteRequestUnits": -1}}


@pytest.mark.parametrize("value", [0, -2])
def test_a_value_neither_minus_one_nor_positive_is_refused(ddb: Any, value: int) -> None:
    create(ddb, "orders")
    with pytest.raises(ClientError) as refused:
        ddb.update_table(TableName="orders", OnDemandThroughput={"MaxWriteRequestUnits": value})
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "MaxWriteRequestUnits" in refused.value.response["Error"]["Message"]
    assert maxima(ddb, "orders")[0] == NONE


def test_a_provisioned_table_describes_no_maximum(ddb: Any) -> None:
    created = create(ddb, "provisioned", billing="PROVISIONED")
    assert "OnDemandThroughput" not in created
    assert maxima(ddb, "provisioned") == (None, {})


def test_other_updates_still_work(ddb: Any) -> None:
    create(ddb, "orders", OnDemandThroughput={"MaxReadRequestUnits": 10})
    ddb.update_table(TableName="orders", DeletionProtectionEnabled=True)
    table = ddb.describe_table(TableName="orders")["Table"]
    assert table["DeletionProtectionEnabled"] is True
    assert table["OnDemandThroughput"]["MaxReadRequestUnits"] == 10
