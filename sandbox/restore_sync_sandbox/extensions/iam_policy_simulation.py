"""iam:SimulatePrincipalPolicy and iam:SimulateCustomPolicy, answered by the evaluation the sandbox enforces.

AWS behaviour reproduced: SimulatePrincipalPolicy evaluates a role's identity policies (inline and attached, plus
any PolicyInputList) for each of ActionNames on each of ResourceArns (default `*`), with the ResourcePolicy when
one is given and the ContextEntries as condition keys, and answers one EvaluationResult per action and resource:
EvalActionName, EvalResourceName, EvalDecision (`allowed`, `explicitDeny`, `implicitDeny`) and MatchedStatements
(SourcePolicyType `role` or `resource`; SourcePolicyId says which, with the statement's Sid). SimulateCustomPolicy
does the same for PolicyInputList alone. A PolicySourceArn that names no role is NoSuchEntity; a policy that is not
JSON is InvalidInput. The decisions are those the sandbox's own enforcement reaches (`iam_identity_policies`), so what a
simulation predicts is what the sandbox then does.

moto internals patched: none replaced; `IamResponse` gains the two operations (moto has neither).

With a ResourcePolicy, IAM requires CallerArn, the ARN of an IAM user (its API reference: "required if you include
a ResourcePolicy and the PolicySourceArn is not the ARN for an IAM user", so that the policy's Principal element
has a value); without it, or with another kind of ARN, the call is InvalidInput, as in AWS. A role's resource
policy access cannot be simulated that way: restore-sync simulates the Deny statements as the role's own
(SimulateCustomPolicy, `restore_sync.workflow.lockout`).

Limits: roles only as PolicySourceArn (not users or groups); no permission boundaries, SCPs or pagination
(MaxItems, Marker); StartPosition and EndPosition of matched statements are not given; AWS's exact message for
the missing CallerArn is not known here.
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.iam.models import iam_backends
from moto.iam.responses import IamResponse

from restore_sync_sandbox import iam_evaluation
from restore_sync_sandbox.extensions import iam_identity_policies
from restore_sync_sandbox.iam_evaluation import Request


class NoSuchEntity(ServiceException):
    code = "NoSuchEntity"


class InvalidInput(ServiceException):
    code = "InvalidInput"


def _documents(texts: list[str]) -> list[Any]:
    documents = []
    for text in texts:
        try:
            documents.append(json.loads(text))
        except ValueError as error:
            raise InvalidInput(f"policy is not valid JSON: {error}") from error
    return documents


def _context(entries: list[dict[str, Any]]) -> dict[str, list[str]]:
    return {str(entry["ContextKeyName"]): [str(v) for v in entry.get("ContextKeyValues") or []] for entry in entries}


def _listed(response: IamResponse, name: str) -> list[Any]:
    return list((getattr(response, "params", None) or {}).get(name) or [])


def simulate(
    account: str,
    principal: str,
    identity_policies: list[Any],
    actions: list[str],
    resources: list[str],
    resource_policy: Any = None,
    keys: dict[str, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """One EvaluationResult per action and resource, as SimulatePrincipalPolicy answers."""
    results = []
    for action in actions:
        for resource in resources:
            named = () if resource == "*" else (resource,)
            decision = iam_evaluation.evaluate(
                Request(action, principal, account, named, keys or {}), identity_policies, resource_policy
            )
            matched = [
                {"SourcePolicyId": label, "SourcePolicyType": "resource" if label.startswith("resource") else "role"}
                for label in decision.matched
            ]
            results.append(
                {
                    "EvalActionName": action,
                    "EvalResourceName": resource,
                    "EvalDecision": decision.decision,
                    "MatchedStatements": matched,
                    "MissingContextValues": [],
                }
            )
    return results


def _caller_for_resource_policy(response: IamResponse, resource_policy: str | None) -> str | None:
    """The simulated caller a resource policy's Principal is matched against: IAM requires an IAM user's ARN as
    CallerArn with a ResourcePolicy (the policy source here is never a user), and takes no other principal."""
    caller = response._get_param("CallerArn")
    if not resource_policy:
        return None
    if not caller:
        raise InvalidInput("CallerArn is required when ResourcePolicy is given and PolicySourceArn is not an IAM user")
    if ":user/" not in str(caller):
        raise InvalidInput(f"CallerArn must be the ARN of an IAM user, not {caller}")
    return str(caller)


def simulate_principal_policy(self: IamResponse) -> ActionResult:
    source = str(self._get_param("PolicySourceArn"))
    account = self.current_account
    backend = iam_backends[account][self.partition]
    try:
        role = backend.get_role_by_arn(source)
    except Exception as error:  # moto raises its own NotFound types
        raise NoSuchEntity(f"The role with ARN {source} cannot be found.") from error
    policies = iam_identity_policies.role_policies(account, role.arn)
    keys = {"aws:PrincipalArn": [role.arn], "aws:PrincipalAccount": [account]}
    return _answer(self, policies, f"arn:{self.partition}:sts::{account}:assumed-role/{role.name}/simulation", keys)


def simulate_custom_policy(self: IamResponse) -> ActionResult:
    return _answer(self, [], f"arn:{self.partition}:iam::{self.current_account}:root", {})


def _answer(self: IamResponse, policies: list[Any], principal: str, keys: dict[str, list[str]]) -> ActionResult:
    """The simulation both operations answer: `policies` with PolicyInputList, the ResourcePolicy (whose Principal
    is matched against CallerArn) or else `principal`, and `keys` with the ContextEntries."""
    resource_policy_text = self._get_param("ResourcePolicy")
    resource_policy = _documents([resource_policy_text])[0] if resource_policy_text else None
    results = simulate(
        self.current_account,
        _caller_for_resource_policy(self, resource_policy_text) or principal,
        [*policies, *_documents(_listed(self, "PolicyInputList"))],
        _listed(self, "ActionNames"),
        _listed(self, "ResourceArns") or ["*"],
        resource_policy,
        {**keys, **_context(_listed(self, "ContextEntries"))},
    )
    return ActionResult({"EvaluationResults": results, "IsTruncated": False})


def install() -> None:
    IamResponse.simulate_principal_policy = simulate_principal_policy  # type: ignore[attr-defined]
    IamResponse.simulate_custom_policy = simulate_custom_policy  # type: ignore[attr-defined]
