"""AWS Backup restore testing of DynamoDB tables: plans, selections, the restore jobs a run starts, validation
results, and the deletion of the restored tables.

AWS behaviour reproduced (botocore's `backup` service model; AWS Backup Developer Guide, "Restore testing",
"Restore testing inferred metadata", "Restore testing validation"; API reference PutRestoreValidationResult):
- CreateRestoreTestingPlan (PUT /restore-testing/plans, 201: RestoreTestingPlanName of letters, digits and
  underscores, ScheduleExpression, RecoveryPointSelection, optional ScheduleExpressionTimezone and StartWindowHours,
  at most 168), GetRestoreTestingPlan, ListRestoreTestingPlans; ARN
  `arn:aws:backup:<region>:<account>:restore-testing-plan:<name>-<id>`. A second plan of the same name is
  AlreadyExistsException.
- CreateRestoreTestingSelection (ProtectedResourceType DynamoDB, IamRoleArn, ProtectedResourceArns or `["*"]` with
  ProtectedResourceConditions StringEquals / StringNotEquals on the tables' tags, RestoreMetadataOverrides,
  ValidationWindowHours 0-168), GetRestoreTestingSelection, ListRestoreTestingSelections. An unknown plan or
  selection is ResourceNotFoundException.
- A run (`run_restore_testing_plan`, below) starts, for each selected table, a restore job of the recovery point the
  plan's RecoveryPointSelection chooses (vaults in IncludeVaults, `*` for all, and not in ExcludeVaults; created
  within SelectionWindowDays; LATEST_WITHIN_WINDOW the newest, RANDOM_WITHIN_WINDOW any), with the metadata AWS
  infers for DynamoDB: `targetTableName` a random name starting with `awsbackup-restore-test-`, the recovery
  point's encryption, overridden by the selection's RestoreMetadataOverrides; the job is a restore job like any
  other (extensions/backup_restore_jobs.py: CREATING, COMPLETED, its events) that names the plan
  (`CreatedBy.RestoreTestingPlanArn`, `restoreTestingPlanArn` in its events). The plan's LastExecutionTime is set.
- PutRestoreValidationResult (PUT /restore-jobs/<id>/validations, 204): ValidationStatus FAILED | SUCCESSFUL |
  TIMED_OUT | VALIDATING and an optional ValidationStatusMessage (the model sets no length limit), shown by
  DescribeRestoreJob. Refused with InvalidRequestException for a job no restore testing plan started, a job that
  is not COMPLETED, or one whose restored table AWS Backup has deleted; an unknown job is
  ResourceNotFoundException; another status InvalidParameterValueException.
- "Once the optional validation completes or the validation window closes, AWS Backup deletes the resources
  involved with the restore test": a result other than VALIDATING, or the end of the selection's
  ValidationWindowHours after the job completed (the status then TIMED_OUT unless a final one was put; inferred:
  the model's enum holds it, the guide does not say), deletes the restored table; DescribeRestoreJob then says
  DeletionStatus SUCCESSFUL (FAILED with DynamoDB's message when the delete is refused). A window of 0 hours, or
  none given, deletes the table as soon as the job completes.

Not reproduced: the schedule (ScheduleExpression is stored, not run: `run_restore_testing_plan` is the sandbox's
way to run a plan now, as its schedule would), StartWindowHours, resource types other than DynamoDB, Update/Delete
of plans and selections, GetRestoreTestingInferredMetadata, pagination, tags on plans. AWS deletes the resources
"in accordance with service SLAs" (DeletionStatus DELETING for a while); the sandbox deletes at once. The end of a
validation window is noticed by the next DescribeRestoreJob, ListRestoreJobs, restore testing call or
`sweep()` on or after it on the sandbox clock (advance the clock, then ask).

moto internals patched: none replaced. `moto.backup.urls.url_paths` gains the restore testing and validation
routes, `BackupResponse` one handler method per operation (moto finds them by name; DescribeRestoreJob and
ListRestoreJobs are wrapped to notice ended windows first), and each `BackupBackend` keeps the plans in an
attribute of its own, so moto's reset forgets them. Jobs are started with extensions/backup_restore_jobs.py's
`BackupBackend.start_restore_job`, which records the plan on the job.
"""

from __future__ import annotations

import re
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from moto.backup import urls as backup_urls
from moto.backup.exceptions import BackupClientError, InvalidParameterValueException, ResourceNotFoundException
from moto.backup.models import BackupBackend, backup_backends
from moto.backup.responses import BackupResponse
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.dynamodb.models import dynamodb_backends
from moto.utilities.utils import get_partition

