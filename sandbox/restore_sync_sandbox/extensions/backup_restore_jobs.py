"""AWS Backup of DynamoDB tables: backup jobs, recovery points, restore jobs, and their EventBridge events.

AWS behaviour reproduced (AWS Backup API reference; "Monitoring AWS Backup events using Amazon EventBridge"):
- StartBackupJob (BackupVaultName, ResourceArn of a DynamoDB table, IamRoleArn) into an existing vault makes a
  recovery point backed by a real DynamoDB backup of the table (BackupType AWS_BACKUP), so its items can be
  restored. The sandbox completes the job at once: DescribeBackupJob / ListBackupJobs show `State: COMPLETED`.
- Recovery points: DescribeRecoveryPoint, ListRecoveryPointsByBackupVault, ListRecoveryPointsByResource and
  GetRecoveryPointRestoreMetadata (`{"TargetTableName": <source table>, "encryptionType": "Default" | "KMS"[,
  "kmsMasterKeyArn"]}`, the mixed casing AWS returns). Their ARN is `arn:aws:backup:<region>:<account>:
  recovery-point:<uuid>` (advanced DynamoDB backup, the default here) or, after
  `configure(advanced_dynamodb_backup=False)`, the DynamoDB backup's own ARN
  (`arn:aws:dynamodb:<region>:<account>:table/<name>/backup/<id>`), as for accounts without advanced features.
- StartRestoreJob (RecoveryPointArn, Metadata with `targetTableName` (`TargetTableName` is accepted too, as
  returned by GetRecoveryPointRestoreMetadata), optional `encryptionType` Default | KMS and `kmsMasterKeyArn`,
  IamRoleArn, ResourceType DynamoDB) restores the backing backup through the DynamoDB restore of the sandbox
  (extensions/dynamodb_restore.py), so the new table stays CREATING for the configured time on the sandbox
  clock and gets none of the source's TTL, stream, PITR, tags or deletion protection. `encryptionType: Default`
  (or none) gives a DynamoDB-owned key; `KMS` the given key. A table name already taken makes the job FAILED
  with DynamoDB's message, as AWS fails the job rather than the call. `CopySourceTagsToRestoredResource` is
  ignored: AWS Backup does not copy tags on restore for DynamoDB.
- DescribeRestoreJob / ListRestoreJobs: `Status: RUNNING` while the restored table is CREATING, `COMPLETED`
  (CompletionDate = when the sandbox saw it ACTIVE, PercentDone "100.0") once it is ACTIVE, `FAILED` if it
  disappears first. CreatedResourceArn, SourceResourceArn, RecoveryPointArn, BackupVaultArn, ResourceType
  "DynamoDB", IamRoleArn, CreationDate, RecoveryPointCreationDate.
- Events on the default bus of the job's account and region, `source: aws.backup`, `resources: [<recovery
  point ARN>]`, detail keys in camelCase with dates like `2020-07-15T03:10:01.742Z`:
  `Restore Job State Change` first `{"state": "CREATED"}` (AWS's first event says `state`), then `{"status":
  "RUNNING"}`, then `{"status": "COMPLETED", createdResourceArn, sourceResourceArn, recoveryPointArn,
  backupVaultArn, resourceType, restoreJobId, creationDate, completionDate, iamRoleArn, percentDone,
  backupSizeInBytes}` (or `"FAILED"` with statusMessage); `Backup Job State Change` `{"state": "COMPLETED"}`
  for each backup job. CREATED and RUNNING are put during StartRestoreJob; COMPLETED as soon as the table is
  ACTIVE: during StartRestoreJob when restores take no time (the default), otherwise when any AWS Backup call
  or the background watcher (every 0.1 s of wall time, reading the sandbox clock) sees it ACTIVE. On a virtual
  clock, advance the clock: the watcher then emits it within 0.1 s. AWS batches these events (best effort,
  about every 5 minutes); the sandbox does not model that delay. A failure to put an event never breaks the API
  call.
- Errors: an unknown vault, recovery point, job or table is ResourceNotFoundException; a missing required
  member MissingParameterValueException; a malformed ARN, a ResourceType other than DynamoDB or KMS encryption
  without a key InvalidParameterValueException. The codes are those the API reference lists; the message texts
  are the sandbox's own.
- A job started by a restore testing plan (extensions/backup_restore_testing.py) names it: DescribeRestoreJob and
  ListRestoreJobs answer `CreatedBy.RestoreTestingPlanArn` (ListRestoreJobs filters on ByRestoreTestingPlanArn)
  and its ValidationStatus, ValidationStatusMessage, DeletionStatus and DeletionStatusMessage once set; its
  events' detail carries `restoreTestingPlanArn`, as AWS Backup's restore testing validation guide reads it.
- Not reproduced: backup plans running jobs, lifecycle and cold storage, copy jobs, vault locks and access
  policies, pagination (every list is one page), cross-account vaults.
- CloudTrail: the DynamoDB restore AWS Backup makes on the caller's behalf is recorded (when the CloudTrail
  extension tracks RestoreTableFromBackup) as a call by the job's role, invokedBy backup.amazonaws.com, with the
  recovery point's ARN as `backupArn`: a restore by AWS Backup is announced twice, by its job and by this record.

moto internals patched: none replaced. `moto.backup.urls.url_paths` gains the job and recovery point routes
(moto reads it when it builds a service's routes, in-process and in the server), `BackupResponse` gains one
handler method per operation (moto finds them by name), and each `BackupBackend` keeps the jobs in an attribute
of its own, so moto's reset forgets them. Restores call `DynamoHandler.restore_table_from_backup`, the one
extensions/dynamodb_restore.py installs.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.backup import urls as backup_urls
from moto.backup.exceptions import (
    BackupClientError,
    InvalidParameterValueException,
    ResourceNotFoundException,
)
from moto.backup.models import BackupBackend, Vault
from moto.backup.responses import BackupResponse
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.table import Backup, Table
from moto.dynamodb.responses import DynamoHandler
from moto.events.models import events_backends
from moto.utilities.utils import get_partition

from restore_sync_sandbox import clock
from restore_sync_sandbox.extensions import cloudtrail_events, dynamodb_restore

logger = logging.getLogger(__name__)

SOURCE = "aws.backup"
RESTORE_DETAIL_TYPE = "Restore Job State Change"
BACKUP_DETAIL_TYPE = "Backup Job State Change"
RESOURCE_TYPE = "DynamoDB"
WATCH_INTERVAL_SECONDS = 0.1

# Routes moto's backup urls.py lacks; each dispatches to BackupResponse, which resolves the operation from the
# request itself (method and path, against the service model).
URL_PATHS: dict[str, str] = {
    "{0}/backup-jobs(?P<backup_job_path>/?[^/]*)$": "backup-jobs",
    "{0}/restore-jobs(?P<restore_job_path>/?[^/]*)$": "restore-jobs",
    "{0}/backup-vaults/(?P<vault_name>[^/]+)/recovery-points(?P<recovery_point_path>/?.*)$": "recovery-points",
    "{0}/resources/(?P<resource_path>.+/recovery-points/?)$": "resource recovery points",
}
_STATE_ATTRIBUTE = "_sandbox_backup_jobs"


class MissingParameterValueException(BackupClientError):
    def __init__(self, msg: str) -> None:
        super().__init__("MissingParameterValueException", msg)


@dataclass
class _Settings:
    advanced_dynamodb_backup: bool = True


@dataclass
class RecoveryPoint:
    arn: str
    vault_name: str
    vault_arn: str
    resource_arn: str
    resource_name: str
    backup_arn: str
    iam_role_arn: str
    created: datetime
    completed: datetime
    size: int
    encryption_key_arn: str | None
    restore_metadata: dict[str, str]


@dataclass
class BackupJob:
    job_id: str
    recovery_point: RecoveryPoint
    created: datetime
    completed: datetime


@dataclass
class RestoreJob:
    job_id: str
    recovery_point: RecoveryPoint
    iam_role_arn: str
    target_name: str
    created: datetime
    status: str = "RUNNING"
    status_message: str | None = None
    created_resource_arn: str | None = None
    completed: datetime | None = None
    table: weakref.ReferenceType[Table] | None = None
    # Set for a job a restore testing plan started (extensions/backup_restore_testing.py).
    restore_testing_plan_arn: str | None = None
    validation_status: str | None = None
    validation_status_message: str | None = None
    deletion_status: str | None = None
    deletion_status_message: str | None = None


@dataclass
class _Jobs:
    """What one account and region of AWS Backup holds beyond moto's vaults and plans."""

    recovery_points: dict[str, RecoveryPoint] = field(default_factory=dict)
    backup_jobs: dict[str, BackupJob] = field(default_factory=dict)
    restore_jobs: dict[str, RestoreJob] = field(default_factory=dict)
    idempotency: dict[str, str] = field(default_factory=dict)


