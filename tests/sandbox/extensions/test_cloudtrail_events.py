"""CloudTrail-shaped events on the default bus after tracked API calls, in-process and through the server."""

from __future__ import annotations

import io
import json
import urllib.parse
import urllib.request
import uuid
import zipfile
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
from restore_sync_sandbox.examples import stream_reader
from restore_sync_sandbox.extensions import (
    cloudtrail_events,
    dynamodb_contributor_insights,
    dynamodb_kinesis_destinations,
)

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
    create_source(None, "orders")
    everything = rule_to_queue(None, "everything", {"source": ["aws.dynamodb"]})
    ddb = client("dynamodb")
    ddb.put_item(TableName="orders", Item={"pk": {"S": "1"}})
    assert drain(None, everything) == []

    cloudtrail_events.track("dynamodb", ["PutItem"])
    ddb.put_item(TableName="orders", Item={"pk": {"S": "2"}})

    [event] = drain(None, everything)
    assert event["detail"]["eventName"] == "PutItem"
    assert event["detail"]["eventCategory"] == "Data"
    assert event["detail"]["requestParameters"] == {"tableName": "orders", "item": {"pk": {"S": "2"}}}


@pytest.mark.usefixtures("aws")
def test_calls_in_an_untracked_block_are_not_recorded_and_the_selection_comes_back_after_it() -> None:
    create_source(None, "orders")
    restores = rule_to_queue(None, "restores", RESTORE_PATTERN)
    selection = cloudtrail_events.tracked()
    ddb = client("dynamodb")
    with cloudtrail_events.untracked("dynamodb", ["RestoreTableToPointInTime"]):
        ddb.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="unseen")
        assert "RestoreTableToPointInTime" not in cloudtrail_events.tracked()["dynamodb"].event_names
    assert drain(None, restores) == []
    assert cloudtrail_events.tracked() == selection

    ddb.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="seen")
    [event] = drain(None, restores)
    assert event["detail"]["requestParameters"]["targetTableName"] == "seen"


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


def settings_rule(endpoint_url: str | None, *sources: str) -> str:
    return rule_to_queue(
        endpoint_url,
        f"settings-{uuid.uuid4().hex[:8]}",
        {"source": list(sources), "detail-type": ["AWS API Call via CloudTrail"]},
    )


