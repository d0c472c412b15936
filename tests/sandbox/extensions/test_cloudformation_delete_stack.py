"""DeleteStack skips what was already deleted outside the stack, keeps what is retained, and a failed deletion leaves
the stack DELETE_FAILED."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.exceptions import ResourceNotFoundException

from restore_sync_sandbox import extensions
from restore_sync_sandbox.extensions import cloudformation_delete_stack

REGION = "us-east-1"


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    extensions.install()
    with mock_aws():
        services = ("cloudformation", "dynamodb", "cloudwatch")
        yield {service: boto3.client(service, region_name=REGION) for service in services}


def _template(table: str, *, retain: bool, protected: bool = False) -> str:
    table_resource: dict[str, Any] = {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "TableName": table,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "DeletionProtectionEnabled": protected,
        },
    }
    if retain:
        table_resource["DeletionPolicy"] = "Retain"
    alarm = {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": f"{table}-throttles",
            "Namespace": "AWS/DynamoDB",
            "MetricName": "ReadThrottleEvents",
            "Dimensions": [{"Name": "TableName", "Value": table}],
            "Statistic": "Sum",
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanThreshold",
        },
    }
    return json.dumps({"Resources": {"Table": table_resource, "Alarm": alarm}})


def _stack(aws: dict[str, Any], name: str, template: str) -> str:
    return str(aws["cloudformation"].create_stack(StackName=name, TemplateBody=template)["StackId"])


def _status(aws: dict[str, Any], stack_id: str) -> str:
    return str(aws["cloudformation"].describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"])


def _alarms(aws: dict[str, Any]) -> list[str]:
    return [a["AlarmName"] for a in aws["cloudwatch"].describe_alarms()["MetricAlarms"]]


@pytest.mark.parametrize("retain", [False, True], ids=["deleted-by-the-stack", "retained"])
def test_a_stack_whose_table_was_deleted_outside_it_is_deleted_with_the_rest(aws: dict[str, Any], retain: bool) -> None:
    stack_id = _stack(aws, "governed", _template("gone-table", retain=retain))
    aws["dynamodb"].delete_table(TableName="gone-table")

    aws["cloudformation"].delete_stack(StackName="governed")

    assert _status(aws, stack_id) == "DELETE_COMPLETE"
    assert _alarms(aws) == []
    assert "gone-table" not in aws["dynamodb"].list_tables()["TableNames"]


def test_a_retained_table_that_exists_is_kept(aws: dict[str, Any]) -> None:
    stack_id = _stack(aws, "keeper", _template("kept-table", retain=True))

    aws["cloudformation"].delete_stack(StackName=stack_id)

    assert _status(aws, stack_id) == "DELETE_COMPLETE"
    assert aws["dynamodb"].describe_table(TableName="kept-table")["Table"]["TableStatus"] == "ACTIVE"
    assert _alarms(aws) == []


def test_a_deletion_that_fails_leaves_the_stack_delete_failed_and_can_be_retried(aws: dict[str, Any]) -> None:
    stack_id = _stack(aws, "protected", _template("protected-table", retain=False, protected=True))

    aws["cloudformation"].delete_stack(StackName="protected")

    described = aws["cloudformation"].describe_stacks(StackName="protected")["Stacks"][0]
    assert (described["StackId"], described["StackStatus"]) == (stack_id, "DELETE_FAILED")
    assert "failed to delete" in described["StackStatusReason"]
    assert "protected-table" in aws["dynamodb"].list_tables()["TableNames"]

    aws["dynamodb"].update_table(TableName="protected-table", DeletionProtectionEnabled=False)
    aws["cloudformation"].delete_stack(StackName="protected")

    assert _status(aws, stack_id) == "DELETE_COMPLETE"
    assert "protected-table" not in aws["dynamodb"].list_tables()["TableNames"]


def test_not_found_is_read_from_the_error_code() -> None:
    assert cloudformation_delete_stack.is_not_found(ResourceNotFoundException())
    assert cloudformation_delete_stack.is_not_found(type("NoSuchEntity", (Exception,), {})())
    assert not cloudformation_delete_stack.is_not_found(ValueError("Table not found"))
