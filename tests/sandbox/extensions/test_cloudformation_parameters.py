"""A list parameter's default resolves to a list, as in AWS (moto: a single string)."""

from __future__ import annotations

import json

import boto3
from moto import mock_aws
from moto.cloudformation.parsing import ResourceMap

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
