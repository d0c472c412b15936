"""DescribeScalingPolicies lists the policies of exactly the resource and dimension asked for, ten at a time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from restore_sync_sandbox.extensions import application_autoscaling_describe_policies

REGION = "us-east-1"
TRACKING = {
    "TargetValue": 70.0,
    "PredefinedMetricSpecification": {"PredefinedMetricType": "DynamoDBReadCapacityUtilization"},
}


@pytest.fixture
def aas() -> Iterator[Any]:
    application_autoscaling_describe_policies.install()
    with mock_aws():
        # With the sandbox's other extensions in the process, only an existing provisioned table can be registered.
        ddb = boto3.client("dynamodb", region_name=REGION)
        for name in ("orders", "orders-restored"):
            ddb.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "status", "AttributeType": "S"},
                ],
                ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
                GlobalSecondaryIndexes=[
                    {
                        "IndexName": "by-status",
                        "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "ALL"},
                        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
                    }
                ],
            )
        yield boto3.client("application-autoscaling", region_name=REGION)


def scaled(aas: Any, resource_id: str, dimension: str, *names: str) -> None:
    aas.register_scalable_target(
        ServiceNamespace="dynamodb", ResourceId=resource_id, ScalableDimension=dimension, MinCapacity=1, MaxCapacity=9
    )
    for name in names:
        aas.put_scaling_policy(
            PolicyName=name,
            ServiceNamespace="dynamodb",
            ResourceId=resource_id,
            ScalableDimension=dimension,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration=TRACKING,
        )


def listed(aas: Any, **filters: str) -> list[tuple[str, str, str]]:
    pages = aas.get_paginator("describe_scaling_policies").paginate(ServiceNamespace="dynamodb", **filters)
    return sorted(
        (p["ResourceId"], p["ScalableDimension"], p["PolicyName"]) for page in pages for p in page["ScalingPolicies"]
    )


def test_an_index_lists_its_own_policies_not_its_table_s(aas: Any) -> None:
    scaled(aas, "table/orders", "dynamodb:table:ReadCapacityUnits", "table-reads")
    scaled(aas, "table/orders/index/by-status", "dynamodb:index:ReadCapacityUnits", "index-reads")
    scaled(aas, "table/orders-restored", "dynamodb:table:ReadCapacityUnits", "copy-reads")

    assert listed(aas, ResourceId="table/orders/index/by-status") == [
        ("table/orders/index/by-status", "dynamodb:index:ReadCapacityUnits", "index-reads")
    ]
    assert listed(aas, ResourceId="table/orders-restored") == [
        ("table/orders-restored", "dynamodb:table:ReadCapacityUnits", "copy-reads")
    ]
    assert listed(aas, ResourceId="table/orders", ScalableDimension="dynamodb:table:ReadCapacityUnits") == [
        ("table/orders", "dynamodb:table:ReadCapacityUnits", "table-reads")
    ]
    assert len(listed(aas)) == 3


def test_policies_come_ten_at_a_time(aas: Any) -> None:
    scaled(aas, "table/orders", "dynamodb:table:ReadCapacityUnits", *(f"reads-{n:02d}" for n in range(12)))
    first = aas.describe_scaling_policies(ServiceNamespace="dynamodb", ResourceId="table/orders")
    assert len(first["ScalingPolicies"]) == 10
    rest = aas.describe_scaling_policies(
        ServiceNamespace="dynamodb", ResourceId="table/orders", NextToken=first["NextToken"]
    )
    assert len(rest["ScalingPolicies"]) == 2
    assert "NextToken" not in rest
    assert len(listed(aas, ResourceId="table/orders")) == 12
