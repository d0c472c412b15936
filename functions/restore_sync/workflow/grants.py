"""Never grant more than the live source grants: a resource policy copied from the settings history is applied
without the principals the source's own policy no longer grants.

Restoring to a point before an incident must not bring back access that was revoked on purpose since. The
comparison is by principal: a principal that an Allow statement of the recorded policy grants anything to, and
that no Allow statement of the source's policy today grants anything to, is left out of the recorded policy. Pure:
the policies are all it reads.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

# A principal in one form: (kind, value). Kinds are the keys IAM allows in a Principal ("AWS", "Service",
# "Federated", "CanonicalUser"); "*" is ("AWS", "*"), as IAM reads it; an Allow with NotPrincipal grants everyone
# but those, and is ("NotPrincipal", <its principals as canonical JSON>).
Principal = tuple[str, str]
EVERYONE: Principal = ("AWS", "*")
NOT_PRINCIPAL = "NotPrincipal"
# An account's root ARN and its bare id name the same principal.
_ACCOUNT_ROOT = re.compile(r"^arn:aws[a-z-]*:iam::([0-9]{12}):root\Z")


@dataclass(frozen=True)
class Access:
    """The policy to apply, and why it differs from the recorded one (None when it does not)."""

    policy: dict[str, Any] | None
    reason: str | None = None
    withheld: tuple[Principal, ...] = ()


def principals(policy: dict[str, Any] | None) -> set[Principal]:
    """The principals the Allow statements of a policy document grant something to; Deny statements grant nothing.

    Every form IAM allows is read: `"*"`, `{"AWS": "*"}`, `{"AWS": str | [str]}` (accounts by id or root ARN,
    users, roles, sessions), `Service`, `Federated` and `CanonicalUser`, each a string or a list of them.
    """
    found: set[Principal] = set()
    for statement in _statements(policy):
        if statement.get("Effect") != "Allow":
            continue
        if NOT_PRINCIPAL in statement:
            found.add(_not_principal(statement[NOT_PRINCIPAL]))
        for kind, value in _named(statement.get("Principal")):
            found.add((kind, _canonical(kind, value)))
    return found


def without(policy: dict[str, Any], revoked: set[Principal]) -> dict[str, Any] | None:
    """`policy` with the `revoked` principals taken out of its Allow statements: an Allow statement left with no
    principal goes; Deny statements stay as they are. None when no statement is left."""
    kept: list[dict[str, Any]] = []
    for statement in _statements(policy):
        narrowed = _narrowed(statement, revoked)
        if narrowed is not None:
            kept.append(narrowed)
    if not kept:
        return None
    single = isinstance(policy.get("Statement"), dict)
    return {**copy.deepcopy(policy), "Statement": kept[0] if single and len(kept) == 1 else kept}


def recorded_access(
    recorded: dict[str, Any] | None,
    live: dict[str, Any] | None,
    *,
    source_exists: bool,
    grant_recorded: bool,
    whose: str = "the source table's policy",
) -> Access:
    """What to apply of a resource policy recorded at the restore point, given the source's policy today (`live`,
    None for none; `source_exists` False when the source table is gone). `whose` names the live policy in reasons.

    By default the recorded policy without the principals `live` no longer grants, with the reason naming them;
    `grant_recorded` applies the recorded policy as it was, saying what it grants that the source no longer does.
    A source that is gone has no policy to compare with: the recorded one is applied, and the reason says so.
    """
    if recorded is None:
        return Access(policy=None)
    if not source_exists:
        return Access(
            policy=recorded,
            reason="the source table no longer exists, so the recorded policy cannot be compared with the source's "
            "policy today: it is applied as recorded",
        )
    revoked = principals(recorded) - principals(live)
    if not revoked:
        return Access(policy=recorded)
    withheld = tuple(sorted(revoked))
    named = ", ".join(describe(principal) for principal in withheld)
    if grant_recorded:
        return Access(
            policy=recorded,
            reason=f"the recorded policy grants {named}, which {whose} no longer grants; applied as recorded "
            "because the request says grantRecordedAccess",
        )
    narrowed = without(recorded, revoked)
    applied = "the policy is applied without them" if narrowed else "no statement is left, so no policy is applied"
    return Access(
        policy=narrowed,
        reason=f"not granted to {named}: the recorded policy grants them but {whose} no longer does (revoked since "
        f"the restore point), so {applied}; start again with grantRecordedAccess true "
        "(restore-sync start --grant-recorded-access) to apply the recorded policy as it was",
        withheld=withheld,
    )


def describe(principal: Principal) -> str:
    """A principal as a person reads it: `AWS arn:aws:iam::123456789012:role/reader`, `everyone (*)`."""
    if principal == EVERYONE:
        return 'everyone ("*")'
    kind, value = principal
    if kind == NOT_PRINCIPAL:
        return "everyone but " + " and ".join(describe((k, v)) for k, v in json.loads(value))
    return f"{kind} {value}"


def _statements(policy: dict[str, Any] | None) -> list[dict[str, Any]]:
    statements = (policy or {}).get("Statement") or []
    return [statements] if isinstance(statements, dict) else list(statements)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _named(principal: Any) -> list[Principal]:
    """(kind, value as written) for each principal of a Principal element."""
    if principal == "*":
        return [EVERYONE]
    if not isinstance(principal, dict):
        return []
    return [(str(kind), str(value)) for kind, values in principal.items() for value in _as_list(values)]


def _canonical(kind: str, value: str) -> str:
    root = _ACCOUNT_ROOT.match(value) if kind == "AWS" else None
    return root.group(1) if root else value


def _not_principal(principal: Any) -> Principal:
    everyone_but = sorted({(kind, _canonical(kind, value)) for kind, value in _named(principal)})
    return (NOT_PRINCIPAL, json.dumps(everyone_but))


def _narrowed(statement: dict[str, Any], revoked: set[Principal]) -> dict[str, Any] | None:
    """The statement without the revoked principals; None when nothing it grants is left."""
    if statement.get("Effect") != "Allow":
        return copy.deepcopy(statement)
    if NOT_PRINCIPAL in statement:
        return None if _not_principal(statement[NOT_PRINCIPAL]) in revoked else copy.deepcopy(statement)
    principal = statement.get("Principal")
    if principal == "*":
        return None if EVERYONE in revoked else copy.deepcopy(statement)
    if not isinstance(principal, dict):
        return copy.deepcopy(statement)
    kept: dict[str, Any] = {}
    for kind, values in principal.items():
        left = [value for value in _as_list(values) if (kind, _canonical(kind, str(value))) not in revoked]
        if left:
            kept[kind] = left if isinstance(values, list) else left[0]
    return {**copy.deepcopy(statement), "Principal": kept} if kept else None
