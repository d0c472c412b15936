"""Step "Verify target": read the target back and compare with the plan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from restore_sync.contracts import Contract, Plan, Request, SettingResult
from restore_sync.handlers.common import logger, metrics, runtime
from restore_sync.workflow.stored import Store
from restore_sync.workflow.verify import verify


@dataclass(frozen=True, kw_only=True)
class VerifyInput(Contract):
    """The Task's Parameters: the request, the plan, and the Map's results (one per plan item)."""

    request: Request
    plan: Plan
    results: tuple[SettingResult, ...]
    execution: str


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = VerifyInput.from_dict(event)
    rt = runtime(context, step.execution)
    store = Store(rt.aws, rt.config.data_bucket)
    items = tuple(store.resolved(item) for item in step.plan.items)
    result = verify(rt.aws, step.request, items, step.results)
    metrics.add_metric(name="DriftFound", unit=MetricUnit.Count, value=len(result["drift"]))
    logger.info("target verified", extra={"drift": result["drift"]})
    # What was read back is kept for a person reading the history; the report needs only the drift.
    return {"drift": result["drift"], **store.inline_or_stored("observed", result["observed"])}
