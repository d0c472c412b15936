"""A restore AWS Backup makes is announced twice (its restore job's event, and the CloudTrail record of the
RestoreTableFromBackup call AWS Backup made, naming the recovery point): one execution makes the table whole, the
other ends ignored naming it, and nothing reaches the dead-letter queue."""

from __future__ import annotations

import json
from typing import Any

import pytest

from restore_sync_sandbox import examples
from restore_sync_sandbox.extensions import dynamodb_restore
from restore_sync_sandbox.server import Sandbox
from tests.helpers import load_event
from tests.sandbox import app

ROLE = "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"


@pytest.fixture(scope="module")
def deployed(sandbox: Sandbox) -> dict[str, str]:
    return app.deploy(sandbox)


def restored_by_aws_backup(sandbox: Sandbox, source: str, target: str) -> str:
    """`source` backed up into a vault and restored to `target` by AWS Backup (its job's COMPLETED event goes out
    at once); returns the recovery point's ARN."""
    ddb, backup = sandbox.client("dynamodb"), sandbox.client("backup")
    examples.make_source(ddb, source, 5)
    backup.create_backup_vault(BackupVaultName=f"{source}-vault")
    table_arn = ddb.describe_table(TableName=source)["Table"]["TableArn"]
    job = backup.start_backup_job(BackupVaultName=f"{source}-vault", ResourceArn=table_arn, IamRoleArn=ROLE)
    dynamodb_restore.set_ready_after(target, sandbox.region, 0)
    backup.start_restore_job(
        RecoveryPointArn=job["RecoveryPointArn"],
        Metadata={"targetTableName": target},
        IamRoleArn=ROLE,
        ResourceType="DynamoDB",
    )
    return str(job["RecoveryPointArn"])


def aws_backup_s_cloudtrail_record(sandbox: Sandbox, target: str, recovery_point: str) -> dict[str, Any]:
    """The CloudTrail record of the restore call AWS Backup made on the caller's behalf (the sandbox records no
    such call itself): invokedBy backup.amazonaws.com, the recovery point as backupArn."""
    event = load_event("cloudtrail_restore_from_backup")
    event["detail"]["userIdentity"]["invokedBy"] = "backup.amazonaws.com"
    event["detail"]["requestParameters"] = {"targetTableName": target, "backupArn": recovery_point}
    event["detail"]["eventTime"] = sandbox.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    return event


def test_a_restore_announced_twice_is_made_whole_once(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    point = restored_by_aws_backup(sandbox, "wallets", "wallets-restored")
    app.put_event(sandbox, aws_backup_s_cloudtrail_record(sandbox, "wallets-restored", point))

    later, earlier = app.finished_executions(sandbox, deployed["StateMachineArn"], "wallets-restored", count=2)
    assert (earlier["status"], later["status"]) == ("SUCCEEDED", "SUCCEEDED"), (earlier, later)
    assert json.loads(earlier["input"])["detail-type"] == "Restore Job State Change"
    assert json.loads(later["input"])["detail"]["requestParameters"]["backupArn"] == point
    made_whole, deferred = json.loads(earlier["output"]), json.loads(later["output"])
    assert made_whole["outcome"] != "ignored", made_whole
    assert deferred["outcome"] == "ignored", deferred
    assert earlier["executionArn"] in json.dumps(deferred)
    assert app.settings_of(sandbox, "wallets-restored") == app.settings_of(sandbox, "wallets")
    assert app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"]) == []