_settings = _Settings()
_lock = threading.RLock()
# Restore jobs still RUNNING, watched until their table is ACTIVE: job id -> (backend, job).
_watched: dict[str, tuple[BackupBackend, RestoreJob]] = {}
_watcher: threading.Thread | None = None
_installed = False


def configure(advanced_dynamodb_backup: bool | None = None) -> None:
    """`advanced_dynamodb_backup=False` gives later recovery points the DynamoDB backup's ARN instead of an
    `arn:aws:backup:...:recovery-point:<uuid>` one, as in accounts without advanced DynamoDB backup."""
    with _lock:
        if advanced_dynamodb_backup is not None:
            _settings.advanced_dynamodb_backup = advanced_dynamodb_backup


def reset() -> None:
    """Back to the defaults (advanced DynamoDB backup), and stops watching running restore jobs."""
    with _lock:
        _settings.advanced_dynamodb_backup = True
        _watched.clear()


def _jobs(backend: BackupBackend) -> _Jobs:
    state = backend.__dict__.get(_STATE_ATTRIBUTE)
    if state is None:
        state = _Jobs()
        setattr(backend, _STATE_ATTRIBUTE, state)
    return state


def _now() -> datetime:
    return clock.current().now()


def _naive_utc(moment: datetime) -> datetime:
    # moto's DynamoDB keeps naive UTC datetimes.
    return moment.astimezone(UTC).replace(tzinfo=None)


