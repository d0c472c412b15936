"""Step Functions names failed Lambda tasks as AWS does: Lambda.Unknown, Lambda.<code>, or the handler's errorType."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils import (
    LambdaFunctionErrorException,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_lambda import (
    StateTaskServiceLambda,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda

from restore_sync_sandbox import fault_spec
from restore_sync_sandbox.extensions import fault_injection, stepfunctions_lambda_errors
from restore_sync_sandbox.extensions.stepfunctions_lambda_errors import LAMBDA_UNKNOWN, step_functions_error
from restore_sync_sandbox.server import Sandbox
from tests.sandbox.extensions.counting_function import counting_function, new_table, runs

# moto warns that AWS's throttling codes are not in its service models; they are not meant to be.
pytestmark = pytest.mark.filterwarnings(r"ignore:Exception\(_InjectedError\):UserWarning")

ROLE = "arn:aws:iam::123456789012:role/sfn-role"


@pytest.fixture(autouse=True)
def no_faults() -> Iterator[None]:
    # Most tests make Lambda's runtime or API fail through the fault_injection extension: each starts with no rule.
    stepfunctions_lambda_errors.install()
    fault_injection.reset()
    try:
        yield
    finally:
        fault_injection.reset()


def run_task(
    sandbox: Sandbox, wait: Callable[..., dict[str, Any]], task: dict[str, Any], payload: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    sfn = sandbox.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"faults-{uuid.uuid4().hex[:8]}",
        definition=json.dumps({"StartAt": "Count", "States": {"Count": {"Type": "Task", "End": True, **task}}}),
        roleArn=ROLE,
    )
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps(payload))
    described = wait(execution["executionArn"])
    history = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
    return described, history


def failures(history: list[dict[str, Any]]) -> list[str]:
    found = []
    for event in history:
        for key in ("lambdaFunctionFailedEventDetails", "taskFailedEventDetails"):
            if key in event:
                found.append(event[key]["error"])
    return found


# ---- the extension as installed (no sandbox needed) ------------------------------------------------------------


def test_moto_still_has_the_patched_methods() -> None:
    assert StateTaskLambda._from_error is stepfunctions_lambda_errors._lambda_task_error
    assert StateTaskServiceLambda._from_error is stepfunctions_lambda_errors._lambda_service_task_error
    for function in (
        stepfunctions_lambda_errors._original_task_error,
        stepfunctions_lambda_errors._original_service_task_error,
    ):
        assert callable(function)
    assert callable(getattr(StateTaskServiceLambda, "_error_cause_from_client_error", None))


def test_installing_again_changes_nothing() -> None:
    original = stepfunctions_lambda_errors._original_task_error

    stepfunctions_lambda_errors.install()

    assert StateTaskLambda._from_error is stepfunctions_lambda_errors._lambda_task_error
    assert stepfunctions_lambda_errors._original_task_error is original


def lambda_failed(error_type: str | None) -> LambdaFunctionErrorException:
    payload = {"errorMessage": "RequestId: 1 Error: it failed"} | ({"errorType": error_type} if error_type else {})
    return LambdaFunctionErrorException("Unhandled", json.dumps(payload))


THROTTLED = ClientError(
    {
        "Error": {"Code": "TooManyRequestsException", "Message": "Rate Exceeded."},
        "ResponseMetadata": {"HTTPStatusCode": 429, "RequestId": "r-1"},
    },
    "Invoke",
)


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (lambda_failed("Runtime.ExitError"), LAMBDA_UNKNOWN),
        (lambda_failed("Runtime.OutOfMemory"), LAMBDA_UNKNOWN),
        (lambda_failed("Sandbox.Timedout"), LAMBDA_UNKNOWN),
        (lambda_failed(None), LAMBDA_UNKNOWN),
        (LambdaFunctionErrorException("Unhandled", "not JSON"), LAMBDA_UNKNOWN),
        (LambdaFunctionErrorException("Unhandled", '"a JSON string"'), LAMBDA_UNKNOWN),
        (THROTTLED, "Lambda.TooManyRequestsException"),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), "Lambda.SdkClientException"),
        (lambda_failed("KeyError"), None),
        (RuntimeError("not a Lambda failure"), None),
    ],
    ids=[
        "runtime-exit",
        "out-of-memory",
        "function-timeout",
        "no-error-type",
        "payload-not-json",
        "payload-not-an-object",
        "lambda-api-error",
        "no-answer",
        "handler-error",
        "other-error",
    ],
)
def test_each_failure_gets_the_name_aws_gives_it(failure: Exception, error: str | None) -> None:
    named = step_functions_error(failure)

    assert (named[0] if named else None) == error


def test_the_cause_is_the_payload_or_the_lambda_api_answer() -> None:
    crashed = lambda_failed("Runtime.ExitError")

    assert step_functions_error(crashed) == (LAMBDA_UNKNOWN, crashed.payload)
    assert step_functions_error(THROTTLED) == (
        "Lambda.TooManyRequestsException",
        "Rate Exceeded. (Service: AWSLambda; Status Code: 429; Error Code: TooManyRequestsException; "
        "Request ID: r-1; Proxy: null)",
    )


# ---- through the sandbox ---------------------------------------------------------------------------------------


def test_a_handler_error_keeps_its_class_name(
    sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]]
) -> None:
    function = counting_function(sandbox)

    described, history = run_task(sandbox, wait_for_execution, {"Resource": function["FunctionArn"]}, {})

    assert described["status"] == "FAILED"
    assert described["error"] == "KeyError"
    assert failures(history) == ["KeyError"]


def test_a_lambda_api_error_is_named_after_lambda_without_any_fault(
    sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]]
) -> None:
    missing = f"arn:aws:lambda:{sandbox.region}:123456789012:function:missing-{uuid.uuid4().hex[:8]}"

    described, history = run_task(sandbox, wait_for_execution, {"Resource": missing}, {})

    assert described["status"] == "FAILED"
    assert described["error"] == "Lambda.ResourceNotFoundException"
    assert failures(history) == ["Lambda.ResourceNotFoundException"]


def test_step_functions_sees_a_crash_as_lambda_unknown_and_retries_it(
    sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]]
) -> None:
    table = new_table(sandbox)
    function = counting_function(sandbox)
    fault_injection.configure(fault_spec.parse("lambda:Invoke:crash:times=1:at=end"))
    task = {
        "Resource": function["FunctionArn"],
        "Retry": [{"ErrorEquals": ["Lambda.Unknown"], "IntervalSeconds": 1, "MaxAttempts": 2}],
    }

    described, history = run_task(sandbox, wait_for_execution, task, {"table": table})

    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"counted": True}
    assert failures(history) == ["Lambda.Unknown"]
    # The crash came after the handler's work: the retry did it again, as it would in AWS.
    assert runs(sandbox, table) == 2


def test_step_functions_without_a_matching_retry_fails_with_lambda_unknown(
    sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]]
) -> None:
    table = new_table(sandbox)
    function = counting_function(sandbox)
    fault_injection.configure(fault_spec.parse("lambda:Invoke:handler-timeout:times=1"))
    task = {"Resource": function["FunctionArn"], "Retry": [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 2}]}

    described, _ = run_task(sandbox, wait_for_execution, task, {"table": table})

    assert described["status"] == "FAILED"
    assert described["error"] == "Lambda.Unknown"
    assert "Sandbox.Timedout" in described["cause"]
    assert runs(sandbox, table) == 0


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ("lambda:Invoke:throttle:times=2", "Lambda.TooManyRequestsException"),
        ("lambda:Invoke:internal:times=2", "Lambda.ServiceException"),
    ],
)
def test_step_functions_names_lambda_api_errors_after_lambda(
    sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]], spec: str, error: str
) -> None:
    table = new_table(sandbox)
    function = counting_function(sandbox)
    fault_injection.configure(fault_spec.parse(spec))
    task = {"Resource": function["FunctionArn"], "Retry": [{"ErrorEquals": [error], "IntervalSeconds": 1}]}

    described, history = run_task(sandbox, wait_for_execution, task, {"table": table})

    assert described["status"] == "SUCCEEDED"
    assert failures(history) == [error, error]
    assert runs(sandbox, table) == 1


def test_the_lambda_invoke_integration_names_a_crash_lambda_unknown(
    sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]]
) -> None:
    table = new_table(sandbox)
    function = counting_function(sandbox)
    fault_injection.configure(fault_spec.parse("lambda:Invoke:crash"))
    task = {
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function["FunctionArn"], "Payload.$": "$"},
    }

    described, _ = run_task(sandbox, wait_for_execution, task, {"table": table})

    assert described["status"] == "FAILED"
    assert described["error"] == "Lambda.Unknown"
