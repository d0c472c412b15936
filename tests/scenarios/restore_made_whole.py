"""The scenario: a source table with a few settings, the app deployed, a point-in-time restore, the execution it
starts, the target read back setting by setting, and everything it made deleted, whatever happened.

Written once against `Target`: `make test` runs it against the sandbox, `make test-aws` against a real account.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from restore_sync.aws import Aws, error_code
from restore_sync.settings import NAMES
from restore_sync_sandbox import examples
from restore_sync_sandbox.demo import compare
from restore_sync_tools import doctor
from restore_sync_tools.executions import follow, report_of, wait_for_execution_of
from restore_sync_tools.render import report_summary
from tests.scenarios.target import Budget, Target

ITEMS = 20
TAGS = {"app": "restore-sync-test", "team": "payments", "purpose": "restore-sync make test-aws"}
TTL_ATTRIBUTE = "expiresAt"  # examples.put_items writes it (in 2100: nothing expires during the run)
# An execution that cannot finish gives up after 6 hours, not the default 48 (a restore of this table takes
# minutes); the checks of the table stay as deployed by default (every 30 s at first, then 10% of the wait).
APP_PARAMETERS = {"HorizonHours": "6"}
# CreateTable -> UpdateContinuousBackups: AWS refuses for a short while after a table is created.
BACKUPS_NOT_YET = "ContinuousBackupsUnavailableException"


class ScenarioFailed(AssertionError):
    """The run ended, but the target was not made whole; each problem is one line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class Refused(RuntimeError):
    """The run would be pointless, and nothing was created: the message says what to fix."""


class CleanupFailed(RuntimeError):
    """Something the scenario made could not be deleted: each line names it and says why."""


@dataclass(frozen=True)
class Names:
    """Every name the scenario creates, derived from one random suffix, so concurrent runs never collide."""

    stack: str
    source: str
    target: str

    @classmethod
    def fresh(cls, suffix: str | None = None) -> Names:
        stack = f"restore-sync-test-{suffix or secrets.token_hex(4)}"
        return cls(stack=stack, source=f"{stack}-orders", target=f"{stack}-orders-restored")


@dataclass(frozen=True)
class Deletion:
    """One cleanup step: what, and `None` when it went (or was never there), else why it is still there."""

    what: str
    error: str | None = None
    detail: str = ""

    def line(self) -> str:
        if self.error is None:
            return f"ok      {self.what}{f' ({self.detail})' if self.detail else ''}"
        return f"FAILED  {self.what}: {self.error}"


@dataclass
class Result:
    """What a passing run saw: the execution's report, and what the cleanup did."""

    execution: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    items: tuple[int, int] = (0, 0)
    deletions: list[Deletion] = field(default_factory=list)


@dataclass
class _Found:
    """What cleanup must know that only the run learns: the governance stack the report names, and what the app
    stack leaves behind when deleted (its Retain table, its functions' log groups), read before deleting it."""

    governance_stacks: set[str] = field(default_factory=set)
    state_machines: set[str] = field(default_factory=set)
    retained_tables: set[str] = field(default_factory=set)
    retained_buckets: set[str] = field(default_factory=set)
    log_groups: set[str] = field(default_factory=set)


def run(
    target: Target,
    names: Names | None = None,
    show: Callable[[str], None] = print,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
) -> Result:
    """Runs the scenario against `target`; returns what it saw when the target was made whole. Raises
    ScenarioFailed when it was not, Refused before creating anything when the region has no trail restore-sync
    could hear the restore through, and any other error as it happened. Once anything was created, everything is
    deleted in `finally` (each deletion attempted on its own and shown), and CleanupFailed is raised (or added
    as a note to the error in flight) when something is left."""
    names = names or Names.fresh()
    result, found = Result(), _Found()
    show(f"{target.description}: stack {names.stack}, tables {names.source} and {names.target}")
    _preflight(target)
    failure: BaseException | None = None
    try:
        _run(target, names, result, found, show, now, sleep)
    except BaseException as error:  # Ctrl-C too: the cleanup below runs, and the error goes on
        failure = error
        raise
    finally:
        left = _cleanup(target, names, found, show, sleep, result)
        if left and failure is not None:
            failure.add_note(f"left behind, delete by hand: {'; '.join(left)}")
        elif left:
            raise CleanupFailed(f"left behind, delete by hand: {'; '.join(left)}")
    return result


