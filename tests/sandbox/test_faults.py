"""Faults AWS really produces, injected in the sandbox: throttling and internal errors on every service the
workflow calls, and Lambda invocations that crash before or after doing their work. Each ends whole."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from restore_sync_sandbox import examples, fault_spec
from restore_sync_sandbox.extensions import dynamodb_restore, fault_injection
from restore_sync_sandbox.server import Sandbox
from tests.sandbox import app

pytestmark = pytest.mark.filterwarnings(r"ignore:Exception\(_InjectedError\):UserWarning")


@pytest.fixture(scope="module")
def deployed(sandbox: Sandbox) -> dict[str, str]:
    return app.deploy(sandbox)


@pytest.fixture
def faults() -> Iterator[None]:
    yield
    fault_injection.reset()


def function_name(sandbox: Sandbox, logical_id: str) -> str:
    resources = sandbox.client("cloudformation").list_stack_resources(StackName="restore-sync")
    [found] = [r for r in resources["StackResourceSummaries"] if r["LogicalResourceId"] == logical_id]
    return str(found["PhysicalResourceId"])


def restore(sandbox: Sandbox, source: str, target: str) -> None:
    dynamodb_restore.set_ready_after(target, sandbox.region, 300)
    sandbox.client("dynamodb").restore_table_to_point_in_time(
        SourceTableName=source, TargetTableName=target, UseLatestRestorableTime=True
    )


def test_throttling_and_internal_errors_everywhere_are_absorbed(
    sandbox: Sandbox, deployed: dict[str, str], faults: None
) -> None:
    examples.make_full_source(app.clients(sandbox), "noisy", items=9)
    fault_injection.configure(
        fault_spec.parse(
            "dynamodb:DescribeTable:throttle:times=2:after=2,"
            "dynamodb:*:internal:times=1:after=10,"
            "cloudformation:*:throttle:times=1,"
            "cloudformation:*:internal:times=1:after=6,"
            "lambda:Invoke:throttle:times=2,"
            "lambda:Invoke:internal:times=1:after=5,"
            "lambda:ListEventSourceMappings:throttle:times=1,"
            "application-autoscaling:*:throttle:times=1,"
            "cloudwatch:DescribeAlarms:internal:times=1"
        )
    )
    restore(sandbox, "noisy", "noisy-restored")

    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "noisy-restored")

    counts = fault_injection.injected()
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert all(c.injected > 0 for c in counts), [str(c.rule) for c in counts if c.injected == 0]
    report = json.loads(execution["output"])
    assert report["drift"] == []
    # The full source is provisioned: a maximum on-demand throughput does not apply.
    assert report["settings"]["on_demand_throughput"]["status"] == "skipped"
    # Not applicable to this source (on_demand_throughput), or opt-in (replicas): skipped.
    skipped = ("on_demand_throughput", "replicas")
    assert {e["status"] for name, e in report["settings"].items() if name not in skipped} == {"applied"}
    assert app.settings_of(sandbox, "noisy-restored") == app.wanted_on_target(sandbox, "noisy", "noisy-restored")
    assert app.item_count(sandbox, "noisy-restored") == 9
    events = app.history(sandbox, execution["executionArn"])
    assert any(e["type"] == "LambdaFunctionFailed" for e in events), "Step Functions retried the throttled invokes"


def test_a_step_that_crashes_after_doing_its_work_is_retried_without_doing_it_twice(
    sandbox: Sandbox, deployed: dict[str, str], faults: None
) -> None:
    examples.make_source(sandbox.client("dynamodb"), "crashy", 4)
    apply_function = function_name(sandbox, "ApplySettingFunction")
    import_function = function_name(sandbox, "ImportStackFunction")
    fault_injection.configure(
        fault_spec.parse(
            f"lambda:Invoke:crash:times=1:at=end:function={import_function},"
            f"lambda:Invoke:crash:times=1:after=1:at=end:function={apply_function},"
            f"lambda:Invoke:handler-timeout:times=1:after=3:function={apply_function}"
        )
    )
    restore(sandbox, "crashy", "crashy-restored")

    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "crashy-restored")

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert [c.injected for c in fault_injection.injected()] == [1, 1, 1]
    events = app.history(sandbox, execution["executionArn"])
    failures = [e for e in events if e["type"] == "LambdaFunctionFailed"]
    assert [e["lambdaFunctionFailedEventDetails"]["error"] for e in failures] == ["Lambda.Unknown"] * 3
    report = json.loads(execution["output"])
    # The stream's change set ran before the crash lost its answer; the retry found it in the stack.
    assert report["settings"]["stream"] == {"status": "unchanged", "reason": "already in the stack"}
    assert app.settings_of(sandbox, "crashy-restored") == app.settings_of(sandbox, "crashy")
    stack = report["stack"]
    stack_events = sandbox.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    assert stack_events[0]["StackStatus"] == "UPDATE_COMPLETE"
    assert app.item_count(sandbox, "crashy-restored") == 4
