"""AWS Backup restore testing: a restore test's table is planned as a dry run (no governance stack), checked, and the
result reported to AWS Backup, which then deletes the table; a test that finds a real restore could not be made
whole reports FAILED with the reason."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest

from restore_sync.aws import TableRef
from restore_sync.settings import NAMES, REGISTRY, Retarget
from restore_sync.table import table_document
from restore_sync_sandbox import clock, examples
from restore_sync_sandbox.extensions import backup_restore_testing
from restore_sync_sandbox.server import Sandbox
from restore_sync_tools.cli import main
from tests.sandbox import app

ROLE = "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"


@pytest.fixture(scope="module")
def deployed(sandbox: Sandbox) -> dict[str, str]:
    return app.deploy(sandbox)


def restore_tested(sandbox: Sandbox, source: str) -> dict[str, Any]:
    """`source` backed up, then restored by a restore testing plan run now (a validation window of 4 hours); returns
    the restore job once restore-sync has reported on it."""
    backup = sandbox.client("backup")
    clock.current().advance(60)
    backup.create_backup_vault(BackupVaultName=f"{source}-vault")
    backup.start_backup_job(BackupVaultName=f"{source}-vault", ResourceArn=app.arn(source), IamRoleArn=ROLE)
    backup.create_restore_testing_plan(
        RestoreTestingPlan={
            "RestoreTestingPlanName": f"{source}_nightly",
            "ScheduleExpression": "cron(0 5 ? * * *)",
            "RecoveryPointSelection": {"Algorithm": "LATEST_WITHIN_WINDOW", "IncludeVaults": ["*"]},
        }
    )
    backup.create_restore_testing_selection(
        RestoreTestingPlanName=f"{source}_nightly",
        RestoreTestingSelection={
            "RestoreTestingSelectionName": "tables",
            "ProtectedResourceType": "DynamoDB",
            "ProtectedResourceArns": [app.arn(source)],
            "IamRoleArn": ROLE,
            "ValidationWindowHours": 4,
        },
    )
    [job_id] = backup_restore_testing.run_restore_testing_plan(sandbox.account_id, sandbox.region, f"{source}_nightly")
    return backup.describe_restore_job(RestoreJobId=job_id)


def executions(sandbox: Sandbox, deployed: dict[str, str], target: str) -> dict[str, dict[str, Any]]:
    """Both executions for the restore test's table, by what started them: the job's event and CloudTrail's record
    of the restore AWS Backup made."""
    found = app.finished_executions(sandbox, deployed["StateMachineArn"], target, count=2)
    return {json.loads(e["input"])["detail-type"]: e for e in found}


def validated(sandbox: Sandbox, job_id: str) -> dict[str, Any]:
    """The restore job once restore-sync's result is in it."""
    backup = sandbox.client("backup")
    for _ in range(app.POLL_ATTEMPTS):
        job: dict[str, Any] = backup.describe_restore_job(RestoreJobId=job_id)
        if job.get("ValidationStatus"):
            return job
        time.sleep(app.POLL_SECONDS)
    raise AssertionError(f"restore job {job_id} was never validated")


def wanted_from_source(sandbox: Sandbox, source: str, target: str) -> dict[str, Any]:
    """Every setting of `source` as a table restored from it under the name `target` should have it."""
    ddb = sandbox.client("dynamodb")
    target_ref = TableRef(target, sandbox.region, app.ACCOUNT)
    # The restored table is gone (AWS Backup deleted it): keys and indexes are the source's.
    retarget = Retarget(
        source=TableRef(source, sandbox.region, app.ACCOUNT),
        target=target_ref,
        target_table=table_document(ddb.describe_table(TableName=source)["Table"], target_ref),
    )
    settings = app.settings_of(sandbox, source)
    return {name: REGISTRY[name].wanted(settings[name], retarget) for name in NAMES}


def test_a_restore_test_of_a_table_with_recorded_settings_passes(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    app.create_source(sandbox, "ledger", items=4)
    job = restore_tested(sandbox, "ledger")
    target = job["CreatedResourceArn"].split("/")[-1]

    by_start = executions(sandbox, deployed, target)
    job = validated(sandbox, job["RestoreJobId"])

    assert target.startswith("awsbackup-restore-test-")
    record = json.loads(by_start["AWS API Call via CloudTrail"]["output"])
    assert record["outcome"] == "ignored"
    assert "restore test" in record["reason"]
    test = by_start["Restore Job State Change"]
    assert test["status"] == "SUCCEEDED", test.get("cause")
    report = json.loads(test["output"])
    assert report["outcome"] == "planned"
    assert (report["validation"]["status"], job["ValidationStatus"]) == ("SUCCESSFUL", "SUCCESSFUL")
    assert job["ValidationStatusMessage"] == report["validation"]["message"]
    assert f"{target} would be made whole" in job["ValidationStatusMessage"]
    assert report["settingsFrom"] == "snapshot"
    assert app.governance_stacks(sandbox) == []
    # AWS Backup deleted the table once it had the result.
    assert job["DeletionStatus"] == "SUCCESSFUL"
    assert target not in sandbox.client("dynamodb").list_tables()["TableNames"]
    # What the plan would have set is the source's settings, retargeted.
    wanted = wanted_from_source(sandbox, "ledger", target)
    planned = {name: entry["wanted"] for name, entry in report["settings"].items() if "wanted" in entry}
    assert set(planned) >= {"tags", "stream", "ttl", "pitr", "deletion_protection"}
    assert planned == {name: wanted[name] for name in planned}


def test_a_restore_test_whose_triggers_could_not_read_the_stream_fails(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    made = examples.make_full_source(app.clients(sandbox), "wallets", items=3)
    job = restore_tested(sandbox, "wallets")
    target = job["CreatedResourceArn"].split("/")[-1]

    test = executions(sandbox, deployed, target)["Restore Job State Change"]
    job = validated(sandbox, job["RestoreJobId"])

    assert job["ValidationStatus"] == "FAILED"
    # The consumers may read the streams of wallets and wallets-*: not the restored table's.
    for suffix in ("audit", "search-indexer", "archiver"):
        assert made[f"function:{suffix}"] in job["ValidationStatusMessage"]
    assert f"cannot read the stream of {target}" in job["ValidationStatusMessage"]
    assert test["status"] == "FAILED"
    assert test["error"] == "RestoreTestFailed"
    assert app.governance_stacks(sandbox) == []
    assert job["DeletionStatus"] == "SUCCESSFUL"
    (letter,) = app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    assert letter["report"]["validation"]["status"] == "FAILED"
    assert letter["report"]["validation"]["reasons"]
    assert app.settings_of(sandbox, "wallets")["triggers"]["mappings"], "the source keeps its triggers"
    # restore-sync status says what was checked and why the test failed.
    out = io.StringIO()
    assert main(["status", test["executionArn"]], out=out, err=io.StringIO()) == 1
    assert f"restore test: FAILED (reported to AWS Backup for restore job {job['RestoreJobId']})" in out.getvalue()
    assert "trigger roles' access to the stream" in out.getvalue()
