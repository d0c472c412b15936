"""Step "Plan settings": the wanted state per setting, or why it is skipped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from restore_sync.contracts import Contract, Plan, Request
from restore_sync.handlers.common import logger, metrics, runtime
from restore_sync.workflow.plan import plan_settings, retarget_for


@dataclass(frozen=True, kw_only=True)
class PlanInput(Contract):
    """The Task's Parameters: the request, the source's settings document and the target's table document."""

    request: Request
    source: dict[str, Any]
    target: dict[str, Any]
    execution: str


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = PlanInput.from_dict(event)
    runtime(context, step.execution)
    items = plan_settings(step.request.settings, step.source, retarget_for(step.request, step.target))
    pending = sum(1 for item in items if item.status == "pending")
    metrics.add_metric(name="SettingsPlanned", unit=MetricUnit.Count, value=pending)
    logger.info("settings planned", extra={"plan": {item.setting: item.status for item in items}})
    return Plan(items=tuple(items)).to_dict()
