"""Normalize: every way an execution starts becomes one request shape, or is ignored, or is refused.

Starts: a CloudTrail event of a successful RestoreTableToPointInTime or RestoreTableFromBackup call, an AWS
Backup "Restore Job State Change" event of a completed DynamoDB restore, or a manual input. Whoever may call
StartExecution can send any of these shapes, so every start is checked the same way before it is used:
- against its JSON Schema (restore_sync.schemas), whatever its shape;
- its tables, accounts and regions against the deployment's: a table ARN of another account or partition is
  refused by name, an event from another account or region too;
- the target must be a restored table whose DescribeTable RestoreSummary names the source: an event's source is
  read from there (a source the event names must agree), a manual input's must be the one it requests. A table
  that was not restored is adopted only on an explicit `adoptUnrestored`, where the deployment allows it;
- an event's times are never used (the restore's moments come from the table), and a time after the execution
  started is refused as impossible;
- a CloudTrail record's overrides (what the restore chose: billing mode, capacity, encryption, indexes) are read
  into the request, checked against botocore's model of the call (restore_sync.workflow.overrides).
An AWS Backup restore job a restore testing plan started (DescribeRestoreJob's CreatedBy, never the event) makes
the request a restore test (restore_sync.workflow.restore_test); any other start for a table named as restore tests'
tables are (the CloudTrail record of the test's restore call among them) is ignored: the job's event starts the test.
A refusal (ValidationError) lists every problem, and nothing has been touched. A tag on the source table can opt
it out of event starts (the execution ends `ignored`, naming the tag) or narrow their settings.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeGuard

import jsonschema
from botocore.exceptions import ClientError

from restore_sync import schemas
from restore_sync.aws import Aws, TableRef, error_code, is_table_arn, translated_errors
from restore_sync.contracts import DEFAULT_SETTINGS_FROM, Ignored, Removal, Request, RestoreTest
from restore_sync.errors import TargetTableNotFound, UnusableEvent, ValidationError
from restore_sync.events import BACKUP_RESTORE, CLOUDTRAIL, RESTORE_CALLS, TABLE_DELETION
from restore_sync.history.store import History
from restore_sync.names import TABLE_NAME
from restore_sync.settings import NAMES, ordered
from restore_sync.settings.replicas import parse_replicas
from restore_sync.timestamps import instant, iso
from restore_sync.workflow import overrides, retire
from restore_sync.workflow.hold import parse_hold
from restore_sync.workflow.twins import earlier_twin

# On the source table: `none` opts it out; `all`, or setting names separated by spaces or `+` (tag values cannot
# hold commas), choose what restores of it copy.
SETTINGS_TAG = "restore-sync:settings"
OPT_OUT = "none"
_TAG_SEPARATORS = re.compile(r"[\s+]+")
# The deployment parameter that lets a manual start adopt a table that was not restored.
ADOPT_PARAMETER = "AdoptUnrestoredTables"
# How far an event's time may lie after the execution's start before it is refused as impossible: AWS's clocks
# (CloudTrail's, AWS Backup's, Step Functions') agree closely, but not to the millisecond.
EVENT_CLOCK_SKEW = timedelta(minutes=5)
# A same-name restore's table has the source's ARN: the history's versions from its creation on are its own.
SAME_NAME_MARGIN = timedelta(milliseconds=1)
# AWS Backup names the tables its restore tests make so ("Restore testing inferred metadata": targetTableName, a
# random value starting with it; not among DynamoDB's overridable keys).
RESTORE_TEST_PREFIX = "awsbackup-restore-test-"
_BACKUP_ARN = re.compile(r"^arn:(aws[a-z-]*):dynamodb:([a-z0-9-]+):([0-9]{12}):table/[A-Za-z0-9_.-]{3,255}/backup/")


@dataclass(frozen=True)
class Home:
    """Where the deployment runs: every table it changes is in this account and partition, every target in this
    region."""

    region: str
    account: str
    partition: str = "aws"

    @classmethod
    def of(cls, arn: str) -> Home:
        """The home of the resource `arn` names (the deployment's function or state machine)."""
        parts = arn.split(":")
        return cls(region=parts[3], account=parts[4], partition=parts[1])

    def table(self, name: str) -> TableRef:
        return TableRef(name, self.region, self.account, self.partition)

    def foreign(self, arn: str, what: str, *, here: bool = False) -> list[str]:
        """Why the resource `arn` (named `what` in the message) is not one this deployment may use: another
        partition or account, or with `here`, another region."""
        _, partition, _, region, account, *_ = arn.split(":") + [""] * 6
        problems = []
        if partition != self.partition:
            problems.append(f"{what} {arn} is in partition {partition}, not in {self.partition}")
        if account != self.account:
            problems.append(
                f"{what} {arn} belongs to account {account}, not to this deployment's account {self.account}"
            )
        if here and region != self.region:
            problems.append(f"{what} {arn} is in {region}, not in this deployment's region {self.region}")
        return problems


def normalize(
    aws: Aws,
    raw: Any,
    *,
    region: str,
    account: str,
    started_at: str,
    default_settings: tuple[str, ...],
    hold: tuple[str, ...] = (),
    partition: str = "aws",
    adopt_unrestored: bool = False,
    execution: str | None = None,
    history: History | None = None,
    stack_prefix: str = "restore-sync",
    replicas: tuple[str, ...] = (),
) -> Request | Removal | Ignored:
    """The request, or Ignored with the reason for an event restore-sync has nothing to do with; for a table's
    deletion, the Removal of its governance stack (named after `stack_prefix`).

    `hold`: the deployment's HoldSettings (restore_sync.workflow.hold), which a manual input's `hold` replaces;
    `replicas` likewise the deployment's Replicas (restore_sync.settings.replicas), which its `replicas` replaces.
    `adopt_unrestored`: the deployment lets a manual input with `adoptUnrestored: true` adopt a table that was
    not restored. `execution`: this execution's ARN; an event start defers to an earlier execution for the same
    restore (restore_sync.workflow.twins). Raises ValidationError listing every problem, TargetTableNotFound for
    an event whose table DescribeTable does not find (yet), or UnusableEvent; nothing is touched.
    """
    home = Home(region, account, partition)
    if is_table_deletion(raw):
        return _deleted_table(aws, raw, home, started_at, stack_prefix)
    if isinstance(raw, dict) and raw.get("detail-type") in (CLOUDTRAIL, BACKUP_RESTORE):
        request = _from_event(aws, raw, home, started_at, default_settings, hold, execution, history)
        return dataclasses.replace(request, replicas=replicas or None) if isinstance(request, Request) else request
    problems = manual_problems(aws, raw, home, adopt_allowed=adopt_unrestored)
    if problems:
        raise ValidationError(problems)
    fields: dict[str, Any] = raw
    source = _manual_source(fields, home)
    assert source is not None, "an input without a source has problems"
    return Request.for_tables(
        home.table(fields["targetTableName"]),
        source,
        trigger="manual",
        settings=tuple(fields.get("settings", default_settings)),
        dry_run=bool(fields.get("dryRun", False)),
        requested_at=started_at,
        hold=parse_hold(fields["hold"]) if "hold" in fields else hold,
        settings_from=fields.get("settingsFrom", DEFAULT_SETTINGS_FROM),
        grant_recorded_access=bool(fields.get("grantRecordedAccess", False)),
        replicas=parse_replicas(fields["replicas"], home.region) if "replicas" in fields else replicas,
    )


# ---- manual input ---------------------------------------------------------------------------------------------


def manual_problems(aws: Aws, raw: Any, home: Home, *, adopt_allowed: bool) -> list[str]:
    """Every reason to refuse the manual input `raw`, in words a person can act on; none: it may start.

    The published schema first; the tables are checked even when it already failed, so one refusal names every
    problem: a source equal to the target, a target that does not exist, was not restored (unless adopted
    explicitly where the deployment allows it), or was restored from another table than the source requested.
    """
    problems = input_problems(raw)
    fields = raw if isinstance(raw, dict) else {}
    if "replicas" in fields and not any(problem.startswith("replicas") for problem in problems):
        try:
            parse_replicas(fields["replicas"], home.region)
        except ValueError as error:
            problems.append(f"replicas: {error}")
    target = home.table(fields["targetTableName"]) if _legal_name(fields.get("targetTableName")) else None
    source = _manual_source(fields, home)
    if source is not None:
        problems += home.foreign(source.arn, "sourceTableArn")
    if target is None:
        return problems
    # A table may take its own settings back (a same-name restore) only when DynamoDB says it was restored from
    # itself; anything else asking for source == target is a mistake.
    same = source is not None and source.arn == target.arn
    description = _description(aws, target)
    if description is None:
        if same:
            problems.append(_same_table(target))
        return [*problems, f"target table {target.name} does not exist in {home.region}"]
    summary = description.get("RestoreSummary")
    adopt = fields.get("adoptUnrestored") is True
    if summary is None:
        if same:
            problems.append(_same_table(target))
        elif not adopt:
            problems.append(
                f"target table {target.name} was not restored (its DescribeTable has no RestoreSummary): "
                "restore-sync changes restored tables only; to adopt a table that was not restored, start with "
                "adoptUnrestored: true (restore-sync start --adopt-unrestored) in a deployment whose "
                f"{ADOPT_PARAMETER} parameter is true"
            )
        elif not adopt_allowed:
            problems.append(
                f"adoptUnrestored: this deployment does not adopt tables that were not restored ({target.name} was "
                f"not): deploy it with the parameter {ADOPT_PARAMETER}=true to allow that"
            )
        return problems
    try:
        restored = _restored_from(aws, target, summary, home)
    except _Unknown as unknown:
        return [*problems, str(unknown)]
    if source is not None and restored.arn != source.arn:
        problems.append(
            f"target table {target.name} was restored from {restored.arn}, not from the source requested "
            f"({source.arn}): restore-sync copies a restored table's settings from the table it was restored from"
        )
    return problems


def input_problems(raw: Any) -> list[str]:
    """Every problem the published input schema finds in a manual input, in words a person can act on."""
    return [_describe(error, schemas.MANUAL_INPUT) for error in schemas.errors(schemas.MANUAL_INPUT, raw)]


def _describe(error: jsonschema.ValidationError, schema: str) -> str:
    where = ".".join(str(p) for p in error.absolute_path) or "input"
    if schema == schemas.MANUAL_INPUT:
        if error.validator == "oneOf":
            return f"{where}: give exactly one of sourceTableName or sourceTableArn"
        if error.validator == "additionalProperties":
            allowed = ", ".join(sorted(schemas.schema(schema)["properties"]))
            return f"{where}: {error.message} (allowed: {allowed})"
        if error.validator == "enum" and list(error.absolute_path)[:1] == ["settings"]:
            return f"{where}: {error.instance!r} is not a setting (settings: {', '.join(NAMES)})"
    return f"{where}: {error.message}"


def _same_table(target: TableRef) -> str:
    return (
        f"the source and the target are the same table ({target.name}): a table takes its own settings back only "
        "when it was restored under its own name (its RestoreSummary names it as its source)"
    )


def _legal_name(name: Any) -> TypeGuard[str]:
    return isinstance(name, str) and bool(TABLE_NAME.match(name))


def _manual_source(fields: dict[str, Any], home: Home) -> TableRef | None:
    arn, name = fields.get("sourceTableArn"), fields.get("sourceTableName")
    if isinstance(arn, str) and is_table_arn(arn):
        return TableRef.from_arn(arn)
    if arn is None and _legal_name(name):
        return home.table(name)
    return None


# ---- events ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claims:
    """What an event says about the restore: its target, and the source and backup it names (if any)."""

    target: TableRef
    source: TableRef | None
    backup: str | None
    trigger: str


def _from_event(
    aws: Aws,
    event: dict[str, Any],
    home: Home,
    started_at: str,
    default_settings: tuple[str, ...],
    hold: tuple[str, ...],
    execution: str | None = None,
    history: History | None = None,
) -> Request | Ignored:
    cloudtrail = event["detail-type"] == CLOUDTRAIL
    schema = schemas.CLOUDTRAIL_RESTORE if cloudtrail else schemas.BACKUP_RESTORE_JOB
    problems = [_describe(error, schema) for error in schemas.errors(schema, event)]
    if problems:
        raise ValidationError(problems)
    problems = _envelope_problems(event, home, started_at)
    if problems:
        raise ValidationError(problems)
    ignored = _cloudtrail_ignored(event) if cloudtrail else _backup_ignored(event)
    if ignored:
        return Ignored(reason=ignored)

    claims = _cloudtrail_claims(event, home) if cloudtrail else _backup_claims(event)
    target = claims.target
    problems = home.foreign(target.arn, "the restored table", here=True)
    if claims.source is not None:
        problems += home.foreign(claims.source.arn, "the source the event names")
    if claims.backup is not None:
        problems += home.foreign(claims.backup, "the backup the event names")
    call = None
    if cloudtrail:
        # What the restore chose, from its own request (never who or what it restored: that is RestoreSummary's).
        detail = event["detail"]
        call, found = overrides.from_request_parameters(
            detail["eventName"], detail["requestParameters"], "detail.requestParameters"
        )
        problems += found
    if problems:
        raise ValidationError(problems)
    description = _description(aws, target)
    if description is None:
        raise TargetTableNotFound(
            f"target table {target.name} does not exist in {home.region}, though the event reports it restored: "
            "was the restore cancelled or the table deleted? Start by hand once it exists"
        )
    summary = description.get("RestoreSummary")
    if summary is None:
        raise ValidationError(
            [
                *problems,
                f"target table {target.name} was not restored (its DescribeTable has no RestoreSummary): the event "
                "does not describe a restore of it",
            ]
        )
    try:
        source = _restored_from(aws, target, summary, home)
    except _Unknown as unknown:
        raise ValidationError([*problems, str(unknown)]) from None
    if claims.source is not None and claims.source.arn != source.arn:
        problems.append(
            f"the event names the source {claims.source.arn}, but {target.name} was restored from {source.arn}"
        )
    if claims.backup is not None and claims.backup != summary.get("SourceBackupArn"):
        restored = summary.get("SourceBackupArn") or "a point in time, not from a backup"
        problems.append(f"the event names the backup {claims.backup}, but {target.name} was restored from {restored}")
    if problems:
        raise ValidationError(problems)
    restore_test = None if cloudtrail else _restore_test(aws, event, target)
    if restore_test is None and target.name.startswith(RESTORE_TEST_PREFIX) and summary.get("SourceBackupArn"):
        # Never adopted into a governance stack: AWS Backup deletes these tables after the test.
        return Ignored(
            reason=f"{target.name} is named as AWS Backup names the tables of restore tests: its restore job's "
            "COMPLETED event starts the test (a job DescribeRestoreJob shows a restore testing plan started)",
            target=target.arn,
            source=source.arn,
        )

    tagged = _tagged_settings(aws, source, history, started_at, restored_as=target, description=description)
    if tagged == OPT_OUT:
        return Ignored(
            reason=f"source table {source.arn} is tagged {SETTINGS_TAG}={OPT_OUT}: its restores are left alone "
            "(remove the tag, or start by hand, to make this one whole)",
            target=target.arn,
            source=source.arn,
        )
    # A restore test answers to its job's events only: the CloudTrail record of the same restore was ignored.
    announcements = (BACKUP_RESTORE,) if restore_test else (CLOUDTRAIL, BACKUP_RESTORE, None)
    created = description["CreationDateTime"]
    twin = earlier_twin(aws, execution, started_at, target, created, announcements) if execution else None
    if twin:
        return Ignored(reason=twin, target=target.arn, source=source.arn)
    settings = default_settings if tagged is None else tuple(s for s in default_settings if s in tagged)
    return Request.for_tables(
        target,
        source,
        trigger=claims.trigger,
        settings=settings,
        dry_run=restore_test is not None,
        # The restore's moment as DynamoDB recorded it (the target's creation), never the event's time.
        requested_at=iso(description["CreationDateTime"]),
        hold=hold,
        settings_from=DEFAULT_SETTINGS_FROM,
        restore_test=restore_test,
        restore_call=call,
    )


def _restore_test(aws: Aws, event: dict[str, Any], target: TableRef) -> RestoreTest | None:
    """The restore test the event's restore job is, as DescribeRestoreJob says (CreatedBy names the restore testing
    plan), or None for a restore job no plan started or one AWS Backup does not know. A job must have restored
    `target`."""
    job_id = event["detail"].get("restoreJobId")
    if not isinstance(job_id, str) or not job_id:
        return None
    try:
        with translated_errors():
            job = aws.client("backup", target.region).describe_restore_job(RestoreJobId=job_id)
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        raise
    if job.get("CreatedResourceArn") != target.arn:
        raise ValidationError(
            [f"detail.restoreJobId: restore job {job_id} restored {job.get('CreatedResourceArn')}, not {target.arn}"]
        )
    plan = (job.get("CreatedBy") or {}).get("RestoreTestingPlanArn")
    return RestoreTest(restore_job_id=job_id, restore_testing_plan_arn=plan) if plan else None


def _envelope_problems(event: dict[str, Any], home: Home, started_at: str) -> list[str]:
    """An event of another account or region, or with a time after the execution started, did not happen here."""
    detail = event["detail"]
    problems = []
    accounts = {"account": event["account"], "detail.recipientAccountId": detail.get("recipientAccountId")}
    for where, account in accounts.items():
        if account is not None and account != home.account:
            problems.append(
                f"{where}: the event is from account {account}, not this deployment's account {home.account}"
            )
    regions = {"region": event["region"], "detail.awsRegion": detail.get("awsRegion")}
    for where, region in regions.items():
        if region is not None and region != home.region:
            problems.append(f"{where}: the event is from {region}, not this deployment's region {home.region}")
    times = {
        "time": event["time"],
        **{f"detail.{k}": detail.get(k) for k in ("eventTime", "creationDate", "completionDate")},
    }
    latest = instant(started_at) + EVENT_CLOCK_SKEW
    for where, text in times.items():
        if text is None:
            continue
        try:
            moment = instant(text)
        except ValueError:
            problems.append(f"{where}: {text!r} is not a time")
            continue
        if moment > latest:
            problems.append(
                f"{where}: {text} is after this execution started ({started_at}): an event cannot report a restore "
                "that has not happened yet"
            )
    return problems


def _cloudtrail_ignored(event: dict[str, Any]) -> str | None:
    detail = event["detail"]
    name = detail["eventName"]
    if event["source"] != "aws.dynamodb" or name not in RESTORE_CALLS:
        return f"not a DynamoDB restore call: {event['source']} {name}"
    if detail.get("errorCode"):
        return f"the {name} call failed ({detail['errorCode']}): no table was restored"
    return None


def _backup_ignored(event: dict[str, Any]) -> str | None:
    detail = event["detail"]
    if event["source"] != "aws.backup" or detail.get("resourceType") != "DynamoDB":
        return f"not an AWS Backup restore of a DynamoDB table: {event['source']} {detail.get('resourceType')}"
    status = detail.get("status") or detail.get("state")
    if status != "COMPLETED":
        return f"the AWS Backup restore job is {status}: nothing to sync until it completes"
    return None


def _cloudtrail_claims(event: dict[str, Any], home: Home) -> _Claims:
    params = event["detail"]["requestParameters"]
    arn, name = params.get("sourceTableArn"), params.get("sourceTableName")
    source = TableRef.from_arn(arn) if arn else home.table(name) if name else None
    return _Claims(home.table(params["targetTableName"]), source, params.get("backupArn"), event["detail"]["eventName"])


def _backup_claims(event: dict[str, Any]) -> _Claims:
    detail = event["detail"]
    source = detail.get("sourceResourceArn")
    return _Claims(
        TableRef.from_arn(detail["createdResourceArn"]),
        TableRef.from_arn(source) if source else None,
        None,
        "AWSBackupRestoreJob",
    )


# ---- a deleted table ------------------------------------------------------------------------------------------


def is_table_deletion(raw: Any) -> bool:
    """Whether `raw` is shaped like CloudTrail's record of a DeleteTable call (the DeletedTablesRule's events)."""
    if not isinstance(raw, dict) or raw.get("detail-type") != CLOUDTRAIL:
        return False
    detail = raw.get("detail")
    return isinstance(detail, dict) and detail.get("eventName") == TABLE_DELETION


def _deleted_table(
    aws: Aws, event: dict[str, Any], home: Home, started_at: str, stack_prefix: str
) -> Removal | Ignored:
    """The event's table name only selects the governance stack to look at (restore_sync.workflow.retire decides,
    from AWS, what is removed); the event must still be well formed, and of this account and region."""
    schema = schemas.CLOUDTRAIL_DELETE_TABLE
    problems = [_describe(error, schema) for error in schemas.errors(schema, event)]
    problems = problems or _envelope_problems(event, home, started_at)
    if problems:
        raise ValidationError(problems)
    named = event["detail"]["requestParameters"]["tableName"]
    table = TableRef.from_arn(named) if is_table_arn(named) else home.table(named)
    problems = home.foreign(table.arn, "the deleted table", here=True)
    if problems:
        raise ValidationError(problems)
    if event["detail"].get("errorCode"):
        return Ignored(reason=f"the DeleteTable call failed ({event['detail']['errorCode']}): no table was deleted")
    return retire.removal(aws, table, stack_prefix)


# ---- the target and what it was restored from -----------------------------------------------------------------


class _Unknown(Exception):
    """What a restored table was restored from cannot be told, or is not a table this deployment may read."""


def _description(aws: Aws, table: TableRef) -> dict[str, Any] | None:
    """DescribeTable's Table, or None when there is no such table."""
    try:
        with translated_errors():
            return dict(aws.client("dynamodb", table.region).describe_table(TableName=table.name)["Table"])
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        raise


def _restored_from(aws: Aws, target: TableRef, summary: dict[str, Any], home: Home) -> TableRef:
    """The table `target` was restored from, as its RestoreSummary says: SourceTableArn, or the source table of
    SourceBackupArn's backup; in this deployment's account and partition."""
    arn = summary.get("SourceTableArn")
    if not arn:
        arn = _backup_table(aws, target, summary.get("SourceBackupArn"))
    if not (isinstance(arn, str) and is_table_arn(arn)):
        raise _Unknown(
            f"target table {target.name} was restored, but its RestoreSummary names no source table ({arn!r})"
        )
    source = TableRef.from_arn(arn)
    foreign = home.foreign(source.arn, "its source")
    if foreign:
        raise _Unknown(
            f"target table {target.name} was restored from a table restore-sync may not read: {'; '.join(foreign)}"
        )
    return source


def _backup_table(aws: Aws, target: TableRef, backup: Any) -> Any:
    match = _BACKUP_ARN.match(backup) if isinstance(backup, str) else None
    if match is None:
        raise _Unknown(f"target table {target.name} was restored, but its RestoreSummary names no source ({backup!r})")
    try:
        with translated_errors():
            described = aws.client("dynamodb", match.group(2)).describe_backup(BackupArn=backup)
    except ClientError as error:
        raise _Unknown(
            f"target table {target.name} was restored from the backup {backup}, whose table cannot be read "
            f"({error_code(error)})"
        ) from error
    return described["BackupDescription"]["SourceTableDetails"].get("TableArn")


def _tagged_settings(
    aws: Aws,
    source: TableRef,
    history: History | None,
    started_at: str,
    *,
    restored_as: TableRef,
    description: dict[str, Any],
) -> list[str] | str | None:
    """What the source's `restore-sync:settings` tag asks for: OPT_OUT, a list of settings, or None (no tag). A
    deleted source's tags are those the settings history recorded last, so its owner's choice still holds; for a
    same-name restore, the last recorded before the restored table (which has no tags yet) was created."""
    if source.arn == restored_as.arn:
        tags = _recorded_tags(history, source, instant(description["CreationDateTime"]) - SAME_NAME_MARGIN)
    else:
        try:
            with translated_errors():
                pages = aws.client("dynamodb", source.region).get_paginator("list_tags_of_resource")
                tags = {t["Key"]: t["Value"] for page in pages.paginate(ResourceArn=source.arn) for t in page["Tags"]}
        except ClientError as error:
            if error_code(error) != "ResourceNotFoundException":
                raise
            tags = _recorded_tags(history, source, instant(started_at))
    value = tags.get(SETTINGS_TAG)
    if value is None or value.strip().lower() == "all":
        return None
    if value.strip().lower() == OPT_OUT:
        return OPT_OUT
    names = [n for n in _TAG_SEPARATORS.split(value.strip()) if n]
    try:
        return ordered(names)
    except KeyError as error:
        raise UnusableEvent(
            f"source table {source.arn} has tag {SETTINGS_TAG}={value!r}: {error.args[0]}; "
            f"use {OPT_OUT}, all, or setting names separated by spaces or '+' ({' '.join(NAMES)})"
        ) from error


def _recorded_tags(history: History | None, source: TableRef, moment: datetime) -> dict[str, str]:
    recorded = history.at_or_before(source.arn, moment) if history else None
    if recorded is None:
        return {}
    state = recorded.document.get("settings", {}).get("tags") or {}
    return {t["Key"]: t["Value"] for t in state.get("tags", [])}
