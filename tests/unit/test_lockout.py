"""The resource policy check: which roles a copied policy would lock out of the target, and what the report says."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from restore_sync.contracts import PlanItem
from restore_sync.errors import ConfigurationError
from restore_sync.workflow.lockout import (
    CLOUDFORMATION_TABLE_ACTIONS,
    TABLE_READ_ACTIONS,
    check_policy,
    covers,
    denied_actions,
    lockout_reason,
    roles_to_keep,
)

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/orders-restored"
CFN = "arn:aws:iam::123456789012:role/restore-sync-CloudFormationRole-A"
VERIFY = "arn:aws:iam::123456789012:role/restore-sync-VerifyFunctionRole-B"
SNAPSHOT = "arn:aws:iam::123456789012:role/restore-sync-SnapshotFunctionRole-C"
ROLES = roles_to_keep(CFN, VERIFY, SNAPSHOT)
POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "dynamodb:*"}]}


def result(action: str, decision: str) -> dict[str, Any]:
    return {"EvalActionName": action, "EvalResourceName": TABLE, "EvalDecision": decision}


class RefusingIam:
    """IAM's simulator refusing the call, as it refuses an input it cannot simulate."""

    def client(self, service: str, region: str | None = None) -> RefusingIam:
        return self

    def get_paginator(self, operation: str) -> RefusingIam:
        return self

    def paginate(self, **call: Any) -> list[dict[str, Any]]:
        raise ClientError(
            {"Error": {"Code": "InvalidInput", "Message": "CallerArn is required"}}, "SimulateCustomPolicy"
        )