def _preflight(target: Target) -> None:
    """Refuses before anything is created when no trail would tell EventBridge of the restore (the doctor's check)."""
    check = doctor.trail_check(target.region, doctor.trail_answers(target.session.client("cloudtrail")))
    if check.verdict == "fail":
        raise Refused(f"restore-sync could never notice the restore in {target.region}: {check.detail}")


def _run(
    target: Target,
    names: Names,
    result: Result,
    found: _Found,
    show: Callable[[str], None],
    now: Callable[[], datetime],
    sleep: Callable[[float], None],
) -> None:
    budget, session = target.budget, target.session
    ddb, sfn = session.client("dynamodb"), session.client("stepfunctions")

    written_at = _make_source(ddb, names.source, budget, now, sleep)
    target.settle()
    show(f"source {names.source}: on demand, {len(TAGS)} tags, TTL, PITR, a stream, {ITEMS} items")

    # Deployed after the table exists, as usual: the deploy-time snapshot starts the table's settings history.
    outputs = target.deploy_app(names.stack, APP_PARAMETERS)
    _note_app_leftovers(session.client("cloudformation"), names.stack, found)
    show(f"app deployed as stack {names.stack}")

    # The latest restorable time trails the present (typically by 5 minutes): wait until it covers every item.
    restorable = _until(
        lambda: _restorable_after(ddb, names.source, written_at), budget.restorable, budget.poll, sleep, "restorable"
    )
    show(f"{names.source} is restorable to {restorable.isoformat()}, after its items were written")
    restored_at = now()
    ddb.restore_table_to_point_in_time(
        SourceTableName=names.source, TargetTableName=names.target, UseLatestRestorableTime=True
    )
    show(f"restore requested: {names.source} -> {names.target}")

    machine = outputs["StateMachineArn"]
    execution = wait_for_execution_of(
        sfn, machine, names.target, limit_seconds=budget.execution_appears, interval=budget.poll, sleep=sleep
    )
    show(f"the restore event started {execution['executionArn']}")
    described = follow(
        sfn,
        execution["executionArn"],
        show,
        since=restored_at,
        poll_first=budget.poll,
        poll_cap=budget.follow_poll_cap,
        limit_seconds=budget.execution,
        sleep=sleep,
    )
    report = report_of(sfn, described) or {}
    result.execution, result.report = described, report
    if report.get("stack"):
        found.governance_stacks.add(str(report["stack"]))
    for line in report_summary(report):
        show(f"  {line}")

    problems = []
    if described["status"] != "SUCCEEDED":
        problems.append(f"execution {described['status']}: {described.get('error', '')} {described.get('cause', '')}")
    account = session.client("sts").get_caller_identity()["Account"]
    aws = Aws(region=target.region, session=session)
    tables = {"source_name": names.source, "target_name": names.target}
    if not compare(target.region, account, list(NAMES), show, aws=aws, **tables):
        problems.append("a setting of the target differs from the source's (the table above)")
    result.items = (examples.count_items(ddb, names.source), examples.count_items(ddb, names.target))
    show(f"items: {result.items[0]} in {names.source}, {result.items[1]} in {names.target}")
    if result.items != (ITEMS, ITEMS):
        problems.append(f"items: {result.items[0]} in the source, {result.items[1]} in the target, {ITEMS} written")
    if problems:
        raise ScenarioFailed(problems)


