"""Every way an execution starts: each event shape through the deployed rules, a cross-region restore, the
per-table tag, and manual inputs that must be refused at once with nothing touched."""

from __future__ import annotations

import json
from typing import Any

import pytest

from restore_sync.names import stack_name
from restore_sync_sandbox import examples
from restore_sync_sandbox.extensions import dynamodb_restore
from restore_sync_sandbox.server import Sandbox
from tests.helpers import load_event
from tests.sandbox import app

OTHER_REGION = "eu-west-1"


@pytest.fixture(scope="module")
def deployed(sandbox: Sandbox) -> dict[str, str]:
    return app.deploy(sandbox)


def put(sandbox: Sandbox, event: dict[str, Any]) -> None:
    """Delivers an event file to the default bus as AWS would, stamped with the sandbox's present time."""
    now = sandbox.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    event["detail"].update({k: now for k in ("eventTime", "creationDate") if k in event["detail"]})
    app.put_event(sandbox, event)


def restored_copy(sandbox: Sandbox, source: str, target: str, region: str | None = None, **restore: Any) -> None:
    """`source` restored to `target` (at the latest restorable time, or from `restore`'s BackupArn) where no trail
    sees it, so that only the event under test announces it."""
    examples.restore_unannounced(sandbox.client("dynamodb", region), target, **(restore or {"SourceTableName": source}))


def assert_whole(sandbox: Sandbox, execution: dict[str, Any], source: str, target: str) -> None:
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert app.settings_of(sandbox, target) == app.settings_of(sandbox, source)
    assert app.item_count(sandbox, target) == app.item_count(sandbox, source)


def test_point_in_time_restore_event_by_name(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    examples.make_source(sandbox.client("dynamodb"), "orders", 6)
    restored_copy(sandbox, "orders", "orders-restored")
    put(sandbox, load_event("cloudtrail_restore_pitr_by_name"))
    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "orders-restored")
    assert_whole(sandbox, execution, "orders", "orders-restored")


def test_restore_from_backup_event(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    ddb = sandbox.client("dynamodb")
    examples.make_source(ddb, "invoices", 4)
    backup = ddb.create_backup(TableName="invoices", BackupName="invoices-nightly")["BackupDetails"]["BackupArn"]
    restored_copy(sandbox, "invoices", "invoices-from-backup", BackupArn=backup)
    event = load_event("cloudtrail_restore_from_backup")
    event["detail"]["requestParameters"]["backupArn"] = backup
    put(sandbox, event)
    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "invoices-from-backup")
    assert_whole(sandbox, execution, "invoices", "invoices-from-backup")


def test_aws_backup_restore_job_event(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    examples.make_source(sandbox.client("dynamodb"), "carts", 3)
    restored_copy(sandbox, "carts", "carts-restored")
    event = load_event("backup_restore_job_completed")
    event["detail"]["createdResourceArn"] = event["detail"]["createdResourceArn"].replace("orders", "carts")
    event["detail"]["sourceResourceArn"] = event["detail"]["sourceResourceArn"].replace("orders", "carts")
    put(sandbox, event)
    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "carts-restored")
    assert json.loads(execution["output"])["target"].endswith(":table/carts-restored")
    assert_whole(sandbox, execution, "carts", "carts-restored")


@pytest.mark.parametrize("name", ["cloudtrail_restore_failed", "s3_put_object"])
def test_events_that_are_not_a_successful_restore_start_nothing(
    sandbox: Sandbox, deployed: dict[str, str], name: str
) -> None:
    sfn = sandbox.client("stepfunctions")
    before = len(sfn.list_executions(stateMachineArn=deployed["StateMachineArn"])["executions"])
    put(sandbox, load_event(name))
    # The rules match synchronously on PutEvents: an execution would exist by now.
    assert len(sfn.list_executions(stateMachineArn=deployed["StateMachineArn"])["executions"]) == before


def test_cross_region_restore_reads_the_source_in_its_own_region(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    examples.make_source(sandbox.client("dynamodb", OTHER_REGION), "ledger", 5)
    source_arn = sandbox.client("dynamodb", OTHER_REGION).describe_table(TableName="ledger")["Table"]["TableArn"]
    dynamodb_restore.set_ready_after("ledger-copy", sandbox.region, 120)
    sandbox.client("dynamodb").restore_table_to_point_in_time(
        SourceTableArn=source_arn, TargetTableName="ledger-copy", UseLatestRestorableTime=True
    )
    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "ledger-copy")
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert json.loads(execution["output"])["source"] == source_arn
    assert app.settings_of(sandbox, "ledger-copy") == app.settings_of(sandbox, "ledger", OTHER_REGION)
    assert app.item_count(sandbox, "ledger-copy") == 5


