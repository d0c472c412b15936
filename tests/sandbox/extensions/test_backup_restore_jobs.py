"""AWS Backup of DynamoDB tables: backup jobs, recovery points, restore jobs, and their EventBridge events."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.backup import urls as backup_urls
from moto.backup.responses import BackupResponse
from moto.dynamodb.responses import DynamoHandler
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from restore_sync_sandbox import clock
from restore_sync_sandbox.extensions import backup_restore_jobs, dynamodb_restore

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/AWSBackupDefaultServiceRole"
COMPLETED_PATTERN = {
    "source": ["aws.backup"],
    "detail-type": ["Restore Job State Change"],
    "detail": {"status": ["COMPLETED"], "resourceType": ["DynamoDB"]},
}
EVERY_BACKUP_EVENT = {"source": ["aws.backup"]}
DOC = Path(__file__).resolve().parents[3] / "docs" / "sandbox-backup.md"


@pytest.fixture(autouse=True)
def virtual_clock() -> Iterator[clock.Clock]:
    backup_restore_jobs.install()
    previous = clock.use_clock(clock.Clock(virtual=True))
    try:
        yield clock.current()
    finally:
        backup_restore_jobs.reset()
        dynamodb_restore.reset()
        clock.use_clock(previous)


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def client(service: str, endpoint_url: str | None = None) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def create_source(endpoint_url: str | None = None, name: str = "orders") -> str:
    ddb = client("dynamodb", endpoint_url)
    arn: str = ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        DeletionProtectionEnabled=True,
        Tags=[{"Key": "team", "Value": "payments"}],
    )["TableDescription"]["TableArn"]
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    for key in ("o-1", "o-2", "o-3"):
        ddb.put_item(TableName=name, Item={"pk": {"S": key}, "total": {"N": "12"}})
    return arn


def back_up(table_arn: str, endpoint_url: str | None = None, vault: str = "orders-vault") -> dict[str, Any]:
    backup = client("backup", endpoint_url)
    if vault not in [v["BackupVaultName"] for v in backup.list_backup_vaults()["BackupVaultList"]]:
        backup.create_backup_vault(BackupVaultName=vault)
    job: dict[str, Any] = backup.start_backup_job(BackupVaultName=vault, ResourceArn=table_arn, IamRoleArn=ROLE)
    return job


def restore(recovery_point_arn: str, target: str, endpoint_url: str | None = None, **metadata: str) -> str:
    job_id: str = client("backup", endpoint_url).start_restore_job(
        RecoveryPointArn=recovery_point_arn,
        Metadata={"targetTableName": target, **metadata},
        IamRoleArn=ROLE,
        ResourceType="DynamoDB",
    )["RestoreJobId"]
    return job_id


def rule_to_queue(pattern: dict[str, Any], endpoint_url: str | None = None) -> str:
    name = f"backup-{uuid.uuid4().hex[:8]}"
    sqs, events = client("sqs", endpoint_url), client("events", endpoint_url)
    queue_url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": queue_arn}])
    return queue_url


def drain(queue_url: str, endpoint_url: str | None = None, wait_seconds: int = 0) -> list[dict[str, Any]]:
    sqs = client("sqs", endpoint_url)
    bodies: list[dict[str, Any]] = []
    for _ in range(10):
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds if not bodies else 0
        ).get("Messages", [])
        if not messages:
            break
        bodies.extend(json.loads(message["Body"]) for message in messages)
        for message in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def error_code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_the_moto_internals_it_extends_still_exist() -> None:
    assert isinstance(backup_urls.url_paths, dict)
    assert isinstance(BackupResponse.__dict__.get("backup_backend"), property)
    assert callable(getattr(BackupResponse, "parse_parameters", None))
    assert callable(getattr(DynamoHandler, "restore_table_from_backup", None))
    for name in backup_restore_jobs.HANDLER_METHODS:
        assert callable(getattr(BackupResponse, name, None)), f"BackupResponse.{name} is missing"
    for pattern in backup_restore_jobs.URL_PATHS:
        assert pattern in backup_urls.url_paths


def test_install_twice_is_harmless() -> None:
    routes = dict(backup_urls.url_paths)
    backup_restore_jobs.install()
    assert backup_urls.url_paths == routes


@pytest.mark.usefixtures("aws")
def test_a_table_backed_up_and_restored_through_aws_backup_has_the_items_and_none_of_the_settings() -> None:
    source_arn = create_source()
    job = back_up(source_arn)
    backup = client("backup")
    described_job = backup.describe_backup_job(BackupJobId=job["BackupJobId"])
    assert described_job["State"] == "COMPLETED"
    assert described_job["ResourceArn"] == source_arn
    assert described_job["RecoveryPointArn"] == job["RecoveryPointArn"]
    assert [j["BackupJobId"] for j in backup.list_backup_jobs(ByResourceArn=source_arn)["BackupJobs"]] == [
        job["BackupJobId"]
    ]

    ddb = client("dynamodb")
    ddb.put_item(TableName="orders", Item={"pk": {"S": "after-the-backup"}})
    job_id = restore(job["RecoveryPointArn"], "orders-restored")

    items = ddb.scan(TableName="orders-restored")["Items"]
    assert sorted(item["pk"]["S"] for item in items) == ["o-1", "o-2", "o-3"]
    table = ddb.describe_table(TableName="orders-restored")["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["RestoreSummary"]["SourceTableArn"] == source_arn
    assert table["RestoreSummary"]["SourceBackupArn"] == job["RecoveryPointArn"]
    assert "StreamSpecification" not in table
    assert table.get("DeletionProtectionEnabled") is not True
    assert "SSEDescription" not in table
    assert ddb.describe_time_to_live(TableName="orders-restored")["TimeToLiveDescription"]["TimeToLiveStatus"] == (
        "DISABLED"
    )
    recovery = ddb.describe_continuous_backups(TableName="orders-restored")["ContinuousBackupsDescription"]
    assert recovery["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    assert ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"] == []

    restore_job = backup.describe_restore_job(RestoreJobId=job_id)
    assert restore_job["Status"] == "COMPLETED"
    assert restore_job["CreatedResourceArn"] == table["TableArn"]
    assert restore_job["SourceResourceArn"] == source_arn
    assert restore_job["RecoveryPointArn"] == job["RecoveryPointArn"]
    assert restore_job["ResourceType"] == "DynamoDB"
    assert restore_job["PercentDone"] == "100.0"
    assert restore_job["CompletionDate"] >= restore_job["CreationDate"]
    assert [j["RestoreJobId"] for j in backup.list_restore_jobs(ByStatus="COMPLETED")["RestoreJobs"]] == [job_id]


@pytest.mark.usefixtures("aws")
def test_recovery_points_are_described_and_listed_by_vault_and_by_resource() -> None:
    source_arn = create_source()
    job = back_up(source_arn)
    point_arn = job["RecoveryPointArn"]
    assert point_arn.startswith(f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:")
    backup = client("backup")

    point = backup.describe_recovery_point(BackupVaultName="orders-vault", RecoveryPointArn=point_arn)
    assert point["ResourceArn"] == source_arn
    assert point["ResourceType"] == "DynamoDB"
    assert point["Status"] == "COMPLETED"
    assert point["BackupVaultName"] == "orders-vault"
    assert point["BackupVaultArn"] == f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:orders-vault"
    assert point["CreationDate"] == job["CreationDate"]

    by_vault = backup.list_recovery_points_by_backup_vault(BackupVaultName="orders-vault")["RecoveryPoints"]
    assert [p["RecoveryPointArn"] for p in by_vault] == [point_arn]
    by_resource = backup.list_recovery_points_by_resource(ResourceArn=source_arn)["RecoveryPoints"]
    assert [(p["RecoveryPointArn"], p["BackupVaultName"]) for p in by_resource] == [(point_arn, "orders-vault")]
    assert (
        backup.list_recovery_points_by_resource(ResourceArn=source_arn.replace("orders", "other"))["RecoveryPoints"]
        == []
    )

    metadata = backup.get_recovery_point_restore_metadata(BackupVaultName="orders-vault", RecoveryPointArn=point_arn)
    assert metadata["RestoreMetadata"] == {"TargetTableName": "orders", "encryptionType": "Default"}
    assert metadata["ResourceType"] == "DynamoDB"


@pytest.mark.usefixtures("aws")
def test_restore_metadata_returned_by_aws_backup_can_be_passed_back_to_start_a_restore() -> None:
    point_arn = back_up(create_source())["RecoveryPointArn"]
    backup = client("backup")
    metadata = backup.get_recovery_point_restore_metadata(BackupVaultName="orders-vault", RecoveryPointArn=point_arn)
    chosen = {**metadata["RestoreMetadata"], "TargetTableName": "orders-from-metadata"}

    job_id = backup.start_restore_job(RecoveryPointArn=point_arn, Metadata=chosen, IamRoleArn=ROLE)["RestoreJobId"]

    assert backup.describe_restore_job(RestoreJobId=job_id)["Status"] == "COMPLETED"
    assert client("dynamodb").describe_table(TableName="orders-from-metadata")["Table"]["ItemCount"] >= 0


@pytest.mark.usefixtures("aws")
def test_kms_encryption_chosen_at_restore_is_applied_to_the_new_table() -> None:
    point_arn = back_up(create_source())["RecoveryPointArn"]
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000001"

    restore(point_arn, "orders-kms", encryptionType="KMS", kmsMasterKeyArn=key)

    table = client("dynamodb").describe_table(TableName="orders-kms")["Table"]
    assert table["SSEDescription"]["KMSMasterKeyArn"] == key
    with pytest.raises(ClientError) as missing_key:
        restore(point_arn, "orders-kms-2", encryptionType="KMS")
    assert error_code(missing_key) == "InvalidParameterValueException"


@pytest.mark.usefixtures("aws")
def test_the_restore_job_runs_while_the_table_is_creating_and_completes_when_it_is_active(
    virtual_clock: clock.Clock,
) -> None:
    point_arn = back_up(create_source())["RecoveryPointArn"]
    completed_queue = rule_to_queue(COMPLETED_PATTERN)
    dynamodb_restore.configure(restore_seconds=600)

    job_id = restore(point_arn, "orders-restored")

    backup, ddb = client("backup"), client("dynamodb")
    assert ddb.describe_table(TableName="orders-restored")["Table"]["TableStatus"] == "CREATING"
    running = backup.describe_restore_job(RestoreJobId=job_id)
    assert running["Status"] == "RUNNING"
    assert "CompletionDate" not in running
    assert running["CreatedResourceArn"].endswith(":table/orders-restored")
    assert drain(completed_queue) == []

    virtual_clock.advance(601)
    completed = backup.describe_restore_job(RestoreJobId=job_id)
    assert completed["Status"] == "COMPLETED"
    assert ddb.describe_table(TableName="orders-restored")["Table"]["TableStatus"] == "ACTIVE"
    [event] = drain(completed_queue, wait_seconds=1)
    assert event["detail"]["restoreJobId"] == job_id
    assert drain(completed_queue) == []


@pytest.mark.usefixtures("aws")
def test_the_completed_event_comes_when_the_table_turns_active_without_anyone_asking_aws_backup(
    virtual_clock: clock.Clock,
) -> None:
    point_arn = back_up(create_source())["RecoveryPointArn"]
    completed_queue = rule_to_queue(COMPLETED_PATTERN)
    dynamodb_restore.configure(restore_seconds=300)
    job_id = restore(point_arn, "orders-restored")
    assert drain(completed_queue) == []

    virtual_clock.advance(300)

    [event] = drain(completed_queue, wait_seconds=5)
    assert event["detail"]["restoreJobId"] == job_id
    assert event["detail"]["createdResourceArn"].endswith(":table/orders-restored")


@pytest.mark.usefixtures("aws")
def test_restore_events_have_the_documented_shape() -> None:
    source_arn = create_source()
    every_event = rule_to_queue(EVERY_BACKUP_EVENT)
    completed_queue = rule_to_queue(COMPLETED_PATTERN)
    job = back_up(source_arn)
    job_id = restore(job["RecoveryPointArn"], "orders-restored")
    point_arn = job["RecoveryPointArn"]
    table_arn = client("dynamodb").describe_table(TableName="orders-restored")["Table"]["TableArn"]

    events = drain(every_event)
    assert [(e["detail-type"], e["detail"].get("state"), e["detail"].get("status")) for e in events] == [
        ("Backup Job State Change", "COMPLETED", None),
        ("Restore Job State Change", "CREATED", None),
        ("Restore Job State Change", None, "RUNNING"),
        ("Restore Job State Change", None, "COMPLETED"),
    ]
    for event in events:
        assert event["source"] == "aws.backup"
        assert event["region"] == REGION
        assert event["resources"] == [point_arn]

    backup_detail = events[0]["detail"]
    assert backup_detail["backupJobId"] == job["BackupJobId"]
    assert backup_detail["resourceArn"] == source_arn
    assert backup_detail["resourceType"] == "DynamoDB"
    assert backup_detail["backupVaultName"] == "orders-vault"

    assert set(events[1]["detail"]) == {"restoreJobId", "creationDate", "state"}

    [completed] = drain(completed_queue)
    detail = completed["detail"]
    assert completed["detail-type"] == "Restore Job State Change"
    assert detail == {
        "restoreJobId": job_id,
        "backupVaultArn": f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:orders-vault",
        "recoveryPointArn": point_arn,
        "sourceResourceArn": source_arn,
        "backupSizeInBytes": detail["backupSizeInBytes"],
        "creationDate": detail["creationDate"],
        "iamRoleArn": ROLE,
        "percentDone": 0,
        "resourceType": "DynamoDB",
        "status": "COMPLETED",
        "createdResourceArn": table_arn,
        "completionDate": detail["completionDate"],
    }
    assert detail["backupSizeInBytes"].isdigit()
    for moment in (detail["creationDate"], detail["completionDate"]):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", moment), moment


@pytest.mark.usefixtures("aws")
def test_a_target_name_already_taken_fails_the_job_not_the_call() -> None:
    source_arn = create_source()
    point_arn = back_up(source_arn)["RecoveryPointArn"]
    every_event = rule_to_queue(EVERY_BACKUP_EVENT)

    job_id = restore(point_arn, "orders")

    job = client("backup").describe_restore_job(RestoreJobId=job_id)
    assert job["Status"] == "FAILED"
    assert "orders" in job["StatusMessage"]
    assert "CreatedResourceArn" not in job
    failed = [e["detail"] for e in drain(every_event) if e["detail"].get("status") == "FAILED"]
    assert [d["restoreJobId"] for d in failed] == [job_id]
    assert failed[0]["statusMessage"] == job["StatusMessage"]


@pytest.mark.usefixtures("aws")
def test_unknown_vaults_recovery_points_and_jobs_are_resource_not_found() -> None:
    source_arn = create_source()
    backup = client("backup")
    unknown_point = f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:{uuid.uuid4()}"

    with pytest.raises(ClientError) as no_vault:
        backup.start_backup_job(BackupVaultName="missing", ResourceArn=source_arn, IamRoleArn=ROLE)
    assert error_code(no_vault) == "ResourceNotFoundException"

    point_arn = back_up(source_arn)["RecoveryPointArn"]
    failures = {
        "describe_recovery_point, unknown vault": lambda: backup.describe_recovery_point(
            BackupVaultName="missing", RecoveryPointArn=point_arn
        ),
        "describe_recovery_point, unknown point": lambda: backup.describe_recovery_point(
            BackupVaultName="orders-vault", RecoveryPointArn=unknown_point
        ),
        "restore metadata, unknown point": lambda: backup.get_recovery_point_restore_metadata(
            BackupVaultName="orders-vault", RecoveryPointArn=unknown_point
        ),
        "list by vault, unknown vault": lambda: backup.list_recovery_points_by_backup_vault(BackupVaultName="missing"),
        "start_restore_job, unknown point": lambda: restore(unknown_point, "orders-restored"),
        "describe_restore_job, unknown job": lambda: backup.describe_restore_job(RestoreJobId="no-such-job"),
        "describe_backup_job, unknown job": lambda: backup.describe_backup_job(BackupJobId="no-such-job"),
        "start_backup_job, unknown table": lambda: backup.start_backup_job(
            BackupVaultName="orders-vault", ResourceArn=source_arn.replace("orders", "missing"), IamRoleArn=ROLE
        ),
    }
    for case, call in failures.items():
        with pytest.raises(ClientError) as error:
            call()
        assert error_code(error) == "ResourceNotFoundException", case

    other_vault = back_up(source_arn, vault="other-vault")["RecoveryPointArn"]
    with pytest.raises(ClientError) as wrong_vault:
        backup.describe_recovery_point(BackupVaultName="orders-vault", RecoveryPointArn=other_vault)
    assert error_code(wrong_vault) == "ResourceNotFoundException"
    assert "orders-restored" not in client("dynamodb").list_tables()["TableNames"]


@pytest.mark.usefixtures("aws")
def test_bad_restore_requests_are_refused_and_restore_nothing() -> None:
    point_arn = back_up(create_source())["RecoveryPointArn"]
    backup = client("backup")

    with pytest.raises(ClientError) as no_name:
        backup.start_restore_job(RecoveryPointArn=point_arn, Metadata={"encryptionType": "Default"}, IamRoleArn=ROLE)
    assert error_code(no_name) == "InvalidParameterValueException"
    with pytest.raises(ClientError) as wrong_type:
        backup.start_restore_job(
            RecoveryPointArn=point_arn, Metadata={"targetTableName": "x-restored"}, IamRoleArn=ROLE, ResourceType="EBS"
        )
    assert error_code(wrong_type) == "InvalidParameterValueException"
    with pytest.raises(ClientError) as bad_arn:
        backup.start_backup_job(BackupVaultName="orders-vault", ResourceArn="arn:aws:s3:::bucket", IamRoleArn=ROLE)
    assert error_code(bad_arn) == "InvalidParameterValueException"
    assert backup.list_restore_jobs()["RestoreJobs"] == []
    assert client("dynamodb").list_tables()["TableNames"] == ["orders"]


@pytest.mark.usefixtures("aws")
def test_the_same_idempotency_token_starts_one_restore() -> None:
    point_arn = back_up(create_source())["RecoveryPointArn"]
    backup = client("backup")
    request = {
        "RecoveryPointArn": point_arn,
        "Metadata": {"targetTableName": "orders-restored"},
        "IamRoleArn": ROLE,
        "IdempotencyToken": "once",
    }

    first = backup.start_restore_job(**request)["RestoreJobId"]
    second = backup.start_restore_job(**request)["RestoreJobId"]

    assert first == second
    assert len(backup.list_restore_jobs()["RestoreJobs"]) == 1


@pytest.mark.usefixtures("aws")
def test_without_advanced_dynamodb_backup_the_recovery_point_is_a_dynamodb_backup() -> None:
    backup_restore_jobs.configure(advanced_dynamodb_backup=False)
    source_arn = create_source()
    point_arn = back_up(source_arn)["RecoveryPointArn"]

    assert point_arn.startswith(f"{source_arn}/backup/")
    described = client("dynamodb").describe_backup(BackupArn=point_arn)["BackupDescription"]
    assert described["SourceTableDetails"]["TableArn"] == source_arn
    assert described["BackupDetails"]["BackupType"] == "AWS_BACKUP"
    point = client("backup").describe_recovery_point(BackupVaultName="orders-vault", RecoveryPointArn=point_arn)
    assert point["ResourceArn"] == source_arn

    job_id = restore(point_arn, "orders-restored")
    job = client("backup").describe_restore_job(RestoreJobId=job_id)
    assert job["Status"] == "COMPLETED"
    assert job["RecoveryPointArn"] == point_arn


@pytest.mark.usefixtures("aws")
def test_a_restored_table_deleted_during_the_restore_fails_the_job(virtual_clock: clock.Clock) -> None:
    point_arn = back_up(create_source())["RecoveryPointArn"]
    dynamodb_restore.configure(restore_seconds=600)
    job_id = restore(point_arn, "orders-restored")

    client("dynamodb").delete_table(TableName="orders-restored")

    assert client("backup").describe_restore_job(RestoreJobId=job_id)["Status"] == "FAILED"


def test_backup_and_restore_through_the_threaded_server() -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        source_arn = create_source(endpoint, name=f"server-{uuid.uuid4().hex[:8]}")
        completed_queue = rule_to_queue(COMPLETED_PATTERN, endpoint)
        backup_restore_jobs.configure(advanced_dynamodb_backup=False)
        # A DynamoDB backup ARN has slashes: it travels URL-encoded in the path of these requests.
        point_arn = back_up(source_arn, endpoint, vault=f"vault-{uuid.uuid4().hex[:8]}")["RecoveryPointArn"]
        backup = client("backup", endpoint)
        assert [
            p["RecoveryPointArn"]
            for p in backup.list_recovery_points_by_resource(ResourceArn=source_arn)["RecoveryPoints"]
        ] == [point_arn]
        target = f"{source_arn.rsplit('/', 1)[1]}-restored"

        job_id = restore(point_arn, target, endpoint)

        assert backup.describe_restore_job(RestoreJobId=job_id)["Status"] == "COMPLETED"
        assert len(client("dynamodb", endpoint).scan(TableName=target)["Items"]) == 3
        [event] = drain(completed_queue, endpoint)
        assert event["detail"]["sourceResourceArn"] == source_arn
    finally:
        server.stop()


def test_the_boto3_example_in_the_docs_runs_against_the_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    found = re.search(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert found, f"{DOC} has no python example"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        for name, value in {
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
        }.items():
            monkeypatch.setenv(name, value)

        # The documented example, run as written.
        exec(compile(found.group(1), str(DOC), "exec"), {})

        printed = capsys.readouterr().out.split()
        assert printed == [
            "COMPLETED",
            f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/invoices-restored",
            f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/invoices",
        ]
    finally:
        server.stop()
