"""Stack updates apply AWS::DynamoDB::Table properties to the same table, as CloudFormation does."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models.table import Table

from restore_sync_sandbox.extensions import cloudformation_changesets, cloudformation_dynamodb_table

REGION = "us-east-1"
TABLE = "orders-restored"
STACK = "governance"

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
                "BillingMode": "PROVISIONED",
                "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
            },
        }
    }
}


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    cloudformation_changesets.install()
    cloudformation_dynamodb_table.install()
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        cfn = boto3.client("cloudformation", region_name=REGION)
        cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(BASE))
        for n in range(6):
            ddb.put_item(TableName=TABLE, Item={"pk": {"S": f"item-{n}"}})
        yield {"ddb": ddb, "cfn": cfn, "template": copy.deepcopy(BASE)}


def update(cfn: Any, template: dict[str, Any], name: str, **props: Any) -> dict[str, Any]:
    """Sets `props` on the table in `template`, runs one UPDATE change set, returns its description."""
    template["Resources"]["Table"]["Properties"].update(props)
    for key in [k for k, v in props.items() if v is None]:
        del template["Resources"]["Table"]["Properties"][key]
    cfn.create_change_set(
        StackName=STACK, ChangeSetName=name, ChangeSetType="UPDATE", TemplateBody=json.dumps(template)
    )
    described: dict[str, Any] = cfn.describe_change_set(StackName=STACK, ChangeSetName=name)
    assert described["Status"] == "CREATE_COMPLETE", described.get("StatusReason")
    cfn.execute_change_set(StackName=STACK, ChangeSetName=name)
    return described


def stack_status(cfn: Any) -> str:
    status: str = cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"]
    return status


def test_patched_moto_attributes_still_exist() -> None:
    assert hasattr(Table, "create_from_cloudformation_json")
    assert hasattr(Table, "update_from_cloudformation_json")
    cloudformation_dynamodb_table.install()
    assert not hasattr(Table.update_from_cloudformation_json, "__isabstractmethod__")


def test_ttl_is_applied_in_place(aws: dict[str, Any]) -> None:
    described = update(
        aws["cfn"], aws["template"], "ttl", TimeToLiveSpecification={"AttributeName": "expires", "Enabled": True}
    )
    [change] = described["Changes"]
    assert change["ResourceChange"]["Action"] == "Modify"
    assert change["ResourceChange"]["Replacement"] == "False"
    assert change["ResourceChange"]["Details"][0]["Target"]["Name"] == "TimeToLiveSpecification"
    assert stack_status(aws["cfn"]) == "UPDATE_COMPLETE"
    ttl = aws["ddb"].describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    assert aws["ddb"].describe_table(TableName=TABLE)["Table"]["ItemCount"] == 6
    [resource] = aws["cfn"].list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    assert resource["PhysicalResourceId"] == TABLE


def test_stream_is_enabled_and_disabled(aws: dict[str, Any]) -> None:
    update(aws["cfn"], aws["template"], "stream-on", StreamSpecification={"StreamViewType": "NEW_AND_OLD_IMAGES"})
    table = aws["ddb"].describe_table(TableName=TABLE)["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["LatestStreamArn"]
    update(aws["cfn"], aws["template"], "stream-off", StreamSpecification=None)
    assert "StreamSpecification" not in aws["ddb"].describe_table(TableName=TABLE)["Table"]
    assert stack_status(aws["cfn"]) == "UPDATE_COMPLETE"


def test_stream_view_type_change_makes_a_new_stream(aws: dict[str, Any]) -> None:
    # Re-enabling a stream needs the stream fix of the DynamoDB restore extension.
    from restore_sync_sandbox.extensions import dynamodb_restore

    dynamodb_restore.install()
    update(aws["cfn"], aws["template"], "stream-on", StreamSpecification={"StreamViewType": "KEYS_ONLY"})
    first = aws["ddb"].describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    update(aws["cfn"], aws["template"], "stream-view", StreamSpecification={"StreamViewType": "NEW_IMAGE"})
    table = aws["ddb"].describe_table(TableName=TABLE)["Table"]
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"
    assert table["LatestStreamArn"] != first


def test_pitr_with_a_recovery_period(aws: dict[str, Any]) -> None:
    update(
        aws["cfn"],
        aws["template"],
        "pitr",
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7},
    )
    backups = aws["ddb"].describe_continuous_backups(TableName=TABLE)["ContinuousBackupsDescription"]
    pitr = backups["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
    assert pitr["RecoveryPeriodInDays"] == 7


def test_deletion_protection(aws: dict[str, Any]) -> None:
    update(aws["cfn"], aws["template"], "protect", DeletionProtectionEnabled=True)
    assert aws["ddb"].describe_table(TableName=TABLE)["Table"]["DeletionProtectionEnabled"] is True


def test_tags_are_added_changed_and_removed(aws: dict[str, Any]) -> None:
    arn = aws["ddb"].describe_table(TableName=TABLE)["Table"]["TableArn"]
    described = update(
        aws["cfn"], aws["template"], "tags", Tags=[{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "prod"}]
    )
    [change] = described["Changes"]
    assert change["ResourceChange"]["Scope"] == ["Tags"]
    assert change["ResourceChange"]["Details"][0]["Target"]["Attribute"] == "Tags"
    tags = {t["Key"]: t["Value"] for t in aws["ddb"].list_tags_of_resource(ResourceArn=arn)["Tags"]}
    assert tags == {"team": "a", "env": "prod"}
    update(aws["cfn"], aws["template"], "tags2", Tags=[{"Key": "team", "Value": "b"}])
    tags = {t["Key"]: t["Value"] for t in aws["ddb"].list_tags_of_resource(ResourceArn=arn)["Tags"]}
    assert tags == {"team": "b"}


def test_billing_mode_and_throughput(aws: dict[str, Any]) -> None:
    update(
        aws["cfn"], aws["template"], "capacity", ProvisionedThroughput={"ReadCapacityUnits": 9, "WriteCapacityUnits": 3}
    )
    throughput = aws["ddb"].describe_table(TableName=TABLE)["Table"]["ProvisionedThroughput"]
    assert (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]) == (9, 3)
    update(aws["cfn"], aws["template"], "on-demand", BillingMode="PAY_PER_REQUEST", ProvisionedThroughput=None)
    table = aws["ddb"].describe_table(TableName=TABLE)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_a_failed_update_rolls_back_and_a_later_update_works(aws: dict[str, Any]) -> None:
    cfn, ddb = aws["cfn"], aws["ddb"]
    good = copy.deepcopy(aws["template"])
    update(
        cfn,
        aws["template"],
        "bad",
        TimeToLiveSpecification={"AttributeName": "expires", "Enabled": True},
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 99},
    )
    assert stack_status(cfn) == "UPDATE_ROLLBACK_COMPLETE"
    assert cfn.describe_change_set(StackName=STACK, ChangeSetName="bad")["ExecutionStatus"] == "EXECUTE_FAILED"
    assert ddb.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"
    assert json.loads(json.dumps(cfn.get_template(StackName=STACK)["TemplateBody"])) in (good, json.dumps(good))
    update(cfn, good, "after", DeletionProtectionEnabled=True)
    assert stack_status(cfn) == "UPDATE_COMPLETE"
    assert ddb.describe_table(TableName=TABLE)["Table"]["DeletionProtectionEnabled"] is True
    assert ddb.describe_table(TableName=TABLE)["Table"]["ItemCount"] == 6


def test_key_schema_change_of_a_named_table_fails_and_rolls_back(aws: dict[str, Any]) -> None:
    cfn = aws["cfn"]
    template = aws["template"]
    template["Resources"]["Table"]["Properties"]["KeySchema"] = [{"AttributeName": "sk", "KeyType": "HASH"}]
    template["Resources"]["Table"]["Properties"]["AttributeDefinitions"] = [
        {"AttributeName": "sk", "AttributeType": "S"}
    ]
    cfn.create_change_set(
        StackName=STACK, ChangeSetName="keys", ChangeSetType="UPDATE", TemplateBody=json.dumps(template)
    )
    cfn.execute_change_set(StackName=STACK, ChangeSetName="keys")
    stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert "custom-named resource requires replacing" in stack["StackStatusReason"]
    assert aws["ddb"].describe_table(TableName=TABLE)["Table"]["ItemCount"] == 6
