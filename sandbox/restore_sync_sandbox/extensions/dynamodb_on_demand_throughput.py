"""Maximum on-demand throughput as AWS keeps it: set by CreateTable, UpdateTable and a restore's override, described
on the table and on each global secondary index.

AWS behaviour reproduced (botocore's DynamoDB model: the `OnDemandThroughput` shape, CreateTable, UpdateTable,
GlobalSecondaryIndex, UpdateGlobalSecondaryIndexAction, RestoreTableFromBackup, RestoreTableToPointInTime; the
CloudFormation registry schema of AWS::DynamoDB::Table):
- CreateTable takes `OnDemandThroughput` {MaxReadRequestUnits, MaxWriteRequestUnits} for the table and for each
  index in `GlobalSecondaryIndexes`; UpdateTable takes it for the table and in each index's `Update` or `Create`.
  A member is at least 1 to set a maximum, or -1 to remove the one set ("To remove the maximum OnDemandThroughput
  that is currently set on your table, set the value of MaxReadRequestUnits to -1"); anything else is a
  ValidationException. A member an update leaves out keeps its value (inferred: the API reference does not say).
- DescribeTable and the CreateTable/UpdateTable responses of an on-demand (PAY_PER_REQUEST) table carry
  `OnDemandThroughput` on the table and on each index, a member without a maximum as -1 (inferred from DescribeTable
  output; the model does not say how "no maximum" is described). A provisioned table shows none.
- A restored table does not keep its source's maximum, on the table or on its indexes: RestoreTableToPointInTime's
  documentation lists what the new table includes (indexes, provisioned capacity, encryption) and the maximum is
  not among it. The restore request may choose one: `OnDemandThroughputOverride` for the table, `OnDemandThroughput`
  in each `GlobalSecondaryIndexOverride` entry.
- Not reproduced: refusing a maximum on a provisioned table, and the limits on how often it may change.

moto internals patched: `DynamoHandler.create_table` and `DynamoHandler.update_table` (wrapped), `Table.describe`
(wrapped); `DynamoDBBackend.update_on_demand_throughput` is added for the CloudFormation table model, and
`restored` is called by the restore extension. The maximum is kept in the `on_demand_throughput` attribute of the
table and of each index (only the members that set one).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.dynamodb.exceptions import MockValidationException, ResourceNotFoundException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler, DynamoResult

MEMBERS = ("MaxReadRequestUnits", "MaxWriteRequestUnits")
NO_MAXIMUM = -1
ATTRIBUTE = "on_demand_throughput"

_lock = threading.Lock()
_originals: dict[str, Callable[..., Any]] = {}


def check(spec: Any, where: str = "table") -> dict[str, int]:
    """`spec` as an OnDemandThroughput, or MockValidationException for a member that is neither -1 nor at least 1."""
    checked: dict[str, int] = {}
    for member in MEMBERS:
        value = (spec or {}).get(member)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or (value < 1 and value != NO_MAXIMUM):
            raise MockValidationException(
                f"One or more parameter values were invalid: Requested {member} for OnDemandThroughput for {where} "
                "is outside of valid range"
            )
        checked[member] = value
    return checked


def maximum_of(holder: Any) -> dict[str, int]:
    """The members of `holder`'s (a table's or an index's) maximum that are set."""
    return dict(getattr(holder, ATTRIBUTE, None) or {})


def set_maximum(holder: Any, spec: Any, where: str = "table") -> None:
    """Applies an OnDemandThroughput to a table or an index: each member given is set, or removed with -1."""
    current = maximum_of(holder)
    for member, value in check(spec, where).items():
        if value == NO_MAXIMUM:
            current.pop(member, None)
        else:
            current[member] = value
    setattr(holder, ATTRIBUTE, current)


def clear_maximum(holder: Any) -> None:
    setattr(holder, ATTRIBUTE, {})


def described(holder: Any) -> dict[str, int]:
    """What DescribeTable shows: every member, -1 where there is no maximum."""
    current = maximum_of(holder)
    return {member: current.get(member, NO_MAXIMUM) for member in MEMBERS}


def _index(table: Table, name: str) -> Any:
    for index in table.global_indexes:
        if index.name == name:
            return index
    raise ResourceNotFoundException(f"Requested resource not found: Index: {name} not found")


