"""`stream_policy`: the resource-based policy of the source's stream, put on the target's new stream.

A setting of its own, not part of `stream` or `resource_policy`, because it is both: it is the stream's (DynamoDB's
GetResourcePolicy and PutResourcePolicy take "a table or stream" ARN, botocore's dynamodb model; the table's policy
does not cover the stream, and CloudFormation sets it as `StreamSpecification.ResourcePolicy`), so it `needs`
`stream`; and it grants access like the table's policy (who may read the stream's records: DescribeStream,
GetRecords, GetShardIterator, the actions IAM's action table gives the `stream` resource type), so a recorded one
is narrowed by the never-grant-more rule (workflow/grants.py, workflow/source.py), it is applied late, after
`triggers` (a Deny in it could take the triggers' functions' access to the stream away before their mappings are
made), and it is checked for locking restore-sync's roles out (workflow/lockout.py). Selecting `stream` without it
copies the stream and nothing of who else may read it.

DynamoDB cannot attach a policy to a stream while creating it ("Resource-based policy considerations": "you can
only attach a resource-based policy to existing streams"): the stream is made by `stream`'s change set, and this
setting's own change set attaches the policy to it.

A stream's ARN ends in a label that a new stream does not share: the target's stream is not the source's stream
with another table name. So the source's table ARN is rewritten to the target's as for the table's policy
(`resource_policy.rewrite_arns`), and the stream ARN the policy was read from, so rewritten, is the state's
`streamArn` (None with no policy); when the setting is applied, that ARN becomes the target's stream's as it is
then (`resolve`), and verifying compares the two policies with each one's own stream ARN set aside (`diff`).
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from restore_sync.aws import Aws, TableRef, error_code, translated_errors
from restore_sync.settings.base import Fragment, Retarget, Setting, State
from restore_sync.settings.resource_policy import rewrite_arns

# What a state's own stream ARN becomes when two states are compared (no ARN has it).
_THIS_STREAM = "this stream"


class StreamPolicy(Setting):
    name = "stream_policy"
    reads = ("dynamodb:DescribeTable", "dynamodb:GetResourcePolicy")
    needs = ("stream",)

    def read(self, aws: Aws, table: TableRef) -> State:
        client = aws.client("dynamodb", table.region)
        with translated_errors():
            description = client.describe_table(TableName=table.name)["Table"]
        stream_arn = current_stream(description)
        if stream_arn is None:
            return {"policy": None, "streamArn": None}
        try:
            with translated_errors():
                policy = client.get_resource_policy(ResourceArn=stream_arn)["Policy"]
        except ClientError as error:
            if error_code(error) == "PolicyNotFoundException":
                return {"policy": None, "streamArn": None}
            raise
        return {"policy": json.loads(policy), "streamArn": stream_arn}

    def wanted(self, state: State, retarget: Retarget) -> State:
        if state["policy"] is None:
            return {"policy": None, "streamArn": None}
        source, target = retarget.source.arn, retarget.target.arn
        return {
            "policy": rewrite_arns(state["policy"], source, target),
            "streamArn": rewrite_arns(state["streamArn"], source, target),
        }

    def resolve(self, aws: Aws, table: TableRef, wanted: State) -> State:
        if wanted["policy"] is None:
            return wanted
        with translated_errors():
            description = aws.client("dynamodb", table.region).describe_table(TableName=table.name)["Table"]
        return on_stream(wanted, current_stream(description))

    def fragment(self, state: State, target: dict[str, Any]) -> Fragment:
        if state["policy"] is None:
            return Fragment()
        # The stack merges StreamSpecification member by member: the view type and tags stay `stream`'s.
        return Fragment(properties={"StreamSpecification": {"ResourcePolicy": {"PolicyDocument": state["policy"]}}})

    def diff(self, wanted: State, found: State) -> list[dict[str, Any]]:
        if wanted["policy"] is None and found["policy"] is None:
            return []
        if wanted["policy"] is not None and found["policy"] is not None and _set_aside(wanted) == _set_aside(found):
            return []
        return [{"setting": self.name, "wanted": wanted, "found": found}]


def current_stream(description: dict[str, Any]) -> str | None:
    """The ARN of a table's enabled stream (DescribeTable's `Table`), or None when its stream is off."""
    if not description.get("StreamSpecification", {}).get("StreamEnabled"):
        return None
    arn = description.get("LatestStreamArn")
    return str(arn) if arn else None


def on_stream(state: State, stream_arn: str | None) -> State:
    """`state` with its stream ARN, wherever the policy names it (and ARNs below it), replaced by `stream_arn`; a
    policy with no stream to go on (`stream_arn` None) stays as it is, and the change set says why it fails."""
    if state["policy"] is None or stream_arn is None or state["streamArn"] is None:
        return state
    return {"policy": rewrite_arns(state["policy"], state["streamArn"], stream_arn), "streamArn": stream_arn}


def _set_aside(state: State) -> Any:
    return rewrite_arns(state["policy"], state["streamArn"], _THIS_STREAM) if state["streamArn"] else state["policy"]


SETTING = StreamPolicy()
