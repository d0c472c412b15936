"""A DynamoDB table or index takes target tracking scaling policies only, from the API and from a stack."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.applicationautoscaling.models import ApplicationAutoscalingBackend

from restore_sync_sandbox.extensions import (
    application_autoscaling_dynamodb_policy_types,
    cloudformation_application_autoscaling,
    cloudformation_changesets,
    cloudformation_dynamodb_table,
)
from tests.sandbox.extensions.governance import STACK, run_change_set, stack

REGION = "us-east-1"
TABLE = "orders"
WRITE = "dynamodb:table:WriteCapacityUnits"
INDEX_WRITE = "dynamodb:index:WriteCapacityUnits"
STEPS = {
    "AdjustmentType": "ChangeInCapacity",
    "Cooldown": 60,
    "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 5}],
}
TRACKING = {
    "TargetValue": 70.0,
    "PredefinedMetricSpecification": {"PredefinedMetricType": "DynamoDBWriteCapacityUtilization"},
}
THROUGHPUT = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
BASE: dict[str, Any] = {
    "Resources": {
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Retain",
            "Properties": {
                "TableName": TABLE,
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "status", "AttributeType": "S"},
                ],
                "GlobalSecondaryIndexes": [
                    {
                        "IndexName": "by-status",
                        "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "ALL"},
                        "ProvisionedThroughput": THROUGHPUT,
                    }
                ],
                "BillingMode": "PROVISIONED",
                "ProvisionedThroughput": THROUGHPUT,
            },
        }
    }
}


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    application_autoscaling_dynamodb_policy_types.install()
    cloudformation_changesets.install()
    cloudformation_dynamodb_table.install()
    cloudformation_application_autoscaling.install()
    with mock_aws():
        cfn = boto3.client("cloudformation", region_name=REGION)
        cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(BASE))
        aas = boto3.client("application-autoscaling", region_name=REGION)
        for resource_id, dimension in ((f"table/{TABLE}", WRITE), (f"table/{TABLE}/index/by-status", INDEX_WRITE)):
            aas.register_scalable_target(
                ServiceNamespace="dynamodb",
                ResourceId=resource_id,
                ScalableDimension=dimension,
                MinCapacity=5,
                MaxCapacity=50,
            )
        yield {"cfn": cfn, "aas": aas}


def policy_names(aas: Any) -> list[str]:
    found = aas.describe_scaling_policies(ServiceNamespace="dynamodb")["ScalingPolicies"]
    return sorted(p["PolicyName"] for p in found)


def test_moto_attribute() -> None:
    assert callable(ApplicationAutoscalingBackend.put_scaling_policy)


@pytest.mark.parametrize(
    ("resource_id", "dimension"), [(f"table/{TABLE}", WRITE), (f"table/{TABLE}/index/by-status", INDEX_WRITE)]
)
def test_step_scaling_is_refused_for_a_table_and_an_index(
    aws: dict[str, Any], resource_id: str, dimension: str
) -> None:
    with pytest.raises(ClientError) as refused:
        aws["aas"].put_scaling_policy(
            PolicyName="write-steps",
            ServiceNamespace="dynamodb",
            ResourceId=resource_id,
            ScalableDimension=dimension,
            PolicyType="StepScaling",
            StepScalingPolicyConfiguration=STEPS,
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "StepScaling policies are not supported for DynamoDB" in refused.value.response["Error"]["Message"]
    assert policy_names(aws["aas"]) == []


def test_target_tracking_is_accepted_and_updated_without_a_type(aws: dict[str, Any]) -> None:
    common = {"ServiceNamespace": "dynamodb", "ResourceId": f"table/{TABLE}", "ScalableDimension": WRITE}
    aws["aas"].put_scaling_policy(
        PolicyName="write-tracking",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration=TRACKING,
        **common,
    )
    aws["aas"].put_scaling_policy(
        PolicyName="write-tracking",
        TargetTrackingScalingPolicyConfiguration={**TRACKING, "TargetValue": 50.0},
        **common,
    )
    (policy,) = aws["aas"].describe_scaling_policies(ServiceNamespace="dynamodb")["ScalingPolicies"]
    assert policy["PolicyType"] == "TargetTrackingScaling"
    assert policy["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 50.0


def test_a_stack_s_step_scaling_policy_on_a_table_fails_and_rolls_back(aws: dict[str, Any]) -> None:
    template = copy.deepcopy(BASE)
    template["Resources"]["Steps"] = {
        "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
        "Properties": {
            "PolicyName": "write-steps",
            "PolicyType": "StepScaling",
            "ServiceNamespace": "dynamodb",
            "ResourceId": {"Fn::Join": ["", ["table/", {"Ref": "Table"}]]},
            "ScalableDimension": WRITE,
            "StepScalingPolicyConfiguration": STEPS,
        },
    }
    run_change_set(aws["cfn"], template, "steps")
    described = stack(aws["cfn"])
    assert described["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert "[Steps]" in described["StackStatusReason"]
    assert "not supported for DynamoDB" in described["StackStatusReason"]
    assert policy_names(aws["aas"]) == []
