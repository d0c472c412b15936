"""A restore AWS Backup makes is announced twice (its restore job's event, and the CloudTrail record of the
RestoreTableFromBackup call AWS Backup made, naming the recovery point): one execution makes the table whole, the
other ends ignored naming it, and nothing reaches the dead-letter queue."""

from __future__ import annotations

import json

import pytest

from restore_sync_sandbox import examples
from restore_sync_sandbox.extensions import dynamodb_restore
from restore_sync_sandbox.server import Sandbox
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


def test_a_restore_announced_twice_is_made_whole_once(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    # The sandbox announces it twice, as AWS does: the job's event, and CloudTrail's record of AWS Backup's call.
    point = restored_by_aws_backup(sandbox, "wallets", "wallets-restored")

    executions = app.finished_executions(sandbox, deployed["StateMachineArn"], "wallets-restored", count=2)
    assert [e["status"] for e in executions] == ["SUCCEEDED", "SUCCEEDED"], executions
    by_kind = {json.loads(e["input"])["detail-type"]: e for e in executions}
    assert set(by_kind) == {"Restore Job State Change", "AWS API Call via CloudTrail"}
    record = json.loads(by_kind["AWS API Call via CloudTrail"]["input"])["detail"]
    assert record["requestParameters"]["backupArn"] == point
    assert record["userIdentity"]["invokedBy"] == "backup.amazonaws.com"
    assert record["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] == ROLE
    # Whichever arrives first makes the table whole; the other defers to it, naming it.
    outputs = {e["executionArn"]: json.loads(e["output"]) for e in executions}
    [made_whole] = [arn for arn, report in outputs.items() if report["outcome"] != "ignored"]
    [deferred] = [report for report in outputs.values() if report["outcome"] == "ignored"]
    assert made_whole in json.dumps(deferred)
    assert app.settings_of(sandbox, "wallets-restored") == app.settings_of(sandbox, "wallets")
    assert app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"]) == []
