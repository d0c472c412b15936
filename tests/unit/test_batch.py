"""A batch of settings-changing events as the work it asks for: each table once, at its latest change."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from restore_sync.aws import TableRef
from restore_sync.history.batch import batch_of

ACCOUNT = "123456789012"
REGION = "eu-west-1"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def record(message_id: str, name: str, params: dict[str, Any], at: str, source: str = "dynamodb") -> dict[str, Any]:
    event = {
        "source": f"aws.{source}",
        "detail-type": "AWS API Call via CloudTrail",
        "account": ACCOUNT,
        "region": REGION,
        "detail": {
            "eventSource": f"{source}.amazonaws.com",
            "eventName": name,
            "awsRegion": REGION,
            "eventTime": at,
            "requestParameters": params,
        },
    }
    return {"messageId": message_id, "body": json.dumps(event), "eventSource": "aws:sqs"}


def table(name: str) -> TableRef:
    return TableRef(name, REGION, ACCOUNT)


def test_a_tables_changes_are_one_snapshot_at_the_latest_change_naming_each_call_once() -> None:
    batch = batch_of(
        [
            record("1", "UpdateTable", {"tableName": "orders"}, "2026-11-26T10:00:05Z"),
            record("2", "TagResource", {"resourceArn": table("orders").arn}, "2026-11-26T10:00:09Z"),
            record("3", "UpdateTimeToLive", {"tableName": "audits"}, "2026-11-26T10:00:07Z"),
            # Arrives last but happened before the others.
            record("4", "UpdateTable", {"tableName": "orders"}, "2026-11-26T10:00:01Z"),
        ],
        NOW,
    )

    assert list(batch.tables) == [table("orders"), table("audits")]
    orders = batch.tables[table("orders")]
    assert orders.at == datetime(2026, 11, 26, 10, 0, 9, tzinfo=UTC)
    assert (orders.cause, orders.records, orders.deleted_at) == ("UpdateTable, TagResource", ["1", "2", "4"], None)
    assert batch.tables[table("audits")].records == ["3"]
    assert batch.sweep is None


def test_a_deletion_is_kept_with_its_time_and_a_table_changed_after_it_was_created_again() -> None:
    deleted = batch_of([record("1", "DeleteTable", {"tableName": "orders"}, "2026-11-26T10:00:05Z")], NOW)
    work = deleted.tables[table("orders")]
    assert (work.deleted_at, work.recreated) == (datetime(2026, 11, 26, 10, 0, 5, tzinfo=UTC), False)

    again = batch_of(
        [
            record("1", "DeleteTable", {"tableName": "orders"}, "2026-11-26T10:00:05Z"),
            record("2", "CreateTable", {"tableName": "orders"}, "2026-11-26T10:00:30Z"),
        ],
        NOW,
    )
    assert again.tables[table("orders")].recreated is True


def test_alarm_deletions_ask_for_one_sweep_and_ignored_or_unreadable_records_are_set_apart() -> None:
    batch = batch_of(
        [
            record("1", "DeleteAlarms", {"alarmNames": ["orders-throttles"]}, "2026-11-26T10:00:05Z", "monitoring"),
            record("2", "DisableAlarmActions", {"alarmNames": ["a"]}, "2026-11-26T10:00:08Z", "monitoring"),
            record("3", "DeleteAlarms", {"alarmNames": ["TargetTracking-x"]}, "2026-11-26T10:00:09Z", "monitoring"),
            {"messageId": "4", "body": "not json"},
            {"messageId": "5", "body": "[1, 2]"},
            {"messageId": "6", "body": json.dumps({"detail-type": "AWS API Call via CloudTrail", "detail": {}})},
        ],
        NOW,
    )

    assert batch.tables == {}
    assert batch.sweep is not None
    assert (batch.sweep.at, batch.sweep.records) == (datetime(2026, 11, 26, 10, 0, 8, tzinfo=UTC), ["1", "2"])
    assert batch.sweep.cause == "DeleteAlarms, DisableAlarmActions"
    assert [message for message, _ in batch.ignored] == ["3", "6"]
    assert [message for message, _ in batch.unreadable] == ["4", "5"]
