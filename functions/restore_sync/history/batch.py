"""A batch of settings-changing events (SQS records, each an EventBridge event) as the work it asks for: each table
changed once, with the latest change's time, and at most one sweep.

Pure: the records are all it reads. A record's `messageId` is how the recorder reports it failed (SQS then
delivers that record again); a record whose body is not an event can never succeed and is reported failed at once,
so that SQS moves it to the dead-letter queue after its last receive.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from restore_sync.aws import TableRef
from restore_sync.history.changes import changed_tables
from restore_sync.timestamps import instant


@dataclass
class Work:
    """What the batch's records ask of one table (or of the sweep): the latest change wins."""

    at: datetime
    causes: list[str] = field(default_factory=list)
    records: list[str] = field(default_factory=list)
    deleted_at: datetime | None = None

    def add(self, record: str, at: datetime, cause: str, deleted: bool) -> None:
        self.at = max(self.at, at)
        if cause not in self.causes:
            self.causes.append(cause)
        if record not in self.records:
            self.records.append(record)
        if deleted:
            self.deleted_at = at if self.deleted_at is None else max(self.deleted_at, at)

    @property
    def cause(self) -> str:
        """The calls, each named once, in the order they arrived: the history's `cause` of the version."""
        return ", ".join(self.causes)

    @property
    def recreated(self) -> bool:
        """The table was deleted and changed again since (created anew under the same name)."""
        return self.deleted_at is not None and self.at > self.deleted_at


@dataclass
class Batch:
    tables: dict[TableRef, Work] = field(default_factory=dict)
    sweep: Work | None = None
    ignored: list[tuple[str, str]] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)


def batch_of(records: list[dict[str, Any]], now: datetime) -> Batch:
    """Groups the records' changes by table. A change without a time (CloudTrail always gives one) counts as `now`."""
    batch = Batch()
    for record in records:
        message_id = str(record.get("messageId") or "")
        try:
            event = json.loads(str(record.get("body")))
            if not isinstance(event, dict):
                raise ValueError("the body is not a JSON object")
            change = changed_tables(event)
            at = instant(change.at) if change.at else now
        except (ValueError, TypeError) as error:
            batch.unreadable.append((message_id, f"not an EventBridge event: {error}"))
            continue
        if change.ignored:
            batch.ignored.append((message_id, change.ignored))
            continue
        if change.sweep:
            batch.sweep = batch.sweep or Work(at=at)
            batch.sweep.add(message_id, at, change.name, deleted=False)
        for table in change.tables:
            work = batch.tables.setdefault(table, Work(at=at))
            work.add(message_id, at, change.name, deleted=change.deleted)
    return batch
