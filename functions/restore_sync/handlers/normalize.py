"""Step "Normalize request": any start (event or manual input) -> one request, or ignored."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from restore_sync.handlers.common import logger, metrics, runtime
from restore_sync.workflow.request import normalize


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    rt = runtime(event, context)
    request = normalize(
        rt.aws,
        event["input"],
        region=rt.region,
        account=rt.account,
        started_at=event["startedAt"],
        default_settings=rt.config.settings,
        triggers_disabled=rt.config.triggers_disabled,
    )
    metrics.add_metric(
        name="RequestsIgnored" if request["ignored"] else "RequestsAccepted", unit=MetricUnit.Count, value=1
    )
    logger.info("request normalized", extra={"request": request})
    return request
