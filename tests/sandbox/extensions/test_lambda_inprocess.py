"""In-process Lambda: real handlers run with their environment and context; errors are matched by class name."""

from __future__ import annotations

import io
import json
import os
import sys
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from moto.awslambda.models import LambdaFunction

from restore_sync_sandbox.examples import LAMBDA_TRUST
from restore_sync_sandbox.extensions import lambda_inprocess
from restore_sync_sandbox.server import Sandbox

# What the handlers below call: the sandbox allows a function's calls only as its role's policies allow.
HANDLER_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["sqs:ListQueues", "lambda:InvokeFunction"], "Resource": "*"}],
}

HANDLER_SOURCE = """
import os

import boto3


class MyDomainError(Exception):
    pass


def describe(event, context):
    return {
        "event": event,
        "functionName": context.function_name,
        "functionVersion": context.function_version,
        "arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "requestId": context.aws_request_id,
        "logGroup": context.log_group_name,
        "remaining": context.get_remaining_time_in_millis(),
        "setting": os.environ.get("SETTING"),
        "region": os.environ.get("AWS_REGION"),
        "defaultRegion": os.environ.get("AWS_DEFAULT_REGION"),
        "envName": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
        "envMemory": os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"),
        "queues": boto3.client("sqs").list_queues().get("QueueUrls", []),
        "moduleFile": __file__,
    }


def fail(event, context):
    raise MyDomainError("the order is not there")


def version(event, context):
    return "VERSION"


def nested(event, context):
    response = boto3.client("lambda").invoke(FunctionName=event["inner"], Payload=b"{}")
    return {"outer": os.environ.get("SETTING"), "inner": response["Payload"].read().decode()}


def setting(event, context):
    return os.environ.get("SETTING")


def caller(event, context):
    return boto3.client("sts").get_caller_identity()["Arn"]
"""


def code_zip(package: str, source: str = HANDLER_SOURCE) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{package}/__init__.py", "")
        archive.writestr(f"{package}/handlers.py", source)
    return buffer.getvalue()


def create_function(
    sandbox: Sandbox, handler: str, code: bytes, region: str | None = None, **extra: Any
) -> dict[str, Any]:
    name = f"fn-{uuid.uuid4().hex[:10]}"
    iam = sandbox.client("iam")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    iam.put_role_policy(RoleName=name, PolicyName="handlers", PolicyDocument=json.dumps(HANDLER_POLICY))
    created: dict[str, Any] = sandbox.client("lambda", region=region).create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler=handler,
        Code={"ZipFile": code},
        Timeout=42,
        MemorySize=512,
        **extra,
    )
    return created


def invoke(sandbox: Sandbox, name: str, payload: Any, region: str | None = None) -> tuple[Any, dict[str, Any]]:
    response = sandbox.client("lambda", region=region).invoke(FunctionName=name, Payload=json.dumps(payload))
    return json.loads(response["Payload"].read()), response


@pytest.fixture
def package() -> str:
    return f"fixture_pkg_{uuid.uuid4().hex[:10]}"


def test_moto_still_has_the_patched_method() -> None:
    assert "_invoke_lambda" in vars(LambdaFunction)
    lambda_inprocess.install()
    assert LambdaFunction._invoke_lambda is lambda_inprocess.invoke_in_process


def test_invoke_runs_the_real_handler_with_context_and_environment(sandbox: Sandbox, package: str) -> None:
    queue_url = sandbox.client("sqs", region="eu-west-1").create_queue(QueueName="seen-by-handler")["QueueUrl"]
    function = create_function(
        sandbox,
        f"{package}.handlers.describe",
        code_zip(package),
        region="eu-west-1",
        Environment={"Variables": {"SETTING": "on"}},
    )
    before = dict(os.environ)

    result, response = invoke(sandbox, function["FunctionName"], {"table": "orders"}, region="eu-west-1")

    assert "FunctionError" not in response
    assert result["event"] == {"table": "orders"}
    assert result["functionName"] == function["FunctionName"]
    assert result["arn"] == function["FunctionArn"]
    assert result["memory"] == 512
    assert result["logGroup"] == f"/aws/lambda/{function['FunctionName']}"
    assert 0 < result["remaining"] <= 42_000
    assert uuid.UUID(result["requestId"])
    assert result["setting"] == "on"
    assert result["region"] == result["defaultRegion"] == "eu-west-1"
    assert result["envName"] == function["FunctionName"]
    assert result["envMemory"] == "512"
    # The handler's boto3 reached the sandbox, in the function's region.
    assert result["queues"] == [queue_url]
    assert Path(result["moduleFile"]).is_relative_to(lambda_inprocess.CODE_CACHE)
    assert dict(os.environ) == before


def test_empty_payload_reaches_the_handler_as_an_empty_object(sandbox: Sandbox, package: str) -> None:
    function = create_function(sandbox, f"{package}.handlers.describe", code_zip(package))
    response = sandbox.client("lambda").invoke(FunctionName=function["FunctionName"])
    assert json.loads(response["Payload"].read())["event"] == {}


