"""The end of a failed sync: the execution fails with the report's error, unless a redrive came since the pass began."""

from __future__ import annotations

import pytest

from restore_sync.errors import RestoreSyncError
from restore_sync.workflow.redrive import SyncFailed, fail_unless_redriven, sync_failure


def test_a_pass_that_was_not_redriven_fails_with_the_reports_error_and_cause() -> None:
    with pytest.raises(SyncFailed) as failed:
        fail_unless_redriven(error="SettingsFailed", cause="kinesis: no stream", pass_redrive_count=0, redrive_count=0)
    # Lambda reports the class name as the error type: Step Functions' Error is the report's.
    assert type(failed.value).__name__ == "SettingsFailed"
    assert str(failed.value) == "kinesis: no stream"
    assert isinstance(failed.value, RestoreSyncError)


def test_a_redrive_since_the_pass_began_lets_the_workflow_go_round_again() -> None:
    assert fail_unless_redriven(error="DriftFound", cause="ttl", pass_redrive_count=0, redrive_count=1) is None


def test_a_pass_begun_after_the_redrive_fails_again() -> None:
    with pytest.raises(SyncFailed) as failed:
        fail_unless_redriven(error="DriftFound", cause="ttl", pass_redrive_count=1, redrive_count=1)
    assert type(failed.value).__name__ == "DriftFound"


def test_any_error_name_the_report_gives_becomes_the_class_name() -> None:
    for name in ("States.Timeout", "TableClaimedByStack", "ReportFailed"):
        assert type(sync_failure(name, "why")).__name__ == name
