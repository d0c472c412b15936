"""DynamoDB restores as AWS runs them: a new table, CREATING for a while, keeping only what AWS keeps.

AWS behaviour reproduced:
- RestoreTableToPointInTime and RestoreTableFromBackup create a table that reports `TableStatus: CREATING`,
  `RestoreSummary.RestoreInProgress: true` and GSIs `IndexStatus: CREATING` until the restore is done, then
  ACTIVE. The duration comes from `configure(restore_seconds=...)` (default 0: ACTIVE at once) or a per-table
  `set_ready_after(...)`, measured on the sandbox clock. GSIs may lag the table by `index_lag_seconds`.
- A point-in-time restore reads its source by `SourceTableName` or by `SourceTableArn`, whose region and
  account may differ from the caller's (a cross-region restore); it is refused with
  `PointInTimeRecoveryUnavailableException` when the source has PITR off, and with
  `InvalidRestoreTimeException` for a restore time in the future.
- The restored table keeps keys, attribute definitions, items, GSIs, LSIs, billing mode and capacity, SSE, and
  honours BillingModeOverride, ProvisionedThroughputOverride, SSESpecificationOverride,
  GlobalSecondaryIndexOverride and LocalSecondaryIndexOverride. It gets no TTL, stream, PITR, tags, deletion
  protection or maximum on-demand throughput (unless OnDemandThroughputOverride, or an index override's
  OnDemandThroughput, chooses one: dynamodb_on_demand_throughput), and a new table's warm throughput
  (dynamodb_warm_throughput): it is built as a new table, as in AWS.
- UpdateTable can switch a stream off and on again; the disabled stream stays visible as LatestStreamArn
  until a new one replaces it, as DynamoDB does.

moto internals patched: `DynamoHandler.restore_table_to_point_in_time` and `restore_table_from_backup`
(replaced), `RestoredTable.describe` and `RestoredPITTable.describe` (status overlay),
`DynamoDBBackend.update_table_streams` (replaced).
"""

from __future__ import annotations

import copy
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.dynamodb.exceptions import (
    BackupNotFoundException,
    MockValidationException,
    PointInTimeRecoveryUnavailable,
    ResourceNotFoundException,
    SourceTableNotFoundException,
    StreamAlreadyEnabledException,
    TableAlreadyExistsException,
)
from moto.dynamodb.exceptions import (
    DynamodbException as _DynamodbException,
)
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.table import (
    GlobalSecondaryIndex,
    LocalSecondaryIndex,
    RestoredPITTable,
    RestoredTable,
    Table,
)
from moto.dynamodb.responses import DynamoHandler, DynamoResult

from restore_sync_sandbox import clock
from restore_sync_sandbox.extensions import dynamodb_on_demand_throughput, dynamodb_warm_throughput

DEFAULT_ACCOUNT = "123456789012"
_ERROR_PREFIX = "com.amazonaws.dynamodb.v20120810#"


class InvalidRestoreTimeException(_DynamodbException):
    def __init__(self, message: str) -> None:
        super().__init__(_ERROR_PREFIX + "InvalidRestoreTimeException", message)


@dataclass
class _Restore:
    ready_at: float
    index_lag: float


@dataclass
class _Settings:
    restore_seconds: float = 0.0
    index_lag_seconds: float = 0.0


_settings = _Settings()
_lock = threading.Lock()
# Keyed by the moto table object, so a deleted or reset table takes its restore state with it.
_restores: weakref.WeakKeyDictionary[Table, _Restore] = weakref.WeakKeyDictionary()
# Durations chosen for a table before its restore is requested: (account, region, table name) -> seconds.
_pending: dict[tuple[str, str, str], float] = {}
_installed = False


def configure(restore_seconds: float | None = None, index_lag_seconds: float | None = None) -> None:
    """Sets how long every later restore stays CREATING (`float("inf")`: never ACTIVE), and how much longer
    its GSIs stay CREATING after the table is ACTIVE. Applies to restores requested after the call."""
    with _lock:
        if restore_seconds is not None:
            _check_seconds(restore_seconds)
            _settings.restore_seconds = restore_seconds
        if index_lag_seconds is not None:
            _check_seconds(index_lag_seconds)
            _settings.index_lag_seconds = index_lag_seconds


def reset() -> None:
    """Back to moto's behaviour: restored tables are ACTIVE at once, no per-table durations pending."""
    with _lock:
        _settings.restore_seconds = 0.0
        _settings.index_lag_seconds = 0.0
        _pending.clear()


def set_ready_after(table_name: str, region: str, seconds: float, account_id: str = DEFAULT_ACCOUNT) -> None:
    """Makes the restored table `table_name` become ACTIVE `seconds` from now on the sandbox clock.

    If the table does not exist yet, the duration applies to its restore when it is requested (counted from
    the restore), overriding `configure()`. `float("inf")` keeps it CREATING for good.
    """
    _check_seconds(seconds)
    table = dynamodb_backends[account_id][region].tables.get(table_name)
    with _lock:
        if table is None:
            _pending[(account_id, region, table_name)] = seconds
            return
        state = _restores.get(table)
        index_lag = state.index_lag if state else _settings.index_lag_seconds
        _restores[table] = _Restore(ready_at=clock.current().time() + seconds, index_lag=index_lag)


