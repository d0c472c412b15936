"""Step "Normalize request": any start (event or manual input) -> one request, or ignored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from restore_sync.contracts import Contract, Ignored
from restore_sync.handlers.common import logger, metrics, runtime, settings_history
from restore_sync.workflow.request import normalize


@dataclass(frozen=True, kw_only=True)
class NormalizeInput(Contract):
    """The Task's Parameters: the execution's input as it came (any JSON), and when the execution started."""

    input: Any
    started_at: str
    execution: str


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = NormalizeInput.from_dict(event)
    rt = runtime(context, step.execution)
    result = normalize(
        rt.aws,
        step.input,
        region=rt.region,
        account=rt.account,
        partition=rt.partition,
        started_at=step.started_at,
        default_settings=rt.config.settings,
        hold=rt.config.hold,
        adopt_unrestored=rt.config.adopt_unrestored,
        execution=step.execution,
        history=settings_history(rt),
        stack_prefix=rt.config.stack_prefix,
        replicas=rt.config.replicas,
    )
    metrics.add_metric(
        name="RequestsIgnored" if isinstance(result, Ignored) else "RequestsAccepted", unit=MetricUnit.Count, value=1
    )
    request = result.to_dict()
    logger.info("request normalized", extra={"request": request})
    return request
