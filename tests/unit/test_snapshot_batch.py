"""The recorder's answer to a batch of settings changes: one snapshot per table, the failed tables' records reported."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from restore_sync.aws import TableRef
from restore_sync.handlers import snapshot as recorder_handler
from restore_sync.handlers.snapshot import Recorder
from restore_sync.history.batch import batch_of
from restore_sync.history.snapshot import Tally
from tests.unit.test_batch import record as change_record

ACCOUNT = "123456789012"
REGION = "eu-west-1"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
THROTTLED = ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "DescribeTable")


@dataclass
class Context:
    seconds_left: float = 600.0

    def get_remaining_time_in_millis(self) -> int:
        return int(self.seconds_left * 1000)


@dataclass
class Done:
    """What the recorder did, in order: snapshots (table, at, cause), deletions marked (table), sweeps (cause)."""

    steps: list[tuple[Any, ...]] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)

    def mark_deleted(self, table_arn: str, at: datetime) -> bool:
        self.steps.append(("deleted", table_arn.rsplit("/", 1)[1], at))
        return True


def record(message_id: str, name: str, table: str, at: str, source: str = "dynamodb") -> dict[str, Any]:
    """A record of a call naming `table` (DynamoDB's) or an alarm of that name (CloudWatch's)."""
    params = {"tableName": table} if source == "dynamodb" else {"alarmNames": [table]}
    return change_record(message_id, name, params, at, source)


@pytest.fixture
def done(monkeypatch: pytest.MonkeyPatch) -> Done:
    steps = Done()

    def snapshot(aws: Any, history: Any, table: TableRef, *, at: datetime, now: datetime, cause: str) -> str:
        steps.steps.append(("snapshot", table.name, at, cause))
        if table.name in steps.failing:
            raise THROTTLED
        return "recorded"

    def sweep(*_: Any, cause: str, **__: Any) -> Tally:
        steps.steps.append(("sweep", cause))
        if "sweep" in steps.failing:
            raise THROTTLED
        return Tally(unchanged=3)

    monkeypatch.setattr(recorder_handler, "snapshot", snapshot)
    monkeypatch.setattr(recorder_handler, "sweep", sweep)
    return steps


def answer(done: Done, records: list[dict[str, Any]], seconds_left: float = 600.0) -> list[str]:
    recorder = Recorder.__new__(Recorder)
    recorder.rt = SimpleNamespace(aws=None, region=REGION, account=ACCOUNT)  # type: ignore[assignment]
    recorder.context, recorder.now, recorder.history = Context(seconds_left), NOW, done  # type: ignore[assignment]
    response = recorder.batch(batch_of(records, NOW))
    assert set(response) == {"batchItemFailures"}
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def at(seconds: int) -> datetime:
    return datetime(2026, 11, 26, 10, 0, seconds, tzinfo=UTC)


def test_each_table_is_read_once_and_only_the_records_of_a_table_that_failed_are_retried(done: Done) -> None:
    done.failing = {"audits"}
    failed = answer(
        done,
        [
            record("1", "UpdateTable", "orders", "2026-11-26T10:00:01Z"),
            record("2", "UpdateTimeToLive", "audits", "2026-11-26T10:00:02Z"),
            record("3", "TagResource", "orders", "2026-11-26T10:00:03Z"),
            record("4", "UpdateTable", "audits", "2026-11-26T10:00:04Z"),
            {"messageId": "5", "body": "{not json"},
        ],
    )

    assert done.steps == [
        ("snapshot", "orders", at(3), "UpdateTable, TagResource"),
        ("snapshot", "audits", at(4), "UpdateTimeToLive, UpdateTable"),
    ]
    assert failed == ["5", "2", "4"]


def test_a_deletion_is_marked_after_the_last_snapshot_or_before_the_snapshot_of_the_table_made_again(
    done: Done,
) -> None:
    assert answer(done, [record("1", "DeleteTable", "orders", "2026-11-26T10:00:01Z")]) == []
    assert done.steps == [("snapshot", "orders", at(1), "DeleteTable"), ("deleted", "orders", at(1))]

    done.steps.clear()
    recreated = [
        record("1", "DeleteTable", "orders", "2026-11-26T10:00:01Z"),
        record("2", "CreateTable", "orders", "2026-11-26T10:00:09Z"),
    ]
    assert answer(done, recreated) == []
    assert done.steps == [("deleted", "orders", at(1)), ("snapshot", "orders", at(9), "DeleteTable, CreateTable")]


def test_tables_not_reached_in_time_and_a_sweep_that_cannot_list_the_tables_are_retried(done: Done) -> None:
    done.failing = {"sweep"}
    records = [
        record("1", "UpdateTable", "orders", "2026-11-26T10:00:01Z"),
        record("2", "DeleteAlarms", "orders-throttles", "2026-11-26T10:00:02Z", source="monitoring"),
        record("3", "DisableAlarmActions", "orders-latency", "2026-11-26T10:00:03Z", source="monitoring"),
    ]

    assert answer(done, records) == ["2", "3"]
    assert done.steps == [("snapshot", "orders", at(1), "UpdateTable"), ("sweep", "DeleteAlarms, DisableAlarmActions")]

    done.steps.clear()
    done.failing = set()
    assert answer(done, records, seconds_left=10) == ["1"]
    assert done.steps == [("sweep", "DeleteAlarms, DisableAlarmActions")]
