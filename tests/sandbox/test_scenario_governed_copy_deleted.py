"""A governed copy deleted: a side-by-side restore made whole is inspected and thrown away (DeleteTable), and its
governance stack goes with the triggers, auto scaling and alarms it created; the source keeps its own. A deleted
table restore-sync never governed starts nothing that touches anything: its execution ends ignored."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from restore_sync.aws import TableRef
from restore_sync.names import stack_name
from restore_sync_sandbox import examples
from restore_sync_sandbox.extensions import dynamodb_restore
from restore_sync_sandbox.server import Sandbox
from restore_sync_tools import workflow
from restore_sync_tools.cli import main
from tests.sandbox import app

SOURCE = "ledger"
COPY = "ledger-inspected"
READS = "dynamodb:table:ReadCapacityUnits"
ITEMS = 5


@pytest.fixture(scope="module")
def deployed(sandbox: Sandbox) -> dict[str, str]:
    return app.deploy(sandbox)


def held(sandbox: Sandbox, table: str) -> dict[str, set[str]]:
    """What exists in the account for `table`: its triggers (by UUID), scalable targets and scaling policies (by
    resource id and dimension or name) and the alarms on its metrics, target tracking's too (by name)."""
    aas, lam = sandbox.client("application-autoscaling"), sandbox.client("lambda")

    def mine(resource_id: str) -> bool:
        return resource_id == f"table/{table}" or resource_id.startswith(f"table/{table}/")

    targets = aas.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"]
    policies = aas.describe_scaling_policies(ServiceNamespace="dynamodb")["ScalingPolicies"]
    alarms = sandbox.client("cloudwatch").describe_alarms()["MetricAlarms"]
    mappings = lam.list_event_source_mappings()["EventSourceMappings"]
    return {
        "triggers": {m["UUID"] for m in mappings if f":table/{table}/stream/" in m["EventSourceArn"]},
        "targets": {f"{t['ResourceId']} {t['ScalableDimension']}" for t in targets if mine(t["ResourceId"])},
        "policies": {f"{p['ResourceId']} {p['PolicyName']}" for p in policies if mine(p["ResourceId"])},
        "alarms": {a["AlarmName"] for a in alarms if {"Name": "TableName", "Value": table} in a.get("Dimensions", [])},
    }


def make_watched_source(sandbox: Sandbox, name: str) -> None:
    """A provisioned table with what DeleteTable leaves behind and a stack must take away: a stream trigger, auto
    scaling of its reads (a target tracking policy, with its alarms) and an alarm of its own; PITR to restore it."""
    ddb, iam, lam = sandbox.client("dynamodb"), sandbox.client("iam"), sandbox.client("lambda")
    ddb.create_table(
        TableName=name,
        KeySchema=list(examples.KEY_SCHEMA),
        AttributeDefinitions=list(examples.KEY_ATTRIBUTES),
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    role = iam.create_role(RoleName=f"{name}-consumer", AssumeRolePolicyDocument=json.dumps(examples.LAMBDA_TRUST))
    iam.put_role_policy(
        RoleName=f"{name}-consumer", PolicyName="read", PolicyDocument=json.dumps(examples.stream_reader(name))
    )
    function = lam.create_function(
        FunctionName=f"{name}-audit",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="consumer.handler",
        Code={"ZipFile": examples.consumer_zip()},
    )["FunctionArn"]
    stream = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=function, StartingPosition="LATEST")
    aas = sandbox.client("application-autoscaling")
    reads = {"ServiceNamespace": "dynamodb", "ResourceId": f"table/{name}", "ScalableDimension": READS}
    aas.register_scalable_target(**reads, MinCapacity=5, MaxCapacity=50)
    aas.put_scaling_policy(
        **reads,
        PolicyName="reads-70",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 70.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "DynamoDBReadCapacityUtilization"},
        },
    )
    sandbox.client("cloudwatch").put_metric_alarm(
        AlarmName=f"{name}-read-throttles",
        Namespace="AWS/DynamoDB",
        MetricName="ReadThrottleEvents",
        Dimensions=[{"Name": "TableName", "Value": name}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    examples.put_items(ddb, name, ITEMS)
    examples.settled()


def status(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["status", *argv], out=out, err=err)
    return code, out.getvalue() + err.getvalue()


@pytest.fixture(scope="module")
def made_whole(sandbox: Sandbox, deployed: dict[str, str]) -> dict[str, Any]:
    """The side-by-side copy of a source with a trigger, auto scaling and an alarm, made whole."""
    make_watched_source(sandbox, SOURCE)
    dynamodb_restore.set_ready_after(COPY, sandbox.region, 120)
    sandbox.client("dynamodb").restore_table_to_point_in_time(
        SourceTableName=SOURCE, TargetTableName=COPY, UseLatestRestorableTime=True
    )
    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], COPY)
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    report = json.loads(execution["output"])
    stack = sandbox.client("cloudformation").describe_stacks(StackName=report["stack"])["Stacks"][0]
    return {"stack": report["stack"], "stackId": stack["StackId"]}