def _event_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _required(params: dict[str, Any], name: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise MissingParameterValueException(f"Missing required parameter in input: {name}")
    return value


def _vault(backend: BackupBackend, name: str) -> Vault:
    vault = backend.vaults.get(name)
    if vault is None:
        raise ResourceNotFoundException(f"Backup vault {name} not found")
    return vault


def _table_arn_parts(arn: str) -> tuple[str, str, str]:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "dynamodb" or not parts[5].startswith("table/"):
        raise InvalidParameterValueException(f"Invalid ARN: {arn}")
    name = parts[5][len("table/") :]
    if not name or "/" in name:
        raise InvalidParameterValueException(f"Invalid ARN: {arn}")
    return parts[3], parts[4], name


def _recovery_point(backend: BackupBackend, arn: str, vault_name: str | None = None) -> RecoveryPoint:
    point = _jobs(backend).recovery_points.get(arn)
    if point is None or (vault_name is not None and point.vault_name != vault_name):
        raise ResourceNotFoundException(f"Recovery point {arn} not found")
    return point


def _restore_metadata(table: Table, name: str) -> dict[str, str]:
    metadata = {"TargetTableName": name, "encryptionType": "Default"}
    sse = table.sse_specification or {}
    if sse.get("Enabled") and sse.get("KMSMasterKeyId"):
        metadata["encryptionType"] = "KMS"
        metadata["kmsMasterKeyArn"] = str(sse["KMSMasterKeyId"])
    return metadata


def _size(table: Table) -> int:
    # An estimate: moto keeps no storage sizes. What matters is that it is a number that grows with the data.
    return sum(len(json.dumps(item.to_json(), sort_keys=True)) for item in table.all_items())


def start_backup_job(self: BackupBackend, vault_name: str, resource_arn: str, iam_role_arn: str) -> BackupJob:
    """Backend method: backs a DynamoDB table up into a vault; the job is COMPLETED when this returns."""
    vault = _vault(self, vault_name)
    region, account, table_name = _table_arn_parts(resource_arn)
    if (region, account) != (self.region_name, self.account_id):
        raise InvalidParameterValueException(
            f"Resource {resource_arn} is not in the account and Region of the backup vault {vault_name}"
        )
    ddb: DynamoDBBackend = dynamodb_backends[account][region]
    table = ddb.tables.get(table_name)
    if table is None:
        raise ResourceNotFoundException(f"Resource {resource_arn} not found")
    now = _now()
    job_id = str(uuid.uuid4()).upper()
    backup = Backup(account, region, f"AwsBackup-{job_id}", table, type_="AWS_BACKUP")
    backup.creation_date_time = _naive_utc(now)
    ddb.backups[backup.arn] = backup
    with _lock:
        advanced = _settings.advanced_dynamodb_backup
    partition = get_partition(region)
    arn = f"arn:{partition}:backup:{region}:{account}:recovery-point:{uuid.uuid4()}" if advanced else backup.arn
    point = RecoveryPoint(
        arn=arn,
        vault_name=vault.backup_vault_name,
        vault_arn=vault.backup_vault_arn,
        resource_arn=table.table_arn,
        resource_name=table.name,
        backup_arn=backup.arn,
        iam_role_arn=iam_role_arn,
        created=now,
        completed=now,
        size=_size(table),
        encryption_key_arn=vault.encryption_key_arn if advanced else None,
        restore_metadata=_restore_metadata(table, table.name),
    )
    job = BackupJob(job_id=job_id, recovery_point=point, created=now, completed=now)
    state = _jobs(self)
    with _lock:
        state.recovery_points[arn] = point
        state.backup_jobs[job_id] = job
        vault.num_of_recovery_points += 1
    _put_event(self, BACKUP_DETAIL_TYPE, _backup_job_detail(job), point.arn)
    return job


def start_restore_job(
    self: BackupBackend,
    recovery_point_arn: str,
    metadata: dict[str, str],
    iam_role_arn: str,
    resource_type: str | None,
    idempotency_token: str | None,
    restore_testing_plan_arn: str | None = None,
) -> RestoreJob:
    """Backend method: restores a recovery point into a new DynamoDB table; returns the RUNNING (or already
    COMPLETED, or FAILED) job."""
    state = _jobs(self)
    if idempotency_token and idempotency_token in state.idempotency:
        return state.restore_jobs[state.idempotency[idempotency_token]]
    point = _recovery_point(self, recovery_point_arn)
    if resource_type is not None and resource_type != RESOURCE_TYPE:
        raise InvalidParameterValueException(
            f"Resource type {resource_type} does not match the recovery point's resource type {RESOURCE_TYPE}"
        )
    target_name = metadata.get("targetTableName") or metadata.get("TargetTableName")
    if not target_name:
        raise InvalidParameterValueException("Metadata must contain targetTableName")
    body: dict[str, Any] = {"TargetTableName": target_name, "BackupArn": point.backup_arn}
    encryption = metadata.get("encryptionType", "Default")
    if encryption == "KMS":
        key = metadata.get("kmsMasterKeyArn")
        if not key:
            raise InvalidParameterValueException("kmsMasterKeyArn is required when encryptionType is KMS")
        body["SSESpecificationOverride"] = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key}
    elif encryption == "Default":
        body["SSESpecificationOverride"] = {"Enabled": False}
    else:
        raise InvalidParameterValueException(f"Invalid encryptionType: {encryption}")

    job = RestoreJob(
        job_id=str(uuid.uuid4()).upper(),
        recovery_point=point,
        iam_role_arn=iam_role_arn,
        target_name=target_name,
        created=_now(),
        restore_testing_plan_arn=restore_testing_plan_arn,
    )
    with _lock:
        state.restore_jobs[job.job_id] = job
        if idempotency_token:
            state.idempotency[idempotency_token] = job.job_id
    created: dict[str, Any] = {"restoreJobId": job.job_id, "creationDate": _event_time(job.created), "state": "CREATED"}
    if restore_testing_plan_arn:
        created["restoreTestingPlanArn"] = restore_testing_plan_arn
    _put_event(self, RESTORE_DETAIL_TYPE, created, point.arn)
    try:
        table = _restore_table(self, body)
    except JsonRESTError as error:
        # DynamoDB refused the restore (a name taken, an invalid name...): AWS Backup fails the job, not the call.
        with _lock:
            job.status, job.status_message, job.completed = "FAILED", error.message, _now()
        _put_event(self, RESTORE_DETAIL_TYPE, _restore_job_detail(job), point.arn)
        return job
    # AWS Backup names its recovery point as the source of the restore.
    table.source_backup_arn = point.arn  # type: ignore[attr-defined]
    # CloudTrail records the restore call AWS Backup made with the job's role, naming the recovery point.
    try:
        cloudtrail_events.record_call(
            self.account_id,
            self.region_name,
            "dynamodb",
            "RestoreTableFromBackup",
            request_parameters={"targetTableName": target_name, "backupArn": point.arn},
            response_elements={"tableDescription": {"tableName": target_name, "tableArn": table.table_arn}},
            role_arn=iam_role_arn,
            invoked_by="backup.amazonaws.com",
        )
    except Exception:
        # A lost record must never fail the job, as a lost event never does.
        logger.exception("the CloudTrail record of AWS Backup's restore could not be put")
    with _lock:
        job.table = weakref.ref(table)
        job.created_resource_arn = table.table_arn
    _put_event(self, RESTORE_DETAIL_TYPE, _restore_job_detail(job), point.arn)
    if not _refresh(self, job):
        _watch(self, job)
    return job


