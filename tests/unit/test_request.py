"""Normalize: CloudTrail events and manual input become one request shape, or a clear ValidationError."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from restore_sync.aws import Aws
from restore_sync.errors import UnusableEvent, ValidationError
from restore_sync.settings import NAMES
from restore_sync.workflow.request import normalize
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
    """The request (or why it is ignored) as the state machine receives it."""
    return normalize(
        aws, raw, region="us-east-1", account=ACCOUNT, started_at=STARTED, default_settings=NAMES
    ).to_dict()


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
        "settingsFrom": "auto",
        "grantRecordedAccess": False,
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
    assert normalize(aws, event, triggers_disabled=True, **common).to_dict()["triggersDisabled"] is True
    manual = {"targetTableName": "orders-restored", "sourceTableName": "orders"}
    assert normalize(aws, manual, triggers_disabled=True, **common).to_dict()["triggersDisabled"] is True
    chosen = {**manual, "triggersDisabled": False}
    assert normalize(aws, chosen, triggers_disabled=True, **common).to_dict()["triggersDisabled"] is False


def test_recorded_access_is_granted_only_when_a_manual_input_says_so(aws: Aws) -> None:
    assert run(aws, load_event("cloudtrail_restore_pitr_by_name"))["grantRecordedAccess"] is False
    manual = {"targetTableName": "orders-restored", "sourceTableName": "orders"}
    assert run(aws, manual)["grantRecordedAccess"] is False
    assert run(aws, {**manual, "grantRecordedAccess": True})["grantRecordedAccess"] is True
    with pytest.raises(ValidationError, match="grantRecordedAccess: 'yes' is not of type 'boolean'"):
        run(aws, {**manual, "grantRecordedAccess": "yes"})


def test_manual_input_lists_every_problem(aws: Aws) -> None:
    with pytest.raises(ValidationError) as raised:
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
    with pytest.raises(ValidationError, match=needle):
        run(aws, raw)


def test_a_refusal_names_every_problem_at_once(aws: Aws) -> None:
    with pytest.raises(ValidationError) as raised:
        run(aws, {"targetTableName": "missing-table", "sourceTableName": "missing-table", "settings": ["bogus"]})
    text = " | ".join(raised.value.problems)
    assert len(raised.value.problems) == 3, text
    assert "'bogus' is not a setting" in text
    assert "the same table" in text
    assert "target table missing-table does not exist" in text


def tag_source(value: str) -> None:
    boto3.client("dynamodb", region_name="us-east-1").tag_resource(
        ResourceArn=f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders",
        Tags=[{"Key": "restore-sync:settings", "Value": value}],
    )


def test_a_source_tagged_none_is_not_synced(aws: Aws) -> None:
    tag_source("none")
    request = run(aws, load_event("cloudtrail_restore_pitr_by_name"))
    assert request["ignored"] is True
    assert "restore-sync:settings=none" in request["reason"]


def test_a_source_tag_narrows_the_settings(aws: Aws) -> None:
    tag_source("ttl stream+triggers")
    assert run(aws, load_event("cloudtrail_restore_pitr_by_name"))["settings"] == ["stream", "ttl", "triggers"]


def test_a_manual_start_chooses_its_own_settings_whatever_the_tag(aws: Aws) -> None:
    tag_source("none")
    request = run(aws, {"targetTableName": "orders-restored", "sourceTableName": "orders", "settings": ["pitr"]})
    assert request["ignored"] is False
    assert request["settings"] == ["pitr"]


def test_a_tag_naming_unknown_settings_is_refused_with_the_way_to_fix_it(aws: Aws) -> None:
    tag_source("ttl, stream")
    with pytest.raises(UnusableEvent, match="separated by spaces or '\\+'"):
        run(aws, load_event("cloudtrail_restore_pitr_by_name"))


def test_an_aws_backup_restore_job(aws: Aws) -> None:
    request = run(aws, load_event("backup_restore_job_completed"))
    assert request["trigger"] == "AWSBackupRestoreJob"
    assert request["targetTableArn"] == f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders-restored"
    assert request["sourceTableArn"] == f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"
    assert request["requestedAt"] == "2026-11-20T10:00:00.000Z"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": "RUNNING"}, "RUNNING"),
        ({"resourceType": "EFS"}, "not an AWS Backup restore of a DynamoDB table"),
    ],
)
def test_backup_events_that_are_not_a_completed_table_restore_are_ignored(
    aws: Aws, change: dict[str, Any], reason: str
) -> None:
    event = load_event("backup_restore_job_completed")
    event["detail"].update(change)
    request = run(aws, event)
    assert request["ignored"] is True
    assert reason in request["reason"]


def test_a_backup_event_without_the_restored_table_is_unusable(aws: Aws) -> None:
    event = load_event("backup_restore_job_completed")
    del event["detail"]["createdResourceArn"]
    with pytest.raises(UnusableEvent, match="names no restored table"):
        run(aws, event)
