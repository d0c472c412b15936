"""Normalize: CloudTrail events and manual input become one request shape, or a clear InvalidRequest."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from restore_sync.aws import Aws
from restore_sync.errors import InvalidRequest
from restore_sync.request import normalize
from restore_sync.settings import NAMES
from tests.helpers import load_event

ACCOUNT = "123456789012"
STARTED = "2026-11-20T10:00:05.123Z"


@pytest.fixture
def aws() -> Iterator[Aws]:
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        for name in ("orders", "orders-restored"):
            ddb.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        yield Aws(region="us-east-1")


def run(aws: Aws, raw: Any) -> dict[str, Any]:
    return normalize(aws, raw, region="us-east-1", account=ACCOUNT, started_at=STARTED, default_settings=NAMES)


def test_point_in_time_restore_by_name(aws: Aws) -> None:
    request = run(aws, load_event("cloudtrail_restore_pitr_by_name"))
    assert request == {
        "ignored": False,
        "trigger": "RestoreTableToPointInTime",
        "targetTableName": "orders-restored",
        "targetTableArn": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders-restored",
        "sourceTableName": "orders",
        "sourceTableArn": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders",
        "region": "us-east-1",
        "settings": list(NAMES),
        "dryRun": False,
        "requestedAt": "2026-11-20T10:00:00Z",
        "triggersDisabled": False,
    }


def test_point_in_time_restore_by_arn_from_another_region(aws: Aws) -> None:
    request = run(aws, load_event("cloudtrail_restore_pitr_by_arn_cross_region"))
    assert request["sourceTableArn"] == f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/orders"
    assert request["targetTableName"] == "orders.restored_2026-11-20"
    assert request["region"] == "us-east-1"


def test_restore_from_backup_finds_the_source_in_the_backup(aws: Aws) -> None:
    backup = boto3.client("dynamodb", region_name="us-east-1").create_backup(TableName="orders", BackupName="nightly")
    event = load_event("cloudtrail_restore_pitr_by_name")
    event["detail"]["eventName"] = "RestoreTableFromBackup"
    event["detail"]["requestParameters"] = {
        "targetTableName": "orders-restored",
        "backupArn": backup["BackupDetails"]["BackupArn"],
    }
    request = run(aws, event)
    assert request["trigger"] == "RestoreTableFromBackup"
    assert request["sourceTableArn"] == f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"


def test_failed_restore_calls_are_ignored(aws: Aws) -> None:
    request = run(aws, load_event("cloudtrail_restore_failed"))
    assert request["ignored"] is True
    assert "PointInTimeRecoveryUnavailableException" in request["reason"]


def test_other_calls_are_ignored(aws: Aws) -> None:
    event = load_event("cloudtrail_restore_pitr_by_name")
    event["detail"]["eventName"] = "CreateTable"
    assert run(aws, event)["ignored"] is True


def test_manual_input(aws: Aws) -> None:
    request = run(
        aws, {"targetTableName": "orders-restored", "sourceTableName": "orders", "settings": ["ttl"], "dryRun": True}
    )
    assert request["trigger"] == "manual"
    assert request["settings"] == ["ttl"]
    assert request["dryRun"] is True
    assert request["requestedAt"] == STARTED


def test_triggers_disabled_comes_from_the_deployment_unless_the_input_says(aws: Aws) -> None:
    event = load_event("cloudtrail_restore_pitr_by_name")
    common = {"region": "us-east-1", "account": ACCOUNT, "started_at": STARTED, "default_settings": NAMES}
    assert normalize(aws, event, triggers_disabled=True, **common)["triggersDisabled"] is True
    manual = {"targetTableName": "orders-restored", "sourceTableName": "orders"}
    assert normalize(aws, manual, triggers_disabled=True, **common)["triggersDisabled"] is True
    chosen = {**manual, "triggersDisabled": False}
    assert normalize(aws, chosen, triggers_disabled=True, **common)["triggersDisabled"] is False


def test_manual_input_lists_every_problem(aws: Aws) -> None:
    with pytest.raises(InvalidRequest) as raised:
        run(aws, {"targetTableName": "no", "sourceTableName": "orders", "settings": ["ttl", "bogus"], "colour": 1})
    problems = raised.value.problems
    assert len(problems) == 3
    text = " ".join(problems)
    assert "colour" in text
    assert "targetTableName" in text
    assert "bogus" in text


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"targetTableName": "orders-restored"}, "exactly one of sourceTableName or sourceTableArn"),
        (
            {"targetTableName": "orders-restored", "sourceTableName": "orders", "sourceTableArn": "x"},
            "sourceTableArn",
        ),
        ({"targetTableName": "orders-restored", "sourceTableArn": "arn:aws:s3:::bucket"}, "sourceTableArn"),
        ({"targetTableName": "orders", "sourceTableName": "orders"}, "the same table"),
        ({"targetTableName": "missing-table", "sourceTableName": "orders"}, "does not exist"),
        ({"targetTableName": "orders-restored", "sourceTableName": "orders", "dryRun": "yes"}, "dryRun"),
        ("just a string", "input"),
    ],
)
def test_invalid_manual_input_is_refused_with_a_reason(aws: Aws, raw: Any, needle: str) -> None:
    with pytest.raises(InvalidRequest, match=needle):
        run(aws, raw)
