"""Never grant more than the live source grants: principals of a policy in every IAM form, and what is applied."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from restore_sync.aws import TableRef
from restore_sync.contracts import Request
from restore_sync.history.store import Version
from restore_sync.workflow.grants import EVERYONE, describe, principals, recorded_access, without
from restore_sync.workflow.source import source_settings

ACCOUNT = "123456789012"
READER = f"arn:aws:iam::{ACCOUNT}:role/reader"
ANALYST = f"arn:aws:iam::{ACCOUNT}:role/analyst"
SAML = f"arn:aws:iam::{ACCOUNT}:saml-provider/corp"
CANONICAL = "79a59df900b949e55d96a1e698fbaced"
LAMBDA, DYNAMODB = "lambda.amazonaws.com", "dynamodb.amazonaws.com"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"


def allow(principal: Any, sid: str = "Read") -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": "dynamodb:GetItem", "Resource": TABLE}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


DENY_DELETES = {"Effect": "Deny", "Principal": {"AWS": ANALYST}, "Action": "dynamodb:DeleteItem", "Resource": TABLE}


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("*", {EVERYONE}),
        ({"AWS": "*"}, {EVERYONE}),
        ({"AWS": READER}, {("AWS", READER)}),
        ({"AWS": [READER, ANALYST]}, {("AWS", READER), ("AWS", ANALYST)}),
        ({"AWS": ACCOUNT}, {("AWS", ACCOUNT)}),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, {("AWS", ACCOUNT)}),
        ({"AWS": f"arn:aws-cn:iam::{ACCOUNT}:root"}, {("AWS", ACCOUNT)}),
        ({"Service": LAMBDA}, {("Service", LAMBDA)}),
        (
            {"Federated": ["cognito-identity.amazonaws.com", f"arn:aws:iam::{ACCOUNT}:saml-provider/corp"]},
            {
                ("Federated", "cognito-identity.amazonaws.com"),
                ("Federated", f"arn:aws:iam::{ACCOUNT}:saml-provider/corp"),
            },
        ),
        (
            {"CanonicalUser": "79a59df900b949e55d96a1e698fbaced"},
            {("CanonicalUser", "79a59df900b949e55d96a1e698fbaced")},
        ),
        (
            {"AWS": READER, "Service": "dynamodb.amazonaws.com"},
            {("AWS", READER), ("Service", "dynamodb.amazonaws.com")},
        ),
    ],
)
def test_the_principals_of_an_allow_in_every_form_iam_allows(principal: Any, expected: set[Any]) -> None:
    assert principals(policy(allow(principal))) == expected


def test_deny_statements_grant_nothing_and_a_single_statement_counts() -> None:
    assert principals(policy(DENY_DELETES)) == set()
    assert principals({"Version": "2012-10-17", "Statement": allow({"AWS": READER})}) == {("AWS", READER)}
    assert principals(None) == set()


def test_an_allow_with_not_principal_grants_everyone_but_them_whatever_the_form() -> None:
    as_root = {"Effect": "Allow", "NotPrincipal": {"AWS": [f"arn:aws:iam::{ACCOUNT}:root"]}, "Action": "dynamodb:*"}
    as_id = {"Effect": "Allow", "NotPrincipal": {"AWS": ACCOUNT}, "Action": "dynamodb:*"}
    (granted,) = principals(policy(as_root))
    assert principals(policy(as_id)) == {granted}
    assert describe(granted) == f"everyone but AWS {ACCOUNT}"


def test_revoked_principals_are_taken_out_and_the_rest_kept_as_written() -> None:
    recorded = policy(
        allow({"AWS": [READER, ANALYST], "Service": LAMBDA}),
        allow({"AWS": ANALYST}, sid="Analyst"),
        allow({"AWS": READER}, sid="Reader"),
        DENY_DELETES,
    )
    narrowed = without(recorded, {("AWS", ANALYST)})
    assert narrowed == policy(
        allow({"AWS": [READER], "Service": LAMBDA}),
        allow({"AWS": READER}, sid="Reader"),
        DENY_DELETES,
    )
    assert recorded["Statement"][1]["Principal"] == {"AWS": ANALYST}, "the recorded policy is not changed"


def test_a_revoked_everyone_or_account_goes_by_any_of_its_names() -> None:
    recorded = policy(allow("*", sid="Anyone"), allow({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, sid="Account"))
    assert without(recorded, {EVERYONE, ("AWS", ACCOUNT)}) is None
    single = {"Version": "2012-10-17", "Statement": allow({"AWS": [READER, ANALYST]})}
    assert without(single, {("AWS", ANALYST)}) == {"Version": "2012-10-17", "Statement": allow({"AWS": [READER]})}


def test_what_the_live_policy_still_grants_is_applied_as_recorded() -> None:
    recorded = policy(allow({"AWS": READER}), DENY_DELETES)
    live = policy(allow({"AWS": [READER, ANALYST]}))
    assert recorded_access(recorded, live, source_exists=True, grant_recorded=False).reason is None
    assert recorded_access(recorded, live, source_exists=True, grant_recorded=False).policy == recorded
    assert recorded_access(None, live, source_exists=True, grant_recorded=False).policy is None


def test_a_principal_revoked_since_is_not_granted_and_the_reason_names_it() -> None:
    recorded = policy(allow({"AWS": [READER, ANALYST]}))
    access = recorded_access(recorded, policy(allow({"AWS": READER})), source_exists=True, grant_recorded=False)
    assert access.policy == policy(allow({"AWS": [READER]}))
    assert access.withheld == (("AWS", ANALYST),)
    assert access.reason is not None
    assert access.reason.startswith(f"not granted to AWS {ANALYST}: the recorded policy grants them but the source")
    assert "so the policy is applied without them" in access.reason
    assert "grantRecordedAccess true (restore-sync start --grant-recorded-access)" in access.reason


def test_a_policy_deleted_since_leaves_nothing_to_grant() -> None:
    access = recorded_access(policy(allow("*")), None, source_exists=True, grant_recorded=False)
    assert access.policy is None
    assert access.reason is not None
    assert access.reason.startswith('not granted to everyone ("*")')
    assert "no statement is left, so no policy is applied" in access.reason


def test_granting_recorded_access_applies_the_recorded_policy_and_says_what_it_grants() -> None:
    recorded = policy(allow({"AWS": [READER, ANALYST]}))
    access = recorded_access(recorded, policy(allow({"AWS": READER})), source_exists=True, grant_recorded=True)
    assert access.policy == recorded
    assert access.reason == (
        f"the recorded policy grants AWS {ANALYST}, which the source table's policy no longer grants; applied as "
        "recorded because the request says grantRecordedAccess"
    )


def test_a_source_that_is_gone_gets_the_recorded_policy_and_the_reason_says_so() -> None:
    recorded = policy(allow({"AWS": ANALYST}))
    access = recorded_access(recorded, None, source_exists=False, grant_recorded=False)
    assert access.policy == recorded
    assert access.reason is not None
    assert access.reason.startswith("the source table no longer exists")
    assert "applied as recorded" in access.reason


# ---- where it is plugged: the source step ---------------------------------------------------------------------


class FakeDynamoDB:
    """GetResourcePolicy of the source as DynamoDB answers it; counts the calls."""

    def __init__(self, answer: dict[str, Any] | str) -> None:
        self.answer, self.calls = answer, 0

    def get_resource_policy(self, ResourceArn: str) -> dict[str, Any]:
        self.calls += 1
        if isinstance(self.answer, str):
            raise ClientError({"Error": {"Code": self.answer, "Message": "no"}}, "GetResourcePolicy")
        return {"Policy": json.dumps(self.answer)}


class FakeAws:
    def __init__(self, dynamodb: FakeDynamoDB) -> None:
        self.dynamodb = dynamodb

    def client(self, service: str, region: str | None = None) -> Any:
        assert service == "dynamodb"
        return self.dynamodb


class FakeHistory:
    """A history holding one version of the source, with this resource policy."""

    def __init__(self, recorded: dict[str, Any] | None) -> None:
        document = {
            "settings": {"ttl": {"enabled": False, "attributeName": None}, "resource_policy": {"policy": recorded}}
        }
        self.version = Version(TABLE, "2026-11-01T12:00:00.000Z#ab", "", "", "deploy", "", document)

    def at_or_before(self, table_arn: str, moment: datetime) -> Version:
        return self.version


def chosen(history: FakeHistory, dynamodb: FakeDynamoDB, **options: Any) -> dict[str, Any]:
    request = Request.for_tables(
        TableRef("orders-restored", "us-east-1", ACCOUNT),
        TableRef.from_arn(TABLE),
        trigger="manual",
        settings=options.pop("settings", ("ttl", "resource_policy")),
        dry_run=False,
        requested_at="2026-11-20T10:00:00Z",
        hold=(),
        settings_from=options.pop("settings_from", "auto"),
        **options,
    )
    point = datetime(2026, 11, 2, tzinfo=UTC)
    return source_settings(FakeAws(dynamodb), history, request, point)  # type: ignore[arg-type]


def test_settings_from_the_history_grant_no_principal_the_source_no_longer_grants() -> None:
    recorded = policy(allow({"AWS": [READER, ANALYST]}))
    live = FakeDynamoDB(policy(allow({"AWS": READER})))
    result = chosen(FakeHistory(recorded), live)
    assert result["document"]["settings"]["resource_policy"] == {"policy": policy(allow({"AWS": [READER]}))}
    assert result["reasons"]["resource_policy"].startswith(f"not granted to AWS {ANALYST}")
    assert result["document"]["settings"]["ttl"] == {"enabled": False, "attributeName": None}

    granted = chosen(FakeHistory(recorded), live, grant_recorded_access=True)
    assert granted["document"]["settings"]["resource_policy"] == {"policy": recorded}
    assert "applied as recorded because the request says grantRecordedAccess" in granted["reasons"]["resource_policy"]


def test_a_deleted_source_gets_the_recorded_policy_and_other_errors_are_not_taken_for_one() -> None:
    recorded = policy(allow({"AWS": ANALYST}))
    result = chosen(FakeHistory(recorded), FakeDynamoDB("ResourceNotFoundException"))
    assert result["document"]["settings"]["resource_policy"] == {"policy": recorded}
    assert result["reasons"]["resource_policy"].startswith("the source table no longer exists")
    with pytest.raises(ClientError, match="AccessDeniedException"):
        chosen(FakeHistory(recorded), FakeDynamoDB("AccessDeniedException"))


def test_the_source_policy_is_read_only_for_a_recorded_policy_from_the_history() -> None:
    unchanged = FakeDynamoDB(policy(allow({"AWS": READER})))
    result = chosen(FakeHistory(policy(allow({"AWS": READER}))), unchanged)
    assert "reasons" not in result
    assert unchanged.calls == 1
    for history, settings in ((FakeHistory(None), ("resource_policy",)), (FakeHistory(policy()), ("ttl",))):
        untouched = FakeDynamoDB("AccessDeniedException")
        assert "reasons" not in chosen(history, untouched, settings=settings, settings_from="snapshot")
        assert untouched.calls == 0
