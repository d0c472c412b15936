"""DynamoDB Kinesis Data Streams destinations: Enable, Disable, Update and DescribeKinesisStreamingDestination.

AWS behaviour reproduced (API reference, and measured behaviour published for these APIs):
- EnableKinesisStreamingDestination (TableName is a name or an ARN; optional
  `EnableKinesisStreamingConfiguration.ApproximateCreationDateTimePrecision` MILLISECOND | MICROSECOND) answers
  `DestinationStatus: ENABLING` and echoes the configuration (`{}` when none). AWS does not check the stream in
  that call: the destination becomes ACTIVE, or ENABLE_FAILED with a `DestinationStatusDescription` ("User does
  not have a permission to use kinesis stream" for a stream that does not exist in the table's account and
  region, "... belongs to a stream which is not in the current region" for another region). The sandbox settles
  at once, so DescribeKinesisStreamingDestination shows ACTIVE (or ENABLE_FAILED) right after Enable.
- A table may list several destinations but only one live one (ENABLING, ACTIVE, UPDATING or DISABLING):
  enabling any stream while one is live is ValidationException "Table is not in a valid state to enable Kinesis
  Streaming Destination: EnableKinesisStreamingDestination must be DISABLED or ENABLE_FAILED to perform ENABLE
  operation.". DISABLED and ENABLE_FAILED entries stay listed (newest first); enabling their stream again
  reuses the entry.
- DisableKinesisStreamingDestination answers DISABLING, the entry then reads DISABLED; Disable of a stream that
  is not ACTIVE (or was never attached) is ValidationException, never ResourceNotFoundException.
- UpdateKinesisStreamingDestination changes the precision of an ACTIVE destination (answers UPDATING); the same
  precision again, a missing configuration or a destination that is not ACTIVE are ValidationExceptions.
- Describe lists StreamArn and DestinationStatus, plus DestinationStatusDescription when there is one and
  ApproximateCreationDateTimePrecision once it was chosen (absent means MILLISECOND).
- Deleting the Kinesis stream later changes nothing that Describe shows: the destination stays ACTIVE (AWS
  does the same). Records are not delivered to the stream.
- A missing table is ResourceNotFoundException. Destinations belong to the table object: a restored table (a
  new table) has none, and a table deleted and created again under the same name starts empty.

moto internals patched: none replaced. `DynamoHandler` gains `enable_kinesis_streaming_destination`,
`disable_kinesis_streaming_destination`, `update_kinesis_streaming_destination` and
`describe_kinesis_streaming_destination` (moto finds handler methods by name), and `DynamoDBBackend` gains the
methods of the same names, which the CloudFormation table model calls.
"""

from __future__ import annotations

import threading
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.core.responses import ActionResult
from moto.dynamodb.exceptions import MockValidationException, ResourceNotFoundException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.kinesis.models import KinesisBackend, kinesis_backends

PRECISIONS = ("MILLISECOND", "MICROSECOND")
DEFAULT_PRECISION = "MILLISECOND"
LIVE_STATUSES = ("ENABLING", "ACTIVE", "UPDATING", "DISABLING")

NO_PERMISSION = "User does not have a permission to use kinesis stream"
OTHER_REGION = (
    "The kinesis Arn used to enable kinesis replication belongs to a stream which is not in the current region"
)
NOT_ACTIVE = "The kinesis Arn used to enable kinesis replication belongs to a stream which is not in Active state"
_INVALID_STATE = "Table is not in a valid state to enable Kinesis Streaming Destination: "


@dataclass
class Destination:
    """One entry of a table's KinesisDataStreamDestinations."""

    stream_arn: str
    status: str
    description: str | None = None
    precision: str | None = None

    def describe(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"StreamArn": self.stream_arn, "DestinationStatus": self.status}
        if self.description:
            entry["DestinationStatusDescription"] = self.description
        if self.precision:
            entry["ApproximateCreationDateTimePrecision"] = self.precision
        return entry


_lock = threading.RLock()
# Keyed by the moto table object, so a deleted, restored or reset table never inherits destinations.
_destinations: weakref.WeakKeyDictionary[Table, list[Destination]] = weakref.WeakKeyDictionary()
_installed = False


def _table(backend: DynamoDBBackend, table_name: str) -> Table:
    try:
        return backend.get_table(table_name)
    except ResourceNotFoundException:
        raise ResourceNotFoundException(table_name=table_name) from None


def _check_precision(precision: Any, member: str) -> str:
    if precision not in PRECISIONS:
        raise MockValidationException(
            f"1 validation error detected: Value '{precision}' at '{member}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(PRECISIONS)}]"
        )
    return str(precision)


