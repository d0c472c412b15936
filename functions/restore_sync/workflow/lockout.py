"""Before a copied resource policy is applied: would it lock restore-sync's own roles out of the target?

Within one account a table's resource policy can only take access away: an Allow there adds nothing to what the
roles' own policies allow, so only its Deny statements matter. IAM's simulator cannot take a resource policy for a
role (SimulatePrincipalPolicy then requires an IAM user as CallerArn, for the policy's Principal element), so the
Deny statements whose Principal covers a role are given to SimulateCustomPolicy as that role's own, beside an
Allow of everything, with the request context the role's calls carry: IAM's own evaluation of the actions,
resources and conditions then says what the policy would deny the role.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from restore_sync.aws import Aws, translated_errors
from restore_sync.contracts import PlanItem, SettingResult
from restore_sync.errors import ConfigurationError
from restore_sync.settings import READ_ACTIONS

SETTING = "resource_policy"
# A stream's policy (`stream_policy`) is checked the same way, on the stream, for the actions that act on a stream.
STREAM_SETTING = "stream_policy"
# The DynamoDB actions IAM's action table gives the `stream` resource type: what a stream's policy can deny.
STREAM_RESOURCE_ACTIONS: frozenset[str] = frozenset(
    {
        "dynamodb:DeleteResourcePolicy",
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetResourcePolicy",
        "dynamodb:GetShardIterator",
        "dynamodb:ListTagsOfResource",
        "dynamodb:PutResourcePolicy",
        "dynamodb:TagResource",
        "dynamodb:UntagResource",
    }
)
# The table actions CloudFormation's handlers call to read and update a governed table: the CloudFormationRole's
# ReadTables and ChangeTables statements in template.yaml (a test holds the two equal).
CLOUDFORMATION_TABLE_ACTIONS: tuple[str, ...] = (
    "dynamodb:DeleteResourcePolicy",
    "dynamodb:DescribeContinuousBackups",
    "dynamodb:DescribeContributorInsights",
    "dynamodb:DescribeKinesisStreamingDestination",
    "dynamodb:DescribeTable",
    "dynamodb:DescribeTimeToLive",
    "dynamodb:DisableKinesisStreamingDestination",
    "dynamodb:EnableKinesisStreamingDestination",
    "dynamodb:GetResourcePolicy",
    "dynamodb:ListTagsOfResource",
    "dynamodb:PutResourcePolicy",
    "dynamodb:TagResource",
    "dynamodb:UntagResource",
    "dynamodb:UpdateContinuousBackups",
    "dynamodb:UpdateContributorInsights",
    "dynamodb:UpdateKinesisStreamingDestination",
    "dynamodb:UpdateTable",
    "dynamodb:UpdateTimeToLive",
)
# What reads settings needs on the table itself: a table's resource policy governs only DynamoDB's actions.
TABLE_READ_ACTIONS: tuple[str, ...] = tuple(action for action in READ_ACTIONS if action.startswith("dynamodb:"))


@dataclass(frozen=True)
class Role:
    """A role of the deployment that must keep `actions` on the target once its policy is applied."""

    name: str
    variable: str  # the environment variable that gives its ARN
    arn: str
    actions: tuple[str, ...]


def roles_to_keep(cloudformation: str, verify: str, snapshot: str) -> tuple[Role, ...]:
    """The roles that act on the target after its policy: CloudFormation's (the stack reads and updates the table
    on every later change set), Verify's (reads every setting back) and the settings history's recorder (reads the
    target's settings from now on). An empty ARN is refused when a policy is checked (`check_policy`)."""
    return (
        Role("the CloudFormation role", "CFN_ROLE_ARN", cloudformation, CLOUDFORMATION_TABLE_ACTIONS),
        Role("the verify step's role", "VERIFY_ROLE_ARN", verify, TABLE_READ_ACTIONS),
        Role("the settings history's recorder role", "SNAPSHOT_ROLE_ARN", snapshot, TABLE_READ_ACTIONS),
    )


def denied_actions(evaluation_results: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """The actions a simulation did not allow (explicitly or implicitly denied), sorted."""
    return tuple(sorted({r["EvalActionName"] for r in evaluation_results if r.get("EvalDecision") != "allowed"}))


def lockout_reason(denied: Mapping[Role, Sequence[str]]) -> str | None:
    """Why the policy must not be applied (each role it would lock out, with its denied actions and what to
    change), or None when it leaves every role what it needs."""
    locked = [(role, actions) for role, actions in denied.items() if actions]
    if not locked:
        return None
    who = "; ".join(f"{role.name} {role.arn} would be denied {', '.join(actions)}" for role, actions in locked)
    return (
        f"not applied: the policy would lock restore-sync out of the table: {who}. Let these roles through the "
        "source table's resource policy (for example add their ARNs to the principals its Deny exempts), then start "
        "again with the same request; or put the policy on the target by hand once restore-sync is done with it"
    )


def check_policy(aws: Aws, item: PlanItem, table_arn: str, roles: Sequence[Role]) -> SettingResult | None:
    """For the resource policy's plan item: a `failed` result when the policy it would apply denies any of `roles`
    an action it needs on `table_arn` (as IAM's policy simulator evaluates the policy's Deny statements for each
    role), or when IAM refuses to simulate it, so it is never applied unchecked; None when it may be applied, and
    for every other setting. The stream policy's item likewise, on its stream, for the actions that act on one."""
    wanted = item.wanted or {}
    policy = wanted.get("policy") if item.setting in (SETTING, STREAM_SETTING) else None
    if policy is None:
        return None
    if item.setting == STREAM_SETTING:
        # The stream the wanted policy names (its ARN as planned: the policy and the ARN are rewritten together
        # to the target's stream when applied, so the simulation's answer is the same).
        resource = str(wanted.get("streamArn") or table_arn)
        roles = [
            Role(r.name, r.variable, r.arn, tuple(a for a in r.actions if a in STREAM_RESOURCE_ACTIONS)) for r in roles
        ]
    else:
        resource = table_arn
    unknown = [role.variable for role in roles if not role.arn]
    if unknown:
        raise ConfigurationError(
            f"cannot check the resource policy: {', '.join(unknown)} not set; update the deployment"
        )
    document = json.dumps(policy)
    denied: dict[Role, tuple[str, ...]] = {}
    for role in roles:
        try:
            denied[role] = simulate_denied(aws, role, resource, document)
        except ClientError as error:
            # Unchecked is not applied: IAM refused the simulation (the policy, or this function's permission).
            return SettingResult(
                setting=item.setting,
                status="failed",
                error="PolicyNotChecked",
                reason=(
                    f"not applied: IAM could not simulate the policy for {role.name} {role.arn}: {error}. Check the "
                    "policy by hand, then put it on the target yourself"
                ),
            )
    reason = lockout_reason(denied)
    if reason is None:
        return None
    return SettingResult(setting=item.setting, status="failed", error="PolicyLocksOut", reason=reason)


def covers(statement: Mapping[str, Any], role_arn: str) -> bool:
    """Whether a resource policy statement's Principal (or NotPrincipal) applies to the sessions of `role_arn`."""
    account = role_arn.split(":")[4]
    partition = role_arn.split(":")[1]
    role_name = role_arn.rsplit("/", 1)[-1]
    names = {"*", account, f"arn:{partition}:iam::{account}:root", role_arn}
    if "NotPrincipal" in statement:
        listed = _principals(statement["NotPrincipal"])
        sessions = {n for n in listed if n.startswith(f"arn:{partition}:sts::{account}:assumed-role/{role_name}/")}
        return not (names & listed or sessions)
    return bool(names & _principals(statement.get("Principal")))


def _principals(element: Any) -> set[str]:
    if element == "*":
        return {"*"}
    if not isinstance(element, Mapping):
        return set()
    named = element.get("AWS", [])
    return {str(name) for name in (named if isinstance(named, list) else [named])}


def denials_for(policy: Mapping[str, Any], role_arn: str) -> dict[str, Any] | None:
    """The policy's Deny statements that apply to `role_arn`, as an identity policy beside an Allow of everything
    (the role's own policies allow what it needs); None when no Deny applies to it."""
    statements = policy.get("Statement", [])
    denies = [
        {key: value for key, value in statement.items() if key not in ("Principal", "NotPrincipal")}
        for statement in (statements if isinstance(statements, list) else [statements])
        if statement.get("Effect") == "Deny" and covers(statement, role_arn)
    ]
    if not denies:
        return None
    allow_all = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    return {"Version": "2012-10-17", "Statement": [allow_all, *denies]}


def simulate_denied(aws: Aws, role: Role, table_arn: str, policy: str) -> tuple[str, ...]:
    """The actions of `role` on `table_arn` that `policy`, as the table's policy, would deny."""
    denials = denials_for(json.loads(policy), role.arn)
    if denials is None or not role.actions:
        return ()
    # The request context of the role's calls, as far as a policy's conditions can ask for it.
    account = role.arn.split(":")[4]
    context = [
        {"ContextKeyName": "aws:PrincipalArn", "ContextKeyValues": [role.arn], "ContextKeyType": "string"},
        {"ContextKeyName": "aws:PrincipalAccount", "ContextKeyValues": [account], "ContextKeyType": "string"},
        {"ContextKeyName": "aws:PrincipalType", "ContextKeyValues": ["AssumedRole"], "ContextKeyType": "string"},
        {"ContextKeyName": "aws:SecureTransport", "ContextKeyValues": ["true"], "ContextKeyType": "boolean"},
    ]
    results: list[dict[str, Any]] = []
    with translated_errors():
        pages = (
            aws.client("iam")
            .get_paginator("simulate_custom_policy")
            .paginate(
                PolicyInputList=[json.dumps(denials)],
                ActionNames=list(role.actions),
                ResourceArns=[table_arn],
                ContextEntries=context,
            )
        )
        for page in pages:
            results += page["EvaluationResults"]
    return denied_actions(results)
