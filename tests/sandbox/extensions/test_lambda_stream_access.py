"""Lambda maps a DynamoDB stream to a function only when the function's role can read that stream."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.awslambda.models import LambdaBackend

from restore_sync_sandbox.examples import LAMBDA_TRUST, stream_reader
from restore_sync_sandbox.extensions import lambda_stream_access
from restore_sync_sandbox.server import Sandbox


def streamed_table(sandbox: Sandbox, name: str) -> str:
    created = sandbox.client("dynamodb").create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    arn: str = created["TableDescription"]["LatestStreamArn"]
    return arn


def consumer(sandbox: Sandbox, policy: dict[str, Any] | None) -> str:
    name = f"consumer-{uuid.uuid4().hex[:8]}"
    iam = sandbox.client("iam")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    if policy:
        iam.put_role_policy(RoleName=name, PolicyName="streams", PolicyDocument=json.dumps(policy))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("consumer.py", "def handler(event, context):\n    return None\n")
    sandbox.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="consumer.handler",
        Code={"ZipFile": buffer.getvalue()},
    )
    return name


def test_moto_still_has_the_patched_method() -> None:
    lambda_stream_access.install()
    assert getattr(LambdaBackend.create_event_source_mapping, "_restore_sync_stream_access", False)


def test_a_role_scoped_to_the_source_stream_cannot_be_mapped_to_a_copy(sandbox: Sandbox) -> None:
    base = f"orders{uuid.uuid4().hex[:6]}"
    source, copy = streamed_table(sandbox, base), streamed_table(sandbox, f"copy{base}")
    function = consumer(sandbox, stream_reader(base))
    lam = sandbox.client("lambda")

    lam.create_event_source_mapping(EventSourceArn=source, FunctionName=function, StartingPosition="LATEST")
    with pytest.raises(ClientError) as raised:
        lam.create_event_source_mapping(EventSourceArn=copy, FunctionName=function, StartingPosition="LATEST")

    error = raised.value.response["Error"]
    assert error["Code"] == "InvalidParameterValueException"
    assert error["Message"] == (
        f"Cannot access stream {copy}. Please ensure the role can perform the GetRecords, GetShardIterator, "
        "DescribeStream, and ListStreams Actions on your stream in IAM."
    )
    assert [
        m["EventSourceArn"] for m in lam.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]
    ] == [source]


def test_a_role_without_list_streams_is_refused_too(sandbox: Sandbox) -> None:
    stream = streamed_table(sandbox, f"orders{uuid.uuid4().hex[:6]}")
    policy = stream_reader("*")
    policy["Statement"] = policy["Statement"][:1]

    with pytest.raises(ClientError, match="Cannot access stream"):
        sandbox.client("lambda").create_event_source_mapping(
            EventSourceArn=stream, FunctionName=consumer(sandbox, policy), StartingPosition="LATEST"
        )


def test_the_streams_own_policy_lets_a_role_in_and_its_deny_keeps_one_out(sandbox: Sandbox) -> None:
    stream = streamed_table(sandbox, f"orders{uuid.uuid4().hex[:6]}")
    listing_only = stream_reader("*")
    listing_only["Statement"] = listing_only["Statement"][1:]
    let_in, kept_out = consumer(sandbox, listing_only), consumer(sandbox, stream_reader("*"))
    iam, lam = sandbox.client("iam"), sandbox.client("lambda")
    role_of = {name: lam.get_function(FunctionName=name)["Configuration"]["Role"] for name in (let_in, kept_out)}
    reads = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": role_of[let_in]}, "Action": reads, "Resource": stream},
            {"Effect": "Deny", "Principal": {"AWS": role_of[kept_out]}, "Action": reads, "Resource": stream},
        ],
    }
    assert iam.get_role(RoleName=let_in)["Role"]["Arn"] == role_of[let_in]

    with pytest.raises(ClientError, match="Cannot access stream"):
        lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=let_in, StartingPosition="LATEST")
    sandbox.client("dynamodb").put_resource_policy(ResourceArn=stream, Policy=json.dumps(policy))
    lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=let_in, StartingPosition="LATEST")
    with pytest.raises(ClientError, match="Cannot access stream"):
        lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=kept_out, StartingPosition="LATEST")
