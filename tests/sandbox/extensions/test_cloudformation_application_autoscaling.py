"""Change sets register, update, replace and remove auto scaling targets and policies of a table, as in AWS."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.applicationautoscaling.models import ApplicationAutoscalingBackend, FakeApplicationAutoscalingPolicy
from moto.cloudformation import parsing as cfn_parsing
from moto.core.common_models import CloudFormationModel

from restore_sync_sandbox.extensions import (
    cloudformation_application_autoscaling as autoscaling,
)
from restore_sync_sandbox.extensions import (
    cloudformation_changesets,
    cloudformation_dynamodb_table,
)
from tests.sandbox.extensions.governance import STACK, outputs, run_change_set, stack

REGION = "us-east-1"
ACCOUNT = "123456789012"
TABLE = "orders-restored"
ON_DEMAND = "orders-on-demand"
READ = "dynamodb:table:ReadCapacityUnits"
WRITE = "dynamodb:table:WriteCapacityUnits"
INDEX_READ = "dynamodb:index:ReadCapacityUnits"
SERVICE_ROLE = (
    f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable"
)
THROUGHPUT = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}

BASE: dict[str, Any] = {
    "Resources": {
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
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
    cloudformation_changesets.install()
    cloudformation_dynamodb_table.install()
    autoscaling.install()
    with mock_aws():
        cfn = boto3.client("cloudformation", region_name=REGION)
        cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(BASE))
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName=ON_DEMAND,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield {
            "cfn": cfn,
            "aas": boto3.client("application-autoscaling", region_name=REGION),
            "cloudwatch": boto3.client("cloudwatch", region_name=REGION),
        }


def table_resource_id(index: str | None = None) -> Any:
    suffix = f"/index/{index}" if index else ""
    return {"Fn::Join": ["", ["table/", {"Ref": "Table"}, suffix]]}


def target(dimension: str = READ, resource_id: Any = None, **props: Any) -> dict[str, Any]:
    properties = {
        "ServiceNamespace": "dynamodb",
        "ResourceId": resource_id if resource_id is not None else table_resource_id(),
        "ScalableDimension": dimension,
        "MinCapacity": 5,
        "MaxCapacity": 50,
        **props,
    }
    return {"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "DependsOn": "Table", "Properties": properties}


def policy(target_id: str, metric: str = "DynamoDBReadCapacityUtilization", **config: Any) -> dict[str, Any]:
    tracking = {
        "TargetValue": 70.0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
        "ScaleInCooldown": 60,
        "ScaleOutCooldown": 60,
        **config,
    }
    return {
        "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
        "Properties": {
            "PolicyName": f"{target_id}-tracking",
            "PolicyType": "TargetTrackingScaling",
            "ScalingTargetId": {"Ref": target_id},
            "TargetTrackingScalingPolicyConfiguration": tracking,
        },
    }


def template_with(**resources: Any) -> dict[str, Any]:
    template = copy.deepcopy(BASE)
    template["Resources"].update(resources)
    template["Outputs"] = {f"{name}Ref": {"Value": {"Ref": name}} for name in resources}
    return template


def targets(aws: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    found = aws["aas"].describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"]
    return {(t["ResourceId"], t["ScalableDimension"]): t for t in found}


def policies(aws: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = aws["aas"].describe_scaling_policies(ServiceNamespace="dynamodb")["ScalingPolicies"]
    return {p["PolicyName"]: p for p in found}


def scheduled(aws: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = aws["aas"].describe_scheduled_actions(ServiceNamespace="dynamodb")["ScheduledActions"]
    return {a["ScheduledActionName"]: a for a in found}


def alarm_names(aws: dict[str, Any]) -> set[str]:
    return {a["AlarmName"] for a in aws["cloudwatch"].describe_alarms()["MetricAlarms"]}


def changes(described: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in described["Changes"]}


NIGHTLY = {
    "ScheduledActionName": "nightly",
    "Schedule": "cron(0 22 * * ? *)",
    "Timezone": "Europe/Paris",
    "ScalableTargetAction": {"MinCapacity": 1, "MaxCapacity": 10},
}
MORNING = {
    "ScheduledActionName": "morning",
    "Schedule": "cron(0 6 * * ? *)",
    "ScalableTargetAction": {"MinCapacity": 5},
}


def test_moto_attributes_and_model_map() -> None:
    for key, attribute, _ in autoscaling.PATCHES:
        assert hasattr(ApplicationAutoscalingBackend, attribute), key
    for attribute in ("delete_alarms", "create_alarms", "formulate_key"):
        assert hasattr(FakeApplicationAutoscalingPolicy, attribute), attribute
    for name in autoscaling.MODEL_CACHES:
        assert callable(getattr(getattr(cfn_parsing, name), "cache_clear", None)), name
    assert autoscaling.ScalableTarget in CloudFormationModel.__subclasses__()
    autoscaling.install()
    autoscaling.install()
    assert cfn_parsing.get_model_map()[autoscaling.TARGET_TYPE] is autoscaling.ScalableTarget
    assert cfn_parsing.get_model_map()[autoscaling.POLICY_TYPE] is autoscaling.ScalingPolicy


def test_targets_policies_and_scheduled_actions_are_created(aws: dict[str, Any]) -> None:
    suspended = {"DynamicScalingInSuspended": True}
    template = template_with(
        ReadTarget=target(ScheduledActions=[NIGHTLY, MORNING]),
        ReadPolicy=policy("ReadTarget"),
        IndexTarget=target(INDEX_READ, table_resource_id("by-status"), MinCapacity="2", SuspendedState=suspended),
    )
    described = run_change_set(aws["cfn"], template, "add")
    assert {k: v["Action"] for k, v in changes(described).items()} == dict.fromkeys(
        ("ReadTarget", "ReadPolicy", "IndexTarget"), "Add"
    )
    assert stack(aws["cfn"])["StackStatus"] == "UPDATE_COMPLETE"

    found = targets(aws)
    table_target = found[(f"table/{TABLE}", READ)]
    assert (table_target["MinCapacity"], table_target["MaxCapacity"]) == (5, 50)
    assert table_target["RoleARN"] == SERVICE_ROLE
    assert table_target["SuspendedState"] == dict.fromkeys(autoscaling.SUSPENDED_FLAGS, False)
    index_target = found[(f"table/{TABLE}/index/by-status", INDEX_READ)]
    assert index_target["MinCapacity"] == 2
    assert index_target["SuspendedState"]["DynamicScalingInSuspended"] is True
    assert index_target["SuspendedState"]["ScheduledScalingSuspended"] is False

    actions = scheduled(aws)
    assert set(actions) == {"nightly", "morning"}
    assert actions["nightly"]["Timezone"] == "Europe/Paris"
    assert actions["nightly"]["ScalableTargetAction"] == {"MinCapacity": 1, "MaxCapacity": 10}

    [made] = policies(aws).values()
    assert made["PolicyType"] == "TargetTrackingScaling"
    assert made["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 70.0
    assert made["ResourceId"] == f"table/{TABLE}"
    assert {a["AlarmName"] for a in made["Alarms"]} <= alarm_names(aws)
    assert any(name.startswith(f"TargetTracking-table/{TABLE}-AlarmHigh-") for name in alarm_names(aws))

    refs = outputs(aws["cfn"])
    assert refs["ReadTargetRef"] == f"table/{TABLE}|{READ}|dynamodb"
    assert refs["ReadPolicyRef"] == made["PolicyARN"]


def test_an_update_changes_the_same_target_and_policy(aws: dict[str, Any]) -> None:
    suspended = {"DynamicScalingOutSuspended": True}
    first = template_with(
        ReadTarget=target(SuspendedState=suspended, ScheduledActions=[NIGHTLY, MORNING]),
        ReadPolicy=policy("ReadTarget"),
    )
    run_change_set(aws["cfn"], first, "add")
    [before] = policies(aws).values()
    old_alarms = {a["AlarmName"] for a in before["Alarms"]}

    changed_nightly = {**NIGHTLY, "ScalableTargetAction": {"MinCapacity": 2, "MaxCapacity": 20}}
    second = template_with(
        ReadTarget=target(MinCapacity=10, MaxCapacity=100, ScheduledActions=[changed_nightly]),
        ReadPolicy=policy("ReadTarget", TargetValue=50.0, DisableScaleIn=True),
    )
    described = run_change_set(aws["cfn"], second, "modify")
    assert {k: (v["Action"], v["Replacement"]) for k, v in changes(described).items()} == {
        "ReadTarget": ("Modify", "False"),
        "ReadPolicy": ("Modify", "False"),
    }
    assert stack(aws["cfn"])["StackStatus"] == "UPDATE_COMPLETE"
    found = targets(aws)[(f"table/{TABLE}", READ)]
    assert (found["MinCapacity"], found["MaxCapacity"]) == (10, 100)
    assert found["SuspendedState"] == dict.fromkeys(autoscaling.SUSPENDED_FLAGS, False)
    actions = scheduled(aws)
    assert set(actions) == {"nightly"}
    assert actions["nightly"]["ScalableTargetAction"] == {"MinCapacity": 2, "MaxCapacity": 20}

    [after] = policies(aws).values()
    assert after["PolicyARN"] == before["PolicyARN"]
    assert after["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 50.0
    assert after["TargetTrackingScalingPolicyConfiguration"]["DisableScaleIn"] is True
    new_alarms = {a["AlarmName"] for a in after["Alarms"]}
    assert not old_alarms & alarm_names(aws)
    assert new_alarms <= alarm_names(aws)


def test_a_new_dimension_replaces_the_target_and_its_policy(aws: dict[str, Any]) -> None:
    run_change_set(aws["cfn"], template_with(Target=target(), Policy=policy("Target")), "add")
    [old_policy] = policies(aws).values()
    described = run_change_set(
        aws["cfn"],
        template_with(Target=target(WRITE), Policy=policy("Target", "DynamoDBWriteCapacityUtilization")),
        "replace",
    )
    found = changes(described)
    assert found["Target"]["Replacement"] == "True"
    assert found["Target"]["PhysicalResourceId"] == f"table/{TABLE}|{READ}|dynamodb"
    assert found["Policy"]["Action"] == "Modify"
    assert stack(aws["cfn"])["StackStatus"] == "UPDATE_COMPLETE"
    assert set(targets(aws)) == {(f"table/{TABLE}", WRITE)}
    [new_policy] = policies(aws).values()
    assert new_policy["ScalableDimension"] == WRITE
    assert new_policy["PolicyARN"] != old_policy["PolicyARN"]
    assert not {a["AlarmName"] for a in old_policy["Alarms"]} & alarm_names(aws)
    assert outputs(aws["cfn"])["TargetRef"] == f"table/{TABLE}|{WRITE}|dynamodb"


def test_removing_them_deregisters_the_target_and_deletes_the_policy_and_its_alarms(aws: dict[str, Any]) -> None:
    run_change_set(aws["cfn"], template_with(Target=target(ScheduledActions=[NIGHTLY]), Policy=policy("Target")), "add")
    assert alarm_names(aws)
    described = run_change_set(aws["cfn"], copy.deepcopy(BASE), "remove")
    assert {k: v["Action"] for k, v in changes(described).items()} == {"Target": "Remove", "Policy": "Remove"}
    assert stack(aws["cfn"])["StackStatus"] == "UPDATE_COMPLETE"
    assert targets(aws) == {}
    assert policies(aws) == {}
    assert scheduled(aws) == {}
    assert alarm_names(aws) == set()


def test_removing_only_the_policy_keeps_the_target(aws: dict[str, Any]) -> None:
    run_change_set(aws["cfn"], template_with(Target=target(), Policy=policy("Target")), "add")
    run_change_set(aws["cfn"], template_with(Target=target()), "drop-policy")
    assert stack(aws["cfn"])["StackStatus"] == "UPDATE_COMPLETE"
    assert set(targets(aws)) == {(f"table/{TABLE}", READ)}
    assert policies(aws) == {}
    assert alarm_names(aws) == set()


def test_a_target_on_an_on_demand_table_fails_and_rolls_back(aws: dict[str, Any]) -> None:
    run_change_set(aws["cfn"], template_with(Target=target(), Policy=policy("Target")), "add")
    before = (targets(aws), policies(aws), alarm_names(aws))
    template = template_with(
        Target=target(),
        Policy=policy("Target"),
        OnDemandTarget=target(resource_id=f"table/{ON_DEMAND}"),
        OnDemandPolicy=policy("OnDemandTarget"),
    )
    run_change_set(aws["cfn"], template, "on-demand")
    described = stack(aws["cfn"])
    assert described["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    reason = described["StackStatusReason"]
    assert "[OnDemandTarget]" in reason
    assert "PAY_PER_REQUEST" in reason
    assert (targets(aws), policies(aws), alarm_names(aws)) == before
    with pytest.raises(ClientError) as refused:
        aws["aas"].register_scalable_target(
            ServiceNamespace="dynamodb",
            ResourceId=f"table/{ON_DEMAND}",
            ScalableDimension=READ,
            MinCapacity=1,
            MaxCapacity=2,
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_invalid_limits_fail_the_update(aws: dict[str, Any]) -> None:
    run_change_set(aws["cfn"], template_with(Target=target()), "add")
    run_change_set(aws["cfn"], template_with(Target=target(MinCapacity=60)), "inverted")
    described = stack(aws["cfn"])
    assert described["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert "Minimum capacity cannot be greater than maximum capacity" in described["StackStatusReason"]
    assert targets(aws)[(f"table/{TABLE}", READ)]["MinCapacity"] == 5


def test_the_api_needs_a_registered_target_and_deregistering_deletes_its_policies(aws: dict[str, Any]) -> None:
    aas = aws["aas"]
    tracking = {
        "TargetValue": 70.0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "DynamoDBReadCapacityUtilization"},
    }
    with pytest.raises(ClientError) as missing:
        aas.put_scaling_policy(
            PolicyName="orphan",
            ServiceNamespace="dynamodb",
            ResourceId=f"table/{TABLE}",
            ScalableDimension=READ,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration=tracking,
        )
    assert missing.value.response["Error"]["Code"] == "ObjectNotFoundException"
    aas.register_scalable_target(
        ServiceNamespace="dynamodb", ResourceId=f"table/{TABLE}", ScalableDimension=READ, MinCapacity=1, MaxCapacity=9
    )
    aas.put_scaling_policy(
        PolicyName="tracking",
        ServiceNamespace="dynamodb",
        ResourceId=f"table/{TABLE}",
        ScalableDimension=READ,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration=tracking,
    )
    assert len(alarm_names(aws)) == 4
    aas.deregister_scalable_target(ServiceNamespace="dynamodb", ResourceId=f"table/{TABLE}", ScalableDimension=READ)
    assert policies(aws) == {}
    assert alarm_names(aws) == set()
