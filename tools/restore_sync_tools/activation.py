"""`restore-sync activate`: the input of the execution that applies what a table's executions held.

The settings waiting are read from the table's reports (the newest that held, applied or left each setting
unchanged says), the source and where its settings came from from the newest report that held one. The input
selects those settings (and what they need, already applied), holds nothing, and goes through the deployed state
machine like any start: one change set per setting, verified, reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from restore_sync_tools.errors import UserError
from restore_sync_tools.executions import listed_executions_of, report_of

# The newest executions of a table whose reports are read for what is still held.
SCAN_LIMIT = 20


@dataclass(frozen=True)
class Activation:
    """What an activation applies: the settings waiting, and the execution input that applies them."""

    held: list[str]
    execution_input: dict[str, Any]
    held_by: str


def activation(sfn: Any, cloudformation: Any, machine_arn: str, target: str) -> Activation:
    """The activation of what `target`'s executions left held; a UserError saying why there is none (an execution
    of the table still running, nothing held, no governance stack)."""
    from restore_sync.workflow.hold import NONE, activation_settings, still_held

    listed = listed_executions_of(sfn, machine_arn, target)[:SCAN_LIMIT]
    if not listed:
        raise UserError(f"no execution names table {target}: nothing was held on it")
    running = [e["executionArn"] for e in listed if e["status"] == "RUNNING"]
    if running:
        raise UserError(
            f"an execution for {target} is still running ({running[0]}): wait for it to end "
            f"(restore-sync status --target {target}), then activate"
        )
    reports = [r for e in listed if (r := report_of(sfn, sfn.describe_execution(executionArn=e["executionArn"])))]
    # A dry run says what it would hold, and changed nothing.
    reports = [r for r in reports if r.get("outcome") != "planned"]
    held = still_held(reports)
    holder = next((r for r in reports if any(_status(entry) == "held" for entry in _entries(r))), None)
    if not held or holder is None:
        raise UserError(
            f"nothing is held on {target}: no execution left a setting held that a later one did not apply "
            f"(restore-sync status --target {target} shows the latest report)"
        )
    stack = holder.get("stack")
    if not isinstance(stack, str) or not _exists(cloudformation, stack):
        raise UserError(
            f"{target} has no governance stack ({stack or 'none recorded'}): activation applies held settings "
            f"through it; start a sync first (restore-sync start --target {target} --source-arn ...)"
        )
    execution_input: dict[str, Any] = {
        "targetTableName": target,
        "sourceTableArn": holder["source"],
        "settings": activation_settings(held),
        "hold": NONE,
    }
    # The settings as the holding execution read them: the same version of the history, or the live source.
    if holder.get("settingsFrom") in ("snapshot", "live"):
        execution_input["settingsFrom"] = holder["settingsFrom"]
    return Activation(held=held, execution_input=execution_input, held_by=str(holder.get("execution")))


def _entries(report: dict[str, Any]) -> list[Any]:
    settings = report.get("settings")
    return list(settings.values()) if isinstance(settings, dict) else []


def _status(entry: Any) -> Any:
    return entry.get("status") if isinstance(entry, dict) else None


def _exists(cloudformation: Any, stack: str) -> bool:
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            return False
        raise
    return bool(stacks) and stacks[0]["StackStatus"] != "DELETE_COMPLETE"
