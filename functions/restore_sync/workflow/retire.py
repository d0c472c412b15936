"""A governed table deleted: its governance stack goes, with what it created for the table.

DynamoDB's DeleteTable leaves a table's scalable targets, scaling policies and alarms behind, and the governance
stack would keep holding the table's name and its triggers: the next restore under the same name would trip over
them. When CloudTrail reports a successful DeleteTable, the event only says which governance stack to look at (its
name is derived from the table's name); what is deleted is decided from AWS as it is now: the table must be gone,
and the stack must be this deployment's governance stack of a table of that name. Deleting the stack with the
CloudFormation role removes the triggers, auto scaling and alarms it created; the table's own record
(DeletionPolicy Retain) is dropped without any call on a table, which is gone anyway.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from restore_sync.aws import Aws, TableRef, error_code, translated_errors
from restore_sync.contracts import Ignored, Removal
from restore_sync.errors import StackUnusable, TableBeingDeleted
from restore_sync.events import TABLE_DELETION
from restore_sync.names import stack_name
from restore_sync.table import TABLE_LOGICAL_ID
from restore_sync.workflow.stack import StackOps

# A stack's unique id is its ARN: arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>.
_STACK_ID = re.compile(
    r"^arn:aws[a-z-]*:cloudformation:[a-z0-9-]+:[0-9]{12}:stack/([A-Za-z][A-Za-z0-9-]*)/[A-Za-z0-9-]+\Z"
)
# What DescribeStacks by unique id says once a stack is deleted; GONE when it says nothing at all.
DELETED = frozenset({"DELETE_COMPLETE", "GONE"})


def removal(aws: Aws, table: TableRef, prefix: str) -> Removal | Ignored:
    """Normalize's part: the governance stack of the deleted `table` (its name and unique id), or Ignored when
    restore-sync never governed a table of that name here. Reads one stack; changes nothing."""
    name = stack_name(prefix, table.name)
    current = StackOps(aws, name, role_arn="").stack()
    if current is None:
        return Ignored(
            reason=f"table {table.name} was deleted; restore-sync governs no table of that name (no stack {name}): "
            "nothing to remove",
            target=table.arn,
        )
    return Removal(
        trigger=TABLE_DELETION,
        table_name=table.name,
        table_arn=table.arn,
        region=table.region,
        stack=name,
        stack_id=str(current["StackId"]),
    )


def remove_stack(
    aws: Aws,
    request: Removal,
    *,
    prefix: str,
    role_arn: str,
    wait_budget_seconds: float = 60.0,
    poll_seconds: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Deletes the governance stack of the deleted table `request` names, with the CloudFormation role `role_arn`,
    and waits for the deletion (bounded: StackBusy asks the workflow to retry, which resumes the wait).

    Checked first, against AWS as it is now: the stack is the one `prefix` derives from the table's name, the table
    does not exist (TableBeingDeleted while it is DELETING), and the stack holds a table of that name. Returns
    `{"stack", "stackId", "action", "reason"}`: `removed` (with `deleted`, the resources it held by type, when this
    call deleted it), or `kept` when a table of that name exists again. Raises StackUnusable when the stack is not
    one to delete, or its deletion failed (DELETE_FAILED); nothing else is touched.
    """
    expected = stack_name(prefix, request.table_name)
    match = _STACK_ID.match(request.stack_id)
    if request.stack != expected or match is None or match.group(1) != expected:
        raise StackUnusable(
            f"stack {request.stack} ({request.stack_id}) is not the governance stack of table {request.table_name} "
            f"({expected}): nothing was removed"
        )
    ops = StackOps(
        aws, request.stack_id, role_arn, wait_budget_seconds=wait_budget_seconds, poll_seconds=poll_seconds, sleep=sleep
    )
    current = ops.wait_settled() or {"StackStatus": "GONE"}
    if current["StackStatus"] in DELETED:
        return _result(request, "removed", f"stack {request.stack} is deleted")
    if current["StackStatus"] == "DELETE_FAILED":
        raise StackUnusable(_delete_failed(request, current))
    table_status = _table_status(aws, request)
    if table_status == "DELETING":
        raise TableBeingDeleted(f"table {request.table_name} is still DELETING; its stack {request.stack} waits")
    if table_status is not None:
        return _result(
            request,
            "kept",
            f"table {request.table_name} exists again ({table_status}): a table of that name was created or restored "
            f"since it was deleted, so its governance stack {request.stack} is kept",
        )
    resources = _resources(ops, request)
    with translated_errors():
        ops.cfn.delete_stack(StackName=request.stack_id, RoleARN=role_arn)
    final = ops.wait_settled() or {"StackStatus": "GONE"}
    if final["StackStatus"] not in DELETED:
        raise StackUnusable(_delete_failed(request, final))
    deleted = dict(
        sorted(Counter(r["ResourceType"] for r in resources if r["LogicalResourceId"] != TABLE_LOGICAL_ID).items())
    )
    return {
        **_result(
            request,
            "removed",
            f"stack {request.stack} was deleted with what it created for the table ({describe_counts(deleted)}); "
            "its record of the table (DeletionPolicy Retain) was dropped without touching any table",
        ),
        "deleted": deleted,
        "resources": [
            {"logicalId": r["LogicalResourceId"], "type": r["ResourceType"], "physicalId": r.get("PhysicalResourceId")}
            for r in resources
        ],
    }


def describe_counts(deleted: dict[str, int]) -> str:
    """`2 AWS::CloudWatch::Alarm, 1 AWS::Lambda::EventSourceMapping`, or `nothing besides the table`."""
    return ", ".join(f"{count} {kind}" for kind, count in deleted.items()) or "nothing besides the table"


def _result(request: Removal, action: str, reason: str) -> dict[str, Any]:
    return {"stack": request.stack, "stackId": request.stack_id, "action": action, "reason": reason}


def _delete_failed(request: Removal, stack: dict[str, Any]) -> str:
    why = stack.get("StackStatusReason") or "see the stack's events"
    return (
        f"deleting stack {request.stack} of the deleted table {request.table_name} ended {stack['StackStatus']}: "
        f"{why}. Remove what blocks it, then delete the stack again (aws cloudformation delete-stack, with the "
        "deployment's CloudFormationRoleArn as --role-arn); no table is touched by it"
    )


def _table_status(aws: Aws, request: Removal) -> str | None:
    """The table's TableStatus, or None when DescribeTable does not find it."""
    try:
        with translated_errors():
            table = aws.client("dynamodb", request.region).describe_table(TableName=request.table_name)["Table"]
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        raise
    return str(table.get("TableStatus", "ACTIVE"))


def _resources(ops: StackOps, request: Removal) -> list[dict[str, Any]]:
    """The stack's resources, once its table resource is confirmed to be the deleted table's."""
    with translated_errors():
        pages = ops.cfn.get_paginator("list_stack_resources").paginate(StackName=request.stack_id)
        resources = [r for page in pages for r in page["StackResourceSummaries"]]
    held = [r.get("PhysicalResourceId") for r in resources if r["LogicalResourceId"] == TABLE_LOGICAL_ID]
    if held != [request.table_name]:
        raise StackUnusable(
            f"stack {request.stack} holds table {held[0] if held else 'none'!r}, not {request.table_name!r}: "
            "nothing was removed"
        )
    return resources
