"""One restore, announced twice, is made whole once.

AWS announces a restore that AWS Backup makes twice: the restore job's "Restore Job State Change" event, and the
CloudTrail record of the RestoreTableFromBackup call AWS Backup made; EventBridge may also deliver any event more
than once. Each announcement starts an execution. The later one (by start time, then ARN) defers to an earlier
execution for the same restored table, found through ListExecutions: one still running, or one that succeeded
since the table was created (the same restore, not an older table of the same name). It ends `ignored`, naming
that execution, so the two never race on the same table and the second sends no false alarm. A failed or
aborted earlier execution is no reason to defer: the later one does the work.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from restore_sync.aws import Aws, TableRef, translated_errors
from restore_sync.events import BACKUP_RESTORE, CLOUDTRAIL
from restore_sync.timestamps import instant

# Pages of ListExecutions read at most (100 executions each): the twin of a restore starts minutes after it.
MAX_PAGES = 10
_DEFERRED_TO = ("RUNNING", "SUCCEEDED")


def earlier_twin(
    aws: Aws,
    execution: str,
    started_at: str,
    target: TableRef,
    created: datetime,
    announcements: tuple[str | None, ...] = (CLOUDTRAIL, BACKUP_RESTORE, None),
) -> str | None:
    """Why this execution (`execution`, started at `started_at`) defers to an earlier one making `target`
    (created at `created`) whole, or None when it does the work itself. Only executions started by one of
    `announcements` count (event detail types; None: a manual input)."""
    machine = _state_machine_of(execution)
    if machine is None:
        return None
    own = (instant(started_at), execution)
    with translated_errors():
        sfn = aws.client("stepfunctions", target.region)
        pages = sfn.get_paginator("list_executions").paginate(
            stateMachineArn=machine, PaginationConfig={"MaxItems": MAX_PAGES * 100, "PageSize": 100}
        )
        for page in pages:
            for listed in page.get("executions", []):
                arn, status, started = listed["executionArn"], listed["status"], instant(listed["startDate"])
                if arn == execution or status not in _DEFERRED_TO or started < instant(created):
                    continue
                if (started, arn) >= own:
                    continue
                described = sfn.describe_execution(executionArn=arn)
                if _target_of(described.get("input"), announcements) == target.name:
                    doing = "is already being made whole" if status == "RUNNING" else "was already made whole"
                    return f"{target.name} {doing} by execution {arn} (the same restore, announced again)"
    return None


def _state_machine_of(execution: str) -> str | None:
    """arn:PARTITION:states:REGION:ACCOUNT:execution:MACHINE:NAME -> the state machine's ARN."""
    parts = execution.split(":")
    if len(parts) != 8 or parts[2] != "states" or parts[5] != "execution":
        return None
    return ":".join([*parts[:5], "stateMachine", parts[6]])


def _target_of(text: Any, announcements: tuple[str | None, ...]) -> str | None:
    """The table an execution's input asks to make whole (None for a dry run, an input naming none, or one not
    started by any of `announcements`)."""
    try:
        raw = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    if not isinstance(raw, dict) or raw.get("detail-type") not in announcements:
        return None
    detail: dict[str, Any] = raw["detail"] if isinstance(raw.get("detail"), dict) else {}
    if raw.get("detail-type") == CLOUDTRAIL:
        name = (detail.get("requestParameters") or {}).get("targetTableName")
    elif raw.get("detail-type") == BACKUP_RESTORE:
        created = str(detail.get("createdResourceArn") or "")
        name = created.split(":table/", 1)[1] if ":table/" in created else None
    else:
        name = None if raw.get("dryRun") else raw.get("targetTableName")
    return name if isinstance(name, str) else None