def by_name(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    details = [event["detail"] for event in events]
    named = {detail["eventName"]: detail for detail in details}
    assert len(named) == len(details), [detail["eventName"] for detail in details]
    return named


def test_every_setting_change_of_restore_sync_is_tracked_by_default() -> None:
    expected = {
        "dynamodb": {
            "CreateTable",
            "UpdateTable",
            "DeleteTable",
            "UpdateTimeToLive",
            "UpdateContinuousBackups",
            "TagResource",
            "UntagResource",
            "EnableKinesisStreamingDestination",
            "DisableKinesisStreamingDestination",
            "UpdateKinesisStreamingDestination",
            "UpdateContributorInsights",
            "PutResourcePolicy",
            "DeleteResourcePolicy",
            "RestoreTableToPointInTime",
            "RestoreTableFromBackup",
        },
        "awslambda": {
            "CreateEventSourceMapping20150331",
            "UpdateEventSourceMapping20150331",
            "DeleteEventSourceMapping20150331",
        },
        "application-autoscaling": {
            "RegisterScalableTarget",
            "DeregisterScalableTarget",
            "PutScalingPolicy",
            "DeleteScalingPolicy",
            "PutScheduledAction",
            "DeleteScheduledAction",
        },
        "cloudwatch": {"PutMetricAlarm", "DeleteAlarms", "EnableAlarmActions", "DisableAlarmActions"},
    }
    selection = cloudtrail_events.tracked()
    assert {name: set(service.event_names.values()) for name, service in selection.items()} == expected
    assert selection["cloudwatch"].event_source == "monitoring.amazonaws.com"
    assert selection["cloudwatch"].source == "aws.monitoring"


@pytest.mark.usefixtures("aws")
def test_dynamodb_setting_changes_are_recorded_with_the_table_they_change() -> None:
    # moto has no Kinesis destinations or contributor insights of its own.
    dynamodb_kinesis_destinations.install()
    dynamodb_contributor_insights.install()
    queue_url = settings_rule(None, "aws.dynamodb")
    ddb, kinesis = client("dynamodb"), client("kinesis")
    created = ddb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]
    table_arn = created["TableArn"]
    kinesis.create_stream(StreamName="changes", ShardCount=1)
    stream_arn = kinesis.describe_stream(StreamName="changes")["StreamDescription"]["StreamARN"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "dynamodb:GetItem",
                "Resource": table_arn,
            }
        ],
    }

    ddb.update_table(TableName="orders", DeletionProtectionEnabled=True)
    ddb.update_time_to_live(TableName="orders", TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})
    ddb.update_continuous_backups(
        TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    ddb.tag_resource(ResourceArn=table_arn, Tags=[{"Key": "team", "Value": "billing"}])
    ddb.untag_resource(ResourceArn=table_arn, TagKeys=["team"])
    ddb.enable_kinesis_streaming_destination(TableName="orders", StreamArn=stream_arn)
    ddb.update_kinesis_streaming_destination(
        TableName="orders",
        StreamArn=stream_arn,
        UpdateKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "MICROSECOND"},
    )
    ddb.disable_kinesis_streaming_destination(TableName="orders", StreamArn=stream_arn)
    ddb.update_contributor_insights(TableName="orders", ContributorInsightsAction="ENABLE")
    ddb.put_resource_policy(ResourceArn=table_arn, Policy=json.dumps(policy))
    ddb.delete_resource_policy(ResourceArn=table_arn)
    ddb.update_table(TableName="orders", DeletionProtectionEnabled=False)
    ddb.delete_table(TableName="orders")

    events = drain(None, queue_url)
    assert [event["detail"]["eventName"] for event in events].count("UpdateTable") == 2
    named = by_name([event for event in events if event["detail"]["eventName"] != "UpdateTable"])
    for detail in named.values():
        assert detail["eventSource"] == "dynamodb.amazonaws.com"
        assert "errorCode" not in detail
    assert named["CreateTable"]["requestParameters"]["tableName"] == "orders"
    assert named["CreateTable"]["responseElements"]["tableDescription"]["tableArn"] == table_arn
    assert named["UpdateTimeToLive"]["requestParameters"] == {
        "tableName": "orders",
        "timeToLiveSpecification": {"enabled": True, "attributeName": "ttl"},
    }
    assert named["UpdateContinuousBackups"]["requestParameters"] == {
        "tableName": "orders",
        "pointInTimeRecoverySpecification": {"pointInTimeRecoveryEnabled": True},
    }
    assert named["TagResource"]["requestParameters"] == {
        "resourceArn": table_arn,
        "tags": [{"key": "team", "value": "billing"}],
    }
    # Nothing comes back from TagResource: CloudTrail logs null.
    assert named["TagResource"]["responseElements"] is None
    assert named["UntagResource"]["requestParameters"] == {"resourceArn": table_arn, "tagKeys": ["team"]}
    for name in (
        "EnableKinesisStreamingDestination",
        "UpdateKinesisStreamingDestination",
        "DisableKinesisStreamingDestination",
    ):
        assert named[name]["requestParameters"]["tableName"] == "orders"
        assert named[name]["requestParameters"]["streamArn"] == stream_arn
    assert named["UpdateContributorInsights"]["requestParameters"] == {
        "tableName": "orders",
        "contributorInsightsAction": "ENABLE",
    }
    assert named["PutResourcePolicy"]["requestParameters"]["resourceArn"] == table_arn
    assert json.loads(named["PutResourcePolicy"]["requestParameters"]["policy"]) == policy
    assert named["DeleteResourcePolicy"]["requestParameters"] == {"resourceArn": table_arn}
    assert named["DeleteTable"]["requestParameters"] == {"tableName": "orders"}
    updates = [event["detail"] for event in events if event["detail"]["eventName"] == "UpdateTable"]
    assert [update["requestParameters"] for update in updates] == [
        {"tableName": "orders", "deletionProtectionEnabled": True},
        {"tableName": "orders", "deletionProtectionEnabled": False},
    ]


