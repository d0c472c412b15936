"""Warm throughput: described on every table and index, raised member by member, never lowered, and a new table's
own after a restore."""

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

from restore_sync_sandbox.extensions import dynamodb_restore, dynamodb_warm_throughput

REGION = "us-east-1"
START = {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000}
INDEX: dict[str, Any] = {
    "IndexName": "by-status",
    "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
    "Projection": {"ProjectionType": "ALL"},
}


@pytest.fixture
def ddb() -> Iterator[Any]:
    dynamodb_warm_throughput.install()
    dynamodb_restore.install()
    with mock_aws():
        yield boto3.client("dynamodb", region_name=REGION)


def create(ddb: Any, name: str, billing: str = "PAY_PER_REQUEST", **extra: Any) -> None:
    index = dict(INDEX)
    if billing == "PROVISIONED":
        extra["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 3}
        index["ProvisionedThroughput"] = {"ReadCapacityUnits": 2, "WriteCapacityUnits": 1}
    if "WarmThroughput" in extra.get("index", {}):
        index["WarmThroughput"] = extra.pop("index")["WarmThroughput"]
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "status")],
        BillingMode=billing,
        GlobalSecondaryIndexes=[index],
        **extra,
    )


def warm(ddb: Any, name: str) -> tuple[dict[str, int], dict[str, int]]:
    """The table's and its index's warm throughput as DescribeTable shows them (Status checked, then left out)."""
    table = ddb.describe_table(TableName=name)["Table"]
    [index] = table["GlobalSecondaryIndexes"]
    found = []
    for described in (table["WarmThroughput"], index["WarmThroughput"]):
        assert described["Status"] == "ACTIVE"
        found.append({k: v for k, v in described.items() if k != "Status"})
    return found[0], found[1]


def chain(function: Any) -> list[Any]:
    found = [function]
    while hasattr(found[-1], "__wrapped__"):
        found.append(found[-1].__wrapped__)
    return found


def test_patched_moto_attributes_still_exist() -> None:
    for owner, names in dynamodb_warm_throughput.PATCHED.items():
        for name in names:
            assert callable(getattr(owner, name, None)), f"{owner.__name__}.{name}"
    dynamodb_warm_throughput.install()
    dynamodb_warm_throughput.install()
    assert hasattr(DynamoDBBackend, "update_warm_throughput")
    ours = dynamodb_warm_throughput.__name__
    for patched in (Table.describe, DynamoHandler.update_table):
        assert [f.__module__ for f in chain(patched)].count(ours) == 1, f"{patched.__name__}: wrapped once"


def test_a_new_table_starts_where_aws_says(ddb: Any) -> None:
    create(ddb, "on-demand")
    assert warm(ddb, "on-demand") == (START, START)
    create(ddb, "provisioned", billing="PROVISIONED")
    assert warm(ddb, "provisioned") == (
        {"ReadUnitsPerSecond": 5, "WriteUnitsPerSecond": 3},
        {"ReadUnitsPerSecond": 2, "WriteUnitsPerSecond": 1},
    )


def test_create_and_update_raise_member_by_member(ddb: Any) -> None:
    create(
        ddb,
        "warm",
        WarmThroughput={"ReadUnitsPerSecond": 20000},
        index={"WarmThroughput": {"WriteUnitsPerSecond": 6000}},
    )
    assert warm(ddb, "warm") == (
        {"ReadUnitsPerSecond": 20000, "WriteUnitsPerSecond": 4000},
        {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 6000},
    )
    response = ddb.update_table(
        TableName="warm",
        WarmThroughput={"WriteUnitsPerSecond": 9000},
        GlobalSecondaryIndexUpdates=[
            {"Update": {"IndexName": "by-status", "WarmThroughput": {"ReadUnitsPerSecond": 30000}}}
        ],
    )
    assert response["TableDescription"]["WarmThroughput"]["WriteUnitsPerSecond"] == 9000
    assert warm(ddb, "warm") == (
        {"ReadUnitsPerSecond": 20000, "WriteUnitsPerSecond": 9000},
        {"ReadUnitsPerSecond": 30000, "WriteUnitsPerSecond": 6000},
    )
    # Restating the current value is accepted.
    ddb.update_table(TableName="warm", WarmThroughput={"ReadUnitsPerSecond": 20000, "WriteUnitsPerSecond": 9000})
    assert warm(ddb, "warm")[0] == {"ReadUnitsPerSecond": 20000, "WriteUnitsPerSecond": 9000}


