"""The settings-history recorder (not a workflow step): snapshots tables whose settings changed.

Invoked three ways: by EventBridge with the CloudTrail event of a settings-changing call (the tables it names),
by the daily schedule (every table of the region), and by CloudFormation as the custom resource that takes the
first snapshot of every table when the deployment is created or updated.
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
from restore_sync.history.changes import changed_tables
from restore_sync.history.snapshot import Tally, snapshot, sweep
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

    change = changed_tables(event)
    if change.ignored:
        logger.info("nothing to record", extra={"reason": change.ignored})
        return {"ignored": change.ignored}
    at = instant(change.at) if change.at else recorder.now
    if change.sweep:
        return _summary(recorder.sweep(at, change.name))
    tally = Tally()
    for table in change.tables:
        tally.add(table, snapshot(recorder.rt.aws, recorder.history, table, at=at, now=recorder.now, cause=change.name))
        if change.deleted:
            # The table is usually gone by now: its latest recorded version is its last settings.
            marked = recorder.history.mark_deleted(table.arn, at)
            logger.info("table deleted", extra={"table": table.arn, "hadHistory": marked})
    return _summary(tally)


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
            seconds_left=lambda: self.context.get_remaining_time_in_millis() / 1000,
        )

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
