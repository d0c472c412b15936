"""The report: per setting what happened, the drift found, and (on failure) the dead-letter message."""

from __future__ import annotations

import json
from typing import Any

from restore_sync.settings import REGISTRY

STATUSES = ("applied", "unchanged", "skipped", "failed", "planned")


def build_report(state: dict[str, Any], execution: str) -> dict[str, Any]:
    """Everything the last states need: `succeeded`, the `report`, and on failure `error`, `cause`, `deadLetter`.

    `state` is whatever the workflow holds when it gets here, so any part may be missing (a failure in the
    first step leaves only the raw input and the error).
    """
    request = state.get("request") or {}
    plan = (state.get("plan") or {}).get("items", [])
    results = {r["setting"]: r for r in state.get("results") or [] if isinstance(r, dict) and "setting" in r}
    drift = (state.get("verification") or {}).get("drift", [])
    error = state.get("error")
    dry_run = bool(request.get("dryRun"))
    target_doc = (state.get("poll") or {}).get("table")
    source = state.get("source") or {}

    settings: dict[str, Any] = {}
    for item in plan:
        name = item["setting"]
        if item["status"] == "skipped":
            settings[name] = {"status": "skipped", "reason": item["reason"]}
        elif dry_run:
            settings[name] = _planned(name, item["wanted"], target_doc)
        elif name in results:
            entry = {k: v for k, v in results[name].items() if k != "setting"}
            if entry["status"] == "failed":
                # A setting whose step raised carries the step's Cause: keep the message a person reads.
                entry["reason"] = _cause_message(entry.get("reason"))
            settings[name] = entry
        else:
            settings[name] = {"status": "skipped", "reason": "not attempted: the workflow stopped before it"}

    failed = sorted(name for name, entry in settings.items() if entry["status"] == "failed")
    if error:
        error_name, cause = str(error.get("Error", "Error")), _cause_message(error.get("Cause"))
    elif failed:
        error_name = "SettingsFailed"
        cause = "; ".join(f"{name}: {settings[name].get('reason', '?')}" for name in failed)
    elif drift:
        error_name = "DriftFound"
        cause = "the target differs from what was applied: " + ", ".join(sorted({d["setting"] for d in drift}))
    else:
        error_name, cause = "", ""

    outcome = "failed" if error_name else ("planned" if dry_run else "succeeded")
    report = {
        "target": request.get("targetTableArn"),
        "source": request.get("sourceTableArn"),
        "settingsFrom": source.get("settingsFrom"),
        "restorePoint": source.get("restorePoint"),
        "settingsVersion": source.get("version"),
        "outcome": outcome,
        "settings": settings,
        "drift": drift,
        "stack": (state.get("stack") or {}).get("stack"),
        "execution": execution,
    }
    result: dict[str, Any] = {"succeeded": outcome != "failed", "report": report}
    if outcome == "failed":
        result["error"] = error_name
        result["cause"] = cause[:30000]
        result["deadLetter"] = {
            "reason": cause,
            "error": error_name,
            "request": request or {"input": state.get("input")},
            "report": report,
            "execution": execution,
            "redrive": _retry_hint(request),
        }
    return result


def _retry_hint(request: dict[str, Any]) -> str:
    """How to finish the work once the cause is fixed. The workflow records a failure in its final Fail state,
    so a Step Functions redrive would only fail again; a new execution with the same request resumes instead:
    settings already applied come back `unchanged`."""
    if not request.get("targetTableName"):
        return "fix the input, then start a new execution (restore-sync start --help shows the input)"
    return (
        "fix the cause, then start again with the same request: "
        f"restore-sync start --target {request['targetTableName']} --source-arn {request.get('sourceTableArn')} "
        "(or aws stepfunctions start-execution with the request as input); settings already applied are left as "
        "they are"
    )


def _planned(name: str, wanted: dict[str, Any], target: dict[str, Any] | None) -> dict[str, Any]:
    fragment = REGISTRY[name].fragment(wanted, target or {})
    if fragment.empty:
        return {"status": "planned", "reason": "nothing to change: not set on the source", "changes": []}
    changes = [{"resource": "Table", "property": p} for p in sorted(fragment.properties)]
    changes += [{"resource": r, "action": "Add"} for r in sorted(fragment.resources)]
    return {"status": "planned", "reason": "dry run", "wanted": wanted, "changes": changes}


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