from restore_sync_sandbox import clock
from restore_sync_sandbox.extensions import backup_restore_jobs
from restore_sync_sandbox.extensions.backup_restore_jobs import RecoveryPoint, RestoreJob

RESOURCE_TYPE = "DynamoDB"
# "targetTableName, where value is set to random value starting with awsbackup-restore-test-" (inferred metadata).
TABLE_PREFIX = "awsbackup-restore-test-"
VALIDATION_STATUSES = ("FAILED", "SUCCESSFUL", "TIMED_OUT", "VALIDATING")
MAX_WINDOW_HOURS = 168
_PLAN_NAME = re.compile(r"^[A-Za-z0-9_]{1,50}$")
URL_PATHS: dict[str, str] = {
    "{0}/restore-testing/plans/?$": "restore testing plans",
    "{0}/restore-testing/plans/(?P<plan_name>[^/]+)/?$": "restore testing plan",
    "{0}/restore-testing/plans/(?P<plan_name>[^/]+)/selections/?$": "restore testing selections",
    "{0}/restore-testing/plans/(?P<plan_name>[^/]+)/selections/(?P<selection_name>[^/]+)/?$": "selection",
    "{0}/restore-jobs/(?P<restore_job_id>[^/]+)/validations/?$": "restore validation",
}
_STATE_ATTRIBUTE = "_sandbox_restore_testing"


class AlreadyExistsException(BackupClientError):
    def __init__(self, msg: str) -> None:
        super().__init__("AlreadyExistsException", msg)


class InvalidRequestException(BackupClientError):
    def __init__(self, msg: str) -> None:
        super().__init__("InvalidRequestException", msg)


@dataclass
class Selection:
    name: str
    plan_name: str
    iam_role_arn: str
    resource_arns: list[str]
    conditions: dict[str, list[dict[str, str]]]
    overrides: dict[str, str]
    window_hours: int
    created: datetime
    creator_request_id: str | None


@dataclass
class Plan:
    name: str
    arn: str
    schedule: str
    timezone: str | None
    start_window_hours: int | None
    recovery_point_selection: dict[str, Any]
    created: datetime
    creator_request_id: str | None
    last_run: datetime | None = None
    selections: dict[str, Selection] = field(default_factory=dict)


@dataclass
class _Testing:
    """What one account and region holds of restore testing: the plans, and the window of each job they started."""

    plans: dict[str, Plan] = field(default_factory=dict)
    # restore job id -> the hours of its validation window
    windows: dict[str, int] = field(default_factory=dict)


_lock = threading.RLock()
_installed = False


def _state(backend: BackupBackend) -> _Testing:
    state = backend.__dict__.get(_STATE_ATTRIBUTE)
    if state is None:
        state = _Testing()
        setattr(backend, _STATE_ATTRIBUTE, state)
    return state


def _now() -> datetime:
    return clock.current().now()


def _plan(backend: BackupBackend, name: str) -> Plan:
    plan = _state(backend).plans.get(name)
    if plan is None:
        raise ResourceNotFoundException(f"Restore testing plan {name} not found")
    return plan


