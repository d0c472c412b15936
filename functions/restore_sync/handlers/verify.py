"""Step "Verify target": read the target back and compare with the plan."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from restore_sync.handlers.common import logger, metrics, runtime
from restore_sync.workflow.verify import verify


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    rt = runtime(event, context)
    result = verify(rt.aws, event["request"], event["plan"]["items"], event["results"])
    metrics.add_metric(name="DriftFound", unit=MetricUnit.Count, value=len(result["drift"]))
    logger.info("target verified", extra={"drift": result["drift"]})
    return result
