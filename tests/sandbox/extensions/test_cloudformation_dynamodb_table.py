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

from restore_sync_sandbox.extensions import (
    cloudformation_changesets,
    cloudformation_dynamodb_table,
    cloudformation_import,
    dynamodb_contributor_insights,
    dynamodb_kinesis_destinations,
    dynamodb_on_demand_throughput,
    dynamodb_table_class,
    dynamodb_warm_throughput,
)

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
    dynamodb_table_class.install()
    dynamodb_kinesis_destinations.install()
    dynamodb_contributor_insights.install()
    dynamodb_on_demand_throughput.install()
    dynamodb_warm_throughput.install()
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


# Kinesis destinations, contributor insights, table class and resource policy, read back through DynamoDB.

GSI: dict[str, Any] = {
    "IndexName": "by-customer",
    "KeySchema": [{"AttributeName": "customer", "KeyType": "HASH"}],
    "Projection": {"ProjectionType": "ALL"},
    "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
}
ATTRIBUTES = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "customer", "AttributeType": "S"}]
POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "dynamodb:GetItem",
            "Resource": "*",
        }
    ],
}


def kinesis_stream(name: str) -> str:
    kinesis = boto3.client("kinesis", region_name=REGION)
    kinesis.create_stream(StreamName=name, ShardCount=1)
    arn: str = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    return arn


def destinations(ddb: Any) -> list[tuple[str, str, str | None]]:
    entries = ddb.describe_kinesis_streaming_destination(TableName=TABLE)["KinesisDataStreamDestinations"]
    return [(e["StreamArn"], e["DestinationStatus"], e.get("ApproximateCreationDateTimePrecision")) for e in entries]


def insights(ddb: Any, index: str | None = None) -> tuple[str, str | None]:
    kwargs = {"TableName": TABLE, **({"IndexName": index} if index else {})}
    described = ddb.describe_contributor_insights(**kwargs)
    return described["ContributorInsightsStatus"], described.get("ContributorInsightsMode")


def stack_reason(cfn: Any) -> str:
    reason: str = cfn.describe_stacks(StackName=STACK)["Stacks"][0].get("StackStatusReason", "")
    return reason


def test_kinesis_destination_added_changed_and_removed(aws: dict[str, Any]) -> None:
    cfn, ddb = aws["cfn"], aws["ddb"]
    first, second = kinesis_stream("first"), kinesis_stream("second")
    update(cfn, aws["template"], "kinesis-on", KinesisStreamSpecification={"StreamArn": first})
    assert stack_status(cfn) == "UPDATE_COMPLETE"
    assert destinations(ddb) == [(first, "ACTIVE", None)]
    update(
        cfn,
        aws["template"],
        "kinesis-precision",
        KinesisStreamSpecification={"StreamArn": first, "ApproximateCreationDateTimePrecision": "MICROSECOND"},
    )
    assert destinations(ddb) == [(first, "ACTIVE", "MICROSECOND")]
    update(cfn, aws["template"], "kinesis-move", KinesisStreamSpecification={"StreamArn": second})
    assert destinations(ddb) == [(second, "ACTIVE", None), (first, "DISABLED", "MICROSECOND")]
    update(cfn, aws["template"], "kinesis-off", KinesisStreamSpecification=None)
    assert stack_status(cfn) == "UPDATE_COMPLETE"
    assert [status for _, status, _ in destinations(ddb)] == ["DISABLED", "DISABLED"]
    assert ddb.describe_table(TableName=TABLE)["Table"]["ItemCount"] == 6


def test_a_kinesis_stream_that_does_not_exist_rolls_the_update_back(aws: dict[str, Any]) -> None:
    cfn, ddb = aws["cfn"], aws["ddb"]
    missing = f"arn:aws:kinesis:{REGION}:123456789012:stream/never-created"
    good = copy.deepcopy(aws["template"])
    update(
        cfn,
        aws["template"],
        "kinesis-missing",
        KinesisStreamSpecification={"StreamArn": missing},
        TimeToLiveSpecification={"AttributeName": "expires", "Enabled": True},
    )
    assert stack_status(cfn) == "UPDATE_ROLLBACK_COMPLETE"
    reason = stack_reason(cfn)
    assert missing in reason
    assert "ENABLE_FAILED" in reason
    assert "User does not have a permission to use kinesis stream" in reason
    assert cfn.describe_change_set(StackName=STACK, ChangeSetName="kinesis-missing")["ExecutionStatus"] == (
        "EXECUTE_FAILED"
    )
    # As in AWS, the failed attempt stays listed; nothing is live, and TTL was rolled back.
    assert destinations(ddb) == [(missing, "ENABLE_FAILED", None)]
    assert ddb.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"
    arn = kinesis_stream("changes")
    update(cfn, good, "kinesis-good", KinesisStreamSpecification={"StreamArn": arn})
    assert stack_status(cfn) == "UPDATE_COMPLETE"
    assert (arn, "ACTIVE", None) in destinations(ddb)


