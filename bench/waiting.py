"""The wait loop measured on the real definition: restores of chosen durations, on the sandbox's virtual clock.

For each duration the restored table stays CREATING that long; the deployed state machine (default
parameters) polls it. The figures come from the execution history: poll times, detection lag (from the moment
the table became ACTIVE to the poll that saw it), state transitions and history events.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from restore_sync.cli import execution_target, new_events
from restore_sync_sandbox import examples
from restore_sync_sandbox.deploy import deploy_app
from restore_sync_sandbox.extensions import dynamodb_restore
from restore_sync_sandbox.server import Sandbox

ROOT = Path(__file__).resolve().parents[1]
DURATIONS = {"1 min": 60, "10 min": 600, "1 h": 3600, "6 h": 6 * 3600, "24 h": 24 * 3600}
RUNS_PER_DURATION = 3
# Standard workflows cost $0.025 per 1,000 state transitions.
PRICE_PER_TRANSITION = 0.025 / 1000
POLL_STATE = "Check target table"
_WAIT_ATTEMPTS = 6000


@dataclass
class Run:
    duration: int
    poll_offsets: list[float]
    lag: float
    transitions: int
    events: int
    wall: float


def _finished(sandbox: Sandbox, state_machine: str, target: str) -> dict[str, Any]:
    sfn = sandbox.client("stepfunctions")
    for _ in range(_WAIT_ATTEMPTS):
        for summary in sfn.list_executions(stateMachineArn=state_machine)["executions"]:
            described = sfn.describe_execution(executionArn=summary["executionArn"])
            if execution_target(json.loads(described["input"])) == target and described["status"] != "RUNNING":
                return dict(described)
        time.sleep(0.02)
    raise RuntimeError(f"no finished execution for {target}")


def measure(sandbox: Sandbox, state_machine: str, duration: int, run: int) -> Run:
    """One restore of `duration` seconds, followed to the end; figures read from its history."""
    target = f"wait-{duration}-{run}"
    dynamodb_restore.set_ready_after(target, sandbox.region, duration)
    started = time.perf_counter()
    restored_at = sandbox.clock.time()
    sandbox.client("dynamodb").restore_table_to_point_in_time(
        SourceTableName="bench-source", TargetTableName=target, UseLatestRestorableTime=True
    )
    execution = _finished(sandbox, state_machine, target)
    wall = time.perf_counter() - started
    if execution["status"] != "SUCCEEDED":
        raise RuntimeError(f"{target}: {execution['status']} {execution.get('cause')}")
    events = new_events(sandbox.client("stepfunctions"), execution["executionArn"], after_id=0)
    polls = [
        _seconds(e["timestamp"]) - restored_at
        for e in events
        if e["type"] == "TaskStateEntered" and e["stateEnteredEventDetails"]["name"] == POLL_STATE
    ]
    return Run(
        duration=duration,
        poll_offsets=polls,
        lag=polls[-1] - duration,
        transitions=sum(1 for e in events if e["type"].endswith("StateEntered")),
        events=len(events),
        wall=wall,
    )


def _seconds(timestamp: datetime) -> float:
    return timestamp.timestamp()


def run_all() -> list[Run]:
    runs = []
    with Sandbox(virtual=True) as sandbox:
        # moto's state belongs to the process: start from an empty AWS whatever ran before.
        sandbox.reset()
        outputs = deploy_app(sandbox, ROOT / "template.yaml")
        examples.make_source(sandbox.client("dynamodb"), "bench-source", items=10)
        for duration in DURATIONS.values():
            for run in range(RUNS_PER_DURATION):
                runs.append(measure(sandbox, outputs["StateMachineArn"], duration, run))
    return runs


def report(runs: list[Run]) -> str:
    lines = [
        "Waiting for a restored table: default backoff, the real definition, the virtual clock, "
        f"{RUNS_PER_DURATION} runs per duration",
        f"{'restore':>8} {'polls':>6} {'lag median':>11} {'lag worst':>10} {'transitions':>12} {'events':>7}"
        f" {'cost':>9}  first poll times (s after the restore call)",
    ]
    for label, duration in DURATIONS.items():
        mine = [r for r in runs if r.duration == duration]
        lags = [r.lag for r in mine]
        first = mine[0]
        times = ", ".join(f"{t:.0f}" for t in first.poll_offsets[:8])
        more = f" ... ({len(first.poll_offsets)} polls)" if len(first.poll_offsets) > 8 else ""
        lines.append(
            f"{label:>8} {statistics.median(len(r.poll_offsets) for r in mine):>6.0f}"
            f" {statistics.median(lags):>10.0f}s {max(lags):>9.0f}s"
            f" {statistics.median(r.transitions for r in mine):>12.0f}"
            f" {statistics.median(r.events for r in mine):>7.0f}"
            f" ${statistics.median(r.transitions for r in mine) * PRICE_PER_TRANSITION:>8.4f}  {times}{more}"
        )
    lines.append(f"wall time of the {len(runs)} runs: {sum(r.wall for r in runs):.1f} s")
    return "\n".join(lines)


def main() -> None:
    # The in-process handlers log to stdout as they would to CloudWatch; only the figures belong here.
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        runs = run_all()
    print(report(runs))


if __name__ == "__main__":
    main()
