"""Step "Plan settings": the wanted state per setting, or why it is skipped or held."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from restore_sync.contracts import Contract, Plan, Request
from restore_sync.handlers.common import logger, metrics, runtime
from restore_sync.workflow.hold import held_reasons
from restore_sync.workflow.overrides import kept_choices
from restore_sync.workflow.plan import plan_settings, retarget_for
from restore_sync.workflow.stored import Store


@dataclass(frozen=True, kw_only=True)
class PlanInput(Contract):
    """The Task's Parameters: the request, the source's settings as Read source settings chose them (the settings
    document under `document`, or `documentStored` when it was too large for the workflow's state) and the target's
    table document."""

    request: Request
    source: dict[str, Any]
    target: dict[str, Any]
    execution: str


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = PlanInput.from_dict(event)
    rt = runtime(context, step.execution)
    store = Store(rt.aws, rt.config.data_bucket)
    document = store.field(step.source, "document")
    # Read source settings says whether the source still exists when the request holds settings side by side.
    held = held_reasons(
        step.request, source_exists=step.source.get("sourceExists", True), stack_name=rt.config.stack_prefix
    )
    items = plan_settings(step.request.settings, document, retarget_for(step.request, step.target), held)
    # What the restore chose itself, which no setting changes: reported kept.
    restore = kept_choices(step.request.restore_call, {**step.source, "document": document}, step.target)
    pending = sum(1 for item in items if item.status == "pending")
    metrics.add_metric(name="SettingsPlanned", unit=MetricUnit.Count, value=pending)
    logger.info("settings planned", extra={"plan": {item.setting: item.status for item in items}})
    # A wanted state too large for the workflow's state is stored; Apply setting and Verify target read it back.
    return Plan(items=tuple(store.shrunk(item) for item in items), restore=restore).to_dict()
