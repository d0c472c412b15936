"""DynamoDB resource-based policies on a table's stream: Put, Get and DeleteResourcePolicy with a stream ARN.

AWS behaviour reproduced: PutResourcePolicy, GetResourcePolicy and DeleteResourcePolicy take "a table or stream"
ARN (botocore's dynamodb model, `ResourceArn`); a stream's policy is its own, apart from its table's. A policy can be
attached only to a stream that exists ("Resource-based policy considerations": "you can only attach a
resource-based policy to existing streams"); a stream ARN of a table that does not exist, or whose label is not
the table's stream's, is ResourceNotFoundException; a stream with no policy is PolicyNotFoundException on Get, as
for a table. Within the account the stream's policy, not the table's, is what authorises calls on the stream
(`iam_identity_policies`, `lambda_stream_access` read it from the backend's `resource_policies` by the stream ARN).

moto internals patched: `DynamoDBBackend.put_resource_policy`, `get_resource_policy` and `delete_resource_policy`
(wrapped: a stream ARN is handled here, a table ARN goes to moto, which takes the ARN's last part for the table's
name and so finds no table for a stream). Policies are kept in moto's `resource_policies`, keyed by the stream ARN.

Limits: ExpectedRevisionId is not checked for streams; an earlier stream of the table (before its view type
changed) is not found, though AWS keeps it, and its policy, for 24 hours.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.exceptions import PolicyNotFoundException, ResourceNotFoundException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import ResourcePolicy, Table

_STREAM_ARN = re.compile(r"^(arn:[^:]+:dynamodb:[^:]*:[0-9]{12}:table/([^/]+))/stream/([^/]+)$")
PATCHED = ("put_resource_policy", "get_resource_policy", "delete_resource_policy")

_lock = threading.Lock()
_originals: dict[str, Callable[..., Any]] = {}


def stream_table(backend: DynamoDBBackend, stream_arn: str) -> Table | None:
    """The table whose current stream `stream_arn` is; None when the ARN is not a stream's."""
    match = _STREAM_ARN.match(stream_arn)
    if match is None:
        return None
    table_arn, name, label = match.groups()
    table: Table | None = backend.tables.get(name)
    if table is None or table.table_arn != table_arn or table.latest_stream_label != label:
        raise ResourceNotFoundException(msg=f"Requested resource not found: Stream: {stream_arn} not found")
    return table


def put_resource_policy(
    self: DynamoDBBackend, resource_arn: str, policy_doc: str, expected_revision_id: str | None
) -> ResourcePolicy:
    if stream_table(self, resource_arn) is None:
        return _originals["put_resource_policy"](self, resource_arn, policy_doc, expected_revision_id)
    current = self.resource_policies.get(resource_arn)
    if current is not None and current.policy_doc == policy_doc:
        return current
    policy = ResourcePolicy(resource_arn=resource_arn, policy_doc=policy_doc)
    self.resource_policies[resource_arn] = policy
    return policy


def get_resource_policy(self: DynamoDBBackend, resource_arn: str) -> ResourcePolicy:
    if stream_table(self, resource_arn) is None:
        return _originals["get_resource_policy"](self, resource_arn)
    if resource_arn not in self.resource_policies:
        raise PolicyNotFoundException(f"Resource-based policy not found for the provided ResourceArn: {resource_arn}")
    policy: ResourcePolicy = self.resource_policies[resource_arn]
    return policy


def delete_resource_policy(self: DynamoDBBackend, resource_arn: str, expected_revision_id: str | None) -> None:
    if stream_table(self, resource_arn) is None:
        _originals["delete_resource_policy"](self, resource_arn, expected_revision_id)
        return
    if self.resource_policies.pop(resource_arn, None) is None:
        raise PolicyNotFoundException(f"Resource-based policy not found for the provided ResourceArn: {resource_arn}")


def install() -> None:
    """Applies the patches once; later calls do nothing."""
    with _lock:
        if _originals:
            return
        for name in PATCHED:
            if not callable(getattr(DynamoDBBackend, name, None)):
                raise RuntimeError(f"moto changed: DynamoDBBackend.{name} is gone")
        for name, replacement in zip(
            PATCHED, (put_resource_policy, get_resource_policy, delete_resource_policy), strict=True
        ):
            _originals[name] = getattr(DynamoDBBackend, name)
            setattr(DynamoDBBackend, name, replacement)