def zipped_handler() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("noop.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


@pytest.mark.usefixtures("aws")
def test_event_source_mapping_changes_carry_the_stream_arn_and_lambdas_versioned_event_names() -> None:
    queue_url = settings_rule(None, "aws.lambda")
    stream_arn = client("dynamodb").create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]["LatestStreamArn"]
    trust = {"Version": "2012-10-17", "Statement": []}
    role = client("iam").create_role(RoleName="mapper", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    # With lambda_stream_access installed (another test module in this process may have installed every extension),
    # Lambda maps the stream only to a function whose role may read it.
    client("iam").put_role_policy(
        RoleName="mapper", PolicyName="streams", PolicyDocument=json.dumps(stream_reader("orders"))
    )
    awslambda = client("lambda")
    awslambda.create_function(
        FunctionName="replicator",
        Runtime="python3.12",
        Role=role,
        Handler="noop.handler",
        Code={"ZipFile": zipped_handler()},
    )

    mapping = awslambda.create_event_source_mapping(
        FunctionName="replicator", EventSourceArn=stream_arn, StartingPosition="LATEST", BatchSize=50
    )
    awslambda.update_event_source_mapping(UUID=mapping["UUID"], BatchSize=10, Enabled=False)
    awslambda.delete_event_source_mapping(UUID=mapping["UUID"])
    with pytest.raises(ClientError):
        awslambda.create_event_source_mapping(FunctionName="missing", EventSourceArn=stream_arn)

    events = drain(None, queue_url)
    names = [event["detail"]["eventName"] for event in events]
    assert names == [
        "CreateEventSourceMapping20150331",
        "UpdateEventSourceMapping20150331",
        "DeleteEventSourceMapping20150331",
        "CreateEventSourceMapping20150331",
    ]
    create, update, delete, failed = (event["detail"] for event in events)
    assert {event["source"] for event in events} == {"aws.lambda"}
    assert {detail["eventSource"] for detail in (create, update, delete, failed)} == {"lambda.amazonaws.com"}
    assert create["requestParameters"] == {
        "functionName": "replicator",
        "eventSourceArn": stream_arn,
        "startingPosition": "LATEST",
        "batchSize": 50,
    }
    assert create["responseElements"]["uUID"] == mapping["UUID"]
    assert create["responseElements"]["eventSourceArn"] == stream_arn
    # Update and Delete send only the UUID (a path parameter); the mapping comes back in the response.
    assert update["requestParameters"] == {"uUID": mapping["UUID"], "batchSize": 10, "enabled": False}
    assert update["responseElements"]["eventSourceArn"] == stream_arn
    assert update["responseElements"]["batchSize"] == 10
    assert delete["requestParameters"] == {"uUID": mapping["UUID"]}
    assert delete["responseElements"]["eventSourceArn"] == stream_arn
    assert delete["responseElements"]["uUID"] == mapping["UUID"]
    assert failed["errorCode"] == "ResourceNotFoundException"
    assert failed["requestParameters"] == {"functionName": "missing", "eventSourceArn": stream_arn}
    assert "responseElements" not in failed


@pytest.mark.usefixtures("aws")
def test_auto_scaling_changes_carry_the_resource_id_and_namespace() -> None:
    queue_url = settings_rule(None, "aws.application-autoscaling")
    client("dynamodb").create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-sk",
                "KeySchema": [{"AttributeName": "sk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
            }
        ],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    )
    scaling = client("application-autoscaling")
    target = {
        "ServiceNamespace": "dynamodb",
        "ResourceId": "table/orders/index/by-sk",
        "ScalableDimension": "dynamodb:index:ReadCapacityUnits",
    }

    scaling.register_scalable_target(**target, MinCapacity=5, MaxCapacity=50)
    scaling.put_scaling_policy(
        **target,
        PolicyName="reads",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 70.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "DynamoDBReadCapacityUtilization"},
        },
    )
    scaling.put_scheduled_action(
        **target, ScheduledActionName="nightly", Schedule="cron(0 2 * * ? *)", ScalableTargetAction={"MinCapacity": 10}
    )
    scaling.delete_scheduled_action(**target, ScheduledActionName="nightly")
    scaling.delete_scaling_policy(**target, PolicyName="reads")
    scaling.deregister_scalable_target(**target)

    named = by_name(drain(None, queue_url))
    assert set(named) == {
        "RegisterScalableTarget",
        "PutScalingPolicy",
        "PutScheduledAction",
        "DeleteScheduledAction",
        "DeleteScalingPolicy",
        "DeregisterScalableTarget",
    }
    for detail in named.values():
        assert detail["eventSource"] == "application-autoscaling.amazonaws.com"
        assert detail["requestParameters"]["resourceId"] == "table/orders/index/by-sk"
        assert detail["requestParameters"]["serviceNamespace"] == "dynamodb"
        assert detail["requestParameters"]["scalableDimension"] == "dynamodb:index:ReadCapacityUnits"
    assert named["RegisterScalableTarget"]["requestParameters"]["minCapacity"] == 5
    assert named["PutScalingPolicy"]["requestParameters"]["policyName"] == "reads"
    assert named["PutScalingPolicy"]["responseElements"]["policyARN"]
    assert named["PutScheduledAction"]["requestParameters"]["scalableTargetAction"] == {"minCapacity": 10}


