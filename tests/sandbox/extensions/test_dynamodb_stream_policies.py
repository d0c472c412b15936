"""A stream has a resource policy of its own, apart from its table's, on the stream that exists only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

from restore_sync_sandbox.extensions import dynamodb_stream_policies


@pytest.fixture
def ddb() -> Iterator[Any]:
    dynamodb_stream_policies.install()
    with mock_aws():
        yield boto3.client("dynamodb", region_name="us-east-1")


def streamed(ddb: Any, name: str) -> dict[str, Any]:
    description: dict[str, Any] = ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    return description


def policy(resource: str, reader: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"AWS": reader}, "Action": "dynamodb:GetRecords", "Resource": resource}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_the_patched_moto_methods_are_still_there(ddb: Any) -> None:
    for name in dynamodb_stream_policies.PATCHED:
        assert getattr(DynamoDBBackend, name).__module__ == dynamodb_stream_policies.__name__


def test_a_streams_policy_is_its_own_and_goes_when_deleted(ddb: Any) -> None:
    table = streamed(ddb, "orders")
    stream, reader = table["LatestStreamArn"], "arn:aws:iam::123456789012:role/reader"
    table_policy = policy(table["TableArn"], "arn:aws:iam::123456789012:role/owner")
    ddb.put_resource_policy(ResourceArn=table["TableArn"], Policy=table_policy)

    with pytest.raises(ClientError) as missing:
        ddb.get_resource_policy(ResourceArn=stream)
    assert missing.value.response["Error"]["Code"] == "PolicyNotFoundException"
    ddb.put_resource_policy(ResourceArn=stream, Policy=policy(stream, reader))

    assert json.loads(ddb.get_resource_policy(ResourceArn=stream)["Policy"]) == json.loads(policy(stream, reader))
    assert ddb.get_resource_policy(ResourceArn=table["TableArn"])["Policy"] == table_policy
    ddb.delete_resource_policy(ResourceArn=stream)
    with pytest.raises(ClientError, match="PolicyNotFoundException"):
        ddb.get_resource_policy(ResourceArn=stream)
    assert ddb.get_resource_policy(ResourceArn=table["TableArn"])["Policy"] == table_policy


def test_a_stream_that_is_not_the_tables_is_not_found(ddb: Any) -> None:
    table = streamed(ddb, "orders")
    other = f"{table['TableArn']}/stream/2020-01-01T00:00:00.000"

    for arn in (other, "arn:aws:dynamodb:us-east-1:123456789012:table/missing/stream/2020-01-01T00:00:00.000"):
        with pytest.raises(ClientError) as raised:
            ddb.put_resource_policy(ResourceArn=arn, Policy=policy(arn, "arn:aws:iam::123456789012:role/reader"))
        assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
