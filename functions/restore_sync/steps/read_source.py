"""Step "Read source settings": the settings document of the source table, in its own region."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from restore_sync.aws import TableRef
from restore_sync.document import settings_document
from restore_sync.steps.common import logger, metrics, runtime


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    rt = runtime(event, context)
    request = event["request"]
    document = settings_document(rt.aws, TableRef.from_arn(request["sourceTableArn"]), request["settings"])
    metrics.add_metric(name="SettingsRead", unit=MetricUnit.Count, value=len(document["settings"]))
    return document