def _make_source(
    ddb: Any, name: str, budget: Budget, now: Callable[[], datetime], sleep: Callable[[float], None]
) -> datetime:
    """The source table with its settings and items; returns when the last item was written (before PITR)."""
    ddb.create_table(
        TableName=name,
        KeySchema=list(examples.KEY_SCHEMA),
        AttributeDefinitions=list(examples.KEY_ATTRIBUTES),
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        Tags=[{"Key": key, "Value": value} for key, value in TAGS.items()],
        # Off, so that the cleanup can delete it (restore-sync copies it off to the target too).
        DeletionProtectionEnabled=False,
    )
    _until(lambda: _status(ddb, name) == "ACTIVE" or None, budget.table_active, budget.poll, sleep, f"{name} ACTIVE")
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE})
    examples.put_items(ddb, name, ITEMS)
    written_at = now()
    # Enabled after the writes: every restore point PITR offers then holds every item.
    _until(lambda: _enable_pitr(ddb, name), budget.table_active, budget.poll, sleep, f"PITR of {name}")
    return written_at


def _enable_pitr(ddb: Any, name: str) -> bool | None:
    try:
        ddb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    except ClientError as error:
        if error_code(error) == BACKUPS_NOT_YET:
            return None
        raise
    return True


def _restorable_after(ddb: Any, name: str, moment: datetime) -> datetime | None:
    described = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    pitr = described.get("PointInTimeRecoveryDescription") or {}
    latest, earliest = pitr.get("LatestRestorableDateTime"), pitr.get("EarliestRestorableDateTime")
    if pitr.get("PointInTimeRecoveryStatus") != "ENABLED" or latest is None or earliest is None:
        return None
    # Just after PITR is enabled, the latest restorable time may not have caught up with the earliest yet.
    return latest if latest >= max(moment, earliest) else None  # type: ignore[no-any-return]


def _status(ddb: Any, name: str) -> str | None:
    try:
        return str(ddb.describe_table(TableName=name)["Table"]["TableStatus"])
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        raise


def _until(check: Callable[[], Any], limit: float, interval: float, sleep: Callable[[float], None], what: str) -> Any:
    """The first truthy answer of `check`, polled every `interval` seconds for at most `limit` seconds."""
    deadline = time.monotonic() + limit
    for _ in range(int(limit / interval) + 2):
        answer = check()
        if answer:
            return answer
        if time.monotonic() >= deadline:
            break
        sleep(interval)
    raise TimeoutError(f"waited {limit:.0f} s for {what}")


def _note_app_leftovers(cloudformation: Any, stack: str, found: _Found) -> None:
    """Records what deleting the app stack does not delete: the tables and buckets it retains (the settings history,
    the execution data), and the log groups Lambda created for its functions."""
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack):
        for resource in page["StackResourceSummaries"]:
            physical = resource.get("PhysicalResourceId")
            if not physical:
                continue
            if resource["ResourceType"] == "AWS::DynamoDB::Table":
                found.retained_tables.add(physical)
            elif resource["ResourceType"] == "AWS::S3::Bucket":
                found.retained_buckets.add(physical)
            elif resource["ResourceType"] == "AWS::Lambda::Function":
                found.log_groups.add(f"/aws/lambda/{physical}")
            elif resource["ResourceType"] == "AWS::StepFunctions::StateMachine":
                found.state_machines.add(physical)


# ---- cleanup -----------------------------------------------------------------------------------------------------