def _check_seconds(seconds: float) -> None:
    if not seconds >= 0:
        raise ValueError(f"a duration must be zero or more seconds, got {seconds!r}")


def _start_restore(table: Table, account_id: str, region: str) -> None:
    with _lock:
        seconds = _pending.pop((account_id, region, table.name), _settings.restore_seconds)
        _restores[table] = _Restore(ready_at=clock.current().time() + seconds, index_lag=_settings.index_lag_seconds)


def _overlay_restore_state(table: Table, description: dict[str, Any]) -> None:
    state = _restores.get(table)
    if state is None:
        return
    now = clock.current().time()
    in_progress = now < state.ready_at
    if in_progress:
        description["TableStatus"] = "CREATING"
    summary = description.get("RestoreSummary")
    if summary is not None:
        summary["RestoreInProgress"] = in_progress
    if now < state.ready_at + state.index_lag:
        for index in description.get("GlobalSecondaryIndexes", []):
            index["IndexStatus"] = "CREATING"


def _with_restore_state(
    describe: Callable[..., dict[str, Any]],
) -> Callable[..., dict[str, Any]]:
    def wrapped(self: Table, base_key: str = "TableDescription") -> dict[str, Any]:
        result = describe(self, base_key=base_key)
        _overlay_restore_state(self, result[base_key])
        return result

    wrapped.__wrapped__ = describe  # type: ignore[attr-defined]
    return wrapped


def _sandbox_utcnow() -> datetime:
    # moto keeps naive UTC datetimes; the sandbox clock may run ahead of the wall clock.
    return clock.current().now().astimezone(UTC).replace(tzinfo=None)


def _naive_utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return datetime.fromtimestamp(float(value), tz=UTC).replace(tzinfo=None)


def _parse_table_arn(arn: str) -> tuple[str, str, str]:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "dynamodb" or not parts[5].startswith("table/"):
        raise MockValidationException(f"Invalid SourceTableArn: {arn}")
    name = parts[5][len("table/") :]
    if not name or "/" in name:
        raise MockValidationException(f"Invalid SourceTableArn: {arn}")
    return parts[3], parts[4], name


def _zero_throughput() -> dict[str, int]:
    return {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0}


def _apply_overrides(table: Table, body: dict[str, Any], billing_mode: str | None, sse: Any) -> None:
    """Gives the new table what AWS restores (billing mode, SSE) and what the request overrides."""
    mode = body.get("BillingModeOverride") or billing_mode or "PROVISIONED"
    table.billing_mode = mode
    throughput_override = body.get("ProvisionedThroughputOverride")

    if "GlobalSecondaryIndexOverride" in body:
        table.global_indexes = [
            GlobalSecondaryIndex.create(copy.deepcopy(index), table.table_key_attrs)
            for index in body["GlobalSecondaryIndexOverride"] or []
        ]
    if "LocalSecondaryIndexOverride" in body:
        table.indexes = [
            LocalSecondaryIndex.create(copy.deepcopy(index), table.table_key_attrs)
            for index in body["LocalSecondaryIndexOverride"] or []
        ]
    # The source's maximum on-demand throughput stays behind; the request may choose one.
    dynamodb_on_demand_throughput.restored(table, body)

    if mode == "PAY_PER_REQUEST":
        if throughput_override:
            raise MockValidationException(
                "ProvisionedThroughputOverride cannot be specified when BillingModeOverride is PAY_PER_REQUEST"
            )
        table.throughput = {**_zero_throughput(), "NumberOfDecreasesToday": 0}
        for index in table.global_indexes:
            index.throughput = _zero_throughput()
    else:
        if throughput_override:
            table.throughput = {
                "ReadCapacityUnits": throughput_override["ReadCapacityUnits"],
                "WriteCapacityUnits": throughput_override["WriteCapacityUnits"],
                "NumberOfDecreasesToday": 0,
            }
        if not table.throughput.get("ReadCapacityUnits") or not table.throughput.get("WriteCapacityUnits"):
            raise MockValidationException(
                "One or more parameter values were invalid: ProvisionedThroughputOverride must be specified "
                "when restoring an on-demand table as PROVISIONED"
            )
        for index in table.global_indexes:
            if not index.throughput.get("ReadCapacityUnits"):
                index.throughput = {
                    "ReadCapacityUnits": table.throughput["ReadCapacityUnits"],
                    "WriteCapacityUnits": table.throughput["WriteCapacityUnits"],
                }

    sse_override = body.get("SSESpecificationOverride")
    chosen_sse = copy.deepcopy(sse_override if sse_override is not None else sse)
    if chosen_sse and chosen_sse.get("Enabled") and "KMSMasterKeyId" not in chosen_sse:
        chosen_sse["KMSMasterKeyId"] = table._get_default_encryption_key(table.account_id, table.region_name)
    table.sse_specification = chosen_sse


