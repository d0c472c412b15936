"""Step "Validate the restore test": check what a real restore would need, and tell AWS Backup."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from restore_sync.contracts import Contract, Plan, Request, WorkflowState
from restore_sync.errors import ContractError
from restore_sync.handlers.common import logger, metrics, runtime
from restore_sync.workflow.restore_test import report, validate
from restore_sync.workflow.stored import Store


@dataclass(frozen=True, kw_only=True)
class ValidateInput(Contract):
    """The Task's Parameters: everything the workflow holds (after Plan settings, or after a step failed)."""

    state: WorkflowState
    execution: str


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = ValidateInput.from_dict(event)
    rt = runtime(context, step.execution)
    state, request = step.state, step.state.request
    if not isinstance(request, Request) or request.restore_test is None:
        raise ContractError(ValidateInput, ["state.request: not a restore test"])
    store = Store(rt.aws, rt.config.data_bucket)
    if state.plan is not None:
        state = replace(state, plan=Plan(items=tuple(store.resolved(item) for item in state.plan.items)))
    validation = validate(rt.aws, state, request.restore_test, bucket=rt.config.data_bucket)
    report(rt.aws, validation, request.region)
    metrics.add_metric(name=f"RestoreTests{validation.status.capitalize()}", unit=MetricUnit.Count, value=1)
    logger.info("restore test reported", extra={"status": validation.status, "reasons": list(validation.reasons)})
    return validation.to_dict()
