"""The wait loop measured on the real definition: restores of chosen durations, on the sandbox's virtual clock.

For each duration the restored table stays CREATING that long; the deployed state machine (template.yaml and
its ASL, default parameters) polls it, its Wait states advancing the virtual clock. Every figure of ours comes
from the execution history: poll times (each "Check target table" entered), detection lag (the poll that saw
the table ACTIVE, less the moment it became ACTIVE), state transitions, Lambda invocations and history events.
One more restore never becomes ACTIVE: when the execution gives up is read from its history too.
The original solution's schedule is simulated from its published design (bench/original.py) for comparison.
The jitter is random: each run of ours reseeds the process's generator, which the in-process functions draw
from (so do parts of moto, so a seed names a run rather than reproducing it exactly).
"""

from __future__ import annotations

import bisect
import contextlib
import multiprocessing
import os
import random
import statistics
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench import original
from restore_sync.workflow.backoff import Backoff, schedule
from restore_sync_sandbox import examples
from restore_sync_sandbox.deploy import deploy_app
from restore_sync_sandbox.extensions import dynamodb_restore
from restore_sync_sandbox.server import Sandbox
from restore_sync_tools import workflow
from restore_sync_tools.executions import finished_executions_of, new_events

ROOT = Path(__file__).resolve().parents[1]
PLOT = ROOT / "docs" / "waiting-lag.png"
DURATIONS = {"1 min": 60, "5 min": 300, "30 min": 1800, "1 h": 3600, "6 h": 6 * 3600, "24 h": 24 * 3600}
# Runs of the real definition per duration. A run costs wall time in proportion to its checks (30-60 ms
# each), so the long restores, which dominate (with the restore that never finishes), get fewer seeds; about
# 3,700 checks in all keep `make bench` within a few minutes on 2 cores.
SEEDS = {60: 20, 300: 20, 1800: 12, 3600: 10, 6 * 3600: 5, 24 * 3600: 3}
# Two processes, one sandbox each, on this 2-core machine: the runs are independent.
WORKERS = max(1, min(2, os.cpu_count() or 1))
ORIGINAL_SEEDS = 2000
PLOT_ORIGINAL_SEEDS = 500
# CloudTrail's eventTime, from which the horizon is measured, has whole seconds: the loop may give up up to a
# second before the horizon counted from the restore call itself.
EVENT_TIME_RESOLUTION_SECONDS = 1.0
DEFAULTS = Backoff()

# Targets (docs/waiting.md).
LAG_FLOOR_SECONDS = 30
LAG_SHARE = 0.10
DAY_EVENTS_TARGET = 5000
HISTORY_EVENTS_LIMIT = 25_000

# Prices in us-east-1: Standard workflows $0.025 per 1,000 state transitions; Lambda $0.20 per million
# requests; SQS $0.40 per million requests. Lambda compute time is left out: it is about the same per check
# in both designs.
PRICE_PER_TRANSITION = 0.025 / 1000
PRICE_PER_INVOCATION = 0.20 / 1_000_000
PRICE_PER_SQS_REQUEST = 0.40 / 1_000_000

POLL_STATE = workflow.CHECK_TARGET
LOOP_STATES = workflow.WAIT_LOOP
RUN_TIMEOUT_SECONDS = 600.0


def lag_target(duration: float) -> float:
    """Detection lag allowed for a restore of `duration` seconds: max(30 s, 10%), never above the cap."""
    return min(max(LAG_FLOOR_SECONDS, LAG_SHARE * duration), DEFAULTS.cap_seconds)


@dataclass
class Run:
    """One execution of the real definition, as its history tells it."""

    duration: float
    status: str
    poll_offsets: list[float]
    transitions: int
    loop_transitions: int
    invocations: int
    check_invocations: int
    events: int
    wall: float

    @property
    def lag(self) -> float:
        return self.poll_offsets[-1] - self.duration

    @property
    def wait_cost(self) -> float:
        return self.loop_transitions * PRICE_PER_TRANSITION + self.check_invocations * PRICE_PER_INVOCATION

    @property
    def cost(self) -> float:
        return self.transitions * PRICE_PER_TRANSITION + self.invocations * PRICE_PER_INVOCATION


