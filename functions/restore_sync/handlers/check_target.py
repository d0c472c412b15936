"""Step "Check target table": one poll of the wait loop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from restore_sync.contracts import Contract, Request
from restore_sync.handlers.common import logger, metrics, runtime
from restore_sync.workflow.check import check_target


@dataclass(frozen=True, kw_only=True)
class CheckTargetInput(Contract):
    """The Task's Parameters: the request, how many polls came before, and the state's entered time."""

    request: Request
    attempt: int
    now: str
    execution: str


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = CheckTargetInput.from_dict(event)
    rt = runtime(context, step.execution)
    result = check_target(
        rt.aws,
        step.request,
        attempt=step.attempt,
        now=step.now,
        backoff=rt.config.backoff,
        grace_seconds=rt.config.grace_seconds,
    )
    metrics.add_metric(name="TargetChecks", unit=MetricUnit.Count, value=1)
    if result["ready"]:
        metrics.add_metric(name="TargetReadyAfter", unit=MetricUnit.Seconds, value=result["elapsedSeconds"])
    logger.info("target checked", extra={k: v for k, v in result.items() if k != "table"})
    return result
