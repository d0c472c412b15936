"""RedriveExecution in the sandbox: a failed execution continues from the state that failed, as AWS does."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.stepfunctions.models import StepFunctionBackend
from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
from moto.stepfunctions.responses import StepFunctionResponse

from restore_sync_sandbox import clock
from restore_sync_sandbox.extensions import stepfunctions_clock, stepfunctions_redrive
from restore_sync_sandbox.server import Sandbox

ROLE = "arn:aws:iam::123456789012:role/sfn-role"

# A Pass state, then a message to a queue that may not exist yet, then the context object's redrive fields.
DEFINITION = {
    "StartAt": "Note the start",
    "States": {
        "Note the start": {"Type": "Pass", "Result": "noted", "ResultPath": "$.noted", "Next": "Send a message"},
        "Send a message": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {
                "QueueUrl.$": "$.queueUrl",
                "MessageBody.$": "States.Format('attempt {}', $$.Execution.RedriveCount)",
            },
            "ResultPath": None,
            "Next": "Report",
        },
        "Report": {
            "Type": "Pass",
            "Parameters": {
                "noted.$": "$.noted",
                "redriveCount.$": "$$.Execution.RedriveCount",
                "redriveTime.$": "$$.Execution.RedriveTime",
            },
            "End": True,
        },
    },
}


def test_moto_still_has_the_patched_methods() -> None:
    for owner, name in [
        (CommonStateField, "_eval_body"),
        (ExecutionWorker, "_get_evaluation_environment"),
        (ExecutionWorker, "_execution_logic"),
        (StepFunctionResponse, "describe_execution"),
        (StepFunctionResponse, "list_executions"),
        (StepFunctionBackend, "list_executions"),
    ]:
        assert name in vars(owner), f"{owner.__name__}.{name} is gone from moto"
    stepfunctions_redrive.install()
    assert callable(getattr(StepFunctionResponse, "redrive_execution", None)), "RedriveExecution is not answered"


def start(sandbox: Sandbox, queue_name: str) -> tuple[str, str]:
    sfn = sandbox.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"redrive-{uuid.uuid4().hex[:8]}", definition=json.dumps(DEFINITION), roleArn=ROLE
    )
    queue_url = f"{sandbox.endpoint_url}/123456789012/{queue_name}"
    execution = sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"], input=json.dumps({"queueUrl": queue_url})
    )
    return machine["stateMachineArn"], execution["executionArn"]


def refusal(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as refused:
        call()
    error = refused.value.response["Error"]
    return error["Code"], error["Message"]


def test_a_failed_execution_fixed_and_redriven_continues_from_the_failed_state(
    sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]]
) -> None:
    sfn = sandbox.client("stepfunctions")
    queue_name = f"redrive-{uuid.uuid4().hex[:8]}"
    machine_arn, arn = start(sandbox, queue_name)
    failed = wait_for_execution(arn)
    assert failed["status"] == "FAILED"
    assert (failed["redriveCount"], failed["redriveStatus"]) == (0, "REDRIVABLE")
    assert "redriveDate" not in failed
    events_before = sfn.get_execution_history(executionArn=arn)["events"]

    # The cause is fixed outside the workflow: the queue now exists.
    queue_url = sandbox.client("sqs").create_queue(QueueName=queue_name)["QueueUrl"]
    redriven = sfn.redrive_execution(executionArn=arn)
    described = wait_for_execution(arn)

    assert described["status"] == "SUCCEEDED"
    assert described["executionArn"] == arn
    assert described["redriveCount"] == 1
    assert described["redriveDate"] == redriven["redriveDate"]
    assert described["startDate"] == failed["startDate"]
    # The failed state ran with the input it was given the first time: the first state's result is in it.
    assert json.loads(described["output"]) == {
        "noted": "noted",
        "redriveCount": 1,
        "redriveTime": stepfunctions_clock.aws_timestamp(described["redriveDate"]),
    }
    [message] = sandbox.client("sqs").receive_message(QueueUrl=queue_url)["Messages"]
    assert message["Body"] == "attempt 1"

    events = sfn.get_execution_history(executionArn=arn)["events"]
    assert events[: len(events_before)] == events_before, "the history of the first attempt is kept"
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    rerun = events[len(events_before) :]
    assert rerun[0]["type"] == "ExecutionRedriven"
    assert rerun[0]["executionRedrivenEventDetails"] == {"redriveCount": 1}
    entered = [e["stateEnteredEventDetails"]["name"] for e in rerun if e["type"].endswith("StateEntered")]
    assert entered == ["Send a message", "Report"], "a state that succeeded ran again, or the failed one did not"
    assert rerun[-1]["type"] == "ExecutionSucceeded"

    assert (described["redriveStatus"], described["redriveStatusReason"]) == (
        "NOT_REDRIVABLE",
        "Execution is SUCCEEDED and cannot be redriven",
    )
    code, message_text = refusal(lambda: sfn.redrive_execution(executionArn=arn))
    assert (code, message_text) == ("ExecutionNotRedrivable", "Execution is SUCCEEDED and cannot be redriven")

    listed = sfn.list_executions(stateMachineArn=machine_arn, redriveFilter="REDRIVEN")["executions"]
    assert [(e["executionArn"], e["redriveCount"]) for e in listed] == [(arn, 1)]
    assert sfn.list_executions(stateMachineArn=machine_arn, redriveFilter="NOT_REDRIVEN")["executions"] == []


def test_a_second_failure_can_be_redriven_again_and_counts_up(
    sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]]
) -> None:
    sfn = sandbox.client("stepfunctions")
    queue_name = f"redrive-{uuid.uuid4().hex[:8]}"
    _, arn = start(sandbox, queue_name)
    wait_for_execution(arn)
    sfn.redrive_execution(executionArn=arn)
    again = wait_for_execution(arn)
    assert (again["status"], again["redriveCount"], again["redriveStatus"]) == ("FAILED", 1, "REDRIVABLE")

    sandbox.client("sqs").create_queue(QueueName=queue_name)
    sfn.redrive_execution(executionArn=arn)
    described = wait_for_execution(arn)
    assert (described["status"], described["redriveCount"]) == ("SUCCEEDED", 2)
    redriven = [
        e["executionRedrivenEventDetails"]["redriveCount"]
        for e in sfn.get_execution_history(executionArn=arn)["events"]
        if e["type"] == "ExecutionRedriven"
    ]
    assert redriven == [1, 2]


def test_a_running_execution_is_not_redrivable(
    sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]]
) -> None:
    sfn = sandbox.client("stepfunctions")
    queue_url = sandbox.client("sqs").create_queue(QueueName=f"redrive-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    waiting = {
        "StartAt": "Wait for an answer",
        "States": {
            "Wait for an answer": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": queue_url, "MessageBody.$": "$$.Task.Token"},
                "End": True,
            }
        },
    }
    machine = sfn.create_state_machine(
        name=f"redrive-{uuid.uuid4().hex[:8]}", definition=json.dumps(waiting), roleArn=ROLE
    )
    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"])["executionArn"]

    described = sfn.describe_execution(executionArn=arn)
    assert described["status"] == "RUNNING"
    assert (described["redriveStatus"], described["redriveStatusReason"]) == (
        "NOT_REDRIVABLE",
        "Execution is RUNNING and cannot be redriven",
    )
    assert refusal(lambda: sfn.redrive_execution(executionArn=arn))[0] == "ExecutionNotRedrivable"

    # The task sends its token in the execution's own thread: wait for it (long polling returns once it arrives).
    received = sandbox.client("sqs").receive_message(QueueUrl=queue_url, WaitTimeSeconds=20)
    [token] = [m["Body"] for m in received["Messages"]]
    sfn.send_task_success(taskToken=token, output="{}")
    assert wait_for_execution(arn)["status"] == "SUCCEEDED"


def test_the_redrivable_period_ends_fourteen_days_after_the_execution(
    sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]]
) -> None:
    sfn = sandbox.client("stepfunctions")
    _, arn = start(sandbox, f"redrive-{uuid.uuid4().hex[:8]}")
    assert wait_for_execution(arn)["status"] == "FAILED"
    clock.current().advance(timedelta(days=14, minutes=1).total_seconds())

    described = sfn.describe_execution(executionArn=arn)
    assert (described["redriveStatus"], described["redriveStatusReason"]) == (
        "NOT_REDRIVABLE",
        "Execution redrivable period exceeded",
    )
    assert refusal(lambda: sfn.redrive_execution(executionArn=arn)) == (
        "ExecutionNotRedrivable",
        "Execution redrivable period exceeded",
    )


def test_an_unknown_execution_does_not_exist(sandbox: Sandbox) -> None:
    sfn = sandbox.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"redrive-{uuid.uuid4().hex[:8]}", definition=json.dumps(DEFINITION), roleArn=ROLE
    )
    unknown = machine["stateMachineArn"].replace(":stateMachine:", ":execution:") + ":nobody"
    assert refusal(lambda: sfn.redrive_execution(executionArn=unknown))[0] == "ExecutionDoesNotExist"
