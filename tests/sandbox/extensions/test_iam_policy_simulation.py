"""SimulatePrincipalPolicy answers what the sandbox's enforcement then does."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError
from moto.iam.responses import IamResponse

from restore_sync_sandbox.examples import LAMBDA_TRUST
from restore_sync_sandbox.extensions import iam_policy_simulation
from restore_sync_sandbox.server import Sandbox

STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000"


def role(sandbox: Sandbox, *statements: dict[str, object]) -> str:
    name = f"sim-{uuid.uuid4().hex[:8]}"
    iam = sandbox.client("iam")
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(document))
    return arn


def test_moto_gains_the_operations() -> None:
    iam_policy_simulation.install()
    assert IamResponse.simulate_principal_policy is iam_policy_simulation.simulate_principal_policy  # type: ignore[attr-defined]


def test_each_action_and_resource_gets_its_decision_and_the_statement_that_decided(sandbox: Sandbox) -> None:
    orders_streams = "arn:aws:dynamodb:*:*:table/orders/stream/*"
    arn = role(
        sandbox,
        {"Sid": "ReadOrders", "Effect": "Allow", "Action": "dynamodb:GetRecords", "Resource": orders_streams},
        {"Effect": "Deny", "Action": "dynamodb:DescribeStream", "Resource": "*"},
    )

    results = sandbox.client("iam").simulate_principal_policy(
        PolicySourceArn=arn,
        ActionNames=["dynamodb:GetRecords", "dynamodb:DescribeStream", "dynamodb:GetShardIterator"],
        ResourceArns=[STREAM, STREAM.replace("orders", "orders-restored")],
    )["EvaluationResults"]

    decisions = {(r["EvalActionName"], r["EvalResourceName"].split("/")[1]): r["EvalDecision"] for r in results}
    assert decisions == {
        ("dynamodb:GetRecords", "orders"): "allowed",
        ("dynamodb:GetRecords", "orders-restored"): "implicitDeny",
        ("dynamodb:DescribeStream", "orders"): "explicitDeny",
        ("dynamodb:DescribeStream", "orders-restored"): "explicitDeny",
        ("dynamodb:GetShardIterator", "orders"): "implicitDeny",
        ("dynamodb:GetShardIterator", "orders-restored"): "implicitDeny",
    }
    assert results[0]["MatchedStatements"] == [{"SourcePolicyId": "identity:ReadOrders", "SourcePolicyType": "role"}]


def test_a_resource_policy_needs_an_iam_user_as_caller_and_then_takes_part(sandbox: Sandbox) -> None:
    arn = role(sandbox, {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"})
    deny_all = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "dynamodb:UpdateTable", "Resource": "*"}],
    }
    ask = {
        "PolicySourceArn": arn,
        "ActionNames": ["dynamodb:UpdateTable", "dynamodb:DescribeTable"],
        "ResourceArns": ["arn:aws:dynamodb:us-east-1:123456789012:table/orders"],
        "ResourcePolicy": json.dumps(deny_all),
    }
    iam = sandbox.client("iam")

    errors = []
    for caller in ({}, {"CallerArn": arn}):
        with pytest.raises(ClientError) as raised:
            iam.simulate_principal_policy(**ask, **caller)
        errors.append(raised.value.response["Error"]["Code"])
    results = iam.simulate_principal_policy(**ask, CallerArn="arn:aws:iam::123456789012:user/bob")

    assert errors == ["InvalidInput", "InvalidInput"], "IAM takes only an IAM user as the caller of a resource policy"
    assert [r["EvalDecision"] for r in results["EvaluationResults"]] == ["explicitDeny", "allowed"]


def test_a_custom_policy_is_simulated_with_the_context_given(sandbox: Sandbox) -> None:
    allow_list = {"StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/app-*"}}
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*", "Condition": allow_list},
        ],
    }

    def decision(principal: str) -> str:
        results = sandbox.client("iam").simulate_custom_policy(
            PolicyInputList=[json.dumps(policy)],
            ActionNames=["dynamodb:DescribeTable"],
            ResourceArns=["arn:aws:dynamodb:us-east-1:123456789012:table/orders"],
            ContextEntries=[
                {"ContextKeyName": "aws:PrincipalArn", "ContextKeyValues": [principal], "ContextKeyType": "string"}
            ],
        )["EvaluationResults"]
        return str(results[0]["EvalDecision"])

    assert decision("arn:aws:iam::123456789012:role/app-reader") == "allowed"
    assert decision("arn:aws:iam::123456789012:role/restore-sync-VerifyFunctionRole-X") == "explicitDeny"


def test_a_role_that_does_not_exist_is_no_such_entity(sandbox: Sandbox) -> None:
    with pytest.raises(ClientError) as raised:
        sandbox.client("iam").simulate_principal_policy(
            PolicySourceArn="arn:aws:iam::123456789012:role/nobody", ActionNames=["dynamodb:GetRecords"]
        )
    assert raised.value.response["Error"]["Code"] == "NoSuchEntity"
