"""What `restore-sync release` refuses before changing anything, against fakes of CloudFormation and Step Functions
that answer only reads: any other call fails the test."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from restore_sync.aws import Aws
from restore_sync.names import stack_name
from restore_sync_tools.errors import UserError
from restore_sync_tools.release import Release

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


def release(cfn: ReadOnlyCloudFormation, execution: str = "SUCCEEDED") -> Release:
    session = Session(cloudformation=cfn, stepfunctions=ReadOnlyStepFunctions(execution))
    return Release(Aws(region="eu-west-1", session=session), "restore-sync", TABLE, sleep=lambda seconds: None)


def test_a_table_without_a_governance_stack_is_refused() -> None:
    with pytest.raises(UserError, match=f"table {TABLE} has no governance stack in eu-west-1: {GOVERNANCE} does not"):
        release(ReadOnlyCloudFormation(None, [])).run()


def test_a_running_execution_for_the_table_is_waited_for() -> None:
    with pytest.raises(UserError, match=f"an execution for {TABLE} is running and works in its stack"):
        release(ReadOnlyCloudFormation("UPDATE_COMPLETE", [("Table", "AWS::DynamoDB::Table")]), "RUNNING").run()


def test_a_stack_that_is_not_settled_is_refused() -> None:
    with pytest.raises(UserError, match=f"stack {GOVERNANCE} is UPDATE_ROLLBACK_FAILED: release needs it settled"):
        release(ReadOnlyCloudFormation("UPDATE_ROLLBACK_FAILED", [("Table", "AWS::DynamoDB::Table")])).run()


def test_a_stack_holding_what_release_cannot_identify_is_refused() -> None:
    held = [("Table", "AWS::DynamoDB::Table"), ("Queue", "AWS::SQS::Queue")]

    with pytest.raises(UserError, match=r"does not know how to hand over: Queue \(AWS::SQS::Queue\)"):
        release(ReadOnlyCloudFormation("IMPORT_COMPLETE", held)).run()
