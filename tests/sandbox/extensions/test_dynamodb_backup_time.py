"""On-demand backups carry the sandbox clock's time, and so does the table restored from them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

from restore_sync_sandbox import clock
from restore_sync_sandbox.extensions import dynamodb_backup_time, dynamodb_restore

REGION = "us-east-1"


@pytest.fixture
def ddb() -> Iterator[Any]:
    dynamodb_backup_time.install()
    dynamodb_restore.install()
    previous = clock.use_clock(clock.Clock(virtual=True))
    try:
        with mock_aws():
            yield boto3.client("dynamodb", region_name=REGION)
    finally:
        clock.use_clock(previous)


def test_the_patched_moto_method_is_still_there(ddb: Any) -> None:
    assert DynamoDBBackend.create_backup.__module__ == dynamodb_backup_time.__name__


def test_a_backup_and_its_restore_are_stamped_with_the_sandbox_clock(ddb: Any) -> None:
    ddb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    clock.current().advance(3 * 24 * 3600)
    expected = clock.current().now()

    backup = ddb.create_backup(TableName="orders", BackupName="before-the-mistake")["BackupDetails"]
    described = ddb.describe_backup(BackupArn=backup["BackupArn"])["BackupDescription"]["BackupDetails"]
    restored = ddb.restore_table_from_backup(TargetTableName="orders-restored", BackupArn=backup["BackupArn"])

    for stamp in (
        backup["BackupCreationDateTime"],
        described["BackupCreationDateTime"],
        restored["TableDescription"]["RestoreSummary"]["RestoreDateTime"],
    ):
        assert abs(stamp.astimezone(UTC) - expected) < timedelta(seconds=5)