def _restore_table(backend: BackupBackend, body: dict[str, Any]) -> Table:
    # The DynamoDB handler, not the backend, is where extensions/dynamodb_restore.py starts its CREATING window.
    handler = DynamoHandler()
    handler.current_account = backend.account_id
    handler.region = backend.region_name
    handler.body = body
    handler.restore_table_from_backup()
    table: Table = dynamodb_backends[backend.account_id][backend.region_name].tables[body["TargetTableName"]]
    return table


def _refresh(backend: BackupBackend, job: RestoreJob) -> bool:
    """Moves a RUNNING job on when its table is ACTIVE (or gone); True once the job is over. Emits its event."""
    with _lock:
        if job.status != "RUNNING":
            return True
        table = job.table() if job.table is not None else None
        tables = dynamodb_backends[backend.account_id][backend.region_name].tables
        if table is None or tables.get(job.target_name) is not table:
            job.status, job.status_message = "FAILED", f"Table {job.target_name} was deleted during the restore"
        elif table.describe()["TableDescription"]["TableStatus"] == "ACTIVE":
            job.status = "COMPLETED"
        else:
            return False
        job.completed = _now()
        detail = _restore_job_detail(job)
    _put_event(backend, RESTORE_DETAIL_TYPE, detail, job.recovery_point.arn)
    return True


