"""Change sets put, update, rename and delete CloudWatch alarms on a table's metrics, as in AWS."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.cloudformation import parsing as cfn_parsing
from moto.cloudwatch.models import CloudWatchBackend

from restore_sync_sandbox.extensions import (
    cloudformation_changesets,
    cloudformation_cloudwatch_alarm,
    cloudformation_dynamodb_table,
)
from tests.sandbox.extensions.governance import STACK, outputs, run_change_set, stack

REGION = "us-east-1"
ACCOUNT = "123456789012"
TABLE = "orders-restored"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:on-call"

BASE: dict[str, Any] = {
    "Resources": {
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "TableName": TABLE,
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST",
            },
        }
    }
}


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    cloudformation_changesets.install()
    cloudformation_dynamodb_table.install()
    cloudformation_cloudwatch_alarm.install()
    with mock_aws():
        cfn = boto3.client("cloudformation", region_name=REGION)
        cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(BASE))
        yield {"cfn": cfn, "cloudwatch": boto3.client("cloudwatch", region_name=REGION)}


def alarm(**props: Any) -> dict[str, Any]:
    properties = {
        "Namespace": "AWS/DynamoDB",
        "MetricName": "ThrottledRequests",
        "Dimensions": [{"Name": "TableName", "Value": {"Ref": "Table"}}],
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 5,
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        **props,
    }
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {k: v for k, v in properties.items() if v is not None}}


def template_with(**resources: Any) -> dict[str, Any]:
    template = copy.deepcopy(BASE)
    template["Resources"].update(resources)
    template["Outputs"] = {f"{name}Ref": {"Value": {"Ref": name}} for name in resources} | {
        f"{name}Arn": {"Value": {"Fn::GetAtt": [name, "Arn"]}} for name in resources
    }
    return template


def alarms(aws: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["AlarmName"]: a for a in aws["cloudwatch"].describe_alarms()["MetricAlarms"]}


def tags(aws: dict[str, Any], arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in aws["cloudwatch"].list_tags_for_resource(ResourceARN=arn)["Tags"]}


def test_moto_attributes_and_model_map() -> None:
    assert callable(getattr(CloudWatchBackend, "put_metric_alarm", None))
    assert callable(getattr(CloudWatchBackend, "delete_alarms", None))
    for name in cloudformation_cloudwatch_alarm.MODEL_CACHES:
        assert callable(getattr(getattr(cfn_parsing, name), "cache_clear", None)), name
    cloudformation_cloudwatch_alarm.install()
    cloudformation_cloudwatch_alarm.install()
    model = cfn_parsing.get_model_map()[cloudformation_cloudwatch_alarm.RESOURCE_TYPE]
    assert model is cloudformation_cloudwatch_alarm.MetricAlarm


def test_an_alarm_is_added_with_its_properties(aws: dict[str, Any]) -> None:
    resource = alarm(
        AlarmName="orders-throttled",
        AlarmDescription="reads or writes throttled",
        Dimensions=[
            {"Name": "TableName", "Value": {"Ref": "Table"}},
            {"Name": "GlobalSecondaryIndexName", "Value": "by-status"},
        ],
        DatapointsToAlarm="3",
        Unit="Count",
        TreatMissingData="notBreaching",
        ActionsEnabled="false",
        AlarmActions=[TOPIC],
        OKActions=[TOPIC],
        InsufficientDataActions=[TOPIC],
        Tags=[{"Key": "team", "Value": "storage"}],
    )
    described = run_change_set(aws["cfn"], template_with(Throttled=resource), "add")
    [change] = described["Changes"]
    assert (change["ResourceChange"]["Action"], change["ResourceChange"]["ResourceType"]) == (
        "Add",
        "AWS::CloudWatch::Alarm",
    )
    assert stack(aws["cfn"])["StackStatus"] == "UPDATE_COMPLETE"
    made = alarms(aws)["orders-throttled"]
    assert made["Namespace"] == "AWS/DynamoDB"
    assert made["MetricName"] == "ThrottledRequests"
    assert made["Dimensions"] == [
        {"Name": "TableName", "Value": TABLE},
        {"Name": "GlobalSecondaryIndexName", "Value": "by-status"},
    ]
    assert (made["Statistic"], made["Period"], made["EvaluationPeriods"], made["DatapointsToAlarm"]) == (
        "Sum",
        60,
        5,
        3,
    )
    assert (made["Threshold"], made["ComparisonOperator"]) == (1.0, "GreaterThanOrEqualToThreshold")
    assert (made["Unit"], made["TreatMissingData"], made["ActionsEnabled"]) == ("Count", "notBreaching", False)
    assert made["AlarmActions"] == made["OKActions"] == made["InsufficientDataActions"] == [TOPIC]
    assert made["AlarmDescription"] == "reads or writes throttled"
    assert outputs(aws["cfn"]) == {"ThrottledRef": "orders-throttled", "ThrottledArn": made["AlarmArn"]}
    assert tags(aws, made["AlarmArn"]) == {"team": "storage"}


def test_an_unnamed_alarm_gets_a_generated_name_that_updates_keep(aws: dict[str, Any]) -> None:
    run_change_set(aws["cfn"], template_with(Unnamed=alarm()), "add")
    [name] = alarms(aws)
    assert name.startswith(f"{STACK}-Unnamed-")
    described = run_change_set(aws["cfn"], template_with(Unnamed=alarm(Threshold=10)), "raise")
    assert described["Changes"][0]["ResourceChange"]["Replacement"] == "False"
    assert list(alarms(aws)) == [name]
    assert alarms(aws)[name]["Threshold"] == 10.0


def test_an_update_replaces_the_configuration_and_keeps_the_state(aws: dict[str, Any]) -> None:
    first = alarm(
        AlarmName="orders-throttled",
        AlarmDescription="first",
        AlarmActions=[TOPIC],
        Tags=[{"Key": "team", "Value": "storage"}, {"Key": "tier", "Value": "1"}],
    )
    run_change_set(aws["cfn"], template_with(Throttled=first), "add")
    aws["cloudwatch"].set_alarm_state(AlarmName="orders-throttled", StateValue="ALARM", StateReason="test")
    second = alarm(
        AlarmName="orders-throttled",
        ExtendedStatistic="p99",
        Statistic=None,
        Threshold=5,
        EvaluationPeriods=3,
        Tags=[{"Key": "team", "Value": "platform"}],
    )
    described = run_change_set(aws["cfn"], template_with(Throttled=second), "modify")
    [change] = described["Changes"]
    assert (change["ResourceChange"]["Action"], change["ResourceChange"]["Replacement"]) == ("Modify", "False")
    assert stack(aws["cfn"])["StackStatus"] == "UPDATE_COMPLETE"
    made = alarms(aws)["orders-throttled"]
    assert made["ExtendedStatistic"] == "p99"
    assert "Statistic" not in made
    assert (made["Threshold"], made["EvaluationPeriods"]) == (5.0, 3)
    assert "AlarmDescription" not in made or not made["AlarmDescription"]
    assert made["AlarmActions"] == []
    assert made["StateValue"] == "ALARM"
    assert tags(aws, made["AlarmArn"]) == {"team": "platform"}


def test_a_new_name_replaces_the_alarm(aws: dict[str, Any]) -> None:
    run_change_set(aws["cfn"], template_with(Throttled=alarm(AlarmName="old-name")), "add")
    described = run_change_set(aws["cfn"], template_with(Throttled=alarm(AlarmName="new-name")), "rename")
    [change] = described["Changes"]
    assert (change["ResourceChange"]["Replacement"], change["ResourceChange"]["PhysicalResourceId"]) == (
        "True",
        "old-name",
    )
    assert stack(aws["cfn"])["StackStatus"] == "UPDATE_COMPLETE"
    assert list(alarms(aws)) == ["new-name"]
    assert outputs(aws["cfn"])["ThrottledRef"] == "new-name"


def test_a_metric_math_alarm(aws: dict[str, Any]) -> None:
    def consumed(query_id: str, metric: str) -> dict[str, Any]:
        return {
            "Id": query_id,
            "ReturnData": False,
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/DynamoDB",
                    "MetricName": metric,
                    "Dimensions": [{"Name": "TableName", "Value": {"Ref": "Table"}}],
                },
                "Period": 300,
                "Stat": "Sum",
            },
        }

    metrics = [
        consumed("reads", "ConsumedReadCapacityUnits"),
        consumed("writes", "ConsumedWriteCapacityUnits"),
        {"Id": "total", "Expression": "reads + writes", "Label": "consumed", "ReturnData": True},
    ]
    resource = alarm(
        AlarmName="orders-consumed",
        Namespace=None,
        MetricName=None,
        Dimensions=None,
        Statistic=None,
        Period=None,
        Metrics=metrics,
    )
    run_change_set(aws["cfn"], template_with(Consumed=resource), "math")
    assert stack(aws["cfn"])["StackStatus"] == "UPDATE_COMPLETE"
    made = alarms(aws)["orders-consumed"]
    by_id = {m["Id"]: m for m in made["Metrics"]}
    assert by_id["total"]["Expression"] == "reads + writes"
    assert by_id["reads"]["MetricStat"]["Metric"]["Dimensions"] == [{"Name": "TableName", "Value": TABLE}]


def test_removing_the_resource_deletes_the_alarm(aws: dict[str, Any]) -> None:
    run_change_set(aws["cfn"], template_with(Throttled=alarm(AlarmName="orders-throttled")), "add")
    described = run_change_set(aws["cfn"], copy.deepcopy(BASE), "remove")
    assert described["Changes"][0]["ResourceChange"]["Action"] == "Remove"
    assert stack(aws["cfn"])["StackStatus"] == "UPDATE_COMPLETE"
    assert alarms(aws) == {}


@pytest.mark.parametrize(
    ("bad", "cause"),
    [
        ({"ComparisonOperator": "BiggerThan"}, "comparisonOperator"),
        ({"EvaluationPeriods": 0}, "evaluationPeriods"),
        ({"Period": 45}, "Period must be 10, 20, 30 or a multiple of 60"),
        ({"ExtendedStatistic": "p99"}, "Exactly one of Statistic and ExtendedStatistic"),
        ({"DatapointsToAlarm": 9}, "DatapointsToAlarm"),
        ({"TreatMissingData": "sometimes"}, "TreatMissingData"),
        ({"Unit": "Apples"}, "'unit'"),
        ({"EvaluationPeriods": None}, "required key [EvaluationPeriods] not found"),
    ],
)
def test_invalid_properties_fail_the_update_and_keep_the_previous_alarm(
    aws: dict[str, Any], bad: dict[str, Any], cause: str
) -> None:
    run_change_set(aws["cfn"], template_with(Throttled=alarm(AlarmName="orders-throttled")), "add")
    template = template_with(
        Throttled=alarm(AlarmName="orders-throttled", Threshold=3),
        Broken=alarm(AlarmName="orders-broken", **bad),
    )
    run_change_set(aws["cfn"], template, "broken")
    described = stack(aws["cfn"])
    assert described["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert "[Broken]" in described["StackStatusReason"]
    assert cause in described["StackStatusReason"]
    assert list(alarms(aws)) == ["orders-throttled"]
    assert alarms(aws)["orders-throttled"]["Threshold"] == 1.0
