"""The console's colours: recorded execution histories (from the sandbox, with the real definition) give each
state its status: succeeded, retried N times, caught, failed, waiting with the time left, not reached."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from restore_sync.timestamps import instant
from restore_sync_tools.console import colouring, graph
from restore_sync_tools.console.colouring import CAUGHT, FAILED, NOT_REACHED, RETRIED, RUNNING, SUCCEEDED, WAITING
from tests.helpers import load_event

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = json.loads((ROOT / "statemachine" / "restore_sync.asl.json").read_text())
# Recorded in the sandbox; inputs and outputs over 1,500 characters are trimmed to what the colouring reads.
RECORDED = Path(__file__).parent / "test_console_histories"


def recorded(name: str) -> dict[str, Any]:
    return dict(json.loads((RECORDED / f"{name}.json").read_text()))


def coloured(events: list[dict[str, Any]], seconds_after_last: float = 0) -> colouring.Colouring:
    now = instant(events[-1]["timestamp"]) + timedelta(seconds=seconds_after_last)
    return colouring.colour(events, DEFINITION, now)


def statuses(result: colouring.Colouring) -> dict[str, str]:
    return {name: view.status for name, view in result.states.items() if view.status != NOT_REACHED}


def test_a_succeeded_execution_colours_the_path_it_took_and_leaves_the_rest_not_reached() -> None:
    result = coloured(load_event("history_succeeded_after_waits")["events"])
    assert result.execution_status == "SUCCEEDED"
    assert set(statuses(result).values()) == {SUCCEEDED}
    assert result.states["Check target table"].visits == 8
    assert result.states["Apply settings one at a time"].iterations == 5
    for name in ("Record failed setting", "Send to dead-letter queue", "Restore sync failed", "Nothing to sync"):
        assert result.states[name].status == NOT_REACHED
    edges = colouring.taken_edges(graph.build(DEFINITION), result.transitions)
    built = graph.build(DEFINITION)
    taken = {(e.source, e.target) for e in built.edges if e.id in edges}
    assert ("Wait before checking again", "Check target table") in taken
    assert ("Apply settings one at a time", "Apply setting") in taken
    assert ("Restored table is whole", graph.END) not in taken


def test_a_failed_execution_with_a_catch_shows_the_caught_state_and_the_failed_one() -> None:
    result = coloured(load_event("history_failed_invalid_request")["events"])
    assert result.execution_status == "FAILED"
    normalize = result.states["Normalize request"]
    assert normalize.status == CAUGHT
    assert normalize.error == "InvalidRequest"
    assert normalize.label == "caught: InvalidRequest"
    assert result.states["Build report"].status == SUCCEEDED
    failed = result.states["Restore sync failed"]
    assert failed.status == FAILED
    assert failed.error == "InvalidRequest"
    built = graph.build(DEFINITION)
    taken = colouring.taken_edges(built, result.transitions)
    through = [e for e in built.edges if e.source == "Normalize request" and e.target == "Build report"]
    assert [e.kind for e in through] == ["catch"]
    assert through[0].id in taken


def test_a_setting_that_failed_ends_in_the_fail_state_with_the_report_error() -> None:
    result = coloured(recorded("failed_setting")["events"])
    assert result.execution_status == "FAILED"
    assert result.states["Restore sync failed"].status == FAILED
    assert result.states["Restore sync failed"].error == "SettingsFailed"
    assert "ledger-audit" in str(result.states["Restore sync failed"].cause)
    assert result.states["Send to dead-letter queue"].status == SUCCEEDED
    assert result.states["Restored table is whole"].status == NOT_REACHED


def test_retried_errors_are_counted_per_state_across_its_visits() -> None:
    result = coloured(recorded("succeeded_with_retries")["events"])
    assert result.execution_status == "SUCCEEDED"
    check, apply = result.states["Check target table"], result.states["Apply setting"]
    assert (check.status, check.retries) == (RETRIED, 2)
    assert (apply.status, apply.retries) == (RETRIED, 1)
    assert check.label.startswith("retried 2 times")
    assert result.states["Verify target"].status == SUCCEEDED
    assert result.states["Verify target"].retries == 0


def test_a_wait_in_progress_is_waiting_with_the_time_left() -> None:
    events = load_event("history_succeeded_after_waits")["events"]
    entered = next(e for e in events if e["type"] == "WaitStateEntered")
    running = [e for e in events if int(e["id"]) <= int(entered["id"])]
    seconds = json.loads(entered["stateEnteredEventDetails"]["input"])["poll"]["waitSeconds"]

    result = coloured(running, seconds_after_last=5)

    assert result.execution_status == "RUNNING"
    wait = result.states["Wait before checking again"]
    assert wait.status == WAITING
    assert wait.seconds_left == seconds - 5
    assert wait.wait_until == instant(entered["timestamp"]) + timedelta(seconds=seconds)
    assert wait.label == f"waiting, {seconds - 5} s left"
    assert result.states["Check target table"].status == SUCCEEDED
    assert result.states["Read source settings"].status == NOT_REACHED


def test_a_task_in_progress_is_running_and_a_loop_shows_its_latest_visit() -> None:
    events = load_event("history_succeeded_after_waits")["events"]
    second_check = [e for e in events if e["type"] == "TaskStateEntered"][2]
    result = coloured([e for e in events if int(e["id"]) <= int(second_check["id"])])
    assert result.states["Check target table"].status == RUNNING
    assert result.states["Check target table"].visits == 2
    assert result.states["Wait before checking again"].status == SUCCEEDED


def test_wait_ends_from_seconds_timestamps_and_paths() -> None:
    at = instant("2026-01-01T00:00:00Z")
    assert colouring.wait_until({"Seconds": 10}, at, None) == at + timedelta(seconds=10)
    assert colouring.wait_until({"SecondsPath": "$.a[1].b"}, at, '{"a": [{}, {"b": 3}]}') == at + timedelta(seconds=3)
    assert colouring.wait_until({"TimestampPath": "$.t"}, at, '{"t": "2026-01-02T00:00:00Z"}') == instant(
        "2026-01-02T00:00:00Z"
    )
    assert colouring.wait_until({"SecondsPath": "$.missing"}, at, "{}") is None


def _event(event_id: int, kind: str, previous: int, **details: Any) -> dict[str, Any]:
    return {"id": event_id, "previousEventId": previous, "type": kind, "timestamp": "2026-12-01T10:00:00Z", **details}


def _entered(event_id: int, kind: str, name: str, previous: int) -> dict[str, Any]:
    return _event(event_id, kind, previous, stateEnteredEventDetails={"name": name, "input": "{}"})


def _exited(event_id: int, kind: str, name: str, previous: int) -> dict[str, Any]:
    return _event(event_id, kind, previous, stateExitedEventDetails={"name": name, "output": "{}"})


def test_a_redriven_execution_shows_the_step_it_failed_in_as_caught_once_it_went_on() -> None:
    failure = {"error": "SettingsFailed", "cause": '{"errorMessage": "kinesis: no stream"}'}
    events = [
        _event(1, "ExecutionStarted", 0),
        _entered(2, "TaskStateEntered", "Restore sync failed", 1),
        _event(3, "LambdaFunctionScheduled", 2),
        _event(4, "LambdaFunctionFailed", 3, lambdaFunctionFailedEventDetails=failure),
        _event(5, "ExecutionFailed", 4, executionFailedEventDetails=failure),
        _event(6, "ExecutionRedriven", 5, executionRedrivenEventDetails={"redriveCount": 1}),
        _entered(7, "TaskStateEntered", "Restore sync failed", 6),
        _event(8, "LambdaFunctionScheduled", 7),
        _event(9, "LambdaFunctionSucceeded", 8),
        _exited(10, "TaskStateExited", "Restore sync failed", 9),
        _entered(11, "PassStateEntered", "Receive the request", 10),
        _exited(12, "PassStateExited", "Receive the request", 11),
        _entered(13, "SucceedStateEntered", "Restored table is whole", 12),
        _exited(14, "SucceedStateExited", "Restored table is whole", 13),
        _event(15, "ExecutionSucceeded", 14),
    ]
    result = coloured(events)
    assert result.execution_status == "SUCCEEDED"
    failed_in = result.states["Restore sync failed"]
    assert (failed_in.status, failed_in.visits, failed_in.error) == (CAUGHT, 2, "SettingsFailed")
    assert result.states["Restored table is whole"].status == SUCCEEDED
    # Before the redrive, the same history read up to the failure: the step is failed.
    assert coloured(events[:5]).states["Restore sync failed"].status == FAILED