def _cleanup(
    target: Target,
    names: Names,
    found: _Found,
    show: Callable[[str], None],
    sleep: Callable[[float], None],
    result: Result,
) -> list[str]:
    """Deletes everything the run made, in an order that lets each step work (a governance stack is deleted with the
    app's CloudFormation role, so before the app); each step is attempted whatever the others did. Returns what
    is left."""
    session, budget = target.session, target.budget
    cloudformation, ddb, logs = session.client("cloudformation"), session.client("dynamodb"), session.client("logs")
    deletions: list[Deletion] = []
    show("cleanup:")

    def attempt(what: str, step: Callable[[], str]) -> None:
        try:
            deletion = Deletion(what, detail=step())
        except Exception as error:  # every step is tried and reported, whatever failed before
            deletion = Deletion(what, error=f"{type(error).__name__}: {error}")
        deletions.append(deletion)
        show(f"  {deletion.line()}")

    app_exists = _stack_status(cloudformation, names.stack) is not None
    if app_exists:
        # Read again now: a run that failed during its deploy never got to note them.
        with suppress(ClientError):
            _note_app_leftovers(cloudformation, names.stack, found)
    sfn = session.client("stepfunctions")
    for machine in sorted(found.state_machines):
        attempt(f"running executions of {machine}", lambda m=machine: _stop_executions(sfn, m))
    for stack in sorted(found.governance_stacks | set(_stacks_named(cloudformation, f"{names.stack}-"))):
        attempt(f"governance stack {stack}", lambda stack=stack: _delete_stack(cloudformation, stack, budget, sleep))
    # The tables after the app: a table deleted while the app stands starts an execution (its DeleteTable event),
    # whose functions would write log groups after they were deleted.
    attempt(f"app stack {names.stack}", lambda: _delete_app(target, cloudformation, names.stack))
    # An app that could not be deleted starts one execution per table deleted now: count them in before waiting.
    started = {machine: _started(sfn, machine) for machine in found.state_machines}
    tables = [(f"table {table}", table) for table in (names.target, names.source)]
    tables += [(f"retained table {table}", table) for table in sorted(found.retained_tables)]
    for what, table in tables:
        attempt(what, lambda table=table: _delete_table(ddb, table, budget, sleep))
    deleted = sum(1 for d in deletions[-len(tables) :] if d.error is None and d.detail == "deleted")
    for machine in sorted(found.state_machines):
        expected = started[machine] + deleted if started[machine] is not None else None
        attempt(
            f"executions of {machine} ended",
            lambda m=machine, n=expected: _executions_ended(sfn, m, budget, sleep, at_least=n),
        )
    s3 = session.client("s3")
    for bucket in sorted(found.retained_buckets):
        attempt(f"retained bucket {bucket}", lambda b=bucket: _delete_bucket(s3, b))
    for group in sorted(found.log_groups):
        attempt(f"log group {group}", lambda group=group: _delete_log_group(logs, group))
    result.deletions = deletions
    return [deletion.line() for deletion in deletions if deletion.error is not None]


