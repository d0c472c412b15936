"""DynamoDB table classes as AWS keeps them: set by CreateTable or UpdateTable, shown as TableClassSummary.

AWS behaviour reproduced:
- CreateTable and UpdateTable take `TableClass` (STANDARD | STANDARD_INFREQUENT_ACCESS; anything else is a
  ValidationException naming the allowed values). DescribeTable and the CreateTable/UpdateTable responses carry
  `TableClassSummary: {TableClass, LastUpdateDateTime}`.
- A table whose class was never set has no TableClassSummary at all (absent means STANDARD), and asking for
  STANDARD on such a table is a no-op that leaves it absent. A table created with STANDARD_INFREQUENT_ACCESS
  shows `{TableClass}`; `LastUpdateDateTime` appears once UpdateTable changes the class (inferred: the API
  reference does not say what CreateTable records).
- UpdateTable cannot change the table class together with other table properties (a ValidationException; the
  message is the sandbox's own).
- Restored tables are STANDARD whatever the source's class: they are new tables, and the class lives on the
  table object, which a restore does not copy.
- The change is applied at once (AWS keeps the table UPDATING for a few seconds and returns the previous
  summary in the UpdateTable response; the sandbox returns the new one).
- Not reproduced: the limit of two class changes per table in 30 days (LimitExceededException).

moto internals patched: `DynamoHandler.create_table` and `DynamoHandler.update_table` (wrapped), `Table.describe`
(wrapped); `DynamoDBBackend.update_table_class` is added for the CloudFormation table model. The class is kept
in the table's `table_class` attribute, its change time in `table_class_updated_at`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.dynamodb.exceptions import MockValidationException, ResourceNotFoundException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler, DynamoResult

from restore_sync_sandbox import clock

TABLE_CLASSES = ("STANDARD", "STANDARD_INFREQUENT_ACCESS")
DEFAULT_TABLE_CLASS = "STANDARD"
CLASS_ATTRIBUTE = "table_class"
UPDATED_ATTRIBUTE = "table_class_updated_at"

# UpdateTable members that are table property changes (TableName names the table; AttributeDefinitions only
# accompany index changes).
_OTHER_UPDATES = (
    "BillingMode",
    "ProvisionedThroughput",
    "GlobalSecondaryIndexUpdates",
    "StreamSpecification",
    "SSESpecification",
    "ReplicaUpdates",
    "DeletionProtectionEnabled",
    "MultiRegionConsistency",
    "GlobalTableWitnessUpdates",
    "OnDemandThroughput",
    "WarmThroughput",
)

_lock = threading.Lock()
_originals: dict[str, Callable[..., Any]] = {}


def table_class_of(table: Table) -> str:
    """The class of `table` as AWS bills it: STANDARD unless another was set."""
    value: str | None = getattr(table, CLASS_ATTRIBUTE, None)
    return value or DEFAULT_TABLE_CLASS


def _check(table_class: Any, member: str = "tableClass") -> str:
    if table_class not in TABLE_CLASSES:
        raise MockValidationException(
            f"1 validation error detected: Value '{table_class}' at '{member}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(reversed(TABLE_CLASSES))}]"
        )
    return str(table_class)


def _now() -> datetime:
    # moto keeps naive UTC datetimes; the sandbox clock may run ahead of the wall clock.
    return clock.current().now().astimezone(UTC).replace(tzinfo=None)


def set_table_class(table: Table, table_class: str, *, creating: bool = False) -> None:
    """Gives `table` the class `table_class`, as CreateTable (`creating`) or UpdateTable would.

    Raises MockValidationException for a class AWS does not have. Setting the class the table already has is a
    no-op (a never-set table stays without TableClassSummary).
    """
    _check(table_class)
    if table_class == table_class_of(table):
        return
    setattr(table, CLASS_ATTRIBUTE, table_class)
    setattr(table, UPDATED_ATTRIBUTE, None if creating else _now())


def table_class_summary(table: Table) -> dict[str, Any] | None:
    """The TableClassSummary DescribeTable shows for `table`, or None when AWS shows none."""
    table_class: str | None = getattr(table, CLASS_ATTRIBUTE, None)
    if table_class is None:
        return None
    summary: dict[str, Any] = {"TableClass": table_class}
    updated: datetime | None = getattr(table, UPDATED_ATTRIBUTE, None)
    if updated is not None:
        summary["LastUpdateDateTime"] = updated
    return summary


def update_table_class(self: DynamoDBBackend, table_name: str, table_class: str) -> Table:
    """Backend method: UpdateTable with only a TableClass (`table_name` may be a name or an ARN)."""
    try:
        table = self.get_table(table_name)
    except ResourceNotFoundException:
        raise ResourceNotFoundException(table_name=table_name) from None
    set_table_class(table, table_class)
    return table


def _describe(describe: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def wrapped(self: Table, base_key: str = "TableDescription") -> dict[str, Any]:
        result = describe(self, base_key=base_key)
        summary = table_class_summary(self)
        if summary is not None:
            result[base_key]["TableClassSummary"] = summary
        return result

    wrapped.__wrapped__ = describe  # type: ignore[attr-defined]
    return wrapped


def create_table(self: DynamoHandler) -> ActionResult:
    table_class = self.body.get("TableClass")
    if table_class is not None:
        _check(table_class)
    result: ActionResult = _originals["create_table"](self)
    if table_class is None:
        return result
    table = self.dynamodb_backend.get_table(self.body["TableName"])
    set_table_class(table, table_class, creating=True)
    return DynamoResult(table.describe())


def update_table(self: DynamoHandler) -> ActionResult:
    table_class = self.body.get("TableClass")
    if table_class is None:
        result: ActionResult = _originals["update_table"](self)
        return result
    _check(table_class)
    if any(self.body.get(member) is not None for member in _OTHER_UPDATES):
        raise MockValidationException(
            "One or more parameter values were invalid: TableClass cannot be updated together with other "
            "table properties"
        )
    table = update_table_class(self.dynamodb_backend, self.body["TableName"], table_class)
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
        _originals["describe"] = Table.describe
        # Other extensions wrap these handlers too: `__wrapped__` lets a test follow the chain.
        create_table.__wrapped__ = _originals["create_table"]  # type: ignore[attr-defined]
        update_table.__wrapped__ = _originals["update_table"]  # type: ignore[attr-defined]
        DynamoHandler.create_table = create_table  # type: ignore[method-assign]
        DynamoHandler.update_table = update_table  # type: ignore[method-assign]
        Table.describe = _describe(Table.describe)  # type: ignore[method-assign]
        DynamoDBBackend.update_table_class = update_table_class  # type: ignore[attr-defined]
