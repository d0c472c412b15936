"""`restore-sync activate`: what it applies, read from the table's reports, and when it refuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from restore_sync_tools import workflow
from restore_sync_tools.activation import activation
from restore_sync_tools.errors import UserError

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:m"
SOURCE = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
START = datetime(2026, 12, 1, tzinfo=UTC)
STACK = "restore-sync-orders-copy-0123456789"


def report(settings_from: str = "snapshot", **statuses: str) -> dict[str, Any]:
    return {
        "target": "arn:aws:dynamodb:us-east-1:123456789012:table/orders-copy",
        "source": SOURCE,
        "settingsFrom": settings_from,
        "outcome": "succeeded",
        "settings": {name: {"status": status, "reason": "r"} for name, status in statuses.items()},
        "stack": STACK,
    }


class FakeStepFunctions:
    """The executions of one table, oldest first: (status, report)."""

    def __init__(self, runs: list[tuple[str, dict[str, Any]]]) -> None:
        self.runs = runs

    def list_executions(self, stateMachineArn: str, **_: Any) -> dict[str, Any]:
        return {
            "executions": [
                {"executionArn": f"{MACHINE}:{n}", "startDate": START + timedelta(minutes=n), "status": status}
                for n, (status, _) in enumerate(self.runs)
            ]
        }

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        n = int(executionArn.rsplit(":", 1)[1])
        status, output = self.runs[n]
        return {
            "executionArn": executionArn,
            "input": json.dumps({"targetTableName": "orders-copy", "sourceTableArn": SOURCE}),
            "startDate": START + timedelta(minutes=n),
            "status": status,
            "output": json.dumps({**output, "execution": executionArn}),
        }

    def get_execution_history(self, executionArn: str, **_: Any) -> dict[str, Any]:
        # A failed execution's report is the output of its Build report state.
        output = {"outcome": {"report": json.loads(self.describe_execution(executionArn)["output"])}}
        details = {"name": workflow.BUILD_REPORT, "output": json.dumps(output)}
        return {"events": [{"id": 1, "type": workflow.TASK_STATE_EXITED, "stateExitedEventDetails": details}]}


class FakeCloudFormation:
    def __init__(self, stacks: set[str]) -> None:
        self.stacks = stacks

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        if StackName not in self.stacks:
            error = {"Error": {"Code": "ValidationError", "Message": f"Stack with id {StackName} does not exist"}}
            raise ClientError(error, "DescribeStacks")  # type: ignore[arg-type]
        return {"Stacks": [{"StackName": StackName, "StackStatus": "UPDATE_COMPLETE"}]}


def test_activation_applies_what_is_still_held_with_the_settings_as_they_were_read() -> None:
    held = report(stream="applied", ttl="held", triggers="held", kinesis="held")
    failed = report(stream="unchanged", ttl="applied", triggers="failed", kinesis="applied")
    sfn = FakeStepFunctions([("SUCCEEDED", held), ("FAILED", failed)])
    found = activation(sfn, FakeCloudFormation({STACK}), MACHINE, "orders-copy")
    assert found.held == ["triggers"]
    assert found.held_by == f"{MACHINE}:0"
    assert found.execution_input == {
        "targetTableName": "orders-copy",
        "sourceTableArn": SOURCE,
        "settings": ["stream", "triggers"],
        "hold": "none",
        "settingsFrom": "snapshot",
    }


@pytest.mark.parametrize(
    ("runs", "stacks", "refusal"),
    [
        ([], {STACK}, "no execution names table orders-copy"),
        (
            [("SUCCEEDED", report(ttl="held")), ("RUNNING", {})],
            {STACK},
            "an execution for orders-copy is still running",
        ),
        ([("SUCCEEDED", report(ttl="applied"))], {STACK}, "nothing is held on orders-copy"),
        ([("SUCCEEDED", report(ttl="held"))], set(), f"orders-copy has no governance stack ({STACK})"),
        ([("SUCCEEDED", {**report(ttl="held"), "outcome": "planned"})], {STACK}, "nothing is held on orders-copy"),
    ],
)
def test_activation_refuses_saying_why(runs: list[tuple[str, dict[str, Any]]], stacks: set[str], refusal: str) -> None:
    with pytest.raises(UserError, match=refusal.replace("(", r"\(").replace(")", r"\)")):
        activation(FakeStepFunctions(runs), FakeCloudFormation(stacks), MACHINE, "orders-copy")
