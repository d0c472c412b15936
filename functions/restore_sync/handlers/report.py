"""Step "Build report": the per-setting report, and the dead-letter message when the sync failed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from restore_sync.contracts import Contract, WorkflowState
from restore_sync.handlers.common import logger, metrics, runtime
from restore_sync.workflow.report import build_report


@dataclass(frozen=True, kw_only=True)
class ReportInput(Contract):
    """The Task's Parameters: everything the workflow holds, and the execution the report is about."""

    state: WorkflowState
    execution: str


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = ReportInput.from_dict(event)
    runtime(context, step.execution)
    outcome = build_report(step.state, step.execution)
    metrics.add_metric(name=f"Syncs{outcome.report.outcome.capitalize()}", unit=MetricUnit.Count, value=1)
    logger.info("sync finished", extra={"outcome": outcome.report.outcome, "error": outcome.error})
    return outcome.to_dict()
