"""Step "Apply setting" (inside the Map): one setting, one change set."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from restore_sync.contracts import Contract, PlanItem, Request, SettingResult
from restore_sync.handlers.common import logger, metrics, runtime
from restore_sync.workflow.consumers import without_unreadable
from restore_sync.workflow.hold import apply_held
from restore_sync.workflow.lockout import check_policy, roles_to_keep
from restore_sync.workflow.stack import StackOps
from restore_sync.workflow.stored import Store


@dataclass(frozen=True, kw_only=True)
class ApplySettingInput(Contract):
    """The Map's ItemSelector: one plan item, the request, the target's table document and its stack."""

    item: PlanItem
    request: Request
    target: dict[str, Any]
    stack: dict[str, Any]
    execution: str


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = ApplySettingInput.from_dict(event)
    rt = runtime(context, step.execution)
    item = Store(rt.aws, rt.config.data_bucket).resolved(step.item)
    if item.wanted is None:
        # Skipped by the plan: its result is the plan's reason.
        result = SettingResult(setting=item.setting, status="skipped", reason=item.reason)
    else:
        config = rt.config
        wanted, refusals = item.wanted, list[str]()
        if item.setting == "triggers":
            # Lambda would refuse these mappings and fail the whole change set: the others are still created.
            wanted, refusals = without_unreadable(rt.aws, item.wanted, step.request.target)
        ops = StackOps(rt.aws, step.stack["stack"], config.cfn_role_arn, config.data_bucket)
        if item.status == "held":
            # Held: what waits is checked (a resource policy's lockout) when activation applies it.
            result = apply_held(ops, step.request, item.setting, wanted, item.reason or "", step.target)
        else:
            # A resource policy that would lock restore-sync's roles out of the target is refused, not applied.
            roles = roles_to_keep(config.cfn_role_arn, config.verify_role_arn, config.snapshot_role_arn)
            refused = check_policy(rt.aws, item, step.request.target_table_arn, roles)
            result = refused or ops.apply(item.setting, wanted, step.target, step.request.restore_call)
        if refusals:
            result = SettingResult(
                setting=item.setting, status="failed", reason="; ".join(refusals), changes=result.changes
            )
    metrics.add_metric(name=f"Setting{result.status.capitalize()}", unit=MetricUnit.Count, value=1)
    output = result.to_dict()
    logger.info("setting done", extra={**output, "table": step.request.target_table_arn})
    return output