def _refresh_all(backend: BackupBackend) -> None:
    for job in list(_jobs(backend).restore_jobs.values()):
        _refresh(backend, job)


def _watch(backend: BackupBackend, job: RestoreJob) -> None:
    global _watcher
    with _lock:
        _watched[job.job_id] = (backend, job)
        if _watcher is None or not _watcher.is_alive():
            _watcher = threading.Thread(target=_watch_loop, name="sandbox-backup-restore-jobs", daemon=True)
            _watcher.start()


def _watch_loop() -> None:
    stop = threading.Event()
    while _watched and not stop.wait(WATCH_INTERVAL_SECONDS):
        with _lock:
            watched = list(_watched.items())
        for job_id, (backend, job) in watched:
            try:
                current = backend.__dict__.get(_STATE_ATTRIBUTE)
                # A reset moto forgot the job: nothing to complete any more.
                over = current is None or current.restore_jobs.get(job_id) is not job or _refresh(backend, job)
            except Exception:
                logger.exception("restore job %s could not be checked", job_id)
                over = True
            if over:
                with _lock:
                    _watched.pop(job_id, None)


def _backup_job_detail(job: BackupJob) -> dict[str, Any]:
    point = job.recovery_point
    return {
        "backupJobId": job.job_id,
        "backupSizeInBytes": str(point.size),
        "backupVaultArn": point.vault_arn,
        "backupVaultName": point.vault_name,
        "bytesTransferred": str(point.size),
        "creationDate": _event_time(job.created),
        "iamRoleArn": point.iam_role_arn,
        "resourceArn": point.resource_arn,
        "resourceType": RESOURCE_TYPE,
        "state": "COMPLETED",
        "completionDate": _event_time(job.completed),
        "startBy": _event_time(job.created + timedelta(hours=8)),
        "percentDone": 100,
    }


