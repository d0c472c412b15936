"""Stacks set, replace and remove a queue's Policy through AWS::SQS::QueuePolicy, as CloudFormation does."""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.cloudformation import parsing as cfn_parsing
from moto.core.common_models import CloudFormationModel
from moto.sqs.models import SQSBackend

from restore_sync_sandbox.deploy import load_template, unsupported_resources
from restore_sync_sandbox.extensions import cloudformation_sqs_queue_policy as queue_policy

REGION = "us-east-1"
STACK = "queues"
REPO = Path(__file__).resolve().parents[3]


def statement(sid: str, rule: str) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
        "Condition": {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule, "Arn"]}}},
    }


BASE: dict[str, Any] = {
    "Resources": {
        # Retained so that, after the stack is gone, the test can see the policy was removed from it.
        "DeadLetterQueue": {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain"},
        "OtherQueue": {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain"},
        "FirstRule": {
            "Type": "AWS::Events::Rule",
            "Properties": {"EventPattern": {"source": ["aws.dynamodb"]}, "State": "ENABLED"},
        },
        "SecondRule": {
            "Type": "AWS::Events::Rule",
            "Properties": {"EventPattern": {"source": ["aws.states"]}, "State": "ENABLED"},
        },
        "DeadLetterQueuePolicy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [{"Ref": "DeadLetterQueue"}],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [statement("FromRule", "FirstRule")]},
            },
        },
    },
    "Outputs": {
        "PolicyRef": {"Value": {"Ref": "DeadLetterQueuePolicy"}},
        "PolicyId": {"Value": {"Fn::GetAtt": ["DeadLetterQueuePolicy", "Id"]}},
        "DeadLetterQueue": {"Value": {"Ref": "DeadLetterQueue"}},
        "OtherQueue": {"Value": {"Ref": "OtherQueue"}},
        "FirstRule": {"Value": {"Fn::GetAtt": ["FirstRule", "Arn"]}},
        "SecondRule": {"Value": {"Fn::GetAtt": ["SecondRule", "Arn"]}},
    },
}


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    queue_policy.install()
    with mock_aws(), warnings.catch_warnings():
        # moto warns "Tried to parse ... but it's not supported" for a skipped resource: make that a failure.
        warnings.simplefilter("error", UserWarning)
        cfn = boto3.client("cloudformation", region_name=REGION)
        cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(BASE))
        yield {"cfn": cfn, "sqs": boto3.client("sqs", region_name=REGION), "template": copy.deepcopy(BASE)}


def outputs(cfn: Any) -> dict[str, str]:
    stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def policy_of(sqs: Any, queue_url: str) -> dict[str, Any] | None:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["Policy"]).get("Attributes", {})
    return json.loads(attributes["Policy"]) if "Policy" in attributes else None


def update(cfn: Any, template: dict[str, Any]) -> None:
    cfn.update_stack(StackName=STACK, TemplateBody=json.dumps(template))
    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"


def test_moto_still_builds_its_model_map_from_cloudformation_model_subclasses() -> None:
    for name in queue_policy.MODEL_CACHES:
        assert callable(getattr(getattr(cfn_parsing, name), "cache_clear", None)), f"parsing.{name} changed"
    assert queue_policy.QueuePolicy in CloudFormationModel.__subclasses__()
    assert callable(getattr(SQSBackend, "set_queue_attributes", None)), "SQSBackend.set_queue_attributes is gone"
    queue_policy.install()
    queue_policy.install()
    assert cfn_parsing.get_model_map()[queue_policy.RESOURCE_TYPE] is queue_policy.QueuePolicy


def test_the_stack_sets_the_policy_with_its_source_arn_condition(aws: dict[str, Any]) -> None:
    made = outputs(aws["cfn"])
    policy = policy_of(aws["sqs"], made["DeadLetterQueue"])
    assert policy is not None
    [granted] = policy["Statement"]
    queue_arn = aws["sqs"].get_queue_attributes(QueueUrl=made["DeadLetterQueue"], AttributeNames=["QueueArn"])
    assert granted["Resource"] == queue_arn["Attributes"]["QueueArn"]
    assert granted["Condition"] == {"ArnEquals": {"aws:SourceArn": made["FirstRule"]}}
    assert policy_of(aws["sqs"], made["OtherQueue"]) is None


