"""AWS::DynamoDB::GlobalTable: created, updated, imported and deleted with each replica checked in its own region."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.cloudformation import parsing as cfn_parsing

from restore_sync_sandbox.extensions import (
    cloudformation_application_autoscaling,
    cloudformation_changesets,
    cloudformation_dynamodb_global_table,
    cloudformation_import,
    dynamodb_on_demand_throughput,
    dynamodb_replicas,
    dynamodb_table_class,
)

HOME, AWAY, THIRD = "us-east-1", "eu-west-1", "ap-southeast-2"
NAME = "orders"
STACK = "governance"


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    for module in (
        cloudformation_application_autoscaling,
        dynamodb_on_demand_throughput,
        dynamodb_table_class,
        dynamodb_replicas,
        cloudformation_dynamodb_global_table,
    ):
        module.install()
    with mock_aws():
        clients: dict[str, Any] = {
            region: boto3.client("dynamodb", region_name=region) for region in (HOME, AWAY, THIRD)
        }
        clients["cfn"] = boto3.client("cloudformation", region_name=HOME)
        yield clients


def global_table(replicas: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::DynamoDB::GlobalTable",
        "DeletionPolicy": extra.pop("DeletionPolicy", "Delete"),
        "Properties": {
            "TableName": NAME,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
            "Replicas": replicas,
            **extra,
        },
    }


def template(resource: dict[str, Any], outputs: bool = True) -> str:
    body: dict[str, Any] = {"Resources": {"Orders": resource}}
    if outputs:
        body["Outputs"] = {
            "Name": {"Value": {"Ref": "Orders"}},
            "Arn": {"Value": {"Fn::GetAtt": ["Orders", "Arn"]}},
            "StreamArn": {"Value": {"Fn::GetAtt": ["Orders", "StreamArn"]}},
            "TableId": {"Value": {"Fn::GetAtt": ["Orders", "TableId"]}},
        }
    return json.dumps(body)


def run_change_set(cfn: Any, body: str, kind: str = "UPDATE", **extra: Any) -> dict[str, Any]:
    name = f"cs-{len(cfn.list_stacks()['StackSummaries'])}-{kind.lower()}-{abs(hash(body)) % 10_000}"
    cfn.create_change_set(StackName=STACK, ChangeSetName=name, TemplateBody=body, ChangeSetType=kind, **extra)
    cfn.execute_change_set(StackName=STACK, ChangeSetName=name)
    stack: dict[str, Any] = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    return stack


def describe(ddb: Any) -> dict[str, Any]:
    table: dict[str, Any] = ddb.describe_table(TableName=NAME)["Table"]
    return table


def tags(ddb: Any) -> dict[str, str]:
    arn = describe(ddb)["TableArn"]
    return {tag["Key"]: tag["Value"] for tag in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}


def test_installed_once() -> None:
    cloudformation_dynamodb_global_table.install()
    cloudformation_dynamodb_global_table.install()
    model = cfn_parsing.get_model_map()["AWS::DynamoDB::GlobalTable"]
    assert model is cloudformation_dynamodb_global_table.GlobalTable
    assert "AWS::DynamoDB::GlobalTable" in cloudformation_import.IMPORTERS
    rules = cloudformation_changesets.UPDATE_RULES["AWS::DynamoDB::GlobalTable"]
    assert rules["KeySchema"] == cloudformation_changesets.ALWAYS


def test_create_update_and_delete_with_each_replica_in_its_region(aws: dict[str, Any]) -> None:
    cfn, home, away, third = aws["cfn"], aws[HOME], aws[AWAY], aws[THIRD]
    replicas = [
        {"Region": HOME, "Tags": [{"Key": "site", "Value": "home"}]},
        {
            "Region": AWAY,
            "Tags": [{"Key": "site", "Value": "away"}],
            "DeletionProtectionEnabled": True,
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "TableClass": "STANDARD_INFREQUENT_ACCESS",
            "ReadOnDemandThroughputSettings": {"MaxReadRequestUnits": 30},
        },
    ]
    ttl = {"Enabled": True, "AttributeName": "expires"}
    resource = global_table(replicas, TimeToLiveSpecification=ttl)
    cfn.create_stack(StackName=STACK, TemplateBody=template(resource))
    outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName=STACK)["Stacks"][0]["Outputs"]}
    assert outputs["Name"] == NAME
    assert outputs["Arn"] == describe(home)["TableArn"]
    assert outputs["StreamArn"] == describe(home)["LatestStreamArn"]
    assert outputs["TableId"]

    assert [r["RegionName"] for r in describe(away)["Replicas"]] == [HOME, AWAY]
    assert tags(home) == {"site": "home"}
    assert tags(away) == {"site": "away"}
    assert describe(away)["DeletionProtectionEnabled"] is True
    assert describe(home)["DeletionProtectionEnabled"] is False
    assert describe(away)["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert describe(away)["OnDemandThroughput"]["MaxReadRequestUnits"] == 30
    away_pitr = away.describe_continuous_backups(TableName=NAME)["ContinuousBackupsDescription"]
    assert away_pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    assert away.describe_time_to_live(TableName=NAME)["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"

    # Update in place: a third replica, a regional change, the TTL attribute for all.
    replicas[1]["Tags"] = [{"Key": "site", "Value": "far"}]
    replicas.append({"Region": THIRD})
    home.put_item(TableName=NAME, Item={"pk": {"S": "a"}})
    resource = global_table(replicas, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})
    assert run_change_set(cfn, template(resource))["StackStatus"] == "UPDATE_COMPLETE"
    assert third.get_item(TableName=NAME, Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}
    assert tags(away) == {"site": "far"}
    assert tags(third) == {}
    assert third.describe_time_to_live(TableName=NAME)["TimeToLiveDescription"]["AttributeName"] == "ttl"

    # Two replicas at once is refused, and the stack rolls back.
    two_changes = copy.deepcopy(replicas[:1])
    stack = run_change_set(cfn, template(global_table(two_changes, TimeToLiveSpecification=ttl)))
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert "single replica" in stack["StackStatusReason"]

    # Removing one replica deletes its table in its region.
    resource = global_table(replicas[:2], TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})
    assert run_change_set(cfn, template(resource))["StackStatus"] == "UPDATE_COMPLETE"
    assert NAME not in third.list_tables()["TableNames"]

    # Deleting the stack deletes every replica (deletion protection off first, as AWS requires).
    replicas[1]["DeletionProtectionEnabled"] = False
    resource = global_table(replicas[:2], TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})
    assert run_change_set(cfn, template(resource))["StackStatus"] == "UPDATE_COMPLETE"
    cfn.delete_stack(StackName=STACK)
    assert NAME not in home.list_tables()["TableNames"]
    assert NAME not in away.list_tables()["TableNames"]


def test_a_table_is_converted_by_retaining_it_and_importing_it(aws: dict[str, Any]) -> None:
    cfn, home, away = aws["cfn"], aws[HOME], aws[AWAY]
    table = {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "Properties": {
            "TableName": NAME,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    }
    cfn.create_stack(StackName=STACK, TemplateBody=template(table, outputs=False))
    home.put_item(TableName=NAME, Item={"pk": {"S": "kept"}})
    empty = json.dumps({"Resources": {"Other": {"Type": "AWS::SQS::Queue"}}})
    assert run_change_set(cfn, empty)["StackStatus"] == "UPDATE_COMPLETE"
    assert NAME in home.list_tables()["TableNames"]

    resource = global_table([{"Region": HOME}], DeletionPolicy="Retain")
    imported = json.dumps({"Resources": {"Other": {"Type": "AWS::SQS::Queue"}, "Orders": resource}})
    stack = run_change_set(
        cfn,
        imported,
        kind="IMPORT",
        ResourcesToImport=[
            {
                "ResourceType": "AWS::DynamoDB::GlobalTable",
                "LogicalResourceId": "Orders",
                "ResourceIdentifier": {"TableName": NAME},
            }
        ],
    )
    assert stack["StackStatus"] == "IMPORT_COMPLETE"
    resource = global_table([{"Region": HOME}, {"Region": AWAY}], DeletionPolicy="Retain")
    updated = json.dumps({"Resources": {"Other": {"Type": "AWS::SQS::Queue"}, "Orders": resource}})
    assert run_change_set(cfn, updated)["StackStatus"] == "UPDATE_COMPLETE"
    assert away.get_item(TableName=NAME, Key={"pk": {"S": "kept"}})["Item"] == {"pk": {"S": "kept"}}
    assert [r["RegionName"] for r in describe(home)["Replicas"]] == [HOME, AWAY]

    # DeletionPolicy Retain keeps the global table, every replica included.
    cfn.delete_stack(StackName=STACK)
    assert [r["RegionName"] for r in describe(away)["Replicas"]] == [HOME, AWAY]


def test_provisioned_needs_write_auto_scaling_and_gets_it_in_every_region(aws: dict[str, Any]) -> None:
    cfn = aws["cfn"]
    scaling = {"MinCapacity": 5, "MaxCapacity": 50, "TargetTrackingScalingPolicyConfiguration": {"TargetValue": 70}}
    replicas = [
        {"Region": HOME, "ReadProvisionedThroughputSettings": {"ReadCapacityUnits": 4}},
        {"Region": AWAY, "ReadProvisionedThroughputSettings": {"ReadCapacityUnits": 8}},
    ]
    missing_read = global_table([{"Region": HOME}, {"Region": AWAY}], BillingMode="PROVISIONED")
    missing_read["Properties"]["WriteProvisionedThroughputSettings"] = {"WriteCapacityAutoScalingSettings": scaling}
    stack = run_change_set(cfn, template(missing_read, outputs=False), kind="CREATE")
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "ReadCapacityUnits or ReadCapacityAutoScalingSettings" in stack["StackStatusReason"]
    cfn.delete_stack(StackName=STACK)

    resource = global_table(replicas, BillingMode="PROVISIONED")
    resource["Properties"]["WriteProvisionedThroughputSettings"] = {"WriteCapacityAutoScalingSettings": scaling}
    cfn.create_stack(StackName=STACK, TemplateBody=template(resource, outputs=False))
    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    for region, read in ((HOME, 4), (AWAY, 8)):
        assert describe(aws[region])["ProvisionedThroughput"]["ReadCapacityUnits"] == read
        assert describe(aws[region])["ProvisionedThroughput"]["WriteCapacityUnits"] == 5
        targets = boto3.client("application-autoscaling", region_name=region).describe_scalable_targets(
            ServiceNamespace="dynamodb", ResourceIds=[f"table/{NAME}"]
        )["ScalableTargets"]
        assert [(t["ScalableDimension"], t["MinCapacity"]) for t in targets] == [
            ("dynamodb:table:WriteCapacityUnits", 5)
        ]

    # A new write maximum reaches every replica's scalable target.
    resource["Properties"]["WriteProvisionedThroughputSettings"]["WriteCapacityAutoScalingSettings"]["MaxCapacity"] = 80
    assert run_change_set(cfn, template(resource, outputs=False))["StackStatus"] == "UPDATE_COMPLETE"
    for region in (HOME, AWAY):
        targets = boto3.client("application-autoscaling", region_name=region).describe_scalable_targets(
            ServiceNamespace="dynamodb", ResourceIds=[f"table/{NAME}"]
        )["ScalableTargets"]
        assert [t["MaxCapacity"] for t in targets] == [80]
