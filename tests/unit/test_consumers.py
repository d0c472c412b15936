"""Triggers whose function's role cannot read the target's stream are left out, each with what to add."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from restore_sync.aws import TableRef
from restore_sync.workflow.consumers import without_unreadable

TARGET = TableRef("orders-restored", "eu-west-1", "123456789012")
STREAM = f"{TARGET.arn}/stream/2026-12-02T00:00:00.000"
READER = "arn:aws:lambda:eu-west-1:123456789012:function:reader"
SCOPED = "arn:aws:lambda:eu-west-1:123456789012:function:scoped"
GONE = "arn:aws:lambda:eu-west-1:123456789012:function:gone"


class Clients:
    """DynamoDB, Lambda and IAM as far as the check asks them: the scoped function's role may read nothing."""

    def __init__(self, stream: str | None = STREAM) -> None:
        self.stream = stream

    def client(self, service: str, region: str | None = None) -> Any:
        return self

    def describe_table(self, TableName: str) -> dict[str, Any]:
        return {"Table": {"TableName": TableName, **({"LatestStreamArn": self.stream} if self.stream else {})}}

    def get_function_configuration(self, FunctionName: str) -> dict[str, Any]:
        if FunctionName == GONE:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "GetFunctionConfiguration")
        return {"Role": f"arn:aws:iam::123456789012:role/{FunctionName.rsplit(':', 1)[-1]}"}

    def simulate_principal_policy(self, PolicySourceArn: str, ActionNames: list[str], **_: Any) -> dict[str, Any]:
        decision = "implicitDeny" if PolicySourceArn.endswith("/scoped") else "allowed"
        return {"EvaluationResults": [{"EvalActionName": a, "EvalDecision": decision} for a in ActionNames]}


def mapping(function: str) -> dict[str, Any]:
    return {"functionArn": function, "enabled": True, "properties": {"BatchSize": 10}}


def test_only_the_mappings_lambda_would_refuse_are_left_out_and_each_says_what_to_add() -> None:
    wanted = {"mappings": [mapping(READER), mapping(SCOPED), mapping(GONE)]}

    kept, refusals = without_unreadable(Clients(), wanted, TARGET)  # type: ignore[arg-type]

    assert kept == {"mappings": [mapping(READER), mapping(GONE)]}, "a missing function is the change set's to report"
    assert len(refusals) == 1
    assert "role arn:aws:iam::123456789012:role/scoped of function " + SCOPED in refusals[0]
    assert f'"Resource":"{TARGET.arn}/stream/*"' in refusals[0]


@pytest.mark.parametrize("wanted", [{"mappings": []}, {"mappings": [mapping(SCOPED)]}])
def test_nothing_is_asked_without_mappings_or_before_the_target_has_a_stream(wanted: dict[str, Any]) -> None:
    kept, refusals = without_unreadable(Clients(stream=None), wanted, TARGET)  # type: ignore[arg-type]
    assert (kept, refusals) == (wanted, [])
