"""Table classes: stored by CreateTable and UpdateTable, described as TableClassSummary, never restored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

from restore_sync_sandbox.extensions import dynamodb_restore, dynamodb_table_class

REGION = "us-east-1"
IA = "STANDARD_INFREQUENT_ACCESS"


@pytest.fixture
def ddb() -> Iterator[Any]:
    dynamodb_table_class.install()
    with mock_aws():
        yield boto3.client("dynamodb", region_name=REGION)


def create(ddb: Any, name: str, **extra: Any) -> dict[str, Any]:
    description: dict[str, Any] = ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )["TableDescription"]
    return description


def summary(ddb: Any, name: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = ddb.describe_table(TableName=name)["Table"].get("TableClassSummary")
    return found


def chain(function: Any) -> list[Any]:
    """`function` and every function it wraps, outermost first."""
    found = [function]
    while hasattr(found[-1], "__wrapped__"):
        found.append(found[-1].__wrapped__)
    return found


def test_patched_moto_attributes_still_exist() -> None:
    for owner, names in dynamodb_table_class.PATCHED.items():
        for name in names:
            assert callable(getattr(owner, name, None)), f"{owner.__name__}.{name}"
    dynamodb_table_class.install()
    dynamodb_table_class.install()
    assert hasattr(DynamoDBBackend, "update_table_class")
    # Other extensions wrap the same functions: this one is in each chain once.
    assert dynamodb_table_class.create_table in chain(DynamoHandler.create_table)
    ours = dynamodb_table_class.__name__
    assert [f.__module__ for f in chain(Table.describe)].count(ours) == 1, "describe wrapped twice"


def test_a_table_without_a_class_has_no_summary(ddb: Any) -> None:
    assert "TableClassSummary" not in create(ddb, "plain")
    assert summary(ddb, "plain") is None


def test_create_table_stores_the_class(ddb: Any) -> None:
    created = create(ddb, "cold", TableClass=IA)
    assert created["TableClassSummary"] == {"TableClass": IA}
    assert summary(ddb, "cold") == {"TableClass": IA}


def test_standard_on_a_never_set_table_changes_nothing(ddb: Any) -> None:
    create(ddb, "plain")
    ddb.update_table(TableName="plain", TableClass="STANDARD")
    assert summary(ddb, "plain") is None


def test_update_table_changes_the_class_and_records_when(ddb: Any) -> None:
    arn = create(ddb, "orders")["TableArn"]
    updated = ddb.update_table(TableName="orders", TableClass=IA)["TableDescription"]
    assert updated["TableClassSummary"]["TableClass"] == IA
    first = summary(ddb, "orders")
    assert first is not None
    assert first["TableClass"] == IA
    assert isinstance(first["LastUpdateDateTime"], datetime)
    # By ARN, as every DynamoDB table API accepts.
    ddb.update_table(TableName=arn, TableClass="STANDARD")
    second = summary(ddb, "orders")
    assert second is not None
    assert second["TableClass"] == "STANDARD"
    assert second["LastUpdateDateTime"] >= first["LastUpdateDateTime"]


def test_an_unknown_class_is_refused(ddb: Any) -> None:
    with pytest.raises(ClientError) as error:
        create(ddb, "bad", TableClass="GLACIER")
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert "STANDARD_INFREQUENT_ACCESS" in error.value.response["Error"]["Message"]
    assert "bad" not in ddb.list_tables()["TableNames"]
    create(ddb, "orders")
    with pytest.raises(ClientError) as error:
        ddb.update_table(TableName="orders", TableClass="GLACIER")
    assert error.value.response["Error"]["Code"] == "ValidationException"


def test_the_class_is_not_changed_together_with_other_properties(ddb: Any) -> None:
    create(ddb, "orders")
    with pytest.raises(ClientError) as error:
        ddb.update_table(TableName="orders", TableClass=IA, DeletionProtectionEnabled=True)
    assert error.value.response["Error"]["Code"] == "ValidationException"
    table = ddb.describe_table(TableName="orders")["Table"]
    assert "TableClassSummary" not in table
    assert table["DeletionProtectionEnabled"] is False


def test_other_updates_still_work(ddb: Any) -> None:
    create(ddb, "orders", TableClass=IA)
    ddb.update_table(TableName="orders", DeletionProtectionEnabled=True)
    table = ddb.describe_table(TableName="orders")["Table"]
    assert table["DeletionProtectionEnabled"] is True
    assert table["TableClassSummary"] == {"TableClass": IA}


def test_missing_table_is_resource_not_found(ddb: Any) -> None:
    with pytest.raises(ClientError) as error:
        ddb.update_table(TableName="nope", TableClass=IA)
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_restored_tables_are_standard(ddb: Any) -> None:
    dynamodb_restore.install()
    create(ddb, "orders", TableClass=IA)
    ddb.update_continuous_backups(
        TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    restored = ddb.restore_table_to_point_in_time(
        SourceTableName="orders", TargetTableName="orders-pitr", UseLatestRestorableTime=True
    )["TableDescription"]
    assert "TableClassSummary" not in restored
    assert summary(ddb, "orders-pitr") is None
    backup = ddb.create_backup(TableName="orders", BackupName="nightly")["BackupDetails"]["BackupArn"]
    ddb.restore_table_from_backup(TargetTableName="orders-backup", BackupArn=backup)
    assert summary(ddb, "orders-backup") is None
    assert summary(ddb, "orders") == {"TableClass": IA}
