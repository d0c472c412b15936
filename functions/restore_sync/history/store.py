"""The settings history: every version of each table's settings document, kept in the deployment's history table.

Items, by partition key `tableArn` and sort key `version`:
- a version: `version` is "<effective time>#<digest prefix>" (ISO 8601 UTC with milliseconds, so keys sort by
  time), holding the settings document as JSON, its digest, when it was read (`readAt`), what led to the
  reading (`cause`) and, once a newer version or the table's deletion supersedes it, `expiresAt` (epoch seconds,
  the table's TTL attribute). The current version never expires: a table whose settings never change keeps it.
- the table's pointer: `version` is "latest", which sorts after every timestamp, so queries on time never see
  it. It names the current version and its digest. Every new version is written in one transaction
  conditioned on the pointer, so concurrent snapshots of unchanged settings add exactly one version.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from botocore.exceptions import ClientError

from restore_sync.aws import error_code, translated_errors
from restore_sync.errors import HistoryUnwritable, HistoryVersionInvalid
from restore_sync.settings.document import document_problems
from restore_sync.timestamps import instant, iso

POINTER = "latest"
TTL_ATTRIBUTE = "expiresAt"
# DynamoDB's item limit is 400 KB; the rest of the item and some headroom stay under it.
MAX_DOCUMENT_BYTES = 380_000
# Concurrent snapshots of one table retry their transaction this many times before giving up.
_ATTEMPTS = 5
_ONE_MS = timedelta(milliseconds=1)


def canonical(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def digest(document: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(document).encode()).hexdigest()


@dataclass(frozen=True)
class Version:
    table_arn: str
    key: str
    effective_at: str
    read_at: str
    cause: str
    digest: str
    document: dict[str, Any]
    expires_at: int | None = None


@dataclass(frozen=True)
class Pointer:
    table_arn: str
    current: str
    digest: str
    effective_at: str
    deleted_at: str | None = None


Outcome = Literal["recorded", "unchanged"]


@dataclass
class History:
    """The history table, read and written with a DynamoDB client of its region."""

    client: Any
    table_name: str
    retention_days: int

    def record(self, document: dict[str, Any], *, effective_at: datetime, read_at: datetime, cause: str) -> Outcome:
        """Adds `document` as the table's new version unless it equals the current one.

        The version takes effect at `effective_at` (when the change was made), or just after the current version
        when that is later: versions only move forward in time, whatever order the events arrive in.
        """
        text = canonical(document)
        if len(text.encode()) > MAX_DOCUMENT_BYTES:
            raise HistoryUnwritable(
                f"the settings of {document['table']['arn']} take {len(text.encode())} bytes, more than a history "
                f"item holds ({MAX_DOCUMENT_BYTES}): restores of it read the live source"
            )
        table_arn = document["table"]["arn"]
        new_digest = digest(document)
        for _ in range(_ATTEMPTS):
            pointer = self.pointer(table_arn)
            if pointer and pointer.digest == new_digest and pointer.deleted_at is None:
                return "unchanged"
            at = effective_at if pointer is None else max(effective_at, instant(pointer.effective_at) + _ONE_MS)
            key = f"{iso(at)}#{new_digest[:16]}"
            writes = [
                self._put_version(table_arn, key, iso(at), iso(read_at), cause, new_digest, text),
                self._put_pointer(table_arn, key, new_digest, iso(at), pointer),
            ]
            if pointer is not None:
                writes.append(self._expire(table_arn, pointer.current, at))
            if self._transact(writes):
                return "recorded"
        raise HistoryUnwritable(f"the history of {table_arn} kept changing under {_ATTEMPTS} attempts to record it")

    def mark_deleted(self, table_arn: str, at: datetime) -> bool:
        """Starts the retention period of a deleted table's last version; False when it has no history."""
        for _ in range(_ATTEMPTS):
            pointer = self.pointer(table_arn)
            if pointer is None:
                return False
            if pointer.deleted_at is not None:
                return True
            expires = _epoch(at + timedelta(days=self.retention_days))
            update_pointer = {
                "Update": {
                    "TableName": self.table_name,
                    "Key": _key(table_arn, POINTER),
                    "UpdateExpression": "SET deletedAt = :at, expiresAt = :expires",
                    "ConditionExpression": "#current = :current",
                    "ExpressionAttributeNames": {"#current": "current"},
                    "ExpressionAttributeValues": {
                        ":at": {"S": iso(at)},
                        ":expires": {"N": str(expires)},
                        ":current": {"S": pointer.current},
                    },
                }
            }
            if self._transact([update_pointer, self._expire(table_arn, pointer.current, at)]):
                return True
        raise HistoryUnwritable(f"the history of {table_arn} kept changing under {_ATTEMPTS} attempts to mark it")

    def pointer(self, table_arn: str) -> Pointer | None:
        with translated_errors():
            item = self.client.get_item(
                TableName=self.table_name, Key=_key(table_arn, POINTER), ConsistentRead=True
            ).get("Item")
        if not item:
            return None
        return Pointer(
            table_arn=table_arn,
            current=item["current"]["S"],
            digest=item["digest"]["S"],
            effective_at=item["effectiveAt"]["S"],
            deleted_at=item.get("deletedAt", {}).get("S"),
        )

    def at_or_before(self, table_arn: str, moment: datetime) -> Version | None:
        """The version in effect at `moment`: the latest that took effect at or before it."""
        # "~" sorts after the digest's hex digits: every version of that millisecond is included.
        return self._one(table_arn, "#version <= :bound", iso(moment) + "#~", newest_first=True)

    def first(self, table_arn: str) -> Version | None:
        return self._one(table_arn, "#version < :bound", POINTER, newest_first=False)

    def versions(self, table_arn: str) -> list[Version]:
        """Every version of a table, oldest first."""
        pages = self.client.get_paginator("query").paginate(
            TableName=self.table_name,
            KeyConditionExpression="tableArn = :arn AND #version < :bound",
            ExpressionAttributeNames={"#version": "version"},
            ExpressionAttributeValues={":arn": {"S": table_arn}, ":bound": {"S": POINTER}},
            ConsistentRead=True,
        )
        with translated_errors():
            return [_version(item) for page in pages for item in page["Items"]]

    def _one(self, table_arn: str, condition: str, bound: str, newest_first: bool) -> Version | None:
        with translated_errors():
            items = self.client.query(
                TableName=self.table_name,
                KeyConditionExpression=f"tableArn = :arn AND {condition}",
                ExpressionAttributeNames={"#version": "version"},
                ExpressionAttributeValues={":arn": {"S": table_arn}, ":bound": {"S": bound}},
                ScanIndexForward=not newest_first,
                Limit=1,
                ConsistentRead=True,
            )["Items"]
        return _version(items[0]) if items else None

    def _put_version(
        self, table_arn: str, key: str, effective_at: str, read_at: str, cause: str, new_digest: str, text: str
    ) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": {
                    **_key(table_arn, key),
                    "effectiveAt": {"S": effective_at},
                    "readAt": {"S": read_at},
                    "cause": {"S": cause},
                    "digest": {"S": new_digest},
                    "document": {"S": text},
                },
                "ConditionExpression": "attribute_not_exists(#version)",
                "ExpressionAttributeNames": {"#version": "version"},
            }
        }

    def _put_pointer(
        self, table_arn: str, key: str, new_digest: str, effective_at: str, previous: Pointer | None
    ) -> dict[str, Any]:
        put: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": {
                **_key(table_arn, POINTER),
                "current": {"S": key},
                "digest": {"S": new_digest},
                "effectiveAt": {"S": effective_at},
            },
        }
        if previous is None:
            put["ConditionExpression"] = "attribute_not_exists(#version)"
            put["ExpressionAttributeNames"] = {"#version": "version"}
        else:
            put["ConditionExpression"] = "#current = :current"
            put["ExpressionAttributeNames"] = {"#current": "current"}
            put["ExpressionAttributeValues"] = {":current": {"S": previous.current}}
        return {"Put": put}

    def _expire(self, table_arn: str, key: str, superseded_at: datetime) -> dict[str, Any]:
        """A superseded version is kept for the retention period: restore points that old still need it."""
        expires = _epoch(superseded_at + timedelta(days=self.retention_days))
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": _key(table_arn, key),
                "UpdateExpression": "SET expiresAt = if_not_exists(expiresAt, :expires)",
                "ExpressionAttributeValues": {":expires": {"N": str(expires)}},
            }
        }

    def _transact(self, writes: list[dict[str, Any]]) -> bool:
        """True when written; False when another snapshot changed the table's history first."""
        try:
            with translated_errors():
                self.client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            reasons = error.response.get("CancellationReasons") or []
            if error_code(error) == "TransactionCanceledException" and any(
                r.get("Code") == "ConditionalCheckFailed" for r in reasons
            ):
                return False
            raise
        return True


