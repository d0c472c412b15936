"""Change sets describe Replacement and Details, fail when empty, and are scoped to their stack, as in AWS."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation import responses as cfn_responses

from restore_sync_sandbox.extensions import cloudformation_changesets

REGION = "us-east-1"
STACK = "governance"
TABLE = "orders-restored"

BASE: dict[str, Any] = {
    "Resources": {
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "TableName": TABLE,
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST",
            },
        }
    }
}


@pytest.fixture
def cfn() -> Iterator[Any]:
    cloudformation_changesets.install()
    with mock_aws():
        client = boto3.client("cloudformation", region_name=REGION)
        client.create_stack(StackName=STACK, TemplateBody=json.dumps(BASE))
        yield client


def change_set(client: Any, template: dict[str, Any], name: str, stack: str = STACK) -> dict[str, Any]:
    client.create_change_set(
        StackName=stack, ChangeSetName=name, ChangeSetType="UPDATE", TemplateBody=json.dumps(template)
    )
    described: dict[str, Any] = client.describe_change_set(StackName=stack, ChangeSetName=name)
    return described


def with_props(**props: Any) -> dict[str, Any]:
    template = copy.deepcopy(BASE)
    template["Resources"]["Table"]["Properties"].update(props)
    return template


def test_patched_moto_attributes_still_exist() -> None:
    for key, owner, attribute, _ in cloudformation_changesets.PATCHES:
        assert hasattr(owner, attribute), key
    assert hasattr(cfn_models.ChangeSet, "diff")
    assert hasattr(cfn_parsing.ResourceMap, "_delete_resource")
    assert hasattr(cfn_responses, "ChangeDTO")
    cloudformation_changesets.install()
    assert cfn_models.ChangeSet.diff is cloudformation_changesets._diff


def test_property_change_is_a_modify_without_replacement(cfn: Any) -> None:
    described = change_set(cfn, with_props(DeletionProtectionEnabled=True), "protect")
    assert described["Status"] == "CREATE_COMPLETE"
    assert described["ExecutionStatus"] == "AVAILABLE"
    [change] = described["Changes"]
    resource_change = change["ResourceChange"]
    assert resource_change["Action"] == "Modify"
    assert resource_change["Replacement"] == "False"
    assert resource_change["PhysicalResourceId"] == TABLE
    assert resource_change["Scope"] == ["Properties"]
    [detail] = resource_change["Details"]
    assert detail["Target"]["Attribute"] == "Properties"
    assert detail["Target"]["Name"] == "DeletionProtectionEnabled"
    assert detail["Target"]["RequiresRecreation"] == "Never"
    assert detail["Evaluation"] == "Static"
    assert detail["ChangeSource"] == "DirectModification"


def test_key_schema_change_means_replacement(cfn: Any) -> None:
    template = with_props(
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    [change] = change_set(cfn, template, "keys")["Changes"]
    assert change["ResourceChange"]["Replacement"] == "True"
    recreate = {d["Target"]["Name"]: d["Target"]["RequiresRecreation"] for d in change["ResourceChange"]["Details"]}
    assert recreate["KeySchema"] == "Always"
    assert change["ResourceChange"]["PolicyAction"] == "ReplaceAndRetain"


def test_retyping_an_attribute_definition_means_replacement_but_adding_one_does_not(cfn: Any) -> None:
    retyped = with_props(AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "N"}])
    assert change_set(cfn, retyped, "retype")["Changes"][0]["ResourceChange"]["Replacement"] == "True"
    added = with_props(
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "gsi", "AttributeType": "S"},
        ]
    )
    assert change_set(cfn, added, "add")["Changes"][0]["ResourceChange"]["Replacement"] == "False"


def test_removed_table_is_a_remove(cfn: Any) -> None:
    template = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q"}}}}
    changes = {
        c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"]
        for c in change_set(cfn, template, "rm")["Changes"]
    }
    assert changes["Table"]["Action"] == "Remove"
    assert changes["Table"]["PolicyAction"] == "Retain"
    assert changes["Queue"]["Action"] == "Add"


def test_identical_template_fails_with_the_aws_reason(cfn: Any) -> None:
    described = change_set(cfn, copy.deepcopy(BASE), "same")
    assert described["Status"] == "FAILED"
    assert described["ExecutionStatus"] == "UNAVAILABLE"
    assert described["StatusReason"] == (
        "The submitted information didn't contain changes. Submit different information to create a change set."
    )
    assert described["Changes"] == []
    with pytest.raises(ClientError) as refused:
        cfn.execute_change_set(StackName=STACK, ChangeSetName="same")
    assert refused.value.response["Error"]["Code"] == "InvalidChangeSetStatus"


def test_policy_only_change_is_no_change_but_an_output_is(cfn: Any) -> None:
    template = copy.deepcopy(BASE)
    template["Resources"]["Table"]["DeletionPolicy"] = "Delete"
    assert change_set(cfn, template, "policy")["Status"] == "FAILED"
    template = copy.deepcopy(BASE)
    template["Outputs"] = {"TableName": {"Value": {"Ref": "Table"}}}
    described = change_set(cfn, template, "outputs")
    assert described["Status"] == "CREATE_COMPLETE"
    assert described["Changes"] == []


def test_change_set_names_are_per_stack(cfn: Any) -> None:
    other = copy.deepcopy(BASE)
    other["Resources"]["Table"]["Properties"]["TableName"] = "other-table"
    cfn.create_stack(StackName="other", TemplateBody=json.dumps(other))
    change_set(cfn, with_props(DeletionProtectionEnabled=True), "settings")
    other["Resources"]["Table"]["Properties"]["DeletionProtectionEnabled"] = True
    change_set(cfn, other, "settings", stack="other")
    described = cfn.describe_change_set(StackName="other", ChangeSetName="settings")
    assert described["StackName"] == "other"
    summaries = cfn.list_change_sets(StackName=STACK)["Summaries"]
    assert [s["StackName"] for s in summaries] == [STACK]
    with pytest.raises(ClientError) as duplicate:
        change_set(cfn, with_props(DeletionProtectionEnabled=False), "settings")
    assert duplicate.value.response["Error"]["Code"] == "AlreadyExistsException"
    with pytest.raises(ClientError) as missing:
        cfn.describe_change_set(StackName=STACK, ChangeSetName="nope")
    assert missing.value.response["Error"]["Code"] == "ChangeSetNotFound"


def test_execute_completes_and_deletes_the_other_change_sets(cfn: Any) -> None:
    change_set(cfn, with_props(DeletionProtectionEnabled=True), "first")
    change_set(cfn, with_props(DeletionProtectionEnabled=False), "second")
    cfn.execute_change_set(StackName=STACK, ChangeSetName="first")
    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    names = [s["ChangeSetName"] for s in cfn.list_change_sets(StackName=STACK)["Summaries"]]
    assert names == ["first"]
    assert cfn.describe_change_set(StackName=STACK, ChangeSetName="first")["ExecutionStatus"] == "EXECUTE_COMPLETE"
    template = cfn.get_template(StackName=STACK)["TemplateBody"]
    body = template if isinstance(template, dict) else json.loads(template)
    assert body["Resources"]["Table"]["Properties"]["DeletionProtectionEnabled"] is True


def test_get_template_of_a_change_set(cfn: Any) -> None:
    change_set(cfn, with_props(DeletionProtectionEnabled=True), "pending")
    template = cfn.get_template(StackName=STACK, ChangeSetName="pending")["TemplateBody"]
    body = template if isinstance(template, dict) else json.loads(template)
    assert body["Resources"]["Table"]["Properties"]["DeletionProtectionEnabled"] is True


def test_a_failed_update_names_the_resource_and_the_handlers_message(cfn: Any) -> None:
    template = copy.deepcopy(BASE)
    template["Resources"]["Worker"] = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Runtime": "python3.12",
            "Handler": "index.handler",
            "Role": "arn:aws:iam::123456789012:role/no-such-role",
            "Code": {"ZipFile": "def handler(event, context):\n    return event\n"},
        },
    }
    change_set(cfn, template, "worker")
    cfn.execute_change_set(StackName=STACK, ChangeSetName="worker")
    stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert stack["StackStatusReason"].startswith("The following resource(s) failed to create: [Worker]. ")
    assert "cannot be assumed by Lambda" in stack["StackStatusReason"]
    assert "{" not in stack["StackStatusReason"]  # the message, not the error's JSON body
