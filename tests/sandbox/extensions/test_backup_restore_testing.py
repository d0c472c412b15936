"""AWS Backup restore testing: plans, selections, a run's restore jobs, validation results, and the deletion."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.backup import urls as backup_urls
from moto.backup.responses import BackupResponse

from restore_sync_sandbox import clock
from restore_sync_sandbox.extensions import backup_restore_jobs, backup_restore_testing, dynamodb_restore

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/AWSBackupDefaultServiceRole"
DOC = Path(__file__).resolve().parents[3] / "docs" / "sandbox-backup.md"


@pytest.fixture(autouse=True)
def aws() -> Iterator[clock.Clock]:
    backup_restore_testing.install()
    previous = clock.use_clock(clock.Clock(virtual=True))
    try:
        with mock_aws():
            yield clock.current()
    finally:
        backup_restore_jobs.reset()
        dynamodb_restore.reset()
        clock.use_clock(previous)


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")


def protected_table(name: str = "orders", tags: dict[str, str] | None = None) -> tuple[str, str]:
    """A table with an item, backed up into a vault: its ARN and its recovery point's."""
    ddb, backup = client("dynamodb"), client("backup")
    arn: str = ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    )["TableDescription"]["TableArn"]
    ddb.put_item(TableName=name, Item={"pk": {"S": "o-1"}})
    vaults = [v["BackupVaultName"] for v in backup.list_backup_vaults()["BackupVaultList"]]
    if "tests" not in vaults:
        backup.create_backup_vault(BackupVaultName="tests")
    point: str = backup.start_backup_job(BackupVaultName="tests", ResourceArn=arn, IamRoleArn=ROLE)["RecoveryPointArn"]
    return arn, point


def plan(name: str = "nightly", window_hours: int = 2, **selection: Any) -> str:
    backup = client("backup")
    arn: str = backup.create_restore_testing_plan(
        RestoreTestingPlan={
            "RestoreTestingPlanName": name,
            "ScheduleExpression": "cron(0 5 ? * * *)",
            "RecoveryPointSelection": {
                "Algorithm": "LATEST_WITHIN_WINDOW",
                "IncludeVaults": ["*"],
                "RecoveryPointTypes": ["SNAPSHOT"],
                "SelectionWindowDays": 7,
            },
        }
    )["RestoreTestingPlanArn"]
    backup.create_restore_testing_selection(
        RestoreTestingPlanName=name,
        RestoreTestingSelection={
            "RestoreTestingSelectionName": "tables",
            "ProtectedResourceType": "DynamoDB",
            "IamRoleArn": ROLE,
            "ValidationWindowHours": window_hours,
            **selection,
        },
    )
    return arn


def error_code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_moto_still_has_what_the_extension_patches() -> None:
    assert isinstance(backup_urls.url_paths, dict)
    assert callable(getattr(BackupResponse, "describe_restore_job", None))
    assert any("restore-testing" in pattern for pattern in backup_urls.url_paths)


def test_plans_and_selections_read_back_as_created() -> None:
    table, _ = protected_table()
    arn = plan(ProtectedResourceArns=[table], RestoreMetadataOverrides={"encryptionType": "Default"})
    backup = client("backup")

    got = backup.get_restore_testing_plan(RestoreTestingPlanName="nightly")["RestoreTestingPlan"]
    selection = backup.get_restore_testing_selection(
        RestoreTestingPlanName="nightly", RestoreTestingSelectionName="tables"
    )

    assert arn.startswith(f"arn:aws:backup:{REGION}:{ACCOUNT}:restore-testing-plan:nightly-")
    assert got["RestoreTestingPlanArn"] == arn
    assert got["RecoveryPointSelection"]["Algorithm"] == "LATEST_WITHIN_WINDOW"
    assert selection["RestoreTestingSelection"]["ProtectedResourceArns"] == [table]
    assert selection["RestoreTestingSelection"]["ValidationWindowHours"] == 2
    assert [p["RestoreTestingPlanName"] for p in backup.list_restore_testing_plans()["RestoreTestingPlans"]] == [
        "nightly"
    ]
    listed = backup.list_restore_testing_selections(RestoreTestingPlanName="nightly")["RestoreTestingSelections"]
    assert [s["RestoreTestingSelectionName"] for s in listed] == ["tables"]


def test_plan_names_are_refused_as_aws_refuses_them() -> None:
    backup = client("backup")
    plan(ProtectedResourceArns=["*"])
    with pytest.raises(ClientError) as duplicate:
        plan(ProtectedResourceArns=["*"])
    with pytest.raises(ClientError) as malformed:
        plan(name="not-allowed", ProtectedResourceArns=["*"])
    with pytest.raises(ClientError) as unknown:
        backup.get_restore_testing_plan(RestoreTestingPlanName="missing")

    assert error_code(duplicate) == "AlreadyExistsException"
    assert error_code(malformed) == "InvalidParameterValueException"
    assert error_code(unknown) == "ResourceNotFoundException"


