"""The workflow's names the tools read (restore_sync_tools.workflow) are the definition's states, and event types
that Step Functions' own model of the service lists."""

from __future__ import annotations

from typing import Any

import botocore.session

from restore_sync_tools import workflow
from tests.template.test_asl import scopes


def test_the_state_names_are_the_definitions_in_its_order(asl: dict[str, Any]) -> None:
    defined = [name for _, scope in scopes(asl) for name in scope["States"]]
    assert sorted(workflow.STATES) == sorted(defined), "a state was renamed, added or removed: update workflow.py"
    assert len(set(workflow.STATES)) == len(workflow.STATES)


def test_the_wait_loop_is_a_check_a_choice_and_a_wait_that_lead_to_each_other(asl: dict[str, Any]) -> None:
    check, choice, wait = (asl["States"][name] for name in workflow.WAIT_LOOP)
    assert (check["Type"], choice["Type"], wait["Type"]) == ("Task", "Choice", "Wait")
    assert check["Next"] == workflow.IS_TARGET_READY
    assert choice["Default"] == workflow.WAIT
    assert wait["Next"] == workflow.CHECK_TARGET


def test_every_event_type_is_one_step_functions_defines() -> None:
    model = botocore.session.get_session().get_service_model("stepfunctions")
    defined = set(model.shape_for("HistoryEventType").enum)
    assert workflow.EVENT_TYPES - defined == set()
    assert set(workflow.ENDS.values()) <= set(model.shape_for("ExecutionStatus").enum)
    # The suffixes the tools match on name a state-entered and a state-exited event of every state type.
    for kind in ("Task", "Choice", "Wait", "Pass", "Map", "Succeed"):
        assert f"{kind}{workflow.STATE_ENTERED}" in defined
        assert f"{kind}{workflow.STATE_EXITED}" in defined


def test_every_failure_of_a_task_attempt_is_counted_as_one() -> None:
    model = botocore.session.get_session().get_service_model("stepfunctions")
    defined = set(model.shape_for("HistoryEventType").enum)
    task_failures = {e for e in defined if e.startswith(("LambdaFunction", "Task", "Activity")) and "Fail" in e}
    timeouts = {e for e in defined if e.startswith(("LambdaFunction", "Task", "Activity")) and e.endswith("TimedOut")}
    assert task_failures | timeouts <= workflow.FAILURES
