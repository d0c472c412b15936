"""The settings history in the sandbox: recorded from real CloudTrail events, used at the restore point."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import pytest

from restore_sync.aws import TableRef
from restore_sync.history.store import History, canonical, digest
from restore_sync.names import stack_name
from restore_sync.timestamps import instant, iso
from restore_sync_sandbox import clock, examples
from restore_sync_sandbox.server import Sandbox
from tests.sandbox import app

RETENTION_DAYS = 40


@pytest.fixture(scope="module")
def deployed(sandbox: Sandbox) -> dict[str, str]:
    # A table that is there before restore-sync: the deployment's first snapshot starts its history.
    examples.make_source(sandbox.client("dynamodb"), "legacy", 3)
    return app.deploy(sandbox, HistoryRetentionDays=str(RETENTION_DAYS))


@pytest.fixture
def history(sandbox: Sandbox, deployed: dict[str, str]) -> History:
    return app.settings_history(sandbox, deployed)


def arn(sandbox: Sandbox, table: str) -> str:
    return TableRef(table, sandbox.region, app.ACCOUNT).arn


def report_of(execution: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(execution["output"]))


def stack_resource(sandbox: Sandbox, logical_id: str) -> str:
    """The physical id of a resource of the deployment."""
    resources = sandbox.client("cloudformation").list_stack_resources(StackName="restore-sync")
    (physical,) = [
        r["PhysicalResourceId"] for r in resources["StackResourceSummaries"] if r["LogicalResourceId"] == logical_id
    ]
    return str(physical)


def change_settings(sandbox: Sandbox, table: str) -> None:
    """The kind of mistake a restore undoes: tags, deletion protection, TTL and the PITR window all changed."""
    ddb = sandbox.client("dynamodb")
    ddb.tag_resource(ResourceArn=arn(sandbox, table), Tags=[{"Key": "owner", "Value": "someone-else"}])
    ddb.untag_resource(ResourceArn=arn(sandbox, table), TagKeys=[next(iter(examples.TAGS))])
    ddb.update_table(TableName=table, DeletionProtectionEnabled=False)
    ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": False, "AttributeName": "expiresAt"})
    ddb.update_continuous_backups(
        TableName=table,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7},
    )
    examples.settled()


def test_the_deployment_records_every_existing_table_at_once(
    sandbox: Sandbox, deployed: dict[str, str], history: History
) -> None:
    (first,) = history.versions(arn(sandbox, "legacy"))
    assert first.cause == "deploy"
    assert first.document["settings"] == app.settings_of(sandbox, "legacy")
    assert first.expires_at is None


def test_the_history_table_is_protected_and_expires_what_it_no_longer_needs(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    ddb = sandbox.client("dynamodb")
    name = deployed["SettingsHistoryTableName"]
    assert ddb.describe_table(TableName=name)["Table"]["DeletionProtectionEnabled"] is True
    # Only the recorder's role writes it: the deployed policy names that role by its unique id.
    role = sandbox.client("iam").get_role(RoleName=stack_resource(sandbox, "SnapshotFunctionRole"))["Role"]
    policy = json.loads(ddb.get_resource_policy(ResourceArn=arn(sandbox, name))["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Condition"] == {"StringNotLike": {"aws:userid": f"{role['RoleId']}:*"}}
    # Enforced as AWS would: a role whose own policy allows every write is still refused; the recorder is not.
    item = {"tableArn": {"S": "probe"}, "version": {"S": "probe"}}
    iam = sandbox.client("iam")
    everything = {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}
    writer = iam.create_role(RoleName="history-writer", AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))
    iam.put_role_policy(
        RoleName="history-writer",
        PolicyName="all",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [everything]}),
    )
    outcomes = {}
    for who in (writer["Role"]["Arn"], role["Arn"]):
        dynamodb = app.client_as(sandbox, who, "dynamodb")
        try:
            dynamodb.put_item(TableName=name, Item=item)
            outcomes[who] = "written"
        except dynamodb.exceptions.ClientError as error:
            outcomes[who] = error.response["Error"]["Code"]
    assert outcomes == {writer["Role"]["Arn"]: "AccessDeniedException", role["Arn"]: "written"}
    ddb.delete_item(TableName=name, Key=item)
    backups = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expiresAt")


def test_each_change_adds_one_version_and_the_one_it_supersedes_expires_after_the_retention(
    sandbox: Sandbox, deployed: dict[str, str], history: History
) -> None:
    app.create_source(sandbox, "ledger", items=2)
    before = history.versions(arn(sandbox, "ledger"))
    assert before, "creating a table and setting it up is recorded"
    assert before[-1].document["settings"] == app.settings_of(sandbox, "ledger")

    clock.current().advance(3600)
    sandbox.client("dynamodb").update_table(TableName="ledger", DeletionProtectionEnabled=False)
    examples.settled()

    after = history.versions(arn(sandbox, "ledger"))
    assert len(after) == len(before) + 1
    superseded, current = after[-2], after[-1]
    assert current.cause == "UpdateTable"
    assert (
        current.document["settings"]["deletion_protection"] == app.settings_of(sandbox, "ledger")["deletion_protection"]
    )
    expected = instant(current.effective_at) + timedelta(days=RETENTION_DAYS)
    assert superseded.expires_at == int(expected.timestamp())
    assert current.expires_at is None


def test_snapshots_of_unchanged_settings_add_no_version(
    sandbox: Sandbox, deployed: dict[str, str], history: History
) -> None:
    app.create_source(sandbox, "steady", items=1)
    versions = history.versions(arn(sandbox, "steady"))
    function = stack_resource(sandbox, "SnapshotFunction")
    scheduled = {"source": "aws.events", "detail-type": "Scheduled Event", "time": iso(clock.current().now())}

    for _ in range(2):
        answer = sandbox.client("lambda").invoke(FunctionName=function, Payload=json.dumps(scheduled).encode())
        summary = json.loads(answer["Payload"].read())
        assert "FunctionError" not in answer, summary
        assert summary["failed"] == 0
        assert summary["unchanged"] >= 2, "the daily sweep reads every table"
    # Tagging with the tags it already has is a call, not a change.
    sandbox.client("dynamodb").tag_resource(
        ResourceArn=arn(sandbox, "steady"), Tags=[{"Key": k, "Value": v} for k, v in examples.TAGS.items()]
    )
    examples.settled()

    assert history.versions(arn(sandbox, "steady")) == versions


def test_settings_changed_after_the_restore_point_are_not_copied(
    sandbox: Sandbox, deployed: dict[str, str], history: History
) -> None:
    app.create_source(sandbox, "orders", items=12)
    at_the_restore_point = app.settings_of(sandbox, "orders")
    version = history.at_or_before(arn(sandbox, "orders"), clock.current().now())
    assert version is not None
    restore_point = clock.current().now()
    clock.current().advance(600)
    change_settings(sandbox, "orders")
    assert app.settings_of(sandbox, "orders") != at_the_restore_point
    # The five calls reach the recorder in one batch: one snapshot, one version that names them all.
    *_, before, changed = history.versions(arn(sandbox, "orders"))
    assert before.key == version.key
    assert changed.cause == "TagResource, UntagResource, UpdateTable, UpdateTimeToLive, UpdateContinuousBackups"
    clock.current().advance(600)

    sandbox.client("dynamodb").restore_table_to_point_in_time(
        SourceTableName="orders", TargetTableName="orders-before-the-mistake", RestoreDateTime=restore_point
    )
    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "orders-before-the-mistake")

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    report = report_of(execution)
    assert (report["settingsFrom"], report["settingsVersion"]) == ("snapshot", version.key)
    assert instant(report["restorePoint"]) == instant(iso(restore_point))
    wanted = app.wanted_on_target(sandbox, "orders", "orders-before-the-mistake", at_the_restore_point)
    assert app.settings_of(sandbox, "orders-before-the-mistake") == wanted
    assert app.item_count(sandbox, "orders-before-the-mistake") == 12


def test_live_copies_the_source_as_it_is_now(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    app.create_source(sandbox, "carts", items=3)
    clock.current().advance(600)
    change_settings(sandbox, "carts")
    examples.restore_unannounced(sandbox.client("dynamodb"), "carts-copy", SourceTableName="carts")

    started = sandbox.client("stepfunctions").start_execution(
        stateMachineArn=deployed["StateMachineArn"],
        input=json.dumps({"targetTableName": "carts-copy", "sourceTableName": "carts", "settingsFrom": "live"}),
    )
    execution = app.wait(sandbox, started["executionArn"])

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    report = report_of(execution)
    assert report["settingsFrom"] == "live"
    assert report["settingsVersion"] is None
    assert app.settings_of(sandbox, "carts-copy") == app.wanted_on_target(sandbox, "carts", "carts-copy")


def test_a_deleted_source_restored_from_its_backup_gets_the_settings_it_had_at_the_backup(
    sandbox: Sandbox, deployed: dict[str, str], history: History
) -> None:
    app.create_source(sandbox, "invoices", items=9)
    ddb = sandbox.client("dynamodb")
    readers = {"Effect": "Allow", "Principal": {"AWS": app.ACCOUNT}, "Action": "dynamodb:GetItem"}
    policy = {"Version": "2012-10-17", "Statement": [{**readers, "Resource": arn(sandbox, "invoices")}]}
    ddb.put_resource_policy(ResourceArn=arn(sandbox, "invoices"), Policy=json.dumps(policy))
    examples.settled()
    at_backup = app.settings_of(sandbox, "invoices")
    backup = ddb.create_backup(TableName="invoices", BackupName="invoices-nightly")["BackupDetails"]["BackupArn"]
    clock.current().advance(3600)
    ddb.update_table(TableName="invoices", DeletionProtectionEnabled=False)
    ddb.tag_resource(ResourceArn=arn(sandbox, "invoices"), Tags=[{"Key": "about-to", "Value": "go"}])
    ddb.delete_table(TableName="invoices")
    examples.settled()
    pointer = history.pointer(arn(sandbox, "invoices"))
    assert pointer is not None
    assert pointer.deleted_at is not None, "the deletion is recorded"

    ddb.restore_table_from_backup(TargetTableName="invoices-back", BackupArn=backup)
    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "invoices-back")

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    report = report_of(execution)
    assert report["settingsFrom"] == "snapshot"
    assert report["settings"]["tags"]["status"] == "applied"
    assert report["settings"]["resource_policy"]["reason"].startswith(
        "the source table no longer exists, so the recorded policy cannot be compared"
    )
    assert app.settings_of(sandbox, "invoices-back") == app.wanted_on_target(
        sandbox, "invoices", "invoices-back", at_backup
    )
    assert app.item_count(sandbox, "invoices-back") == 9


def test_a_table_with_no_history_and_no_source_fails_before_anything_is_touched(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    # Restored from a table that is gone, and that no trail ever recorded: "never-existed" as far as the
    # settings history knows.
    app.restored_from_a_forgotten_table(sandbox, "never-existed", "orphan")
    examples.settled()
    untouched = app.settings_of(sandbox, "orphan")

    started = sandbox.client("stepfunctions").start_execution(
        stateMachineArn=deployed["StateMachineArn"],
        input=json.dumps({"targetTableName": "orphan", "sourceTableName": "never-existed"}),
    )
    execution = app.wait(sandbox, started["executionArn"])

    assert execution["status"] == "FAILED"
    assert execution["error"] == "SettingsUnavailable"
    assert "never-existed does not exist" in execution["cause"]
    assert "the settings history has no version of" in execution["cause"]
    assert app.settings_of(sandbox, "orphan") == untouched
    assert stack_name("restore-sync", "orphan") not in app.governance_stacks(sandbox)
    (letter,) = [m for m in app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"]) if m.get("error")]
    assert letter["error"] == "SettingsUnavailable"


def test_snapshot_only_refuses_a_restore_point_older_than_the_history(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    # CloudTrail event times have whole seconds: the table's first version is well after the restore point.
    restore_point = clock.current().now()
    clock.current().advance(10)
    app.create_source(sandbox, "payments", items=2)
    sandbox.client("dynamodb").restore_table_to_point_in_time(
        SourceTableName="payments", TargetTableName="payments-last-year", RestoreDateTime=restore_point
    )
    app.finished_execution(sandbox, deployed["StateMachineArn"], "payments-last-year")

    started = sandbox.client("stepfunctions").start_execution(
        stateMachineArn=deployed["StateMachineArn"],
        input=json.dumps(
            {"targetTableName": "payments-last-year", "sourceTableName": "payments", "settingsFrom": "snapshot"}
        ),
    )
    execution = app.wait(sandbox, started["executionArn"])

    assert execution["status"] == "FAILED"
    assert execution["error"] == "SettingsUnavailable"
    assert "settingsFrom is snapshot, but the settings history of" in execution["cause"]
    assert "after the restore point" in execution["cause"]


def test_a_history_version_edited_by_hand_is_refused_and_nothing_is_applied(
    sandbox: Sandbox, deployed: dict[str, str], history: History
) -> None:
    app.create_source(sandbox, "audits", items=4)
    version = history.at_or_before(arn(sandbox, "audits"), clock.current().now())
    assert version is not None
    restore_point = clock.current().now()
    # Someone able to write the history (the sandbox, like moto, does not enforce the table's policy) slips a
    # CloudFormation intrinsic into a tag, with the digest the recorder would have written.
    edited = copy.deepcopy(version.document)
    edited["settings"]["tags"]["tags"][0]["Value"] = {"Fn::ImportValue": "someone-elses-export"}
    sandbox.client("dynamodb").update_item(
        TableName=deployed["SettingsHistoryTableName"],
        Key={"tableArn": {"S": version.table_arn}, "version": {"S": version.key}},
        UpdateExpression="SET #document = :document, digest = :digest",
        ExpressionAttributeNames={"#document": "document"},
        ExpressionAttributeValues={":document": {"S": canonical(edited)}, ":digest": {"S": digest(edited)}},
    )
    clock.current().advance(600)

    sandbox.client("dynamodb").restore_table_to_point_in_time(
        SourceTableName="audits", TargetTableName="audits-restored", RestoreDateTime=restore_point
    )
    untouched = app.settings_of(sandbox, "audits-restored")
    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "audits-restored")

    assert execution["status"] == "FAILED"
    assert execution["error"] == "HistoryVersionInvalid"
    cause = execution["cause"]
    assert f"the settings history's version {version.key} of {arn(sandbox, 'audits')} is refused, not used" in cause
    assert "settings.tags.tags.0.Value: {'Fn::ImportValue': 'someone-elses-export'} is not of type 'string'" in cause
    assert app.settings_of(sandbox, "audits-restored") == untouched
    assert stack_name("restore-sync", "audits-restored") not in app.governance_stacks(sandbox)
    letters = app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    (letter,) = [m for m in letters if m.get("report", {}).get("target") == arn(sandbox, "audits-restored")]
    assert letter["error"] == "HistoryVersionInvalid"


def test_access_revoked_after_the_restore_point_is_not_granted_again_unless_asked(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    iam = sandbox.client("iam")
    reader, analyst = (
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))["Role"]["Arn"]
        for name in ("reader", "analyst")
    )
    ddb = sandbox.client("dynamodb")
    examples.make_source(ddb, "payroll", 3)

    stream = ddb.describe_table(TableName="payroll")["Table"]["LatestStreamArn"]

    def grant(*principals: str) -> None:
        statement = {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "dynamodb:GetItem"}
        policy = {"Version": "2012-10-17", "Statement": [{**statement, "Resource": arn(sandbox, "payroll")}]}
        ddb.put_resource_policy(ResourceArn=arn(sandbox, "payroll"), Policy=json.dumps(policy))
        # The stream's own policy: the same readers, and the same revocation.
        ddb.put_resource_policy(ResourceArn=stream, Policy=json.dumps(examples.stream_policy(stream, *principals)))
        examples.settled()

    grant(reader, analyst)
    restore_point = clock.current().now()
    clock.current().advance(600)
    grant(reader)  # the analyst's access is revoked on purpose
    clock.current().advance(600)

    ddb.restore_table_to_point_in_time(
        SourceTableName="payroll", TargetTableName="payroll-restored", RestoreDateTime=restore_point
    )
    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "payroll-restored")

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    entry = report_of(execution)["settings"]["resource_policy"]
    assert entry["status"] == "applied"
    assert entry["reason"].startswith(f"not granted to AWS {analyst}: the recorded policy grants them but the source")
    assert "grantRecordedAccess" in entry["reason"]
    assert granted_on(sandbox, "payroll-restored") == [reader]
    entry = report_of(execution)["settings"]["stream_policy"]
    assert entry["status"] == "applied"
    assert entry["reason"].startswith(
        f"not granted to AWS {analyst}: the recorded policy grants them but the source table's stream's policy no "
        "longer does"
    )
    assert stream_readers(sandbox, "payroll-restored") == [reader]

    started = sandbox.client("stepfunctions").start_execution(
        stateMachineArn=deployed["StateMachineArn"],
        input=json.dumps(
            {
                "targetTableName": "payroll-restored",
                "sourceTableName": "payroll",
                "settings": ["resource_policy", "stream", "stream_policy"],
                "grantRecordedAccess": True,
            }
        ),
    )
    execution = app.wait(sandbox, started["executionArn"])

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    entry = report_of(execution)["settings"]["resource_policy"]
    assert entry["status"] == "applied"
    assert entry["reason"] == (
        f"the recorded policy grants AWS {analyst}, which the source table's policy no longer grants; applied as "
        "recorded because the request says grantRecordedAccess"
    )
    assert granted_on(sandbox, "payroll-restored") == [reader, analyst]
    assert stream_readers(sandbox, "payroll-restored") == [reader, analyst]


def stream_readers(sandbox: Sandbox, table: str) -> list[str]:
    """The principals the policy of the table's stream lets read it (on the stream itself, its ARN retargeted)."""
    ddb = sandbox.client("dynamodb")
    stream = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    (statement,) = json.loads(ddb.get_resource_policy(ResourceArn=stream)["Policy"])["Statement"]
    assert statement["Resource"] == stream
    return list(statement["Principal"]["AWS"])


