"""Kinesis streaming destinations: enabled, described, updated and disabled through the DynamoDB API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.responses import DynamoHandler
from moto.kinesis.models import kinesis_backends

from restore_sync_sandbox.extensions import dynamodb_kinesis_destinations as kinesis_destinations
from restore_sync_sandbox.extensions import dynamodb_restore

ACCOUNT = "123456789012"
REGION = "us-east-1"
TABLE = "orders"


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    kinesis_destinations.install()
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        kinesis = boto3.client("kinesis", region_name=REGION)
        ddb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield {"ddb": ddb, "kinesis": kinesis}


def stream(kinesis: Any, name: str) -> str:
    kinesis.create_stream(StreamName=name, ShardCount=1)
    arn: str = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    return arn


def destinations(ddb: Any, table: str = TABLE) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ddb.describe_kinesis_streaming_destination(TableName=table)[
        "KinesisDataStreamDestinations"
    ]
    return found


def error_of(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as error:
        call(**kwargs)
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def test_patched_moto_attributes_still_exist() -> None:
    kinesis_destinations._check_moto()
    kinesis_destinations.install()
    kinesis_destinations.install()
    for name in kinesis_destinations.HANDLER_METHODS:
        assert callable(getattr(DynamoHandler, name))
        assert callable(getattr(DynamoDBBackend, name))
    with mock_aws():
        assert isinstance(kinesis_backends[ACCOUNT][REGION].streams, dict)


def test_a_new_table_has_no_destination(aws: dict[str, Any]) -> None:
    described = aws["ddb"].describe_kinesis_streaming_destination(TableName=TABLE)
    assert described["TableName"] == TABLE
    assert described["KinesisDataStreamDestinations"] == []


def test_enable_answers_enabling_and_the_destination_is_active(aws: dict[str, Any]) -> None:
    arn = stream(aws["kinesis"], "changes")
    answer = aws["ddb"].enable_kinesis_streaming_destination(TableName=TABLE, StreamArn=arn)
    assert answer["DestinationStatus"] == "ENABLING"
    assert answer["TableName"] == TABLE
    assert answer["StreamArn"] == arn
    assert answer["EnableKinesisStreamingConfiguration"] == {}
    assert destinations(aws["ddb"]) == [{"StreamArn": arn, "DestinationStatus": "ACTIVE"}]


def test_enable_by_table_arn_with_a_precision(aws: dict[str, Any]) -> None:
    arn = stream(aws["kinesis"], "changes")
    table_arn = aws["ddb"].describe_table(TableName=TABLE)["Table"]["TableArn"]
    answer = aws["ddb"].enable_kinesis_streaming_destination(
        TableName=table_arn,
        StreamArn=arn,
        EnableKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "MICROSECOND"},
    )
    assert answer["EnableKinesisStreamingConfiguration"] == {"ApproximateCreationDateTimePrecision": "MICROSECOND"}
    assert destinations(aws["ddb"], table_arn) == [
        {"StreamArn": arn, "DestinationStatus": "ACTIVE", "ApproximateCreationDateTimePrecision": "MICROSECOND"}
    ]


def test_a_stream_that_does_not_exist_ends_enable_failed(aws: dict[str, Any]) -> None:
    missing = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/never-created"
    answer = aws["ddb"].enable_kinesis_streaming_destination(TableName=TABLE, StreamArn=missing)
    assert answer["DestinationStatus"] == "ENABLING"
    [entry] = destinations(aws["ddb"])
    assert entry["DestinationStatus"] == "ENABLE_FAILED"
    assert entry["DestinationStatusDescription"] == "User does not have a permission to use kinesis stream"
    # A failed entry blocks nothing: another stream can be enabled, and the failed one stays listed.
    good = stream(aws["kinesis"], "changes")
    aws["ddb"].enable_kinesis_streaming_destination(TableName=TABLE, StreamArn=good)
    assert [(d["StreamArn"], d["DestinationStatus"]) for d in destinations(aws["ddb"])] == [
        (good, "ACTIVE"),
        (missing, "ENABLE_FAILED"),
    ]


def test_a_stream_in_another_region_fails_with_the_region_reason(aws: dict[str, Any]) -> None:
    other = boto3.client("kinesis", region_name="eu-west-1")
    arn = stream(other, "elsewhere")
    aws["ddb"].enable_kinesis_streaming_destination(TableName=TABLE, StreamArn=arn)
    [entry] = destinations(aws["ddb"])
    assert entry["DestinationStatus"] == "ENABLE_FAILED"
    assert "not in the current region" in entry["DestinationStatusDescription"]


def test_only_one_live_destination_per_table(aws: dict[str, Any]) -> None:
    first = stream(aws["kinesis"], "first")
    second = stream(aws["kinesis"], "second")
    aws["ddb"].enable_kinesis_streaming_destination(TableName=TABLE, StreamArn=first)
    for arn in (first, second):
        code, message = error_of(aws["ddb"].enable_kinesis_streaming_destination, TableName=TABLE, StreamArn=arn)
        assert code == "ValidationException"
        assert "must be DISABLED or ENABLE_FAILED" in message
    # Disabling the live one frees the table for another stream; the disabled entry stays listed.
    answer = aws["ddb"].disable_kinesis_streaming_destination(TableName=TABLE, StreamArn=first)
    assert answer["DestinationStatus"] == "DISABLING"
    aws["ddb"].enable_kinesis_streaming_destination(TableName=TABLE, StreamArn=second)
    assert [(d["StreamArn"], d["DestinationStatus"]) for d in destinations(aws["ddb"])] == [
        (second, "ACTIVE"),
        (first, "DISABLED"),
    ]


def test_disable_then_enable_again_reuses_the_entry(aws: dict[str, Any]) -> None:
    arn = stream(aws["kinesis"], "changes")
    aws["ddb"].enable_kinesis_streaming_destination(TableName=TABLE, StreamArn=arn)
    aws["ddb"].disable_kinesis_streaming_destination(TableName=TABLE, StreamArn=arn)
    assert destinations(aws["ddb"]) == [{"StreamArn": arn, "DestinationStatus": "DISABLED"}]
    aws["ddb"].enable_kinesis_streaming_destination(TableName=TABLE, StreamArn=arn)
    assert destinations(aws["ddb"]) == [{"StreamArn": arn, "DestinationStatus": "ACTIVE"}]


def test_disable_of_a_destination_that_is_not_active_is_a_validation_error(aws: dict[str, Any]) -> None:
    arn = stream(aws["kinesis"], "changes")
    code, message = error_of(aws["ddb"].disable_kinesis_streaming_destination, TableName=TABLE, StreamArn=arn)
    assert code == "ValidationException"
    assert "must be ACTIVE to perform DISABLE" in message
    aws["ddb"].enable_kinesis_streaming_destination(TableName=TABLE, StreamArn=arn)
    aws["ddb"].disable_kinesis_streaming_destination(TableName=TABLE, StreamArn=arn)
    code, _ = error_of(aws["ddb"].disable_kinesis_streaming_destination, TableName=TABLE, StreamArn=arn)
    assert code == "ValidationException"


def test_update_changes_the_precision_of_an_active_destination(aws: dict[str, Any]) -> None:
    arn = stream(aws["kinesis"], "changes")
    ddb = aws["ddb"]
    ddb.enable_kinesis_streaming_destination(TableName=TABLE, StreamArn=arn)
    # Absent precision means MILLISECOND: asking for it again is refused.
    code, message = error_of(
        ddb.update_kinesis_streaming_destination,
        TableName=TABLE,
        StreamArn=arn,
        UpdateKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "MILLISECOND"},
    )
    assert code == "ValidationException"
    assert "Precision is already set" in message
    answer = ddb.update_kinesis_streaming_destination(
        TableName=TABLE,
        StreamArn=arn,
        UpdateKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "MICROSECOND"},
    )
    assert answer["DestinationStatus"] == "UPDATING"
    assert answer["UpdateKinesisStreamingConfiguration"] == {"ApproximateCreationDateTimePrecision": "MICROSECOND"}
    [entry] = destinations(ddb)
    assert entry["DestinationStatus"] == "ACTIVE"
    assert entry["ApproximateCreationDateTimePrecision"] == "MICROSECOND"
    code, _ = error_of(ddb.update_kinesis_streaming_destination, TableName=TABLE, StreamArn=arn)
    assert code == "ValidationException"


def test_update_of_an_unknown_or_inactive_destination_is_a_validation_error(aws: dict[str, Any]) -> None:
    arn = stream(aws["kinesis"], "changes")
    config = {"ApproximateCreationDateTimePrecision": "MICROSECOND"}
    code, message = error_of(
        aws["ddb"].update_kinesis_streaming_destination,
        TableName=TABLE,
        StreamArn=arn,
        UpdateKinesisStreamingConfiguration=config,
    )
    assert (code, "No streaming destination" in message) == ("ValidationException", True)
    aws["ddb"].enable_kinesis_streaming_destination(TableName=TABLE, StreamArn=arn)
    aws["ddb"].disable_kinesis_streaming_destination(TableName=TABLE, StreamArn=arn)
    code, message = error_of(
        aws["ddb"].update_kinesis_streaming_destination,
        TableName=TABLE,
        StreamArn=arn,
        UpdateKinesisStreamingConfiguration=config,
    )
    assert (code, "not in ACTIVE state" in message) == ("ValidationException", True)


def test_an_invalid_precision_is_refused(aws: dict[str, Any]) -> None:
    arn = stream(aws["kinesis"], "changes")
    code, message = error_of(
        aws["ddb"].enable_kinesis_streaming_destination,
        TableName=TABLE,
        StreamArn=arn,
        EnableKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "SECOND"},
    )
    assert code == "ValidationException"
    assert "MILLISECOND, MICROSECOND" in message
    assert destinations(aws["ddb"]) == []


def test_missing_table_is_resource_not_found(aws: dict[str, Any]) -> None:
    arn = stream(aws["kinesis"], "changes")
    ddb = aws["ddb"]
    for call, kwargs in (
        (ddb.enable_kinesis_streaming_destination, {"StreamArn": arn}),
        (ddb.disable_kinesis_streaming_destination, {"StreamArn": arn}),
        (ddb.describe_kinesis_streaming_destination, {}),
    ):
        code, _ = error_of(call, TableName="nope", **kwargs)
        assert code == "ResourceNotFoundException"


def test_deleting_the_stream_leaves_the_destination_active(aws: dict[str, Any]) -> None:
    arn = stream(aws["kinesis"], "changes")
    aws["ddb"].enable_kinesis_streaming_destination(TableName=TABLE, StreamArn=arn)
    aws["kinesis"].delete_stream(StreamName="changes")
    assert destinations(aws["ddb"]) == [{"StreamArn": arn, "DestinationStatus": "ACTIVE"}]


def test_restored_and_recreated_tables_have_no_destination(aws: dict[str, Any]) -> None:
    dynamodb_restore.install()
    ddb = aws["ddb"]
    arn = stream(aws["kinesis"], "changes")
    ddb.enable_kinesis_streaming_destination(TableName=TABLE, StreamArn=arn)
    ddb.update_continuous_backups(
        TableName=TABLE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    ddb.restore_table_to_point_in_time(SourceTableName=TABLE, TargetTableName="orders-restored")
    assert destinations(ddb, "orders-restored") == []
    ddb.delete_table(TableName=TABLE)
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert destinations(ddb) == []
