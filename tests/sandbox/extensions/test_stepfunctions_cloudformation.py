"""State machines from CloudFormation stacks run, with DefinitionSubstitutions; unnamed executions get a UUID."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from moto.stepfunctions.models import StateMachine
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from restore_sync_sandbox.server import Sandbox

DEFINITION = {
    "StartAt": "Say",
    "States": {"Say": {"Type": "Pass", "Result": {"queue": "${QueueUrl}", "note": "${Note}"}, "End": True}},
}


def template(definition_property: str, note: str = "first", comment: str = "") -> dict[str, Any]:
    with_comment = {**DEFINITION, "Comment": comment}
    definition: Any = with_comment if definition_property == "Definition" else json.dumps(with_comment)
    return {
        "Parameters": {"Note": {"Type": "String", "Default": note}},
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "states.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                },
            },
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    definition_property: definition,
                    "DefinitionSubstitutions": {"QueueUrl": {"Ref": "Queue"}, "Note": {"Ref": "Note"}},
                    "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                },
            },
        },
        "Outputs": {"Machine": {"Value": {"Ref": "Machine"}}, "Queue": {"Value": {"Ref": "Queue"}}},
    }


def outputs(sandbox: Sandbox, stack: str) -> dict[str, str]:
    described = sandbox.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}


def test_moto_still_has_the_patched_methods() -> None:
    for name in (
        "create_from_cloudformation_json",
        "update_from_cloudformation_json",
        "delete_from_cloudformation_json",
    ):
        assert name in vars(StateMachine), f"StateMachine.{name} is gone from moto"
    assert "start_execution" in vars(StepFunctionsParserBackend)


@pytest.mark.parametrize("definition_property", ["Definition", "DefinitionString"])
def test_stack_state_machine_runs_with_substitutions_and_goes_with_the_stack(
    sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]], definition_property: str
) -> None:
    cfn = sandbox.client("cloudformation")
    sfn = sandbox.client("stepfunctions")
    stack = f"machine-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=stack, TemplateBody=json.dumps(template(definition_property)))
    made = outputs(sandbox, stack)

    execution = sfn.start_execution(stateMachineArn=made["Machine"], name="first", input="{}")
    described = wait_for_execution(execution["executionArn"])

    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"queue": made["Queue"], "note": "first"}
    cfn.delete_stack(StackName=stack)
    assert made["Machine"] not in [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]]


def test_stack_update_changes_the_definition_in_place(sandbox: Sandbox) -> None:
    cfn = sandbox.client("cloudformation")
    stack = f"machine-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=stack, TemplateBody=json.dumps(template("Definition")))
    arn = outputs(sandbox, stack)["Machine"]

    cfn.update_stack(StackName=stack, TemplateBody=json.dumps(template("Definition", note="second", comment="changed")))

    definition = json.loads(sandbox.client("stepfunctions").describe_state_machine(stateMachineArn=arn)["definition"])
    assert definition["Comment"] == "changed"
    assert definition["States"]["Say"]["Result"]["note"] == "second"


def test_unnamed_executions_get_distinct_uuid_names(
    sandbox: Sandbox, wait_for_execution: Callable[..., dict[str, Any]]
) -> None:
    sfn = sandbox.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"unnamed-{uuid.uuid4().hex[:8]}",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        roleArn="arn:aws:iam::123456789012:role/sfn-role",
    )
    arns = [sfn.start_execution(stateMachineArn=machine["stateMachineArn"])["executionArn"] for _ in range(2)]

    names = [wait_for_execution(arn)["name"] for arn in arns]

    assert len(set(names)) == 2
    for arn, name in zip(arns, names, strict=True):
        assert arn.endswith(f":{name}")
        assert uuid.UUID(name)