def _hours(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or not 0 <= value <= MAX_WINDOW_HOURS:
        raise InvalidParameterValueException(f"{name} must be between 0 and {MAX_WINDOW_HOURS} hours")
    return value


# ---- the run ---------------------------------------------------------------------------------------------------


def run_restore_testing_plan(account_id: str, region: str, plan_name: str) -> list[str]:
    """Sandbox-only: runs the plan now, as its schedule would in AWS: one restore job per selected table that has a
    recovery point the plan may choose. Returns the ids of the jobs started."""
    backend: BackupBackend = backup_backends[account_id][region]
    with _lock:
        plan = _plan(backend, plan_name)
        plan.last_run = _now()
        selections = list(plan.selections.values())
    started = []
    for selection in selections:
        for table_arn in _selected_tables(backend, selection):
            point = _choose_recovery_point(backend, plan, table_arn)
            if point is None:
                continue
            metadata = {"targetTableName": f"{TABLE_PREFIX}{uuid.uuid4().hex[:16]}", **point.restore_metadata}
            metadata.pop("TargetTableName", None)
            metadata.update({key: str(value) for key, value in selection.overrides.items()})
            job: RestoreJob = backend.start_restore_job(  # type: ignore[attr-defined]
                point.arn, metadata, selection.iam_role_arn, RESOURCE_TYPE, None, restore_testing_plan_arn=plan.arn
            )
            with _lock:
                _state(backend).windows[job.job_id] = selection.window_hours
            started.append(job.job_id)
    sweep(backend)
    return started


def _selected_tables(backend: BackupBackend, selection: Selection) -> list[str]:
    points = backup_restore_jobs._jobs(backend).recovery_points.values()
    protected = sorted({point.resource_arn for point in points})
    if "*" not in selection.resource_arns:
        return [arn for arn in selection.resource_arns if arn in protected]
    return [arn for arn in protected if _conditions_hold(backend, arn, selection.conditions)]


def _conditions_hold(backend: BackupBackend, table_arn: str, conditions: dict[str, list[dict[str, str]]]) -> bool:
    ddb = dynamodb_backends[backend.account_id][backend.region_name]
    try:
        tags = {tag["Key"]: tag["Value"] for tag in ddb.list_tags_of_resource(table_arn)}
    except JsonRESTError:
        # A table deleted since its backup: its tags are gone with it.
        tags = {}
    equal = all(tags.get(c["Key"]) == c["Value"] for c in conditions.get("StringEquals", []))
    not_equal = all(tags.get(c["Key"]) != c["Value"] for c in conditions.get("StringNotEquals", []))
    return equal and not_equal


def _choose_recovery_point(backend: BackupBackend, plan: Plan, table_arn: str) -> RecoveryPoint | None:
    rules = plan.recovery_point_selection
    include, exclude = rules.get("IncludeVaults") or ["*"], rules.get("ExcludeVaults") or []
    days = rules.get("SelectionWindowDays")
    earliest = _now() - timedelta(days=days) if days else None
    candidates = [
        point
        for point in backup_restore_jobs._jobs(backend).recovery_points.values()
        if point.resource_arn == table_arn
        and ("*" in include or point.vault_arn in include)
        and point.vault_arn not in exclude
        and (earliest is None or point.created >= earliest)
    ]
    if not candidates:
        return None
    if rules.get("Algorithm") == "RANDOM_WITHIN_WINDOW":
        return secrets.choice(candidates)
    return max(candidates, key=lambda point: point.created)


# ---- validation and deletion -----------------------------------------------------------------------------------


def put_restore_validation_result(backend: BackupBackend, job_id: str, status: str, message: str | None) -> None:
    """Backend function: records the result; a final one (not VALIDATING) deletes the restored table."""
    if status not in VALIDATION_STATUSES:
        raise InvalidParameterValueException(
            f"ValidationStatus {status} is not one of {', '.join(VALIDATION_STATUSES)}"
        )
    job = backup_restore_jobs._jobs(backend).restore_jobs.get(job_id)
    if job is None:
        raise ResourceNotFoundException(f"Restore job {job_id} not found")
    backup_restore_jobs._refresh(backend, job)
    sweep(backend)
    with _lock:
        if not job.restore_testing_plan_arn:
            raise InvalidRequestException(f"Restore job {job_id} was not created by a restore testing plan")
        if job.status != "COMPLETED":
            raise InvalidRequestException(f"Restore job {job_id} is {job.status}, not COMPLETED")
        if job.deletion_status is not None:
            raise InvalidRequestException(f"The resources of restore job {job_id} are deleted ({job.deletion_status})")
        job.validation_status, job.validation_status_message = status, message
    if status != "VALIDATING":
        _delete_restored(backend, job)


def sweep(backend: BackupBackend) -> None:
    """Deletes the restored table of every restore testing job whose validation window has closed on the sandbox
    clock (validation TIMED_OUT unless a final result was put)."""
    now = _now()
    jobs = backup_restore_jobs._jobs(backend).restore_jobs
    with _lock:
        windows = list(_state(backend).windows.items())
    for job_id, hours in windows:
        job = jobs.get(job_id)
        if job is None or job.deletion_status is not None:
            continue
        backup_restore_jobs._refresh(backend, job)
        if job.status != "COMPLETED" or job.completed is None or now < job.completed + timedelta(hours=hours):
            continue
        with _lock:
            if job.validation_status in (None, "VALIDATING"):
                job.validation_status = "TIMED_OUT"
        _delete_restored(backend, job)


def _delete_restored(backend: BackupBackend, job: RestoreJob) -> None:
    ddb = dynamodb_backends[backend.account_id][backend.region_name]
    table = job.table() if job.table is not None else None
    status, message = "SUCCESSFUL", None
    if table is not None and ddb.tables.get(job.target_name) is table:
        try:
            ddb.delete_table(job.target_name)
        except JsonRESTError as error:
            status, message = "FAILED", error.message
    with _lock:
        job.deletion_status, job.deletion_status_message = status, message


def _sweep_first(method: Callable[[BackupResponse], ActionResult]) -> Callable[[BackupResponse], ActionResult]:
    def swept(self: BackupResponse) -> ActionResult:
        sweep(self.backup_backend)
        return method(self)

    swept.__name__ = method.__name__
    return swept


# ---- the API ---------------------------------------------------------------------------------------------------


def _describe_plan(plan: Plan, full: bool) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "CreationTime": plan.created,
        "RestoreTestingPlanArn": plan.arn,
        "RestoreTestingPlanName": plan.name,
        "ScheduleExpression": plan.schedule,
    }
    if plan.last_run is not None:
        answer["LastExecutionTime"] = plan.last_run
    if plan.timezone:
        answer["ScheduleExpressionTimezone"] = plan.timezone
    if plan.start_window_hours is not None:
        answer["StartWindowHours"] = plan.start_window_hours
    if full:
        answer["RecoveryPointSelection"] = plan.recovery_point_selection
        if plan.creator_request_id:
            answer["CreatorRequestId"] = plan.creator_request_id
    return answer