def _restore_job_detail(job: RestoreJob) -> dict[str, Any]:
    point = job.recovery_point
    detail: dict[str, Any] = {"restoreJobId": job.job_id}
    if job.status == "COMPLETED":
        detail.update(
            {
                "backupVaultArn": point.vault_arn,
                "recoveryPointArn": point.arn,
                "sourceResourceArn": point.resource_arn,
            }
        )
    detail.update(
        {
            "backupSizeInBytes": str(point.size),
            "creationDate": _event_time(job.created),
            "iamRoleArn": job.iam_role_arn,
            # AWS's published restore events carry 0 here whatever the status.
            "percentDone": 0,
            "resourceType": RESOURCE_TYPE,
            "status": job.status,
        }
    )
    if job.status == "COMPLETED":
        detail["createdResourceArn"] = job.created_resource_arn
    if job.status_message:
        detail["statusMessage"] = job.status_message
    if job.completed is not None:
        detail["completionDate"] = _event_time(job.completed)
    if job.restore_testing_plan_arn:
        detail["restoreTestingPlanArn"] = job.restore_testing_plan_arn
    return detail


def _put_event(backend: BackupBackend, detail_type: str, detail: dict[str, Any], resource: str) -> None:
    try:
        entries = events_backends[backend.account_id][backend.region_name].put_events(
            [
                {
                    "Source": SOURCE,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail),
                    "Time": clock.current().time(),
                    "Resources": [resource],
                }
            ]
        )
        failed = [entry for entry in entries if "ErrorCode" in entry]
        if failed:
            logger.warning("AWS Backup event not accepted by EventBridge: %s", failed)
    except Exception:
        # A lost event must never turn a successful API call into a failure.
        logger.exception("AWS Backup event could not be put")


def _describe_recovery_point(point: RecoveryPoint) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "RecoveryPointArn": point.arn,
        "BackupVaultName": point.vault_name,
        "BackupVaultArn": point.vault_arn,
        "ResourceArn": point.resource_arn,
        "ResourceType": RESOURCE_TYPE,
        "IamRoleArn": point.iam_role_arn,
        "Status": "COMPLETED",
        "CreationDate": point.created,
        "InitiationDate": point.created,
        "CompletionDate": point.completed,
        "BackupSizeInBytes": point.size,
        "IsEncrypted": True,
        "StorageClass": "WARM",
        "IsParent": False,
        "ResourceName": point.resource_name,
        "VaultType": "BACKUP_VAULT",
    }
    if point.encryption_key_arn:
        answer["EncryptionKeyArn"] = point.encryption_key_arn
    return answer


def _describe_backup_job(job: BackupJob, account_id: str) -> dict[str, Any]:
    point = job.recovery_point
    return {
        "AccountId": account_id,
        "BackupJobId": job.job_id,
        "BackupVaultName": point.vault_name,
        "BackupVaultArn": point.vault_arn,
        "RecoveryPointArn": point.arn,
        "ResourceArn": point.resource_arn,
        "CreationDate": job.created,
        "CompletionDate": job.completed,
        "State": "COMPLETED",
        "PercentDone": "100.0",
        "BackupSizeInBytes": point.size,
        "BytesTransferred": point.size,
        "IamRoleArn": point.iam_role_arn,
        "ResourceType": RESOURCE_TYPE,
        "StartBy": job.created + timedelta(hours=8),
        "IsParent": False,
        "ResourceName": point.resource_name,
        "InitiationDate": job.created,
    }


def _describe_restore_job(job: RestoreJob, account_id: str) -> dict[str, Any]:
    point = job.recovery_point
    answer: dict[str, Any] = {
        "AccountId": account_id,
        "RestoreJobId": job.job_id,
        "RecoveryPointArn": point.arn,
        "SourceResourceArn": point.resource_arn,
        "BackupVaultArn": point.vault_arn,
        "CreationDate": job.created,
        "Status": job.status,
        "PercentDone": "100.0" if job.status == "COMPLETED" else "0.0",
        "BackupSizeInBytes": point.size,
        "IamRoleArn": job.iam_role_arn,
        "ResourceType": RESOURCE_TYPE,
        "RecoveryPointCreationDate": point.created,
        "IsParent": False,
    }
    if job.created_resource_arn:
        answer["CreatedResourceArn"] = job.created_resource_arn
    if job.completed is not None:
        answer["CompletionDate"] = job.completed
    if job.status_message:
        answer["StatusMessage"] = job.status_message
    if job.restore_testing_plan_arn:
        answer["CreatedBy"] = {"RestoreTestingPlanArn": job.restore_testing_plan_arn}
    for key, value in (
        ("ValidationStatus", job.validation_status),
        ("ValidationStatusMessage", job.validation_status_message),
        ("DeletionStatus", job.deletion_status),
        ("DeletionStatusMessage", job.deletion_status_message),
    ):
        if value is not None:
            answer[key] = value
    return answer


