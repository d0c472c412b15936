"""AWS::CloudWatch::Alarm in stacks: metric alarms put, updated, replaced and deleted as CloudFormation does.

AWS behaviour reproduced:
- Creating the resource puts the alarm (PutMetricAlarm) with every property: AlarmName (generated as
  `<stack>-<logical id>-<suffix>` when absent), AlarmDescription, ActionsEnabled, AlarmActions, OKActions,
  InsufficientDataActions, Namespace, MetricName, Dimensions, Statistic or ExtendedStatistic, Period, Unit,
  EvaluationPeriods, DatapointsToAlarm, Threshold or ThresholdMetricId, ComparisonOperator, TreatMissingData,
  EvaluateLowSampleCountPercentile, Metrics (metric math) and Tags. Ref gives the alarm name, `Fn::GetAtt Arn` its
  ARN. Values given as text by a parameter ("3", "true") are read as the numbers and booleans they stand for.
- An update puts the alarm again under the same name: the configuration is replaced whole (properties removed
  from the template are gone), tags follow the template, and the alarm keeps its state, as PutMetricAlarm on an
  existing alarm does. A new AlarmName (or a name given where there was none) replaces the alarm: the new one is
  put, then the old one deleted.
- Deleting the resource deletes the alarm.
- Invalid properties fail the resource, and so the stack operation: a required property missing (CloudFormation's
  "Properties validation failed for resource <id> with message: #: required key [...] not found"), and what
  PutMetricAlarm refuses with ValidationError: an unknown ComparisonOperator, Statistic, Unit or TreatMissingData,
  EvaluationPeriods below 1, a Period other than 10, 20, 30 or a multiple of 60, DatapointsToAlarm above
  EvaluationPeriods, Statistic and ExtendedStatistic together or neither for a single metric, MetricName together
  with Metrics, no Threshold without ThresholdMetricId, more than 30 dimensions, metric math without exactly one
  query returning data. The messages follow the API's validation errors where they are known; the others are this
  sandbox's wording.

moto internals touched: moto skips the type ("Tried to parse AWS::CloudWatch::Alarm but it's not supported");
`MetricAlarm` here is a new direct subclass of `CloudFormationModel`, and `install()` clears moto's cached model
map (`get_model_list`, `get_model_map`, `get_name_type_map`). Patched: `CloudWatchBackend.put_metric_alarm`
(an existing alarm keeps its state and history, for the API too; moto starts it over).
"""

from __future__ import annotations

import threading
from typing import Any

from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.cloudwatch.exceptions import ValidationError
from moto.cloudwatch.models import (
    Alarm,
    CloudWatchBackend,
    Dimension,
    Metric,
    MetricDataQuery,
    MetricStat,
    cloudwatch_backends,
)
from moto.core.common_models import CloudFormationModel

from restore_sync_sandbox.extensions.cloudformation_changesets import ResourceHandlerError, error_message

RESOURCE_TYPE = "AWS::CloudWatch::Alarm"
MODEL_CACHES = ("get_model_list", "get_model_map", "get_name_type_map")

REQUIRED = ("ComparisonOperator", "EvaluationPeriods")
COMPARISON_OPERATORS = (
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
)
STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
TREAT_MISSING_DATA = ("breaching", "notBreaching", "ignore", "missing")
UNITS = (
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
)
MAX_DIMENSIONS = 30

_originals: dict[str, Any] = {}
_lock = threading.Lock()


def _backend(account_id: str, region_name: str) -> CloudWatchBackend:
    backend: CloudWatchBackend = cloudwatch_backends[account_id][region_name]
    return backend


def _enum_error(value: Any, field: str, allowed: tuple[str, ...]) -> str:
    return (
        f"Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy enum value set: "
        f"[{', '.join(allowed)}]"
    )


def _as_int(name: str, value: Any, problems: list[str]) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        problems.append(f"Value '{value}' at '{name[0].lower()}{name[1:]}' is not an integer")
        return None


def _as_bool(value: Any, default: bool) -> bool:
    if value is None:
        return default
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _valid_period(period: int) -> bool:
    return period in (10, 20, 30) or (period > 0 and period % 60 == 0)