def measure(sandbox: Sandbox, state_machine: str, duration: float, seed: int) -> Run:
    """One restore that becomes ACTIVE `duration` seconds after the restore call, followed to the end."""
    target = f"wait-{duration:.0f}-{seed}"
    random.seed(seed)
    dynamodb_restore.set_ready_after(target, sandbox.region, duration)
    started = time.perf_counter()
    restored_at = sandbox.clock.time()
    sandbox.client("dynamodb").restore_table_to_point_in_time(
        SourceTableName="bench-source", TargetTableName=target, UseLatestRestorableTime=True
    )
    [execution] = finished_executions_of(
        sandbox.client("stepfunctions"), state_machine, target, limit_seconds=RUN_TIMEOUT_SECONDS, interval=0.1
    )
    wall = time.perf_counter() - started
    events = new_events(sandbox.client("stepfunctions"), execution["executionArn"], after_id=0)
    entered = [e for e in events if e["type"].endswith(workflow.STATE_ENTERED)]
    polls = [
        e["timestamp"].timestamp() - restored_at for e in entered if e["stateEnteredEventDetails"]["name"] == POLL_STATE
    ]
    run = Run(
        duration=duration,
        status=execution["status"],
        poll_offsets=polls,
        transitions=len(entered),
        loop_transitions=sum(1 for e in entered if e["stateEnteredEventDetails"]["name"] in LOOP_STATES),
        invocations=sum(1 for e in events if e["type"] == workflow.LAMBDA_SCHEDULED),
        check_invocations=len(polls),
        events=len(events),
        wall=wall,
    )
    if duration != float("inf"):
        if run.status != "SUCCEEDED":
            raise RuntimeError(f"{target}: {execution['status']} {execution.get('cause')}")
        # The poll that saw the table ACTIVE must be the first one after it became ACTIVE.
        if not (run.lag >= 0 and (len(polls) < 2 or polls[-2] < duration)):
            raise RuntimeError(f"{target}: polls {polls[-3:]} do not bracket the restore's end at {duration}")
    return run


NEVER = float("inf")


def _work(jobs: list[tuple[float, int]]) -> list[Run]:
    """Runs `jobs` (duration, seed) in order in one sandbox of this process, quietly."""
    runs = []
    # The in-process handlers log as they would to CloudWatch, and moto warns of what it lacks: only the
    # figures belong on the bench's output. A failure still reaches the caller as an exception.
    with contextlib.ExitStack() as stack:
        quiet = stack.enter_context(open(os.devnull, "w"))
        stack.enter_context(contextlib.redirect_stdout(quiet))
        stack.enter_context(contextlib.redirect_stderr(quiet))
        sandbox = stack.enter_context(Sandbox(virtual=True))
        # moto's state belongs to the process: start from an empty AWS whatever ran before.
        sandbox.reset()
        state_machine = deploy_app(sandbox, ROOT / "template.yaml")["StateMachineArn"]
        examples.make_source(sandbox.client("dynamodb"), "bench-source", items=10)
        for duration, seed in jobs:
            runs.append(measure(sandbox, state_machine, duration, seed))
    return runs