# Roles anyone in the account may be allowed to assume: they exist, which a policy naming them needs in AWS.
TRUST_ACCOUNT = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": app.ACCOUNT}, "Action": "sts:AssumeRole"}],
}


def granted_on(sandbox: Sandbox, table: str) -> list[str]:
    """The principals the table's resource policy allows, on the table itself (the ARN retargeted)."""
    policy = json.loads(sandbox.client("dynamodb").get_resource_policy(ResourceArn=arn(sandbox, table))["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Resource"] == arn(sandbox, table)
    return list(statement["Principal"]["AWS"])


def test_a_deleted_source_that_opted_out_still_opts_out_by_its_recorded_tag(
    sandbox: Sandbox, deployed: dict[str, str], history: History
) -> None:
    ddb = sandbox.client("dynamodb")
    examples.make_source(ddb, "ledgers", 3)
    ddb.tag_resource(ResourceArn=arn(sandbox, "ledgers"), Tags=[{"Key": "restore-sync:settings", "Value": "none"}])
    examples.settled()
    backup = ddb.create_backup(TableName="ledgers", BackupName="ledgers-nightly")["BackupDetails"]["BackupArn"]
    ddb.update_table(TableName="ledgers", DeletionProtectionEnabled=False)
    ddb.delete_table(TableName="ledgers")
    examples.settled()
    recorded = history.at_or_before(arn(sandbox, "ledgers"), clock.current().now())
    assert recorded is not None
    assert {"Key": "restore-sync:settings", "Value": "none"} in recorded.document["settings"]["tags"]["tags"]

    ddb.restore_table_from_backup(TargetTableName="ledgers-back", BackupArn=backup)
    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "ledgers-back")

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    report = report_of(execution)
    assert report["outcome"] == "ignored", report
    assert "is tagged restore-sync:settings=none" in report["reason"]
    assert stack_name("restore-sync", "ledgers-back") not in app.governance_stacks(sandbox)

    # Restored under its own name, the table has no tags yet: the recorded tag of the deleted one still counts.
    ddb.restore_table_from_backup(TargetTableName="ledgers", BackupArn=backup)
    executions = app.finished_executions(sandbox, deployed["StateMachineArn"], "ledgers", count=2)
    same_name = report_of(app.started_by(executions, "RestoreTableFromBackup"))
    assert (same_name["outcome"], same_name["source"]) == ("ignored", arn(sandbox, "ledgers"))
    assert "is tagged restore-sync:settings=none" in same_name["reason"]
    assert stack_name("restore-sync", "ledgers") not in app.governance_stacks(sandbox)
