"""`alarms`: CloudWatch alarms on the table's metrics, re-created for the target under names of the target.

An alarm belongs to a table when one of its metrics has the table's TableName dimension (index alarms carry
GlobalSecondaryIndexName too). Alarms that auto scaling creates for its target-tracking policies are its own
business: they are re-created by the `autoscaling` setting's policies, never copied.
"""

from __future__ import annotations

import copy
from typing import Any

from restore_sync.aws import Aws, TableRef, translated_errors
from restore_sync.names import logical_id
from restore_sync.settings.base import Existing, Fragment, Retarget, Setting, State
from restore_sync.table import TABLE_LOGICAL_ID

NAMESPACE = "AWS/DynamoDB"
COPIED = (
    "AlarmName",
    "AlarmDescription",
    "ActionsEnabled",
    "OKActions",
    "AlarmActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "ThresholdMetricId",
)
AUTO_SCALING_PREFIX = "TargetTracking-table/"
AUTO_SCALING_DESCRIPTION = "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy"
MAX_NAME = 255


class Alarms(Setting):
    name = "alarms"
    reads = ("cloudwatch:DescribeAlarms",)

    def read(self, aws: Aws, table: TableRef) -> State:
        alarms = []
        with translated_errors():
            paginator = aws.client("cloudwatch", table.region).get_paginator("describe_alarms")
            for page in paginator.paginate(AlarmTypes=["MetricAlarm"]):
                alarms += [_alarm(a) for a in page.get("MetricAlarms", []) if _watches(a, table.name)]
        return {"alarms": sorted(alarms, key=lambda a: a["AlarmName"])}

    def wanted(self, state: State, retarget: Retarget) -> State:
        source, target = retarget.source.name, retarget.target.name
        alarms = []
        for alarm in state["alarms"]:
            if _indexes(alarm) - retarget.target_indexes:
                # It watches an index the restore left out (GlobalSecondaryIndexOverride): nothing to watch.
                continue
            renamed = _retable(copy.deepcopy(alarm), source, target)
            renamed["AlarmName"] = target_alarm_name(alarm["AlarmName"], source, target)
            alarms.append(renamed)
        return {"alarms": sorted(alarms, key=lambda a: a["AlarmName"])}

    def existing(self, aws: Aws, table: TableRef, target: dict[str, Any]) -> dict[str, Existing]:
        resources = self.fragment(self.read(aws, table), target).resources
        return {key: Existing(r, {"AlarmName": r["Properties"]["AlarmName"]}) for key, r in resources.items()}

    def fragment(self, state: State, target: dict[str, Any]) -> Fragment:
        resources = {}
        for alarm in state["alarms"]:
            # The dimension names the table through the stack (Ref), not as text from the request.
            properties = _retable(copy.deepcopy(alarm), target["name"], {"Ref": TABLE_LOGICAL_ID})
            resources[logical_id("Alarm", alarm["AlarmName"])] = {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": properties,
            }
        return Fragment(resources=resources)


def target_alarm_name(name: str, source: str, target: str) -> str:
    """The source table's name in an alarm's name becomes the target's; otherwise the target's name leads. A table
    restored under its own name takes its alarms' names back as they were."""
    if source == target:
        return name
    renamed = name.replace(source, target, 1) if source in name else f"{target}-{name}"
    return renamed[:MAX_NAME]


def _alarm(api: dict[str, Any]) -> dict[str, Any]:
    return {key: api[key] for key in COPIED if api.get(key) not in (None, [], "")}


def _metrics_of(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    if alarm.get("MetricName"):
        return [{"Namespace": alarm.get("Namespace"), "Dimensions": alarm.get("Dimensions", [])}]
    return [q["MetricStat"]["Metric"] for q in alarm.get("Metrics", []) if "MetricStat" in q]


def _watches(alarm: dict[str, Any], table_name: str) -> bool:
    if alarm["AlarmName"].startswith(AUTO_SCALING_PREFIX) or str(alarm.get("AlarmDescription", "")).startswith(
        AUTO_SCALING_DESCRIPTION
    ):
        return False
    return any(
        metric.get("Namespace") == NAMESPACE
        and {"Name": "TableName", "Value": table_name}
        in [{"Name": d["Name"], "Value": d["Value"]} for d in metric.get("Dimensions", [])]
        for metric in _metrics_of(alarm)
    )


def _dimension_lists(alarm: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The dimensions of the alarm's metric and of each of its metric queries."""
    dimension_lists = [alarm.get("Dimensions", [])]
    dimension_lists += [
        q["MetricStat"]["Metric"].get("Dimensions", []) for q in alarm.get("Metrics", []) if "MetricStat" in q
    ]
    return dimension_lists


def _indexes(alarm: dict[str, Any]) -> set[str]:
    """The global secondary indexes the alarm's metrics name."""
    return {
        d["Value"]
        for dimensions in _dimension_lists(alarm)
        for d in dimensions
        if d["Name"] == "GlobalSecondaryIndexName"
    }


def _retable(alarm: dict[str, Any], old: str, new: Any) -> dict[str, Any]:
    """Every TableName dimension of `old` (in the alarm's metric or its metric queries) set to `new`."""
    for dimensions in _dimension_lists(alarm):
        for dimension in dimensions:
            if dimension["Name"] == "TableName" and dimension["Value"] == old:
                dimension["Value"] = new
    return alarm


SETTING = Alarms()