class FakeIam:
    """IAM's SimulateCustomPolicy for the policies the check builds: an action is explicitly denied when a Deny
    statement of the simulated policy names it (conditions are IAM's to evaluate; the sandbox's tests cover them)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def client(self, service: str, region: str | None = None) -> FakeIam:
        assert service == "iam"
        return self

    def get_paginator(self, operation: str) -> FakeIam:
        assert operation == "simulate_custom_policy"
        return self

    def paginate(self, **call: Any) -> list[dict[str, Any]]:
        self.calls.append(call)
        [policy] = [json.loads(text) for text in call["PolicyInputList"]]
        denied = {
            action
            for statement in policy["Statement"]
            if statement["Effect"] == "Deny"
            for pattern in as_list(statement["Action"])
            for action in call["ActionNames"]
            if fnmatch.fnmatchcase(action, pattern)
        }
        results = [result(a, "explicitDeny" if a in denied else "allowed") for a in call["ActionNames"]]
        # Two pages, as a truncated answer comes.
        return [{"EvaluationResults": results[:2]}, {"EvaluationResults": results[2:]}]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def item(policy: Any, setting: str = "resource_policy") -> PlanItem:
    return PlanItem(setting=setting, status="pending", wanted={"policy": policy})


def test_each_role_must_keep_what_it_does_on_the_table_after_the_policy() -> None:
    assert [(role.arn, role.actions) for role in ROLES] == [
        (CFN, CLOUDFORMATION_TABLE_ACTIONS),
        (VERIFY, TABLE_READ_ACTIONS),
        (SNAPSHOT, TABLE_READ_ACTIONS),
    ]
    assert "dynamodb:UpdateTable" in CLOUDFORMATION_TABLE_ACTIONS
    assert "dynamodb:DescribeTable" in TABLE_READ_ACTIONS
    # A table's resource policy governs only DynamoDB's actions: other services' reads are not simulated.
    assert all(action.startswith("dynamodb:") for action in TABLE_READ_ACTIONS)


def test_an_action_is_denied_unless_the_simulation_allows_it() -> None:
    results = [
        result("dynamodb:DescribeTable", "allowed"),
        result("dynamodb:UpdateTable", "explicitDeny"),
        result("dynamodb:TagResource", "implicitDeny"),
    ]
    assert denied_actions(results) == ("dynamodb:TagResource", "dynamodb:UpdateTable")


def test_the_reason_names_each_locked_out_role_its_denied_actions_and_what_to_change() -> None:
    cfn, verify, snapshot = ROLES
    assert lockout_reason({cfn: (), verify: (), snapshot: ()}) is None
    reason = lockout_reason({cfn: ("dynamodb:UpdateTable",), verify: ("dynamodb:DescribeTable",), snapshot: ()})
    assert reason is not None
    assert f"the CloudFormation role {CFN} would be denied dynamodb:UpdateTable" in reason
    assert f"the verify step's role {VERIFY} would be denied dynamodb:DescribeTable" in reason
    assert SNAPSHOT not in reason
    assert "add their ARNs" in reason
    assert "start again with the same request" in reason


def test_a_policy_that_locks_a_role_out_is_refused_with_its_deny_statements_simulated_as_the_roles_own() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "dynamodb:*", "Resource": "*"},
            {"Effect": "Deny", "Principal": {"AWS": VERIFY}, "Action": "dynamodb:GetResourcePolicy", "Resource": "*"},
        ],
    }
    iam = FakeIam()
    refused = check_policy(iam, item(policy), TABLE, ROLES)  # type: ignore[arg-type]
    assert refused is not None
    assert (refused.setting, refused.status, refused.error) == ("resource_policy", "failed", "PolicyLocksOut")
    assert f"the verify step's role {VERIFY} would be denied dynamodb:GetResourcePolicy" in str(refused.reason)
    # Only the role a Deny names is simulated: with the Deny (no Principal) beside an Allow of everything.
    [call] = iam.calls
    assert json.loads(call["PolicyInputList"][0])["Statement"] == [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "dynamodb:GetResourcePolicy", "Resource": "*"},
    ]
    assert call["ResourceArns"] == [TABLE]
    context = {entry["ContextKeyName"]: entry["ContextKeyValues"] for entry in call["ContextEntries"]}
    assert context["aws:PrincipalArn"] == [VERIFY]


@pytest.mark.parametrize(
    ("element", "covered"),
    [
        ({"Principal": "*"}, True),
        ({"Principal": {"AWS": "*"}}, True),
        ({"Principal": {"AWS": "123456789012"}}, True),
        ({"Principal": {"AWS": ["arn:aws:iam::123456789012:root"]}}, True),
        ({"Principal": {"AWS": VERIFY}}, True),
        ({"Principal": {"AWS": CFN}}, False),
        ({"Principal": {"Service": "lambda.amazonaws.com"}}, False),
        ({"NotPrincipal": {"AWS": CFN}}, True),
        ({"NotPrincipal": {"AWS": [VERIFY]}}, False),
    ],
)
def test_a_deny_applies_to_a_role_its_principal_names(element: dict[str, Any], covered: bool) -> None:
    assert covers({"Effect": "Deny", "Action": "dynamodb:*", **element}, VERIFY) is covered


def test_a_policy_that_leaves_every_role_its_access_is_applied_without_asking() -> None:
    iam = FakeIam()
    allow_only = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "dynamodb:*"}]}
    assert check_policy(iam, item(allow_only), TABLE, ROLES) is None  # type: ignore[arg-type]
    assert iam.calls == []


def test_only_a_resource_policy_to_set_is_checked() -> None:
    iam = FakeIam()
    assert check_policy(iam, item(None), TABLE, ROLES) is None  # type: ignore[arg-type]
    assert check_policy(iam, item(POLICY, setting="tags"), TABLE, ROLES) is None  # type: ignore[arg-type]
    assert iam.calls == []


def test_a_policy_iam_cannot_simulate_is_not_applied_unchecked() -> None:
    refused = check_policy(RefusingIam(), item(POLICY), TABLE, ROLES)  # type: ignore[arg-type]
    assert refused is not None
    assert (refused.status, refused.error) == ("failed", "PolicyNotChecked")
    assert f"the CloudFormation role {CFN}" in str(refused.reason)
    assert "InvalidInput" in str(refused.reason)


def test_a_role_without_its_arn_is_a_configuration_error_not_a_pass() -> None:
    roles = roles_to_keep(CFN, "", SNAPSHOT)
    with pytest.raises(ConfigurationError, match="VERIFY_ROLE_ARN"):
        check_policy(FakeIam(), item(POLICY), TABLE, roles)  # type: ignore[arg-type]
    assert check_policy(FakeIam(), item(None), TABLE, roles) is None  # type: ignore[arg-type]
