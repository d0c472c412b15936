"""Step "Restore sync failed": fails the execution with the sync's error, or after a redrive lets it go round again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from restore_sync.contracts import Contract
from restore_sync.handlers.common import logger
from restore_sync.workflow.redrive import fail_unless_redriven


@dataclass(frozen=True, kw_only=True)
class FailInput(Contract):
    """The Task's Parameters: the report's error and cause, the redrive count when this pass began and now."""

    error: str
    cause: str
    pass_redrive_count: int
    redrive_count: int
    execution: str


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = FailInput.from_dict(event)
    logger.set_correlation_id(step.execution)
    redriven = step.redrive_count > step.pass_redrive_count
    logger.info("sync failed", extra={"error": step.error, "redriven": redriven, "redriveCount": step.redrive_count})
    fail_unless_redriven(
        error=step.error,
        cause=step.cause,
        pass_redrive_count=step.pass_redrive_count,
        redrive_count=step.redrive_count,
    )
    return {"redriveCount": step.redrive_count}
