"""A failed execution fixed and redriven: the operator fixes the cause outside restore-sync, redrives the execution
(the console's Redrive button: RedriveExecution), and the same execution finishes the work and succeeds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from restore_sync_sandbox import examples
from restore_sync_sandbox.extensions import dynamodb_restore
from restore_sync_sandbox.server import Sandbox
from tests.sandbox import app

FAILED_IN = "Restore sync failed"
FIRST_STATE = "Receive the request"


@pytest.fixture(scope="module")
def deployed(sandbox: Sandbox) -> dict[str, str]:
    return app.deploy(sandbox)


def restore(sandbox: Sandbox, source: str, target: str) -> None:
    dynamodb_restore.set_ready_after(target, sandbox.region, 600)
    sandbox.client("dynamodb").restore_table_to_point_in_time(
        SourceTableName=source, TargetTableName=target, UseLatestRestorableTime=True
    )


def items(sandbox: Sandbox, table: str) -> list[dict[str, Any]]:
    scanned = sandbox.client("dynamodb").get_paginator("scan").paginate(TableName=table)
    return sorted(
        (item for page in scanned for item in page["Items"]), key=lambda item: json.dumps(item, sort_keys=True)
    )


def source_streaming_to_a_deleted_stream(sandbox: Sandbox, name: str) -> str:
    """Makes `name` a source with the settings every table can have (tags, stream, TTL, PITR, deletion protection,
    an index, items) whose changes stream to a Kinesis stream, then deletes the stream: the failure an operator
    fixes outside restore-sync. Returns the stream's ARN."""
    examples.make_source(sandbox.client("dynamodb"), name, items=20)
    kinesis = sandbox.client("kinesis")
    kinesis.create_stream(StreamName=f"{name}-changes", ShardCount=1)
    stream = kinesis.describe_stream(StreamName=f"{name}-changes")["StreamDescription"]["StreamARN"]
    sandbox.client("dynamodb").enable_kinesis_streaming_destination(TableName=name, StreamArn=stream)
    examples.settled()
    kinesis.delete_stream(StreamName=f"{name}-changes")
    return str(stream)


def events_of(history: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [event for event in history if event["type"] == kind]


def test_a_failed_execution_redriven_fails_again_until_its_cause_is_fixed_then_finishes_the_work(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    sfn = sandbox.client("stepfunctions")
    kinesis = sandbox.client("kinesis")
    stream_arn = source_streaming_to_a_deleted_stream(sandbox, "orders")
    app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    restore(sandbox, "orders", "orders-restored")

    failed = app.finished_execution(sandbox, deployed["StateMachineArn"], "orders-restored")
    arn = failed["executionArn"]
    assert (failed["status"], failed["error"]) == ("FAILED", "SettingsFailed")
    assert (failed["redriveCount"], failed["redriveStatus"]) == (0, "REDRIVABLE")
    [message] = app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    assert message["report"]["settings"]["kinesis"]["status"] == "failed"
    assert f"aws stepfunctions redrive-execution --execution-arn {arn}" in message["redrive"]
    first_attempt = app.history(sandbox, arn)
    # The execution failed in the step a redrive reruns, not in a Fail state.
    assert events_of(first_attempt, "FailStateEntered") == []
    assert first_attempt[-2]["type"] == "LambdaFunctionFailed"

    # Redriven before the cause is fixed: round once, then failed in the same step again, with a new dead letter.
    sfn.redrive_execution(executionArn=arn)
    again = app.wait(sandbox, arn)
    assert (again["status"], again["error"], again["redriveCount"]) == ("FAILED", "SettingsFailed", 1)
    assert "orders-changes" in again["cause"]
    [message_again] = app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    assert (message_again["error"], message_again["execution"]) == ("SettingsFailed", arn)
    assert (app.entered(app.history(sandbox, arn), FIRST_STATE), again["redriveStatus"]) == (2, "REDRIVABLE")

    # The operator fixes the cause outside restore-sync: the stream exists again (same name, same ARN).
    kinesis.create_stream(StreamName="orders-changes", ShardCount=1)
    assert kinesis.describe_stream(StreamName="orders-changes")["StreamDescription"]["StreamARN"] == stream_arn
    sfn.redrive_execution(executionArn=arn)
    described = app.wait(sandbox, arn)

    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert (described["executionArn"], described["redriveCount"]) == (arn, 2)
    report = json.loads(described["output"])
    assert report["outcome"] == "succeeded"
    # The last pass did all the work again: the fixed setting applied, those the first pass applied found as
    # they were left, the skipped ones skipped again.
    first = {name: entry["status"] for name, entry in message["report"]["settings"].items()}
    assert {"applied", "failed"} <= set(first.values())
    assert {name: entry["status"] for name, entry in report["settings"].items()} == {
        name: "applied" if status == "failed" else "skipped" if status == "skipped" else "unchanged"
        for name, status in first.items()
    }
    assert app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"]) == []

    # One history holds every attempt: the first, unchanged, then each redrive and its pass.
    history = app.history(sandbox, arn)
    assert history[: len(first_attempt)] == first_attempt
    redriven = events_of(history, "ExecutionRedriven")
    assert [e["executionRedrivenEventDetails"] for e in redriven] == [{"redriveCount": 1}, {"redriveCount": 2}]
    assert history[history.index(redriven[0]) + 1]["stateEnteredEventDetails"]["name"] == FAILED_IN
    assert app.entered(history, FIRST_STATE) == 3
    assert [e["type"] for e in history if e["type"].startswith("Execution")] == [
        "ExecutionStarted",
        "ExecutionFailed",
        "ExecutionRedriven",
        "ExecutionFailed",
        "ExecutionRedriven",
        "ExecutionSucceeded",
    ]

    # The target against the source: every item, every setting.
    assert items(sandbox, "orders-restored") == items(sandbox, "orders")
    assert len(items(sandbox, "orders-restored")) == 20
    assert app.settings_of(sandbox, "orders-restored") == app.wanted_on_target(sandbox, "orders", "orders-restored")
    assert app.settings_of(sandbox, "orders-restored")["kinesis"]["destinations"][0]["streamArn"] == stream_arn