def test_a_run_restores_each_selected_table_into_a_restore_test_table_naming_the_plan() -> None:
    table, point = protected_table(tags={"restore-test": "yes"})
    protected_table("ignored", tags={"restore-test": "no"})
    arn = plan(
        ProtectedResourceArns=["*"],
        ProtectedResourceConditions={"StringEquals": [{"Key": "restore-test", "Value": "yes"}]},
    )
    events = client("events")
    queue = client("sqs").create_queue(QueueName="seen")["QueueUrl"]
    queue_arn = client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name="completed", EventPattern=json.dumps({"source": ["aws.backup"], "detail": {"status": ["COMPLETED"]}})
    )
    events.put_targets(Rule="completed", Targets=[{"Id": "q", "Arn": queue_arn}])

    jobs = backup_restore_testing.run_restore_testing_plan(ACCOUNT, REGION, "nightly")

    assert len(jobs) == 1
    job = client("backup").describe_restore_job(RestoreJobId=jobs[0])
    assert job["CreatedBy"] == {"RestoreTestingPlanArn": arn}
    assert job["RecoveryPointArn"] == point
    assert job["SourceResourceArn"] == table
    assert job["Status"] == "COMPLETED"
    restored = job["CreatedResourceArn"].split("/")[-1]
    assert restored.startswith("awsbackup-restore-test-")
    assert client("dynamodb").describe_table(TableName=restored)["Table"]["ItemCount"] >= 0
    messages = client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    detail = json.loads(messages[0]["Body"])["detail"]
    assert detail["restoreTestingPlanArn"] == arn
    assert detail["restoreJobId"] == jobs[0]
    listed = client("backup").list_restore_jobs(ByRestoreTestingPlanArn=arn)["RestoreJobs"]
    assert [j["RestoreJobId"] for j in listed] == jobs
    assert client("backup").get_restore_testing_plan(RestoreTestingPlanName="nightly")["RestoreTestingPlan"][
        "LastExecutionTime"
    ]


def test_a_validation_result_is_kept_and_the_restored_table_deleted() -> None:
    table, _ = protected_table()
    plan(ProtectedResourceArns=[table])
    [job_id] = backup_restore_testing.run_restore_testing_plan(ACCOUNT, REGION, "nightly")
    backup = client("backup")
    restored = backup.describe_restore_job(RestoreJobId=job_id)["CreatedResourceArn"].split("/")[-1]

    backup.put_restore_validation_result(RestoreJobId=job_id, ValidationStatus="VALIDATING")
    still_there = client("dynamodb").describe_table(TableName=restored)["Table"]["TableName"]
    backup.put_restore_validation_result(
        RestoreJobId=job_id, ValidationStatus="FAILED", ValidationStatusMessage="ttl: no settings"
    )

    job = backup.describe_restore_job(RestoreJobId=job_id)
    assert still_there == restored
    assert (job["ValidationStatus"], job["ValidationStatusMessage"]) == ("FAILED", "ttl: no settings")
    assert job["DeletionStatus"] == "SUCCESSFUL"
    assert restored not in client("dynamodb").list_tables()["TableNames"]
    with pytest.raises(ClientError) as again:
        backup.put_restore_validation_result(RestoreJobId=job_id, ValidationStatus="SUCCESSFUL")
    assert error_code(again) == "InvalidRequestException"


def test_the_window_closing_deletes_the_table_and_times_the_validation_out(aws: clock.Clock) -> None:
    table, _ = protected_table()
    plan(ProtectedResourceArns=[table], window_hours=2)
    [job_id] = backup_restore_testing.run_restore_testing_plan(ACCOUNT, REGION, "nightly")
    backup = client("backup")

    aws.advance(timedelta(hours=1).total_seconds())
    before = backup.describe_restore_job(RestoreJobId=job_id)
    aws.advance(timedelta(hours=1, seconds=1).total_seconds())
    after = backup.describe_restore_job(RestoreJobId=job_id)

    assert "DeletionStatus" not in before
    assert "ValidationStatus" not in before
    assert (after["ValidationStatus"], after["DeletionStatus"]) == ("TIMED_OUT", "SUCCESSFUL")
    assert after["CreatedResourceArn"].split("/")[-1] not in client("dynamodb").list_tables()["TableNames"]


def test_a_result_for_a_job_restore_testing_did_not_start_is_refused() -> None:
    _, point = protected_table()
    backup = client("backup")
    job_id = backup.start_restore_job(
        RecoveryPointArn=point, Metadata={"targetTableName": "orders-restored"}, IamRoleArn=ROLE
    )["RestoreJobId"]

    with pytest.raises(ClientError) as refused:
        backup.put_restore_validation_result(RestoreJobId=job_id, ValidationStatus="SUCCESSFUL")
    with pytest.raises(ClientError) as unknown:
        backup.put_restore_validation_result(RestoreJobId="no-such-job", ValidationStatus="SUCCESSFUL")

    assert error_code(refused) == "InvalidRequestException"
    assert error_code(unknown) == "ResourceNotFoundException"
    assert "CreatedBy" not in backup.describe_restore_job(RestoreJobId=job_id)


def test_a_result_before_the_restore_completed_is_refused() -> None:
    table, _ = protected_table()
    plan(ProtectedResourceArns=[table])
    dynamodb_restore.configure(restore_seconds=300)
    [job_id] = backup_restore_testing.run_restore_testing_plan(ACCOUNT, REGION, "nightly")

    with pytest.raises(ClientError) as refused:
        client("backup").put_restore_validation_result(RestoreJobId=job_id, ValidationStatus="SUCCESSFUL")

    assert error_code(refused) == "InvalidRequestException"
    assert "RUNNING" in str(refused.value)


def test_the_example_in_the_docs_runs_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(r"```python\n(.*?)```", text[text.index("## Restore testing") :], re.DOTALL)
    assert found, f"{DOC} has no restore testing example"

    exec(compile(found.group(1), str(DOC), "exec"), {})

    assert capsys.readouterr().out.split("\n")[:3] == ["COMPLETED payments_weekly", "True", "SUCCESSFUL SUCCESSFUL"]
