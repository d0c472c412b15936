"""An inline template over 51,200 bytes is refused as AWS refuses it; the same template through S3 is accepted."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.cloudformation import responses as cfn_responses

from restore_sync_sandbox.extensions import cloudformation_template_size as template_size


def template(size: int) -> str:
    """A template of exactly `size` bytes: one queue, padded with a description."""
    body = {"Description": "", "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}
    padding = size - len(json.dumps(body).encode())
    body["Description"] = "x" * padding
    text = json.dumps(body)
    assert len(text.encode()) == size
    return text


def test_patched_methods_still_exist_in_moto() -> None:
    for name in template_size.OPERATIONS:
        assert callable(getattr(cfn_responses.CloudFormationResponse, name))


def test_the_limit_is_51200_bytes_counted_in_utf8() -> None:
    assert template_size.refusal("x" * 51_200) is None
    assert "51200" in (template_size.refusal("x" * 51_201) or "")
    assert template_size.refusal("é" * 25_601) is not None, "two bytes a character: 51,202 bytes"


@mock_aws
def test_an_inline_template_over_the_limit_is_refused_and_nothing_is_created() -> None:
    template_size.install()
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    cfn.create_stack(StackName="at-the-limit", TemplateBody=template(51_200))
    with pytest.raises(ClientError) as refused:
        cfn.create_stack(StackName="over-the-limit", TemplateBody=template(51_201))
    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert "less than or equal to 51200" in refused.value.response["Error"]["Message"]
    with pytest.raises(ClientError, match="51200"):
        cfn.create_change_set(
            StackName="at-the-limit", ChangeSetName="big", ChangeSetType="UPDATE", TemplateBody=template(60_000)
        )
    with pytest.raises(ClientError, match="51200"):
        cfn.validate_template(TemplateBody=template(60_000))
    names = [s["StackName"] for s in cfn.describe_stacks()["Stacks"]]
    assert names == ["at-the-limit"]
    assert cfn.list_change_sets(StackName="at-the-limit")["Summaries"] == []


@mock_aws
def test_a_large_template_passed_through_s3_is_accepted() -> None:
    template_size.install()
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="templates")
    s3.put_object(Bucket="templates", Key="big.json", Body=template(60_000).encode())
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    cfn.create_stack(StackName="from-s3", TemplateURL="https://templates.s3.us-east-1.amazonaws.com/big.json")
    assert cfn.describe_stacks(StackName="from-s3")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