def _check_stream_arn(stream_arn: Any) -> str:
    if not isinstance(stream_arn, str) or not 37 <= len(stream_arn) <= 1024:
        raise MockValidationException(
            f"1 validation error detected: Value '{stream_arn}' at 'streamArn' failed to satisfy constraint: "
            "Member must have length greater than or equal to 37"
        )
    return stream_arn


def _stream_problem(table: Table, stream_arn: str) -> str | None:
    """Why DynamoDB could not stream `table` to `stream_arn`, or None when the stream is usable."""
    parts = stream_arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "kinesis" or not parts[5].startswith("stream/"):
        return NO_PERMISSION
    region, account = parts[3], parts[4]
    if region != table.region_name:
        return OTHER_REGION
    if account != table.account_id:
        return NOT_ACTIVE
    streams = kinesis_backends[account][region].streams.values()
    stream = next((candidate for candidate in streams if candidate.arn == stream_arn), None)
    if stream is None:
        return NO_PERMISSION
    if getattr(stream, "status", "ACTIVE") != "ACTIVE":
        return NOT_ACTIVE
    return None


def destinations_of(table: Table) -> list[Destination]:
    """The destinations of `table`, newest first (a live list: callers hold the module lock to change it)."""
    with _lock:
        return _destinations.setdefault(table, [])


def _find(table: Table, stream_arn: str) -> Destination | None:
    return next((d for d in destinations_of(table) if d.stream_arn == stream_arn), None)


def enable_kinesis_streaming_destination(
    self: DynamoDBBackend, table_name: str, stream_arn: str, precision: str | None = None
) -> dict[str, Any]:
    """Backend method: EnableKinesisStreamingDestination; returns the response (status ENABLING)."""
    table = _table(self, table_name)
    _check_stream_arn(stream_arn)
    if precision is not None:
        _check_precision(precision, "enableKinesisStreamingConfiguration.approximateCreationDateTimePrecision")
    with _lock:
        entries = destinations_of(table)
        if any(d.status in LIVE_STATUSES for d in entries):
            raise MockValidationException(
                _INVALID_STATE
                + "EnableKinesisStreamingDestination must be DISABLED or ENABLE_FAILED to perform ENABLE operation."
            )
        problem = _stream_problem(table, stream_arn)
        entry = _find(table, stream_arn)
        if entry is None:
            entry = Destination(stream_arn=stream_arn, status="ENABLING")
            entries.insert(0, entry)
        # The sandbox finishes the enable workflow at once.
        entry.status = "ENABLE_FAILED" if problem else "ACTIVE"
        entry.description = problem
        entry.precision = precision
    configuration = {"ApproximateCreationDateTimePrecision": precision} if precision else {}
    return {
        "TableName": table.name,
        "StreamArn": stream_arn,
        "DestinationStatus": "ENABLING",
        "EnableKinesisStreamingConfiguration": configuration,
    }


def disable_kinesis_streaming_destination(self: DynamoDBBackend, table_name: str, stream_arn: str) -> dict[str, Any]:
    """Backend method: DisableKinesisStreamingDestination; returns the response (status DISABLING)."""
    table = _table(self, table_name)
    _check_stream_arn(stream_arn)
    with _lock:
        entry = _find(table, stream_arn)
        if entry is None or entry.status != "ACTIVE":
            raise MockValidationException(
                _INVALID_STATE + "KinesisStreamingDestination must be ACTIVE to perform DISABLE operation."
            )
        entry.status = "DISABLED"
        entry.description = None
    return {"TableName": table.name, "StreamArn": stream_arn, "DestinationStatus": "DISABLING"}


def _table_id(table: Table) -> str:
    # DynamoDB quotes its internal table id; moto has none, so derive a stable one.
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{table.table_arn}@{table.created_at.isoformat()}"))


