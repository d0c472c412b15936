"""The report and the dead-letter message, from whatever the workflow holds when it ends."""

from __future__ import annotations

import json
from typing import Any

from restore_sync.contracts import WorkflowState
from restore_sync.workflow.report import build_report

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:sm:run-1"
REQUEST = {
    "ignored": False,
    "trigger": "manual",
    "targetTableName": "t",
    "targetTableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/t",
    "sourceTableName": "s",
    "sourceTableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/s",
    "region": "us-east-1",
    "settings": ["tags", "stream", "ttl"],
    "dryRun": False,
    "requestedAt": "2026-11-20T10:00:00Z",
    "hold": [],
    "settingsFrom": "auto",
    "grantRecordedAccess": False,
}


def built(held: dict[str, Any]) -> dict[str, Any]:
    """What Build report returns for what the workflow holds, as the state machine receives it."""
    return build_report(WorkflowState.from_dict(held), EXECUTION).to_dict()


def state(**parts: Any) -> dict[str, Any]:
    return {"request": REQUEST, "stack": {"stack": "rs-t-abc"}, **parts}


PLAN = {
    "items": [
        {"setting": "stream", "status": "pending", "wanted": {"enabled": True, "viewType": "KEYS_ONLY"}},
        {"setting": "ttl", "status": "pending", "wanted": {"enabled": False, "attributeName": None}},
        {"setting": "tags", "status": "skipped", "reason": "not selected"},
    ]
}


def test_success_reports_every_setting() -> None:
    results = [
        {"setting": "stream", "status": "applied", "changes": [{"property": "StreamSpecification"}]},
        {"setting": "ttl", "status": "unchanged", "reason": "not set on the source"},
        {"setting": "tags", "status": "skipped", "reason": "not selected"},
    ]
    result = built(state(plan=PLAN, results=results, verification={"drift": []}))
    assert result["succeeded"] is True
    report = result["report"]
    assert report["outcome"] == "succeeded"
    assert report["settings"]["stream"] == {"status": "applied", "changes": [{"property": "StreamSpecification"}]}
    assert report["settings"]["ttl"]["status"] == "unchanged"
    assert report["settings"]["tags"] == {"status": "skipped", "reason": "not selected"}
    assert report["stack"] == "rs-t-abc"
    assert "deadLetter" not in result


def test_a_failed_setting_fails_the_execution_with_its_reason() -> None:
    cause = json.dumps({"errorType": "ChangeSetFailed", "errorMessage": "stream ... does not exist"})
    results = [
        {"setting": "stream", "status": "failed", "error": "ChangeSetFailed", "reason": cause},
        {"setting": "ttl", "status": "unchanged", "reason": "x"},
        {"setting": "tags", "status": "skipped", "reason": "not selected"},
    ]
    result = built(state(plan=PLAN, results=results, verification={"drift": []}))
    assert result["succeeded"] is False
    assert result["error"] == "SettingsFailed"
    assert result["report"]["settings"]["stream"]["reason"] == "stream ... does not exist"
    assert "stream: stream ... does not exist" in result["cause"]
    message = result["deadLetter"]
    assert message["request"] == REQUEST
    assert message["execution"] == EXECUTION
    # Both ways to finish the work: redrive this execution, or start again with the same request.
    assert f"aws stepfunctions redrive-execution --execution-arn {EXECUTION}" in message["redrive"]
    assert (
        "restore-sync start --target t --source-arn arn:aws:dynamodb:us-east-1:123456789012:table/s"
        in (message["redrive"])
    )
    assert message["report"] == result["report"]


def test_drift_fails_the_execution() -> None:
    results = [{"setting": "stream", "status": "applied"}, {"setting": "ttl", "status": "unchanged", "reason": "x"}]
    drift = [{"setting": "stream", "wanted": {"enabled": True}, "found": {"enabled": False}}]
    result = built(state(plan=PLAN, results=results, verification={"drift": drift}))
    assert result["error"] == "DriftFound"
    assert result["report"]["drift"] == drift


def test_an_early_failure_still_gives_a_report_and_a_message() -> None:
    error = {"Error": "ValidationError", "Cause": json.dumps({"errorMessage": "targetTableName: required"})}
    result = built({"input": {"targetTable": "oops"}, "error": error})
    assert result["succeeded"] is False
    assert result["error"] == "ValidationError"
    assert result["cause"] == "targetTableName: required"
    assert result["deadLetter"]["request"] == {"input": {"targetTable": "oops"}}


def test_a_failure_before_apply_marks_pending_settings_not_attempted() -> None:
    error = {"Error": "StackUnusable", "Cause": "stack is UPDATE_ROLLBACK_FAILED"}
    result = built(state(plan=PLAN, error=error))
    assert result["report"]["settings"]["stream"]["status"] == "skipped"
    assert "not attempted" in result["report"]["settings"]["stream"]["reason"]
    assert result["cause"] == "stack is UPDATE_ROLLBACK_FAILED"


