"""Step Functions on the sandbox clock: waits and retry intervals pass in virtual time, and timestamps show it."""

from __future__ import annotations

import inspect
import json
import re
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import Timestamp
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
from moto.stepfunctions.parser.backend.execution import Execution

from restore_sync_sandbox import clock
from restore_sync_sandbox.extensions import stepfunctions_clock
from restore_sync_sandbox.server import Sandbox

ROLE = "arn:aws:iam::123456789012:role/sfn-role"
HOUR = timedelta(hours=1)


def test_moto_still_has_the_patched_methods_and_module_globals() -> None:
    for owner, name in [
        (WaitFunction, "_wait_interval"),
        (Timestamp, "_get_wait_seconds"),
        (EventManager, "_get_current_timestamp"),
        (Execution, "get_start_execution_details"),
    ]:
        assert name in vars(owner), f"{owner.__name__}.{name} is gone from moto"
    for module, name, _ in stepfunctions_clock.REBOUND_GLOBALS:
        assert name in vars(module), f"{module.__name__} no longer imports {name}"
        # The stand-ins provide only what these modules use; anything else must be added to them.
        used = set(re.findall(rf"\b{name}\.(\w+)", inspect.getsource(module)))
        provided = set(
            vars(stepfunctions_clock.CLOCK_DATETIME if name == "datetime" else stepfunctions_clock.CLOCK_TIME)
        )
        assert used <= provided, f"{module.__name__} uses {used - provided} of {name}"


def run(sandbox: Sandbox, wait: Callable[..., dict[str, Any]], states: dict[str, Any], payload: Any = None) -> Any:
    sfn = sandbox.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"clock-{uuid.uuid4().hex[:8]}",
        definition=json.dumps({"StartAt": next(iter(states)), "States": states}),
        roleArn=ROLE,
    )
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps(payload or {}))
    described = wait(execution["executionArn"])
    history = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
    return described, history


def entered(history: list[dict[str, Any]], kind: str) -> datetime:
    return next(e["timestamp"] for e in history if e["type"] == kind)


def test_an_hour_long_wait_takes_no_wall_time_but_shows_an_hour(
    sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]]
) -> None:
    states = {
        "Wait an hour": {"Type": "Wait", "Seconds": 3600, "Next": "Report"},
        "Report": {
            "Type": "Pass",
            "Parameters": {"start.$": "$$.Execution.StartTime", "entered.$": "$$.State.EnteredTime"},
            "End": True,
        },
    }
    started = time.monotonic()
    described, history = run(sandbox, wait_for_execution, states)
    wall = time.monotonic() - started

    assert described["status"] == "SUCCEEDED"
    assert described["stopDate"] - described["startDate"] >= HOUR
    assert entered(history, "WaitStateExited") - entered(history, "WaitStateEntered") >= HOUR
    output = json.loads(described["output"])
    # AWS writes StartTime as ISO 8601 text with milliseconds and Z.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", output["start"])
    start = datetime.fromisoformat(output["start"])
    assert datetime.fromisoformat(output["entered"]) - start >= HOUR
    assert abs(start - described["startDate"]) < timedelta(seconds=1)
    # Loose bound: a real hour-long sleep would never get here; the figure itself belongs to the benchmarks.
    assert wall < 30


def test_seconds_path_and_timestamps_wait_on_the_clock(
    sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]]
) -> None:
    at = (clock.current().now() + 3 * HOUR).strftime("%Y-%m-%dT%H:%M:%SZ")
    states = {
        "By path": {"Type": "Wait", "SecondsPath": "$.seconds", "Next": "Until a time"},
        "Until a time": {"Type": "Wait", "TimestampPath": "$.until", "End": True},
    }
    described, history = run(sandbox, wait_for_execution, states, {"seconds": 7200, "until": at})

    assert described["status"] == "SUCCEEDED"
    waits = [e["timestamp"] for e in history if e["type"] in ("WaitStateEntered", "WaitStateExited")]
    assert waits[1] - waits[0] >= 2 * HOUR
    # The second wait ends at the timestamp asked for, not an offset from the local time zone.
    assert abs(waits[3] - datetime.fromisoformat(at)) < timedelta(seconds=2)


def test_retry_intervals_pass_on_the_clock(sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]]) -> None:
    states = {
        "Describe a missing table": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:dynamodb:describeTable",
            "Parameters": {"TableName": "not-there"},
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 100, "MaxAttempts": 2, "BackoffRate": 3}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Gave up"}],
            "End": True,
        },
        "Gave up": {"Type": "Succeed"},
    }
    described, history = run(sandbox, wait_for_execution, states)

    assert described["status"] == "SUCCEEDED"
    attempts = [e["timestamp"] for e in history if e["type"] == "TaskScheduled"]
    assert len(attempts) == 3
    assert attempts[1] - attempts[0] >= timedelta(seconds=100)
    assert attempts[2] - attempts[1] >= timedelta(seconds=300)


def test_on_the_real_clock_a_wait_still_ends_when_the_execution_is_stopped(
    sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]]
) -> None:
    previous = clock.use_clock(clock.Clock(virtual=False))
    try:
        sfn = sandbox.client("stepfunctions")
        machine = sfn.create_state_machine(
            name=f"clock-{uuid.uuid4().hex[:8]}",
            definition=json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}),
            roleArn=ROLE,
        )
        execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"])
        sfn.stop_execution(executionArn=execution["executionArn"])
        described = wait_for_execution(execution["executionArn"])
    finally:
        clock.use_clock(previous)
    assert described["status"] == "ABORTED"
    assert described["stopDate"] - described["startDate"] < timedelta(minutes=1)