def _stack_status(cloudformation: Any, stack: str) -> str | None:
    try:
        status = str(cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"])
    except ClientError as error:
        if error_code(error) == "ValidationError" and "does not exist" in str(error):
            return None
        raise
    return None if status == "DELETE_COMPLETE" else status


def _stacks_named(cloudformation: Any, prefix: str) -> list[str]:
    """Live stacks whose name starts with `prefix` (the governance stacks of one deployment)."""
    return [
        summary["StackName"]
        for page in cloudformation.get_paginator("list_stacks").paginate()
        for summary in page["StackSummaries"]
        if summary["StackName"].startswith(prefix) and summary["StackStatus"] != "DELETE_COMPLETE"
    ]


def _delete_stack(cloudformation: Any, stack: str, budget: Budget, sleep: Callable[[float], None]) -> str:
    # A stack that an execution stopped mid-change-set is still updating: CloudFormation deletes it only after
    # (one whose import change set was never executed stays REVIEW_IN_PROGRESS, and can be deleted at once).
    settled = _until(
        lambda: _settled_status(cloudformation, stack), budget.stack_deleted, budget.poll, sleep, f"{stack} settled"
    )
    if settled == "gone":
        return "not there"
    cloudformation.delete_stack(StackName=stack)

    def gone() -> bool | None:
        status = _stack_status(cloudformation, stack)
        if status == "DELETE_FAILED":
            reason = cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("StackStatusReason", "")
            raise RuntimeError(f"DELETE_FAILED: {reason}")
        return True if status is None else None

    _until(gone, budget.stack_deleted, budget.poll, sleep, f"stack {stack} deleted")
    return "deleted; its table is retained and deleted on its own"


def _settled_status(cloudformation: Any, stack: str) -> str | None:
    """The stack's status once no operation runs on it ("gone" when there is no stack), else None."""
    status = _stack_status(cloudformation, stack)
    if status is None:
        return "gone"
    if status.endswith("_IN_PROGRESS") and status not in ("REVIEW_IN_PROGRESS", "DELETE_IN_PROGRESS"):
        return None
    return status


def _delete_app(target: Target, cloudformation: Any, stack: str) -> str:
    if _stack_status(cloudformation, stack) is None:
        return "not there"
    target.delete_app(stack)
    if _stack_status(cloudformation, stack) is not None:
        raise RuntimeError(f"stack {stack} is still there after the deletion")
    return "deleted"


def _delete_table(ddb: Any, table: str, budget: Budget, sleep: Callable[[float], None]) -> str:
    """Deletes `table` once it can be: a restore still CREATING is waited for; deletion protection is turned off."""

    def deleted() -> str | None:
        try:
            described = ddb.describe_table(TableName=table)["Table"]
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                return "not there"
            raise
        if described["TableStatus"] == "DELETING":
            return "being deleted"
        if described["TableStatus"] != "ACTIVE":
            return None  # CREATING (a restore under way) or UPDATING: DynamoDB refuses to delete it yet
        if described.get("DeletionProtectionEnabled"):
            ddb.update_table(TableName=table, DeletionProtectionEnabled=False)
            return None
        ddb.delete_table(TableName=table)
        return "deleted"

    # A table still being restored cannot be deleted before the restore ends.
    return str(_until(deleted, budget.restore, budget.poll, sleep, f"table {table} deletable"))


def _stop_executions(sfn: Any, machine: str) -> str:
    """Stops what still runs (a failed run's execution may wait for hours), so nothing acts on deleted tables."""
    stopped = 0
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine, statusFilter="RUNNING"):
        for execution in page["executions"]:
            sfn.stop_execution(executionArn=execution["executionArn"], cause="make test-aws cleanup")
            stopped += 1
    return f"{stopped} stopped"


def _started(sfn: Any, machine: str) -> int | None:
    """How many executions `machine` has had, or None when it is gone."""
    try:
        pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=machine)
        return sum(len(page["executions"]) for page in pages)
    except ClientError as error:
        if error_code(error) == "StateMachineDoesNotExist":
            return None
        raise


def _executions_ended(
    sfn: Any, machine: str, budget: Budget, sleep: Callable[[float], None], at_least: int | None = None
) -> str:
    """Waits until `machine` has had `at_least` executions and nothing runs on it: an app that could not be deleted
    starts an execution for each table deleted since (it ends at once, ignored), whose functions write log groups,
    and the event that starts it may arrive after the deletion. Nothing to wait for once the machine is gone."""

    def ended() -> str | None:
        try:
            running = sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]
        except ClientError as error:
            if error_code(error) == "StateMachineDoesNotExist":
                return "state machine gone"
            raise
        if at_least is not None and (_started(sfn, machine) or 0) < at_least:
            return None
        return None if running else "none running"

    return str(_until(ended, budget.execution, budget.poll, sleep, f"executions of {machine} ended"))


def _delete_bucket(s3: Any, bucket: str) -> str:
    """Empties `bucket` (every version, should it be versioned) and deletes it."""
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            listed = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            objects = [{"Key": o["Key"], "VersionId": o["VersionId"]} for o in listed]
            for start in range(0, len(objects), 1000):
                s3.delete_objects(Bucket=bucket, Delete={"Objects": objects[start : start + 1000], "Quiet": True})
        s3.delete_bucket(Bucket=bucket)
    except ClientError as error:
        if error_code(error) == "NoSuchBucket":
            return "not there"
        raise
    return "emptied and deleted"


def _delete_log_group(logs: Any, group: str) -> str:
    try:
        logs.delete_log_group(logGroupName=group)
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return "not there"
        raise
    return "deleted"
