"""IMPORT change sets adopt an existing DynamoDB table into a stack without touching it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.cloudformation import responses as cfn_responses

from restore_sync_sandbox.extensions import (
    cloudformation_application_autoscaling,
    cloudformation_changesets,
    cloudformation_cloudwatch_alarm,
    cloudformation_import,
)

REGION = "us-east-1"
TABLE = "orders-restored"
ROLE = "arn:aws:iam::123456789012:role/cfn-service-role"


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    cloudformation_import.install()
    cloudformation_application_autoscaling.install()
    cloudformation_cloudwatch_alarm.install()
    with mock_aws():
        yield {
            "ddb": boto3.client("dynamodb", region_name=REGION),
            "cfn": boto3.client("cloudformation", region_name=REGION),
        }


def make_table(ddb: Any, items: int = 5) -> None:
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for n in range(items):
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": f"item-{n}"}, "n": {"N": str(n)}})


def import_template(deletion_policy: str | None = "Retain", extra: dict[str, Any] | None = None) -> str:
    table: dict[str, Any] = {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "TableName": TABLE,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    }
    if deletion_policy:
        table["DeletionPolicy"] = deletion_policy
        table["UpdateReplacePolicy"] = deletion_policy
    return json.dumps({"Resources": {"Table": table, **(extra or {})}})


def create_import(cfn: Any, template: str, stack: str = "governance", name: str = "import") -> dict[str, Any]:
    result: dict[str, Any] = cfn.create_change_set(
        StackName=stack,
        ChangeSetName=name,
        ChangeSetType="IMPORT",
        TemplateBody=template,
        ResourcesToImport=[
            {
                "ResourceType": "AWS::DynamoDB::Table",
                "LogicalResourceId": "Table",
                "ResourceIdentifier": {"TableName": TABLE},
            }
        ],
        RoleARN=ROLE,
    )
    return result


def test_patched_moto_attributes_still_exist() -> None:
    assert callable(cfn_responses.CloudFormationResponse.create_change_set)
    assert "IMPORT" in cloudformation_changesets.CHANGE_SET_EXECUTORS or not cloudformation_import._originals
    cloudformation_import.install()
    assert cloudformation_changesets.CHANGE_SET_EXECUTORS["IMPORT"] is cloudformation_import.execute_import


def test_import_adopts_the_existing_table_with_its_items(aws: dict[str, Any]) -> None:
    ddb, cfn = aws["ddb"], aws["cfn"]
    make_table(ddb, items=7)
    created_at = ddb.describe_table(TableName=TABLE)["Table"]["CreationDateTime"]

    create_import(cfn, import_template())
    assert cfn.describe_stacks(StackName="governance")["Stacks"][0]["StackStatus"] == "REVIEW_IN_PROGRESS"
    change_set = cfn.describe_change_set(StackName="governance", ChangeSetName="import")
    assert change_set["Status"] == "CREATE_COMPLETE"
    assert change_set["ExecutionStatus"] == "AVAILABLE"
    [change] = change_set["Changes"]
    assert change["ResourceChange"]["Action"] == "Import"
    assert change["ResourceChange"]["LogicalResourceId"] == "Table"
    assert change["ResourceChange"]["PhysicalResourceId"] == TABLE

    cfn.execute_change_set(StackName="governance", ChangeSetName="import")

    stack = cfn.describe_stacks(StackName="governance")["Stacks"][0]
    assert stack["StackStatus"] == "IMPORT_COMPLETE"
    [resource] = cfn.list_stack_resources(StackName="governance")["StackResourceSummaries"]
    assert resource["LogicalResourceId"] == "Table"
    assert resource["PhysicalResourceId"] == TABLE
    assert resource["ResourceType"] == "AWS::DynamoDB::Table"
    described = ddb.describe_table(TableName=TABLE)["Table"]
    assert described["ItemCount"] == 7
    assert described["CreationDateTime"] == created_at
    assert ddb.scan(TableName=TABLE)["Count"] == 7
    assert "Table" in json.dumps(cfn.get_template(StackName="governance")["TemplateBody"])
    executed = cfn.describe_change_set(StackName="governance", ChangeSetName="import")
    assert executed["ExecutionStatus"] == "EXECUTE_COMPLETE"


def test_import_is_refused_without_a_deletion_policy(aws: dict[str, Any]) -> None:
    make_table(aws["ddb"])
    with pytest.raises(ClientError) as refused:
        create_import(aws["cfn"], import_template(deletion_policy=None))
    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert "must have DeletionPolicy attribute specified" in refused.value.response["Error"]["Message"]


def test_a_table_another_stack_still_holds_is_refused_even_deleted_and_made_again(aws: dict[str, Any]) -> None:
    aws["cfn"].create_stack(StackName="application", TemplateBody=import_template())
    aws["ddb"].delete_table(TableName=TABLE)
    make_table(aws["ddb"])
    with pytest.raises(ClientError) as refused:
        create_import(aws["cfn"], import_template())
    assert refused.value.response["Error"]["Message"] == (
        "Resources [Table] passed in ResourceToImport are already in a stack and cannot be imported."
    )


def test_import_of_a_missing_table_fails_the_change_set(aws: dict[str, Any]) -> None:
    create_import(aws["cfn"], import_template())
    change_set = aws["cfn"].describe_change_set(StackName="governance", ChangeSetName="import")
    assert change_set["Status"] == "FAILED"
    assert change_set["ExecutionStatus"] == "UNAVAILABLE"
    assert TABLE in change_set["StatusReason"]


def test_import_cannot_add_other_resources(aws: dict[str, Any]) -> None:
    make_table(aws["ddb"])
    queue = {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q"}}}
    with pytest.raises(ClientError) as refused:
        create_import(aws["cfn"], import_template(extra=queue))
    assert "not being imported" in refused.value.response["Error"]["Message"]


def test_deleting_the_stack_keeps_the_imported_table(aws: dict[str, Any]) -> None:
    ddb, cfn = aws["ddb"], aws["cfn"]
    make_table(ddb, items=3)
    create_import(cfn, import_template())
    cfn.execute_change_set(StackName="governance", ChangeSetName="import")
    cfn.delete_stack(StackName="governance")
    assert ddb.describe_table(TableName=TABLE)["Table"]["ItemCount"] == 3


def test_import_into_an_existing_stack(aws: dict[str, Any]) -> None:
    ddb, cfn = aws["ddb"], aws["cfn"]
    make_table(ddb)
    queue = {"Queue": {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain", "Properties": {"QueueName": "q"}}}
    cfn.create_stack(StackName="existing", TemplateBody=json.dumps({"Resources": queue}))
    create_import(cfn, import_template(extra=queue), stack="existing")
    cfn.execute_change_set(StackName="existing", ChangeSetName="import")
    assert cfn.describe_stacks(StackName="existing")["Stacks"][0]["StackStatus"] == "IMPORT_COMPLETE"
    ids = {r["LogicalResourceId"] for r in cfn.list_stack_resources(StackName="existing")["StackResourceSummaries"]}
    assert ids == {"Queue", "Table"}


def test_an_imported_table_takes_updates_in_place(aws: dict[str, Any]) -> None:
    ddb, cfn = aws["ddb"], aws["cfn"]
    make_table(ddb, items=4)
    create_import(cfn, import_template())
    cfn.execute_change_set(StackName="governance", ChangeSetName="import")
    template = json.loads(import_template())
    template["Resources"]["Table"]["Properties"]["TimeToLiveSpecification"] = {
        "AttributeName": "expires",
        "Enabled": True,
    }
    cfn.create_change_set(
        StackName="governance", ChangeSetName="ttl", ChangeSetType="UPDATE", TemplateBody=json.dumps(template)
    )
    [change] = cfn.describe_change_set(StackName="governance", ChangeSetName="ttl")["Changes"]
    assert change["ResourceChange"]["Action"] == "Modify"
    assert change["ResourceChange"]["Replacement"] == "False"
    cfn.execute_change_set(StackName="governance", ChangeSetName="ttl")
    assert cfn.describe_stacks(StackName="governance")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    assert ddb.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"
    assert ddb.describe_table(TableName=TABLE)["Table"]["ItemCount"] == 4


# What DeleteTable leaves behind, imported into an existing stack: AWS::ApplicationAutoScaling::ScalableTarget by
# ResourceId, ScalableDimension and ServiceNamespace, ::ScalingPolicy by Arn and ScalableDimension,
# AWS::CloudWatch::Alarm by AlarmName (each type's primaryIdentifier in its registry schema).
SCALING = "table/" + TABLE
READS = "dynamodb:table:ReadCapacityUnits"


def leftover_resources(minimum: int, threshold: float) -> dict[str, Any]:
    target = {
        "ServiceNamespace": "dynamodb",
        "ResourceId": SCALING,
        "ScalableDimension": READS,
        "MinCapacity": minimum,
        "MaxCapacity": 50,
    }
    tracking = {
        "TargetValue": 70.0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "DynamoDBReadCapacityUtilization"},
    }
    alarm = {
        "AlarmName": "ledger-throttles",
        "Namespace": "AWS/DynamoDB",
        "MetricName": "ReadThrottleEvents",
        "Dimensions": [{"Name": "TableName", "Value": TABLE}],
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": threshold,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    return {
        "Target": {
            "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
            "DeletionPolicy": "Delete",
            "Properties": target,
        },
        "Policy": {
            "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
            "DeletionPolicy": "Delete",
            "Properties": {
                "PolicyName": "reads",
                "PolicyType": "TargetTrackingScaling",
                "ScalingTargetId": {"Ref": "Target"},
                "TargetTrackingScalingPolicyConfiguration": tracking,
            },
        },
        "Alarm": {"Type": "AWS::CloudWatch::Alarm", "DeletionPolicy": "Delete", "Properties": alarm},
    }


def test_what_a_deleted_table_left_behind_is_imported_and_then_updated_in_place(aws: dict[str, Any]) -> None:
    ddb, cfn = aws["ddb"], aws["cfn"]
    aas = boto3.client("application-autoscaling", region_name=REGION)
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    )
    aas.register_scalable_target(
        ServiceNamespace="dynamodb", ResourceId=SCALING, ScalableDimension=READS, MinCapacity=2, MaxCapacity=50
    )
    leftovers = leftover_resources(minimum=2, threshold=1.0)
    policy_arn = aas.put_scaling_policy(
        PolicyName="reads",
        ServiceNamespace="dynamodb",
        ResourceId=SCALING,
        ScalableDimension=READS,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration=leftovers["Policy"]["Properties"][
            "TargetTrackingScalingPolicyConfiguration"
        ],
    )["PolicyARN"]
    alarm = leftovers["Alarm"]["Properties"]
    cloudwatch.put_metric_alarm(**alarm)
    table_only = json.loads(import_template())
    create_import(cfn, json.dumps(table_only))
    cfn.execute_change_set(StackName="governance", ChangeSetName="import")

    with_leftovers = {**table_only, "Resources": {**table_only["Resources"], **leftovers}}
    identifiers = {
        "Target": {"ServiceNamespace": "dynamodb", "ResourceId": SCALING, "ScalableDimension": READS},
        "Policy": {"Arn": policy_arn, "ScalableDimension": READS},
        "Alarm": {"AlarmName": alarm["AlarmName"]},
    }
    cfn.create_change_set(
        StackName="governance",
        ChangeSetName="adopt",
        ChangeSetType="IMPORT",
        TemplateBody=json.dumps(with_leftovers),
        # The policy first: its Ref to the target must find the imported target, not create one.
        ResourcesToImport=[
            {"ResourceType": leftovers[key]["Type"], "LogicalResourceId": key, "ResourceIdentifier": identifier}
            for key, identifier in sorted(identifiers.items(), key=lambda pair: pair[0] != "Policy")
        ],
    )
    changes = cfn.describe_change_set(StackName="governance", ChangeSetName="adopt")["Changes"]
    assert {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"]["PhysicalResourceId"] for c in changes} == {
        "Target": f"{SCALING}|{READS}|dynamodb",
        "Policy": policy_arn,
        "Alarm": alarm["AlarmName"],
    }
    cfn.execute_change_set(StackName="governance", ChangeSetName="adopt")
    assert cfn.describe_stacks(StackName="governance")["Stacks"][0]["StackStatus"] == "IMPORT_COMPLETE"

    wanted = {**table_only, "Resources": {**table_only["Resources"], **leftover_resources(minimum=5, threshold=3.0)}}
    cfn.create_change_set(
        StackName="governance", ChangeSetName="update", ChangeSetType="UPDATE", TemplateBody=json.dumps(wanted)
    )
    changed = cfn.describe_change_set(StackName="governance", ChangeSetName="update")["Changes"]
    assert {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"]["Action"] for c in changed} == {
        "Target": "Modify",
        "Alarm": "Modify",
    }
    cfn.execute_change_set(StackName="governance", ChangeSetName="update")

    assert cfn.describe_stacks(StackName="governance")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    [target] = aas.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (5, 50)
    [policy] = aas.describe_scaling_policies(ServiceNamespace="dynamodb")["ScalingPolicies"]
    assert policy["PolicyARN"] == policy_arn, "updated in place, not created again"
    [found] = cloudwatch.describe_alarms(AlarmNames=[alarm["AlarmName"]])["MetricAlarms"]
    assert found["Threshold"] == 3.0

    cfn.delete_stack(StackName="governance")
    assert aas.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"] == []
    assert cloudwatch.describe_alarms(AlarmNames=[alarm["AlarmName"]])["MetricAlarms"] == []
    assert ddb.describe_table(TableName=TABLE)["Table"]["TableName"] == TABLE, "the table is kept"
