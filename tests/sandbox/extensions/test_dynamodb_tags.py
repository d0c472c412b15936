"""Tagging a table with a key it already has replaces the value; the tags still page to their end."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

from restore_sync_sandbox.extensions import dynamodb_tags


@pytest.fixture
def ddb() -> Iterator[Any]:
    dynamodb_tags.install()
    with mock_aws():
        yield boto3.client("dynamodb", region_name="us-east-1")


def test_the_patched_moto_method_is_still_there(ddb: Any) -> None:
    assert DynamoDBBackend.tag_resource.__module__ == dynamodb_tags.__name__


def test_retagging_replaces_values_and_every_page_ends(ddb: Any) -> None:
    tags = [{"Key": f"key-{n:02d}", "Value": "first"} for n in range(12)]
    arn = ddb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=tags,
    )["TableDescription"]["TableArn"]

    ddb.tag_resource(
        ResourceArn=arn, Tags=[*tags[:11], {"Key": "key-11", "Value": "second"}, {"Key": "new", "Value": "x"}]
    )

    pages = list(
        ddb.get_paginator("list_tags_of_resource").paginate(ResourceArn=arn, PaginationConfig={"MaxItems": 100})
    )
    found = [(t["Key"], t["Value"]) for page in pages for t in page["Tags"]]
    assert len(pages) == 2
    assert found == [*((t["Key"], "first") for t in tags[:11]), ("key-11", "second"), ("new", "x")]
