"""A list parameter's default resolves to a list, as in AWS (moto: a single string)."""

from __future__ import annotations

import json

import boto3
from moto import mock_aws
from moto.cloudformation.parsing import ResourceMap

from restore_sync_sandbox.examples import LAMBDA_TRUST
from restore_sync_sandbox.extensions import cloudformation_parameters

TEMPLATE = {
    "Parameters": {
        "Names": {"Type": "CommaDelimitedList", "Default": "a,b,c"},
        "Passed": {"Type": "CommaDelimitedList", "Default": "x"},
    },
    "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
    "Outputs": {
        "Joined": {"Value": {"Fn::Join": ["+", {"Ref": "Names"}]}},
        "JoinedPassed": {"Value": {"Fn::Join": ["+", {"Ref": "Passed"}]}},
        "Second": {"Value": {"Fn::Select": [1, {"Ref": "Names"}]}},
    },
}


def test_patched_method_still_exists_in_moto() -> None:
    assert callable(ResourceMap.load_parameters)


@mock_aws
def test_default_of_a_list_parameter_is_a_list() -> None:
    cloudformation_parameters.install()
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    cfn.create_stack(
        StackName="lists",
        TemplateBody=json.dumps(TEMPLATE),
        Parameters=[{"ParameterKey": "Passed", "ParameterValue": "p,q"}],
    )
    outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="lists")["Stacks"][0]["Outputs"]}
    assert outputs == {"Joined": "a+b+c", "JoinedPassed": "p+q", "Second": "b"}


def test_install_twice_is_harmless() -> None:
    cloudformation_parameters.install()
    first = ResourceMap.load_parameters
    cloudformation_parameters.install()
    assert ResourceMap.load_parameters is first


@mock_aws
def test_a_number_parameter_is_text_where_it_is_used_as_in_aws() -> None:
    cloudformation_parameters.install()
    role = boto3.client("iam", region_name="us-east-1").create_role(
        RoleName="numbers", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST)
    )["Role"]["Arn"]
    template = {
        "Parameters": {
            "Days": {"Type": "Number", "Default": 40},
            "Rate": {"Type": "Number", "Default": 1},
            "Sizes": {"Type": "List<Number>", "Default": "1,2"},
        },
        "Resources": {
            "Function": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": role,
                    "Code": {"ZipFile": "def handler(event, context):\n    return None\n"},
                    "Environment": {
                        "Variables": {
                            "DAYS": {"Ref": "Days"},
                            "RATE": {"Ref": "Rate"},
                            "FIRST_SIZE": {"Fn::Select": [0, {"Ref": "Sizes"}]},
                        }
                    },
                },
            }
        },
    }
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    cfn.create_stack(
        StackName="numbers",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "Rate", "ParameterValue": "1.50"}],
    )
    name = cfn.describe_stack_resource(StackName="numbers", LogicalResourceId="Function")["StackResourceDetail"][
        "PhysicalResourceId"
    ]
    variables = boto3.client("lambda", region_name="us-east-1").get_function_configuration(FunctionName=name)[
        "Environment"
    ]["Variables"]
    assert variables == {"DAYS": "40", "RATE": "1.50", "FIRST_SIZE": "1"}
