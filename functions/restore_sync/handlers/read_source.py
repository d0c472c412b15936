"""Step "Read source settings": the source's settings as they were at the restore point, or as they are now."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from restore_sync.aws import TableRef
from restore_sync.handlers.common import logger, metrics, runtime, settings_history
from restore_sync.workflow.source import restore_point, source_settings


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    rt = runtime(event, context)
    request = event["request"]
    point = restore_point(rt.aws, TableRef.from_arn(request["targetTableArn"]), request["requestedAt"])
    chosen = source_settings(rt.aws, settings_history(rt), request, point)
    metrics.add_metric(name=f"SettingsFrom{chosen['settingsFrom'].title()}", unit=MetricUnit.Count, value=1)
    logger.info("source settings chosen", extra={k: v for k, v in chosen.items() if k != "document"})
    return chosen
