"""DynamoDB on-demand backups are stamped with the sandbox clock, as AWS stamps them with the time of the call.

AWS behaviour reproduced: CreateBackup records `BackupCreationDateTime` at the moment of the call, and a restore
from the backup reports it as the restored table's `RestoreSummary.RestoreDateTime`. moto stamps backups with the
real clock; with the sandbox on a virtual clock, a backup would then look older than the settings changes and
restore calls around it, which carry the sandbox's time.

moto internals patched: `DynamoDBBackend.create_backup` (wrapped), setting the backup's `creation_date_time`
(naive UTC, as moto keeps it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

from restore_sync_sandbox import clock

_lock = threading.Lock()
_original: list[Callable[..., Any]] = []


def create_backup(self: DynamoDBBackend, table_name: str, backup_name: str) -> Any:
    backup = _original[0](self, table_name, backup_name)
    backup.creation_date_time = clock.current().now().astimezone(UTC).replace(tzinfo=None)
    return backup


def install() -> None:
    """Applies the patch once; later calls do nothing."""
    with _lock:
        if _original:
            return
        if not callable(getattr(DynamoDBBackend, "create_backup", None)):
            raise RuntimeError("moto changed: DynamoDBBackend.create_backup is gone")
        _original.append(DynamoDBBackend.create_backup)
        DynamoDBBackend.create_backup = create_backup  # type: ignore[method-assign]
