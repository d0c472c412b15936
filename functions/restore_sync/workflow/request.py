"""Normalize: every way an execution starts becomes one request shape, or is ignored, or is refused.

Starts: a CloudTrail event of a successful RestoreTableToPointInTime or RestoreTableFromBackup call, an AWS
Backup "Restore Job State Change" event of a completed DynamoDB restore, or a manual input (the JSON Schema in
schemas/execution-input.schema.json). A tag on the source table can opt it out or narrow its settings.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any, TypeGuard

import jsonschema
from botocore.exceptions import ClientError

from restore_sync.aws import Aws, TableRef, error_code, is_table_arn, translated_errors
from restore_sync.contracts import DEFAULT_SETTINGS_FROM, Ignored, Request
from restore_sync.errors import UnusableEvent, ValidationError
from restore_sync.events import BACKUP_RESTORE, CLOUDTRAIL, RESTORE_CALLS
from restore_sync.names import TABLE_NAME
from restore_sync.settings import NAMES, ordered

# On the source table: `none` opts it out; `all`, or setting names separated by spaces or `+` (tag values cannot
# hold commas), choose what restores of it copy.
SETTINGS_TAG = "restore-sync:settings"
OPT_OUT = "none"
_TAG_SEPARATORS = re.compile(r"[\s+]+")


@cache
def input_schema() -> dict[str, Any]:
    text = resources.files("restore_sync").joinpath("schemas/execution-input.schema.json").read_text()
    return dict(json.loads(text))


def normalize(
    aws: Aws,
    raw: Any,
    *,
    region: str,
    account: str,
    started_at: str,
    default_settings: tuple[str, ...],
    triggers_disabled: bool = False,
) -> Request | Ignored:
    """The request, or Ignored with the reason for an event restore-sync has nothing to do with.

    Raises ValidationError (manual input), listing every problem, or UnusableEvent; nothing is touched.
    """
    if isinstance(raw, dict) and raw.get("detail-type") == CLOUDTRAIL:
        found = _from_cloudtrail(aws, raw)
    elif isinstance(raw, dict) and raw.get("detail-type") == BACKUP_RESTORE:
        found = _from_backup_job(aws, raw)
    else:
        return _from_manual(aws, raw, region, account, started_at, default_settings, triggers_disabled)
    if isinstance(found, str):
        return Ignored(reason=found)
    target, source, requested_at, trigger = found
    tagged = _tagged_settings(aws, source)
    if tagged == OPT_OUT:
        return Ignored(reason=f"source table {source.arn} is tagged {SETTINGS_TAG}={OPT_OUT}")
    settings = default_settings if tagged is None else tuple(s for s in default_settings if s in tagged)
    return Request.for_tables(
        target,
        source,
        trigger=trigger,
        settings=settings,
        dry_run=False,
        requested_at=str(requested_at),
        triggers_disabled=triggers_disabled,
        settings_from=DEFAULT_SETTINGS_FROM,
    )


Found = tuple[TableRef, TableRef, Any, str] | str


def _from_cloudtrail(aws: Aws, event: dict[str, Any]) -> Found:
    detail = event.get("detail") or {}
    name = detail.get("eventName")
    if event.get("source") != "aws.dynamodb" or name not in RESTORE_CALLS:
        return f"not a DynamoDB restore call: {event.get('source')} {name}"
    if detail.get("errorCode"):
        return f"the {name} call failed ({detail['errorCode']}): no table was restored"
    params = detail.get("requestParameters") or {}
    region = detail.get("awsRegion") or event.get("region")
    account = event.get("account") or detail.get("recipientAccountId")
    target = params.get("targetTableName")
    if not (isinstance(region, str) and isinstance(account, str) and isinstance(target, str)):
        raise UnusableEvent(f"the {name} event lacks its region, account or targetTableName")
    if name == "RestoreTableFromBackup":
        source = _backup_source(aws, params.get("backupArn"), region)
    else:
        source = _event_table(params.get("sourceTableArn") or params.get("sourceTableName"), region, account)
    return TableRef(target, region, account), source, detail.get("eventTime") or event.get("time"), name


def _from_backup_job(aws: Aws, event: dict[str, Any]) -> Found:
    detail = event.get("detail") or {}
    status = detail.get("status") or detail.get("state")
    if event.get("source") != "aws.backup" or detail.get("resourceType") != "DynamoDB":
        return f"not an AWS Backup restore of a DynamoDB table: {event.get('source')} {detail.get('resourceType')}"
    if status != "COMPLETED":
        return f"the AWS Backup restore job is {status}: nothing to sync until it completes"
    created = detail.get("createdResourceArn")
    if not isinstance(created, str) or not is_table_arn(created):
        raise UnusableEvent(f"the restore job event names no restored table: createdResourceArn={created!r}")
    target = TableRef.from_arn(created)
    source_arn = detail.get("sourceResourceArn") or _restore_job_source(aws, detail, target.region)
    if not isinstance(source_arn, str) or not is_table_arn(source_arn):
        raise UnusableEvent(f"the restore job {detail.get('restoreJobId')} names no source table")
    requested_at = detail.get("creationDate") or event.get("time")
    return target, TableRef.from_arn(source_arn), requested_at, "AWSBackupRestoreJob"


def _restore_job_source(aws: Aws, detail: dict[str, Any], region: str) -> str | None:
    """The source of a restore job whose event omits it: the job, else the recovery point's backup."""
    if detail.get("restoreJobId"):
        with translated_errors():
            job = aws.client("backup", region).describe_restore_job(RestoreJobId=detail["restoreJobId"])
        if job.get("SourceResourceArn"):
            return str(job["SourceResourceArn"])
    recovery_point = detail.get("recoveryPointArn")
    if isinstance(recovery_point, str) and ":dynamodb:" in recovery_point:
        return _backup_source(aws, recovery_point, region).arn
    return None


