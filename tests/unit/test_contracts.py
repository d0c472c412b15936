"""The contracts between the state machine and the handlers: what recorded executions hold reads into the models
and is written back as it was; data of the wrong shape is refused, naming every problem."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restore_sync.aws import TableRef
from restore_sync.contracts import (
    Contract,
    DeadLetter,
    Ignored,
    Outcome,
    Plan,
    PlanItem,
    Removal,
    Report,
    Request,
    SettingResult,
    WorkflowState,
)
from restore_sync.errors import ContractError
from restore_sync.handlers.apply_setting import ApplySettingInput
from restore_sync.handlers.check_target import CheckTargetInput
from restore_sync.handlers.import_stack import ImportStackInput
from restore_sync.handlers.normalize import NormalizeInput
from restore_sync.handlers.plan import PlanInput
from restore_sync.handlers.read_source import ReadSourceInput
from restore_sync.handlers.report import ReportInput
from restore_sync.handlers.verify import VerifyInput
from restore_sync_tools.progress import event_details, parse_payload
from tests.helpers import load_event

# Recorded in the sandbox: tests/events before requests had triggersDisabled (now hold) and settingsFrom and reports had
# restorePoint and settingsVersion; the console's since (with long inputs and outputs trimmed).
EVENT_HISTORIES = ("history_dry_run", "history_failed_invalid_request", "history_succeeded_after_waits")
CONSOLE_HISTORIES = ("failed_setting", "succeeded_with_retries")
INPUTS: dict[str, type[Contract]] = {
    "Normalize request": NormalizeInput,
    "Check target table": CheckTargetInput,
    "Read source settings": ReadSourceInput,
    "Plan settings": PlanInput,
    "Import target into stack": ImportStackInput,
    "Apply setting": ApplySettingInput,
    "Verify target": VerifyInput,
    "Build report": ReportInput,
}
RESULTS: dict[str, type[Contract]] = {
    "Normalize request": Request,
    "Plan settings": Plan,
    "Apply setting": SettingResult,
    "Build report": Outcome,
}
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:restore-sync:run-1"
TARGET = TableRef("orders-restored", "us-east-1", "123456789012")
SOURCE = TableRef("orders", "eu-west-1", "123456789012")


def history(name: str) -> list[dict[str, Any]]:
    if name in EVENT_HISTORIES:
        return list(load_event(name)["events"])
    path = Path(__file__).parent / "test_console_histories" / f"{name}.json"
    return list(json.loads(path.read_text())["events"])


def invocations(events: list[dict[str, Any]], kind: str, part: str) -> Iterator[tuple[str, Any]]:
    """(Task, payload) of each recorded `kind` Lambda event: the event a handler got (LambdaFunctionScheduled,
    "input") or what it returned (LambdaFunctionSucceeded, "output"); trimmed ones are left out."""
    task = ""
    for event in events:
        details = event_details(event)
        if event["type"] == "TaskStateEntered":
            task = details["name"]
        elif event["type"] == kind:
            payload = parse_payload(details.get(part))
            if isinstance(payload, dict) and "trimmed" not in payload:
                yield task, payload


def written_today(data: Any) -> Any:
    """A recorded shape with the keys added since, where they are written: a request's hold (for triggersDisabled),
    settingsFrom and grantRecordedAccess (nothing held, auto and false, as it was read then), a report's
    restorePoint and settingsVersion (null)."""
    if isinstance(data, list):
        return [written_today(item) for item in data]
    if not isinstance(data, dict):
        return data
    data = {key: written_today(value) for key, value in data.items()}
    if data.get("ignored") is False:
        # triggersDisabled, which hold replaced, is written as the hold it means, in its place.
        held = ["triggers"] if data.get("triggersDisabled") is True else []
        data = dict(("hold", held) if key == "triggersDisabled" else (key, value) for key, value in data.items())
        return {
            **data,
            "hold": data.get("hold", held),
            "settingsFrom": data.get("settingsFrom", "auto"),
            "grantRecordedAccess": data.get("grantRecordedAccess", False),
        }
    if {"outcome", "settingsFrom", "drift"} <= data.keys() and "restorePoint" not in data:
        report: dict[str, Any] = {}
        for key, value in data.items():
            report[key] = value
            if key == "settingsFrom":
                report |= {"restorePoint": None, "settingsVersion": None}
        return report
    return data


def same_json(written: dict[str, Any], expected: dict[str, Any]) -> bool:
    """Equal, and with every key in the same place: what the execution's output and its history show."""
    return json.dumps(written) == json.dumps(expected)


@pytest.mark.parametrize("name", EVENT_HISTORIES + CONSOLE_HISTORIES)
def test_every_recorded_step_event_reads_into_its_input_model(name: str) -> None:
    read = 0
    for task, event in invocations(history(name), "LambdaFunctionScheduled", "input"):
        step = INPUTS[task].from_dict(event)
        read += 1
        assert type(step).from_dict(step.to_dict()) == step
        if task != "Build report":  # the workflow's state holds more than the report reads
            assert step.to_dict() == written_today(event)
    assert read


