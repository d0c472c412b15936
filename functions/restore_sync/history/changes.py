"""Which tables a CloudTrail event says were changed: the calls that change a setting restore-sync copies.

Pure: the event is all it reads. Most calls name their table (by name, table ARN, stream ARN or auto-scaling
resource id); a few name only something that belongs to a table (an alarm being deleted): those ask for a sweep
of every table, which records only what really changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from restore_sync.aws import TableRef, is_table_arn
from restore_sync.events import CLOUDTRAIL
from restore_sync.names import TABLE_NAME

# CloudTrail's eventSource -> the event names of the calls that change a copied setting. The template's
# SettingsChangesRule matches exactly these (a test holds them equal). The record's own eventSource, not
# EventBridge's `source`: AWS documents eventSource per service, while the `source` EventBridge gives CloudWatch's
# CloudTrail records is not settled (aws.cloudwatch or aws.monitoring).
SETTINGS_CALLS: dict[str, tuple[str, ...]] = {
    "dynamodb.amazonaws.com": (
        "CreateTable",
        "UpdateTable",
        "DeleteTable",
        "UpdateTimeToLive",
        "UpdateContinuousBackups",
        "TagResource",
        "UntagResource",
        "EnableKinesisStreamingDestination",
        "DisableKinesisStreamingDestination",
        "UpdateKinesisStreamingDestination",
        "UpdateContributorInsights",
        "PutResourcePolicy",
        "DeleteResourcePolicy",
    ),
    # Lambda's names carry its API version as CloudTrail records them today; the plain names too, since AWS has
    # announced it will drop the suffixes.
    "lambda.amazonaws.com": (
        "CreateEventSourceMapping20150331",
        "UpdateEventSourceMapping20150331",
        "DeleteEventSourceMapping20150331",
        "CreateEventSourceMapping",
        "UpdateEventSourceMapping",
        "DeleteEventSourceMapping",
    ),
    "application-autoscaling.amazonaws.com": (
        "RegisterScalableTarget",
        "DeregisterScalableTarget",
        "PutScalingPolicy",
        "DeleteScalingPolicy",
        "PutScheduledAction",
        "DeleteScheduledAction",
    ),
    "monitoring.amazonaws.com": ("PutMetricAlarm", "DeleteAlarms", "EnableAlarmActions", "DisableAlarmActions"),
}

# Application Auto Scaling makes and deletes the alarms of target-tracking policies itself; restore-sync does not
# copy them (the policy brings its own), so deleting only those changes nothing copied.
AUTOSCALING_ALARM_PREFIX = "TargetTracking-"
_STREAM_ARN = re.compile(r"^(arn:[^:]+:dynamodb:[^:]+:[0-9]{12}:table/[A-Za-z0-9_.-]{3,255})/stream/.+\Z")
_SCALABLE_RESOURCE = re.compile(r"^table/([A-Za-z0-9_.-]{3,255})(/index/.+)?\Z")


@dataclass(frozen=True)
class Change:
    """What a settings-changing call means for the history."""

    tables: list[TableRef] = field(default_factory=list)
    deleted: bool = False
    sweep: bool = False
    ignored: str | None = None
    name: str = ""
    at: str | None = None


def changed_tables(event: dict[str, Any]) -> Change:
    detail = event.get("detail") or {}
    source, name = detail.get("eventSource"), str(detail.get("eventName") or "")
    if event.get("detail-type") != CLOUDTRAIL or name not in SETTINGS_CALLS.get(str(source), ()):
        return Change(ignored=f"not a settings-changing call: {source} {name}")
    if detail.get("errorCode"):
        return Change(ignored=f"the {name} call failed ({detail['errorCode']}): nothing changed", name=name)
    region = detail.get("awsRegion") or event.get("region")
    account = event.get("account") or detail.get("recipientAccountId")
    if not (isinstance(region, str) and isinstance(account, str)):
        return Change(ignored=f"the {name} event lacks its region or account", name=name)
    at = detail.get("eventTime") or event.get("time")
    params = detail.get("requestParameters") or {}
    response = detail.get("responseElements") or {}

    if source == "dynamodb.amazonaws.com":
        table = _table(params.get("tableName") or params.get("resourceArn"), region, account)
        tables = [table] if table else []
        return Change(tables=tables, deleted=name == "DeleteTable", name=name, at=at, ignored=_none_if(tables, name))
    if source == "lambda.amazonaws.com":
        stream = params.get("eventSourceArn") or response.get("eventSourceArn")
        match = _STREAM_ARN.match(stream) if isinstance(stream, str) else None
        if not match:
            return Change(ignored=f"{name} of a mapping that reads no DynamoDB stream", name=name)
        return Change(tables=[TableRef.from_arn(match.group(1))], name=name, at=at)
    if source == "application-autoscaling.amazonaws.com":
        if params.get("serviceNamespace") != "dynamodb":
            return Change(ignored=f"{name} for {params.get('serviceNamespace')}, not DynamoDB", name=name)
        resource = _SCALABLE_RESOURCE.match(str(params.get("resourceId") or ""))
        tables = [TableRef(resource.group(1), region, account)] if resource else []
        return Change(tables=tables, name=name, at=at, ignored=_none_if(tables, name))
    if name == "PutMetricAlarm":
        dimensions = {d.get("name"): d.get("value") for d in params.get("dimensions") or [] if isinstance(d, dict)}
        if params.get("namespace") != "AWS/DynamoDB" or not TABLE_NAME.match(str(dimensions.get("TableName"))):
            return Change(ignored="PutMetricAlarm of an alarm on no DynamoDB table", name=name)
        return Change(tables=[TableRef(str(dimensions["TableName"]), region, account)], name=name, at=at)
    alarms = [str(a) for a in params.get("alarmNames") or []]
    if alarms and all(a.startswith(AUTOSCALING_ALARM_PREFIX) for a in alarms):
        return Change(ignored=f"{name} of auto-scaling alarms only, which are not copied", name=name)
    # These name alarms, not tables: a sweep finds which table, if any, they belonged to.
    return Change(sweep=True, name=name, at=at)


def _table(name_or_arn: Any, region: str, account: str) -> TableRef | None:
    """The table a DynamoDB call names: by name, by ARN, or by its stream's ARN (a stream's resource policy)."""
    if isinstance(name_or_arn, str) and is_table_arn(name_or_arn):
        return TableRef.from_arn(name_or_arn)
    stream = _STREAM_ARN.match(name_or_arn) if isinstance(name_or_arn, str) else None
    if stream:
        return TableRef.from_arn(stream.group(1))
    if isinstance(name_or_arn, str) and TABLE_NAME.match(name_or_arn):
        return TableRef(name_or_arn, region, account)
    return None


def _none_if(tables: list[TableRef], name: str) -> str | None:
    return None if tables else f"the {name} event names no table"
