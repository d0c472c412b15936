"""Reading executions of the deployed state machine: finding them, following their history, and their reports.

Used by the command line, the console, the sandbox's demo, the tests and the benchmarks; only boto3 and the
standard library are imported.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from restore_sync.events import BACKUP_RESTORE, CLOUDTRAIL, TABLE_DELETION
from restore_sync.timestamps import instant
from restore_sync_tools import workflow
from restore_sync_tools.errors import UserError
from restore_sync_tools.progress import Progress, format_line

DEFAULT_STACK_NAME = "restore-sync"
# Following an execution: poll quickly while events arrive, back off to the cap while it waits.
POLL_FIRST_SECONDS = 0.2
POLL_CAP_SECONDS = 5.0
POLL_GROWTH = 1.5
# Longer than the longest horizon a deployment accepts (HorizonHours MaxValue is 720 h).
FOLLOW_LIMIT_SECONDS = 31 * 24 * 3600.0
# Executions examined to find the latest one of a table.
STATUS_SCAN_LIMIT = 1000
# How long to look for the execution a restore event starts (EventBridge delivers within seconds).
EXECUTION_APPEAR_SECONDS = 60.0


def session(profile: str | None = None, region: str | None = None) -> Any:
    """A boto3 session; profiles, AWS_REGION and AWS_ENDPOINT_URL apply as they do for the AWS CLI."""
    # botocore reads AWS_DEFAULT_REGION but not AWS_REGION, which the AWS CLI v2 and the SDKs read.
    made = boto3.session.Session(profile_name=profile, region_name=region or os.environ.get("AWS_REGION") or None)
    if not made.region_name:
        raise UserError("no AWS region: pass --region, or set AWS_REGION or AWS_DEFAULT_REGION")
    return made


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    """The outputs of the deployment stack; a UserError when there is no such stack."""
    return {o["OutputKey"]: o["OutputValue"] for o in _stack(cloudformation, stack_name).get("Outputs", [])}


def stack_parameters(cloudformation: Any, stack_name: str) -> dict[str, str]:
    """The parameters the deployment stack was deployed with; a UserError when there is no such stack."""
    parameters = _stack(cloudformation, stack_name).get("Parameters", [])
    return {p["ParameterKey"]: p.get("ParameterValue", "") for p in parameters}


def _stack(cloudformation: Any, stack_name: str) -> dict[str, Any]:
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            region = cloudformation.meta.region_name
            raise UserError(
                f"no restore-sync deployment: stack {stack_name} does not exist in {region} "
                "(deploy it with `sam deploy`, or pass --stack-name or --region)"
            ) from error
        raise
    return dict(stacks[0])


def state_machine_arn(cloudformation: Any, stack_name: str) -> str:
    outputs = stack_outputs(cloudformation, stack_name)
    if "StateMachineArn" not in outputs:
        raise UserError(f"stack {stack_name} has no StateMachineArn output: is it a restore-sync deployment?")
    return outputs["StateMachineArn"]


def new_events(sfn: Any, execution_arn: str, after_id: int) -> list[dict[str, Any]]:
    """History events with an id above `after_id`, oldest first: newest pages first, until a known event."""
    found: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(10_000):
        page = sfn.get_execution_history(
            executionArn=execution_arn,
            reverseOrder=True,
            maxResults=1000,
            **({"nextToken": token} if token else {}),
        )
        events = page.get("events", [])
        found += [e for e in events if int(e["id"]) > after_id]
        token = page.get("nextToken")
        if not token or any(int(e["id"]) <= after_id for e in events):
            break
    return sorted(found, key=lambda e: int(e["id"]))


def follow(
    sfn: Any,
    execution_arn: str,
    show: Callable[[str], None],
    *,
    since: datetime | None = None,
    poll_first: float = POLL_FIRST_SECONDS,
    poll_cap: float = POLL_CAP_SECONDS,
    limit_seconds: float = FOLLOW_LIMIT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Shows one line per state as the execution passes it; returns DescribeExecution once it has ended.

    Offsets are measured from `since` (default: the execution's start). Raises TimeoutError after
    `limit_seconds` of wall time with the execution still running.
    """
    progress = Progress()
    interval = poll_first
    deadline = time.monotonic() + limit_seconds
    for _ in range(int(limit_seconds / poll_first) + 2):
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        start = since or instant(described["startDate"])
        # Read after describing: once the status is final, this read holds every event.
        events = new_events(sfn, execution_arn, progress.last_id)
        for line in progress.feed(events):
            show(format_line(line, start))
        if described["status"] != "RUNNING":
            for line in progress.finish():
                show(format_line(line, start))
            return described
        if time.monotonic() >= deadline:
            break
        interval = poll_first if events else min(poll_cap, interval * POLL_GROWTH)
        sleep(interval)
    raise TimeoutError(f"execution {execution_arn} still RUNNING after {limit_seconds:.0f} s")


