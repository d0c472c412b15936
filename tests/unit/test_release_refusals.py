"""What `restore-sync release` refuses, against fakes of CloudFormation, Step Functions and S3: before changing
anything (fakes that answer only reads, so any other call fails the test), and a retaining change set whose
template, sent through the deployment's bucket, does not read back as written."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from restore_sync.aws import Aws
from restore_sync.names import stack_name
from restore_sync.workflow.stack import StackOps
from restore_sync_tools.errors import UserError
from restore_sync_tools.release import Release, retained

TABLE = "orders-restored"
MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:restore-sync"
GOVERNANCE = stack_name("restore-sync", TABLE)
OUTPUTS = {
    "StackPrefix": "restore-sync",
    "CloudFormationRoleArn": "arn:aws:iam::123456789012:role/restore-sync-CloudFormationRole",
    "StateMachineArn": MACHINE,
}


class ReadOnlyCloudFormation:
    """The deployment stack and, unless `status` is None, the governance stack holding `resources`."""

    def __init__(self, status: str | None, resources: list[tuple[str, str]]) -> None:
        self.status = status
        self.resources = resources

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        if StackName == "restore-sync":
            outputs = [{"OutputKey": k, "OutputValue": v} for k, v in OUTPUTS.items()]
            return {"Stacks": [{"StackName": StackName, "StackStatus": "UPDATE_COMPLETE", "Outputs": outputs}]}
        if StackName == GOVERNANCE and self.status is not None:
            return {"Stacks": [{"StackName": GOVERNANCE, "StackId": f"id/{GOVERNANCE}", "StackStatus": self.status}]}
        raise ClientError(
            {"Error": {"Code": "ValidationError", "Message": f"Stack with id {StackName} does not exist"}},
            "DescribeStacks",
        )

    def get_paginator(self, operation: str) -> Any:
        assert operation == "list_stack_resources"
        summaries = [{"LogicalResourceId": i, "ResourceType": t, "PhysicalResourceId": i} for i, t in self.resources]
        return type("Pages", (), {"paginate": lambda self, **kw: [{"StackResourceSummaries": summaries}]})()


class ReadOnlyStepFunctions:
    """One execution of the deployment's state machine, for TABLE, with `status`."""

    def __init__(self, status: str) -> None:
        self.arn = f"{MACHINE.replace(':stateMachine:', ':execution:')}:{uuid.uuid4()}"
        self.status = status

    def list_executions(self, stateMachineArn: str) -> dict[str, Any]:
        assert stateMachineArn == MACHINE
        started = datetime(2026, 12, 2, tzinfo=UTC)
        return {"executions": [{"executionArn": self.arn, "status": self.status, "startDate": started}]}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        assert executionArn == self.arn
        return {"executionArn": self.arn, "status": self.status, "input": json.dumps({"targetTableName": TABLE})}


class Session:
    def __init__(self, **clients: Any) -> None:
        self.clients = clients

    def client(self, service: str, region_name: str | None = None, config: Any = None) -> Any:
        return self.clients[service]


def releasing(cfn: ReadOnlyCloudFormation, execution: str = "SUCCEEDED") -> Release:
    session = Session(cloudformation=cfn, stepfunctions=ReadOnlyStepFunctions(execution))
    return Release(Aws(region="eu-west-1", session=session), "restore-sync", TABLE, sleep=lambda seconds: None)


def test_a_table_without_a_governance_stack_is_refused() -> None:
    with pytest.raises(UserError, match=f"table {TABLE} has no governance stack in eu-west-1: {GOVERNANCE} does not"):
        releasing(ReadOnlyCloudFormation(None, [])).run()


def test_a_running_execution_for_the_table_is_waited_for() -> None:
    with pytest.raises(UserError, match=f"an execution for {TABLE} is running and works in its stack"):
        releasing(ReadOnlyCloudFormation("UPDATE_COMPLETE", [("Table", "AWS::DynamoDB::Table")]), "RUNNING").run()


def test_a_stack_that_is_not_settled_is_refused() -> None:
    with pytest.raises(UserError, match=f"stack {GOVERNANCE} is UPDATE_ROLLBACK_FAILED: release needs it settled"):
        releasing(ReadOnlyCloudFormation("UPDATE_ROLLBACK_FAILED", [("Table", "AWS::DynamoDB::Table")])).run()


