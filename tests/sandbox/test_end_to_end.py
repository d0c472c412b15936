"""End to end in the sandbox: real template, real state machine, real handlers; a restore made whole."""

from __future__ import annotations

import json
from typing import Any

import pytest

from restore_sync.aws import TableRef
from restore_sync.names import change_set_name, stack_name
from restore_sync.table import import_template, table_document
from restore_sync_sandbox import examples
from restore_sync_sandbox.extensions import cloudtrail_events, dynamodb_restore
from restore_sync_sandbox.server import Sandbox
from tests.sandbox import app

# A short horizon keeps the "never ACTIVE" scenario to a few dozen polls; the backoff keeps its defaults.
PARAMETERS = {"HorizonHours": "2"}
ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/stock-restored"
# What the plain example source (on-demand, no triggers, destinations, alarms...) gives for the other settings.
PLAIN_SOURCE_HAS_NONE = {
    "triggers": "unchanged",
    "kinesis": "unchanged",
    "autoscaling": "skipped",
    "contributor_insights": "unchanged",
    "alarms": "unchanged",
    "resource_policy": "unchanged",
    "table_class": "unchanged",
    "on_demand_throughput": "unchanged",
    # An on-demand source not pre-warmed, and its on-demand restore, both start at 12,000/4,000.
    "warm_throughput": "unchanged",
    "stream_policy": "unchanged",
    "replicas": "skipped",
}


@pytest.fixture(scope="module")
def deployed(sandbox: Sandbox) -> dict[str, str]:
    return app.deploy(sandbox, **PARAMETERS)


def restore_pitr(sandbox: Sandbox, source: str, target: str, seconds: float) -> None:
    dynamodb_restore.set_ready_after(target, sandbox.region, seconds)
    sandbox.client("dynamodb").restore_table_to_point_in_time(
        SourceTableName=source, TargetTableName=target, UseLatestRestorableTime=True
    )


def report_of(execution: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(execution["output"]))


def test_point_in_time_restore_is_found_active_after_several_polls_and_made_whole(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    app.create_source(sandbox, "orders", items=25)
    # A maximum on-demand throughput, which the restore drops, on the table and on its index.
    sandbox.client("dynamodb").update_table(
        TableName="orders",
        OnDemandThroughput={"MaxReadRequestUnits": 800, "MaxWriteRequestUnits": 200},
        GlobalSecondaryIndexUpdates=[
            {"Update": {"IndexName": "by-status", "OnDemandThroughput": {"MaxWriteRequestUnits": 50}}}
        ],
    )
    restore_pitr(sandbox, "orders", "orders-restored", seconds=900)

    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "orders-restored")

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    events = app.history(sandbox, execution["executionArn"])
    assert app.entered(events, "Check target table") >= 5
    assert app.entered(events, "Wait before checking again") == app.entered(events, "Check target table") - 1
    report = report_of(execution)
    assert report["outcome"] == "succeeded"
    assert {name: entry["status"] for name, entry in report["settings"].items()} == {
        "tags": "applied",
        "stream": "applied",
        "ttl": "applied",
        "pitr": "applied",
        "deletion_protection": "applied",
        **PLAIN_SOURCE_HAS_NONE,
        "on_demand_throughput": "applied",
    }
    assert report["drift"] == []
    assert app.settings_of(sandbox, "orders-restored") == app.settings_of(sandbox, "orders")
    assert app.settings_of(sandbox, "orders-restored")["on_demand_throughput"] == {
        "table": {"MaxReadRequestUnits": 800, "MaxWriteRequestUnits": 200},
        "indexes": {"by-status": {"MaxWriteRequestUnits": 50}},
    }
    assert app.item_count(sandbox, "orders-restored") == app.item_count(sandbox, "orders") == 25
    assert report["stack"] in app.governance_stacks(sandbox)


def test_restore_from_backup_is_made_whole(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    app.create_source(sandbox, "invoices", items=7)
    ddb = sandbox.client("dynamodb")
    backup = ddb.create_backup(TableName="invoices", BackupName="invoices-nightly")["BackupDetails"]["BackupArn"]
    dynamodb_restore.set_ready_after("invoices-from-backup", sandbox.region, 300)
    ddb.restore_table_from_backup(TargetTableName="invoices-from-backup", BackupArn=backup)

    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "invoices-from-backup")

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert report_of(execution)["source"].endswith(":table/invoices")
    assert app.settings_of(sandbox, "invoices-from-backup") == app.settings_of(sandbox, "invoices")
    assert app.item_count(sandbox, "invoices-from-backup") == 7


def test_a_table_that_never_becomes_active_ends_in_the_dead_letter_queue(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    app.create_source(sandbox, "ledger", items=3)
    app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    restore_pitr(sandbox, "ledger", "ledger-stuck", seconds=float("inf"))

    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "ledger-stuck")

    assert execution["status"] == "FAILED"
    assert execution["error"] == "TargetTableUnavailable"
    assert "past the horizon" in execution["cause"]
    messages = app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    assert len(messages) == 1
    message = messages[0]
    assert message["error"] == "TargetTableUnavailable"
    assert "past the horizon" in message["reason"]
    assert message["request"]["targetTableName"] == "ledger-stuck"
    assert message["execution"] == execution["executionArn"]
    assert message["report"]["outcome"] == "failed"
    assert not [stack for stack in app.governance_stacks(sandbox) if "ledger" in stack]
    assert app.item_count(sandbox, "ledger") == 3


