"""Step "Remove governance stack": a governed table was deleted; its governance stack goes with what it created."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from restore_sync.contracts import Contract, Removal
from restore_sync.handlers.common import logger, metrics, runtime
from restore_sync.workflow.retire import remove_stack


@dataclass(frozen=True, kw_only=True)
class RemoveStackInput(Contract):
    """The Task's Parameters: the removal Normalize found (the deleted table and its governance stack)."""

    request: Removal
    execution: str


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = RemoveStackInput.from_dict(event)
    rt = runtime(context, step.execution)
    request = step.request
    logger.info("deleted table's governance stack", extra={"table": request.table_arn, "stack": request.stack_id})
    result = remove_stack(rt.aws, request, prefix=rt.config.stack_prefix, role_arn=rt.config.cfn_role_arn)
    if result["action"] == "removed":
        metrics.add_metric(name="StacksRemoved", unit=MetricUnit.Count, value=1)
    # The resources the stack deleted, by logical id, type and physical id: the record of what went.
    logger.info("governance stack handled", extra={"table": request.table_arn, **result})
    return result
