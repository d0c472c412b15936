"""The report: per setting what happened, the drift found, and (on failure) the dead-letter message."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from restore_sync.contracts import (
    DeadLetter,
    Ignored,
    Outcome,
    Removal,
    Report,
    Request,
    SettingResult,
    SyncOutcome,
    WorkflowState,
)
from restore_sync.errors import SettingNotExpressible
from restore_sync.settings import REGISTRY


def build_report(state: WorkflowState, execution: str) -> Outcome:
    """What the last states need: whether the sync succeeded, the report, and on failure the Fail state's error and
    cause and the dead-letter message.

    `state` is whatever the workflow holds when it gets here, so any part may be missing (a failure in the
    first step leaves only the raw input and the error).
    """
    request = state.request
    if isinstance(request, Ignored):
        return Outcome(succeeded=True, report=ignored_report(request, execution))
    if isinstance(request, Removal):
        return _removal_outcome(request, state, execution)
    plan = state.plan.items if state.plan else ()
    results = {result.setting: result for result in state.results or ()}
    drift = tuple((state.verification or {}).get("drift", []))
    error = state.error
    dry_run = request is not None and request.dry_run
    target_doc = (state.poll or {}).get("table")
    source = state.source or {}
    validation = state.validation or {}

    settings: dict[str, SettingResult] = {}
    for item in plan:
        name = item.setting
        if item.status == "skipped":
            settings[name] = SettingResult(setting=name, status="skipped", reason=item.reason)
        elif dry_run:
            # The report handler puts a stored wanted state back inline for a dry run.
            planned = _planned(name, item.wanted or {}, target_doc)
            if item.status == "held" and planned.status == "planned" and planned.changes:
                # What activation would set, and why it would wait for it.
                planned = dataclasses.replace(planned, status="held", reason=item.reason)
            settings[name] = planned
        elif name in results:
            result = results[name]
            if result.status == "failed":
                # A setting whose step raised carries the step's Cause: keep the message a person reads.
                result = dataclasses.replace(result, reason=_cause_message(result.reason))
            settings[name] = result
        else:
            settings[name] = SettingResult(
                setting=name, status="skipped", reason="not attempted: the workflow stopped before it"
            )

    # Why what was applied differs from what was recorded (a resource policy narrowed to today's grants).
    for name, why in (source.get("reasons") or {}).items():
        if name in settings:
            result = settings[name]
            settings[name] = dataclasses.replace(result, reason="; ".join(filter(None, (result.reason, why))))

    failed = sorted(name for name, result in settings.items() if result.status == "failed")
    if error:
        error_name, cause = str(error.get("Error", "Error")), _cause_message(error.get("Cause"))
    elif failed:
        error_name = "SettingsFailed"
        cause = "; ".join(f"{name}: {settings[name].reason}" for name in failed)
    elif drift:
        error_name = "DriftFound"
        cause = "the target differs from what was applied: " + ", ".join(sorted({d["setting"] for d in drift}))
    elif validation.get("status") == "FAILED":
        # An AWS Backup restore test that found a real restore could not be made whole (reported to AWS Backup).
        error_name, cause = "RestoreTestFailed", str(validation.get("message"))
    else:
        error_name, cause = "", ""

    outcome: SyncOutcome = "failed" if error_name else ("planned" if dry_run else "succeeded")
    report = Report(
        target=request.target_table_arn if request else None,
        source=request.source_table_arn if request else None,
        settings_from=source.get("settingsFrom"),
        restore_point=source.get("restorePoint"),
        settings_version=source.get("version"),
        outcome=outcome,
        settings=settings,
        drift=drift,
        stack=(state.stack or {}).get("stack"),
        execution=execution,
        validation=state.validation,
    )
    if outcome != "failed":
        return Outcome(succeeded=True, report=report)
    given = request.to_dict() if request else {"input": state.input}
    return _failed(report, error_name, cause, given, _retry_hint(request, execution))


def ignored_report(ignored: Ignored, execution: str) -> Report:
    """The report of a start restore-sync had nothing to do with: outcome `ignored`, why, and the tables when
    known; no setting was read or touched."""
    return Report(
        target=ignored.target,
        source=ignored.source,
        settings_from=None,
        outcome="ignored",
        reason=ignored.reason,
        settings={},
        drift=(),
        stack=None,
        execution=execution,
    )


def _retry_hint(request: Request | None, execution: str) -> str:
    """How to finish the work once the cause is fixed: redrive this execution, or start a new one.

    A redrive reruns the step the execution failed in ("Restore sync failed"), which then lets the workflow go
    round again from the execution's input; it runs the definition the execution started with, so after the
    deployment was updated (or after 14 days, when Step Functions no longer redrives) a new execution is the way.
    Either way, settings already applied come back `unchanged`.
    """
    redrive = (
        f"fix the cause, then redrive this execution: aws stepfunctions redrive-execution --execution-arn {execution} "
        "(within 14 days of its end, and only if the deployment was not updated since: a redrive runs the "
        "definition the execution started with)"
    )
    if request is None:
        start = "or start a new execution with the same input (the request's input above)"
    else:
        start = (
            "or start again with the same request: "
            f"restore-sync start --target {request.target_table_name} --source-arn {request.source_table_arn} "
            "(or aws stepfunctions start-execution with the request as input)"
        )
    return f"{redrive}; {start}; settings already applied are left as they are"


def _planned(name: str, wanted: dict[str, Any], target: dict[str, Any] | None) -> SettingResult:
    setting = REGISTRY[name]
    try:
        fragment = setting.fragment(wanted, target or {})
    except SettingNotExpressible as error:
        # What the apply step would report: the dry run says the setting would fail, and why.
        return SettingResult(setting=name, status="failed", reason=str(error))
    if fragment.empty:
        why = setting.unchanged(wanted, target or {})
        return SettingResult(setting=name, status="planned", reason=f"nothing to change: {why}", changes=())
    changes = [{"resource": "Table", "property": p} for p in sorted(fragment.properties)]
    changes += [{"resource": r, "action": "Add"} for r in sorted(fragment.resources)]
    return SettingResult(
        setting=name,
        status="planned",
        reason="dry run",
        wanted=wanted,
        changes=tuple(changes),
        cost=setting.cost(wanted, target or {}),
    )


def _cause_message(cause: Any) -> str:
    """A Lambda error's Cause is a JSON string of errorType/errorMessage; keep only the message a person reads."""
    if isinstance(cause, str):
        try:
            parsed = json.loads(cause)
        except ValueError:
            return cause
        if isinstance(parsed, dict) and "errorMessage" in parsed:
            return str(parsed["errorMessage"])
        return cause
    return json.dumps(cause) if cause is not None else ""