def _key(table_arn: str, version: str) -> dict[str, Any]:
    return {"tableArn": {"S": table_arn}, "version": {"S": version}}


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


_VERSION_ATTRIBUTES = {"effectiveAt": "S", "readAt": "S", "cause": "S", "digest": "S", "document": "S"}


def _version(item: dict[str, Any]) -> Version:
    """A version as the recorder wrote it, or HistoryVersionInvalid naming the table, the version and every
    problem: whoever can write the history would otherwise decide what a restore applies."""
    table_arn, key = item["tableArn"]["S"], item["version"]["S"]
    problems = [
        f"{name}: missing, or not of type {kind}"
        for name, kind in _VERSION_ATTRIBUTES.items()
        if kind not in item.get(name, {})
    ]
    if TTL_ATTRIBUTE in item and "N" not in item[TTL_ATTRIBUTE]:
        problems.append(f"{TTL_ATTRIBUTE}: not a number")
    if problems:
        raise HistoryVersionInvalid(table_arn, key, problems)
    try:
        document = json.loads(item["document"]["S"])
    except ValueError as error:
        raise HistoryVersionInvalid(table_arn, key, [f"document: not JSON ({error})"]) from error
    problems = document_problems(document)
    if digest(document) != item["digest"]["S"]:
        problems.append("digest: not the digest of the document (the document was changed after it was recorded)")
    recorded_of = document.get("table", {}).get("arn") if isinstance(document, dict) else None
    if isinstance(recorded_of, str) and recorded_of != table_arn:
        problems.append(f"table.arn: the document is of {recorded_of}, not of the table it is kept under")
    if problems:
        raise HistoryVersionInvalid(table_arn, key, problems)
    return Version(
        table_arn=table_arn,
        key=key,
        effective_at=item["effectiveAt"]["S"],
        read_at=item["readAt"]["S"],
        cause=item["cause"]["S"],
        digest=item["digest"]["S"],
        document=document,
        expires_at=int(item[TTL_ATTRIBUTE]["N"]) if TTL_ATTRIBUTE in item else None,
    )
