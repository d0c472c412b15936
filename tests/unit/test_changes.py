"""Which tables a CloudTrail event of a settings-changing call names."""

from __future__ import annotations

from typing import Any

import pytest

from restore_sync.aws import TableRef
from restore_sync.history.changes import SETTINGS_CALLS, changed_tables

ACCOUNT = "123456789012"
REGION = "eu-west-1"
ORDERS = TableRef("orders", REGION, ACCOUNT)
STREAM = f"{ORDERS.arn}/stream/2026-11-26T10:00:00.000"


def event(source: str, name: str, params: dict[str, Any], response: Any = None, **detail: Any) -> dict[str, Any]:
    return {
        "source": source,
        "detail-type": "AWS API Call via CloudTrail",
        "account": ACCOUNT,
        "region": REGION,
        "detail": {
            "eventName": name,
            "awsRegion": REGION,
            "eventTime": "2026-11-26T10:00:05Z",
            "requestParameters": params,
            "responseElements": response,
            **detail,
        },
    }


@pytest.mark.parametrize(
    "found",
    [
        event("aws.dynamodb", "UpdateTimeToLive", {"tableName": "orders"}),
        event("aws.dynamodb", "TagResource", {"resourceArn": ORDERS.arn, "tags": []}),
        event("aws.dynamodb", "PutResourcePolicy", {"resourceArn": STREAM, "policy": "{}"}),
        event("aws.lambda", "CreateEventSourceMapping20150331", {"eventSourceArn": STREAM, "functionName": "f"}),
        event("aws.lambda", "DeleteEventSourceMapping20150331", {"uUID": "u"}, {"eventSourceArn": STREAM}),
        event(
            "aws.application-autoscaling",
            "PutScalingPolicy",
            {"serviceNamespace": "dynamodb", "resourceId": "table/orders/index/by-day"},
        ),
        event(
            "aws.cloudwatch",
            "PutMetricAlarm",
            {"namespace": "AWS/DynamoDB", "dimensions": [{"name": "TableName", "value": "orders"}]},
        ),
    ],
    ids=lambda e: e["detail"]["eventName"],
)
def test_a_call_names_its_table_whichever_way_it_refers_to_it(found: dict[str, Any]) -> None:
    change = changed_tables(found)
    assert change.ignored is None
    assert change.tables == [ORDERS]
    assert change.at == "2026-11-26T10:00:05Z"
    assert not change.deleted
    assert not change.sweep


def test_deleting_a_table_is_a_deletion() -> None:
    change = changed_tables(event("aws.dynamodb", "DeleteTable", {"tableName": "orders"}))
    assert (change.tables, change.deleted) == ([ORDERS], True)


@pytest.mark.parametrize(
    ("ignored", "because"),
    [
        (event("aws.dynamodb", "UpdateTimeToLive", {"tableName": "orders"}, errorCode="ValidationException"), "failed"),
        (event("aws.dynamodb", "PutItem", {"tableName": "orders"}), "not a settings-changing call"),
        (event("aws.s3", "PutBucketTagging", {}), "not a settings-changing call"),
        (event("aws.lambda", "CreateEventSourceMapping20150331", {"eventSourceArn": "arn:aws:sqs:x:1:q"}), "stream"),
        (event("aws.application-autoscaling", "PutScalingPolicy", {"serviceNamespace": "ecs"}), "not DynamoDB"),
        (event("aws.cloudwatch", "PutMetricAlarm", {"namespace": "AWS/SQS", "dimensions": []}), "no DynamoDB"),
        (
            event("aws.cloudwatch", "DeleteAlarms", {"alarmNames": ["TargetTracking-table/orders-AlarmHigh-1"]}),
            "auto-scaling alarms",
        ),
    ],
)
def test_calls_that_change_nothing_copied_are_ignored_with_a_reason(ignored: dict[str, Any], because: str) -> None:
    change = changed_tables(ignored)
    assert change.tables == []
    assert change.ignored is not None
    assert because in change.ignored


def test_deleting_alarms_by_name_asks_for_a_sweep() -> None:
    change = changed_tables(event("aws.cloudwatch", "DeleteAlarms", {"alarmNames": ["orders-throttles"]}))
    assert (change.sweep, change.tables, change.ignored) == (True, [], None)


def test_every_known_call_resolves_or_explains() -> None:
    for source, names in SETTINGS_CALLS.items():
        for name in names:
            change = changed_tables(event(source, name, {}))
            assert change.tables or change.sweep or change.ignored, f"{source} {name}"
