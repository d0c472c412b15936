"""Triggers Lambda would refuse: the function's role cannot read the target's stream. Left out, and said why.

Lambda creates an event source mapping only when the function's own role may read the stream. A consumer role
scoped to the source table's stream would make the whole triggers change set fail on the first such mapping, and
roll back the others with it. Asked first (IAM's policy simulation), those mappings are left out of the change
set; the others are created, and the setting is reported failed with, per function, the statement to add.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from restore_sync.aws import Aws, TableRef, translated_errors
from restore_sync.stream_access import check, refusal, role_of

# A function or role these cannot answer for is left to the change set, which fails with Lambda's own message.
_UNKNOWN = ("ResourceNotFoundException", "NoSuchEntity", "NoSuchEntityException")


def without_unreadable(aws: Aws, wanted: dict[str, Any], target: TableRef) -> tuple[dict[str, Any], list[str]]:
    """The triggers state without the mappings whose function's role cannot read `target`'s stream, and why each
    was left out."""
    mappings = wanted.get("mappings") or []
    if not mappings:
        return wanted, []
    with translated_errors():
        table = aws.client("dynamodb", target.region).describe_table(TableName=target.name)["Table"]
    stream = table.get("LatestStreamArn")
    if not stream:
        # No stream yet: the stream setting did not apply, and the change set says so in its own words.
        return wanted, []
    lam, iam = aws.client("lambda", target.region), aws.client("iam")
    kept, refusals = [], []
    roles: dict[str, str | None] = {}
    for mapping in mappings:
        function = str(mapping["functionArn"])
        try:
            with translated_errors():
                if function not in roles:
                    roles[function] = role_of(lam, function)
                role = roles[function]
                access = check(iam, function, role, stream) if role else None
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in _UNKNOWN:
                raise
            roles[function], access = None, None
        if access is None or access.readable:
            kept.append(mapping)
        else:
            refusals.append(refusal(access, target))
    return {**wanted, "mappings": kept}, refusals
