"""Normalize: every way an execution starts (a CloudTrail event, a manual input) becomes one request shape."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from botocore.exceptions import ClientError

from restore_sync.aws import Aws, TableRef, error_code, translated_errors
from restore_sync.errors import InvalidRequest

CLOUDTRAIL = "AWS API Call via CloudTrail"
RESTORE_CALLS = ("RestoreTableToPointInTime", "RestoreTableFromBackup")


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
) -> dict[str, Any]:
    """The request, or `{"ignored": True, "reason": ...}` for an event restore-sync has nothing to do with.

    Raises InvalidRequest, listing every problem, for input that cannot be acted on; nothing is touched.
    """
    if isinstance(raw, dict) and raw.get("detail-type") == CLOUDTRAIL:
        request = _from_cloudtrail(aws, raw, default_settings)
    else:
        request = _from_manual(aws, raw, region, account, started_at, default_settings)
    if not request["ignored"]:
        manual = raw.get("triggersDisabled") if isinstance(raw, dict) and "detail-type" not in raw else None
        request["triggersDisabled"] = triggers_disabled if manual is None else bool(manual)
    return request


def ignored(reason: str) -> dict[str, Any]:
    return {"ignored": True, "reason": reason}


def _from_cloudtrail(aws: Aws, event: dict[str, Any], default_settings: tuple[str, ...]) -> dict[str, Any]:
    detail = event.get("detail") or {}
    name = detail.get("eventName")
    if event.get("source") != "aws.dynamodb" or name not in RESTORE_CALLS:
        return ignored(f"not a DynamoDB restore call: {event.get('source')} {name}")
    if detail.get("errorCode"):
        return ignored(f"the {name} call failed ({detail['errorCode']}): no table was restored")
    params = detail.get("requestParameters") or {}
    region = detail.get("awsRegion") or event.get("region")
    account = event.get("account") or detail.get("recipientAccountId")
    target = params.get("targetTableName")
    if not (isinstance(region, str) and isinstance(account, str) and isinstance(target, str)):
        raise InvalidRequest([f"the {name} event lacks its region, account or targetTableName"])
    if name == "RestoreTableFromBackup":
        source = _backup_source(aws, params.get("backupArn"), region)
    elif params.get("sourceTableArn"):
        source = _table_ref(params["sourceTableArn"], region, account)
    else:
        source = _table_ref(params.get("sourceTableName"), region, account)
    return _request(
        TableRef(target, region, account),
        source,
        settings=list(default_settings),
        dry_run=False,
        requested_at=detail.get("eventTime") or event.get("time"),
        trigger=name,
    )


def _from_manual(
    aws: Aws, raw: Any, region: str, account: str, started_at: str, default_settings: tuple[str, ...]
) -> dict[str, Any]:
    problems = input_problems(raw)
    if problems:
        raise InvalidRequest(problems)
    target = TableRef(raw["targetTableName"], region, account)
    source = _table_ref(raw.get("sourceTableArn") or raw.get("sourceTableName"), region, account)
    if source.arn == target.arn:
        problems.append(f"the source and the target are the same table ({target.arn})")
    if not _exists(aws, target):
        problems.append(f"target table {target.name} does not exist in {region}")
    if problems:
        raise InvalidRequest(problems)
    return _request(
        target,
        source,
        settings=list(raw.get("settings", default_settings)),
        dry_run=bool(raw.get("dryRun", False)),
        requested_at=started_at,
        trigger="manual",
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
    return f"{where}: {error.message}"


def _table_ref(name_or_arn: Any, region: str, account: str) -> TableRef:
    if not isinstance(name_or_arn, str):
        raise InvalidRequest(["the restore names no source table"])
    if name_or_arn.startswith("arn:"):
        try:
            return TableRef.from_arn(name_or_arn)
        except ValueError as error:
            raise InvalidRequest([str(error)]) from error
    return TableRef(name_or_arn, region, account)


def _backup_source(aws: Aws, backup_arn: Any, region: str) -> TableRef:
    if not isinstance(backup_arn, str):
        raise InvalidRequest(["the RestoreTableFromBackup event names no backupArn"])
    with translated_errors():
        description = aws.client("dynamodb", region).describe_backup(BackupArn=backup_arn)["BackupDescription"]
    return TableRef.from_arn(description["SourceTableDetails"]["TableArn"])


def _exists(aws: Aws, table: TableRef) -> bool:
    try:
        with translated_errors():
            aws.client("dynamodb", table.region).describe_table(TableName=table.name)
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return False
        raise
    return True


def _request(
    target: TableRef, source: TableRef, *, settings: list[str], dry_run: bool, requested_at: Any, trigger: str
) -> dict[str, Any]:
    return {
        "ignored": False,
        "trigger": trigger,
        "targetTableName": target.name,
        "targetTableArn": target.arn,
        "sourceTableName": source.name,
        "sourceTableArn": source.arn,
        "region": target.region,
        "settings": settings,
        "dryRun": dry_run,
        "requestedAt": str(requested_at),
    }