@pytest.mark.parametrize(
    ("update", "member", "where"),
    [
        ({"WarmThroughput": {"ReadUnitsPerSecond": 19999}}, "ReadUnitsPerSecond", "table"),
        ({"WarmThroughput": {"ReadUnitsPerSecond": 25000, "WriteUnitsPerSecond": 10}}, "WriteUnitsPerSecond", "table"),
        (
            {
                "GlobalSecondaryIndexUpdates": [
                    {"Update": {"IndexName": "by-status", "WarmThroughput": {"WriteUnitsPerSecond": 100}}}
                ]
            },
            "WriteUnitsPerSecond",
            "index by-status",
        ),
    ],
)
def test_lowering_is_refused_as_aws_refuses_it_and_changes_nothing(
    ddb: Any, update: dict[str, Any], member: str, where: str
) -> None:
    create(ddb, "warm", WarmThroughput={"ReadUnitsPerSecond": 20000})
    before = warm(ddb, "warm")
    with pytest.raises(ClientError) as raised:
        ddb.update_table(TableName="warm", **update)
    error = raised.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        f"One or more parameter values were invalid: Requested {member} for WarmThroughput for {where} is lower "
        "than current WarmThroughput, decreasing WarmThroughput is not supported"
    )
    assert warm(ddb, "warm") == before


def test_raising_the_capacity_raises_the_warm_throughput_and_lowering_it_does_not_lower_it(ddb: Any) -> None:
    create(ddb, "provisioned", billing="PROVISIONED")
    ddb.update_table(TableName="provisioned", ProvisionedThroughput={"ReadCapacityUnits": 50, "WriteCapacityUnits": 3})
    assert warm(ddb, "provisioned")[0] == {"ReadUnitsPerSecond": 50, "WriteUnitsPerSecond": 3}
    ddb.update_table(TableName="provisioned", ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 3})
    assert warm(ddb, "provisioned")[0] == {"ReadUnitsPerSecond": 50, "WriteUnitsPerSecond": 3}


def test_the_backend_method_checks_everything_before_applying_anything(ddb: Any) -> None:
    create(ddb, "warm")
    backend = dynamodb_restore.dynamodb_backends["123456789012"][REGION]
    with pytest.raises(Exception, match="decreasing WarmThroughput is not supported"):
        backend.update_warm_throughput(
            "warm", {"ReadUnitsPerSecond": 15000}, {"by-status": {"ReadUnitsPerSecond": 11000}}
        )
    assert warm(ddb, "warm") == (START, START)
    backend.update_warm_throughput("warm", {"ReadUnitsPerSecond": 15000}, {"by-status": {"ReadUnitsPerSecond": 13000}})
    assert warm(ddb, "warm") == ({**START, "ReadUnitsPerSecond": 15000}, {**START, "ReadUnitsPerSecond": 13000})


def test_a_point_in_time_restore_starts_like_a_new_table(ddb: Any) -> None:
    create(
        ddb,
        "source",
        WarmThroughput={"ReadUnitsPerSecond": 40000, "WriteUnitsPerSecond": 9000},
        index={"WarmThroughput": {"ReadUnitsPerSecond": 30000, "WriteUnitsPerSecond": 8000}},
    )
    ddb.update_continuous_backups(
        TableName="source", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    ddb.restore_table_to_point_in_time(
        SourceTableName="source", TargetTableName="restored", UseLatestRestorableTime=True
    )
    assert warm(ddb, "restored") == (START, START)
    assert warm(ddb, "source")[0] == {"ReadUnitsPerSecond": 40000, "WriteUnitsPerSecond": 9000}
    with pytest.raises(ClientError) as raised:
        ddb.restore_table_to_point_in_time(
            SourceTableName="source",
            TargetTableName="refused",
            UseLatestRestorableTime=True,
            GlobalSecondaryIndexOverride=[{**INDEX, "WarmThroughput": {"ReadUnitsPerSecond": 30000}}],
        )
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "refused" not in ddb.list_tables()["TableNames"]


def test_a_provisioned_restore_starts_at_its_capacity_and_a_backup_override_warms_an_index(ddb: Any) -> None:
    create(ddb, "source", billing="PROVISIONED", WarmThroughput={"ReadUnitsPerSecond": 900, "WriteUnitsPerSecond": 90})
    backup = ddb.create_backup(TableName="source", BackupName="backup")["BackupDetails"]["BackupArn"]
    ddb.restore_table_from_backup(TargetTableName="restored", BackupArn=backup)
    assert warm(ddb, "restored") == (
        {"ReadUnitsPerSecond": 5, "WriteUnitsPerSecond": 3},
        {"ReadUnitsPerSecond": 2, "WriteUnitsPerSecond": 1},
    )
    override = {
        **INDEX,
        "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 1},
        "WarmThroughput": {"ReadUnitsPerSecond": 70, "WriteUnitsPerSecond": 7},
    }
    ddb.restore_table_from_backup(
        TargetTableName="overridden", BackupArn=backup, GlobalSecondaryIndexOverride=[override]
    )
    assert warm(ddb, "overridden")[1] == {"ReadUnitsPerSecond": 70, "WriteUnitsPerSecond": 7}