def alarm_request(properties: dict[str, Any]) -> dict[str, Any]:
    """PutMetricAlarm's arguments (moto's backend names) for template properties; ValidationError if invalid."""
    problems: list[str] = []
    operator = properties.get("ComparisonOperator")
    if operator not in COMPARISON_OPERATORS:
        problems.append(_enum_error(operator, "comparisonOperator", COMPARISON_OPERATORS))
    evaluation_periods = _as_int("EvaluationPeriods", properties.get("EvaluationPeriods"), problems)
    if evaluation_periods is not None and evaluation_periods < 1:
        problems.append(
            f"Value '{evaluation_periods}' at 'evaluationPeriods' failed to satisfy constraint: Member must have "
            "value greater than or equal to 1"
        )
    datapoints = _as_int("DatapointsToAlarm", properties.get("DatapointsToAlarm"), problems)
    if datapoints is not None and evaluation_periods is not None and not 1 <= datapoints <= evaluation_periods:
        problems.append("DatapointsToAlarm must be between 1 and EvaluationPeriods")
    period = _as_int("Period", properties.get("Period"), problems)
    if period is not None and not _valid_period(period):
        problems.append("Period must be 10, 20, 30 or a multiple of 60")
    statistic = properties.get("Statistic")
    extended = properties.get("ExtendedStatistic")
    metrics = properties.get("Metrics")
    if metrics:
        if any(properties.get(k) for k in ("MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Period")):
            problems.append(
                "Metrics cannot be combined with MetricName, Namespace, Statistic, ExtendedStatistic or Period"
            )
        if sum(1 for m in metrics if _as_bool(m.get("ReturnData"), True)) != 1:
            problems.append("Exactly one element of the metrics list should return data")
        if any(not m.get("Id") for m in metrics):
            problems.append("Every element of the metrics list needs an Id")
    else:
        if not properties.get("MetricName") or not properties.get("Namespace"):
            problems.append("MetricName and Namespace must be specified (or Metrics)")
        if bool(statistic) == bool(extended):
            problems.append("Exactly one of Statistic and ExtendedStatistic must be specified")
        if period is None:
            problems.append("Period must be specified")
    if statistic and statistic not in STATISTICS:
        problems.append(_enum_error(statistic, "statistic", STATISTICS))
    treat = properties.get("TreatMissingData")
    if treat is not None and treat not in TREAT_MISSING_DATA:
        problems.append(
            f"Option {treat} is not supported. Supported options for parameter TreatMissingData are "
            f"{', '.join(TREAT_MISSING_DATA)}."
        )
    unit = properties.get("Unit")
    if unit is not None and unit not in UNITS:
        problems.append(_enum_error(unit, "unit", UNITS))
    dimensions = properties.get("Dimensions") or []
    if len(dimensions) > MAX_DIMENSIONS:
        problems.append(f"The collection Dimensions must not have more than {MAX_DIMENSIONS} elements")
    if any(not d.get("Name") or d.get("Value") in (None, "") for d in dimensions):
        problems.append("Every dimension needs a Name and a Value")
    threshold: float | None = None
    if properties.get("Threshold") is not None:
        try:
            threshold = float(properties["Threshold"])
        except (TypeError, ValueError):
            problems.append(f"Value '{properties['Threshold']}' at 'threshold' is not a number")
    elif not properties.get("ThresholdMetricId"):
        problems.append("Threshold must be specified unless ThresholdMetricId is")
    if problems:
        count = len(problems)
        raise ValidationError(f"{count} validation error{'s' if count > 1 else ''} detected: {'; '.join(problems)}")
    return {
        "namespace": properties.get("Namespace"),
        "metric_name": properties.get("MetricName"),
        "metric_data_queries": _queries(metrics) if metrics else None,
        "comparison_operator": operator,
        "evaluation_periods": evaluation_periods,
        "datapoints_to_alarm": datapoints,
        "period": period,
        "threshold": threshold,
        "statistic": statistic,
        "extended_statistic": extended,
        "description": properties.get("AlarmDescription"),
        "dimensions": [{"Name": d["Name"], "Value": str(d["Value"])} for d in dimensions],
        "alarm_actions": list(properties.get("AlarmActions") or []),
        "ok_actions": list(properties.get("OKActions") or []),
        "insufficient_data_actions": list(properties.get("InsufficientDataActions") or []),
        "unit": unit,
        "actions_enabled": _as_bool(properties.get("ActionsEnabled"), True),
        "treat_missing_data": treat,
        "evaluate_low_sample_count_percentile": properties.get("EvaluateLowSampleCountPercentile"),
        "threshold_metric_id": properties.get("ThresholdMetricId"),
    }


def _queries(metrics: list[Any]) -> list[MetricDataQuery]:
    # moto's constructors are annotated `str` where the API passes None for an absent field, as here.
    queries = []
    for metric in metrics:
        stat = metric.get("MetricStat")
        metric_stat = None
        if stat:
            inner: Any = stat.get("Metric") or {}
            metric_stat = MetricStat(
                metric=Metric(
                    metric_name=inner.get("MetricName"),
                    namespace=inner.get("Namespace"),
                    dimensions=[Dimension(d.get("Name"), str(d.get("Value"))) for d in inner.get("Dimensions") or []],
                ),
                period=stat.get("Period"),
                stat=stat.get("Stat"),
                unit=stat.get("Unit"),
            )
        queries.append(
            MetricDataQuery(
                query_id=metric.get("Id"),
                label=metric.get("Label"),
                period=metric.get("Period"),
                return_data=metric.get("ReturnData"),
                expression=metric.get("Expression"),
                metric_stat=metric_stat,
            )
        )
    return queries