def test_a_source_tagged_none_is_left_alone(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    ddb = sandbox.client("dynamodb")
    examples.make_source(ddb, "scratch", 2)
    arn = ddb.describe_table(TableName="scratch")["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "restore-sync:settings", "Value": "none"}])
    dynamodb_restore.set_ready_after("scratch-restored", sandbox.region, 0)
    ddb.restore_table_to_point_in_time(
        SourceTableName="scratch", TargetTableName="scratch-restored", UseLatestRestorableTime=True
    )
    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "scratch-restored")
    assert execution["status"] == "SUCCEEDED"
    report = json.loads(execution["output"])
    assert (report["outcome"], report["target"], report["source"]) == ("ignored", app.arn("scratch-restored"), arn)
    assert f"source table {arn} is tagged restore-sync:settings=none" in report["reason"]
    assert report["settings"] == {}
    events = app.history(sandbox, execution["executionArn"])
    assert app.entered(events, "Nothing to sync") == 1
    assert app.entered(events, "Check target table") == 0
    assert stack_name("restore-sync", "scratch-restored") not in app.governance_stacks(sandbox)
    assert app.settings_of(sandbox, "scratch-restored")["ttl"] == {"enabled": False, "attributeName": None}


REFUSALS = [
    ({"targetTableName": "menu-copy", "sourceTableName": "menu", "colour": "red"}, "colour"),
    (
        {"targetTableName": "menu-copy", "sourceTableName": "menu", "settings": ["ttl", "ttls"]},
        "'ttls' is not a setting",
    ),
    ({"targetTableName": "menu copy", "sourceTableName": "menu"}, "targetTableName"),
    ({"targetTableName": "menu-copy", "sourceTableArn": "arn:aws:dynamodb:us-east-1:1:table/menu"}, "sourceTableArn"),
    ({"targetTableName": "menu-copy", "sourceTableName": "menu", "sourceTableArn": "x"}, "exactly one of"),
    ({"targetTableName": "menu-copy"}, "exactly one of"),
    ({"targetTableName": "menu-copy", "sourceTableName": "menu-copy"}, "menu-copy was restored from"),
    ({"targetTableName": "menu-plain", "sourceTableName": "menu-plain"}, "the same table"),
    ({"targetTableName": "menu-missing", "sourceTableName": "menu"}, "does not exist"),
    ({"targetTableName": "menu-copy", "sourceTableName": "menu", "dryRun": "yes"}, "dryRun"),
    ([1, 2, 3], "is not of type 'object'"),
]


OTHER_ACCOUNT = "999999999999"


def restore_call(target: str, source: str, **envelope: Any) -> dict[str, Any]:
    """A CloudTrail restore call event, as anyone allowed to start an execution can send it as its input."""
    event = load_event("cloudtrail_restore_pitr_by_name")
    event["detail"]["requestParameters"] = {"sourceTableName": source, "targetTableName": target}
    event.update({k: v for k, v in envelope.items() if k != "eventTime"})
    event["detail"]["recipientAccountId"] = event["account"]
    event["detail"]["eventTime"] = envelope.get("eventTime", event["time"])
    return event


def restore_job(created: str) -> dict[str, Any]:
    event = load_event("backup_restore_job_completed")
    event["detail"].update(createdResourceArn=created, sourceResourceArn=app.arn("menu"))
    return event


# Inputs made to have restore-sync change a table it must not touch, each with the words of its refusal.
HOSTILE = [
    ({"targetTableName": "menu-plain", "sourceTableName": "menu"}, "target table menu-plain was not restored"),
    (
        {"targetTableName": "menu-plain", "sourceTableName": "menu", "adoptUnrestored": True},
        "this deployment does not adopt tables that were not restored (menu-plain was not): deploy it with the "
        "parameter AdoptUnrestoredTables=true",
    ),
    (restore_call("menu-copy", "menu-copy"), "the event names the source"),
    (restore_call("menu-plain", "menu"), "target table menu-plain was not restored"),
    (
        restore_call("menu-copy", "menu", account=OTHER_ACCOUNT),
        f"account: the event is from account {OTHER_ACCOUNT}, not this deployment's account {app.ACCOUNT}",
    ),
    (
        restore_call("menu-copy", "menu", eventTime="2099-01-01T00:00:00Z"),
        "detail.eventTime: 2099-01-01T00:00:00Z is after this execution started",
    ),
    ({"targetTableName": "menu-copy\n", "sourceTableName": "menu"}, "targetTableName: 'menu-copy\\n' does not match"),
    (
        restore_job(app.arn("menu-copy", account=OTHER_ACCOUNT)),
        f"the restored table {app.arn('menu-copy', account=OTHER_ACCOUNT)} belongs to account {OTHER_ACCOUNT}, "
        f"not to this deployment's account {app.ACCOUNT}",
    ),
]


def untouched(sandbox: Sandbox, table: str) -> tuple[Any, ...]:
    """Everything a sync could change: the table's description, every setting, every item."""
    ddb = sandbox.client("dynamodb")
    items = sorted(json.dumps(item, sort_keys=True) for item in ddb.scan(TableName=table)["Items"])
    return ddb.describe_table(TableName=table)["Table"], app.settings_of(sandbox, table), items


@pytest.mark.parametrize(("raw", "needle"), REFUSALS + HOSTILE, ids=[needle for _, needle in REFUSALS + HOSTILE])
def test_invalid_or_hostile_input_fails_at_once_and_touches_nothing(
    sandbox: Sandbox, deployed: dict[str, str], raw: Any, needle: str
) -> None:
    ddb = sandbox.client("dynamodb")
    if "menu" not in ddb.list_tables()["TableNames"]:
        examples.make_source(ddb, "menu", 3)
        restored_copy(sandbox, "menu", "menu-copy")
        examples.make_plain(ddb, "menu-plain", items=2)
    before = {table: untouched(sandbox, table) for table in ("menu-copy", "menu-plain")}
    app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])

    started = sandbox.client("stepfunctions").start_execution(
        stateMachineArn=deployed["StateMachineArn"], input=json.dumps(raw)
    )
    execution = app.wait(sandbox, started["executionArn"])

    assert execution["status"] == "FAILED"
    assert execution["error"] == "ValidationError"
    assert needle in execution["cause"]
    assert not execution["cause"].startswith("{"), "the cause is the message a person reads, not a stack trace"
    assert app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"]) == []
    assert [s for s in app.governance_stacks(sandbox) if "menu" in s] == []
    assert {table: untouched(sandbox, table) for table in before} == before


