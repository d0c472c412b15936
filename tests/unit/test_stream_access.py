"""Whether a consumer role can read a stream comes from IAM's simulation; the refusal says what to add."""

from __future__ import annotations

import json
from typing import Any

from restore_sync.aws import TableRef
from restore_sync.stream_access import STREAM_ACTIONS, check, refusal, statement_to_add

TARGET = TableRef("orders-restored", "eu-west-1", "123456789012")
ROLE = "arn:aws:iam::123456789012:role/audit"
FUNCTION = "arn:aws:lambda:eu-west-1:123456789012:function:audit"


class SimulatingIam:
    """Answers SimulatePrincipalPolicy with `allowed` for the actions in `allowed` only, and records the asks."""

    def __init__(self, allowed: set[str]) -> None:
        self.allowed = allowed
        self.asked: list[dict[str, Any]] = []

    def simulate_principal_policy(self, **ask: Any) -> dict[str, Any]:
        self.asked.append(ask)
        return {
            "EvaluationResults": [
                {"EvalActionName": a, "EvalDecision": "allowed" if a in self.allowed else "implicitDeny"}
                for a in ask["ActionNames"]
            ]
        }


def test_the_role_is_asked_about_the_stream_and_list_streams() -> None:
    iam = SimulatingIam(allowed={*STREAM_ACTIONS, "dynamodb:ListStreams"})
    stream = f"{TARGET.arn}/stream/2026-12-02T00:00:00.000"

    access = check(iam, FUNCTION, ROLE, stream)

    assert access.readable
    assert iam.asked[0] == {"PolicySourceArn": ROLE, "ActionNames": list(STREAM_ACTIONS), "ResourceArns": [stream]}
    assert iam.asked[1] == {"PolicySourceArn": ROLE, "ActionNames": ["dynamodb:ListStreams"]}


def test_what_is_denied_is_named_and_the_refusal_gives_the_statement_for_the_target() -> None:
    access = check(SimulatingIam(allowed={"dynamodb:ListStreams"}), FUNCTION, ROLE, f"{TARGET.arn}/stream/x")

    assert access.denied == ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")
    message = refusal(access, TARGET)
    assert ROLE in message
    assert FUNCTION in message
    assert json.dumps(statement_to_add(TARGET), separators=(",", ":")) in message
    assert statement_to_add(TARGET)["Statement"][0]["Resource"] == (
        "arn:aws:dynamodb:eu-west-1:123456789012:table/orders-restored/stream/*"
    )