@pytest.mark.parametrize("name", EVENT_HISTORIES + CONSOLE_HISTORIES)
def test_every_recorded_step_result_is_written_back_as_recorded(name: str) -> None:
    results = list(invocations(history(name), "LambdaFunctionSucceeded", "output"))
    checked = [task for task, _ in results if task in RESULTS]
    assert checked
    for task, result in results:
        if task in RESULTS:
            assert same_json(RESULTS[task].from_dict(result).to_dict(), written_today(result)), task


@pytest.mark.parametrize("name", ["history_dry_run", "history_succeeded_after_waits"])
def test_every_recorded_output_is_a_report_written_back_as_recorded(name: str) -> None:
    [ended] = [event_details(e) for e in history(name) if e["type"] == "ExecutionSucceeded"]
    output = json.loads(ended["output"])
    assert same_json(Report.from_dict(output).to_dict(), written_today(output))


def test_a_request_recorded_before_its_options_reads_as_it_was_read_then() -> None:
    results = invocations(history("history_dry_run"), "LambdaFunctionSucceeded", "output")
    recorded = next(result for task, result in results if task == "Normalize request")
    assert "triggersDisabled" not in recorded
    request = Request.from_dict(recorded)
    assert (request.hold, request.settings_from) == ((), "auto")


def test_a_request_that_asked_for_triggers_disabled_holds_the_triggers() -> None:
    written = {key: value for key, value in REQUEST.to_dict().items() if key != "hold"}
    assert Request.from_dict({**written, "triggersDisabled": True}).hold == ("triggers",)
    assert Request.from_dict({**written, "triggersDisabled": False}).hold == ()


REQUEST = Request.for_tables(
    TARGET,
    SOURCE,
    trigger="RestoreTableToPointInTime",
    settings=("stream", "ttl", "triggers"),
    dry_run=False,
    requested_at="2026-11-20T10:00:00Z",
    hold=("triggers",),
    settings_from="snapshot",
)
APPLIED = SettingResult(
    setting="stream",
    status="applied",
    changes=({"resource": "Table", "action": "Modify", "property": "StreamSpecification", "value": {"A": 1}},),
)
# What "Record failed setting" builds when the step raised: the error's name, and its Cause as the reason.
CAUGHT = SettingResult(setting="triggers", status="failed", error="StackUnusable", reason='{"errorMessage": "stuck"}')
REPORT = Report(
    target=TARGET.arn,
    source=SOURCE.arn,
    settings_from="snapshot",
    restore_point="2026-11-20T09:30:00.000Z",
    settings_version="2026-11-19T16:02:11.000Z#8d1c0a2f3b4e5a69",
    outcome="failed",
    settings={
        "stream": APPLIED,
        "ttl": SettingResult(setting="ttl", status="unchanged", reason="already in the stack"),
        "triggers": CAUGHT,
    },
    drift=({"setting": "ttl", "wanted": {"enabled": True}, "found": {"enabled": False}},),
    stack="restore-sync-orders-restored-21feb774bd",
    execution=EXECUTION,
)
EXAMPLES: list[Contract] = [
    REQUEST,
    Ignored(reason="the RestoreTableToPointInTime call failed"),
    Plan(
        items=(
            PlanItem(setting="stream", status="pending", wanted={"enabled": True, "viewType": "KEYS_ONLY"}),
            PlanItem(setting="triggers", status="skipped", reason="needs stream, which is not selected"),
        )
    ),
    APPLIED,
    CAUGHT,
    SettingResult(setting="ttl", status="planned", reason="dry run", wanted={"enabled": False}, changes=()),
    REPORT,
    Outcome(
        succeeded=False,
        report=REPORT,
        error="SettingsFailed",
        cause="triggers: stuck",
        dead_letter=DeadLetter(
            reason="triggers: stuck",
            error="SettingsFailed",
            request=REQUEST.to_dict(),
            report=REPORT,
            execution=EXECUTION,
            redrive="restore-sync start ...",
        ),
    ),
    Outcome(succeeded=True, report=REPORT),
    WorkflowState(input={"targetTableName": "orders-restored"}, request=REQUEST, results=(APPLIED, CAUGHT)),
]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: type(example).__name__)
def test_every_model_reads_back_what_it_writes(example: Contract) -> None:
    written = example.to_dict()
    assert type(example).from_dict(json.loads(json.dumps(written))) == example


