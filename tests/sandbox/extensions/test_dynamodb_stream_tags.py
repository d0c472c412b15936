"""A stream has tags of its own, apart from its table's: tagged, retagged, untagged and listed page by page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.responses import DynamoHandler

from restore_sync_sandbox.extensions import dynamodb_stream_tags


@pytest.fixture
def ddb() -> Iterator[Any]:
    dynamodb_stream_tags.install()
    with mock_aws():
        yield boto3.client("dynamodb", region_name="us-east-1")


def test_the_patched_moto_methods_are_still_there(ddb: Any) -> None:
    for name in dynamodb_stream_tags.PATCHED:
        assert getattr(DynamoHandler, name).__module__ == dynamodb_stream_tags.__name__


def listed(ddb: Any, arn: str) -> list[tuple[str, str]]:
    pages = ddb.get_paginator("list_tags_of_resource").paginate(ResourceArn=arn, PaginationConfig={"MaxItems": 100})
    return [(tag["Key"], tag["Value"]) for page in pages for tag in page["Tags"]]


def test_a_streams_tags_are_its_own(ddb: Any) -> None:
    table = ddb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        Tags=[{"Key": "team", "Value": "orders"}],
    )["TableDescription"]
    stream = table["LatestStreamArn"]
    tags = [{"Key": f"key-{n:02d}", "Value": "first"} for n in range(12)]

    ddb.tag_resource(ResourceArn=stream, Tags=tags)
    ddb.tag_resource(ResourceArn=stream, Tags=[{"Key": "key-11", "Value": "second"}])
    ddb.untag_resource(ResourceArn=stream, TagKeys=["key-00"])

    assert listed(ddb, stream) == [*((t["Key"], "first") for t in tags[1:11]), ("key-11", "second")]
    assert listed(ddb, table["TableArn"]) == [("team", "orders")]
    with pytest.raises(ClientError) as raised:
        ddb.list_tags_of_resource(ResourceArn=f"{table['TableArn']}/stream/2020-01-01T00:00:00.000")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
