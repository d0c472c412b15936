"""Warm throughput as AWS keeps it: on the table and on each global secondary index, raised but never lowered, and
a new table's own after a restore.

AWS behaviour reproduced (botocore's DynamoDB model: the `WarmThroughput`, `TableWarmThroughputDescription` and
`GlobalSecondaryIndexWarmThroughputDescription` shapes, CreateTable, UpdateTable, UpdateGlobalSecondaryIndexAction,
RestoreTableToPointInTime, RestoreTableFromBackup; the developer guide's "Understanding DynamoDB warm throughput"
and "... in different scenarios", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput.html
and warm-throughput-scenarios.html):
- DescribeTable shows `WarmThroughput` {ReadUnitsPerSecond, WriteUnitsPerSecond, Status} on every table and on each
  index ("These values are available by default for all tables and global secondary indexes"). A new on-demand
  table or index starts at 12,000 read and 4,000 write units per second ("New on-demand tables start with a warm
  throughput of 12,000 read units per second and 4,000 write units per second"); a provisioned one at its
  provisioned capacity, and raising the capacity beyond the warm throughput raises it ("As you increase the
  provisioned throughput beyond these values, the warm throughput will automatically adjust to the new higher
  values"). The provisioned starting value is inferred (AWS's pages show it, the model does not say).
- CreateTable and UpdateTable take `WarmThroughput` for the table, and for an index in `GlobalSecondaryIndexes` or
  in an update's `Create` or `Update`. Either member alone is accepted; the other keeps its value. A value can be
  raised or restated, never lowered ("Once increased, warm throughput values can't be decreased"): UpdateTable
  answers a member below the current value with ValidationException "One or more parameter values were invalid:
  Requested ReadUnitsPerSecond for WarmThroughput for table is lower than current WarmThroughput, decreasing
  WarmThroughput is not supported" (the text AWS gives, as quoted by hashicorp/terraform-provider-aws's
  aws_dynamodb_table and go-to-k/cdkd#1768; for an index the sandbox says "for index NAME", inferred).
- A restored table is a new table: the restore carries the source's indexes and capacity, and its warm throughput is
  not among what RestoreTableToPointInTime's documentation lists as restored, so the table and each index start
  where a new one does (inferred from that list). RestoreTableFromBackup's GlobalSecondaryIndexOverride may give an
  index its `WarmThroughput`; RestoreTableToPointInTime refuses one ("The WarmThroughput setting is not supported on
  global secondary indexes when you use RestoreTableToPointInTime ... causes the request to fail with a validation
  error"; the sandbox's message is inferred).
- Not reproduced: the minutes a raise takes (Status is ACTIVE at once; AWS shows UPDATING meanwhile), and the
  warm throughput growing with on-demand traffic.

moto keeps `warm_throughput` on tables and indexes but replaces it whole on update, never refuses a decrease,
describes a restored on-demand table with 0 units and lets restored indexes keep the source's. Patched:
`DynamoHandler.update_table` (wrapped), `Table.describe` (wrapped); `DynamoDBBackend.update_warm_throughput` is
added for the CloudFormation table model, and `restored` is called by the restore extension.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.dynamodb.exceptions import MockValidationException, ResourceNotFoundException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler, DynamoResult

READ, WRITE = "ReadUnitsPerSecond", "WriteUnitsPerSecond"
MEMBERS = (READ, WRITE)
# A new on-demand table's and index's warm throughput (warm-throughput-scenarios.html).
ON_DEMAND_START = {READ: 12000, WRITE: 4000}
CAPACITY = {READ: "ReadCapacityUnits", WRITE: "WriteCapacityUnits"}
ATTRIBUTE = "warm_throughput"

_lock = threading.Lock()
_originals: dict[str, Callable[..., Any]] = {}


def _starting(holder: Any, billing_mode: str | None) -> dict[str, int]:
    """Where `holder` (a table or an index) stands without any pre-warming: on-demand, a new table's start; provisioned,
    its capacity."""
    if billing_mode == "PAY_PER_REQUEST":
        return dict(ON_DEMAND_START)
    throughput = getattr(holder, "throughput", None) or {}
    return {member: int(throughput.get(CAPACITY[member]) or 1) for member in MEMBERS}


def current(holder: Any, billing_mode: str | None) -> dict[str, int]:
    """The warm throughput of a table or an index: what was set, or where it starts, whichever is higher (it never
    goes down). Recorded, so that it stays after the capacity that raised it is lowered again."""
    stored = getattr(holder, ATTRIBUTE, None) or {}
    start = _starting(holder, billing_mode)
    value = {member: max(int(stored.get(member) or 0), start[member]) for member in MEMBERS}
    setattr(holder, ATTRIBUTE, dict(value))
    return value


def _check_member(value: Any, member: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise MockValidationException(
            f"One or more parameter values were invalid: Requested {member} for WarmThroughput for {where} must be "
            "at least 1"
        )
    return value


def raised(holder: Any, billing_mode: str | None, spec: dict[str, Any], where: str) -> dict[str, int]:
    """`holder`'s warm throughput with `spec`'s members applied: each at least the current value (a restatement is
    accepted), or ValidationException as AWS gives it. Nothing is changed here."""
    now = current(holder, billing_mode)
    wanted = dict(now)
    for member in MEMBERS:
        if spec.get(member) is None:
            continue
        value = _check_member(spec[member], member, where)
        if value < now[member]:
            raise MockValidationException(
                f"One or more parameter values were invalid: Requested {member} for WarmThroughput for {where} is "
                "lower than current WarmThroughput, decreasing WarmThroughput is not supported"
            )
        wanted[member] = value
    return wanted


def _index(table: Table, name: str) -> Any:
    for index in table.global_indexes:
        if index.name == name:
            return index
    raise ResourceNotFoundException(f"Requested resource not found: Index: {name} not found")


def update_warm_throughput(
    self: DynamoDBBackend, table_name: str, spec: dict[str, Any] | None, indexes: dict[str, dict[str, Any]]
) -> Table:
    """Backend method: UpdateTable with the table's WarmThroughput (`spec`, None for no change) and each named index's
    (`indexes`). Every value is checked before any is applied."""
    try:
        table = self.get_table(table_name)
    except ResourceNotFoundException:
        raise ResourceNotFoundException(table_name=table_name) from None
    changes = []
    if spec is not None:
        changes.append((table, raised(table, table.billing_mode, spec, "table")))
    for name, index_spec in indexes.items():
        index = _index(table, name)
        changes.append((index, raised(index, table.billing_mode, index_spec, f"index {name}")))
    for holder, value in changes:
        setattr(holder, ATTRIBUTE, value)
    return table


def restored(table: Table, body: dict[str, Any], point_in_time: bool) -> None:
    """Gives a restored table a new table's warm throughput, on the table and on each index, but an index a backup's
    restore gives its own (`GlobalSecondaryIndexOverride`). Called once the restore's billing mode and capacity are
    settled."""
    overrides = {
        entry["IndexName"]: entry["WarmThroughput"]
        for entry in body.get("GlobalSecondaryIndexOverride") or []
        if entry.get("WarmThroughput")
    }
    if overrides and point_in_time:
        raise MockValidationException(
            "One or more parameter values were invalid: WarmThroughput is not supported in "
            "GlobalSecondaryIndexOverride for RestoreTableToPointInTime"
        )
    setattr(table, ATTRIBUTE, {})
    for index in table.global_indexes:
        setattr(index, ATTRIBUTE, {})
    for name, spec in overrides.items():
        index = _index(table, name)
        setattr(index, ATTRIBUTE, raised(index, table.billing_mode, spec, f"index {name}"))


def _described(value: dict[str, int]) -> dict[str, Any]:
    return {**value, "Status": "ACTIVE"}


def _describe(describe: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def wrapped(self: Table, base_key: str = "TableDescription") -> dict[str, Any]:
        result = describe(self, base_key=base_key)
        description = result[base_key]
        description["WarmThroughput"] = _described(current(self, self.billing_mode))
        by_name = {index.name: index for index in self.global_indexes}
        for index in description.get("GlobalSecondaryIndexes", []):
            if index["IndexName"] in by_name:
                index["WarmThroughput"] = _described(current(by_name[index["IndexName"]], self.billing_mode))
        return result

    wrapped.__wrapped__ = describe  # type: ignore[attr-defined]
    return wrapped


def update_table(self: DynamoHandler) -> ActionResult:
    body = self.body
    spec = body.get("WarmThroughput")
    indexes = {
        action["IndexName"]: action["WarmThroughput"]
        for update in body.get("GlobalSecondaryIndexUpdates") or []
        if (action := update.get("Update")) and action.get("WarmThroughput")
    }
    if spec is None and not indexes:
        result: ActionResult = _originals["update_table"](self)
        return result
    table = self.dynamodb_backend.get_table(body["TableName"])
    # Checked before anything is applied; moto then replaces the values whole, and they are merged back here.
    before = {"": copy.deepcopy(current(table, table.billing_mode))}
    if spec is not None:
        raised(table, table.billing_mode, spec, "table")
    for name, index_spec in indexes.items():
        index = _index(table, name)
        before[name] = copy.deepcopy(current(index, table.billing_mode))
        raised(index, table.billing_mode, index_spec, f"index {name}")
    _originals["update_table"](self)
    setattr(table, ATTRIBUTE, before[""])
    for name in indexes:
        setattr(_index(table, name), ATTRIBUTE, before[name])
    table = update_warm_throughput(self.dynamodb_backend, table.name, spec, indexes)
    return DynamoResult(table.describe())


PATCHED: dict[type, tuple[str, ...]] = {
    DynamoHandler: ("update_table",),
    Table: ("describe",),
}


def install() -> None:
    """Applies the patches once; later calls do nothing."""
    with _lock:
        if _originals:
            return
        for owner, names in PATCHED.items():
            for name in names:
                if not callable(getattr(owner, name, None)):
                    raise RuntimeError(f"moto changed: {owner.__name__}.{name} is gone")
        _originals["update_table"] = DynamoHandler.update_table
        # Other extensions wrap this handler too: `__wrapped__` lets a test follow the chain.
        update_table.__wrapped__ = _originals["update_table"]  # type: ignore[attr-defined]
        DynamoHandler.update_table = update_table  # type: ignore[method-assign]
        Table.describe = _describe(Table.describe)  # type: ignore[method-assign]
        DynamoDBBackend.update_warm_throughput = update_warm_throughput  # type: ignore[attr-defined]