def test_contributor_insights_of_the_table_and_of_each_index(aws: dict[str, Any]) -> None:
    cfn, ddb, template = aws["cfn"], aws["ddb"], aws["template"]
    index = {**GSI, "ContributorInsightsSpecification": {"Enabled": True}}
    update(
        cfn,
        template,
        "insights-on",
        AttributeDefinitions=ATTRIBUTES,
        GlobalSecondaryIndexes=[index],
        ContributorInsightsSpecification={"Enabled": True, "Mode": "THROTTLED_KEYS"},
    )
    assert stack_status(cfn) == "UPDATE_COMPLETE"
    assert insights(ddb) == ("ENABLED", "THROTTLED_KEYS")
    # Enabled without a Mode: DynamoDB states none (AWS documents no default).
    assert insights(ddb, "by-customer") == ("ENABLED", None)
    described = update(
        cfn,
        template,
        "index-mode",
        GlobalSecondaryIndexes=[
            {**GSI, "ContributorInsightsSpecification": {"Enabled": True, "Mode": "THROTTLED_KEYS"}}
        ],
        ContributorInsightsSpecification={"Enabled": True, "Mode": "ACCESSED_AND_THROTTLED_KEYS"},
    )
    assert stack_status(cfn) == "UPDATE_COMPLETE"
    # A mode changes in place ("Update requires: No interruption").
    assert [c["ResourceChange"]["Replacement"] for c in described["Changes"]] == ["False"]
    assert insights(ddb, "by-customer") == ("ENABLED", "THROTTLED_KEYS")
    assert insights(ddb) == ("ENABLED", "ACCESSED_AND_THROTTLED_KEYS")
    update(
        cfn,
        template,
        "index-insights-off",
        GlobalSecondaryIndexes=[{**GSI, "ContributorInsightsSpecification": {"Enabled": False}}],
    )
    assert insights(ddb, "by-customer")[0] == "DISABLED"
    assert insights(ddb)[0] == "ENABLED"
    update(cfn, template, "table-insights-off", ContributorInsightsSpecification=None)
    assert insights(ddb)[0] == "DISABLED"
    assert ddb.list_contributor_insights(TableName=TABLE)["ContributorInsightsSummaries"] == []


