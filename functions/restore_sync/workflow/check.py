"""The wait loop's one poll: is the restored table usable yet, and if not, how long to wait before asking again."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from restore_sync.aws import Aws, error_code
from restore_sync.contracts import Request
from restore_sync.errors import TargetTableUnavailable
from restore_sync.settings.document import describe
from restore_sync.table import unready_parts
from restore_sync.timestamps import instant
from restore_sync.workflow.backoff import Backoff, next_wait

# Statuses a table never leaves on its way to ACTIVE.
DEAD_ENDS = ("DELETING", "ARCHIVING", "ARCHIVED", "INACCESSIBLE_ENCRYPTION_CREDENTIALS")


def check_target(
    aws: Aws,
    request: Request,
    *,
    attempt: int,
    now: str,
    backoff: Backoff,
    grace_seconds: int,
    uniform: Callable[[float, float], float] = random.uniform,
) -> dict[str, Any]:
    """`{"ready": True, "table": ...}` once the table and every GSI are ACTIVE, else the next wait in seconds.

    `now` is the state machine's clock (the state's entered time), so the horizon and the grace period are
    measured on the same clock as the Wait states. Raises TargetTableUnavailable when waiting is pointless.
    """
    target = request.target
    elapsed = (instant(now) - instant(request.requested_at)).total_seconds()
    try:
        table: dict[str, Any] | None = describe(aws, target)
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
        table = None
    if table is None:
        if elapsed > grace_seconds:
            raise TargetTableUnavailable(
                f"target table {target.name} does not exist {elapsed:.0f}s after the restore was requested "
                f"(grace period {grace_seconds}s): was the restore cancelled or the table deleted?"
            )
        waiting_for = ["table does not exist yet"]
    elif table["status"] in DEAD_ENDS:
        raise TargetTableUnavailable(f"target table {target.name} is {table['status']}: it will never be usable")
    else:
        waiting_for = unready_parts(table)
        if not waiting_for:
            return {"ready": True, "attempt": attempt + 1, "elapsedSeconds": round(elapsed), "table": table}
    if elapsed >= backoff.horizon_seconds:
        raise TargetTableUnavailable(
            f"target table {target.name} is still not usable ({'; '.join(waiting_for)}) after {elapsed:.0f}s, "
            f"past the horizon of {backoff.horizon_seconds}s: start an execution by hand once it is ACTIVE"
        )
    wait = next_wait(backoff, elapsed, uniform)
    return {
        "ready": False,
        "attempt": attempt + 1,
        "elapsedSeconds": round(elapsed),
        "waitSeconds": wait,
        "waitingFor": waiting_for,
    }