def test_deleting_a_governed_copy_removes_its_stack_and_what_it_created_not_the_sources(
    sandbox: Sandbox, deployed: dict[str, str], made_whole: dict[str, Any]
) -> None:
    copy_before, source_before = held(sandbox, COPY), held(sandbox, SOURCE)
    assert all(copy_before.values()), f"the copy should have triggers, auto scaling and alarms: {copy_before}"
    ddb = sandbox.client("dynamodb")
    ddb.update_table(TableName=COPY, DeletionProtectionEnabled=False)

    ddb.delete_table(TableName=COPY)

    removal, restore = app.finished_executions(sandbox, deployed["StateMachineArn"], COPY, count=2)
    assert removal["status"] == "SUCCEEDED", removal.get("cause")
    report = json.loads(removal["output"])
    assert (report["outcome"], report["target"], report["stack"]) == ("removed", app.arn(COPY), made_whole["stack"])
    assert report["reason"].startswith(
        f"stack {made_whole['stack']} was deleted with what it created for the table (1 "
        "AWS::ApplicationAutoScaling::ScalableTarget, 1 AWS::ApplicationAutoScaling::ScalingPolicy, "
        "1 AWS::CloudWatch::Alarm, 1 AWS::Lambda::EventSourceMapping)"
    ), report["reason"]
    events = app.history(sandbox, removal["executionArn"])
    assert app.entered(events, workflow.REMOVE_STACK) == 1
    assert app.entered(events, workflow.STACK_REMOVED) == 1
    assert app.entered(events, workflow.START_WAITING) == 0, "a deletion must never wait for a table"

    cfn = sandbox.client("cloudformation")
    assert cfn.describe_stacks(StackName=made_whole["stackId"])["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert made_whole["stack"] not in app.governance_stacks(sandbox)
    assert held(sandbox, COPY) == {"triggers": set(), "targets": set(), "policies": set(), "alarms": set()}
    for uuid in copy_before["triggers"]:
        with pytest.raises(ClientError, match="ResourceNotFoundException"):
            sandbox.client("lambda").get_event_source_mapping(UUID=uuid)
    assert held(sandbox, SOURCE) == source_before
    assert app.item_count(sandbox, SOURCE) == ITEMS

    code, shown = status("--target", COPY)
    assert code == 0, shown
    assert "outcome: removed" in shown
    assert f"governance stack: {made_whole['stack']}" in shown
    assert restore["executionArn"] != removal["executionArn"]


def test_a_deleted_table_restore_sync_never_governed_ends_ignored_touching_nothing(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    ddb = sandbox.client("dynamodb")
    examples.make_plain(ddb, "scratch-pad", items=1)
    stacks_before = app.governance_stacks(sandbox)

    ddb.delete_table(TableName="scratch-pad")

    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "scratch-pad")
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    report = json.loads(execution["output"])
    assert report["outcome"] == "ignored"
    assert stack_name("restore-sync", "scratch-pad") in report["reason"]
    assert report["target"] == TableRef("scratch-pad", sandbox.region, app.ACCOUNT).arn
    events = app.history(sandbox, execution["executionArn"])
    assert app.entered(events, workflow.REMOVE_STACK) == 0
    assert app.entered(events, workflow.NOTHING_TO_SYNC) == 1
    assert app.governance_stacks(sandbox) == stacks_before
