"""The settings-history recorder (not a workflow step): snapshots tables whose settings changed.

Invoked three ways: by the SQS event source of the settings-changes queue with a batch of CloudTrail events of
settings-changing calls (each table they name snapshotted once per batch), by the daily schedule (every table of
the region), and by CloudFormation as the custom resource that takes the first snapshot of every table when the
deployment is created or updated.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import urllib3
from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError

from restore_sync.errors import ConfigurationError, RestoreSyncError
from restore_sync.handlers.common import Runtime, logger, metrics, runtime, settings_history
from restore_sync.history.batch import Batch, batch_of
from restore_sync.history.snapshot import RESERVE_SECONDS, Tally, snapshot, sweep
from restore_sync.timestamps import instant

SCHEDULED = "Scheduled Event"
_http = urllib3.PoolManager()


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    recorder = Recorder(runtime(context, event.get("execution")), context, datetime.now(UTC))
    if "RequestType" in event and "ResponseURL" in event:
        return recorder.custom_resource(event)
    if event.get("detail-type") == SCHEDULED:
        return _summary(recorder.sweep(instant(event["time"]) if event.get("time") else recorder.now, "schedule"))
    if isinstance(event.get("Records"), list):
        return recorder.batch(batch_of(event["Records"], recorder.now))

    raise ValueError(
        "not an invocation the recorder knows: expected an SQS batch of settings changes, the daily schedule's "
        "event or a custom resource request"
    )


class Recorder:
    """One invocation's view: the runtime, the history, and the time it has left."""

    def __init__(self, rt: Runtime, context: Any, now: datetime) -> None:
        self.rt, self.context, self.now = rt, context, now
        history = settings_history(rt)
        if history is None:
            raise ConfigurationError("HISTORY_TABLE is not set: the recorder has nowhere to record")
        self.history = history

    def sweep(self, at: datetime, cause: str) -> Tally:
        return sweep(
            self.rt.aws,
            self.history,
            self.rt.region,
            self.rt.account,
            at=at,
            now=self.now,
            cause=cause,
            seconds_left=self.seconds_left,
        )

    def seconds_left(self) -> float:
        return float(self.context.get_remaining_time_in_millis()) / 1000

    def batch(self, batch: Batch) -> dict[str, Any]:
        """Snapshots each table the batch changed once, at its latest change, and sweeps once if a record asks.

        Answers with the records that failed (the event source mapping's ReportBatchItemFailures): those of a table
        that could not be read or recorded, of tables not reached before the function's time ran short, of a sweep
        that could not list the tables, and records that are not events. SQS delivers them again after the
        queue's visibility timeout; the others are deleted.
        """
        failed = [record for record, _ in batch.unreadable]
        for record, reason in batch.unreadable:
            logger.error("record is not a settings-change event", extra={"messageId": record, "reason": reason})
        if batch.ignored:
            logger.info("nothing to record", extra={"ignored": [reason for _, reason in batch.ignored]})
        tally = Tally()
        for table, work in batch.tables.items():
            if self.seconds_left() < RESERVE_SECONDS:
                tally.left += 1
                failed.extend(work.records)
                continue
            deleted_at = work.deleted_at
            try:
                if deleted_at is not None and work.recreated:
                    # Deleted, then created again: the old table's last version ends at its deletion.
                    self._mark_deleted(table.arn, deleted_at)
                tally.add(table, snapshot(self.rt.aws, self.history, table, at=work.at, now=self.now, cause=work.cause))
                if deleted_at is not None and not work.recreated:
                    # The table is usually gone by now: its latest recorded version is its last settings.
                    self._mark_deleted(table.arn, deleted_at)
            except (ClientError, RestoreSyncError) as error:
                tally.failed.append(f"{table.name}: {error}")
                failed.extend(work.records)
        if batch.sweep is not None:
            try:
                # A table the sweep cannot read is left to the daily sweep, as for a scheduled one.
                swept = self.sweep(batch.sweep.at, batch.sweep.cause)
            except (ClientError, RestoreSyncError) as error:
                tally.failed.append(f"sweep: {error}")
                failed.extend(batch.sweep.records)
            else:
                tally.merge(swept)
        _summary(tally)
        return {"batchItemFailures": [{"itemIdentifier": record} for record in dict.fromkeys(failed)]}

    def _mark_deleted(self, table_arn: str, at: datetime) -> None:
        marked = self.history.mark_deleted(table_arn, at)
        logger.info("table deleted", extra={"table": table_arn, "hadHistory": marked})

    def custom_resource(self, event: dict[str, Any]) -> dict[str, Any]:
        """The first snapshot of every table, on Create and Update; Delete keeps the history (its table is retained).

        CloudFormation waits for the answer PUT to the ResponseURL, so an answer is always sent. A table that cannot
        be read does not fail the deployment (the daily sweep tries again); a history that cannot be written does.
        A ResponseURL that is not https is refused before any work (ValueError): CloudFormation's never is one.
        """
        response_url(event)
        status, reason, data = "SUCCESS", "", {}
        if event["RequestType"] in ("Create", "Update"):
            try:
                tally = self.sweep(self.now, "deploy")
                data = _summary(tally)
                if tally.failed and not tally.recorded and not tally.unchanged:
                    status, reason = "FAILED", f"no table could be recorded: {tally.failed[0]}"
            except (ClientError, RestoreSyncError) as error:
                status, reason = "FAILED", f"the first snapshot failed: {error}"
        _respond(event, status, reason, data)
        return {"status": status, "reason": reason, **data}


def _summary(tally: Tally) -> dict[str, Any]:
    metrics.add_metric(name="SettingsVersionsRecorded", unit=MetricUnit.Count, value=len(tally.recorded))
    metrics.add_metric(name="SnapshotsFailed", unit=MetricUnit.Count, value=len(tally.failed))
    summary = tally.summary()
    logger.info("snapshots taken", extra={"summary": summary, "recorded": tally.recorded, "failed": tally.failed})
    return summary


def response_url(event: dict[str, Any]) -> str:
    """The request's ResponseURL when it is an https URL with a host, as CloudFormation's pre-signed S3 URLs are.

    Anything else (http, another scheme, no host) is logged and refused with ValueError, so the answer, which names
    the stack and the tables recorded, never travels in clear text or to a place CloudFormation would not send.
    """
    url = str(event.get("ResponseURL", ""))
    parts = urlsplit(url)
    if parts.scheme.lower() == "https" and parts.hostname:
        return url
    where = f"{parts.scheme or 'no scheme'}://{parts.hostname or ''}"
    logger.error("custom resource request refused: its ResponseURL is not https", extra={"responseUrl": where})
    raise ValueError(f"refused to answer a custom resource request: its ResponseURL is not https ({where})")


def _respond(event: dict[str, Any], status: str, reason: str, data: dict[str, Any]) -> None:
    url = response_url(event)
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason or "see the function's log",
            "PhysicalResourceId": event.get("PhysicalResourceId") or f"{event['LogicalResourceId']}-snapshot",
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": data,
        }
    ).encode()
    # The presigned URL was signed for an empty content type.
    response = _http.request("PUT", url, body=body, headers={"Content-Type": ""}, timeout=30.0, retries=3)
    logger.info("custom resource answered", extra={"status": status, "httpStatus": response.status})
