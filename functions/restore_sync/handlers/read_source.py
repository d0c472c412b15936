"""Step "Read source settings": the source's settings as they were at the restore point, or as they are now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from restore_sync.contracts import Contract, Request
from restore_sync.handlers.common import logger, metrics, runtime, settings_history
from restore_sync.workflow.hold import SIDE_BY_SIDE
from restore_sync.workflow.source import restore_point, source_exists, source_settings
from restore_sync.workflow.stored import Store


@dataclass(frozen=True, kw_only=True)
class ReadSourceInput(Contract):
    """The Task's Parameters: the request."""

    request: Request
    execution: str


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = ReadSourceInput.from_dict(event)
    rt = runtime(context, step.execution)
    point = restore_point(rt.aws, step.request.target, step.request.requested_at)
    chosen = source_settings(rt.aws, settings_history(rt), step.request, point)
    if SIDE_BY_SIDE in step.request.hold:
        # What side-by-side holds depends on it (restore_sync.workflow.hold).
        chosen["sourceExists"] = source_exists(rt.aws, step.request)
    metrics.add_metric(name=f"SettingsFrom{chosen['settingsFrom'].title()}", unit=MetricUnit.Count, value=1)
    logger.info("source settings chosen", extra={k: v for k, v in chosen.items() if k != "document"})
    # The document passes to Plan settings inline, or by reference when too large for the workflow's state.
    document = chosen.pop("document")
    return {**chosen, **Store(rt.aws, rt.config.data_bucket).inline_or_stored("document", document)}
