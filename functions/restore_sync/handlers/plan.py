"""Step "Plan settings": the wanted state per setting, or why it is skipped."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from restore_sync.handlers.common import logger, metrics, runtime
from restore_sync.workflow.plan import plan_settings, retarget_for


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    runtime(event, context)
    request = event["request"]
    items = plan_settings(request["settings"], event["source"], retarget_for(request, event["target"]))
    pending = sum(1 for item in items if item["status"] == "pending")
    metrics.add_metric(name="SettingsPlanned", unit=MetricUnit.Count, value=pending)
    logger.info("settings planned", extra={"plan": {i["setting"]: i["status"] for i in items}})
    return {"items": items}
