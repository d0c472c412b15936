"""DeleteTable leaves the table's auto scaling and alarms as AWS does, and takes what belongs to the table."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.cloudwatch.models import cloudwatch_backends
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends

from restore_sync_sandbox.examples import LAMBDA_TRUST, stream_reader
from restore_sync_sandbox.extensions import dynamodb_delete_table
from restore_sync_sandbox.server import Sandbox

ACCOUNT = "123456789012"
REGION = "us-east-1"
READ = "dynamodb:table:ReadCapacityUnits"
WRITE = "dynamodb:table:WriteCapacityUnits"
INDEX_READ = "dynamodb:index:ReadCapacityUnits"


def _name() -> str:
    return f"gone{uuid.uuid4().hex[:8]}"


def _provisioned(sandbox: Sandbox, name: str, stream: bool = False) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if stream:
        extra["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    created: dict[str, Any] = sandbox.client("dynamodb").create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "gk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-gk",
                "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
            }
        ],
        **extra,
    )["TableDescription"]
    return created


def _auto_scale(sandbox: Sandbox, name: str) -> None:
    """Targets on the table (read, write) and its index (read), target tracking on each, one scheduled action,
    and an alarm of one's own on the table."""
    aas = sandbox.client("application-autoscaling")
    for resource, dimension, metric in (
        (f"table/{name}", READ, "DynamoDBReadCapacityUtilization"),
        (f"table/{name}", WRITE, "DynamoDBWriteCapacityUtilization"),
        (f"table/{name}/index/by-gk", INDEX_READ, "DynamoDBReadCapacityUtilization"),
    ):
        aas.register_scalable_target(
            ServiceNamespace="dynamodb", ResourceId=resource, ScalableDimension=dimension, MinCapacity=5, MaxCapacity=50
        )
        aas.put_scaling_policy(
            PolicyName=f"{dimension}-tracking",
            ServiceNamespace="dynamodb",
            ResourceId=resource,
            ScalableDimension=dimension,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 70.0,
                "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
            },
        )
    aas.put_scheduled_action(
        ServiceNamespace="dynamodb",
        ScheduledActionName="nightly",
        ResourceId=f"table/{name}",
        ScalableDimension=READ,
        Schedule="cron(0 22 * * ? *)",
        ScalableTargetAction={"MinCapacity": 1, "MaxCapacity": 10},
    )
    sandbox.client("cloudwatch").put_metric_alarm(
        AlarmName=f"{name}-throttles",
        Namespace="AWS/DynamoDB",
        MetricName="ReadThrottleEvents",
        Dimensions=[{"Name": "TableName", "Value": name}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )


def _leftovers(sandbox: Sandbox, name: str) -> dict[str, Any]:
    """Everything of the table's in Application Auto Scaling and CloudWatch, as the APIs describe it."""
    aas = sandbox.client("application-autoscaling")
    mine = (f"table/{name}", f"table/{name}/index/by-gk")
    targets = aas.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"]
    policies = aas.describe_scaling_policies(ServiceNamespace="dynamodb")["ScalingPolicies"]
    actions = aas.describe_scheduled_actions(ServiceNamespace="dynamodb")["ScheduledActions"]
    alarms = sandbox.client("cloudwatch").describe_alarms()["MetricAlarms"]
    # moto names an index policy's alarms after the index (see the moto bugs in docs/sandbox.md): found by policy.
    made = {alarm["AlarmName"] for policy in policies if policy["ResourceId"] in mine for alarm in policy["Alarms"]}
    return {
        "targets": sorted((t for t in targets if t["ResourceId"] in mine), key=lambda t: t["ScalableTargetARN"]),
        "policies": sorted((p for p in policies if p["ResourceId"] in mine), key=lambda p: p["PolicyARN"]),
        "actions": [a for a in actions if a["ResourceId"] in mine],
        "alarms": sorted(
            (a for a in alarms if a["AlarmName"] in made or {"Name": "TableName", "Value": name} in a["Dimensions"]),
            key=lambda a: a["AlarmArn"],
        ),
    }


def test_the_patched_and_read_moto_attributes_are_still_there() -> None:
    dynamodb_delete_table.install()
    assert DynamoDBBackend.delete_table.__module__ == dynamodb_delete_table.__name__
    assert isinstance(dynamodb_backends[ACCOUNT][REGION].resource_policies, dict)
    autoscaling = applicationautoscaling_backends[ACCOUNT][REGION]
    assert isinstance(autoscaling.targets, dict)
    assert isinstance(autoscaling.policies, dict)
    assert isinstance(autoscaling.scheduled_actions, list)
    assert isinstance(cloudwatch_backends[ACCOUNT][REGION].alarms, dict)


def test_delete_table_leaves_targets_policies_scheduled_actions_and_alarms_as_they_were(sandbox: Sandbox) -> None:
    name = _name()
    _provisioned(sandbox, name)
    _auto_scale(sandbox, name)
    before = _leftovers(sandbox, name)
    assert [len(before[kind]) for kind in ("targets", "policies", "actions")] == [3, 3, 1]
    made = {alarm["AlarmName"] for policy in before["policies"] for alarm in policy["Alarms"]}
    assert all(policy["Alarms"] for policy in before["policies"])
    assert {alarm["AlarmName"] for alarm in before["alarms"]} == made | {f"{name}-throttles"}

    sandbox.client("dynamodb").delete_table(TableName=name)

    assert _leftovers(sandbox, name) == before


def test_a_table_created_again_meets_them_and_register_updates_the_same_target(sandbox: Sandbox) -> None:
    name = _name()
    _provisioned(sandbox, name)
    _auto_scale(sandbox, name)
    sandbox.client("dynamodb").delete_table(TableName=name)
    before = _leftovers(sandbox, name)

    _provisioned(sandbox, name)
    assert _leftovers(sandbox, name) == before
    aas = sandbox.client("application-autoscaling")
    aas.register_scalable_target(
        ServiceNamespace="dynamodb", ResourceId=f"table/{name}", ScalableDimension=READ, MinCapacity=2
    )

    after = _leftovers(sandbox, name)
    updated = next(t for t in after["targets"] if t["ScalableDimension"] == READ)
    previous = next(t for t in before["targets"] if t["ScalableDimension"] == READ)
    assert updated == {**previous, "MinCapacity": 2}  # same ARN and CreationTime; MaxCapacity not given, kept
    assert {key: after[key] for key in ("policies", "actions", "alarms")} == {
        key: before[key] for key in ("policies", "actions", "alarms")
    }


def test_while_the_table_is_gone_register_is_refused_and_deregister_cleans_up(sandbox: Sandbox) -> None:
    name = _name()
    _provisioned(sandbox, name)
    _auto_scale(sandbox, name)
    sandbox.client("dynamodb").delete_table(TableName=name)
    aas = sandbox.client("application-autoscaling")

    with pytest.raises(ClientError) as raised:
        aas.register_scalable_target(
            ServiceNamespace="dynamodb", ResourceId=f"table/{name}", ScalableDimension=READ, MinCapacity=2
        )
    assert raised.value.response["Error"]["Code"] == "ValidationException"

    for resource, dimension in (
        (f"table/{name}", READ),
        (f"table/{name}", WRITE),
        (f"table/{name}/index/by-gk", INDEX_READ),
    ):
        aas.deregister_scalable_target(ServiceNamespace="dynamodb", ResourceId=resource, ScalableDimension=dimension)
    sandbox.client("cloudwatch").delete_alarms(AlarmNames=[f"{name}-throttles"])
    assert _leftovers(sandbox, name) == {"targets": [], "policies": [], "actions": [], "alarms": []}


def _consumer(sandbox: Sandbox, table: str) -> str:
    name = f"consumer-{uuid.uuid4().hex[:8]}"
    iam = sandbox.client("iam")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="streams", PolicyDocument=json.dumps(stream_reader(table)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("consumer.py", "def handler(event, context):\n    return None\n")
    sandbox.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="consumer.handler",
        Code={"ZipFile": buffer.getvalue()},
    )
    return name


def test_mappings_on_the_old_stream_stay_listed_and_a_new_table_has_a_new_stream(sandbox: Sandbox) -> None:
    name = _name()
    old_stream = _provisioned(sandbox, name, stream=True)["LatestStreamArn"]
    function = _consumer(sandbox, name)
    lam = sandbox.client("lambda")
    uuid_ = lam.create_event_source_mapping(
        EventSourceArn=old_stream, FunctionName=function, StartingPosition="LATEST"
    )["UUID"]
    before = lam.get_event_source_mapping(UUID=uuid_)
    before.pop("ResponseMetadata")

    sandbox.client("dynamodb").delete_table(TableName=name)
    time.sleep(0.002)  # the stream label is the creation time
    new_stream = _provisioned(sandbox, name, stream=True)["LatestStreamArn"]

    after = lam.get_event_source_mapping(UUID=uuid_)
    after.pop("ResponseMetadata")
    assert after == before
    assert new_stream != old_stream
    assert [m["UUID"] for m in lam.list_event_source_mappings(EventSourceArn=new_stream)["EventSourceMappings"]] == []
    table = dynamodb_backends[ACCOUNT][REGION].tables[name]
    assert not getattr(table, "lambda_event_source_mappings", {})


def test_tags_insights_destinations_and_resource_policy_go_with_the_table(sandbox: Sandbox) -> None:
    name = _name()
    ddb = sandbox.client("dynamodb")
    kinesis = sandbox.client("kinesis")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    stream = kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]
    arn = _provisioned(sandbox, name)["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "orders"}])
    ddb.update_contributor_insights(TableName=name, ContributorInsightsAction="ENABLE")
    ddb.enable_kinesis_streaming_destination(TableName=name, StreamArn=stream)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "dynamodb:GetItem",
                "Resource": arn,
            }
        ],
    }
    ddb.put_resource_policy(ResourceArn=arn, Policy=json.dumps(policy))

    ddb.delete_table(TableName=name)
    with pytest.raises(ClientError) as gone:
        ddb.get_resource_policy(ResourceArn=arn)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert _provisioned(sandbox, name)["TableArn"] == arn

    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == []
    assert ddb.describe_contributor_insights(TableName=name)["ContributorInsightsStatus"] == "DISABLED"
    assert ddb.describe_kinesis_streaming_destination(TableName=name)["KinesisDataStreamDestinations"] == []
    with pytest.raises(ClientError) as raised:
        ddb.get_resource_policy(ResourceArn=arn)
    assert raised.value.response["Error"]["Code"] == "PolicyNotFoundException"
