"""Can a function's execution role read a table's stream? Lambda asks before it maps the stream to the function.

Lambda refuses CreateEventSourceMapping unless the function's own role may call DescribeStream, GetRecords and
GetShardIterator on the stream, and ListStreams. Consumer roles are often scoped to the source table's stream
(CDK's grantStreamRead, SAM's DynamoDBStreamReadPolicy), so a trigger copied onto a restored table would fail at
the change set. Asked of IAM's own evaluation (iam:SimulatePrincipalPolicy) before anything is changed, the answer
names what to add instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from restore_sync.aws import TableRef

# What Lambda's poller calls on a DynamoDB stream (Lambda's error names the same four).
STREAM_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")
LIST_ACTION = "dynamodb:ListStreams"


@dataclass(frozen=True)
class StreamAccess:
    """A function's role and the stream actions it lacks (none: it can read the stream)."""

    function_arn: str
    role_arn: str
    denied: tuple[str, ...]

    @property
    def readable(self) -> bool:
        return not self.denied


def streams_of(table: TableRef, name_pattern: str | None = None) -> str:
    """The ARN pattern of every stream of `table` (or of tables named `name_pattern`, `*` allowed)."""
    name = name_pattern or table.name
    return f"arn:{table.partition}:dynamodb:{table.region}:{table.account}:table/{name}/stream/*"


def statement_to_add(table: TableRef, name_pattern: str | None = None) -> dict[str, Any]:
    """The policy a consumer role needs to be mapped to the streams of `table` (or of `name_pattern`)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": list(STREAM_ACTIONS), "Resource": streams_of(table, name_pattern)},
            {"Effect": "Allow", "Action": LIST_ACTION, "Resource": "*"},
        ],
    }


def role_of(lambda_client: Any, function_arn: str) -> str:
    return str(lambda_client.get_function_configuration(FunctionName=function_arn)["Role"])


def check(iam: Any, function_arn: str, role_arn: str, stream_arn: str) -> StreamAccess:
    """What `role_arn` may not do of what Lambda needs on `stream_arn`, by IAM's simulation of its policies."""
    results = iam.simulate_principal_policy(
        PolicySourceArn=role_arn, ActionNames=list(STREAM_ACTIONS), ResourceArns=[stream_arn]
    )["EvaluationResults"]
    results += iam.simulate_principal_policy(PolicySourceArn=role_arn, ActionNames=[LIST_ACTION])["EvaluationResults"]
    denied = tuple(sorted({r["EvalActionName"] for r in results if r["EvalDecision"] != "allowed"}))
    return StreamAccess(function_arn=function_arn, role_arn=role_arn, denied=denied)


def refusal(access: StreamAccess, table: TableRef) -> str:
    """Why the trigger of `access.function_arn` cannot be created on `table`'s stream, and what to add."""
    return (
        f"the role {access.role_arn} of function {access.function_arn} cannot read the stream of {table.name} "
        f"(denied: {', '.join(access.denied)}), so Lambda would refuse the trigger; add to that role: "
        f"{json.dumps(statement_to_add(table), separators=(',', ':'))}, then start restore-sync again"
    )
