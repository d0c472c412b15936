"""Step "Apply setting" (inside the Map): one setting, one change set."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from restore_sync.handlers.common import logger, metrics, runtime
from restore_sync.workflow.stack import StackOps


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    rt = runtime(event, context)
    item = event["item"]
    if item["status"] == "skipped":
        result = {"setting": item["setting"], "status": "skipped", "reason": item["reason"]}
    else:
        ops = StackOps(rt.aws, event["stack"]["stack"], rt.config.cfn_role_arn)
        result = ops.apply(item["setting"], item["wanted"], event["target"])
    metrics.add_metric(name=f"Setting{result['status'].capitalize()}", unit=MetricUnit.Count, value=1)
    logger.info("setting done", extra=result)
    return result
