"""Step "Import target into stack": the restored table adopted by its own governance stack."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from restore_sync.handlers.common import logger, metrics, runtime
from restore_sync.names import stack_name
from restore_sync.workflow.stack import StackOps


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    rt = runtime(event, context)
    target = event["target"]
    ops = StackOps(rt.aws, stack_name(rt.config.stack_prefix, target["name"]), rt.config.cfn_role_arn)
    result = ops.ensure_imported(target)
    metrics.add_metric(
        name="StacksImported" if result["action"] == "imported" else "StacksReused", unit=MetricUnit.Count, value=1
    )
    logger.info("target imported", extra=result)
    return result
