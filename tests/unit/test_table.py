"""The import template describes the restored table exactly as DescribeTable shows it."""

from __future__ import annotations

from typing import Any

import pytest

from restore_sync.aws import TableRef, is_table_arn
from restore_sync.table import import_template, table_document, unready_parts

REF = TableRef("orders-restored", "us-east-1", "123456789012")


def description(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "TableName": "orders-restored",
        "TableStatus": "ACTIVE",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "gpk", "AttributeType": "S"},
            {"AttributeName": "lsk", "AttributeType": "N"},
            {"AttributeName": "stale", "AttributeType": "S"},
        ],
        "BillingModeSummary": {"BillingMode": "PROVISIONED"},
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 7, "NumberOfDecreasesToday": 0},
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by-g",
                "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["b", "a"]},
                "IndexStatus": "ACTIVE",
                "ProvisionedThroughput": {"ReadCapacityUnits": 3, "WriteCapacityUnits": 4},
                "IndexArn": "arn:...",
            }
        ],
        "LocalSecondaryIndexes": [
            {
                "IndexName": "by-l",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "lsk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
                "IndexSizeBytes": 0,
            }
        ],
        "SSEDescription": {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": "arn:aws:kms:us-east-1:1:key/k"},
    }
    base.update(overrides)
    return base


def test_import_template_describes_the_table_as_it_is() -> None:
    template = import_template(table_document(description(), REF))
    table = template["Resources"]["Table"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    props = table["Properties"]
    assert props["TableName"] == "orders-restored"
    assert props["BillingMode"] == "PROVISIONED"
    assert props["ProvisionedThroughput"] == {"ReadCapacityUnits": 5, "WriteCapacityUnits": 7}
    # Only attributes some key uses; an unused definition would make CloudFormation refuse the template.
    assert [a["AttributeName"] for a in props["AttributeDefinitions"]] == ["gpk", "lsk", "pk", "sk"]
    assert props["GlobalSecondaryIndexes"] == [
        {
            "IndexName": "by-g",
            "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a", "b"]},
            "ProvisionedThroughput": {"ReadCapacityUnits": 3, "WriteCapacityUnits": 4},
        }
    ]
    assert props["LocalSecondaryIndexes"][0]["IndexName"] == "by-l"
    assert "IndexSizeBytes" not in props["LocalSecondaryIndexes"][0]
    assert props["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": "arn:aws:kms:us-east-1:1:key/k",
    }


def test_on_demand_table_has_no_capacity() -> None:
    doc = table_document(description(BillingModeSummary={"BillingMode": "PAY_PER_REQUEST"}, SSEDescription=None), REF)
    props = import_template(doc)["Resources"]["Table"]["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert "ProvisionedThroughput" not in props
    assert "ProvisionedThroughput" not in props["GlobalSecondaryIndexes"][0]
    assert "SSESpecification" not in props


def test_readiness_waits_for_the_table_and_every_index() -> None:
    ready = table_document(description(), REF)
    assert unready_parts(ready) == []
    creating = table_document(description(TableStatus="CREATING", RestoreSummary={"RestoreInProgress": True}), REF)
    assert unready_parts(creating) == ["table is CREATING"]
    index_creating = description()
    index_creating["GlobalSecondaryIndexes"][0]["IndexStatus"] = "CREATING"
    assert unready_parts(table_document(index_creating, REF)) == ["index by-g is CREATING"]


def test_table_ref_round_trips_through_its_arn() -> None:
    assert TableRef.from_arn(REF.arn) == REF
    assert TableRef.from_arn("arn:aws:dynamodb:eu-west-1:123456789012:table/a.b_c").region == "eu-west-1"


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:dynamodb:us-east-1:123456789012:table/orders\n",
        "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026",
        "arn:aws:dynamodb:us-east-1:١٢٣٤٥٦٧٨٩٠١٢:table/orders",
        " arn:aws:dynamodb:us-east-1:123456789012:table/orders",
    ],
    ids=["trailing newline", "stream", "non-ASCII digits", "leading space"],
)
def test_only_a_whole_table_arn_is_one(arn: str) -> None:
    assert not is_table_arn(arn)
    with pytest.raises(ValueError, match="not a DynamoDB table ARN"):
        TableRef.from_arn(arn)
