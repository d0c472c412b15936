"""The progress display: recorded execution histories become one line per state, fed in any batches."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from restore_sync.timestamps import instant
from restore_sync_tools.progress import Line, Progress, format_line, offset
from restore_sync_tools.render import describe_change, report_summary, table
from tests.helpers import load_event

T0 = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)


def lines_of(history: dict[str, Any], batch: int = 7) -> tuple[list[str], Progress]:
    """Feeds the history in batches of `batch` events, as polling would, and formats every line."""
    events = history["events"]
    since = instant(history.get("restoreTime") or events[0]["timestamp"])
    progress = Progress()
    lines: list[Line] = []
    for start in range(0, len(events), batch):
        lines += progress.feed(events[start : start + batch])
    lines += progress.finish()
    return [format_line(line, since) for line in lines], progress


def event(event_id: int, kind: str, seconds: float = 0, **details: Any) -> dict[str, Any]:
    """A history event `seconds` after T0; `details` go under the key its type uses."""
    found: dict[str, Any] = {"id": event_id, "type": kind, "timestamp": T0 + timedelta(seconds=seconds)}
    if kind.endswith("StateEntered"):
        found["stateEnteredEventDetails"] = {"name": details["name"], "input": json.dumps(details.get("input", {}))}
    elif kind.endswith("StateExited"):
        found["stateExitedEventDetails"] = {"name": details["name"], "output": json.dumps(details.get("output", {}))}
    elif details:
        key = kind[0].lower() + kind[1:] + "EventDetails"
        found[key] = details
    return found


def test_the_wait_loop_shows_each_check_with_what_it_waits_for_and_the_next_wait() -> None:
    lines, progress = lines_of(load_event("history_succeeded_after_waits"))
    assert lines[3] == " +00:00  Check target table              table is CREATING; next check in 19 s"
    assert lines[4] == " +00:00  Is target table ready?          -> Wait before checking again"
    assert lines[5] == " +00:00  Wait before checking again      waiting 19 s for: table is CREATING"
    assert lines[6].startswith(" +00:19  Check target table")
    assert " +02:03  Check target table              table is ACTIVE after 123 s" in lines
    assert progress.status == "succeeded"


def test_each_applied_setting_is_counted_as_it_is_applied() -> None:
    lines, progress = lines_of(load_event("history_succeeded_after_waits"))
    applied = [line for line in lines if "Apply setting " in line]
    assert [line.split("  ")[-1].strip() for line in applied] == [
        "tags: applied (Tags) [1/5]",
        "stream: applied (StreamSpecification) [2/5]",
        "ttl: applied (TimeToLiveSpecification) [3/5]",
        "pitr: applied (PointInTimeRecoverySpecification) [4/5]",
        "deletion_protection: applied (DeletionProtectionEnabled) [5/5]",
    ]
    assert all(line.startswith(" +02:03    Apply setting") for line in applied), "nested in the Map, indented"
    assert progress.settings == dict.fromkeys(["tags", "stream", "ttl", "pitr", "deletion_protection"], "applied")
    assert lines[-1] == " +02:03  Execution succeeded"


def test_feeding_in_batches_or_all_at_once_or_twice_gives_the_same_lines() -> None:
    history = load_event("history_succeeded_after_waits")
    one_by_one, _ = lines_of(history, batch=1)
    all_at_once, _ = lines_of(history, batch=len(history["events"]))
    assert one_by_one == all_at_once
    progress = Progress()
    first = progress.feed(history["events"][:40])
    again = progress.feed(history["events"][:60])
    assert len(first) + len(again) == len({(line.at, line.state, line.detail) for line in first + again})


def test_every_state_passed_has_exactly_one_line() -> None:
    history = load_event("history_dry_run")
    lines, _ = lines_of(history)
    entered = [e["stateEnteredEventDetails"]["name"] for e in history["events"] if e["type"].endswith("Entered")]
    states = [line.split("  ")[1].strip() for line in lines[:-1]]
    assert states == entered
    assert "Normalize request               orders-restored <- orders; settings: " in lines[0]
    assert lines[0].endswith("; dry run")
    assert lines[-4].endswith("Build report                    outcome: planned")


def test_a_caught_failure_shows_its_message_and_the_execution_its_error() -> None:
    lines, progress = lines_of(load_event("history_failed_invalid_request"))
    message = "settings.0: 'bogus' is not one of ['tags', 'stream', 'ttl', 'pitr', 'deletion_protection']"
    assert lines[0] == f" +00:00  Normalize request               failed: InvalidRequest: {message}"
    assert lines[-1] == f" +00:00  Execution failed                InvalidRequest: {message}"
    assert progress.status == "failed"


def test_a_retried_error_is_noted_on_the_state_that_then_succeeded() -> None:
    cause = json.dumps({"errorType": "AwsTransient", "errorMessage": "Throttling: slow down"})
    events = [
        event(2, "TaskStateEntered", name="Import target into stack"),
        event(3, "LambdaFunctionScheduled"),
        event(4, "LambdaFunctionFailed", 1, error="AwsTransient", cause=cause),
        event(5, "LambdaFunctionScheduled", 3),
        event(6, "LambdaFunctionSucceeded", 4),
        event(
            7,
            "TaskStateExited",
            4,
            name="Import target into stack",
            output={"stack": {"stack": "s", "action": "imported"}},
        ),
    ]
    [line] = Progress().feed(events)
    assert line == Line(T0, "Import target into stack", "imported: s (after 1 retried error)")


def test_a_setting_whose_change_set_failed_is_shown_failed_with_its_reason() -> None:
    cause = json.dumps({"errorType": "ChangeSetFailed", "errorMessage": "stream limit reached"})
    events = [
        event(
            1,
            "MapStateEntered",
            name="Apply settings one at a time",
            input={"plan": {"items": [{"setting": "stream"}]}},
        ),
        event(2, "TaskStateEntered", 1, name="Apply setting", input={"item": {"setting": "stream"}}),
        event(3, "LambdaFunctionScheduled", 1),
        event(4, "LambdaFunctionFailed", 2, error="ChangeSetFailed", cause=cause),
        event(5, "PassStateEntered", 2, name="Record failed setting"),
        event(
            6,
            "PassStateExited",
            2,
            name="Record failed setting",
            output={"setting": "stream", "status": "failed", "reason": "stream limit reached"},
        ),
        event(7, "MapStateExited", 3, name="Apply settings one at a time"),
    ]
    progress = Progress()
    lines = progress.feed(events)
    assert [(line.state, line.detail, line.depth) for line in lines] == [
        ("Apply settings one at a time", "1 setting: stream", 0),
        ("Apply setting", "failed: ChangeSetFailed: stream limit reached", 1),
        ("Record failed setting", "stream: failed (stream limit reached) [1/1]", 1),
    ]
    assert progress.settings == {"stream": "failed"}


def test_a_choice_says_where_it_went_and_is_not_lost_at_the_end() -> None:
    progress = Progress()
    entered = progress.feed(
        [
            event(1, "ChoiceStateEntered", name="Is it a dry run?"),
            event(2, "ChoiceStateExited", name="Is it a dry run?"),
        ]
    )
    assert entered == [], "where a Choice went is known only when the next state is entered"
    assert progress.finish() == [Line(T0, "Is it a dry run?", "")]


def test_a_truncated_input_still_gives_the_state_its_line() -> None:
    broken = event(1, "WaitStateEntered", name="Wait before checking again")
    broken["stateEnteredEventDetails"]["input"] = '{"poll": {"waitSeconds": 3'
    assert Progress().feed([broken]) == [Line(T0, "Wait before checking again", "")]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "+00:00"), (42.4, "+00:42"), (59.6, "+01:00"), (3599, "+59:59"), (3600 + 62, "+1:01:02"), (-5, "-00:05")],
)
def test_offsets_read_as_minutes_and_seconds_then_hours(seconds: float, text: str) -> None:
    assert offset(T0 + timedelta(seconds=seconds), T0) == text


def test_instants_come_from_datetimes_iso_text_or_epoch_seconds() -> None:
    assert instant("2026-11-20T10:00:00Z") == T0
    assert instant("2026-11-20T10:00:00") == T0
    assert instant(T0.timestamp()) == T0
    assert instant(T0.replace(tzinfo=None)) == T0


def test_the_report_table_says_what_changed_and_why_the_rest_did_not() -> None:
    report = {
        "settings": {
            "tags": {"status": "applied", "changes": [{"property": "Tags", "value": [{"Key": "a", "Value": "b"}]}]},
            "triggers": {"status": "skipped", "reason": "stream copying is off"},
            "ttl": {
                "status": "planned",
                "wanted": {"enabled": True},
                "changes": [{"resource": "Table", "property": "TimeToLiveSpecification"}],
            },
        },
        "drift": [{"setting": "ttl", "wanted": {"enabled": True}, "found": {"enabled": False}}],
    }
    assert report_summary(report) == [
        "setting   status   what changed / why",
        "-------   ------   ------------------",
        "tags      applied  Tags = 1 tag",
        "triggers  skipped  stream copying is off",
        'ttl       planned  would set TimeToLiveSpecification to {"enabled":true}',
        'drift: ttl: wanted {"enabled": true}, found {"enabled": false}',
    ]
    assert describe_change({"resource": "Alarm", "action": "Add"}) == "Add Alarm"
    assert table([("a", "b"), ("long", "x")]) == ["a     b", "-     -", "long  x"]


def test_the_report_table_says_why_an_applied_setting_differs_from_what_was_recorded() -> None:
    report = {
        "settings": {
            "resource_policy": {
                "status": "applied",
                "reason": "not granted to AWS 111122223333",
                "changes": [{"property": "ResourcePolicy"}],
            }
        }
    }
    assert report_summary(report)[-1] == "resource_policy  applied  ResourcePolicy (not granted to AWS 111122223333)"


def test_the_plan_line_names_what_it_holds_for_activation() -> None:
    items = [
        {"setting": "stream", "status": "pending", "wanted": {}},
        {"setting": "ttl", "status": "held", "wanted": {}, "reason": "r"},
        {"setting": "triggers", "status": "held", "wanted": {}, "reason": "r"},
        {"setting": "tags", "status": "skipped", "reason": "not selected"},
    ]
    history = [
        event(1, "TaskStateEntered", name="Plan settings"),
        event(2, "TaskStateExited", 1, name="Plan settings", output={"plan": {"items": items}}),
    ]
    lines = [format_line(line, T0) for line in Progress().feed(history)]
    assert lines[-1].split("  ")[-1].strip() == (
        "1 to apply, held: ttl, triggers (for restore-sync activate), skipped: tags (not selected)"
    )
