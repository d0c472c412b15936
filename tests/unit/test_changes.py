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

# CloudTrail's eventSource of each service whose calls change a copied setting.
DYNAMODB = "dynamodb.amazonaws.com"
LAMBDA = "lambda.amazonaws.com"
AUTOSCALING = "application-autoscaling.amazonaws.com"
CLOUDWATCH = "monitoring.amazonaws.com"


def event(source: str, name: str, params: dict[str, Any], response: Any = None, **detail: Any) -> dict[str, Any]:
    return {
        "source": "aws." + source.split(".")[0],
        "detail-type": "AWS API Call via CloudTrail",
        "account": ACCOUNT,
        "region": REGION,
        "detail": {
            "eventSource": source,
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
        event(DYNAMODB, "UpdateTimeToLive", {"tableName": "orders"}),
        event(DYNAMODB, "TagResource", {"resourceArn": ORDERS.arn, "tags": []}),
        event(DYNAMODB, "PutResourcePolicy", {"resourceArn": STREAM, "policy": "{}"}),
        event(LAMBDA, "CreateEventSourceMapping20150331", {"eventSourceArn": STREAM, "functionName": "f"}),
        event(LAMBDA, "DeleteEventSourceMapping20150331", {"uUID": "u"}, {"eventSourceArn": STREAM}),
        event(
            AUTOSCALING,
            "PutScalingPolicy",
            {"serviceNamespace": "dynamodb", "resourceId": "table/orders/index/by-day"},
        ),
        event(
            CLOUDWATCH,
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
    change = changed_tables(event(DYNAMODB, "DeleteTable", {"tableName": "orders"}))
    assert (change.tables, change.deleted) == ([ORDERS], True)


@pytest.mark.parametrize(
    ("ignored", "because"),
    [
        (event(DYNAMODB, "UpdateTimeToLive", {"tableName": "orders"}, errorCode="ValidationException"), "failed"),
        (event(DYNAMODB, "PutItem", {"tableName": "orders"}), "not a settings-changing call"),
        (event("s3.amazonaws.com", "PutBucketTagging", {}), "not a settings-changing call"),
        (event(LAMBDA, "CreateEventSourceMapping20150331", {"eventSourceArn": "arn:aws:sqs:x:1:q"}), "stream"),
        (event(AUTOSCALING, "PutScalingPolicy", {"serviceNamespace": "ecs"}), "not DynamoDB"),
        (event(CLOUDWATCH, "PutMetricAlarm", {"namespace": "AWS/SQS", "dimensions": []}), "no DynamoDB"),
        (
            event(CLOUDWATCH, "DeleteAlarms", {"alarmNames": ["TargetTracking-table/orders-AlarmHigh-1"]}),
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
    change = changed_tables(event(CLOUDWATCH, "DeleteAlarms", {"alarmNames": ["orders-throttles"]}))
    assert (change.sweep, change.tables, change.ignored) == (True, [], None)


def test_every_known_call_resolves_or_explains() -> None:
    for source, names in SETTINGS_CALLS.items():
        for name in names:
            change = changed_tables(event(source, name, {}))
            assert change.tables or change.sweep or change.ignored, f"{source} {name}"


@pytest.mark.parametrize("source", ["aws.cloudwatch", "aws.monitoring"])
def test_the_call_is_known_by_its_event_source_whatever_eventbridge_calls_the_service(source: str) -> None:
    alarm = event(CLOUDWATCH, "DeleteAlarms", {"alarmNames": ["orders-throttles"]})
    assert changed_tables({**alarm, "source": source}).sweep