def update_kinesis_streaming_destination(
    self: DynamoDBBackend, table_name: str, stream_arn: str, precision: str | None
) -> dict[str, Any]:
    """Backend method: UpdateKinesisStreamingDestination of the precision; returns the response (UPDATING)."""
    table = _table(self, table_name)
    _check_stream_arn(stream_arn)
    if precision is None:
        raise MockValidationException(
            "Streaming destination cannot be updated with given parameters: "
            "UpdateKinesisStreamingConfiguration cannot be null or contain only null values"
        )
    _check_precision(precision, "updateKinesisStreamingConfiguration.approximateCreationDateTimePrecision")
    with _lock:
        entry = _find(table, stream_arn)
        if entry is None:
            raise MockValidationException(
                _INVALID_STATE
                + f"No streaming destination with streamArn: {stream_arn} found for table with tableName: "
                + table.name
            )
        if entry.status != "ACTIVE":
            raise MockValidationException(
                _INVALID_STATE
                + "Kinesis streaming is not in ACTIVE state. Updates are only allowed in ACTIVE state. "
                + f"TableName: {table.name}"
            )
        current = entry.precision or DEFAULT_PRECISION
        if current == precision:
            raise MockValidationException(
                f"Invalid Request: Precision is already set to the desired value of {current} for tableId: "
                f"{_table_id(table)}, kdsArn: {stream_arn}"
            )
        entry.precision = precision
    return {
        "TableName": table.name,
        "StreamArn": stream_arn,
        "DestinationStatus": "UPDATING",
        "UpdateKinesisStreamingConfiguration": {"ApproximateCreationDateTimePrecision": precision},
    }


def describe_kinesis_streaming_destination(self: DynamoDBBackend, table_name: str) -> list[dict[str, Any]]:
    """Backend method: the KinesisDataStreamDestinations of a table, newest first."""
    table = _table(self, table_name)
    with _lock:
        return [entry.describe() for entry in destinations_of(table)]


def _handle_enable(self: DynamoHandler) -> ActionResult:
    configuration = self.body.get("EnableKinesisStreamingConfiguration") or {}
    return ActionResult(
        self.dynamodb_backend.enable_kinesis_streaming_destination(  # type: ignore[attr-defined]
            self.body.get("TableName", ""),
            self.body.get("StreamArn"),
            configuration.get("ApproximateCreationDateTimePrecision"),
        )
    )


def _handle_disable(self: DynamoHandler) -> ActionResult:
    return ActionResult(
        self.dynamodb_backend.disable_kinesis_streaming_destination(  # type: ignore[attr-defined]
            self.body.get("TableName", ""), self.body.get("StreamArn")
        )
    )


def _handle_update(self: DynamoHandler) -> ActionResult:
    configuration = self.body.get("UpdateKinesisStreamingConfiguration") or {}
    return ActionResult(
        self.dynamodb_backend.update_kinesis_streaming_destination(  # type: ignore[attr-defined]
            self.body.get("TableName", ""),
            self.body.get("StreamArn"),
            configuration.get("ApproximateCreationDateTimePrecision"),
        )
    )


def _handle_describe(self: DynamoHandler) -> ActionResult:
    backend = self.dynamodb_backend
    table_name = self.body.get("TableName", "")
    destinations = backend.describe_kinesis_streaming_destination(table_name)  # type: ignore[attr-defined]
    return ActionResult({"TableName": _table(backend, table_name).name, "KinesisDataStreamDestinations": destinations})


HANDLER_METHODS: dict[str, Callable[..., Any]] = {
    "enable_kinesis_streaming_destination": _handle_enable,
    "disable_kinesis_streaming_destination": _handle_disable,
    "update_kinesis_streaming_destination": _handle_update,
    "describe_kinesis_streaming_destination": _handle_describe,
}
BACKEND_METHODS: dict[str, Callable[..., Any]] = {
    "enable_kinesis_streaming_destination": enable_kinesis_streaming_destination,
    "disable_kinesis_streaming_destination": disable_kinesis_streaming_destination,
    "update_kinesis_streaming_destination": update_kinesis_streaming_destination,
    "describe_kinesis_streaming_destination": describe_kinesis_streaming_destination,
}


def _check_moto() -> None:
    # The additions lean on these moto internals.
    if not callable(getattr(DynamoDBBackend, "get_table", None)):
        raise RuntimeError("moto changed: DynamoDBBackend.get_table is gone")
    if not isinstance(DynamoHandler.__dict__.get("dynamodb_backend"), property):
        raise RuntimeError("moto changed: DynamoHandler.dynamodb_backend is gone")
    if not callable(getattr(KinesisBackend, "create_stream", None)):
        raise RuntimeError("moto changed: KinesisBackend is not what this extension reads")


def install() -> None:
    """Adds the Kinesis streaming destination APIs to moto's DynamoDB; calling it again does nothing."""
    global _installed
    with _lock:
        if _installed:
            return
        _check_moto()
        for name, function in HANDLER_METHODS.items():
            setattr(DynamoHandler, name, function)
        for name, function in BACKEND_METHODS.items():
            setattr(DynamoDBBackend, name, function)
        _installed = True
