"""Which earlier execution a restore's second announcement defers to."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from restore_sync.aws import TableRef
from restore_sync.workflow.twins import earlier_twin

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:restore-sync"
CREATED = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TARGET = TableRef("orders-restored", "us-east-1", "123456789012")
BACKUP_EVENT = {"detail-type": "Restore Job State Change", "detail": {"createdResourceArn": TARGET.arn}}


def execution(name: str) -> str:
    return MACHINE.replace(":stateMachine:", ":execution:") + f":{name}"


class FakeStepFunctions:
    def __init__(self, runs: list[tuple[str, str, int, Any]]) -> None:
        # (name, status, minutes after the table's creation, input)
        self.runs = runs

    def get_paginator(self, name: str) -> Any:
        assert name == "list_executions"
        return self

    def paginate(self, stateMachineArn: str, **_: Any) -> list[dict[str, Any]]:
        assert stateMachineArn == MACHINE
        listed = [
            {"executionArn": execution(n), "status": s, "startDate": CREATED + timedelta(minutes=m)}
            for n, s, m, _ in self.runs
        ]
        return [{"executions": listed}]

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        return {"input": json.dumps(next(i for n, _, _, i in self.runs if execution(n) == executionArn))}


class FakeAws:
    def __init__(self, runs: list[tuple[str, str, int, Any]]) -> None:
        self.sfn = FakeStepFunctions(runs)

    def client(self, service: str, region: str | None = None) -> FakeStepFunctions:
        return self.sfn


def twin(runs: list[tuple[str, str, int, Any]], me: str = "me", at: int = 10) -> str | None:
    started = (CREATED + timedelta(minutes=at)).isoformat()
    return earlier_twin(FakeAws(runs), execution(me), started, TARGET, CREATED)  # type: ignore[arg-type]


def test_a_later_announcement_defers_to_a_running_or_succeeded_execution_for_the_same_table() -> None:
    assert "is already being made whole by execution" in str(twin([("first", "RUNNING", 1, BACKUP_EVENT)]))
    assert "was already made whole by execution" in str(twin([("first", "SUCCEEDED", 1, BACKUP_EVENT)]))


def test_nothing_to_defer_to() -> None:
    other_table = {"targetTableName": "carts-restored", "sourceTableName": "carts"}
    assert twin([("failed", "FAILED", 1, BACKUP_EVENT)]) is None
    assert twin([("older-table", "SUCCEEDED", -5, BACKUP_EVENT)]) is None
    assert twin([("other", "RUNNING", 1, other_table)]) is None
    assert twin([("dry", "SUCCEEDED", 1, {"targetTableName": TARGET.name, "dryRun": True})]) is None
    # Of two started together, the earlier (then the smaller ARN) does the work: never both ignored.
    assert twin([("later", "RUNNING", 12, BACKUP_EVENT)]) is None
    assert twin([("b", "RUNNING", 10, BACKUP_EVENT)], me="a") is None
    assert twin([("a", "RUNNING", 10, BACKUP_EVENT)], me="b") is not None


def test_a_restore_test_defers_only_to_an_earlier_execution_its_jobs_event_started() -> None:
    record = {
        "detail-type": "AWS API Call via CloudTrail",
        "detail": {"requestParameters": {"targetTableName": TARGET.name}},
    }
    started = (CREATED + timedelta(minutes=10)).isoformat()
    only_job_events = ("Restore Job State Change",)

    def deferred(runs: list[tuple[str, str, int, Any]]) -> str | None:
        return earlier_twin(FakeAws(runs), execution("me"), started, TARGET, CREATED, only_job_events)  # type: ignore[arg-type]

    assert deferred([("record", "SUCCEEDED", 1, record)]) is None
    assert "was already made whole by execution" in str(deferred([("job", "SUCCEEDED", 1, BACKUP_EVENT)]))