def _params(self: BackupResponse) -> dict[str, Any]:
    # moto's backup handlers read bodies by hand; these operations use the service model's parser instead, which
    # also reads URI labels (URL-decoded ARNs) and query strings under their member names.
    self.parse_parameters(self.normalized_request)
    return dict(self.params)


def _handle_start_backup_job(self: BackupResponse) -> ActionResult:
    params = _params(self)
    job = self.backup_backend.start_backup_job(  # type: ignore[attr-defined]
        _required(params, "BackupVaultName"), _required(params, "ResourceArn"), _required(params, "IamRoleArn")
    )
    return ActionResult(
        {
            "BackupJobId": job.job_id,
            "RecoveryPointArn": job.recovery_point.arn,
            "CreationDate": job.created,
            "IsParent": False,
        }
    )


def _handle_describe_backup_job(self: BackupResponse) -> ActionResult:
    job_id = _required(_params(self), "BackupJobId")
    job = _jobs(self.backup_backend).backup_jobs.get(job_id)
    if job is None:
        raise ResourceNotFoundException(f"Backup job {job_id} not found")
    return ActionResult(_describe_backup_job(job, self.backup_backend.account_id))


def _handle_list_backup_jobs(self: BackupResponse) -> ActionResult:
    params = _params(self)
    jobs = [
        _describe_backup_job(job, self.backup_backend.account_id)
        for job in _jobs(self.backup_backend).backup_jobs.values()
        if params.get("ByResourceArn") in (None, job.recovery_point.resource_arn)
        and params.get("ByBackupVaultName") in (None, job.recovery_point.vault_name)
        and params.get("ByState") in (None, "COMPLETED")
        and params.get("ByResourceType") in (None, RESOURCE_TYPE)
    ]
    return ActionResult({"BackupJobs": jobs})


def _handle_describe_recovery_point(self: BackupResponse) -> ActionResult:
    params = _params(self)
    vault = _vault(self.backup_backend, _required(params, "BackupVaultName"))
    point = _recovery_point(self.backup_backend, _required(params, "RecoveryPointArn"), vault.backup_vault_name)
    return ActionResult(_describe_recovery_point(point))


def _handle_list_recovery_points_by_backup_vault(self: BackupResponse) -> ActionResult:
    params = _params(self)
    vault = _vault(self.backup_backend, _required(params, "BackupVaultName"))
    points = [
        _describe_recovery_point(point)
        for point in _jobs(self.backup_backend).recovery_points.values()
        if point.vault_name == vault.backup_vault_name
        and params.get("ByResourceArn") in (None, point.resource_arn)
        and params.get("ByResourceType") in (None, RESOURCE_TYPE)
    ]
    return ActionResult({"RecoveryPoints": points})


def _handle_list_recovery_points_by_resource(self: BackupResponse) -> ActionResult:
    resource_arn = _required(_params(self), "ResourceArn")
    points = [
        {
            "RecoveryPointArn": point.arn,
            "CreationDate": point.created,
            "Status": "COMPLETED",
            "BackupSizeBytes": point.size,
            "BackupVaultName": point.vault_name,
            "IsParent": False,
            "ResourceName": point.resource_name,
            "VaultType": "BACKUP_VAULT",
            **({"EncryptionKeyArn": point.encryption_key_arn} if point.encryption_key_arn else {}),
        }
        for point in _jobs(self.backup_backend).recovery_points.values()
        if point.resource_arn == resource_arn
    ]
    return ActionResult({"RecoveryPoints": points})


