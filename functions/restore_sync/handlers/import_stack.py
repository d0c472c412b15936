"""Step "Import target into stack": the restored table adopted by its own governance stack."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from restore_sync.contracts import Contract, Request
from restore_sync.handlers.common import logger, metrics, runtime
from restore_sync.names import stack_name
from restore_sync.workflow.stack import StackOps


@dataclass(frozen=True, kw_only=True)
class ImportStackInput(Contract):
    """The Task's Parameters: the request, and the target's table document (what the import template describes)."""

    request: Request
    target: dict[str, Any]
    execution: str


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = ImportStackInput.from_dict(event)
    rt = runtime(context, step.execution)
    stack = stack_name(rt.config.stack_prefix, step.request.target_table_name)
    result = StackOps(rt.aws, stack, rt.config.cfn_role_arn, rt.config.data_bucket).ensure_imported(step.target)
    metrics.add_metric(
        name="StacksImported" if result["action"] == "imported" else "StacksReused", unit=MetricUnit.Count, value=1
    )
    logger.info("target imported", extra=result)
    return result
