"""Lambda creates an event source mapping on a DynamoDB stream only if the function's role can read the stream.

AWS behaviour reproduced: CreateEventSourceMapping (from the API or from a stack's AWS::Lambda::EventSourceMapping)
checks that the function's execution role may call dynamodb:DescribeStream, GetRecords and GetShardIterator on the
stream and dynamodb:ListStreams; within one account an Allow of the stream's own resource policy for the role is
enough for the stream's actions, as IAM's policy evaluation logic has it (an identity-based or a resource-based
policy may allow), and a Deny there refuses them; ListStreams has no resource type, so only the role's policies
can allow it; if not, it fails with InvalidParameterValueException and Lambda's message
("Cannot access stream <ARN>. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream,
and ListStreams Actions on your stream in IAM."), and no mapping is made. A role scoped to another table's stream
(CDK's grantStreamRead on the source table, say) therefore cannot be given a trigger on a restored copy. The role's
policies are evaluated as `iam_identity_policies` evaluates a call.

moto internals patched: `LambdaBackend.create_event_source_mapping` (wrapped; other event sources pass through).

Limits: only DynamoDB streams are checked; a function whose role does not exist in IAM is not checked (moto lets
such functions be created).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaBackend
from moto.dynamodb.models import dynamodb_backends

from restore_sync_sandbox import iam_evaluation
from restore_sync_sandbox.extensions import iam_identity_policies
from restore_sync_sandbox.iam_evaluation import Request

_PATCHED = "_restore_sync_stream_access"
# What Lambda's poller calls on a DynamoDB stream, and so what the role must allow.
STREAM_READ_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")
LIST_ACTION = "dynamodb:ListStreams"


def refusal(account: str, role_arn: str, stream_arn: str) -> str | None:
    """Lambda's message when `role_arn` cannot read `stream_arn`; None when it can (or the role is unknown)."""
    try:
        policies = iam_identity_policies.role_policies(account, role_arn)
    except Exception:  # moto raises its own NotFound types
        return None
    principal = f"arn:aws:sts::{account}:assumed-role/{role_arn.rsplit('/', 1)[-1]}/lambda-poller"
    stream_policy = _stream_policy(account, stream_arn)
    reads = [Request(action, principal, account, (stream_arn,)) for action in STREAM_READ_ACTIONS]
    listing = Request(LIST_ACTION, principal, account)
    if all(iam_evaluation.evaluate(request, policies, stream_policy).allowed for request in reads) and (
        iam_evaluation.evaluate(listing, policies).allowed
    ):
        return None
    return (
        f"Cannot access stream {stream_arn}. Please ensure the role can perform the GetRecords, GetShardIterator, "
        "DescribeStream, and ListStreams Actions on your stream in IAM."
    )


def _stream_policy(account: str, stream_arn: str) -> str | None:
    """The stream's own resource policy (kept by `dynamodb_stream_policies`), or None."""
    region = stream_arn.split(":")[3]
    found = dynamodb_backends[account][region].resource_policies.get(stream_arn)
    return None if found is None else str(found.policy_doc)


def _checked(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_event_source_mapping(self: LambdaBackend, spec: dict[str, Any]) -> Any:
        source = str(spec.get("EventSourceArn") or "")
        if ":dynamodb:" in source and "/stream/" in source and spec.get("FunctionName"):
            try:
                function = self._lambdas.get_function_by_name_or_arn_with_qualifier(spec["FunctionName"])
            except Exception:  # a missing function is refused by the call itself, its own way
                return original(self, spec)
            message = refusal(self.account_id, str(function.role), source)
            if message:
                raise InvalidParameterValueException(message)
        return original(self, spec)

    setattr(create_event_source_mapping, _PATCHED, True)
    return create_event_source_mapping


def install() -> None:
    current = LambdaBackend.create_event_source_mapping
    if not getattr(current, _PATCHED, False):
        LambdaBackend.create_event_source_mapping = _checked(current)  # type: ignore[method-assign]