def test_running_the_same_request_twice_leaves_one_stack_and_the_same_settings(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    app.create_source(sandbox, "carts", items=4)
    restore_pitr(sandbox, "carts", "carts-restored", seconds=60)
    first = app.finished_execution(sandbox, deployed["StateMachineArn"], "carts-restored")
    assert first["status"] == "SUCCEEDED", first.get("cause")
    stacks = app.governance_stacks(sandbox)
    settings = app.settings_of(sandbox, "carts-restored")

    sfn = sandbox.client("stepfunctions")
    again = sfn.start_execution(
        stateMachineArn=deployed["StateMachineArn"],
        input=json.dumps({"targetTableName": "carts-restored", "sourceTableName": "carts"}),
    )
    second = app.wait(sandbox, again["executionArn"])

    assert second["status"] == "SUCCEEDED", second.get("cause")
    statuses = {entry["status"] for entry in report_of(second)["settings"].values()}
    assert statuses == {"unchanged", "skipped"}
    assert report_of(second)["settings"]["autoscaling"]["status"] == "skipped"
    assert app.governance_stacks(sandbox) == stacks
    assert app.settings_of(sandbox, "carts-restored") == settings
    assert app.item_count(sandbox, "carts-restored") == 4


def test_the_guard_refuses_a_change_set_that_would_replace_the_table(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    """The restored table is deleted where no trail sees it (so its governance stack stays) and restored again under
    the same name from a table with another key schema: the stack remembers the old schema, so any update would
    replace the new table. The guard refuses every change set and the table keeps its items."""
    app.create_source(sandbox, "users", items=9)
    restore_pitr(sandbox, "users", "users-restored", seconds=0)
    first = app.finished_execution(sandbox, deployed["StateMachineArn"], "users-restored")
    assert first["status"] == "SUCCEEDED", first.get("cause")
    ddb = sandbox.client("dynamodb")
    ddb.update_table(TableName="users-restored", DeletionProtectionEnabled=False)
    with cloudtrail_events.untracked("dynamodb", ["DeleteTable"]):
        ddb.delete_table(TableName="users-restored")
    ddb.create_table(
        TableName="accounts",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": "team", "Value": "identity"}],
    )
    ddb.update_continuous_backups(
        TableName="accounts", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    for i in range(6):
        ddb.put_item(TableName="accounts", Item={"id": {"S": f"a{i}"}})
    app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])

    restore_pitr(sandbox, "accounts", "users-restored", seconds=0)
    second, earlier = app.finished_executions(sandbox, deployed["StateMachineArn"], "users-restored", count=2)
    assert earlier["executionArn"] == first["executionArn"]

    assert second["status"] == "FAILED"
    assert second["error"] == "SettingsFailed"
    assert "data-safety guard" in second["cause"]
    assert "KeySchema" in second["cause"]
    messages = app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    assert len(messages) == 1
    assert messages[0]["report"]["settings"]["tags"]["status"] == "failed"
    table = ddb.describe_table(TableName="users-restored")["Table"]
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert app.settings_of(sandbox, "users-restored")["tags"] == {"tags": []}
    assert app.item_count(sandbox, "users-restored") == 6


def test_a_failed_restore_call_starts_nothing(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    ddb = sandbox.client("dynamodb")
    with pytest.raises(ddb.exceptions.ClientError):
        ddb.restore_table_to_point_in_time(SourceTableName="no-such-table", TargetTableName="nothing-restored")
    assert app.executions_for(sandbox, deployed["StateMachineArn"], "nothing-restored") == []


def test_a_partial_run_is_resumed(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    """A crash after the import change set was created (not executed), and a run that applied only some
    settings: the next run picks both up instead of failing on what exists."""
    app.create_source(sandbox, "stock", items=5)
    # A table restored where no trail saw it, as before restore-sync was deployed: no restore event, started by
    # hand below.
    ddb = sandbox.client("dynamodb")
    examples.restore_unannounced(ddb, "stock-restored", SourceTableName="stock")
    # What the import step leaves behind when it dies between creating and executing its change set.
    target = table_document(ddb.describe_table(TableName="stock-restored")["Table"], TableRef.from_arn(ARN))
    body = json.dumps(import_template(target), sort_keys=True)
    stack = stack_name("restore-sync", "stock-restored")
    sandbox.client("cloudformation").create_change_set(
        StackName=stack,
        ChangeSetName=change_set_name("import", body),
        ChangeSetType="IMPORT",
        TemplateBody=body,
        ResourcesToImport=[
            {
                "ResourceType": "AWS::DynamoDB::Table",
                "LogicalResourceId": "Table",
                "ResourceIdentifier": {"TableName": "stock-restored"},
            }
        ],
    )
    sfn = sandbox.client("stepfunctions")

    def run(settings: list[str]) -> dict[str, Any]:
        started = sfn.start_execution(
            stateMachineArn=deployed["StateMachineArn"],
            input=json.dumps({"targetTableName": "stock-restored", "sourceTableName": "stock", "settings": settings}),
        )
        return app.wait(sandbox, started["executionArn"])

    only_ttl = run(["ttl"])
    assert only_ttl["status"] == "SUCCEEDED", only_ttl.get("cause")
    assert {name: entry["status"] for name, entry in report_of(only_ttl)["settings"].items()} == {"ttl": "applied"}
    assert report_of(only_ttl)["stack"] == stack
    everything = run(["tags", "stream", "ttl", "pitr", "deletion_protection"])
    assert everything["status"] == "SUCCEEDED", everything.get("cause")
    statuses = {name: entry["status"] for name, entry in report_of(everything)["settings"].items()}
    assert statuses == {
        "tags": "applied",
        "stream": "applied",
        "ttl": "unchanged",
        "pitr": "applied",
        "deletion_protection": "applied",
    }
    assert app.settings_of(sandbox, "stock-restored") == app.settings_of(sandbox, "stock")
    assert [s for s in app.governance_stacks(sandbox) if "stock" in s] == [stack]
    assert app.item_count(sandbox, "stock-restored") == 5
