"""Change sets create, update, replace and delete Lambda event source mappings on a table's stream, as in AWS."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.awslambda.models import EventSourceMapping, LambdaBackend
from moto.dynamodb.models import dynamodb_backends

from restore_sync_sandbox.examples import stream_reader
from restore_sync_sandbox.extensions import (
    cloudformation_changesets,
    cloudformation_dynamodb_table,
    cloudformation_event_source_mapping,
)
from tests.sandbox.extensions.governance import STACK, outputs, run_change_set, stack

REGION = "us-east-1"
ACCOUNT = "123456789012"
TABLE = "orders-restored"
MISSING_FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:no-such-function"

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
                "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
            },
        }
    }
}


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def _function(lam: Any, iam: Any, name: str) -> str:
    role = iam.create_role(
        RoleName=f"{name}-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )["Role"]["Arn"]
    iam.put_role_policy(RoleName=f"{name}-role", PolicyName="streams", PolicyDocument=json.dumps(stream_reader("*")))
    created = lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler="handler.handler", Code={"ZipFile": _zip()}
    )
    arn: str = created["FunctionArn"]
    return arn


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    cloudformation_changesets.install()
    cloudformation_dynamodb_table.install()
    cloudformation_event_source_mapping.install()
    with mock_aws():
        cfn = boto3.client("cloudformation", region_name=REGION)
        lam = boto3.client("lambda", region_name=REGION)
        iam = boto3.client("iam", region_name=REGION)
        cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(BASE))
        stream = boto3.client("dynamodb", region_name=REGION).describe_table(TableName=TABLE)["Table"][
            "LatestStreamArn"
        ]
        yield {
            "cfn": cfn,
            "lambda": lam,
            "stream": stream,
            "function": _function(lam, iam, "consumer"),
            "other": _function(lam, iam, "auditor"),
        }


def mapping_resource(function: str, **props: Any) -> dict[str, Any]:
    properties = {
        "EventSourceArn": {"Fn::GetAtt": ["Table", "StreamArn"]},
        "FunctionName": function,
        "StartingPosition": "TRIM_HORIZON",
        **props,
    }
    return {"Type": "AWS::Lambda::EventSourceMapping", "Properties": properties}


def template_with(**resources: Any) -> dict[str, Any]:
    template = copy.deepcopy(BASE)
    template["Resources"].update(resources)
    template["Outputs"] = {f"{name}Ref": {"Value": {"Ref": name}} for name in resources} | {
        f"{name}Arn": {"Value": {"Fn::GetAtt": [name, "EventSourceMappingArn"]}} for name in resources
    }
    return template


def mappings(aws: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = aws["lambda"].list_event_source_mappings(EventSourceArn=aws["stream"])[
        "EventSourceMappings"
    ]
    return found


def delivering_functions() -> list[str]:
    # moto's DynamoDB streams deliver records to the mappings in this map.
    table = dynamodb_backends[ACCOUNT][REGION].tables[TABLE]
    return sorted(table.lambda_event_source_mappings)


def test_patched_moto_attributes_still_exist() -> None:
    for key, owner, attribute, _ in cloudformation_event_source_mapping.PATCHES:
        assert key in cloudformation_event_source_mapping.ADDED or hasattr(owner, attribute), key
    assert hasattr(EventSourceMapping, "delete")
    assert callable(getattr(LambdaBackend, "get_function", None))
    cloudformation_event_source_mapping.install()
    cloudformation_event_source_mapping.install()
    assert LambdaBackend.delete_event_source_mapping is cloudformation_event_source_mapping._backend_delete


def test_a_mapping_is_added_with_every_property(aws: dict[str, Any]) -> None:
    props = {
        "Enabled": True,
        "BatchSize": 50,
        "MaximumBatchingWindowInSeconds": 5,
        "BisectBatchOnFunctionError": True,
        "MaximumRetryAttempts": 3,
        "MaximumRecordAgeInSeconds": 3600,
        "ParallelizationFactor": 2,
        "TumblingWindowInSeconds": 30,
        "FilterCriteria": {"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]},
        "DestinationConfig": {"OnFailure": {"Destination": f"arn:aws:sqs:{REGION}:{ACCOUNT}:failed"}},
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
    }
    described = run_change_set(aws["cfn"], template_with(Trigger=mapping_resource(aws["function"], **props)), "add")
    [change] = described["Changes"]
    assert change["ResourceChange"]["Action"] == "Add"
    assert change["ResourceChange"]["ResourceType"] == "AWS::Lambda::EventSourceMapping"
    assert stack(aws["cfn"])["StackStatus"] == "UPDATE_COMPLETE"
    [mapping] = mappings(aws)
    assert mapping["FunctionArn"] == aws["function"]
    assert mapping["State"] == "Enabled"
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    for name, value in props.items():
        if name != "Enabled":
            assert mapping[name] == value, name
    made = outputs(aws["cfn"])
    assert made["TriggerRef"] == mapping["UUID"]
    assert made["TriggerArn"] == mapping["EventSourceMappingArn"]
    resources = aws["cfn"].list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    assert {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}["Trigger"] == mapping["UUID"]
    assert delivering_functions() == [aws["function"]]


def test_parameter_text_is_read_as_numbers_and_booleans(aws: dict[str, Any]) -> None:
    resource = mapping_resource(aws["function"], BatchSize="25", Enabled="false", BisectBatchOnFunctionError="true")
    run_change_set(aws["cfn"], template_with(Trigger=resource), "add")
    [mapping] = mappings(aws)
    assert (mapping["BatchSize"], mapping["State"], mapping["BisectBatchOnFunctionError"]) == (25, "Disabled", True)
    assert delivering_functions() == []


def test_an_update_changes_the_same_mapping_and_removed_properties_go_back_to_defaults(aws: dict[str, Any]) -> None:
    filters = {"Filters": [{"Pattern": json.dumps({"eventName": ["REMOVE"]})}]}
    first = mapping_resource(aws["function"], BatchSize=10, FilterCriteria=filters, MaximumRetryAttempts=2)
    run_change_set(aws["cfn"], template_with(Trigger=first), "add")
    [before] = mappings(aws)

    second = mapping_resource(aws["other"], BatchSize=200, Enabled=False)
    described = run_change_set(aws["cfn"], template_with(Trigger=second), "modify")
    [change] = described["Changes"]
    assert (change["ResourceChange"]["Action"], change["ResourceChange"]["Replacement"]) == ("Modify", "False")
    assert stack(aws["cfn"])["StackStatus"] == "UPDATE_COMPLETE"
    after = aws["lambda"].get_event_source_mapping(UUID=before["UUID"])
    assert after["FunctionArn"] == aws["other"]
    assert (after["BatchSize"], after["State"]) == (200, "Disabled")
    assert "FilterCriteria" not in after
    assert "MaximumRetryAttempts" not in after
    assert delivering_functions() == []

    run_change_set(aws["cfn"], template_with(Trigger=mapping_resource(aws["other"])), "enable")
    again = aws["lambda"].get_event_source_mapping(UUID=before["UUID"])
    assert (again["BatchSize"], again["State"]) == (100, "Enabled")
    assert delivering_functions() == [aws["other"]]


def test_the_key_and_metrics_are_set_with_the_templates_names_and_removed_with_them(aws: dict[str, Any]) -> None:
    key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    filters = {"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]}
    first = mapping_resource(
        aws["function"], FilterCriteria=filters, KmsKeyArn=key, MetricsConfig={"Metrics": ["EventCount"]}
    )
    run_change_set(aws["cfn"], template_with(Trigger=first), "add")
    [mapping] = mappings(aws)
    got = aws["lambda"].get_event_source_mapping(UUID=mapping["UUID"])
    assert (got["KMSKeyArn"], got["MetricsConfig"], got["FilterCriteria"]) == (
        key,
        {"Metrics": ["EventCount"]},
        filters,
    )

    run_change_set(aws["cfn"], template_with(Trigger=mapping_resource(aws["function"])), "plain")
    after = aws["lambda"].get_event_source_mapping(UUID=mapping["UUID"])
    assert not {"KMSKeyArn", "MetricsConfig", "FilterCriteria"} & set(after)


def test_a_property_the_resource_type_lacks_fails_the_resource(aws: dict[str, Any]) -> None:
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"
    run_change_set(aws["cfn"], template_with(Trigger=mapping_resource(aws["function"], KMSKeyArn=key)), "api-name")
    described = stack(aws["cfn"])
    assert described["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert "extraneous key ['KMSKeyArn'] is not permitted" in described["StackStatusReason"]
    assert mappings(aws) == []


def test_a_metric_lambda_does_not_know_fails_with_its_validation_error(aws: dict[str, Any]) -> None:
    resource = mapping_resource(aws["function"], MetricsConfig={"Metrics": ["Latency"]})
    run_change_set(aws["cfn"], template_with(Trigger=resource), "latency")
    described = stack(aws["cfn"])
    assert described["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert "metricsConfig.metrics" in described["StackStatusReason"]
    assert mappings(aws) == []


def test_a_new_starting_position_replaces_the_mapping(aws: dict[str, Any]) -> None:
    run_change_set(aws["cfn"], template_with(Trigger=mapping_resource(aws["function"])), "add")
    [old] = mappings(aws)
    resource = mapping_resource(aws["other"], StartingPosition="LATEST")
    described = run_change_set(aws["cfn"], template_with(Trigger=resource), "replace")
    [change] = described["Changes"]
    assert change["ResourceChange"]["Replacement"] == "True"
    assert change["ResourceChange"]["PhysicalResourceId"] == old["UUID"]
    assert stack(aws["cfn"])["StackStatus"] == "UPDATE_COMPLETE"
    [new] = mappings(aws)
    assert new["UUID"] != old["UUID"]
    assert (new["StartingPosition"], new["FunctionArn"]) == ("LATEST", aws["other"])
    assert outputs(aws["cfn"])["TriggerRef"] == new["UUID"]
    with pytest.raises(ClientError) as gone:
        aws["lambda"].get_event_source_mapping(UUID=old["UUID"])
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert delivering_functions() == [aws["other"]]


def test_replacing_a_mapping_of_the_same_function_conflicts_as_in_aws(aws: dict[str, Any]) -> None:
    # CloudFormation creates the replacement before deleting the old mapping, and Lambda allows one mapping per
    # function and stream.
    run_change_set(aws["cfn"], template_with(Trigger=mapping_resource(aws["function"])), "add")
    [old] = mappings(aws)
    resource = mapping_resource(aws["function"], StartingPosition="LATEST")
    run_change_set(aws["cfn"], template_with(Trigger=resource), "replace")
    described = stack(aws["cfn"])
    assert described["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert "provided mapping already exists" in described["StackStatusReason"]
    # The rollback writes the old properties back, which may move LastModified to the next second.
    [kept] = mappings(aws)
    assert {k: v for k, v in kept.items() if k != "LastModified"} == {
        k: v for k, v in old.items() if k != "LastModified"
    }


def test_removing_the_resource_deletes_the_mapping(aws: dict[str, Any]) -> None:
    run_change_set(aws["cfn"], template_with(Trigger=mapping_resource(aws["function"])), "add")
    [mapping] = mappings(aws)
    described = run_change_set(aws["cfn"], copy.deepcopy(BASE), "remove")
    [change] = described["Changes"]
    assert (change["ResourceChange"]["Action"], change["ResourceChange"]["PhysicalResourceId"]) == (
        "Remove",
        mapping["UUID"],
    )
    assert stack(aws["cfn"])["StackStatus"] == "UPDATE_COMPLETE"
    assert mappings(aws) == []
    assert delivering_functions() == []


def test_a_missing_function_fails_the_update_and_rolls_back(aws: dict[str, Any]) -> None:
    run_change_set(aws["cfn"], template_with(Trigger=mapping_resource(aws["function"], BatchSize=10)), "add")
    [kept] = mappings(aws)
    template = template_with(
        Trigger=mapping_resource(aws["function"], BatchSize=10), Broken=mapping_resource(MISSING_FUNCTION)
    )
    run_change_set(aws["cfn"], template, "broken")
    described = stack(aws["cfn"])
    assert described["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    reason = described["StackStatusReason"]
    assert "[Broken]" in reason
    assert f"Function not found: {MISSING_FUNCTION}" in reason
    assert "HandlerErrorCode: NotFound" in reason
    assert mappings(aws) == [kept]
    assert "Broken" not in aws["cfn"].get_template(StackName=STACK)["TemplateBody"]["Resources"]


def test_moving_to_a_missing_function_rolls_back_to_the_old_one(aws: dict[str, Any]) -> None:
    run_change_set(aws["cfn"], template_with(Trigger=mapping_resource(aws["function"], BatchSize=10)), "add")
    run_change_set(aws["cfn"], template_with(Trigger=mapping_resource(MISSING_FUNCTION, BatchSize=20)), "move")
    assert stack(aws["cfn"])["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    [mapping] = mappings(aws)
    assert (mapping["FunctionArn"], mapping["BatchSize"]) == (aws["function"], 10)
    # The stack accepts the next update after the rollback.
    run_change_set(aws["cfn"], template_with(Trigger=mapping_resource(aws["function"], BatchSize=30)), "retry")
    assert stack(aws["cfn"])["StackStatus"] == "UPDATE_COMPLETE"
    assert mappings(aws)[0]["BatchSize"] == 30


def test_values_out_of_range_fail_with_lambdas_validation_error(aws: dict[str, Any]) -> None:
    resource = mapping_resource(aws["function"], ParallelizationFactor=11, MaximumRecordAgeInSeconds=10)
    run_change_set(aws["cfn"], template_with(Trigger=resource), "too-parallel")
    described = stack(aws["cfn"])
    assert described["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert "2 validation errors detected" in described["StackStatusReason"]
    assert "parallelizationFactor" in described["StackStatusReason"]
    assert mappings(aws) == []


def test_a_second_mapping_of_the_same_function_on_the_stream_conflicts(aws: dict[str, Any]) -> None:
    run_change_set(aws["cfn"], template_with(Trigger=mapping_resource(aws["function"])), "add")
    [kept] = mappings(aws)
    template = template_with(
        Trigger=mapping_resource(aws["function"]), Twin=mapping_resource(aws["function"], BatchSize=5)
    )
    run_change_set(aws["cfn"], template, "twin")
    described = stack(aws["cfn"])
    assert described["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert f"existing mapping with UUID {kept['UUID']}" in described["StackStatusReason"]
    assert mappings(aws) == [kept]
    with pytest.raises(ClientError) as conflict:
        aws["lambda"].create_event_source_mapping(EventSourceArn=aws["stream"], FunctionName="consumer")
    assert conflict.value.response["Error"]["Code"] == "ResourceConflictException"


def test_deleting_a_mapping_through_the_api_stops_delivery(aws: dict[str, Any]) -> None:
    created = aws["lambda"].create_event_source_mapping(
        EventSourceArn=aws["stream"], FunctionName="auditor", StartingPosition="LATEST"
    )
    assert delivering_functions() == [aws["other"]]
    aws["lambda"].delete_event_source_mapping(UUID=created["UUID"])
    assert delivering_functions() == []
