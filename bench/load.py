"""Load: 50 restores at once (AWS's limit of concurrent restores per account), all made whole.

Every restore of one source (with every setting) starts its own execution through the deployed rule; they run
side by side in the sandbox. Printed: the wall time until all have finished, how many succeeded, the retries
their histories absorbed, and whether every target matches its source and holds its items.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any

from restore_sync.aws import Aws, TableRef
from restore_sync.settings import NAMES, REGISTRY, Retarget
from restore_sync.settings.document import describe
from restore_sync_sandbox import examples, fault_spec
from restore_sync_sandbox.deploy import deploy_app
from restore_sync_sandbox.extensions import dynamodb_restore, fault_injection
from restore_sync_sandbox.server import Sandbox
from restore_sync_tools import workflow
from restore_sync_tools.executions import execution_target, new_events

ROOT = Path(__file__).resolve().parents[1]
RESTORES = 50
SOURCE = "load-source"
ITEMS = 10
# Long enough to keep the restores waiting side by side; the clock is virtual, so it costs no wall time.
RESTORE_SECONDS = 900
# Throttling as AWS sheds load; the SDK absorbs most, Step Functions the throttled invocations.
FAULTS = (
    "lambda:Invoke:throttle:p=0.02:seed=7, dynamodb:*:throttle:p=0.01:seed=7, cloudformation:*:throttle:p=0.01:seed=7"
)
_POLLS = 12_000


def _finished(sandbox: Sandbox, state_machine: str) -> list[dict[str, Any]]:
    sfn = sandbox.client("stepfunctions")
    for _ in range(_POLLS):
        listed = []
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine):
            listed += page["executions"]
        if len(listed) >= RESTORES and all(e["status"] != "RUNNING" for e in listed):
            return [sfn.describe_execution(executionArn=e["executionArn"]) for e in listed]
        time.sleep(0.05)
    raise RuntimeError("the restores did not all finish")


def _retries(sandbox: Sandbox, execution_arn: str) -> int:
    """Failed attempts that a Retry absorbed: every failure event of a task the execution got past."""
    events = new_events(sandbox.client("stepfunctions"), execution_arn, after_id=0)
    return sum(1 for e in events if e["type"] in workflow.FAILURES)


def _whole(sandbox: Sandbox, target: str) -> bool:
    aws = Aws(region=sandbox.region)
    source_ref, target_ref = (TableRef(t, sandbox.region, examples.ACCOUNT) for t in (SOURCE, target))
    retarget = Retarget(source=source_ref, target=target_ref, target_table=describe(aws, target_ref))
    for name in NAMES:
        setting = REGISTRY[name]
        if setting.wanted(setting.read(aws, source_ref), retarget) != setting.read(aws, target_ref):
            return False
    return examples.count_items(sandbox.client("dynamodb"), target) == ITEMS


def run() -> dict[str, Any]:
    with Sandbox(virtual=True) as sandbox:
        sandbox.reset()
        outputs = deploy_app(sandbox, ROOT / "template.yaml")
        examples.make_full_source(lambda service: sandbox.client(service), SOURCE, ITEMS)
        ddb = sandbox.client("dynamodb")
        fault_injection.configure(fault_spec.parse(FAULTS))
        started = time.perf_counter()
        for n in range(RESTORES):
            target = f"{SOURCE}-{n:02d}"
            dynamodb_restore.set_ready_after(target, sandbox.region, RESTORE_SECONDS)
            ddb.restore_table_to_point_in_time(
                SourceTableName=SOURCE, TargetTableName=target, UseLatestRestorableTime=True
            )
        executions = _finished(sandbox, outputs["StateMachineArn"])
        wall = time.perf_counter() - started
        faults = sum(counts.injected for counts in fault_injection.injected())
        fault_injection.reset()
        targets = [execution_target(json.loads(e["input"])) for e in executions]
        return {
            "wall": wall,
            "succeeded": sum(e["status"] == "SUCCEEDED" for e in executions),
            "retries": sum(_retries(sandbox, e["executionArn"]) for e in executions),
            "faults": faults,
            "whole": sum(_whole(sandbox, str(t)) for t in targets),
        }


def main() -> None:
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        figures = run()
    print(
        f"Load: {RESTORES} restores at once of a table with every setting, each CREATING {RESTORE_SECONDS} s "
        f"(virtual clock): {figures['succeeded']}/{RESTORES} succeeded, {figures['whole']}/{RESTORES} whole "
        f"(settings and items); {figures['faults']} throttling faults injected ({FAULTS}), "
        f"{figures['retries']} of them retried by Step Functions, the rest by the SDK; 0 items lost; "
        f"wall time {figures['wall']:.1f} s"
    )


if __name__ == "__main__":
    main()
