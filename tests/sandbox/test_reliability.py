"""Reliability end to end in the sandbox: duplicates, races, failures fixed and run again, tables that vanish,
and stacks deleted under the tables; every scenario ends with the restored table's items intact."""

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


@pytest.fixture(scope="module")
def deployed(sandbox: Sandbox) -> dict[str, str]:
    return app.deploy(sandbox, HorizonHours="2", GraceSeconds="60")


def restore(sandbox: Sandbox, source: str, target: str, seconds: float = 300) -> None:
    dynamodb_restore.set_ready_after(target, sandbox.region, seconds)
    sandbox.client("dynamodb").restore_table_to_point_in_time(
        SourceTableName=source, TargetTableName=target, UseLatestRestorableTime=True
    )


def start(sandbox: Sandbox, deployed: dict[str, str], **request: Any) -> str:
    started = sandbox.client("stepfunctions").start_execution(
        stateMachineArn=deployed["StateMachineArn"], input=json.dumps(request)
    )
    return str(started["executionArn"])


def statuses(execution: dict[str, Any]) -> dict[str, str]:
    return {name: entry["status"] for name, entry in json.loads(execution["output"])["settings"].items()}


def stacks_for(sandbox: Sandbox, table: str) -> list[str]:
    return [s for s in app.governance_stacks(sandbox) if s == stack_name("restore-sync", table)]