def _describe_selection(selection: Selection, full: bool) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "CreationTime": selection.created,
        "IamRoleArn": selection.iam_role_arn,
        "ProtectedResourceType": RESOURCE_TYPE,
        "RestoreTestingPlanName": selection.plan_name,
        "RestoreTestingSelectionName": selection.name,
        "ValidationWindowHours": selection.window_hours,
    }
    if full:
        answer["ProtectedResourceArns"] = selection.resource_arns
        if selection.conditions:
            answer["ProtectedResourceConditions"] = selection.conditions
        if selection.overrides:
            answer["RestoreMetadataOverrides"] = selection.overrides
        if selection.creator_request_id:
            answer["CreatorRequestId"] = selection.creator_request_id
    return answer


def _handle_create_restore_testing_plan(self: BackupResponse) -> ActionResult:
    params = backup_restore_jobs._params(self)
    given = backup_restore_jobs._required(params, "RestoreTestingPlan")
    name = backup_restore_jobs._required(given, "RestoreTestingPlanName")
    if not _PLAN_NAME.match(name):
        raise InvalidParameterValueException(
            f"RestoreTestingPlanName {name} must consist of only alphanumeric characters and underscores"
        )
    backend = self.backup_backend
    region, account = backend.region_name, backend.account_id
    plan = Plan(
        name=name,
        arn=f"arn:{get_partition(region)}:backup:{region}:{account}:restore-testing-plan:{name}-{uuid.uuid4()}",
        schedule=backup_restore_jobs._required(given, "ScheduleExpression"),
        timezone=given.get("ScheduleExpressionTimezone"),
        start_window_hours=_hours(given.get("StartWindowHours"), "StartWindowHours"),
        recovery_point_selection=dict(backup_restore_jobs._required(given, "RecoveryPointSelection")),
        created=_now(),
        creator_request_id=params.get("CreatorRequestId"),
    )
    with _lock:
        plans = _state(backend).plans
        if name in plans:
            raise AlreadyExistsException(f"Restore testing plan {name} already exists")
        plans[name] = plan
    return ActionResult(
        {"CreationTime": plan.created, "RestoreTestingPlanArn": plan.arn, "RestoreTestingPlanName": plan.name}
    )


def _handle_get_restore_testing_plan(self: BackupResponse) -> ActionResult:
    params = backup_restore_jobs._params(self)
    plan = _plan(self.backup_backend, backup_restore_jobs._required(params, "RestoreTestingPlanName"))
    return ActionResult({"RestoreTestingPlan": _describe_plan(plan, full=True)})


def _handle_list_restore_testing_plans(self: BackupResponse) -> ActionResult:
    plans = list(_state(self.backup_backend).plans.values())
    return ActionResult({"RestoreTestingPlans": [_describe_plan(plan, full=False) for plan in plans]})