def test_the_policy_has_a_generated_id(aws: dict[str, Any]) -> None:
    made = outputs(aws["cfn"])
    assert made["PolicyRef"] == made["PolicyId"]
    assert made["PolicyRef"].startswith(f"{STACK}-DeadLetterQueuePolicy-")
    resource = aws["cfn"].describe_stack_resource(StackName=STACK, LogicalResourceId="DeadLetterQueuePolicy")
    assert resource["StackResourceDetail"]["PhysicalResourceId"] == made["PolicyRef"]
    assert resource["StackResourceDetail"]["ResourceType"] == "AWS::SQS::QueuePolicy"


def test_an_update_replaces_the_document_and_keeps_the_id(aws: dict[str, Any]) -> None:
    before = outputs(aws["cfn"])
    template = aws["template"]
    template["Resources"]["DeadLetterQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"] = [
        statement("FromSecondRule", "SecondRule")
    ]
    update(aws["cfn"], template)

    after = outputs(aws["cfn"])
    policy = policy_of(aws["sqs"], after["DeadLetterQueue"])
    assert policy is not None
    assert [s["Sid"] for s in policy["Statement"]] == ["FromSecondRule"]
    assert policy["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"] == after["SecondRule"]
    assert after["PolicyRef"] == before["PolicyRef"]


def test_an_update_moves_the_policy_to_the_queues_now_listed(aws: dict[str, Any]) -> None:
    template = aws["template"]
    template["Resources"]["DeadLetterQueuePolicy"]["Properties"]["Queues"] = [{"Ref": "OtherQueue"}]
    update(aws["cfn"], template)

    made = outputs(aws["cfn"])
    assert policy_of(aws["sqs"], made["DeadLetterQueue"]) is None
    assert policy_of(aws["sqs"], made["OtherQueue"]) is not None


def test_removing_the_resource_from_the_template_removes_the_policy(aws: dict[str, Any]) -> None:
    template = aws["template"]
    del template["Resources"]["DeadLetterQueuePolicy"]
    template["Outputs"] = {k: v for k, v in template["Outputs"].items() if not k.startswith("Policy")}
    update(aws["cfn"], template)

    assert policy_of(aws["sqs"], outputs(aws["cfn"])["DeadLetterQueue"]) is None


def test_deleting_the_stack_removes_the_policy(aws: dict[str, Any]) -> None:
    queue_url = outputs(aws["cfn"])["DeadLetterQueue"]
    aws["cfn"].delete_stack(StackName=STACK)

    assert queue_url in aws["sqs"].list_queues()["QueueUrls"]
    assert policy_of(aws["sqs"], queue_url) is None


def test_deleting_a_stack_whose_queue_goes_with_it_succeeds(aws: dict[str, Any]) -> None:
    template = {
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Policy": {
                "Type": "AWS::SQS::QueuePolicy",
                "Properties": {
                    "Queues": [{"Ref": "Queue"}],
                    "PolicyDocument": json.dumps({"Version": "2012-10-17", "Statement": [statement("S", "FirstRule")]}),
                },
            },
            "FirstRule": BASE["Resources"]["FirstRule"],
        }
    }
    aws["cfn"].create_stack(StackName="transient", TemplateBody=json.dumps(template))
    aws["cfn"].delete_stack(StackName="transient")

    assert not any("transient" in url for url in aws["sqs"].list_queues().get("QueueUrls", []))


def test_a_queue_that_does_not_exist_fails_the_stack(aws: dict[str, Any]) -> None:
    template = copy.deepcopy(BASE)
    template["Resources"]["DeadLetterQueuePolicy"]["Properties"]["Queues"] = [
        "https://sqs.us-east-1.amazonaws.com/123456789012/no-such-queue"
    ]
    with pytest.raises(ClientError, match="NonExistentQueue"):
        aws["cfn"].create_stack(StackName="missing", TemplateBody=json.dumps(template))


def test_deploy_no_longer_reports_the_app_queue_policy_as_unsupported() -> None:
    queue_policy.install()
    # A plain CloudFormation resource, which the SAM transform leaves as it is.
    template = load_template(REPO / "template.yaml")
    assert template["Resources"]["DeadLetterQueuePolicy"]["Type"] == "AWS::SQS::QueuePolicy"
    assert "DeadLetterQueuePolicy" not in unsupported_resources(template)