def test_a_duplicate_restore_event_applies_once(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    examples.make_source(sandbox.client("dynamodb"), "twice", 7)
    restore(sandbox, "twice", "twice-restored")
    # EventBridge delivers at least once: the same CloudTrail event a second time.
    event = load_event("cloudtrail_restore_pitr_by_name")
    event["detail"]["requestParameters"] = {"sourceTableName": "twice", "targetTableName": "twice-restored"}
    event["detail"]["eventTime"] = sandbox.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    sandbox.client("events").put_events(
        Entries=[{"Source": event["source"], "DetailType": event["detail-type"], "Detail": json.dumps(event["detail"])}]
    )

    executions = app.finished_executions(sandbox, deployed["StateMachineArn"], "twice-restored", count=2)

    assert [e["status"] for e in executions] == ["SUCCEEDED", "SUCCEEDED"], [e.get("cause") for e in executions]
    applied = [name for e in executions for name, status in statuses(e).items() if status == "applied"]
    assert sorted(applied) == ["deletion_protection", "pitr", "stream", "tags", "ttl"], "each applied once"
    assert len(stacks_for(sandbox, "twice-restored")) == 1
    assert app.settings_of(sandbox, "twice-restored") == app.settings_of(sandbox, "twice")
    assert app.item_count(sandbox, "twice-restored") == 7


def test_two_starts_by_hand_at_the_same_moment(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    examples.make_source(sandbox.client("dynamodb"), "race", 5)
    examples.settled()
    restore(sandbox, "race", "race-restored", seconds=0)
    first = app.finished_execution(sandbox, deployed["StateMachineArn"], "race-restored")
    assert first["status"] == "SUCCEEDED"
    # Both ask for the live settings, with a tag added after the restore point; they race for the same change sets.
    ddb = sandbox.client("dynamodb")
    arn = ddb.describe_table(TableName="race")["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "late", "Value": "tag"}])
    late = {"targetTableName": "race-restored", "sourceTableName": "race", "settingsFrom": "live"}
    arns = [start(sandbox, deployed, **late) for _ in range(2)]

    finished = [app.wait(sandbox, arn) for arn in arns]

    assert [e["status"] for e in finished] == ["SUCCEEDED", "SUCCEEDED"], [e.get("cause") for e in finished]
    assert sorted(statuses(e)["tags"] for e in finished) == ["applied", "unchanged"]
    assert len(stacks_for(sandbox, "race-restored")) == 1
    assert app.settings_of(sandbox, "race-restored") == app.settings_of(sandbox, "race")
    assert app.item_count(sandbox, "race-restored") == 5


def test_a_failed_setting_can_be_fixed_and_run_again(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    made = examples.make_full_source(app.clients(sandbox), "fixme", items=4)
    kinesis = sandbox.client("kinesis")
    kinesis.delete_stream(StreamName="fixme-changes")
    restore(sandbox, "fixme", "fixme-restored", seconds=0)
    failed = app.finished_execution(sandbox, deployed["StateMachineArn"], "fixme-restored")
    assert failed["status"] == "FAILED"
    stack = sandbox.client("cloudformation").describe_stacks(StackName=stack_name("restore-sync", "fixme-restored"))
    # The failed change set rolled back; the stack accepts the next update.
    assert stack["Stacks"][0]["StackStatus"] in ("UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE")

    kinesis.create_stream(StreamName="fixme-changes", ShardCount=1)
    assert kinesis.describe_stream(StreamName="fixme-changes")["StreamDescription"]["StreamARN"] == made["kinesis"]
    again = app.wait(sandbox, start(sandbox, deployed, targetTableName="fixme-restored", sourceTableName="fixme"))

    assert again["status"] == "SUCCEEDED", again.get("cause")
    assert statuses(again)["kinesis"] == "applied"
    # The full source is provisioned: a maximum on-demand throughput does not apply.
    assert statuses(again)["on_demand_throughput"] == "skipped"
    # Replicas are opt-in: skipped.
    assert statuses(again)["replicas"] == "skipped"
    skipped_or_applied = ("kinesis", "on_demand_throughput", "replicas")
    assert {s for name, s in statuses(again).items() if name not in skipped_or_applied} == {"unchanged"}
    assert app.settings_of(sandbox, "fixme-restored") == app.wanted_on_target(sandbox, "fixme", "fixme-restored")
    assert app.item_count(sandbox, "fixme-restored") == 4


def test_a_source_deleted_mid_run_is_made_whole_from_the_settings_history(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    ddb = sandbox.client("dynamodb")
    examples.make_source(ddb, "doomed", 3)
    examples.settled()
    recorded = app.settings_of(sandbox, "doomed")
    restore(sandbox, "doomed", "doomed-restored", seconds=600)
    ddb.update_table(TableName="doomed", DeletionProtectionEnabled=False)
    ddb.delete_table(TableName="doomed")

    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "doomed-restored")

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert json.loads(execution["output"])["settingsFrom"] == "snapshot"
    assert app.settings_of(sandbox, "doomed-restored") == app.wanted_on_target(
        sandbox, "doomed", "doomed-restored", recorded
    )
    assert app.item_count(sandbox, "doomed-restored") == 3


def test_a_target_deleted_while_waiting_fails_clearly_and_leaves_nothing(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    ddb = sandbox.client("dynamodb")
    examples.make_source(ddb, "gone", 2)
    app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    restore(sandbox, "gone", "gone-restored", seconds=float("inf"))
    # Once the execution waits for it: the request was made from the restored table.
    app.entered_in_time(sandbox, deployed["StateMachineArn"], "gone-restored", "Wait before checking again")
    ddb.delete_table(TableName="gone-restored")

    executions = app.finished_executions(sandbox, deployed["StateMachineArn"], "gone-restored", count=2)
    execution = app.started_by(executions, "RestoreTableToPointInTime")

    # The table was never adopted, so its deletion has no governance stack to remove.
    assert json.loads(app.started_by(executions, "DeleteTable")["output"])["outcome"] == "ignored"
    assert execution["status"] == "FAILED"
    assert execution["error"] == "TargetTableUnavailable"
    [message] = app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    assert "gone-restored does not exist" in message["reason"]
    assert stacks_for(sandbox, "gone-restored") == []
    assert app.item_count(sandbox, "gone") == 2


def test_deleting_a_governance_stack_keeps_the_table(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    examples.make_source(sandbox.client("dynamodb"), "kept", 6)
    restore(sandbox, "kept", "kept-restored", seconds=0)
    assert app.finished_execution(sandbox, deployed["StateMachineArn"], "kept-restored")["status"] == "SUCCEEDED"
    settings = app.settings_of(sandbox, "kept-restored")

    sandbox.client("cloudformation").delete_stack(StackName=stack_name("restore-sync", "kept-restored"))

    assert stacks_for(sandbox, "kept-restored") == []
    assert app.item_count(sandbox, "kept-restored") == 6
    assert app.settings_of(sandbox, "kept-restored") == settings


def test_deleting_restore_sync_keeps_every_table(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    """Last in this module: it takes the deployment away."""
    tables = sandbox.client("dynamodb").list_tables()["TableNames"]
    counts = {table: app.item_count(sandbox, table) for table in tables}

    sandbox.client("cloudformation").delete_stack(StackName="restore-sync")

    assert sorted(sandbox.client("dynamodb").list_tables()["TableNames"]) == sorted(tables)
    assert {table: app.item_count(sandbox, table) for table in tables} == counts