def run_ours(workers: int = WORKERS) -> tuple[list[Run], Run]:
    """Every run of the real definition, shared out between `workers` processes, each with its own sandbox."""
    jobs: list[tuple[float, int]] = [(d, seed) for d in DURATIONS.values() for seed in range(SEEDS[d])]
    jobs.append((NEVER, 0))
    # Balance the processes by the checks each run is expected to make (its wall time follows them).
    bins: list[list[tuple[float, int]]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for job in sorted(jobs, key=_expected_polls, reverse=True):
        lightest = loads.index(min(loads))
        bins[lightest].append(job)
        loads[lightest] += _expected_polls(job)
    if workers == 1:
        runs = _work(bins[0])
    else:
        # Spawned, not forked: the parent may hold threads (an earlier benchmark's sandbox).
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            runs = [run for part in pool.map(_work, [b for b in bins if b]) for run in part]
    never = next(r for r in runs if r.duration == NEVER)
    return sorted((r for r in runs if r.duration != NEVER), key=lambda r: r.duration), never


def _expected_polls(job: tuple[float, int]) -> int:
    # Only to share the work out: the schedule's checks up to the end of the restore, mid-range draws.
    times = schedule(DEFAULTS, lambda low, high: (low + high) / 2)
    return bisect.bisect_left(times, job[0]) + 1


@dataclass
class OriginalFigures:
    polls: float
    lag_median: float | None
    lag_worst: float | None
    missed: int
    wait_cost: float


def run_original(variant: original.Variant, duration: float, seeds: int = ORIGINAL_SEEDS) -> OriginalFigures:
    outcomes = [original.simulate(duration, variant, random.Random(seed)) for seed in range(seeds)]
    lags = [lag for o in outcomes if (lag := o.lag(duration)) is not None]
    cost = statistics.median(
        o.lambda_invocations * PRICE_PER_INVOCATION + o.sqs_requests * PRICE_PER_SQS_REQUEST for o in outcomes
    )
    return OriginalFigures(
        polls=statistics.median(len(o.checks) for o in outcomes),
        lag_median=statistics.median(lags) if lags else None,
        lag_worst=max(lags) if lags else None,
        missed=len(outcomes) - len(lags),
        wait_cost=cost,
    )


def _s(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.0f}s"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(runs: list[Run], never: Run) -> tuple[str, bool]:
    """The figures table and the verdict per target; True when every target of ours is met."""
    b = DEFAULTS
    lines = [
        "Waiting for a restored table: the real definition with default parameters "
        f"(first {b.first_seconds} s, {b.lag_percent}% of the time waited, cap {b.cap_seconds} s, jitter "
        f"{b.jitter_percent}%, horizon {b.horizon_seconds / 3600:.0f} h) on the virtual clock, against the "
        f"original solution's schedule simulated from its design ({ORIGINAL_SEEDS} seeds per duration).",
        "Columns: polls (median); detection lag median and worst over the seeds, checked against the lag target "
        "max(30 s, 10% of the duration), at most the cap; missed = restores never noticed (gave up first), "
        "checked against 0; transitions (median) and history events (worst, checked against 5,000 at 24 h) of "
        "the whole execution; cost per 1,000 restores, median: of the whole execution (transitions and Lambda "
        "requests), and of the wait alone (the loop's; for the original, Lambda and SQS requests).",
        f"{'restore':>7} {'design':<24} {'seeds':>5} {'polls':>5} {'lag med':>8} {'lag worst':>9} {'target':>7}"
        f" {'lag':>4} {'missed':>6} {'transitions':>11} {'events':>6} {'cost':>8} {'wait':>8}",
    ]
    ok = True
    for label, duration in DURATIONS.items():
        mine = [r for r in runs if r.duration == duration]
        lags = [r.lag for r in mine]
        lag_ok = max(lags) <= lag_target(duration)
        ok &= lag_ok
        lines.append(
            f"{label:>7} {'restore-sync':<24} {len(mine):>5}"
            f" {statistics.median(len(r.poll_offsets) for r in mine):>5.0f}"
            f" {_s(statistics.median(lags)):>8} {_s(max(lags)):>9} {_s(lag_target(duration)):>7}"
            f" {_verdict(lag_ok):>4} {0:>6} {statistics.median(r.transitions for r in mine):>11.0f}"
            f" {max(r.events for r in mine):>6} ${1000 * statistics.median(r.cost for r in mine):>7.2f}"
            f" ${1000 * statistics.median(r.wait_cost for r in mine):>7.2f}"
        )
        for variant in original.VARIANTS:
            o = run_original(variant, duration)
            lag_ok = o.missed == 0 and o.lag_worst is not None and o.lag_worst <= lag_target(duration)
            lines.append(
                f"{'':>7} {_short(variant):<24} {ORIGINAL_SEEDS:>5} {o.polls:>5.0f} {_s(o.lag_median):>8}"
                f" {_s(o.lag_worst):>9} {'':>7} {_verdict(lag_ok):>4} {o.missed:>6} {'-':>11} {'-':>6} {'-':>8}"
                f" ${1000 * o.wait_cost:>7.2f}"
            )
    lines.append("")
    day = [r for r in runs if r.duration == DURATIONS["24 h"]]
    gave_up = never.poll_offsets[-1]
    horizon_ok = (
        never.status == "FAILED"
        and gave_up >= b.horizon_seconds - EVENT_TIME_RESOLUTION_SECONDS
        and all(r.status == "SUCCEEDED" for r in runs)
    )
    events_ok = max(r.events for r in day) <= DAY_EVENTS_TARGET
    never_ok = never.events <= HISTORY_EVENTS_LIMIT
    ok &= horizon_ok and events_ok and never_ok
    lags_ok = all(max(r.lag for r in runs if r.duration == d) <= lag_target(d) for d in DURATIONS.values())
    lines += [
        f"Target: detection lag <= max(30 s, 10% of the duration) and <= {b.cap_seconds} s, every duration, every "
        f"seed: {_verdict(lags_ok)}",
        f"Target: never give up before the horizon ({b.horizon_seconds / 3600:.0f} h): every restore above "
        f"noticed; a restore never ACTIVE given up {gave_up:.1f} s after the call "
        f"({never.status}, {len(never.poll_offsets)} polls): {_verdict(horizon_ok)}",
        f"Target: history events of a 24-hour wait <= {DAY_EVENTS_TARGET}: worst "
        f"{max(r.events for r in day)} over {len(day)} seeds: {_verdict(events_ok)}",
        f"Limit: history events up to the {b.horizon_seconds / 3600:.0f} h horizon <= {HISTORY_EVENTS_LIMIT}: "
        f"{never.events} events, {never.transitions} transitions, ${never.cost:.4f} per restore: "
        f"{_verdict(never_ok)}",
    ]
    for variant in original.VARIANTS:
        times = sorted(original.give_up_times(variant, ORIGINAL_SEEDS))
        lines.append(
            f"{_short(variant)} gives up on a restore still running after {statistics.mean(times) / 3600:.2f} h "
            f"on average (p95 {times[int(0.95 * len(times))] / 3600:.2f} h, at most {times[-1] / 3600:.2f} h)"
        )
    lines.append(
        f"wall time of the {len(runs) + 1} runs of the real definition, added up over {WORKERS} processes: "
        f"{sum(r.wall for r in runs) + never.wall:.0f} s"
    )
    return "\n".join(lines), ok


def _short(variant: original.Variant) -> str:
    return "original, capped 900 s" if variant.capped else "original 2.0.0, uncapped"


def plot(runs: Sequence[Run], path: Path = PLOT) -> Path | None:
    """Detection lag against restore duration for both designs; None if matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    # A denser grid for the simulated original than the real definition's six durations.
    grid = [*(60 * 1.12**i for i in range(64)), 24 * 3600.0]
    fig, (lag_ax, miss_ax) = plt.subplots(2, 1, figsize=(8, 7.5), sharex=True, height_ratios=(3, 1.3))
    hours = [d / 3600 for d in grid]
    lag_ax.plot(hours, [lag_target(d) / 60 for d in grid], "k--", lw=1, label="target: max(30 s, 10%), capped at 300 s")
    colours = {False: "tab:red", True: "tab:orange"}
    for variant in original.VARIANTS:
        figures = [run_original(variant, d, PLOT_ORIGINAL_SEEDS) for d in grid]
        colour = colours[variant.capped]
        lag_ax.plot(
            hours,
            [f.lag_median / 60 if f.lag_median is not None else float("nan") for f in figures],
            color=colour,
            label=f"{_short(variant)}: median",
        )
        lag_ax.plot(
            hours,
            [f.lag_worst / 60 if f.lag_worst is not None else float("nan") for f in figures],
            ":",
            color=colour,
            label=f"{_short(variant)}: worst",
        )
        miss_ax.plot(
            hours, [100 * f.missed / PLOT_ORIGINAL_SEEDS for f in figures], color=colour, label=_short(variant)
        )
    measured = sorted({r.duration for r in runs})
    lag_ax.plot(
        [d / 3600 for d in measured],
        [statistics.median(r.lag for r in runs if r.duration == d) / 60 for d in measured],
        "o-",
        color="tab:blue",
        label="restore-sync (real definition): median",
    )
    lag_ax.plot(
        [d / 3600 for d in measured],
        [max(r.lag for r in runs if r.duration == d) / 60 for d in measured],
        "v:",
        color="tab:blue",
        label="restore-sync: worst",
    )
    miss_ax.plot([d / 3600 for d in measured], [0 for _ in measured], "o-", color="tab:blue", label="restore-sync")
    lag_ax.set_xscale("log")
    lag_ax.set_yscale("log")
    lag_ax.set_ylabel("detection lag (minutes)")
    lag_ax.set_title("Table ACTIVE to noticed, against the restore's duration")
    lag_ax.grid(True, which="both", alpha=0.3)
    lag_ax.legend(fontsize=7, loc="upper left")
    miss_ax.set_ylabel("never noticed (%)")
    miss_ax.set_xlabel("restore duration (hours, log scale)")
    miss_ax.set_xticks([1 / 60, 5 / 60, 0.5, 1, 6, 24], ["1 min", "5 min", "30 min", "1 h", "6 h", "24 h"])
    miss_ax.grid(True, which="both", alpha=0.3)
    miss_ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main() -> None:
    runs, never = run_ours()
    text, ok = report(runs, never)
    print(text)
    written = plot(runs)
    print(f"plot: {written.relative_to(ROOT)}" if written else "plot skipped: matplotlib is not installed")
    if not ok:
        raise SystemExit("the wait loop misses a target: see docs/waiting.md")


if __name__ == "__main__":
    main()
