"""A role's credentials reach only what its policies allow, with AWS's error; the operator's reach everything."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core.responses import BaseResponse
from moto.s3 import responses as s3_responses

from restore_sync_sandbox.examples import LAMBDA_TRUST
from restore_sync_sandbox.extensions import iam_identity_policies
from restore_sync_sandbox.server import Sandbox
from tests.sandbox import app


def new_table(sandbox: Sandbox) -> str:
    name = f"iam-{uuid.uuid4().hex[:8]}"
    sandbox.client("dynamodb").create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    return name


def table_arn(sandbox: Sandbox, name: str) -> str:
    return f"arn:aws:dynamodb:{sandbox.region}:{sandbox.account_id}:table/{name}"


def role_session(sandbox: Sandbox, *statements: dict[str, Any]) -> tuple[str, Callable[[str], Any]]:
    """A new role with `statements`, and a factory of clients that call with its temporary credentials."""
    name = f"role-{uuid.uuid4().hex[:8]}"
    iam = sandbox.client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    if statements:
        document = {"Version": "2012-10-17", "Statement": list(statements)}
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(document))
    return arn, lambda service: app.client_as(sandbox, arn, service, session="fn")


def error_of(call: Callable[[], Any]) -> dict[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    return dict(raised.value.response["Error"])


def test_moto_still_has_the_patched_methods() -> None:
    iam_identity_policies.install()
    s3_authorise = s3_responses.S3Response._authenticate_and_authorize_s3_action
    assert getattr(BaseResponse.call_action, "_restore_sync_identity_policies", False)
    assert getattr(s3_authorise, "_restore_sync_identity_policies", False)


def test_a_role_reaches_the_table_its_policy_names_and_no_other(sandbox: Sandbox) -> None:
    mine, other = new_table(sandbox), new_table(sandbox)
    _, client = role_session(
        sandbox, {"Effect": "Allow", "Action": "dynamodb:DescribeTable", "Resource": table_arn(sandbox, mine)}
    )
    dynamodb = client("dynamodb")

    assert dynamodb.describe_table(TableName=mine)["Table"]["TableName"] == mine
    error = error_of(lambda: dynamodb.describe_table(TableName=other))

    assert error["Code"] == "AccessDeniedException"
    assert error["Message"] == (
        f"User: arn:aws:sts::{sandbox.account_id}:assumed-role/{error['Message'].split('/')[1]}/fn is not authorized "
        f"to perform: dynamodb:DescribeTable on resource: {table_arn(sandbox, other)} because no identity-based "
        "policy allows the dynamodb:DescribeTable action"
    )


def test_query_services_answer_access_denied_and_an_explicit_deny_says_so(sandbox: Sandbox) -> None:
    _, client = role_session(
        sandbox,
        {"Effect": "Allow", "Action": "cloudformation:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "cloudformation:DescribeStacks", "Resource": "*"},
    )

    error = error_of(lambda: client("cloudformation").describe_stacks(StackName="anything"))

    assert error["Code"] == "AccessDenied"
    assert "cloudformation:DescribeStacks" in error["Message"]
    assert error["Message"].endswith("with an explicit deny in an identity-based policy")


def test_nothing_is_done_by_a_refused_call(sandbox: Sandbox) -> None:
    _, client = role_session(sandbox)
    name = f"iam-{uuid.uuid4().hex[:8]}"

    error_of(lambda: client("sqs").create_queue(QueueName=name))

    assert not sandbox.client("sqs").list_queues(QueueNamePrefix=name).get("QueueUrls")


def test_a_transaction_is_authorised_as_its_parts_on_their_tables(sandbox: Sandbox) -> None:
    table = new_table(sandbox)
    _, client = role_session(
        sandbox, {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": table_arn(sandbox, table)}
    )
    dynamodb = client("dynamodb")
    put = {"Put": {"TableName": table, "Item": {"pk": {"S": "a"}}}}
    update = {"Update": {"TableName": table, "Key": {"pk": {"S": "b"}}, "UpdateExpression": "SET n = :n",
                         "ExpressionAttributeValues": {":n": {"N": "1"}}}}  # fmt: skip

    dynamodb.transact_write_items(TransactItems=[put])
    error = error_of(lambda: dynamodb.transact_write_items(TransactItems=[put, update]))

    assert "dynamodb:UpdateItem" in error["Message"]
    assert sandbox.client("dynamodb").scan(TableName=table)["Count"] == 1


def test_passing_a_role_to_cloudformation_needs_pass_role_for_cloudformation(sandbox: Sandbox) -> None:
    passed, _ = role_session(sandbox)
    template = json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}})
    change_set = {"Effect": "Allow", "Action": "cloudformation:CreateChangeSet", "Resource": "*"}
    pass_role = {
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": passed,
        "Condition": {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}},
    }
    _, without = role_session(sandbox, change_set)
    _, with_pass = role_session(sandbox, change_set, pass_role)
    create = {"ChangeSetName": "c", "ChangeSetType": "CREATE", "TemplateBody": template, "RoleARN": passed}

    error = error_of(lambda: without("cloudformation").create_change_set(StackName="iam-a", **create))
    with_pass("cloudformation").create_change_set(StackName="iam-b", **create)

    assert "iam:PassRole" in error["Message"]


def test_a_deny_in_the_tables_resource_policy_applies_to_the_role(sandbox: Sandbox) -> None:
    table = new_table(sandbox)
    arn, client = role_session(sandbox, {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"})
    resource_policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": {"AWS": arn}, "Action": "dynamodb:GetItem", "Resource": "*"}],
    }
    sandbox.client("dynamodb").put_resource_policy(
        ResourceArn=table_arn(sandbox, table), Policy=json.dumps(resource_policy)
    )

    error = error_of(lambda: client("dynamodb").get_item(TableName=table, Key={"pk": {"S": "a"}}))

    assert error["Code"] == "AccessDeniedException"
    assert client("dynamodb").describe_table(TableName=table)["Table"]["TableName"] == table


def test_the_operators_credentials_are_not_restricted(sandbox: Sandbox) -> None:
    assert sandbox.client("iam").list_roles()["Roles"] is not None
    assert "Account" in sandbox.client("sts").get_caller_identity()


def test_credentials_of_a_forgotten_session_fail_as_expired(sandbox: Sandbox) -> None:
    _, client = role_session(sandbox, {"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"})
    sqs = client("sqs")
    sqs.list_queues()

    iam_identity_policies.reset()

    assert error_of(sqs.list_queues)["Code"] == "ExpiredTokenException"


def test_temporary_credentials_the_sandbox_never_minted_are_the_operators(sandbox: Sandbox) -> None:
    session = boto3.session.Session(
        aws_access_key_id="ASIAOPERATORSSO00001",
        aws_secret_access_key="secret",
        aws_session_token="an-sso-session",
        region_name=sandbox.region,
    )
    table = new_table(sandbox)
    # An SSO session of the operator's, say: not a role session the sandbox minted, so not evaluated nor expired.
    assert table in session.client("dynamodb", endpoint_url=sandbox.endpoint_url).list_tables()["TableNames"]
