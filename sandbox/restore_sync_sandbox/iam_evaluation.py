"""IAM policy evaluation within one account, as AWS documents it ("Policy evaluation logic").

A request is an action on zero or more resources by a principal, with the condition keys the request carries.
The decision follows AWS's order: an explicit Deny in any policy wins; otherwise an Allow in an identity policy or
in the resource's own policy (same account: either suffices) allows; otherwise the request is implicitly denied.
The names of the decisions are those of iam:SimulatePrincipalPolicy (`allowed`, `explicitDeny`, `implicitDeny`).

Statements: Effect, Action / NotAction (case-insensitive, `*` and `?`), Resource / NotResource (case-sensitive),
Principal / NotPrincipal (resource policies: `*`, an account, its root ARN, a role ARN, or the role's session ARN),
and Condition with the operators restore-sync's policies use and their `...IfExists`, `ForAnyValue:` and
`ForAllValues:` forms. A condition key absent from the request fails every operator but the negated ones,
`Null` and `...IfExists`, as AWS documents. An operator this module does not know raises `UnsupportedPolicy`
rather than guessing.

Limits: one account; no permission boundaries, session policies or service control policies; policy variables
(`${aws:username}`) are not substituted; a request whose resource the caller could not name (`resources` empty)
is matched on its action only.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ALLOWED = "allowed"
EXPLICIT_DENY = "explicitDeny"
IMPLICIT_DENY = "implicitDeny"


class UnsupportedPolicy(ValueError):
    """A policy uses a condition operator this evaluation does not implement."""


@dataclass(frozen=True)
class Request:
    """One action on its resources (empty: the request names none) by `principal`, with its condition keys."""

    action: str
    principal: str
    account: str
    resources: tuple[str, ...] = ()
    keys: Mapping[str, str | Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    decision: str
    # Where the deciding statement is: "identity" or "resource", with its Sid when it has one.
    matched: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOWED


def evaluate(
    request: Request,
    identity_policies: Iterable[Mapping[str, Any] | str],
    resource_policy: Mapping[str, Any] | str | None = None,
) -> Decision:
    """The decision for `request` under the caller's identity policies and the resource's policy, if any."""
    allows: list[str] = []
    denies: list[str] = []
    sources = [("identity", _document(policy)) for policy in identity_policies]
    if resource_policy is not None:
        sources.append(("resource", _document(resource_policy)))
    for kind, document in sources:
        for statement in _statements(document):
            if kind == "resource" and not _principal_matches(statement, request):
                continue
            if not _statement_applies(statement, request):
                continue
            label = f"{kind}:{statement.get('Sid', '')}".rstrip(":")
            (denies if statement.get("Effect") == "Deny" else allows).append(label)
    if denies:
        return Decision(EXPLICIT_DENY, tuple(denies))
    if allows:
        return Decision(ALLOWED, tuple(allows))
    return Decision(IMPLICIT_DENY)


def _document(policy: Mapping[str, Any] | str) -> Mapping[str, Any]:
    return _parsed(policy) if isinstance(policy, str) else policy


@functools.lru_cache(maxsize=512)
def _parsed(text: str) -> Mapping[str, Any]:
    # Every call of a role evaluates the same few documents: parse each text once (never mutated).
    parsed: Mapping[str, Any] = json.loads(text)
    return parsed


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else list(statements)


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    return [str(value)]


@functools.cache
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    # IAM wildcards: `*` any run of characters, `?` one character; nothing else is special.
    translated = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(rf"{translated}\Z", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard_match(glob: str, value: str, ignore_case: bool = False) -> bool:
    return bool(_pattern(glob, ignore_case).match(value))


def _statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "NotAction" in statement:
        if any(wildcard_match(p, request.action, True) for p in _listed(statement["NotAction"])):
            return False
    elif not any(wildcard_match(p, request.action, True) for p in _listed(statement.get("Action"))):
        return False
    if request.resources:
        if "NotResource" in statement:
            excluded = _listed(statement["NotResource"])
            if not all(not any(wildcard_match(p, r) for p in excluded) for r in request.resources):
                return False
        elif "Resource" in statement:
            patterns = _listed(statement["Resource"])
            if not all(any(wildcard_match(p, r) for p in patterns) for r in request.resources):
                return False
    return _conditions_hold(statement.get("Condition") or {}, request.keys)


def _principal_matches(statement: Mapping[str, Any], request: Request) -> bool:
    if "NotPrincipal" in statement:
        return not _names_principal(statement["NotPrincipal"], request)
    return _names_principal(statement.get("Principal"), request)


def _names_principal(principal: Any, request: Request) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    names = _listed(principal.get("AWS"))
    caller = request.principal
    role_arn = _role_of_session(caller)
    for name in names:
        if name == "*" or name in (caller, role_arn):
            return True
        if name in (request.account, f"arn:aws:iam::{request.account}:root"):
            return True
    return False


def _role_of_session(principal: str) -> str:
    """arn:aws:sts::A:assumed-role/R/S -> arn:aws:iam::A:role/R (paths are not in the session ARN)."""
    match = re.match(r"arn:([^:]+):sts::([0-9]{12}):assumed-role/([^/]+)/", principal)
    if not match:
        return principal
    partition, account, role = match.groups()
    return f"arn:{partition}:iam::{account}:role/{role}"


# ---- conditions -----------------------------------------------------------------------------------------------


def _conditions_hold(conditions: Mapping[str, Mapping[str, Any]], keys: Mapping[str, str | Sequence[str]]) -> bool:
    lowered = {name.lower(): value for name, value in keys.items()}
    for operator, tests in conditions.items():
        for key, expected in tests.items():
            present = lowered.get(key.lower())
            values = None if present is None else _listed(present)
            if not _condition_holds(operator, values, _listed(expected)):
                return False
    return True


def _condition_holds(operator: str, values: list[str] | None, expected: list[str]) -> bool:
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    if name == "Null":
        wants_absent = expected[0].lower() == "true"
        return (values is None) == wants_absent
    compare = _COMPARISONS.get(name)
    if compare is None:
        raise UnsupportedPolicy(f"condition operator {operator!r} is not evaluated by the sandbox")
    negated = name.startswith(("StringNot", "ArnNot", "NotIpAddress")) or name == "NumericNotEquals"
    if values is None:
        return if_exists or negated
    if qualifier == "ForAllValues":
        return all(compare(value, expected) for value in values)
    if qualifier == "ForAnyValue" or len(values) == 1:
        return any(compare(value, expected) for value in values)
    # A multivalued key without a set qualifier: AWS compares as ForAnyValue for positive operators.
    return any(compare(value, expected) for value in values)


def _string_equals(value: str, expected: list[str]) -> bool:
    return value in expected


def _string_like(value: str, expected: list[str]) -> bool:
    return any(wildcard_match(pattern, value) for pattern in expected)


def _string_equals_ignore_case(value: str, expected: list[str]) -> bool:
    return value.lower() in (item.lower() for item in expected)


def _bool(value: str, expected: list[str]) -> bool:
    return value.lower() in (item.lower() for item in expected)


def _numeric(test: str) -> Any:
    def compare(value: str, expected: list[str]) -> bool:
        number = float(value)
        checks = {
            "eq": lambda e: number == e,
            "ne": lambda e: number != e,
            "lt": lambda e: number < e,
            "le": lambda e: number <= e,
            "gt": lambda e: number > e,
            "ge": lambda e: number >= e,
        }
        if test == "ne":
            return all(checks[test](float(item)) for item in expected)
        return any(checks[test](float(item)) for item in expected)

    return compare


def _ip_address(value: str, expected: list[str]) -> bool:
    address = ipaddress.ip_address(value)
    return any(address in ipaddress.ip_network(item, strict=False) for item in expected)


def _negation(compare: Any) -> Any:
    return lambda value, expected: not compare(value, expected)


_COMPARISONS: dict[str, Any] = {
    "StringEquals": _string_equals,
    "StringNotEquals": _negation(_string_equals),
    "StringEqualsIgnoreCase": _string_equals_ignore_case,
    "StringNotEqualsIgnoreCase": _negation(_string_equals_ignore_case),
    "StringLike": _string_like,
    "StringNotLike": _negation(_string_like),
    "ArnEquals": _string_like,
    "ArnLike": _string_like,
    "ArnNotEquals": _negation(_string_like),
    "ArnNotLike": _negation(_string_like),
    "Bool": _bool,
    "NumericEquals": _numeric("eq"),
    "NumericNotEquals": _numeric("ne"),
    "NumericLessThan": _numeric("lt"),
    "NumericLessThanEquals": _numeric("le"),
    "NumericGreaterThan": _numeric("gt"),
    "NumericGreaterThanEquals": _numeric("ge"),
    "IpAddress": _ip_address,
    "NotIpAddress": _negation(_ip_address),
}
