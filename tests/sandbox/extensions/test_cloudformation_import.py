"""IMPORT change sets adopt an existing DynamoDB table into a stack without touching it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.cloudformation import responses as cfn_responses

from restore_sync_sandbox.extensions import cloudformation_changesets, cloudformation_import

REGION = "us-east-1"
TABLE = "orders-restored"
ROLE = "arn:aws:iam::123456789012:role/cfn-service-role"


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    cloudformation_import.install()
    with mock_aws():
        yield {
            "ddb": boto3.client("dynamodb", region_name=REGION),
            "cfn": boto3.client("cloudformation", region_name=REGION),
        }


def make_table(ddb: Any, items: int = 5) -> None:
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for n in range(items):
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": f"item-{n}"}, "n": {"N": str(n)}})


def import_template(deletion_policy: str | None = "Retain", extra: dict[str, Any] | None = None) -> str:
    table: dict[str, Any] = {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "TableName": TABLE,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    }
    if deletion_policy:
        table["DeletionPolicy"] = deletion_policy
        table["UpdateReplacePolicy"] = deletion_policy
    return json.dumps({"Resources": {"Table": table, **(extra or {})}})


def create_import(cfn: Any, template: str, stack: str = "governance", name: str = "import") -> dict[str, Any]:
    result: dict[str, Any] = cfn.create_change_set(
        StackName=stack,
        ChangeSetName=name,
        ChangeSetType="IMPORT",
        TemplateBody=template,
        ResourcesToImport=[
            {
                "ResourceType": "AWS::DynamoDB::Table",
                "LogicalResourceId": "Table",
                "ResourceIdentifier": {"TableName": TABLE},
            }
        ],
        RoleARN=ROLE,
    )
    return result


def test_patched_moto_attributes_still_exist() -> None:
    assert callable(cfn_responses.CloudFormationResponse.create_change_set)
    assert "IMPORT" in cloudformation_changesets.CHANGE_SET_EXECUTORS or not cloudformation_import._originals
    cloudformation_import.install()
    assert cloudformation_changesets.CHANGE_SET_EXECUTORS["IMPORT"] is cloudformation_import.execute_import


def test_import_adopts_the_existing_table_with_its_items(aws: dict[str, Any]) -> None:
    ddb, cfn = aws["ddb"], aws["cfn"]
    make_table(ddb, items=7)
    created_at = ddb.describe_table(TableName=TABLE)["Table"]["CreationDateTime"]

    create_import(cfn, import_template())
    assert cfn.describe_stacks(StackName="governance")["Stacks"][0]["StackStatus"] == "REVIEW_IN_PROGRESS"
    change_set = cfn.describe_change_set(StackName="governance", ChangeSetName="import")
    assert change_set["Status"] == "CREATE_COMPLETE"
    assert change_set["ExecutionStatus"] == "AVAILABLE"
    [change] = change_set["Changes"]
    assert change["ResourceChange"]["Action"] == "Import"
    assert change["ResourceChange"]["LogicalResourceId"] == "Table"
    assert change["ResourceChange"]["PhysicalResourceId"] == TABLE

    cfn.execute_change_set(StackName="governance", ChangeSetName="import")

    stack = cfn.describe_stacks(StackName="governance")["Stacks"][0]
    assert stack["StackStatus"] == "IMPORT_COMPLETE"
    [resource] = cfn.list_stack_resources(StackName="governance")["StackResourceSummaries"]
    assert resource["LogicalResourceId"] == "Table"
    assert resource["PhysicalResourceId"] == TABLE
    assert resource["ResourceType"] == "AWS::DynamoDB::Table"
    described = ddb.describe_table(TableName=TABLE)["Table"]
    assert described["ItemCount"] == 7
    assert described["CreationDateTime"] == created_at
    assert ddb.scan(TableName=TABLE)["Count"] == 7
    assert "Table" in json.dumps(cfn.get_template(StackName="governance")["TemplateBody"])
    executed = cfn.describe_change_set(StackName="governance", ChangeSetName="import")
    assert executed["ExecutionStatus"] == "EXECUTE_COMPLETE"


def test_import_is_refused_without_a_deletion_policy(aws: dict[str, Any]) -> None:
    make_table(aws["ddb"])
    with pytest.raises(ClientError) as refused:
        create_import(aws["cfn"], import_template(deletion_policy=None))
    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert "must have DeletionPolicy attribute specified" in refused.value.response["Error"]["Message"]


def test_a_table_another_stack_still_holds_is_refused_even_deleted_and_made_again(aws: dict[str, Any]) -> None:
    aws["cfn"].create_stack(StackName="application", TemplateBody=import_template())
    aws["ddb"].delete_table(TableName=TABLE)
    make_table(aws["ddb"])
    with pytest.raises(ClientError) as refused:
        create_import(aws["cfn"], import_template())
    assert refused.value.response["Error"]["Message"] == (
        "Resources [Table] passed in ResourceToImport are already in a stack and cannot be imported."
    )


def test_import_of_a_missing_table_fails_the_change_set(aws: dict[str, Any]) -> None:
    create_import(aws["cfn"], import_template())
    change_set = aws["cfn"].describe_change_set(StackName="governance", ChangeSetName="import")
    assert change_set["Status"] == "FAILED"
    assert change_set["ExecutionStatus"] == "UNAVAILABLE"
    assert TABLE in change_set["StatusReason"]


def test_import_cannot_add_other_resources(aws: dict[str, Any]) -> None:
    make_table(aws["ddb"])
    queue = {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q"}}}
    with pytest.raises(ClientError) as refused:
        create_import(aws["cfn"], import_template(extra=queue))
    assert "not being imported" in refused.value.response["Error"]["Message"]


def test_deleting_the_stack_keeps_the_imported_table(aws: dict[str, Any]) -> None:
    ddb, cfn = aws["ddb"], aws["cfn"]
    make_table(ddb, items=3)
    create_import(cfn, import_template())
    cfn.execute_change_set(StackName="governance", ChangeSetName="import")
    cfn.delete_stack(StackName="governance")
    assert ddb.describe_table(TableName=TABLE)["Table"]["ItemCount"] == 3


def test_import_into_an_existing_stack(aws: dict[str, Any]) -> None:
    ddb, cfn = aws["ddb"], aws["cfn"]
    make_table(ddb)
    queue = {"Queue": {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain", "Properties": {"QueueName": "q"}}}
    cfn.create_stack(StackName="existing", TemplateBody=json.dumps({"Resources": queue}))
    create_import(cfn, import_template(extra=queue), stack="existing")
    cfn.execute_change_set(StackName="existing", ChangeSetName="import")
    assert cfn.describe_stacks(StackName="existing")["Stacks"][0]["StackStatus"] == "IMPORT_COMPLETE"
    ids = {r["LogicalResourceId"] for r in cfn.list_stack_resources(StackName="existing")["StackResourceSummaries"]}
    assert ids == {"Queue", "Table"}


def test_an_imported_table_takes_updates_in_place(aws: dict[str, Any]) -> None:
    ddb, cfn = aws["ddb"], aws["cfn"]
    make_table(ddb, items=4)
    create_import(cfn, import_template())
    cfn.execute_change_set(StackName="governance", ChangeSetName="import")
    template = json.loads(import_template())
    template["Resources"]["Table"]["Properties"]["TimeToLiveSpecification"] = {
        "AttributeName": "expires",
        "Enabled": True,
    }
    cfn.create_change_set(
        StackName="governance", ChangeSetName="ttl", ChangeSetType="UPDATE", TemplateBody=json.dumps(template)
    )
    [change] = cfn.describe_change_set(StackName="governance", ChangeSetName="ttl")["Changes"]
    assert change["ResourceChange"]["Action"] == "Modify"
    assert change["ResourceChange"]["Replacement"] == "False"
    cfn.execute_change_set(StackName="governance", ChangeSetName="ttl")
    assert cfn.describe_stacks(StackName="governance")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    assert ddb.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"
    assert ddb.describe_table(TableName=TABLE)["Table"]["ItemCount"] == 4