def test_dry_run_reports_the_plan_without_changing_anything() -> None:
    request = {**REQUEST, "dryRun": True}
    result = built({"request": request, "plan": PLAN, "poll": {"table": {"name": "t"}}})
    assert result["succeeded"] is True
    report = result["report"]
    assert report["outcome"] == "planned"
    assert report["settings"]["stream"]["status"] == "planned"
    assert report["settings"]["stream"]["changes"] == [{"resource": "Table", "property": "StreamSpecification"}]
    assert report["settings"]["ttl"]["changes"] == []
    assert all(entry.get("reason") for entry in report["settings"].values())


def test_a_dry_run_reports_a_setting_that_cannot_be_applied_as_failed_with_its_reason() -> None:
    unreadable = {
        "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:indexer",
        "enabled": True,
        "properties": {"KmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k-1"},
        "filterCriteriaError": {"errorCode": "AccessDeniedException", "message": "not authorized"},
    }
    plan = {
        "items": [*PLAN["items"], {"setting": "triggers", "status": "pending", "wanted": {"mappings": [unreadable]}}]
    }
    request = {**REQUEST, "dryRun": True, "settings": [*REQUEST["settings"], "triggers"]}

    result = built({"request": request, "plan": plan, "poll": {"table": {"name": "t"}}})

    assert result["succeeded"] is False
    triggers = result["report"]["settings"]["triggers"]
    assert triggers["status"] == "failed"
    assert "kms:Decrypt" in triggers["reason"]
    assert result["report"]["settings"]["stream"]["status"] == "planned"


def test_an_ignored_start_reports_ignored_with_its_reason_and_tables() -> None:
    ignored = {
        "ignored": True,
        "reason": "source table arn:aws:dynamodb:us-east-1:123456789012:table/s is tagged restore-sync:settings=none",
        "target": REQUEST["targetTableArn"],
        "source": REQUEST["sourceTableArn"],
    }
    result = built({"input": {"detail-type": "AWS API Call via CloudTrail"}, "request": ignored})
    assert result == {
        "succeeded": True,
        "report": {
            "target": REQUEST["targetTableArn"],
            "source": REQUEST["sourceTableArn"],
            "settingsFrom": None,
            "restorePoint": None,
            "settingsVersion": None,
            "outcome": "ignored",
            "reason": ignored["reason"],
            "settings": {},
            "drift": [],
            "stack": None,
            "execution": EXECUTION,
        },
    }
    assert "reason" not in built(state(plan=PLAN, results=[], verification={"drift": []}))["report"]


def test_why_an_applied_setting_differs_from_what_was_recorded_is_its_entrys_reason() -> None:
    """The source step says why (a resource policy without principals revoked since); the entry carries it."""
    why = "not granted to AWS arn:aws:iam::123456789012:role/analyst: ..."
    source = {"settingsFrom": "snapshot", "reasons": {"stream": why, "resource_policy": "not planned"}}
    results = [
        {"setting": "stream", "status": "applied", "changes": [{"property": "StreamSpecification"}]},
        {"setting": "ttl", "status": "unchanged", "reason": "not set on the source"},
        {"setting": "tags", "status": "skipped", "reason": "not selected"},
    ]
    report = built(state(plan=PLAN, results=results, verification={"drift": []}, source=source))["report"]
    assert report["settings"]["stream"] == {
        "status": "applied",
        "reason": why,
        "changes": [{"property": "StreamSpecification"}],
    }
    assert "resource_policy" not in report["settings"]

    planned = built({"request": {**REQUEST, "dryRun": True}, "plan": PLAN, "source": source})["report"]
    assert planned["settings"]["stream"]["reason"] == f"dry run; {why}"


def test_held_settings_leave_the_execution_succeeded_and_a_dry_run_says_what_it_would_hold() -> None:
    why = "not applied, ...; apply it with: restore-sync activate --target t"
    plan = {
        "items": [
            {"setting": "stream", "status": "pending", "wanted": {"enabled": True, "viewType": "KEYS_ONLY"}},
            {"setting": "ttl", "status": "held", "wanted": {"enabled": True, "attributeName": "x"}, "reason": why},
        ]
    }
    results = [
        {"setting": "stream", "status": "applied", "changes": [{"property": "StreamSpecification"}]},
        {"setting": "ttl", "status": "held", "reason": why},
    ]
    result = built(state(plan=plan, results=results, verification={"drift": []}))
    assert result["succeeded"] is True
    assert "deadLetter" not in result
    assert result["report"]["outcome"] == "succeeded"
    assert result["report"]["settings"]["ttl"] == {"status": "held", "reason": why}
    dry = built({"request": {**REQUEST, "dryRun": True}, "plan": plan, "poll": {"table": {"name": "t"}}})
    entry = dry["report"]["settings"]["ttl"]
    assert (entry["status"], entry["reason"]) == ("held", why)
    assert entry["changes"] == [{"resource": "Table", "property": "TimeToLiveSpecification"}]