def test_raised_exception_becomes_the_lambda_error_payload(sandbox: Sandbox, package: str) -> None:
    function = create_function(sandbox, f"{package}.handlers.fail", code_zip(package))

    result, response = invoke(sandbox, function["FunctionName"], {})

    assert response["FunctionError"]
    assert result["errorType"] == "MyDomainError"
    assert result["errorMessage"] == "the order is not there"
    assert any("handlers.py" in line and "in fail" in line for line in result["stackTrace"])
    assert not any("lambda_inprocess" in line for line in result["stackTrace"])


def test_new_code_of_an_imported_package_is_loaded(sandbox: Sandbox, package: str) -> None:
    lam = sandbox.client("lambda")
    function = create_function(sandbox, f"{package}.handlers.version", code_zip(package))
    first, _ = invoke(sandbox, function["FunctionName"], {})
    lam.update_function_code(
        FunctionName=function["FunctionName"],
        ZipFile=code_zip(package, HANDLER_SOURCE.replace('return "VERSION"', 'return "VERSION 2"')),
    )
    second, _ = invoke(sandbox, function["FunctionName"], {})
    assert (first, second) == ("VERSION", "VERSION 2")


def test_a_package_the_process_imported_is_set_aside_while_the_function_runs_its_own(
    sandbox: Sandbox, package: str, tmp_path: Path
) -> None:
    # As with an editable install of the CodeUri folder: the same files, imported from elsewhere first.
    code = code_zip(package)
    zipfile.ZipFile(io.BytesIO(code)).extractall(tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        imported = __import__(f"{package}.handlers").handlers
    finally:
        sys.path.remove(str(tmp_path))
    function = create_function(sandbox, f"{package}.handlers.describe", code)

    result, _ = invoke(sandbox, function["FunctionName"], {})

    assert Path(result["moduleFile"]).is_relative_to(lambda_inprocess.CODE_CACHE)
    assert sys.modules[f"{package}.handlers"] is imported


def test_each_function_calls_aws_as_its_own_role_even_with_the_same_code(sandbox: Sandbox, package: str) -> None:
    code = code_zip(package)
    first = create_function(sandbox, f"{package}.handlers.caller", code)
    second = create_function(sandbox, f"{package}.handlers.caller", code)

    # Each handler's boto3 default session (module state of its own sandbox) holds its own role's credentials.
    answers = [invoke(sandbox, f["FunctionName"], {})[0] for f in (first, second, first)]

    names = [f["FunctionName"] for f in (first, second, first)]
    assert answers == [f"arn:aws:sts::{sandbox.account_id}:assumed-role/{name}/{name}" for name in names]


def step_functions_definition(resource: dict[str, Any], caught: str) -> str:
    return json.dumps(
        {
            "StartAt": "Call",
            "States": {
                "Call": {
                    **resource,
                    "Retry": [{"ErrorEquals": [caught], "IntervalSeconds": 1, "MaxAttempts": 1}],
                    "Catch": [{"ErrorEquals": [caught], "ResultPath": "$.error", "Next": "Caught"}],
                    "End": True,
                },
                "Caught": {"Type": "Succeed"},
            },
        }
    )


@pytest.mark.parametrize("integration", ["function ARN", "lambda:invoke"])
@pytest.mark.parametrize(("caught", "status"), [("MyDomainError", "SUCCEEDED"), ("OtherError", "FAILED")])
def test_step_functions_matches_retry_and_catch_by_exception_class_name(
    sandbox: Sandbox,
    wait_for_execution: Callable[..., dict[str, Any]],
    package: str,
    integration: str,
    caught: str,
    status: str,
) -> None:
    function = create_function(sandbox, f"{package}.handlers.fail", code_zip(package))
    if integration == "function ARN":
        resource = {"Type": "Task", "Resource": function["FunctionArn"]}
    else:
        resource = {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": function["FunctionArn"], "Payload.$": "$"},
        }
    sfn = sandbox.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"sm-{uuid.uuid4().hex[:8]}",
        definition=step_functions_definition(resource, caught),
        roleArn="arn:aws:iam::123456789012:role/sfn-role",
    )

    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")
    described = wait_for_execution(execution["executionArn"])

    assert described["status"] == status
    history = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
    failures = [e for e in history if e["type"] in ("LambdaFunctionFailed", "TaskFailed")]
    assert len(failures) == (2 if caught == "MyDomainError" else 1)  # one retry only when it matches
    if status == "SUCCEEDED":
        assert json.loads(described["output"])["error"]["Error"] == "MyDomainError"
    else:
        assert described["error"] == "MyDomainError"


def test_an_invocation_made_by_a_running_handler_does_not_deadlock(
    sandbox: Sandbox, package: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lambda_inprocess, "INVOCATION_WAIT_SECONDS", 0.2)
    code = code_zip(package)
    inner = create_function(
        sandbox, f"{package}.handlers.setting", code, Environment={"Variables": {"SETTING": "inner"}}
    )
    outer = create_function(
        sandbox, f"{package}.handlers.nested", code, Environment={"Variables": {"SETTING": "outer"}}
    )
    before = dict(os.environ)

    result, response = invoke(sandbox, outer["FunctionName"], {"inner": inner["FunctionName"]})

    assert "FunctionError" not in response, result
    assert result == {"outer": "outer", "inner": '"inner"'}
    assert dict(os.environ) == before
