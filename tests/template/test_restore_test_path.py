"""An AWS Backup restore test's path through the workflow: validated and reported, never into a governance stack."""

from __future__ import annotations

from typing import Any

from restore_sync_tools import workflow
from tests.template.test_asl import reachable

RESTORE_TEST = {"Variable": "$.request.restoreTest", "IsPresent": True, "Next": workflow.VALIDATE_RESTORE_TEST}


def test_a_restore_test_is_validated_before_the_dry_run_rule_ends_it(asl: dict[str, Any]) -> None:
    choices = asl["States"][workflow.IS_DRY_RUN]["Choices"]
    assert choices[0] == RESTORE_TEST
    assert choices[1]["Variable"] == "$.request.dryRun"


def test_a_restore_test_that_failed_before_its_validation_is_still_validated(asl: dict[str, Any]) -> None:
    states = asl["States"]
    for step in (workflow.CHECK_TARGET, workflow.READ_SOURCE, workflow.PLAN):
        assert [catcher["Next"] for catcher in states[step]["Catch"]] == [workflow.WAS_RESTORE_TEST], step
    was = states[workflow.WAS_RESTORE_TEST]
    assert (was["Choices"], was["Default"]) == ([RESTORE_TEST], workflow.BUILD_REPORT)


def test_the_validation_leads_to_the_report_and_never_to_a_governance_stack(asl: dict[str, Any]) -> None:
    states = asl["States"]
    validate = states[workflow.VALIDATE_RESTORE_TEST]
    assert (validate["Next"], validate["ResultPath"]) == (workflow.BUILD_REPORT, "$.validation")
    assert [catcher["Next"] for catcher in validate["Catch"]] == [workflow.BUILD_REPORT]
    # Within one pass: a redrive of a failed restore test goes round again from the start, as a restore test again.
    one_pass = {name: state for name, state in states.items() if name != workflow.SYNC_FAILED}
    after = reachable(one_pass, workflow.VALIDATE_RESTORE_TEST)
    assert workflow.BUILD_REPORT in after
    assert not after & {workflow.IMPORT, workflow.APPLY_SETTINGS, workflow.VERIFY}