def _from_manual(
    aws: Aws,
    raw: Any,
    region: str,
    account: str,
    started_at: str,
    default_settings: tuple[str, ...],
    triggers_disabled: bool,
) -> Request:
    problems = input_problems(raw)
    fields = raw if isinstance(raw, dict) else {}
    target_name = fields.get("targetTableName")
    target = TableRef(target_name, region, account) if _legal_name(target_name) else None
    source = _manual_source(fields, region, account)
    # Tables are checked even when the schema already failed, so one refusal names every problem.
    if target is not None and source is not None and source.arn == target.arn:
        problems.append(f"the source and the target are the same table ({target.arn})")
    if target is not None and not _exists(aws, target):
        problems.append(f"target table {target.name} does not exist in {region}")
    if problems or target is None or source is None:
        raise ValidationError(problems)
    return Request.for_tables(
        target,
        source,
        trigger="manual",
        settings=tuple(fields.get("settings", default_settings)),
        dry_run=bool(fields.get("dryRun", False)),
        requested_at=started_at,
        triggers_disabled=bool(fields.get("triggersDisabled", triggers_disabled)),
        settings_from=fields.get("settingsFrom", DEFAULT_SETTINGS_FROM),
        grant_recorded_access=bool(fields.get("grantRecordedAccess", False)),
    )


def input_problems(raw: Any) -> list[str]:
    """Every problem the published input schema finds in a manual input, in words a person can act on."""
    validator = jsonschema.Draft202012Validator(input_schema())
    return [_describe(error) for error in sorted(validator.iter_errors(raw), key=lambda e: list(e.path))]


def _describe(error: jsonschema.ValidationError) -> str:
    where = ".".join(str(p) for p in error.path) or "input"
    if error.validator == "oneOf":
        return f"{where}: give exactly one of sourceTableName or sourceTableArn"
    if error.validator == "additionalProperties":
        return f"{where}: {error.message} (allowed: {', '.join(sorted(input_schema()['properties']))})"
    if error.validator == "enum" and list(error.path)[:1] == ["settings"]:
        return f"{where}: {error.instance!r} is not a setting (settings: {', '.join(NAMES)})"
    return f"{where}: {error.message}"


def _legal_name(name: Any) -> TypeGuard[str]:
    return isinstance(name, str) and bool(TABLE_NAME.match(name))


def _manual_source(fields: dict[str, Any], region: str, account: str) -> TableRef | None:
    arn, name = fields.get("sourceTableArn"), fields.get("sourceTableName")
    if isinstance(arn, str) and is_table_arn(arn):
        return TableRef.from_arn(arn)
    if arn is None and _legal_name(name):
        return TableRef(name, region, account)
    return None


def _event_table(name_or_arn: Any, region: str, account: str) -> TableRef:
    if isinstance(name_or_arn, str) and is_table_arn(name_or_arn):
        return TableRef.from_arn(name_or_arn)
    if _legal_name(name_or_arn):
        return TableRef(name_or_arn, region, account)
    raise UnusableEvent(f"the restore event names no usable source table: {name_or_arn!r}")


def _backup_source(aws: Aws, backup_arn: Any, region: str) -> TableRef:
    if not isinstance(backup_arn, str):
        raise UnusableEvent("the restore from a backup names no backup ARN")
    with translated_errors():
        description = aws.client("dynamodb", region).describe_backup(BackupArn=backup_arn)["BackupDescription"]
    return TableRef.from_arn(description["SourceTableDetails"]["TableArn"])


def _tagged_settings(aws: Aws, source: TableRef) -> list[str] | str | None:
    """What the source's `restore-sync:settings` tag asks for: OPT_OUT, a list of settings, or None (no tag, or
    no source to read it from: a deleted source is handled where its settings are read)."""
    try:
        with translated_errors():
            pages = aws.client("dynamodb", source.region).get_paginator("list_tags_of_resource")
            tags = {t["Key"]: t["Value"] for page in pages.paginate(ResourceArn=source.arn) for t in page["Tags"]}
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        raise
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


def _exists(aws: Aws, table: TableRef) -> bool:
    try:
        with translated_errors():
            aws.client("dynamodb", table.region).describe_table(TableName=table.name)
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return False
        raise
    return True
