"""IAM policy evaluation: explicit deny wins, an allow in either policy allows (same account), else implicit deny."""

from __future__ import annotations

from typing import Any

import pytest

from restore_sync_sandbox import iam_evaluation
from restore_sync_sandbox.iam_evaluation import Request

ACCOUNT = "123456789012"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/reader/fn"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def request(action: str = "dynamodb:DescribeTable", resource: str = TABLE, **keys: str) -> Request:
    return Request(action, SESSION, ACCOUNT, (resource,), keys)


def decision(identity: list[dict[str, Any]], req: Request, resource_policy: Any = None) -> str:
    return iam_evaluation.evaluate(req, identity, resource_policy).decision


def test_nothing_allows_so_the_request_is_implicitly_denied() -> None:
    assert decision([policy(allow("dynamodb:ListTables"))], request()) == "implicitDeny"


def test_an_explicit_deny_wins_over_any_allow() -> None:
    identity = [policy(allow("dynamodb:*")), policy(deny("dynamodb:Describe*", TABLE))]
    assert decision(identity, request()) == "explicitDeny"


def test_actions_match_without_case_and_with_wildcards_resources_with_case() -> None:
    assert decision([policy(allow("DynamoDB:describe?able", TABLE))], request()) == "allowed"
    assert decision([policy(allow("dynamodb:DescribeTable", TABLE.upper()))], request()) == "implicitDeny"
    assert decision([policy(allow("dynamodb:DescribeTable", TABLE[:-3] + "*"))], request()) == "allowed"


def test_not_action_and_not_resource_allow_everything_else() -> None:
    assert decision([policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})], request()) == "allowed"
    everything_but_orders = {"Effect": "Allow", "Action": "dynamodb:*", "NotResource": TABLE}
    assert decision([policy(everything_but_orders)], request()) == "implicitDeny"


def test_a_request_naming_no_resource_is_matched_on_its_action() -> None:
    unnamed = Request("dynamodb:ListTables", SESSION, ACCOUNT)
    assert decision([policy(allow("dynamodb:ListTables", TABLE))], unnamed) == "allowed"


@pytest.mark.parametrize(
    ("condition", "keys", "expected"),
    [
        ({"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}}, {}, "implicitDeny"),
        (
            {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}},
            {"iam:PassedToService": "cloudformation.amazonaws.com"},
            "allowed",
        ),
        ({"StringEqualsIfExists": {"aws:RequestedRegion": "eu-west-1"}}, {}, "allowed"),
        ({"StringNotLike": {"aws:userid": "AROA1:*"}}, {}, "allowed"),
        ({"StringNotLike": {"aws:userid": "AROA1:*"}}, {"aws:userid": "AROA1:fn"}, "implicitDeny"),
        ({"Null": {"aws:ResourceTag/team": "false"}}, {}, "implicitDeny"),
        ({"Null": {"aws:ResourceTag/team": "true"}}, {}, "allowed"),
        (
            {"ArnLike": {"lambda:FunctionArn": "arn:aws:lambda:*:*:function:app-*"}},
            {"lambda:FunctionArn": "arn:aws:lambda:us-east-1:1:function:app-x"},
            "allowed",
        ),
        ({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "true"}, "allowed"),
        ({"ForAnyValue:StringEquals": {"dynamodb:Attributes": ["a", "b"]}}, {"dynamodb:Attributes": "b"}, "allowed"),
    ],
)
def test_conditions_hold_as_aws_documents_including_absent_keys(
    condition: dict[str, Any], keys: dict[str, str], expected: str
) -> None:
    assert decision([policy(allow("dynamodb:DescribeTable", Condition=condition))], request(**keys)) == expected


def test_an_operator_the_sandbox_does_not_evaluate_is_refused_rather_than_guessed() -> None:
    unknown = allow("dynamodb:DescribeTable", Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01"}})
    with pytest.raises(iam_evaluation.UnsupportedPolicy, match="DateGreaterThan"):
        decision([policy(unknown)], request())


def test_a_resource_policy_naming_the_role_allows_without_an_identity_policy() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/reader"
    resource_policy = policy(allow("dynamodb:DescribeTable", TABLE, Principal={"AWS": role}))
    assert decision([], request(), resource_policy) == "allowed"


def test_a_resource_policy_statement_for_another_principal_does_not_apply() -> None:
    other = f"arn:aws:iam::{ACCOUNT}:role/writer"
    resource_policy = policy(deny("dynamodb:*", TABLE, Principal={"AWS": other}))
    assert decision([policy(allow("dynamodb:*"))], request(), resource_policy) == "allowed"


def test_a_resource_policy_deny_for_everyone_but_an_allow_list_locks_others_out() -> None:
    allow_list = {"StringNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/app-*"}}
    resource_policy = policy(deny("dynamodb:*", TABLE, Principal="*", Condition=allow_list))
    keys = {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/reader"}
    assert decision([policy(allow("dynamodb:*"))], request(**keys), resource_policy) == "explicitDeny"
