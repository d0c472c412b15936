"""Filter criteria encrypted with a customer managed key: null in the list, plain from Get, or FilterCriteriaError."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.awslambda.responses import LambdaResponse

from restore_sync_sandbox.examples import consumer_zip, stream_reader
from restore_sync_sandbox.extensions import iam_identity_policies, lambda_filter_criteria_encryption

REGION = "us-east-1"
ACCOUNT = "123456789012"
FILTERS = {"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]}


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    iam_identity_policies.install()
    lambda_filter_criteria_encryption.install()
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        lam = boto3.client("lambda", region_name=REGION)
        kms = boto3.client("kms", region_name=REGION)
        ddb.create_table(
            TableName="orders",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="consumer", AssumeRolePolicyDocument="{}")
        # Lambda maps a stream only to a function whose role may read it.
        iam.put_role_policy(RoleName="consumer", PolicyName="streams", PolicyDocument=json.dumps(stream_reader("*")))
        functions = [
            lam.create_function(
                FunctionName=name,
                Runtime="python3.12",
                Role=role["Role"]["Arn"],
                Handler="consumer.handler",
                Code={"ZipFile": consumer_zip()},
            )["FunctionArn"]
            for name in ("indexer", "auditor")
        ]
        key = kms.create_key(Description="filter criteria")["KeyMetadata"]
        yield {
            "iam": boto3.client("iam", region_name=REGION),
            "lambda": lam,
            "kms": kms,
            "stream": ddb.describe_table(TableName="orders")["Table"]["LatestStreamArn"],
            "functions": functions,
            "key": key["Arn"],
            "keyId": key["KeyId"],
        }
        lambda_filter_criteria_encryption.reset()
        iam_identity_policies.reset()


def reader(aws: dict[str, Any], *statements: dict[str, Any]) -> Any:
    """A Lambda client with the credentials of a new role that may GetEventSourceMapping, plus `statements`."""
    name = f"reader-{len(aws['iam'].list_roles()['Roles'])}"
    arn = aws["iam"].create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    read = {"Effect": "Allow", "Action": "lambda:GetEventSourceMapping", "Resource": "*"}
    document = {"Version": "2012-10-17", "Statement": [read, *statements]}
    aws["iam"].put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=json.dumps(document))
    credentials = iam_identity_policies.role_credentials(ACCOUNT, REGION, arn, "reader")
    assert credentials is not None
    return boto3.client(
        "lambda",
        region_name=REGION,
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=credentials["AWS_SESSION_TOKEN"],
    )


def encrypted(aws: dict[str, Any], **extra: Any) -> dict[str, Any]:
    created: dict[str, Any] = aws["lambda"].create_event_source_mapping(
        EventSourceArn=aws["stream"],
        FunctionName=aws["functions"][0],
        StartingPosition="LATEST",
        FilterCriteria=FILTERS,
        KMSKeyArn=aws["key"],
        MetricsConfig={"Metrics": ["EventCount"]},
        **extra,
    )
    return created


def test_patched_moto_attributes_still_exist() -> None:
    for name in lambda_filter_criteria_encryption.WRAPPED:
        assert callable(getattr(LambdaResponse, name, None)), name
    lambda_filter_criteria_encryption.install()
    lambda_filter_criteria_encryption.install()
    assert LambdaResponse.get_event_source_mapping.__name__ == "get_event_source_mapping"
    assert (
        LambdaResponse.get_event_source_mapping
        is not lambda_filter_criteria_encryption._originals["get_event_source_mapping"]
    )


def test_the_key_and_metrics_are_kept_and_returned_by_every_call(aws: dict[str, Any]) -> None:
    created = encrypted(aws)
    listed = aws["lambda"].list_event_source_mappings(EventSourceArn=aws["stream"])["EventSourceMappings"]
    got = aws["lambda"].get_event_source_mapping(UUID=created["UUID"])
    updated = aws["lambda"].update_event_source_mapping(UUID=created["UUID"], MetricsConfig={"Metrics": []})
    for answer in (created, listed[0], got):
        assert (answer["KMSKeyArn"], answer["MetricsConfig"]) == (aws["key"], {"Metrics": ["EventCount"]})
    assert (updated["KMSKeyArn"], updated["MetricsConfig"]) == (aws["key"], {"Metrics": []})


def test_the_list_shows_encrypted_filter_criteria_as_null_and_get_in_plain_text(aws: dict[str, Any]) -> None:
    created = encrypted(aws)
    plain = aws["lambda"].create_event_source_mapping(
        EventSourceArn=aws["stream"],
        FunctionName=aws["functions"][1],
        StartingPosition="LATEST",
        FilterCriteria=FILTERS,
    )

    answer = aws["lambda"].list_event_source_mappings(EventSourceArn=aws["stream"])
    listed = {m["UUID"]: m for m in answer["EventSourceMappings"]}

    assert "FilterCriteria" not in listed[created["UUID"]]
    assert listed[plain["UUID"]]["FilterCriteria"] == FILTERS
    got = aws["lambda"].get_event_source_mapping(UUID=created["UUID"])
    assert got["FilterCriteria"] == FILTERS
    assert "FilterCriteriaError" not in got
    deleted = aws["lambda"].delete_event_source_mapping(UUID=created["UUID"])
    assert deleted["FilterCriteria"] == FILTERS


@pytest.mark.parametrize(
    ("break_key", "code"),
    [
        (lambda aws: lambda_filter_criteria_encryption.deny_decrypt(aws["key"]), "AccessDeniedException"),
        (lambda aws: aws["kms"].disable_key(KeyId=aws["keyId"]), "DisabledException"),
        (
            lambda aws: aws["kms"].schedule_key_deletion(KeyId=aws["keyId"], PendingWindowInDays=7),
            "KMSInvalidStateException",
        ),
    ],
    ids=["no-kms-decrypt", "key-disabled", "key-pending-deletion"],
)
def test_filter_criteria_the_caller_cannot_decrypt_give_a_filter_criteria_error(
    aws: dict[str, Any], break_key: Any, code: str
) -> None:
    created = encrypted(aws)
    break_key(aws)

    got = aws["lambda"].get_event_source_mapping(UUID=created["UUID"])

    assert "FilterCriteria" not in got
    assert got["FilterCriteriaError"]["ErrorCode"] == code
    assert aws["key"] in got["FilterCriteriaError"]["Message"]
    assert got["KMSKeyArn"] == aws["key"]


def test_a_key_that_does_not_exist_is_a_not_found_error(aws: dict[str, Any]) -> None:
    missing = aws["key"].rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    assert lambda_filter_criteria_encryption.decrypt_error(missing) == {
        "ErrorCode": "NotFoundException",
        "Message": f"Key '{missing}' does not exist",
    }


def test_reset_lets_every_caller_decrypt_again(aws: dict[str, Any]) -> None:
    created = encrypted(aws)
    lambda_filter_criteria_encryption.deny_decrypt(aws["key"])
    lambda_filter_criteria_encryption.reset()
    assert aws["lambda"].get_event_source_mapping(UUID=created["UUID"])["FilterCriteria"] == FILTERS


def test_a_mapping_without_a_key_of_its_own_is_returned_as_before(aws: dict[str, Any]) -> None:
    created = aws["lambda"].create_event_source_mapping(
        EventSourceArn=aws["stream"],
        FunctionName=aws["functions"][1],
        StartingPosition="LATEST",
        FilterCriteria=FILTERS,
    )
    got = aws["lambda"].get_event_source_mapping(UUID=created["UUID"])
    assert got["FilterCriteria"] == FILTERS
    assert "KMSKeyArn" not in got
    assert "FilterCriteriaError" not in got


def decrypt(key: str, service: str) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": key,
        "Condition": {"StringEquals": {"kms:ViaService": f"{service}.{REGION}.amazonaws.com"}},
    }


def test_a_role_reads_the_filter_only_with_kms_decrypt_on_its_key_through_lambda(aws: dict[str, Any]) -> None:
    created = encrypted(aws)

    allowed = reader(aws, decrypt(aws["key"], "lambda")).get_event_source_mapping(UUID=created["UUID"])
    through_another_service = reader(aws, decrypt(aws["key"], "dynamodb")).get_event_source_mapping(
        UUID=created["UUID"]
    )
    without = reader(aws).get_event_source_mapping(UUID=created["UUID"])

    assert allowed["FilterCriteria"] == FILTERS
    assert {action for _, action in iam_identity_policies.allowed_calls()} >= {"kms:Decrypt"}
    for refused in (through_another_service, without):
        assert "FilterCriteria" not in refused
        assert refused["FilterCriteriaError"]["ErrorCode"] == "AccessDeniedException"
        assert (
            "is not authorized to perform: kms:Decrypt on resource: " + aws["key"]
            in (refused["FilterCriteriaError"]["Message"])
        )
        assert ":assumed-role/reader-" in refused["FilterCriteriaError"]["Message"]
