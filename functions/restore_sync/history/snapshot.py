"""Snapshots: a table's whole settings document, added to the history when it differs from the current version."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from botocore.exceptions import ClientError

from restore_sync.aws import Aws, TableRef, translated_errors
from restore_sync.errors import RestoreSyncError, SourceTableUnavailable
from restore_sync.history.store import History
from restore_sync.settings import NAMES
from restore_sync.settings.document import settings_document

# A sweep stops starting snapshots when less than this is left of the function's time; the rest wait for the
# next sweep (each snapshot takes about a dozen read calls).
RESERVE_SECONDS = 30.0

Taken = Literal["recorded", "unchanged", "gone"]


def snapshot(aws: Aws, history: History, table: TableRef, *, at: datetime, now: datetime, cause: str) -> Taken:
    """Reads every setting of `table` (not only the deployment's selection: a later restore may ask for any) and
    records the document if it changed. `gone` when the table no longer exists."""
    try:
        document = settings_document(aws, table, list(NAMES))
    except SourceTableUnavailable:
        return "gone"
    return history.record(document, effective_at=at, read_at=now, cause=cause)


@dataclass
class Tally:
    recorded: list[str] = field(default_factory=list)
    unchanged: int = 0
    gone: int = 0
    failed: list[str] = field(default_factory=list)
    left: int = 0

    def add(self, table: TableRef, taken: Taken) -> None:
        if taken == "recorded":
            self.recorded.append(table.name)
        elif taken == "unchanged":
            self.unchanged += 1
        else:
            self.gone += 1

    def merge(self, other: Tally) -> None:
        self.recorded.extend(other.recorded)
        self.unchanged += other.unchanged
        self.gone += other.gone
        self.failed.extend(other.failed)
        self.left += other.left

    def summary(self) -> dict[str, Any]:
        return {
            "recorded": len(self.recorded),
            "unchanged": self.unchanged,
            "gone": self.gone,
            "failed": len(self.failed),
            "left": self.left,
        }


def sweep(
    aws: Aws,
    history: History,
    region: str,
    account: str,
    *,
    at: datetime,
    now: datetime,
    cause: str,
    seconds_left: Callable[[], float],
) -> Tally:
    """A snapshot of every table in the region: the start of the history, and the daily catch-up for changes whose
    events were lost. A table that fails is counted and the sweep goes on."""
    tally = Tally()
    names = table_names(aws, region)
    for done, name in enumerate(names):
        if seconds_left() < RESERVE_SECONDS:
            tally.left = len(names) - done
            break
        table = TableRef(name, region, account)
        try:
            tally.add(table, snapshot(aws, history, table, at=at, now=now, cause=cause))
        except (ClientError, RestoreSyncError) as error:
            tally.failed.append(f"{name}: {error}")
    return tally


def table_names(aws: Aws, region: str) -> list[str]:
    with translated_errors():
        pages = aws.client("dynamodb", region).get_paginator("list_tables").paginate()
        return [name for page in pages for name in page["TableNames"]]