def test_table_class_changed_and_reset(aws: dict[str, Any]) -> None:
    cfn, ddb = aws["cfn"], aws["ddb"]
    update(cfn, aws["template"], "class-ia", TableClass="STANDARD_INFREQUENT_ACCESS")
    assert stack_status(cfn) == "UPDATE_COMPLETE"
    summary = ddb.describe_table(TableName=TABLE)["Table"]["TableClassSummary"]
    assert summary["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert "LastUpdateDateTime" in summary
    update(cfn, aws["template"], "class-default", TableClass=None)
    assert ddb.describe_table(TableName=TABLE)["Table"]["TableClassSummary"]["TableClass"] == "STANDARD"


def test_an_unknown_table_class_rolls_back(aws: dict[str, Any]) -> None:
    update(aws["cfn"], aws["template"], "class-bad", TableClass="GLACIER")
    assert stack_status(aws["cfn"]) == "UPDATE_ROLLBACK_COMPLETE"
    assert "GLACIER" in stack_reason(aws["cfn"])
    assert "TableClassSummary" not in aws["ddb"].describe_table(TableName=TABLE)["Table"]


def on_demand_maxima(ddb: Any) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    table = ddb.describe_table(TableName=TABLE)["Table"]
    return table["OnDemandThroughput"], {
        i["IndexName"]: i["OnDemandThroughput"] for i in table["GlobalSecondaryIndexes"]
    }


def test_on_demand_throughput_of_the_table_and_of_each_index(aws: dict[str, Any]) -> None:
    cfn, ddb, template = aws["cfn"], aws["ddb"], aws["template"]
    on_demand = {k: v for k, v in GSI.items() if k != "ProvisionedThroughput"}
    update(
        cfn,
        template,
        "on-demand",
        BillingMode="PAY_PER_REQUEST",
        ProvisionedThroughput=None,
        AttributeDefinitions=ATTRIBUTES,
        GlobalSecondaryIndexes=[on_demand],
    )
    none = {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": -1}
    assert on_demand_maxima(ddb) == (none, {"by-customer": none})
    described = update(
        cfn,
        template,
        "bounded",
        OnDemandThroughput={"MaxReadRequestUnits": 300, "MaxWriteRequestUnits": 100},
        GlobalSecondaryIndexes=[{**on_demand, "OnDemandThroughput": {"MaxReadRequestUnits": 20}}],
    )
    assert stack_status(cfn) == "UPDATE_COMPLETE"
    assert [c["ResourceChange"]["Replacement"] for c in described["Changes"]] == ["False"]
    assert on_demand_maxima(ddb) == (
        {"MaxReadRequestUnits": 300, "MaxWriteRequestUnits": 100},
        {"by-customer": {"MaxReadRequestUnits": 20, "MaxWriteRequestUnits": -1}},
    )
    # A member the template leaves out has no maximum; a property removed, none at all.
    update(cfn, template, "write-only", OnDemandThroughput={"MaxWriteRequestUnits": 60})
    assert on_demand_maxima(ddb)[0] == {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": 60}
    update(cfn, template, "unbounded", OnDemandThroughput=None, GlobalSecondaryIndexes=[on_demand])
    assert stack_status(cfn) == "UPDATE_COMPLETE"
    assert on_demand_maxima(ddb) == (none, {"by-customer": none})
    assert ddb.scan(TableName=TABLE)["Count"] == 6


def test_a_created_on_demand_table_gets_its_maximum() -> None:
    cloudformation_changesets.install()
    cloudformation_dynamodb_table.install()
    dynamodb_on_demand_throughput.install()
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        cfn = boto3.client("cloudformation", region_name=REGION)
        template = copy.deepcopy(BASE)
        properties = template["Resources"]["Table"]["Properties"]
        del properties["ProvisionedThroughput"]
        index = {k: v for k, v in GSI.items() if k != "ProvisionedThroughput"}
        properties.update(
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=ATTRIBUTES,
            GlobalSecondaryIndexes=[{**index, "OnDemandThroughput": {"MaxWriteRequestUnits": 5}}],
            OnDemandThroughput={"MaxReadRequestUnits": 70},
        )
        cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(template))
        assert stack_status(cfn) == "CREATE_COMPLETE"
        assert on_demand_maxima(ddb) == (
            {"MaxReadRequestUnits": 70, "MaxWriteRequestUnits": -1},
            {"by-customer": {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": 5}},
        )


def warm_throughput(ddb: Any) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    table = ddb.describe_table(TableName=TABLE)["Table"]

    def units(described: dict[str, Any]) -> dict[str, int]:
        return {k: v for k, v in described.items() if k != "Status"}

    return units(table["WarmThroughput"]), {
        i["IndexName"]: units(i["WarmThroughput"]) for i in table["GlobalSecondaryIndexes"]
    }


def test_warm_throughput_of_the_table_and_of_each_index_is_raised_in_place_and_never_lowered(
    aws: dict[str, Any],
) -> None:
    cfn, ddb, template = aws["cfn"], aws["ddb"], aws["template"]
    update(cfn, template, "index", AttributeDefinitions=ATTRIBUTES, GlobalSecondaryIndexes=[GSI])
    assert warm_throughput(ddb) == (
        {"ReadUnitsPerSecond": 5, "WriteUnitsPerSecond": 5},
        {"by-customer": {"ReadUnitsPerSecond": 5, "WriteUnitsPerSecond": 5}},
    )
    described = update(
        cfn,
        template,
        "warm",
        WarmThroughput={"ReadUnitsPerSecond": 900, "WriteUnitsPerSecond": 300},
        GlobalSecondaryIndexes=[{**GSI, "WarmThroughput": {"WriteUnitsPerSecond": 80}}],
    )
    assert stack_status(cfn) == "UPDATE_COMPLETE"
    assert [c["ResourceChange"]["Replacement"] for c in described["Changes"]] == ["False"]
    warmed = (
        {"ReadUnitsPerSecond": 900, "WriteUnitsPerSecond": 300},
        {"by-customer": {"ReadUnitsPerSecond": 5, "WriteUnitsPerSecond": 80}},
    )
    assert warm_throughput(ddb) == warmed
    # Lower: DynamoDB refuses, the update rolls back with its message.
    update(cfn, copy.deepcopy(template), "lower", WarmThroughput={"ReadUnitsPerSecond": 800})
    assert stack_status(cfn) == "UPDATE_ROLLBACK_COMPLETE"
    assert "decreasing WarmThroughput is not supported" in stack_reason(cfn)
    assert warm_throughput(ddb) == warmed
    # Dropped from the template: it cannot be lowered, so it stays.
    update(cfn, template, "dropped", WarmThroughput=None, GlobalSecondaryIndexes=[GSI])
    assert stack_status(cfn) == "UPDATE_COMPLETE"
    assert warm_throughput(ddb) == warmed
    assert ddb.scan(TableName=TABLE)["Count"] == 6


def test_resource_policy_as_an_object_then_removed(aws: dict[str, Any]) -> None:
    cfn, ddb = aws["cfn"], aws["ddb"]
    arn = ddb.describe_table(TableName=TABLE)["Table"]["TableArn"]
    update(cfn, aws["template"], "policy-on", ResourcePolicy={"PolicyDocument": POLICY})
    assert stack_status(cfn) == "UPDATE_COMPLETE"
    assert json.loads(ddb.get_resource_policy(ResourceArn=arn)["Policy"]) == POLICY
    update(cfn, aws["template"], "policy-off", ResourcePolicy=None)
    with pytest.raises(ddb.exceptions.PolicyNotFoundException):
        ddb.get_resource_policy(ResourceArn=arn)


@pytest.mark.parametrize(
    "document",
    [
        "{not json",
        {"Version": "2012-10-17"},
        {"Statement": [{"Effect": "Maybe", "Action": "dynamodb:GetItem", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Resource": "*"}]},
    ],
)
def test_a_malformed_resource_policy_rolls_back(aws: dict[str, Any], document: Any) -> None:
    cfn, ddb = aws["cfn"], aws["ddb"]
    arn = ddb.describe_table(TableName=TABLE)["Table"]["TableArn"]
    good = copy.deepcopy(aws["template"])
    update(cfn, good, "policy-good", ResourcePolicy={"PolicyDocument": POLICY})
    update(cfn, aws["template"], "policy-bad", ResourcePolicy={"PolicyDocument": document})
    assert stack_status(cfn) == "UPDATE_ROLLBACK_COMPLETE"
    assert "Invalid policy document" in stack_reason(cfn)
    assert json.loads(ddb.get_resource_policy(ResourceArn=arn)["Policy"]) == POLICY


def test_a_created_stack_applies_every_setting() -> None:
    cloudformation_changesets.install()
    cloudformation_dynamodb_table.install()
    dynamodb_table_class.install()
    dynamodb_kinesis_destinations.install()
    dynamodb_contributor_insights.install()
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        cfn = boto3.client("cloudformation", region_name=REGION)
        arn = kinesis_stream("changes")
        template = copy.deepcopy(BASE)
        template["Resources"]["Table"]["Properties"].update(
            AttributeDefinitions=ATTRIBUTES,
            GlobalSecondaryIndexes=[{**GSI, "ContributorInsightsSpecification": {"Enabled": True}}],
            KinesisStreamSpecification={"StreamArn": arn, "ApproximateCreationDateTimePrecision": "MICROSECOND"},
            ContributorInsightsSpecification={"Enabled": True},
            TableClass="STANDARD_INFREQUENT_ACCESS",
            ResourcePolicy={"PolicyDocument": POLICY},
        )
        cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(template))
        assert stack_status(cfn) == "CREATE_COMPLETE"
        table = ddb.describe_table(TableName=TABLE)["Table"]
        assert table["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
        assert destinations(ddb) == [(arn, "ACTIVE", "MICROSECOND")]
        assert insights(ddb)[0] == "ENABLED"
        assert insights(ddb, "by-customer")[0] == "ENABLED"
        assert json.loads(ddb.get_resource_policy(ResourceArn=table["TableArn"])["Policy"]) == POLICY


def test_an_imported_table_gets_its_settings_from_change_sets() -> None:
    cloudformation_changesets.install()
    cloudformation_dynamodb_table.install()
    cloudformation_import.install()
    dynamodb_table_class.install()
    dynamodb_kinesis_destinations.install()
    dynamodb_contributor_insights.install()
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        cfn = boto3.client("cloudformation", region_name=REGION)
        properties = copy.deepcopy(BASE["Resources"]["Table"]["Properties"])
        ddb.create_table(**{key: properties[key] for key in properties if key != "BillingMode"})
        cfn.create_change_set(
            StackName=STACK,
            ChangeSetName="import",
            ChangeSetType="IMPORT",
            TemplateBody=json.dumps(BASE),
            ResourcesToImport=[
                {
                    "ResourceType": "AWS::DynamoDB::Table",
                    "LogicalResourceId": "Table",
                    "ResourceIdentifier": {"TableName": TABLE},
                }
            ],
        )
        cfn.execute_change_set(StackName=STACK, ChangeSetName="import")
        assert stack_status(cfn) == "IMPORT_COMPLETE"
        arn = kinesis_stream("changes")
        template = copy.deepcopy(BASE)
        update(cfn, template, "kinesis", KinesisStreamSpecification={"StreamArn": arn})
        update(cfn, template, "insights", ContributorInsightsSpecification={"Enabled": True})
        update(cfn, template, "class", TableClass="STANDARD_INFREQUENT_ACCESS")
        assert stack_status(cfn) == "UPDATE_COMPLETE"
        assert destinations(ddb) == [(arn, "ACTIVE", None)]
        assert insights(ddb)[0] == "ENABLED"
        assert ddb.describe_table(TableName=TABLE)["Table"]["TableClassSummary"]["TableClass"] == (
            "STANDARD_INFREQUENT_ACCESS"
        )