def test_a_refusal_lists_every_problem(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    started = sandbox.client("stepfunctions").start_execution(
        stateMachineArn=deployed["StateMachineArn"],
        input=json.dumps({"targetTableName": "nowhere-table", "sourceTableName": "nowhere-table", "speed": 1}),
    )
    cause = app.wait(sandbox, started["executionArn"])["cause"]
    assert "speed" in cause
    assert "the same table" in cause
    assert "does not exist" in cause


def test_a_dry_run_plans_and_changes_nothing(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    examples.make_source(sandbox.client("dynamodb"), "prices", 2)
    restored_copy(sandbox, "prices", "prices-copy")
    before = app.settings_of(sandbox, "prices-copy")
    started = sandbox.client("stepfunctions").start_execution(
        stateMachineArn=deployed["StateMachineArn"],
        input=json.dumps({"targetTableName": "prices-copy", "sourceTableName": "prices", "dryRun": True}),
    )
    execution = app.wait(sandbox, started["executionArn"])
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    report = json.loads(execution["output"])
    assert report["outcome"] == "planned"
    assert report["settings"]["ttl"]["status"] == "planned"
    assert report["settings"]["ttl"]["changes"] == [{"resource": "Table", "property": "TimeToLiveSpecification"}]
    assert app.settings_of(sandbox, "prices-copy") == before
    assert stack_name("restore-sync", "prices-copy") not in app.governance_stacks(sandbox)


def test_a_restore_through_aws_backup_is_made_whole(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    ddb, backup = sandbox.client("dynamodb"), sandbox.client("backup")
    examples.make_source(ddb, "payments", 8)
    role = "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"
    backup.create_backup_vault(BackupVaultName="payments-vault")
    table_arn = ddb.describe_table(TableName="payments")["Table"]["TableArn"]
    job = backup.start_backup_job(BackupVaultName="payments-vault", ResourceArn=table_arn, IamRoleArn=role)
    # Restored at once. AWS announces it twice: the job's COMPLETED event, and CloudTrail's record of the restore
    # call AWS Backup made; one execution makes the table whole, the other defers to it.
    dynamodb_restore.set_ready_after("payments-restored", sandbox.region, 0)
    backup.start_restore_job(
        RecoveryPointArn=job["RecoveryPointArn"],
        Metadata={"targetTableName": "payments-restored"},
        IamRoleArn=role,
        ResourceType="DynamoDB",
    )
    executions = app.finished_executions(sandbox, deployed["StateMachineArn"], "payments-restored", count=2)
    kinds = sorted(json.loads(e["input"])["detail-type"] for e in executions)
    assert kinds == ["AWS API Call via CloudTrail", "Restore Job State Change"]
    [execution] = [e for e in executions if json.loads(e["output"])["outcome"] != "ignored"]
    assert_whole(sandbox, execution, "payments", "payments-restored")


def test_a_misconfigured_deployment_fails_into_the_dead_letter_queue(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    """A bad deployment setting is not a refused input: an automatic restore must not be dropped silently."""
    lambda_ = sandbox.client("lambda")
    function = next(f for f in lambda_.list_functions()["Functions"] if "NormalizeFunction" in f["FunctionName"])
    environment = function["Environment"]["Variables"]
    ddb = sandbox.client("dynamodb")
    if "menu" not in ddb.list_tables()["TableNames"]:
        examples.make_source(ddb, "menu", 3)
        restored_copy(sandbox, "menu", "menu-copy")
    app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    lambda_.update_function_configuration(
        FunctionName=function["FunctionName"], Environment={"Variables": {**environment, "SETTINGS": "ttl,speed"}}
    )
    try:
        started = sandbox.client("stepfunctions").start_execution(
            stateMachineArn=deployed["StateMachineArn"],
            input=json.dumps({"targetTableName": "menu-copy", "sourceTableName": "menu"}),
        )
        execution = app.wait(sandbox, started["executionArn"])
    finally:
        lambda_.update_function_configuration(
            FunctionName=function["FunctionName"], Environment={"Variables": environment}
        )

    assert execution["status"] == "FAILED"
    assert execution["error"] == "ConfigurationError"
    assert "speed" in execution["cause"]
    [letter] = app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    assert letter["error"] == "ConfigurationError"
    assert "speed" in letter["reason"]
    assert stack_name("restore-sync", "menu-copy") not in app.governance_stacks(sandbox)


def test_a_dry_run_of_a_large_source_reports_every_wanted_state_read_back_from_the_bucket(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    examples.make_large_source(app.clients(sandbox), "parcels", items=1)
    restored_copy(sandbox, "parcels", "parcels-copy")
    started = sandbox.client("stepfunctions").start_execution(
        stateMachineArn=deployed["StateMachineArn"],
        input=json.dumps({"targetTableName": "parcels-copy", "sourceTableName": "parcels", "dryRun": True}),
    )
    execution = app.wait(sandbox, started["executionArn"])
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    report = json.loads(execution["output"])
    assert report["outcome"] == "planned"
    alarms = report["settings"]["alarms"]
    assert alarms["status"] == "planned"
    assert len(alarms["wanted"]["alarms"]) == examples.LARGE_ALARMS
    events = app.history(sandbox, execution["executionArn"])
    plan = next(e for e in events if e.get("stateExitedEventDetails", {}).get("name") == "Plan settings")
    items = {i["setting"]: i for i in json.loads(plan["stateExitedEventDetails"]["output"])["plan"]["items"]}
    assert "wanted" not in items["alarms"]
    assert items["alarms"]["wantedStored"]["bytes"] > 8 * 1024


def test_a_table_name_another_stack_still_holds_fails_before_anything_is_touched(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    ddb, cfn = sandbox.client("dynamodb"), sandbox.client("cloudformation")
    # The application's own stack declared a table of that name, which was then deleted by hand.
    held = {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "TableName": "claimed-copy",
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        },
    }
    cfn.create_stack(StackName="billing-app", TemplateBody=json.dumps({"Resources": {"Ledger": held}}))
    ddb.delete_table(TableName="claimed-copy")
    examples.make_source(ddb, "claims", 3)
    app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    dynamodb_restore.set_ready_after("claimed-copy", sandbox.region, 0)

    ddb.restore_table_to_point_in_time(
        SourceTableName="claims", TargetTableName="claimed-copy", UseLatestRestorableTime=True
    )
    executions = app.finished_executions(sandbox, deployed["StateMachineArn"], "claimed-copy", count=2)
    execution = app.started_by(executions, "RestoreTableToPointInTime")

    # The deletion started an execution too: restore-sync never governed that table, so it touched nothing.
    assert json.loads(app.started_by(executions, "DeleteTable")["output"])["outcome"] == "ignored"
    assert execution["status"] == "FAILED"
    [letter] = app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    assert letter["error"] == "TableClaimedByStack"
    assert "stack billing-app still holds a table named claimed-copy" in letter["reason"]
    assert stack_name("restore-sync", "claimed-copy") not in app.governance_stacks(sandbox)
