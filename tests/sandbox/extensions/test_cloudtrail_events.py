"""CloudTrail-shaped events on the default bus after tracked API calls, in-process and through the server."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.responses import BaseResponse
from moto.events.models import EventsBackend
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from restore_sync_sandbox import clock
from restore_sync_sandbox.extensions import cloudtrail_events

ACCOUNT = "123456789012"
RESTORE_PATTERN = {
    "source": ["aws.dynamodb"],
    "detail-type": ["AWS API Call via CloudTrail"],
    "detail": {
        "eventSource": ["dynamodb.amazonaws.com"],
        "eventName": ["RestoreTableToPointInTime", "RestoreTableFromBackup"],
        "errorCode": [{"exists": False}],
    },
}


@pytest.fixture(autouse=True)
def recording() -> Iterator[clock.Clock]:
    cloudtrail_events.install()
    cloudtrail_events.reset()
    previous = clock.use_clock(clock.Clock(virtual=True))
    try:
        yield clock.current()
    finally:
        cloudtrail_events.reset()
        clock.use_clock(previous)


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def client(service: str, endpoint_url: str | None = None) -> Any:
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def rule_to_queue(endpoint_url: str | None, name: str, pattern: dict[str, Any]) -> str:
    sqs, events = client("sqs", endpoint_url), client("events", endpoint_url)
    queue_url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": queue_arn}])
    return queue_url


def drain(endpoint_url: str | None, queue_url: str) -> list[dict[str, Any]]:
    sqs = client("sqs", endpoint_url)
    bodies: list[dict[str, Any]] = []
    for _ in range(10):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            break
        bodies.extend(json.loads(message["Body"]) for message in messages)
        for message in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def create_source(endpoint_url: str | None, name: str, pitr: bool = True) -> None:
    ddb = client("dynamodb", endpoint_url)
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    if pitr:
        ddb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )


def test_patched_moto_attribute_still_exists() -> None:
    assert callable(getattr(BaseResponse, "_dispatch", None)), "BaseResponse._dispatch is gone from moto"


@pytest.mark.usefixtures("aws")
def test_a_successful_restore_emits_one_cloudtrail_event_that_the_restore_rule_delivers(
    recording: clock.Clock,
) -> None:
    recording.advance(3600)
    create_source(None, "orders")
    queue_url = rule_to_queue(None, "restores", RESTORE_PATTERN)

    client("dynamodb").restore_table_to_point_in_time(
        SourceTableName="orders",
        TargetTableName="orders-restored",
        UseLatestRestorableTime=True,
        SSESpecificationOverride={"Enabled": True, "SSEType": "KMS"},
        GlobalSecondaryIndexOverride=[],
    )

    [event] = drain(None, queue_url)
    assert event["source"] == "aws.dynamodb"
    assert event["detail-type"] == "AWS API Call via CloudTrail"
    assert event["region"] == "us-east-1"
    detail = event["detail"]
    assert detail["eventVersion"] == "1.08"
    assert detail["eventSource"] == "dynamodb.amazonaws.com"
    assert detail["eventName"] == "RestoreTableToPointInTime"
    assert detail["awsRegion"] == "us-east-1"
    assert detail["eventType"] == "AwsApiCall"
    assert detail["managementEvent"] is True
    assert detail["eventCategory"] == "Management"
    assert detail["readOnly"] is False
    assert detail["recipientAccountId"] == ACCOUNT
    assert detail["userIdentity"]["accountId"] == ACCOUNT
    assert uuid.UUID(detail["eventID"])
    assert detail["requestID"]
    assert detail["sourceIPAddress"]
    assert "Boto3" in detail["userAgent"] or "botocore" in detail["userAgent"]
    event_time = datetime.strptime(detail["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((event_time - recording.now()).total_seconds()) < 60
    assert (event_time - datetime.now(tz=UTC)).total_seconds() > 3000
    assert detail["requestParameters"] == {
        "sourceTableName": "orders",
        "targetTableName": "orders-restored",
        "useLatestRestorableTime": True,
        "sSESpecificationOverride": {"enabled": True, "sSEType": "KMS"},
        "globalSecondaryIndexOverride": [],
    }
    description = detail["responseElements"]["tableDescription"]
    assert description["tableName"] == "orders-restored"
    assert description["restoreSummary"]["sourceTableArn"].endswith(":table/orders")
    assert "errorCode" not in detail


@pytest.mark.usefixtures("aws")
def test_a_restore_from_backup_is_recorded_with_its_backup_arn() -> None:
    create_source(None, "orders")
    queue_url = rule_to_queue(None, "restores", RESTORE_PATTERN)
    ddb = client("dynamodb")
    backup_arn = ddb.create_backup(TableName="orders", BackupName="nightly")["BackupDetails"]["BackupArn"]

    ddb.restore_table_from_backup(TargetTableName="from-backup", BackupArn=backup_arn)

    [event] = drain(None, queue_url)
    assert event["detail"]["eventName"] == "RestoreTableFromBackup"
    assert event["detail"]["requestParameters"] == {"targetTableName": "from-backup", "backupArn": backup_arn}


@pytest.mark.usefixtures("aws")
def test_a_failed_restore_is_recorded_with_its_error_and_does_not_match_the_restore_rule() -> None:
    create_source(None, "orders", pitr=False)
    restores = rule_to_queue(None, "restores", RESTORE_PATTERN)
    everything = rule_to_queue(None, "everything", {"source": ["aws.dynamodb"]})

    with pytest.raises(ClientError):
        client("dynamodb").restore_table_to_point_in_time(SourceTableName="missing", TargetTableName="orders-restored")

    assert drain(None, restores) == []
    [event] = drain(None, everything)
    detail = event["detail"]
    assert detail["eventName"] == "RestoreTableToPointInTime"
    assert detail["errorCode"] == "SourceTableNotFoundException"
    assert "missing" in detail["errorMessage"]
    assert "responseElements" not in detail


@pytest.mark.usefixtures("aws")
def test_calls_outside_the_selection_are_not_recorded_until_tracked() -> None:
    everything = rule_to_queue(None, "everything", {"source": ["aws.dynamodb"]})
    create_source(None, "orders")
    ttl = {"Enabled": True, "AttributeName": "expires"}
    client("dynamodb").update_time_to_live(TableName="orders", TimeToLiveSpecification=ttl)
    assert drain(None, everything) == []

    cloudtrail_events.track("dynamodb", ["UpdateTimeToLive"])
    client("dynamodb").update_time_to_live(TableName="orders", TimeToLiveSpecification={**ttl, "Enabled": False})

    [event] = drain(None, everything)
    assert event["detail"]["eventName"] == "UpdateTimeToLive"
    assert event["detail"]["requestParameters"] == {
        "tableName": "orders",
        "timeToLiveSpecification": {"enabled": False, "attributeName": "expires"},
    }


@pytest.mark.usefixtures("aws")
def test_other_services_can_be_tracked_with_their_own_event_names() -> None:
    everything = rule_to_queue(None, "everything", {"source": ["aws.sqs"]})
    cloudtrail_events.track("sqs", {"CreateQueue": "CreateQueue"})

    client("sqs").create_queue(QueueName="recorded")

    [event] = drain(None, everything)
    assert event["detail"]["eventSource"] == "sqs.amazonaws.com"
    assert event["detail"]["eventName"] == "CreateQueue"
    assert event["detail"]["requestParameters"]["queueName"] == "recorded"


@pytest.mark.usefixtures("aws")
def test_a_failure_to_record_never_breaks_the_api_call(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: EventsBackend, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        raise RuntimeError("event bus unavailable")

    create_source(None, "orders")
    monkeypatch.setattr(EventsBackend, "put_events", refuse)

    restored = client("dynamodb").restore_table_to_point_in_time(
        SourceTableName="orders", TargetTableName="orders-restored"
    )
    assert restored["TableDescription"]["TableName"] == "orders-restored"


def test_events_are_recorded_for_calls_through_the_threaded_server() -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        source, target = f"server-{uuid.uuid4().hex[:8]}", f"server-{uuid.uuid4().hex[:8]}"
        create_source(endpoint, source)
        queue_url = rule_to_queue(endpoint, f"restores-{uuid.uuid4().hex[:8]}", RESTORE_PATTERN)

        client("dynamodb", endpoint).restore_table_to_point_in_time(SourceTableName=source, TargetTableName=target)

        [event] = drain(endpoint, queue_url)
        assert event["detail"]["requestParameters"]["targetTableName"] == target
        assert event["detail"]["awsRegion"] == "us-east-1"
    finally:
        server.stop()