def _register(backend: DynamoDBBackend, table: Table, restore_point: datetime) -> None:
    table.created_at = _sandbox_utcnow()
    table.restore_date_time = restore_point  # type: ignore[attr-defined]
    backend.tables[table.name] = table
    _start_restore(table, backend.account_id, backend.region_name)


def restore_table_to_point_in_time(self: DynamoHandler) -> DynamoResult:
    body: dict[str, Any] = self.body
    target_name: str = body["TargetTableName"]
    source_arn = body.get("SourceTableArn")
    if source_arn:
        region, account, source_name = _parse_table_arn(source_arn)
        source_backend = dynamodb_backends[account][region]
    else:
        source_name = body.get("SourceTableName") or ""
        source_backend = self.dynamodb_backend
    try:
        source = source_backend.get_table(source_name)
    except ResourceNotFoundException:
        raise SourceTableNotFoundException(source_arn or source_name) from None

    recovery = source.continuous_backups["PointInTimeRecoveryDescription"]
    if recovery.get("PointInTimeRecoveryStatus") != "ENABLED":
        raise PointInTimeRecoveryUnavailable(source_name)

    now = _sandbox_utcnow()
    if body.get("UseLatestRestorableTime") or body.get("RestoreDateTime") is None:
        restore_point = now
    else:
        restore_point = _naive_utc(body["RestoreDateTime"])
        if restore_point > now:
            raise InvalidRestoreTimeException(
                "RestoreDateTime must be between EarliestRestorableDateTime and LatestRestorableDateTime"
            )

    backend = self.dynamodb_backend
    if target_name in backend.tables:
        raise TableAlreadyExistsException(target_name)
    # Items are today's: moto keeps no item history, so every restore point yields the current data.
    table = RestoredPITTable(  # type: ignore[abstract]
        target_name, account_id=backend.account_id, region=backend.region_name, source=source
    )
    _apply_overrides(table, body, source.billing_mode, source.sse_specification)
    dynamodb_warm_throughput.restored(table, body, point_in_time=True)
    _register(backend, table, restore_point)
    return DynamoResult(table.describe())


def restore_table_from_backup(self: DynamoHandler) -> DynamoResult:
    body: dict[str, Any] = self.body
    target_name: str = body["TargetTableName"]
    backend = self.dynamodb_backend
    backup_arn: str = body.get("BackupArn") or ""
    if backup_arn not in backend.backups:
        raise BackupNotFoundException(backup_arn)
    backup = backend.backups[backup_arn]
    if target_name in backend.tables:
        raise TableAlreadyExistsException(target_name)
    table = RestoredTable(  # type: ignore[abstract]
        target_name, account_id=backend.account_id, region=backend.region_name, backup=backup
    )
    _apply_overrides(table, body, backup.table.billing_mode, backup.table.sse_specification)
    dynamodb_warm_throughput.restored(table, body, point_in_time=False)
    _register(backend, table, backup.creation_date_time)
    return DynamoResult(table.describe())


def update_table_streams(self: DynamoDBBackend, table: Table, stream_specification: dict[str, Any]) -> None:
    # moto refuses to enable a stream once any stream ever existed; AWS refuses only while one is enabled.
    enabling = bool(stream_specification.get("StreamEnabled") or stream_specification.get("StreamViewType"))
    currently_enabled = bool(table.stream_specification and table.stream_specification.get("StreamEnabled"))
    if enabling and currently_enabled:
        raise StreamAlreadyEnabledException
    table.set_stream_specification(stream_specification)


PATCHED: dict[type, tuple[str, ...]] = {
    DynamoHandler: ("restore_table_to_point_in_time", "restore_table_from_backup"),
    RestoredTable: ("describe",),
    RestoredPITTable: ("describe",),
    DynamoDBBackend: ("update_table_streams",),
}


def install() -> None:
    """Applies the patches once; later calls do nothing."""
    global _installed
    with _lock:
        if _installed:
            return
        for owner, names in PATCHED.items():
            for name in names:
                if not callable(getattr(owner, name, None)):
                    raise RuntimeError(f"moto changed: {owner.__name__}.{name} is gone")
        DynamoHandler.restore_table_to_point_in_time = restore_table_to_point_in_time  # type: ignore[method-assign]
        DynamoHandler.restore_table_from_backup = restore_table_from_backup  # type: ignore[method-assign]
        RestoredTable.describe = _with_restore_state(RestoredTable.describe)  # type: ignore[method-assign]
        RestoredPITTable.describe = _with_restore_state(RestoredPITTable.describe)  # type: ignore[method-assign]
        DynamoDBBackend.update_table_streams = update_table_streams  # type: ignore[method-assign]
        _installed = True
