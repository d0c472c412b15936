"""The Sandbox server and deploy_app: a SAM app deployed from its template runs end to end in the sandbox."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from restore_sync_sandbox import clock
from restore_sync_sandbox.deploy import deploy_app
from restore_sync_sandbox.deploy import unsupported_resources as skipped_by_moto
from restore_sync_sandbox.server import Sandbox

FIXTURE_APP = Path(__file__).parent / "fixtures" / "sam_app"
TEMPLATE = FIXTURE_APP / "template.yaml"


@pytest.fixture(scope="module")
def deployed(sandbox: Sandbox) -> dict[str, str]:
    return deploy_app(sandbox, TEMPLATE, stack_name="fixture-app", parameters={"Greeting": "good morning"})


def test_sandbox_points_the_process_at_itself_and_puts_everything_back() -> None:
    before_environment = dict(os.environ)
    before_clock = clock.current()
    with Sandbox(virtual=True) as running:
        assert running.endpoint_url == f"http://127.0.0.1:{running.port}"
        assert os.environ["AWS_ENDPOINT_URL"] == running.endpoint_url
        assert os.environ["MOTO_PORT"] == str(running.port)
        assert os.environ["AWS_DEFAULT_REGION"] == running.region == "us-east-1"
        # The CA bundle that trusts the sandbox's https endpoints (test_cloudformation_custom_resources.py).
        bundle = Path(os.environ["SSL_CERT_FILE"])
        assert bundle.is_file()
        assert clock.current().virtual
        identity = running.client("sts").get_caller_identity()
        assert identity["Account"] == running.account_id == "123456789012"
    assert dict(os.environ) == before_environment
    assert not bundle.exists()
    assert clock.current() is before_clock


def test_deploy_returns_the_stack_outputs(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    assert set(deployed) == {"StateMachineArn", "GreetFunctionName", "FailFunctionArn"}
    assert deployed["StateMachineArn"].startswith("arn:aws:states:us-east-1:123456789012:stateMachine:")
    configuration = sandbox.client("lambda").get_function_configuration(FunctionName=deployed["GreetFunctionName"])
    assert configuration["Environment"]["Variables"] == {"GREETING": "good morning"}
    assert configuration["Handler"] == "sandbox_fixture_app.handlers.greet"


def test_definition_uri_is_inlined_with_substitutions_applied(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    definition = sandbox.client("stepfunctions").describe_state_machine(stateMachineArn=deployed["StateMachineArn"])
    states = json.loads(definition["definition"])["States"]
    assert states["Fail directly"]["Resource"] == deployed["FailFunctionArn"]
    assert states["Fail through the integration"]["Parameters"]["FunctionName"] == deployed["FailFunctionArn"]
    assert "${" not in definition["definition"]


def test_event_rule_targets_the_state_machine(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    events = sandbox.client("events")
    rules = events.list_rule_names_by_target(TargetArn=deployed["StateMachineArn"])["RuleNames"]
    assert len(rules) == 1
    rule = events.describe_rule(Name=rules[0])
    assert json.loads(rule["EventPattern"]) == {"source": ["sandbox.fixture"]}


def test_resources_moto_skips_are_listed() -> None:
    template = {
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue"},
            "TopicPolicy": {"Type": "AWS::SNS::TopicPolicy"},
            "Wait": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
            "Custom": {"Type": "Custom::Thing"},
        }
    }
    assert skipped_by_moto(template) == {
        "TopicPolicy": "AWS::SNS::TopicPolicy",
        "Wait": "AWS::CloudFormation::WaitConditionHandle",
    }


def test_deploy_names_the_skipped_resources_in_a_warning(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        "Resources:\n"
        "  Topic:\n"
        "    Type: AWS::SNS::Topic\n"
        "  TopicPolicy:\n"
        "    Type: AWS::SNS::TopicPolicy\n"
        "    Properties:\n"
        "      Topics: [!Ref Topic]\n"
        "      PolicyDocument: {Version: '2012-10-17', Statement: []}\n"
    )
    with caplog.at_level(logging.WARNING, logger="restore_sync_sandbox.deploy"):
        deploy_app(sandbox, template, stack_name="skipped-warned")
    assert "TopicPolicy (AWS::SNS::TopicPolicy)" in caplog.text
    assert "Topic (AWS::SNS::Topic)" not in caplog.text


def test_execution_runs_real_handlers_waits_an_hour_in_no_time_and_catches_by_name(
    sandbox: Sandbox, deployed: dict[str, str], wait_for_execution: Callable[..., dict[str, Any]]
) -> None:
    sfn = sandbox.client("stepfunctions")
    started = time.monotonic()
    execution = sfn.start_execution(stateMachineArn=deployed["StateMachineArn"], input=json.dumps({"name": "ann"}))
    described = wait_for_execution(execution["executionArn"])
    wall = time.monotonic() - started

    assert described["status"] == "SUCCEEDED", described.get("cause")
    output = json.loads(described["output"])
    greeting = output["greeting"]
    assert greeting["message"] == "good morning ann"
    assert greeting["functionName"] == deployed["GreetFunctionName"]
    assert greeting["memoryLimitInMB"] == 256
    assert greeting["bucketCount"] >= 1  # the handler's boto3 call reached the sandbox (the artifact bucket)
    for caught in ("directError", "integrationError"):
        assert output[caught]["Error"] == "MyDomainError"
        assert json.loads(output[caught]["Cause"])["errorType"] == "MyDomainError"

    history = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
    wait_entered = next(e["timestamp"] for e in history if e["type"] == "WaitStateEntered")
    wait_exited = next(e["timestamp"] for e in history if e["type"] == "WaitStateExited")
    assert timedelta(hours=1) <= wait_exited - wait_entered < timedelta(hours=1, seconds=5)
    # One hour of Wait plus retry intervals of 600 s and 1,200 s on the integration.
    assert described["stopDate"] - described["startDate"] >= timedelta(hours=1, seconds=1800)
    # Loose: the wall time itself is a benchmark figure, not a test threshold.
    assert wall < 30
    print(f"fixture execution: {wall:.3f} s of wall time")


def test_reset_forgets_every_resource(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    # Last in the module: moto's state is process-wide.
    sandbox.reset()
    assert sandbox.client("cloudformation").list_stacks()["StackSummaries"] == []
    assert sandbox.client("stepfunctions").list_state_machines()["stateMachines"] == []
