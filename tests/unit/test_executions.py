"""Finding the executions of a table: by what their input names, newest first, once they have finished."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from restore_sync_tools import executions

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:m"
START = datetime(2026, 12, 1, tzinfo=UTC)


class FakeStepFunctions:
    """ListExecutions and DescribeExecution over executions whose status moves on at each listing."""

    def __init__(self, runs: list[tuple[str, dict[str, Any], list[str]]]) -> None:
        self.runs = runs  # (name, input, statuses at successive listings)
        self.listings = 0
        self.described: list[str] = []

    def _status(self, statuses: list[str]) -> str:
        return statuses[min(self.listings - 1, len(statuses) - 1)]

    def list_executions(self, stateMachineArn: str, **_: Any) -> dict[str, Any]:
        self.listings += 1
        return {
            "executions": [
                {"executionArn": f"{MACHINE}:{name}", "startDate": START + timedelta(minutes=n), "status": s}
                for n, (name, _, statuses) in enumerate(self.runs)
                if (s := self._status(statuses)) != "ABSENT"
            ]
        }

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        self.described.append(executionArn)
        n, (_, raw, statuses) = next((n, r) for n, r in enumerate(self.runs) if executionArn.endswith(f":{r[0]}"))
        return {
            "executionArn": executionArn,
            "input": json.dumps(raw),
            "startDate": START + timedelta(minutes=n),
            "status": self._status(statuses),
        }


def test_waits_until_every_execution_of_the_table_has_finished_and_gives_the_newest_first() -> None:
    sfn = FakeStepFunctions(
        [
            ("a", {"targetTableName": "orders-copy"}, ["SUCCEEDED"]),
            ("b", {"targetTableName": "other"}, ["RUNNING"]),
            ("c", {"targetTableName": "orders-copy"}, ["ABSENT", "RUNNING", "FAILED"]),
        ]
    )
    naps: list[float] = []
    found = executions.finished_executions_of(sfn, MACHINE, "orders-copy", count=2, interval=1.0, sleep=naps.append)
    assert [e["executionArn"].rsplit(":", 1)[1] for e in found] == ["c", "a"]
    assert [e["status"] for e in found] == ["FAILED", "SUCCEEDED"]
    assert naps == [1.0, 1.0], "it waited for c to appear, then for it to finish"


def test_gives_up_after_its_limit_with_the_table_named() -> None:
    sfn = FakeStepFunctions([("d", {"targetTableName": "slow-table"}, ["RUNNING"])])
    with pytest.raises(TimeoutError, match="slow-table"):
        executions.finished_executions_of(
            sfn, MACHINE, "slow-table", limit_seconds=3, interval=1.0, sleep=lambda _: None
        )
    assert sfn.listings == 3


def test_an_executions_input_is_read_once() -> None:
    sfn = FakeStepFunctions([("e", {"targetTableName": "t-table"}, ["SUCCEEDED"])])
    for _ in range(3):
        executions.latest_execution(sfn, MACHINE, "t-table")
    reads_of_input = [arn for arn in sfn.described if arn.endswith(":e")]
    assert len(reads_of_input) == 1 + 3, "one read of the input, then one DescribeExecution per answer"


def test_the_report_of_an_ignored_execution_is_an_ignored_report_whatever_the_deployment_s_age() -> None:
    arn = f"{MACHINE}:ignored"
    report = {"target": None, "outcome": "ignored", "reason": "the call failed", "settings": {}, "execution": arn}
    now = {"executionArn": arn, "status": "SUCCEEDED", "output": json.dumps(report)}
    assert executions.report_of(None, now) == report
    # Deployments before the ignored report ended with Normalize's own output.
    before = {"executionArn": arn, "status": "SUCCEEDED", "output": json.dumps({"ignored": True, "reason": "why"})}
    older = executions.report_of(None, before)
    assert older is not None
    assert (older["outcome"], older["reason"], older["execution"], older["settings"]) == ("ignored", "why", arn, {})
