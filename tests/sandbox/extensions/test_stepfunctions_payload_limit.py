"""Step Functions' 256 KiB payload limit: States.DataLimitExceeded ends the execution, past any States.ALL."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_selector import ItemSelector
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda

from restore_sync_sandbox.examples import LAMBDA_TRUST
from restore_sync_sandbox.extensions import stepfunctions_payload_limit as limit
from restore_sync_sandbox.server import Sandbox

ROLE = "arn:aws:iam::123456789012:role/sfn-role"
# Returns a string of event["n"] characters under "blob": a result of n + 11 bytes.
HANDLER_SOURCE = """
def blob(event, context):
    return {"blob": "x" * event["n"]}
"""
CATCH_ALL = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}]
RETRY_ALL = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2}]
CAUGHT = {"Type": "Pass", "Result": {"caught": True}, "End": True}


def test_moto_still_has_the_patched_methods_and_module_globals() -> None:
    limit.install()
    for module, name, stand_in in limit.REBOUND_GLOBALS:
        assert getattr(module, name) is stand_in, f"{module.__name__}.{name}"
    assert ErrorEqualsDecl._eval_body is limit._error_equals
    assert StateTaskLambda._eval_parameters is limit._lambda_parameters
    assert StateTask._eval_parameters is limit._task_parameters
    assert callable(getattr(StateTaskLambda, "_verify_size_quota", None))
    assert ItemSelector._eval_body is limit._item_selector


def test_the_limit_is_262144_bytes_of_compact_utf8_json() -> None:
    assert limit.payload_bytes({"a": [1, 2]}) == len('{"a":[1,2]}')
    assert limit.payload_bytes("é") == 2
    assert limit.within_limit("x" * limit.MAX_PAYLOAD_BYTES)
    assert not limit.within_limit("x" * (limit.MAX_PAYLOAD_BYTES + 1))


@pytest.fixture(scope="module")
def blob_function(sandbox: Sandbox) -> str:
    package = f"blob_{uuid.uuid4().hex[:8]}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{package}/__init__.py", "")
        archive.writestr(f"{package}/handlers.py", HANDLER_SOURCE)
    role = sandbox.client("iam").create_role(RoleName=package, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    created = sandbox.client("lambda").create_function(
        FunctionName=package,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler=f"{package}.handlers.blob",
        Code={"ZipFile": buffer.getvalue()},
        Timeout=3,
    )
    return str(created["FunctionArn"])


def run(
    sandbox: Sandbox, wait: Callable[..., dict[str, Any]], states: dict[str, Any], payload: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    sfn = sandbox.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"limit-{uuid.uuid4().hex[:8]}",
        definition=json.dumps({"StartAt": next(iter(states)), "States": states}),
        roleArn=ROLE,
    )
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps(payload))
    described = wait(execution["executionArn"])
    return described, sfn.get_execution_history(executionArn=execution["executionArn"])["events"]


def test_a_task_result_over_the_limit_fails_the_execution_past_catch_and_retry_on_states_all(
    sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]], blob_function: str
) -> None:
    task = {"Type": "Task", "Resource": blob_function, "Retry": RETRY_ALL, "Catch": CATCH_ALL, "End": True}

    described, history = run(sandbox, wait_for_execution, {"Task": task, "Caught": CAUGHT}, {"n": 262_144})

    assert (described["status"], described.get("error")) == ("FAILED", "States.DataLimitExceeded")
    assert not [e for e in history if e["type"] in ("PassStateEntered", "TaskStateExited")]
    # Not retried either: the function ran once.
    assert len([e for e in history if e["type"] == "LambdaFunctionScheduled"]) == 1


def test_a_result_of_exactly_the_limit_passes(
    sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]], blob_function: str
) -> None:
    # {"blob":"x..."} is 11 bytes more than its string; OutputPath keeps the state's output at the result.
    task = {"Type": "Task", "Resource": blob_function, "Catch": CATCH_ALL, "End": True}

    described, _ = run(sandbox, wait_for_execution, {"Task": task, "Caught": CAUGHT}, {"n": 262_144 - 11})

    assert described["status"] == "SUCCEEDED"
    assert limit.payload_bytes(json.loads(described["output"])) == limit.MAX_PAYLOAD_BYTES


def test_a_state_output_over_the_limit_fails_the_execution(
    sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]], blob_function: str
) -> None:
    # Each part is within the limit; the result put beside the input is not.
    task = {"Type": "Task", "Resource": blob_function, "ResultPath": "$.result", "Catch": CATCH_ALL, "End": True}

    described, _ = run(
        sandbox, wait_for_execution, {"Task": task, "Caught": CAUGHT}, {"n": 140_000, "pad": "y" * 140_000}
    )

    assert (described["status"], described.get("error")) == ("FAILED", "States.DataLimitExceeded")


def test_a_task_input_over_the_limit_after_parameters_fails_the_execution(
    sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]], blob_function: str
) -> None:
    task = {
        "Type": "Task",
        "Resource": blob_function,
        "Parameters": {"n": 1, "a.$": "$.pad", "b.$": "$.pad"},
        "Catch": CATCH_ALL,
        "End": True,
    }

    described, history = run(sandbox, wait_for_execution, {"Task": task, "Caught": CAUGHT}, {"pad": "y" * 140_000})

    assert (described["status"], described.get("error")) == ("FAILED", "States.DataLimitExceeded")
    assert not [e for e in history if e["type"] == "LambdaFunctionScheduled"]


def test_a_map_iteration_input_over_the_limit_fails_the_execution(
    sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]]
) -> None:
    mapped = {
        "Type": "Map",
        "ItemsPath": "$.items",
        "ItemSelector": {"item.$": "$$.Map.Item.Value", "a.$": "$.pad", "b.$": "$.pad"},
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": "Each",
            "States": {"Each": {"Type": "Pass", "Result": 1, "End": True}},
        },
        "Catch": CATCH_ALL,
        "End": True,
    }

    described, _ = run(
        sandbox, wait_for_execution, {"Map": mapped, "Caught": CAUGHT}, {"items": [1], "pad": "y" * 140_000}
    )

    assert (described["status"], described.get("error")) == ("FAILED", "States.DataLimitExceeded")


def test_a_catch_that_names_the_error_still_catches_it(
    sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]], blob_function: str
) -> None:
    catch = [{"ErrorEquals": ["States.DataLimitExceeded"], "ResultPath": "$.error", "Next": "Caught"}]
    task = {"Type": "Task", "Resource": blob_function, "Catch": catch, "End": True}

    described, _ = run(sandbox, wait_for_execution, {"Task": task, "Caught": CAUGHT}, {"n": 300_000})

    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"caught": True})


def test_other_errors_are_still_caught_by_states_all(
    sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]], blob_function: str
) -> None:
    task = {"Type": "Task", "Resource": blob_function, "Catch": CATCH_ALL, "End": True}

    described, _ = run(sandbox, wait_for_execution, {"Task": task, "Caught": CAUGHT}, {"no": "n"})

    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"caught": True})
