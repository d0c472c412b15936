"""`restore-sync demo`: a table with every setting restored in the sandbox, and restore-sync making it whole.

One process: the local AWS, the app deployed from template.yaml, a source table `orders` with every setting the
app copies and some items, a point-in-time restore to `orders-restored` that stays CREATING for a while, the
execution the restore event starts followed state by state, its report, and a comparison of source and
target read through the settings' own `read`. On the virtual clock (the default) the waits take no wall time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from restore_sync.aws import Aws, TableRef
from restore_sync.history.store import History
from restore_sync.settings import REGISTRY, Retarget
from restore_sync.settings.document import describe
from restore_sync_sandbox.cli import SERVE_LIMIT_SECONDS, app_root, deploy, quiet, stopped_by_signals
from restore_sync_sandbox.examples import RECOVERY_PERIOD_DAYS, TAGS, count_items, make_full_source
from restore_sync_sandbox.extensions import dynamodb_restore
from restore_sync_sandbox.server import Sandbox
from restore_sync_tools import doctor
from restore_sync_tools.console import graph, server
from restore_sync_tools.errors import UserError
from restore_sync_tools.executions import DEFAULT_STACK_NAME, follow, report_of, session, wait_for_execution_of
from restore_sync_tools.render import brief, report_summary, table

SOURCE = "orders"
TARGET = "orders-restored"
ITEMS = 25
# More than one page of ListTagsOfResource (10 a page), so reading tags must follow the pages.
# Wall time the demo may take before it gives up on the execution.
FOLLOW_LIMIT_VIRTUAL_SECONDS = 120.0
FOLLOW_LIMIT_REAL_EXTRA_SECONDS = 900.0


@dataclass
class _Console:
    """The console the demo serves, when asked for one: opened once the app is deployed."""

    port: int
    stack: ExitStack
    url: str | None = None


def run(
    restore_seconds: float = 300.0,
    real_clock: bool = False,
    show: Callable[[str], None] = print,
    console_port: int | None = None,
    stop: threading.Event | None = None,
    root: Path | None = None,
) -> int:
    """Runs the demo; returns 0 only if the execution succeeded, every setting of the target matches the
    source, and both tables hold the same number of items. With `console_port` (0: any free port) the console
    serves the sandbox from the deployment on and stays open after the demo until `stop` is set (Ctrl-C or
    SIGTERM set it when this runs in the main thread). `root` is the folder of the template to deploy (default:
    the app's)."""
    began = time.monotonic()
    root = root or app_root()
    if console_port is not None:
        try:
            graph.dot_command()
        except graph.GraphvizMissing as error:
            raise UserError(str(error)) from error
    with quiet(), Sandbox(virtual=not real_clock) as sandbox, ExitStack() as stack:
        console = _Console(console_port, stack) if console_port is not None else None
        # One process holds one AWS: start from an empty one, whatever ran before in this process.
        sandbox.reset()
        try:
            healthy = _run(sandbox, root, restore_seconds, real_clock, show, console)
        finally:
            dynamodb_restore.reset()
        show("")
        show(f"demo {'passed' if healthy else 'FAILED'} in {time.monotonic() - began:.1f} s of wall time")
        if console is not None and console.url:
            show(f"the console stays open at {console.url} (the sandbox too); Ctrl-C stops both")
            stop = stop or threading.Event()
            with stopped_by_signals(stop):
                for _ in range(SERVE_LIMIT_SECONDS):
                    if stop.wait(1.0):
                        break
    return 0 if healthy else 1


def _open_console(sandbox: Sandbox, machine_arn: str, console: _Console) -> str:
    watched = server.Console(sandbox.client("stepfunctions"), machine_arn, description="the demo's local AWS")
    try:
        listening = server.listen(watched, port=console.port)
    except OSError as error:
        raise UserError(
            f"cannot listen on {server.HOST}:{console.port}: {error.strerror} (choose another with --console PORT)"
        ) from error
    console.url = console.stack.enter_context(server.serving(listening))
    return console.url


def _run(
    sandbox: Sandbox,
    root: Any,
    restore_seconds: float,
    real_clock: bool,
    show: Callable[[str], None],
    console: _Console | None = None,
) -> bool:
    clock_kind = "real clock" if real_clock else "virtual clock: waits take no wall time"
    show(f"local AWS at {sandbox.endpoint_url} ({clock_kind})")
    ddb = sandbox.client("dynamodb")
    make_full_source(lambda service: sandbox.client(service), SOURCE, ITEMS)
    show(
        f"source table {SOURCE}: provisioned, 2 GSIs, {len(TAGS)} tags, stream with 3 Lambda triggers (one disabled, "
        f"one filtered), TTL, PITR ({RECOVERY_PERIOD_DAYS}-day recovery period), deletion protection, "
        "a Kinesis destination, auto scaling on the table and both indexes, contributor insights, 2 alarms, "
        f"a resource policy, the infrequent-access table class, {ITEMS} items"
    )
    # Deployed after the table exists, as usual: the deployment's first snapshot starts the table's history.
    outputs = deploy(sandbox, root)
    history = History(ddb, outputs["SettingsHistoryTableName"], retention_days=1)
    recorded = history.pointer(TableRef(SOURCE, sandbox.region, sandbox.account_id).arn) is not None
    show(
        f"app deployed from {root / 'template.yaml'} as stack restore-sync; its settings history "
        + (f"recorded {SOURCE}" if recorded else f"has NO version of {SOURCE} (its first snapshot failed)")
    )
    show("")
    show("restore-sync doctor (what the deployment needs and no test can see):")
    checks = doctor.gather(session(region=sandbox.region), DEFAULT_STACK_NAME, now=sandbox.clock.now)
    for line in doctor.rows(checks):
        show(f"  {line}")
    show("")
    if console is not None:
        show(f"console: open {_open_console(sandbox, outputs['StateMachineArn'], console)} (read-only)")

    dynamodb_restore.set_ready_after(TARGET, sandbox.region, restore_seconds)
    restored_at = sandbox.clock.now()
    ddb.restore_table_to_point_in_time(SourceTableName=SOURCE, TargetTableName=TARGET, UseLatestRestorableTime=True)
    show(f"restore requested: {SOURCE} -> {TARGET} (it stays CREATING for {restore_seconds:g} s)")
    show("")

    sfn = sandbox.client("stepfunctions")
    execution = wait_for_execution_of(sfn, outputs["StateMachineArn"], TARGET, interval=0.05)
    show(f"the restore event started {execution['executionArn']}")
    if console is not None and console.url:
        show(f"watch it in the console: {server.page_url(console.url, execution['executionArn'])}")
    show("time since the restore, state, what happened:")
    limit = FOLLOW_LIMIT_REAL_EXTRA_SECONDS + restore_seconds if real_clock else FOLLOW_LIMIT_VIRTUAL_SECONDS
    described = follow(
        sfn,
        execution["executionArn"],
        show,
        since=restored_at,
        poll_first=0.05,
        poll_cap=1.0 if real_clock else 0.2,
        limit_seconds=limit,
    )
    succeeded = described["status"] == "SUCCEEDED"

    report = report_of(sfn, described)
    show("")
    show(f"report (outcome: {report.get('outcome') if report else 'none'}):")
    for line in report_summary(report or {}):
        show(f"  {line}")

    settings = list((report or {}).get("settings") or REGISTRY)
    matches = compare(sandbox.region, sandbox.account_id, settings, show)
    source_items, target_items = count_items(ddb, SOURCE), count_items(ddb, TARGET)
    show("")
    show(f"items: {source_items} in {SOURCE}, {target_items} in {TARGET}")
    same_items = source_items == target_items
    show("")
    show(
        f"execution {described['status']}; settings {'all match' if matches else 'DIFFER'}; "
        f"item counts {'equal' if same_items else 'DIFFER'}; the history {'has' if recorded else 'LACKS'} {SOURCE}"
    )
    return recorded and succeeded and matches and same_items


def compare(
    region: str,
    account: str,
    settings: list[str],
    show: Callable[[str], None],
    *,
    source_name: str = SOURCE,
    target_name: str = TARGET,
    aws: Aws | None = None,
) -> bool:
    """Reads every setting of source and target with the setting's own `read`; shows them side by side. The
    source's state is first retargeted (alarm names, ARNs in the policy) and resolved against the target (its
    stream's ARN) as the workflow does. `aws` carries
    the credentials and endpoint (default: the environment's); the scenario of `make test-aws` passes its own."""
    aws = aws or Aws(region=region)
    source, target = TableRef(source_name, region, account), TableRef(target_name, region, account)
    retarget = Retarget(source=source, target=target, target_table=describe(aws, target))
    rows: list[tuple[str, ...]] = [("setting", "same", source_name, target_name)]
    all_match = True
    for name in settings:
        setting = REGISTRY[name]
        wanted = setting.resolve(aws, target, setting.wanted(setting.read(aws, source), retarget))
        found = setting.read(aws, target)
        same = wanted == found
        all_match = all_match and same
        rows.append((name, "yes" if same else "NO", brief(wanted, 48), brief(found, 48)))
    show("")
    show("source vs target, read back from both tables:")
    for line in table(rows):
        show(f"  {line}")
    return all_match
