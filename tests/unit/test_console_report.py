"""The console's report table: what the page shows of an execution's report."""

from __future__ import annotations

from restore_sync_tools.console.server import report_rows

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:sm:run-1"


def test_an_ignored_execution_shows_its_outcome_and_reason_and_no_setting() -> None:
    reason = "source table arn:aws:dynamodb:us-east-1:123456789012:table/s is tagged restore-sync:settings=none"
    report = {
        "target": "t",
        "source": "s",
        "outcome": "ignored",
        "reason": reason,
        "settings": {},
        "execution": EXECUTION,
    }
    assert report_rows(report) == {
        "outcome": "ignored",
        "target": "t",
        "source": "s",
        "reason": reason,
        "rows": [],
        "held": None,
        "drift": [],
    }


def test_held_settings_are_rows_of_their_own_status_and_the_command_that_applies_them() -> None:
    why = "created disabled, ...; apply it with: restore-sync activate --target t"
    report = {
        "target": "t",
        "outcome": "succeeded",
        "settings": {"stream": {"status": "applied"}, "triggers": {"status": "held", "reason": why}},
        "execution": EXECUTION,
    }
    shown = report_rows(report)
    assert shown is not None
    assert [(row["setting"], row["status"]) for row in shown["rows"]] == [("stream", "applied"), ("triggers", "held")]
    assert shown["held"] == "held: triggers; apply it with: restore-sync activate --target t"