@pytest.mark.usefixtures("aws")
def test_alarm_changes_are_recorded_as_cloudwatch_events_with_their_names_and_dimensions() -> None:
    queue_url = settings_rule(None, "aws.monitoring")
    cloudwatch = client("cloudwatch")
    dimensions = [{"Name": "TableName", "Value": "orders"}, {"Name": "GlobalSecondaryIndexName", "Value": "by-sk"}]

    cloudwatch.put_metric_alarm(
        AlarmName="orders-throttles",
        Namespace="AWS/DynamoDB",
        MetricName="ReadThrottleEvents",
        Dimensions=dimensions,
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    cloudwatch.disable_alarm_actions(AlarmNames=["orders-throttles"])
    cloudwatch.enable_alarm_actions(AlarmNames=["orders-throttles"])
    cloudwatch.delete_alarms(AlarmNames=["orders-throttles"])

    events = drain(None, queue_url)
    assert {event["source"] for event in events} == {"aws.monitoring"}
    named = by_name(events)
    assert set(named) == {"PutMetricAlarm", "DisableAlarmActions", "EnableAlarmActions", "DeleteAlarms"}
    put = named["PutMetricAlarm"]
    assert put["eventSource"] == "monitoring.amazonaws.com"
    assert put["requestParameters"]["alarmName"] == "orders-throttles"
    assert put["requestParameters"]["namespace"] == "AWS/DynamoDB"
    assert put["requestParameters"]["dimensions"] == [
        {"name": "TableName", "value": "orders"},
        {"name": "GlobalSecondaryIndexName", "value": "by-sk"},
    ]
    assert put["responseElements"] is None
    for name in ("DisableAlarmActions", "EnableAlarmActions", "DeleteAlarms"):
        assert named[name]["requestParameters"] == {"alarmNames": ["orders-throttles"]}


def test_query_protocol_calls_are_read_from_their_form_parameters_through_the_server() -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        queue_url = settings_rule(endpoint, "aws.monitoring")
        alarm = f"throttles-{uuid.uuid4().hex[:8]}"
        form = {
            "Action": "PutMetricAlarm",
            "Version": "2010-08-01",
            "AlarmName": alarm,
            "Namespace": "AWS/DynamoDB",
            "MetricName": "WriteThrottleEvents",
            "Dimensions.member.1.Name": "TableName",
            "Dimensions.member.1.Value": "orders",
            "Statistic": "Sum",
            "Period": "60",
            "EvaluationPeriods": "1",
            "Threshold": "1",
            "ComparisonOperator": "GreaterThanThreshold",
        }
        signed = "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/monitoring/aws4_request, SignedHeaders=host"
        request = urllib.request.Request(
            f"{endpoint}/",
            data=urllib.parse.urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"{signed}, Signature=0"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert b"<PutMetricAlarmResponse" in response.read()

        [event] = drain(endpoint, queue_url)
        detail = event["detail"]
        assert detail["eventName"] == "PutMetricAlarm"
        assert detail["requestParameters"]["alarmName"] == alarm
        assert detail["requestParameters"]["dimensions"] == [{"name": "TableName", "value": "orders"}]
        assert detail["requestParameters"]["period"] == 60
        # An XML answer: CloudTrail logs null for PutMetricAlarm's response.
        assert detail["responseElements"] is None
    finally:
        server.stop()
