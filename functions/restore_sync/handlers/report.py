"""Step "Build report": the per-setting report, and the dead-letter message when the sync failed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from restore_sync.handlers.common import logger, metrics, runtime
from restore_sync.workflow.report import build_report


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    runtime(event, context)
    result = build_report(event["state"], event["execution"])
    outcome = result["report"]["outcome"]
    metrics.add_metric(name=f"Syncs{outcome.capitalize()}", unit=MetricUnit.Count, value=1)
    logger.info("sync finished", extra={"outcome": outcome, "error": result.get("error")})
    return result