def report_of(sfn: Any, described: dict[str, Any]) -> dict[str, Any] | None:
    """The report of an ended execution: its output, or for a failed one the output of the report step."""
    if described["status"] == "SUCCEEDED":
        output = json.loads(described.get("output") or "null")
        if isinstance(output, dict) and output.get("ignored"):
            # Executions of deployments before the ignored report ended with Normalize's {"ignored", "reason"}.
            return {
                "target": output.get("target"),
                "source": output.get("source"),
                "settingsFrom": None,
                "outcome": "ignored",
                "reason": output.get("reason", ""),
                "settings": {},
                "drift": [],
                "stack": None,
                "execution": described["executionArn"],
            }
        return output if isinstance(output, dict) else None
    if described["status"] == "RUNNING":
        return None
    for event in reversed(new_events(sfn, described["executionArn"], 0)):
        details = event.get("stateExitedEventDetails") or {}
        if event["type"] == workflow.TASK_STATE_EXITED and details.get("name") == workflow.BUILD_REPORT:
            try:
                state = json.loads(details.get("output") or "null")
            except ValueError:
                return None
            report = ((state or {}).get("outcome") or {}).get("report")
            return report if isinstance(report, dict) else None
    return None


def execution_target(execution_input: Any) -> str | None:
    """The target table named by an execution's input: a manual input, a CloudTrail restore event, an AWS Backup
    restore job event, or CloudTrail's DeleteTable record (the table, by name or ARN, whose stack goes)."""
    if not isinstance(execution_input, dict):
        return None
    detail = execution_input.get("detail") or {}
    if execution_input.get("detail-type") == CLOUDTRAIL and detail.get("eventName") == TABLE_DELETION:
        deleted = (detail.get("requestParameters") or {}).get("tableName")
        target = deleted.rsplit("/", 1)[-1] if isinstance(deleted, str) and ":table/" in deleted else deleted
    elif execution_input.get("detail-type") == CLOUDTRAIL:
        target = (detail.get("requestParameters") or {}).get("targetTableName")
    elif execution_input.get("detail-type") == BACKUP_RESTORE:
        created = detail.get("createdResourceArn")
        target = created.rsplit("/", 1)[-1] if isinstance(created, str) and ":table/" in created else None
    else:
        target = execution_input.get("targetTableName")
    return target if isinstance(target, str) else None


def executions_newest_first(sfn: Any, machine_arn: str) -> Iterator[dict[str, Any]]:
    listed: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(STATUS_SCAN_LIMIT):
        page = sfn.list_executions(stateMachineArn=machine_arn, **({"nextToken": token} if token else {}))
        listed += page.get("executions", [])
        token = page.get("nextToken")
        if not token or len(listed) >= STATUS_SCAN_LIMIT:
            break
    # ListExecutions returns newest first; sorting keeps that true whatever the service does.
    yield from sorted(listed, key=lambda e: e["startDate"], reverse=True)[:STATUS_SCAN_LIMIT]


# An execution's input never changes: the table it is for is read once per execution.
_targets: dict[str, str | None] = {}


def target_of(sfn: Any, execution_arn: str) -> str | None:
    """The target table named by the input of the execution `execution_arn` (None for an input naming none)."""
    if execution_arn not in _targets:
        described = sfn.describe_execution(executionArn=execution_arn)
        try:
            _targets[execution_arn] = execution_target(json.loads(described.get("input") or "null"))
        except ValueError:
            _targets[execution_arn] = None
    return _targets[execution_arn]


def listed_executions_of(sfn: Any, machine_arn: str, target: str) -> list[dict[str, Any]]:
    """ListExecutions entries (each with its status) of the executions for `target`, newest first."""
    return [e for e in executions_newest_first(sfn, machine_arn) if target_of(sfn, e["executionArn"]) == target]


def latest_execution(sfn: Any, machine_arn: str, target: str) -> dict[str, Any] | None:
    """DescribeExecution of the newest execution whose input names `target`, or None."""
    for listed in executions_newest_first(sfn, machine_arn):
        if target_of(sfn, listed["executionArn"]) == target:
            return dict(sfn.describe_execution(executionArn=listed["executionArn"]))
    return None


def finished_executions_of(
    sfn: Any,
    machine_arn: str,
    target: str,
    *,
    count: int = 1,
    limit_seconds: float = EXECUTION_APPEAR_SECONDS,
    interval: float = POLL_FIRST_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> list[dict[str, Any]]:
    """DescribeExecution of every execution for `target`, newest first, once there are at least `count` and
    none of them is running. Raises TimeoutError after `limit_seconds`."""
    for _ in range(max(1, int(limit_seconds / interval))):
        listed = listed_executions_of(sfn, machine_arn, target)
        if len(listed) >= count and all(e["status"] != "RUNNING" for e in listed):
            return [dict(sfn.describe_execution(executionArn=e["executionArn"])) for e in listed]
        sleep(interval)
    raise TimeoutError(f"no {count} finished execution(s) for table {target} within {limit_seconds:.0f} s")


def wait_for_execution_of(
    sfn: Any,
    machine_arn: str,
    target: str,
    *,
    started_after: datetime | None = None,
    limit_seconds: float = EXECUTION_APPEAR_SECONDS,
    interval: float = POLL_FIRST_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """The execution a restore of `target` started (its newest, started at or after `started_after`)."""
    for _ in range(max(1, int(limit_seconds / interval))):
        described = latest_execution(sfn, machine_arn, target)
        if described is not None and (started_after is None or instant(described["startDate"]) >= started_after):
            return described
        sleep(interval)
    raise UserError(f"no execution for table {target} started within {limit_seconds:.0f} s")