def restored(table: Table, body: dict[str, Any]) -> None:
    """Gives a restored table the maximum its restore request chose, and no other (its indexes were copied from the
    source with theirs)."""
    clear_maximum(table)
    for index in table.global_indexes:
        clear_maximum(index)
    if body.get("OnDemandThroughputOverride"):
        set_maximum(table, body["OnDemandThroughputOverride"])
    for override in body.get("GlobalSecondaryIndexOverride") or []:
        if override.get("OnDemandThroughput"):
            set_maximum(_index(table, override["IndexName"]), override["OnDemandThroughput"], "index")


def update_on_demand_throughput(
    self: DynamoDBBackend, table_name: str, spec: dict[str, Any] | None, indexes: dict[str, dict[str, Any]]
) -> Table:
    """Backend method: UpdateTable with the table's OnDemandThroughput (`spec`, None for no change) and each named
    index's (`indexes`)."""
    try:
        table = self.get_table(table_name)
    except ResourceNotFoundException:
        raise ResourceNotFoundException(table_name=table_name) from None
    if spec is not None:
        set_maximum(table, spec)
    for name, index_spec in indexes.items():
        set_maximum(_index(table, name), index_spec, "index")
    return table


def _describe(describe: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def wrapped(self: Table, base_key: str = "TableDescription") -> dict[str, Any]:
        result = describe(self, base_key=base_key)
        if self.billing_mode != "PAY_PER_REQUEST":
            return result
        description = result[base_key]
        description["OnDemandThroughput"] = described(self)
        by_name = {index.name: index for index in self.global_indexes}
        for index in description.get("GlobalSecondaryIndexes", []):
            if index["IndexName"] in by_name:
                index["OnDemandThroughput"] = described(by_name[index["IndexName"]])
        return result

    wrapped.__wrapped__ = describe  # type: ignore[attr-defined]
    return wrapped


def _index_specs(entries: Any, key: str | None = None) -> dict[str, dict[str, Any]]:
    """Each index's OnDemandThroughput in a list of indexes (or of index updates, under `key`), checked."""
    specs = {}
    for entry in entries or []:
        index = entry.get(key) if key else entry
        if index and index.get("OnDemandThroughput") is not None:
            specs[index["IndexName"]] = index["OnDemandThroughput"]
            check(index["OnDemandThroughput"], "index")
    return specs


def create_table(self: DynamoHandler) -> ActionResult:
    spec = self.body.get("OnDemandThroughput")
    check(spec)
    indexes = _index_specs(self.body.get("GlobalSecondaryIndexes"))
    result: ActionResult = _originals["create_table"](self)
    if spec is None and not indexes:
        return result
    table = update_on_demand_throughput(self.dynamodb_backend, self.body["TableName"], spec, indexes)
    return DynamoResult(table.describe())


def update_table(self: DynamoHandler) -> ActionResult:
    spec = self.body.get("OnDemandThroughput")
    check(spec)
    updates = self.body.get("GlobalSecondaryIndexUpdates")
    indexes = {**_index_specs(updates, "Create"), **_index_specs(updates, "Update")}
    result: ActionResult = _originals["update_table"](self)
    if spec is None and not indexes:
        return result
    table = update_on_demand_throughput(self.dynamodb_backend, self.body["TableName"], spec, indexes)
    return DynamoResult(table.describe())


PATCHED: dict[type, tuple[str, ...]] = {
    DynamoHandler: ("create_table", "update_table"),
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
        _originals["create_table"] = DynamoHandler.create_table
        _originals["update_table"] = DynamoHandler.update_table
        # Other extensions wrap these handlers too: `__wrapped__` lets a test follow the chain.
        create_table.__wrapped__ = _originals["create_table"]  # type: ignore[attr-defined]
        update_table.__wrapped__ = _originals["update_table"]  # type: ignore[attr-defined]
        DynamoHandler.create_table = create_table  # type: ignore[method-assign]
        DynamoHandler.update_table = update_table  # type: ignore[method-assign]
        Table.describe = _describe(Table.describe)  # type: ignore[method-assign]
        DynamoDBBackend.update_on_demand_throughput = update_on_demand_throughput  # type: ignore[attr-defined]