def _put_metric_alarm(self: CloudWatchBackend, name: str, *args: Any, **kwargs: Any) -> Alarm:
    previous = self.alarms.get(name)
    alarm: Alarm = _originals["put_metric_alarm"](self, name, *args, **kwargs)
    if previous is not None and previous is not alarm:
        # PutMetricAlarm on an existing alarm replaces its configuration and leaves its state as it was.
        alarm.state_value = previous.state_value
        alarm.state_reason = previous.state_reason
        alarm.state_reason_data = previous.state_reason_data
        alarm.state_updated_timestamp = previous.state_updated_timestamp
        alarm.history = previous.history
    return alarm


class MetricAlarm(CloudFormationModel):
    """One AWS::CloudWatch::Alarm of a stack."""

    def __init__(self, account_id: str, region_name: str, name: str, properties: dict[str, Any]) -> None:
        self.account_id = account_id
        self.region_name = region_name
        self.name = name
        self.properties = dict(properties)
        self.arn = ""

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @staticmethod
    def cloudformation_type() -> str:
        return RESOURCE_TYPE

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Arn":
            return self.arn
        raise UnformattedGetAttTemplateException()

    def put(self, properties: dict[str, Any], logical_id: str) -> None:
        """Puts the alarm with `properties` (its configuration replaced whole) and sets its tags to theirs."""
        missing = [key for key in REQUIRED if properties.get(key) is None]
        if missing:
            raise ResourceHandlerError(
                f"Properties validation failed for resource {logical_id} with message: #: required key "
                f"[{missing[0]}] not found",
                "InvalidRequest",
            )
        backend = _backend(self.account_id, self.region_name)
        try:
            alarm = backend.put_metric_alarm(name=self.name, **alarm_request(properties))
        except ValidationError as error:
            raise ResourceHandlerError(error_message(error), "InvalidRequest", service="CloudWatch") from error
        backend.tagger.delete_all_tags_for_resource(alarm.alarm_arn)
        tags = [{"Key": str(t["Key"]), "Value": str(t["Value"])} for t in properties.get("Tags") or []]
        if tags:
            backend.tagger.tag_resource(alarm.alarm_arn, tags)
        self.arn = alarm.alarm_arn
        self.properties = dict(properties)

    def delete(self, account_id: str, region_name: str) -> None:
        """Deletes the alarm; one already gone is no error."""
        backend = _backend(self.account_id, self.region_name)
        if self.name in backend.alarms:
            backend.tagger.delete_all_tags_for_resource(backend.alarms[self.name].alarm_arn)
            backend.delete_alarms([self.name])

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> MetricAlarm:
        properties = cloudformation_json.get("Properties") or {}
        alarm = cls(account_id, region_name, resource_name, properties)
        alarm.put(properties, str(kwargs.get("LogicalId", resource_name)))
        return alarm

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: MetricAlarm,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> MetricAlarm:
        properties = cloudformation_json.get("Properties") or {}
        logical_id = str(getattr(original_resource, "logical_resource_id", original_resource.name))
        if properties.get("AlarmName") != original_resource.properties.get("AlarmName"):
            # A generated name is drawn anew for every parse: a replacement gets the one drawn now.
            replacement = cls(account_id, region_name, new_resource_name, properties)
            replacement.put(properties, logical_id)
            original_resource.delete(account_id, region_name)
            return replacement
        original_resource.put(properties, logical_id)
        return original_resource

    def is_created(self) -> bool:
        return True


def install() -> None:
    """Makes stacks create AWS::CloudWatch::Alarm and PutMetricAlarm keep an alarm's state; idempotent."""
    with _lock:
        if not _originals:
            _originals["put_metric_alarm"] = CloudWatchBackend.put_metric_alarm
            CloudWatchBackend.put_metric_alarm = _put_metric_alarm  # type: ignore[method-assign]
        if cfn_parsing.get_model_map().get(RESOURCE_TYPE) is MetricAlarm:
            return
        for name in MODEL_CACHES:
            getattr(cfn_parsing, name).cache_clear()
        if cfn_parsing.get_model_map().get(RESOURCE_TYPE) is not MetricAlarm:
            raise RuntimeError(f"moto changed: its CloudFormation model map does not pick up {RESOURCE_TYPE}")