def _handle_create_restore_testing_selection(self: BackupResponse) -> ActionResult:
    params = backup_restore_jobs._params(self)
    plan = _plan(self.backup_backend, backup_restore_jobs._required(params, "RestoreTestingPlanName"))
    given = backup_restore_jobs._required(params, "RestoreTestingSelection")
    name = backup_restore_jobs._required(given, "RestoreTestingSelectionName")
    kind = backup_restore_jobs._required(given, "ProtectedResourceType")
    if kind != RESOURCE_TYPE:
        raise InvalidParameterValueException(f"ProtectedResourceType {kind}: the sandbox tests DynamoDB restores only")
    arns = list(given.get("ProtectedResourceArns") or [])
    conditions = dict(given.get("ProtectedResourceConditions") or {})
    if not arns and not conditions:
        raise InvalidParameterValueException("Give ProtectedResourceArns or ProtectedResourceConditions")
    for arn in arns:
        if arn != "*":
            backup_restore_jobs._table_arn_parts(arn)
    selection = Selection(
        name=name,
        plan_name=plan.name,
        iam_role_arn=backup_restore_jobs._required(given, "IamRoleArn"),
        resource_arns=arns or ["*"],
        conditions=conditions,
        overrides=dict(given.get("RestoreMetadataOverrides") or {}),
        window_hours=_hours(given.get("ValidationWindowHours"), "ValidationWindowHours") or 0,
        created=_now(),
        creator_request_id=params.get("CreatorRequestId"),
    )
    with _lock:
        if name in plan.selections:
            raise AlreadyExistsException(f"Restore testing selection {name} already exists in plan {plan.name}")
        plan.selections[name] = selection
    return ActionResult(
        {
            "CreationTime": selection.created,
            "RestoreTestingPlanArn": plan.arn,
            "RestoreTestingPlanName": plan.name,
            "RestoreTestingSelectionName": name,
        }
    )


def _handle_get_restore_testing_selection(self: BackupResponse) -> ActionResult:
    params = backup_restore_jobs._params(self)
    plan = _plan(self.backup_backend, backup_restore_jobs._required(params, "RestoreTestingPlanName"))
    name = backup_restore_jobs._required(params, "RestoreTestingSelectionName")
    selection = plan.selections.get(name)
    if selection is None:
        raise ResourceNotFoundException(f"Restore testing selection {name} not found in plan {plan.name}")
    return ActionResult({"RestoreTestingSelection": _describe_selection(selection, full=True)})


def _handle_list_restore_testing_selections(self: BackupResponse) -> ActionResult:
    params = backup_restore_jobs._params(self)
    plan = _plan(self.backup_backend, backup_restore_jobs._required(params, "RestoreTestingPlanName"))
    selections = [_describe_selection(selection, full=False) for selection in plan.selections.values()]
    return ActionResult({"RestoreTestingSelections": selections})


def _handle_put_restore_validation_result(self: BackupResponse) -> ActionResult:
    params = backup_restore_jobs._params(self)
    put_restore_validation_result(
        self.backup_backend,
        backup_restore_jobs._required(params, "RestoreJobId"),
        backup_restore_jobs._required(params, "ValidationStatus"),
        params.get("ValidationStatusMessage"),
    )
    return ActionResult({})


HANDLER_METHODS: dict[str, Callable[..., Any]] = {
    "create_restore_testing_plan": _handle_create_restore_testing_plan,
    "get_restore_testing_plan": _handle_get_restore_testing_plan,
    "list_restore_testing_plans": _handle_list_restore_testing_plans,
    "create_restore_testing_selection": _handle_create_restore_testing_selection,
    "get_restore_testing_selection": _handle_get_restore_testing_selection,
    "list_restore_testing_selections": _handle_list_restore_testing_selections,
    "put_restore_validation_result": _handle_put_restore_validation_result,
}
SWEPT_FIRST = ("describe_restore_job", "list_restore_jobs")


def _check_moto() -> None:
    if not callable(getattr(BackupBackend, "start_restore_job", None)):
        raise RuntimeError("extensions/backup_restore_jobs.py no longer adds BackupBackend.start_restore_job")
    for name in SWEPT_FIRST:
        if not callable(getattr(BackupResponse, name, None)):
            raise RuntimeError(f"BackupResponse.{name} is gone")


def install() -> None:
    """Adds AWS Backup restore testing to moto; calling it again does nothing."""
    global _installed
    backup_restore_jobs.install()
    with _lock:
        if _installed:
            return
        _check_moto()
        for pattern in URL_PATHS:
            backup_urls.url_paths[pattern] = BackupResponse.dispatch
        for name, function in HANDLER_METHODS.items():
            setattr(BackupResponse, name, function)
        for name in SWEPT_FIRST:
            setattr(BackupResponse, name, _sweep_first(getattr(BackupResponse, name)))
        _installed = True