def test_keys_are_left_out_only_where_the_shape_has_none() -> None:
    assert list(APPLIED.to_dict()) == ["setting", "status", "changes"]
    assert list(CAUGHT.to_dict()) == ["setting", "status", "error", "reason"]
    assert REPORT.to_dict()["settings"]["ttl"] == {"status": "unchanged", "reason": "already in the stack"}
    assert list(Outcome(succeeded=True, report=REPORT).to_dict()) == ["succeeded", "report"]
    unknown = Report.from_dict({**REPORT.to_dict(), "target": None, "stack": None})
    assert (unknown.to_dict()["target"], unknown.to_dict()["stack"]) == (None, None)
    assert next(iter(REQUEST.to_dict())) == "ignored"


def test_a_missing_field_is_named() -> None:
    written = REQUEST.to_dict()
    del written["targetTableArn"]
    with pytest.raises(ContractError, match=r"^Request: targetTableArn: missing$"):
        Request.from_dict(written)


def test_a_field_of_the_wrong_type_is_named() -> None:
    event = {"request": REQUEST.to_dict(), "attempt": "3", "now": "2026-11-20T10:05:00Z", "execution": EXECUTION}
    with pytest.raises(ContractError, match=r"^CheckTargetInput: attempt: expected an integer, got a string$"):
        CheckTargetInput.from_dict(event)
    with pytest.raises(ContractError, match="attempt: expected an integer, got a boolean"):
        CheckTargetInput.from_dict({**event, "attempt": True})


def test_every_problem_is_named_at_once_with_its_path() -> None:
    event = {
        "item": {"setting": "ttl", "status": "maybe"},
        "request": {**REQUEST.to_dict(), "settings": ["ttl", 7], "ignored": True},
        "target": [],
        "execution": EXECUTION,
        "colour": "blue",
    }
    with pytest.raises(ContractError) as refused:
        ApplySettingInput.from_dict(event)
    assert refused.value.model is ApplySettingInput
    assert refused.value.problems == [
        "colour: not a field of ApplySettingInput",
        "item.status: expected one of 'pending', 'skipped', 'held', got \"maybe\"",
        "request.ignored: expected false, got true",
        "request.settings[1]: expected a string, got a number",
        "target: expected an object, got a list",
        "stack: missing",
    ]


def test_a_plan_item_has_exactly_what_its_status_calls_for() -> None:
    with pytest.raises(ContractError, match="wanted: missing from a pending item"):
        PlanItem.from_dict({"setting": "ttl", "status": "pending", "reason": "x"})
    with pytest.raises(ContractError, match="wanted: a skipped item has none"):
        PlanItem(setting="ttl", status="skipped", reason="not selected", wanted={})
    with pytest.raises(ContractError, match="reason: missing from a held item"):
        PlanItem(setting="ttl", status="held", wanted={"enabled": True})
    with pytest.raises(ContractError, match="wanted: missing from a held item"):
        PlanItem(setting="ttl", status="held", reason="held")
    held = PlanItem(setting="ttl", status="held", wanted={"enabled": True}, reason="held")
    assert PlanItem.from_dict(held.to_dict()) == held


def test_a_report_names_a_bad_entry_by_its_setting() -> None:
    written = REPORT.to_dict()
    written["settings"]["ttl"] = {"status": "done"}
    with pytest.raises(ContractError, match=r"settings\.ttl\.status: expected one of 'applied'"):
        Report.from_dict(written)


def test_the_workflow_state_reads_what_it_knows_and_leaves_the_rest() -> None:
    state = WorkflowState.from_dict({"request": REQUEST.to_dict(), "refusal": {"error": "x"}, "reportError": {}})
    assert state.request == REQUEST
    with pytest.raises(ContractError, match=r"results\[0\]\.setting: missing"):
        WorkflowState.from_dict({"results": [{"status": "applied"}]})


def test_the_workflow_holds_a_request_a_removal_or_the_reason_it_is_ignored_told_apart_by_their_fixed_keys() -> None:
    ignored = Ignored(reason="nothing to do", target=TableRef("t", "us-east-1", "123456789012").arn)
    removal = Removal(
        trigger="DeleteTable",
        table_name="t-copy",
        table_arn=TableRef("t-copy", "us-east-1", "123456789012").arn,
        region="us-east-1",
        stack="restore-sync-t-copy-0123456789",
        stack_id="arn:aws:cloudformation:us-east-1:123456789012:stack/restore-sync-t-copy-0123456789/1-2",
    )
    assert WorkflowState.from_dict({"request": ignored.to_dict()}).request == ignored
    assert WorkflowState.from_dict({"request": REQUEST.to_dict()}).request == REQUEST
    assert WorkflowState.from_dict({"request": removal.to_dict()}).request == removal
    assert removal.to_dict()["ignored"] is False
    assert removal.to_dict()["removal"] is True
    with pytest.raises(
        ContractError, match=r"request: expected Removal or Request or Ignored, got \{\"reason\": \"x\"\}"
    ):
        WorkflowState.from_dict({"request": {"reason": "x"}})