def _handle_get_recovery_point_restore_metadata(self: BackupResponse) -> ActionResult:
    params = _params(self)
    vault = _vault(self.backup_backend, _required(params, "BackupVaultName"))
    point = _recovery_point(self.backup_backend, _required(params, "RecoveryPointArn"), vault.backup_vault_name)
    return ActionResult(
        {
            "BackupVaultArn": point.vault_arn,
            "RecoveryPointArn": point.arn,
            "RestoreMetadata": dict(point.restore_metadata),
            "ResourceType": RESOURCE_TYPE,
        }
    )


def _handle_start_restore_job(self: BackupResponse) -> ActionResult:
    params = _params(self)
    metadata = _required(params, "Metadata")
    job = self.backup_backend.start_restore_job(  # type: ignore[attr-defined]
        _required(params, "RecoveryPointArn"),
        dict(metadata),
        params.get("IamRoleArn") or "",
        params.get("ResourceType"),
        params.get("IdempotencyToken"),
    )
    return ActionResult({"RestoreJobId": job.job_id})


def _handle_describe_restore_job(self: BackupResponse) -> ActionResult:
    job_id = _required(_params(self), "RestoreJobId")
    job = _jobs(self.backup_backend).restore_jobs.get(job_id)
    if job is None:
        raise ResourceNotFoundException(f"Restore job {job_id} not found")
    _refresh(self.backup_backend, job)
    return ActionResult(_describe_restore_job(job, self.backup_backend.account_id))


def _handle_list_restore_jobs(self: BackupResponse) -> ActionResult:
    params = _params(self)
    backend = self.backup_backend
    _refresh_all(backend)
    after, before = params.get("ByCreatedAfter"), params.get("ByCreatedBefore")
    jobs = [
        _describe_restore_job(job, backend.account_id)
        for job in _jobs(backend).restore_jobs.values()
        if params.get("ByStatus") in (None, job.status)
        and params.get("ByResourceType") in (None, RESOURCE_TYPE)
        and params.get("ByAccountId") in (None, backend.account_id)
        and params.get("ByRestoreTestingPlanArn") in (None, job.restore_testing_plan_arn)
        and (after is None or job.created >= after)
        and (before is None or job.created <= before)
    ]
    return ActionResult({"RestoreJobs": jobs})


HANDLER_METHODS: dict[str, Callable[..., Any]] = {
    "start_backup_job": _handle_start_backup_job,
    "describe_backup_job": _handle_describe_backup_job,
    "list_backup_jobs": _handle_list_backup_jobs,
    "describe_recovery_point": _handle_describe_recovery_point,
    "list_recovery_points_by_backup_vault": _handle_list_recovery_points_by_backup_vault,
    "list_recovery_points_by_resource": _handle_list_recovery_points_by_resource,
    "get_recovery_point_restore_metadata": _handle_get_recovery_point_restore_metadata,
    "start_restore_job": _handle_start_restore_job,
    "describe_restore_job": _handle_describe_restore_job,
    "list_restore_jobs": _handle_list_restore_jobs,
}
BACKEND_METHODS: dict[str, Callable[..., Any]] = {
    "start_backup_job": start_backup_job,
    "start_restore_job": start_restore_job,
}


def _check_moto() -> None:
    # The additions lean on these moto internals.
    if not isinstance(getattr(backup_urls, "url_paths", None), dict):
        raise RuntimeError("moto changed: moto.backup.urls.url_paths is gone")
    if not isinstance(BackupResponse.__dict__.get("backup_backend"), property):
        raise RuntimeError("moto changed: BackupResponse.backup_backend is gone")
    if not callable(getattr(BackupResponse, "parse_parameters", None)):
        raise RuntimeError("moto changed: BaseResponse.parse_parameters is gone")
    if not callable(getattr(DynamoHandler, "restore_table_from_backup", None)):
        raise RuntimeError("moto changed: DynamoHandler.restore_table_from_backup is gone")


def install() -> None:
    """Adds the AWS Backup job and recovery point APIs to moto; calling it again does nothing."""
    global _installed
    dynamodb_restore.install()
    with _lock:
        if _installed:
            return
        _check_moto()
        for pattern in URL_PATHS:
            backup_urls.url_paths[pattern] = BackupResponse.dispatch
        for name, function in HANDLER_METHODS.items():
            setattr(BackupResponse, name, function)
        for name, function in BACKEND_METHODS.items():
            setattr(BackupBackend, name, function)
        _installed = True