def _removal_outcome(request: Removal, state: WorkflowState, execution: str) -> Outcome:
    """A deleted table's governance stack: `removed` (the reason says what went), `ignored` when it was kept (a table
    of that name exists again), or `failed` with the step's error and a dead letter."""
    done = state.stack or {}
    report = Report(
        target=request.table_arn,
        source=None,
        settings_from=None,
        outcome="removed" if done.get("action") == "removed" else "ignored",
        reason=str(done.get("reason") or ""),
        settings={},
        drift=(),
        stack=request.stack,
        execution=execution,
    )
    if not state.error and done.get("action") in ("removed", "kept"):
        return Outcome(succeeded=True, report=report)
    error = state.error or {}
    error_name, cause = str(error.get("Error", "Error")), _cause_message(error.get("Cause"))
    failed = dataclasses.replace(report, outcome="failed", reason=None)
    return _failed(
        failed,
        error_name,
        cause,
        request.to_dict(),
        f"the table {request.table_name} is deleted and its governance stack {request.stack} is not: fix the "
        f"cause, then delete the stack (aws cloudformation delete-stack --stack-name {request.stack} "
        "--role-arn <the deployment's CloudFormationRoleArn output>), or start again with the same event",
    )


def _failed(report: Report, error_name: str, cause: str, request: dict[str, Any], redrive: str) -> Outcome:
    """A failed execution's outcome: its error, its Cause (within Step Functions' limit) and its dead letter."""
    return Outcome(
        succeeded=False,
        report=report,
        error=error_name,
        cause=cause[:30000],
        dead_letter=DeadLetter(
            reason=cause,
            error=error_name,
            request=request,
            report=report,
            execution=report.execution,
            redrive=redrive,
        ),
    )
