"""Step "Build report": the per-setting report, and the dead-letter message when the sync failed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from restore_sync.contracts import Contract, Request, WorkflowState
from restore_sync.handlers.common import logger, metrics, runtime
from restore_sync.workflow.report import build_report
from restore_sync.workflow.stored import Store


@dataclass(frozen=True, kw_only=True)
class ReportInput(Contract):
    """The Task's Parameters: everything the workflow holds, and the execution the report is about."""

    state: WorkflowState
    execution: str


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = ReportInput.from_dict(event)
    rt = runtime(context, step.execution)
    state = step.state
    if isinstance(state.request, Request) and state.request.dry_run and state.plan is not None:
        # A dry run's report shows what each setting would set: the wanted states, read back where stored.
        store = Store(rt.aws, rt.config.data_bucket)
        state = replace(state, plan=replace(state.plan, items=tuple(store.resolved(i) for i in state.plan.items)))
    outcome = build_report(state, step.execution)
    metrics.add_metric(name=f"Syncs{outcome.report.outcome.capitalize()}", unit=MetricUnit.Count, value=1)
    logger.info("sync finished", extra={"outcome": outcome.report.outcome, "error": outcome.error})
    return outcome.to_dict()
