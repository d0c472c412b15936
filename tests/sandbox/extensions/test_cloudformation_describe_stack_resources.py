"""DescribeStackResources by PhysicalResourceId names the stack that holds a resource, deleted outside it or not."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.cloudformation import responses as cfn_responses

from restore_sync_sandbox.extensions import cloudformation_describe_stack_resources

TABLE = {
    "Type": "AWS::DynamoDB::Table",
    "Properties": {
        "TableName": "ledger",
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    },
}


def test_moto_still_has_the_patched_method() -> None:
    cloudformation_describe_stack_resources.install()
    patched = cfn_responses.CloudFormationResponse.describe_stack_resources
    assert getattr(patched, "_restore_sync_by_physical_id", False)


@mock_aws
def test_the_holding_stack_is_found_by_the_physical_id_and_a_name_no_stack_holds_is_refused() -> None:
    cloudformation_describe_stack_resources.install()
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    cfn.create_stack(StackName="application", TemplateBody=json.dumps({"Resources": {"Ledger": TABLE}}))
    boto3.client("dynamodb", region_name="us-east-1").delete_table(TableName="ledger")

    [resource] = cfn.describe_stack_resources(PhysicalResourceId="ledger")["StackResources"]
    assert (resource["StackName"], resource["LogicalResourceId"]) == ("application", "Ledger")

    with pytest.raises(ClientError) as missing:
        cfn.describe_stack_resources(PhysicalResourceId="journal")
    assert missing.value.response["Error"]["Message"] == "Stack for journal does not exist"