def test_a_stack_holding_what_release_cannot_identify_is_refused() -> None:
    held = [("Table", "AWS::DynamoDB::Table"), ("Queue", "AWS::SQS::Queue")]

    with pytest.raises(UserError, match=r"does not know how to hand over: Queue \(AWS::SQS::Queue\)"):
        releasing(ReadOnlyCloudFormation("IMPORT_COMPLETE", held)).run()


class ChangeSets:
    """A governance stack's change sets: what is created, read back (`read_back`), deleted and executed."""

    def __init__(self, read_back: dict[str, Any]) -> None:
        self.read_back = read_back
        self.created: dict[str, Any] = {}
        self.deleted = self.executed = False

    def describe_change_set(self, StackName: str, ChangeSetName: str) -> dict[str, Any]:
        if not self.created:
            raise ClientError({"Error": {"Code": "ChangeSetNotFound", "Message": "no"}}, "DescribeChangeSet")
        marker = {"Action": "Add", "LogicalResourceId": "RestoreSyncReleased", "ResourceType": "x"}
        changes = [{"ResourceChange": marker}]
        return {"Status": "CREATE_COMPLETE", "ExecutionStatus": "AVAILABLE", "Changes": changes}

    def create_change_set(self, **parameters: Any) -> None:
        self.created = parameters

    def get_template(self, StackName: str, TemplateStage: str, ChangeSetName: str) -> dict[str, Any]:
        return {"TemplateBody": json.dumps(self.read_back)}

    def delete_change_set(self, StackName: str, ChangeSetName: str) -> None:
        self.deleted = True

    def execute_change_set(self, StackName: str, ChangeSetName: str) -> None:
        self.executed = True

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        return {"Stacks": [{"StackName": GOVERNANCE, "StackStatus": "UPDATE_COMPLETE"}]}


class Bucket:
    def __init__(self) -> None:
        self.keys: list[str] = []

    def put_object(self, Bucket: str, Key: str, Body: bytes, ContentType: str) -> None:
        assert Bucket == "restore-sync-data"
        self.keys.append(Key)


# Over CloudFormation's inline limit of 51,200 bytes: sent as TemplateURL, through the deployment's bucket.
LARGE = {
    "Resources": {
        "Table": {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "Properties": {"TableName": TABLE}},
        "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"AlarmDescription": "x" * 60_000}},
    }
}


def retain_large(read_back: dict[str, Any]) -> tuple[ChangeSets, Bucket, BaseException | None]:
    change_sets, bucket = ChangeSets(read_back), Bucket()
    aws = Aws(region="eu-west-1", session=Session(cloudformation=change_sets, s3=bucket))
    ops = StackOps(aws, GOVERNANCE, OUTPUTS["CloudFormationRoleArn"], bucket="restore-sync-data")
    try:
        Release(aws, "restore-sync", TABLE)._retain(ops, LARGE)
    except UserError as error:
        return change_sets, bucket, error
    return change_sets, bucket, None


def test_a_template_over_the_inline_limit_goes_through_the_bucket_and_runs_when_it_reads_back_as_written() -> None:
    change_sets, bucket, error = retain_large(retained(LARGE))

    assert error is None
    assert "TemplateBody" not in change_sets.created
    key = bucket.keys[0]
    assert change_sets.created["TemplateURL"] == f"https://restore-sync-data.s3.eu-west-1.amazonaws.com/{key}"
    assert key.startswith(f"templates/{GOVERNANCE}/restore-sync-release-")
    assert change_sets.created["RoleARN"] == OUTPUTS["CloudFormationRoleArn"]
    assert change_sets.executed


def test_a_template_read_from_the_bucket_that_is_not_the_one_written_is_refused() -> None:
    tampered = copy.deepcopy(retained(LARGE))
    tampered["Resources"]["Alarm"]["Properties"]["AlarmActions"] = ["arn:aws:sns:eu-west-1:210987654321:elsewhere"]

    change_sets, _, error = retain_large(tampered)

    assert error is not None
    assert "the template CloudFormation read from the deployment's bucket is not the one written" in str(error)
    assert change_sets.deleted
    assert not change_sets.executed
