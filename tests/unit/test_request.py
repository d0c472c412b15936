"""Normalize: every start (CloudTrail and AWS Backup events, manual input) becomes one request shape, is ignored, or
is refused with a ValidationError naming every problem; the target must be a restored table of this deployment
whose RestoreSummary names the source."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from restore_sync.errors import TargetTableNotFound, UnusableEvent, ValidationError
from restore_sync.settings import NAMES
from restore_sync.timestamps import iso
from restore_sync.workflow.request import normalize
from tests.helpers import load_event

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "999999999999"
REGION = "us-east-1"
CREATED = datetime(2026, 11, 20, 10, 0, 0, 250000, tzinfo=UTC)
STARTED = "2026-11-20T10:00:05.123Z"
BACKUP = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders/backup/01795600000000-abcdef12"


def arn(name: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:dynamodb:{region}:{account}:table/{name}"


class FakeDynamoDB:
    """DynamoDB as Normalize reads it: DescribeTable, DescribeBackup and ListTagsOfResource over a few tables."""

    def __init__(self, tables: dict[str, dict[str, Any]], tags: dict[str, dict[str, str]]) -> None:
        self.tables, self.tags = tables, tags
        self.backups = {BACKUP: arn("orders")}

    def describe_table(self, TableName: str) -> dict[str, Any]:
        if TableName not in self.tables:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "not found"}}, "DescribeTable")
        return {"Table": copy.deepcopy(self.tables[TableName])}

    def describe_backup(self, BackupArn: str) -> dict[str, Any]:
        if BackupArn not in self.backups:
            raise ClientError({"Error": {"Code": "BackupNotFoundException", "Message": "gone"}}, "DescribeBackup")
        return {"BackupDescription": {"SourceTableDetails": {"TableArn": self.backups[BackupArn]}}}

    def get_paginator(self, name: str) -> Any:
        assert name == "list_tags_of_resource"
        tags = self.tags
        return type("Pages", (), {"paginate": staticmethod(lambda ResourceArn: [{"Tags": tags_of(tags, ResourceArn)}])})


def tags_of(tags: dict[str, dict[str, str]], resource: str) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.get(resource, {}).items()]


class FakeBackup:
    """AWS Backup as Normalize reads it: DescribeRestoreJob."""

    def __init__(self, jobs: dict[str, dict[str, Any]]) -> None:
        self.jobs = jobs

    def describe_restore_job(self, RestoreJobId: str) -> dict[str, Any]:
        if RestoreJobId not in self.jobs:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "no"}}, "DescribeRestoreJob")
        return copy.deepcopy(self.jobs[RestoreJobId])


JOB = "4C3B2A19-8D7E-6F5A-4B3C-2D1E0F9A8B7C"
PLAN = f"arn:aws:backup:{REGION}:{ACCOUNT}:restore-testing-plan:nightly-1a2b3c4d"


class FakeAws:
    def __init__(self) -> None:
        self.restore_jobs: dict[str, dict[str, Any]] = {
            JOB: {"RestoreJobId": JOB, "Status": "COMPLETED", "CreatedResourceArn": arn("orders-restored")}
        }
        self.tags: dict[str, dict[str, str]] = {}
        self.tables: dict[str, dict[str, Any]] = {
            "orders": table("orders"),
            "orders-restored": table("orders-restored", SourceTableArn=arn("orders")),
            "orders.restored_2026-11-20": table(
                "orders.restored_2026-11-20", SourceTableArn=arn("orders", "eu-west-1")
            ),
            "invoices-from-backup": table("invoices-from-backup", SourceBackupArn=BACKUP, SourceTableArn=arn("orders")),
            "plain": table("plain"),
        }

    def client(self, service: str, region: str | None = None) -> FakeDynamoDB | FakeBackup:
        assert service in ("dynamodb", "backup")
        return FakeDynamoDB(self.tables, self.tags) if service == "dynamodb" else FakeBackup(self.restore_jobs)


def table(name: str, **restore_summary: Any) -> dict[str, Any]:
    described: dict[str, Any] = {"TableName": name, "TableArn": arn(name), "CreationDateTime": CREATED}
    if restore_summary:
        described["RestoreSummary"] = {"RestoreDateTime": CREATED, "RestoreInProgress": True, **restore_summary}
    return described


@pytest.fixture
def aws() -> FakeAws:
    return FakeAws()


def run(aws: FakeAws, raw: Any, **options: Any) -> dict[str, Any]:
    """The request (or why it is ignored) as the state machine receives it."""
    arguments = {"region": REGION, "account": ACCOUNT, "started_at": STARTED, "default_settings": NAMES, **options}
    return normalize(aws, raw, **arguments).to_dict()  # type: ignore[arg-type]


def refusal(aws: FakeAws, raw: Any, **options: Any) -> str:
    with pytest.raises(ValidationError) as raised:
        run(aws, raw, **options)
    return " | ".join(raised.value.problems)


def test_point_in_time_restore_by_name(aws: FakeAws) -> None:
    request = run(aws, load_event("cloudtrail_restore_pitr_by_name"))
    assert request == {
        "ignored": False,
        "trigger": "RestoreTableToPointInTime",
        "targetTableName": "orders-restored",
        "targetTableArn": arn("orders-restored"),
        "sourceTableName": "orders",
        "sourceTableArn": arn("orders"),
        "region": REGION,
        "settings": list(NAMES),
        "dryRun": False,
        "requestedAt": iso(CREATED),
        "hold": [],
        "settingsFrom": "auto",
        "grantRecordedAccess": False,
        # The restore's own request was read: it chose nothing.
        "restoreCall": {"readFrom": "the CloudTrail record of the RestoreTableToPointInTime call", "overrides": {}},
    }


def test_point_in_time_restore_by_arn_from_another_region(aws: FakeAws) -> None:
    request = run(aws, load_event("cloudtrail_restore_pitr_by_arn_cross_region"))
    assert request["sourceTableArn"] == arn("orders", "eu-west-1")
    assert request["targetTableName"] == "orders.restored_2026-11-20"
    assert request["region"] == REGION


def test_restore_from_backup_reads_the_source_from_the_restored_table(aws: FakeAws) -> None:
    event = load_event("cloudtrail_restore_from_backup")
    event["detail"]["requestParameters"]["backupArn"] = BACKUP
    request = run(aws, event)
    assert request["trigger"] == "RestoreTableFromBackup"
    assert request["sourceTableArn"] == arn("orders")


def test_a_restore_summary_naming_only_the_backup_is_followed_to_the_backup_s_table(aws: FakeAws) -> None:
    del aws.tables["invoices-from-backup"]["RestoreSummary"]["SourceTableArn"]
    assert run(aws, {"targetTableName": "invoices-from-backup", "sourceTableName": "orders"})["ignored"] is False
    aws.tables["invoices-from-backup"]["RestoreSummary"]["SourceBackupArn"] = BACKUP.replace("abcdef12", "00000000")
    assert "whose table cannot be read (BackupNotFoundException)" in refusal(
        aws, {"targetTableName": "invoices-from-backup", "sourceTableName": "orders"}
    )


def test_failed_restore_calls_are_ignored(aws: FakeAws) -> None:
    request = run(aws, load_event("cloudtrail_restore_failed"))
    assert request["ignored"] is True
    assert "PointInTimeRecoveryUnavailableException" in request["reason"]


def test_other_calls_are_ignored(aws: FakeAws) -> None:
    event = load_event("cloudtrail_restore_pitr_by_name")
    event["detail"]["eventName"] = "CreateTable"
    assert run(aws, event)["ignored"] is True


def test_manual_input(aws: FakeAws) -> None:
    request = run(
        aws, {"targetTableName": "orders-restored", "sourceTableName": "orders", "settings": ["ttl"], "dryRun": True}
    )
    assert request["trigger"] == "manual"
    assert request["settings"] == ["ttl"]
    assert request["dryRun"] is True
    assert request["requestedAt"] == STARTED


def test_hold_comes_from_the_deployment_unless_the_input_says(aws: FakeAws) -> None:
    event = load_event("cloudtrail_restore_pitr_by_name")
    assert run(aws, event, hold=("side-by-side",))["hold"] == ["side-by-side"]
    manual = {"targetTableName": "orders-restored", "sourceTableName": "orders"}
    assert run(aws, manual, hold=("triggers",))["hold"] == ["triggers"]
    assert run(aws, {**manual, "hold": "none"}, hold=("triggers",))["hold"] == []
    assert run(aws, {**manual, "hold": "side-by-side"})["hold"] == ["side-by-side"]
    # A list is kept in apply order, whatever order it was given in.
    assert run(aws, {**manual, "hold": ["kinesis", "ttl"]})["hold"] == ["ttl", "kinesis"]


def test_replicas_come_from_the_deployment_unless_the_input_says_and_are_checked(aws: FakeAws) -> None:
    event = load_event("cloudtrail_restore_pitr_by_name")
    assert "replicas" not in run(aws, event)
    assert run(aws, event, replicas=("as-source",))["replicas"] == ["as-source"]
    manual = {"targetTableName": "orders-restored", "sourceTableName": "orders"}
    assert run(aws, {**manual, "replicas": "none"}, replicas=("as-source",)).get("replicas") is None
    assert run(aws, {**manual, "replicas": ["us-west-2", "eu-west-1"]})["replicas"] == ["eu-west-1", "us-west-2"]
    refused = refusal(aws, {**manual, "replicas": [REGION], "dryRun": "yes"})
    assert f"replicas: {REGION} is the target's own region" in refused
    assert "dryRun: 'yes' is not of type 'boolean'" in refused


def test_a_hold_that_names_no_setting_is_refused_with_the_other_problems(aws: FakeAws) -> None:
    manual = {"targetTableName": "orders-restored", "sourceTableName": "orders", "dryRun": "yes"}
    refused = refusal(aws, {**manual, "hold": ["ttl", "triggres"]})
    assert "hold.1: 'triggres' is not one of ['tags', 'stream'" in refused
    assert "dryRun: 'yes' is not of type 'boolean'" in refused
    assert "hold: 'later' is not one of ['none', 'side-by-side']" in refusal(aws, {**manual, "hold": "later"})


def test_recorded_access_is_granted_only_when_a_manual_input_says_so(aws: FakeAws) -> None:
    assert run(aws, load_event("cloudtrail_restore_pitr_by_name"))["grantRecordedAccess"] is False
    manual = {"targetTableName": "orders-restored", "sourceTableName": "orders"}
    assert run(aws, manual)["grantRecordedAccess"] is False
    assert run(aws, {**manual, "grantRecordedAccess": True})["grantRecordedAccess"] is True
    with pytest.raises(ValidationError, match="grantRecordedAccess: 'yes' is not of type 'boolean'"):
        run(aws, {**manual, "grantRecordedAccess": "yes"})


def test_manual_input_lists_every_problem(aws: FakeAws) -> None:
    with pytest.raises(ValidationError) as raised:
        run(aws, {"targetTableName": "no", "sourceTableName": "orders", "settings": ["ttl", "bogus"], "colour": 1})
    problems = raised.value.problems
    assert len(problems) == 3
    text = " ".join(problems)
    assert "colour" in text
    assert "targetTableName" in text
    assert "bogus" in text


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"targetTableName": "orders-restored"}, "exactly one of sourceTableName or sourceTableArn"),
        (
            {"targetTableName": "orders-restored", "sourceTableName": "orders", "sourceTableArn": "x"},
            "sourceTableArn",
        ),
        ({"targetTableName": "orders-restored", "sourceTableArn": "arn:aws:s3:::bucket"}, "sourceTableArn"),
        ({"targetTableName": "orders", "sourceTableName": "orders"}, "the same table"),
        ({"targetTableName": "missing-table", "sourceTableName": "orders"}, "does not exist"),
        ({"targetTableName": "orders-restored", "sourceTableName": "orders", "dryRun": "yes"}, "dryRun"),
        ("just a string", "input"),
        (
            {"targetTableName": "orders-restored\n", "sourceTableName": "orders"},
            "targetTableName: 'orders-restored\\n' does not match",
        ),
        (
            {"targetTableName": "orders-restored", "sourceTableArn": arn("orders") + "\n"},
            "sourceTableArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/orders\\n' does not match",
        ),
        (
            {"targetTableName": "orders-restored", "sourceTableArn": arn("orders", account=OTHER_ACCOUNT)},
            f"sourceTableArn {arn('orders', account=OTHER_ACCOUNT)} belongs to account {OTHER_ACCOUNT}, "
            f"not to this deployment's account {ACCOUNT}",
        ),
        (
            {"targetTableName": "orders-restored", "sourceTableArn": arn("orders").replace("aws", "aws-cn", 1)},
            "is in partition aws-cn, not in aws",
        ),
        ({"targetTableName": "plain", "sourceTableName": "orders"}, "target table plain was not restored"),
        (
            {"targetTableName": "orders-restored", "sourceTableName": "plain"},
            f"target table orders-restored was restored from {arn('orders')}, not from the source requested "
            f"({arn('plain')})",
        ),
    ],
)
def test_invalid_manual_input_is_refused_with_a_reason(aws: FakeAws, raw: Any, needle: str) -> None:
    assert needle in refusal(aws, raw)


def test_a_refusal_names_every_problem_at_once(aws: FakeAws) -> None:
    with pytest.raises(ValidationError) as raised:
        run(aws, {"targetTableName": "missing-table", "sourceTableName": "missing-table", "settings": ["bogus"]})
    text = " | ".join(raised.value.problems)
    assert len(raised.value.problems) == 3, text
    assert "'bogus' is not a setting" in text
    assert "the same table" in text
    assert "target table missing-table does not exist" in text


def test_a_table_restored_under_its_own_name_takes_its_own_settings_back(aws: FakeAws) -> None:
    aws.tables["ledger"] = table("ledger", SourceBackupArn=BACKUP, SourceTableArn=arn("ledger"))
    request = run(aws, {"targetTableName": "ledger", "sourceTableName": "ledger"})
    assert (request["sourceTableArn"], request["targetTableArn"]) == (arn("ledger"), arn("ledger"))
    event = load_event("cloudtrail_restore_from_backup")
    event["detail"]["requestParameters"].update(targetTableName="ledger", backupArn=BACKUP)
    assert run(aws, event)["sourceTableArn"] == arn("ledger")


@pytest.mark.parametrize(
    ("target", "needle"),
    [
        ("orders", "the source and the target are the same table (orders): a table takes its own settings back only"),
        ("orders-restored", f"orders-restored was restored from {arn('orders')}, not from the source requested"),
    ],
)
def test_a_same_name_start_is_refused_unless_the_table_was_restored_from_itself(
    aws: FakeAws, target: str, needle: str
) -> None:
    assert needle in refusal(aws, {"targetTableName": target, "sourceTableName": target, "adoptUnrestored": True})


def test_a_table_that_was_not_restored_is_adopted_only_when_asked_and_allowed(aws: FakeAws) -> None:
    raw = {"targetTableName": "plain", "sourceTableName": "orders"}
    assert "start with adoptUnrestored: true (restore-sync start --adopt-unrestored)" in refusal(aws, raw)
    asked = {**raw, "adoptUnrestored": True}
    assert (
        "adoptUnrestored: this deployment does not adopt tables that were not restored (plain was not): deploy it "
        "with the parameter AdoptUnrestoredTables=true to allow that"
    ) in refusal(aws, asked)
    assert run(aws, asked, adopt_unrestored=True)["targetTableArn"] == arn("plain")
    # Asking to adopt does not lift the check on a table that was restored.
    wrong_source = {"targetTableName": "orders-restored", "sourceTableName": "plain", "adoptUnrestored": True}
    assert "was restored from" in refusal(aws, wrong_source, adopt_unrestored=True)


def test_a_table_restored_from_another_account_s_table_is_refused(aws: FakeAws) -> None:
    aws.tables["orders-restored"]["RestoreSummary"]["SourceTableArn"] = arn("orders", account=OTHER_ACCOUNT)
    problems = refusal(aws, load_event("cloudtrail_restore_pitr_by_name"))
    assert f"belongs to account {OTHER_ACCOUNT}, not to this deployment's account {ACCOUNT}" in problems


def tag_source(aws: FakeAws, value: str) -> None:
    aws.tags[arn("orders")] = {"restore-sync:settings": value}


def test_a_source_tagged_none_is_ignored_naming_the_tag_and_the_tables(aws: FakeAws) -> None:
    tag_source(aws, "none")
    request = run(aws, load_event("cloudtrail_restore_pitr_by_name"))
    assert request["ignored"] is True
    assert "restore-sync:settings=none" in request["reason"]
    assert (request["target"], request["source"]) == (arn("orders-restored"), arn("orders"))


def test_a_source_tag_narrows_the_settings(aws: FakeAws) -> None:
    tag_source(aws, "ttl stream+triggers")
    assert run(aws, load_event("cloudtrail_restore_pitr_by_name"))["settings"] == ["stream", "ttl", "triggers"]


def test_a_manual_start_chooses_its_own_settings_whatever_the_tag(aws: FakeAws) -> None:
    tag_source(aws, "none")
    request = run(aws, {"targetTableName": "orders-restored", "sourceTableName": "orders", "settings": ["pitr"]})
    assert request["ignored"] is False
    assert request["settings"] == ["pitr"]


def test_a_tag_naming_unknown_settings_is_refused_with_the_way_to_fix_it(aws: FakeAws) -> None:
    tag_source(aws, "ttl, stream")
    with pytest.raises(UnusableEvent, match="separated by spaces or '\\+'"):
        run(aws, load_event("cloudtrail_restore_pitr_by_name"))


def test_an_aws_backup_restore_job(aws: FakeAws) -> None:
    request = run(aws, load_event("backup_restore_job_completed"))
    assert request["trigger"] == "AWSBackupRestoreJob"
    assert request["targetTableArn"] == arn("orders-restored")
    assert request["sourceTableArn"] == arn("orders")
    assert request["requestedAt"] == iso(CREATED)
    assert request["dryRun"] is False
    assert "restoreTest" not in request


def test_a_restore_job_a_restore_testing_plan_started_is_a_restore_test(aws: FakeAws) -> None:
    aws.restore_jobs[JOB]["CreatedBy"] = {"RestoreTestingPlanArn": PLAN}
    request = run(aws, load_event("backup_restore_job_completed"))
    assert request["restoreTest"] == {"restoreJobId": JOB, "restoreTestingPlanArn": PLAN}
    assert request["dryRun"] is True


def test_only_describe_restore_job_makes_a_restore_test_never_the_event(aws: FakeAws) -> None:
    event = load_event("backup_restore_job_completed")
    event["detail"]["restoreTestingPlanArn"] = PLAN
    request = run(aws, event)
    assert "restoreTest" not in request
    assert request["dryRun"] is False


def test_a_restore_job_that_restored_another_table_is_refused(aws: FakeAws) -> None:
    aws.restore_jobs[JOB]["CreatedResourceArn"] = arn("plain")
    event = load_event("backup_restore_job_completed")
    assert f"restore job {JOB} restored {arn('plain')}, not {arn('orders-restored')}" in refusal(aws, event)


def test_a_restore_job_aws_backup_does_not_know_is_no_restore_test(aws: FakeAws) -> None:
    del aws.restore_jobs[JOB]
    request = run(aws, load_event("backup_restore_job_completed"))
    assert (request["dryRun"], "restoreTest" in request) == (False, False)


def test_a_table_named_as_restore_tests_name_theirs_is_never_adopted_but_by_its_jobs_event(aws: FakeAws) -> None:
    name = "awsbackup-restore-test-0123456789abcdef"
    aws.tables[name] = table(name, SourceBackupArn=BACKUP)
    record = load_event("cloudtrail_restore_from_backup")
    record["detail"]["requestParameters"].update({"backupArn": BACKUP, "targetTableName": name})
    job_event = load_event("backup_restore_job_completed")
    job_event["detail"]["createdResourceArn"] = arn(name)
    del job_event["detail"]["sourceResourceArn"]
    aws.restore_jobs[JOB]["CreatedResourceArn"] = arn(name)
    for event in (record, job_event):
        request = run(aws, event)
        assert request["ignored"] is True
        assert "named as AWS Backup names the tables of restore tests" in request["reason"]
    aws.restore_jobs[JOB]["CreatedBy"] = {"RestoreTestingPlanArn": PLAN}
    assert run(aws, job_event)["restoreTest"]["restoreJobId"] == JOB


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": "RUNNING"}, "RUNNING"),
        ({"resourceType": "EFS"}, "not an AWS Backup restore of a DynamoDB table"),
    ],
)
def test_backup_events_that_are_not_a_completed_table_restore_are_ignored(
    aws: FakeAws, change: dict[str, Any], reason: str
) -> None:
    event = load_event("backup_restore_job_completed")
    event["detail"].update(change)
    request = run(aws, event)
    assert request["ignored"] is True
    assert reason in request["reason"]


def test_a_backup_event_without_the_restored_table_is_refused(aws: FakeAws) -> None:
    event = load_event("backup_restore_job_completed")
    del event["detail"]["createdResourceArn"]
    assert "detail: 'createdResourceArn' is a required property" in refusal(aws, event)


def test_the_overrides_of_the_restore_call_are_read_into_the_request_and_nothing_else_from_them(aws: FakeAws) -> None:
    event = pitr_event(
        billingModeOverride="PAY_PER_REQUEST",
        onDemandThroughputOverride={"maxReadRequestUnits": 250},
        sSESpecificationOverride={"enabled": False},
    )
    request = run(aws, event)
    assert request["restoreCall"] == {
        "readFrom": "the CloudTrail record of the RestoreTableToPointInTime call",
        "overrides": {
            "BillingModeOverride": "PAY_PER_REQUEST",
            "OnDemandThroughputOverride": {"MaxReadRequestUnits": 250},
            "SSESpecificationOverride": {"Enabled": False},
        },
    }
    assert request["sourceTableArn"] == arn("orders")


def test_a_restore_call_whose_overrides_do_not_match_the_model_is_refused_with_every_problem(aws: FakeAws) -> None:
    event = pitr_event(billingModeOverride="FREE", provisionedThroughputOverride={"readCapacityUnits": 1})
    refused = refusal(aws, event)
    assert "detail.requestParameters.billingModeOverride: 'FREE' is not one of PROVISIONED, PAY_PER_REQUEST" in refused
    assert "detail.requestParameters.provisionedThroughputOverride: missing WriteCapacityUnits" in refused


def test_a_backup_event_brings_no_request_of_the_restore(aws: FakeAws) -> None:
    assert "restoreCall" not in run(aws, load_event("backup_restore_job_completed"))


def pitr_event(**parameters: Any) -> dict[str, Any]:
    event = load_event("cloudtrail_restore_pitr_by_name")
    event["detail"]["requestParameters"].update(parameters)
    return event


def backup_event(**detail: Any) -> dict[str, Any]:
    event = load_event("backup_restore_job_completed")
    event["detail"].update(detail)
    return event


def with_account(event: dict[str, Any], account: str) -> dict[str, Any]:
    event["account"] = account
    event["detail"]["recipientAccountId"] = account
    return event


FUTURE = (CREATED + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
HOSTILE_EVENTS = [
    (
        pitr_event(sourceTableName="orders-restored"),
        [
            f"the event names the source {arn('orders-restored')}, but orders-restored was restored from "
            f"{arn('orders')}",
        ],
    ),
    (pitr_event(targetTableName="plain"), ["target table plain was not restored"]),
    (
        with_account(pitr_event(), OTHER_ACCOUNT),
        [
            f"account: the event is from account {OTHER_ACCOUNT}, not this deployment's account {ACCOUNT}",
            f"detail.recipientAccountId: the event is from account {OTHER_ACCOUNT}",
        ],
    ),
    (
        {**pitr_event(), "region": "eu-west-1"},
        ["region: the event is from eu-west-1, not this deployment's region us-east-1"],
    ),
    (
        {**pitr_event(), "detail": {**pitr_event()["detail"], "eventTime": FUTURE}},
        [f"detail.eventTime: {FUTURE} is after this execution started ({STARTED})"],
    ),
    (
        pitr_event(sourceTableArn=arn("orders", account=OTHER_ACCOUNT)),
        [f"the source the event names {arn('orders', account=OTHER_ACCOUNT)} belongs to account {OTHER_ACCOUNT}"],
    ),
    (pitr_event(targetTableName="orders-restored\n"), ["'orders-restored\\n' does not match"]),
    (
        {**pitr_event(), "targetTableName": "plain"},
        ["input: Unevaluated properties are not allowed ('targetTableName' was unexpected)"],
    ),
    (
        backup_event(createdResourceArn=arn("orders-restored", account=OTHER_ACCOUNT)),
        [f"the restored table {arn('orders-restored', account=OTHER_ACCOUNT)} belongs to account {OTHER_ACCOUNT}"],
    ),
    (
        backup_event(createdResourceArn=arn("orders-restored", region="eu-west-1")),
        ["is in eu-west-1, not in this deployment's region us-east-1"],
    ),
    (
        backup_event(sourceResourceArn=arn("plain")),
        [f"the event names the source {arn('plain')}, but orders-restored was restored from {arn('orders')}"],
    ),
    (
        backup_event(creationDate=FUTURE),
        [f"detail.creationDate: {FUTURE} is after this execution started"],
    ),
]


@pytest.mark.parametrize(("event", "needles"), HOSTILE_EVENTS)
def test_an_event_that_does_not_describe_a_restore_here_is_refused(
    aws: FakeAws, event: dict[str, Any], needles: list[str]
) -> None:
    problems = refusal(aws, event)
    for needle in needles:
        assert needle in problems


def test_an_event_whose_table_is_not_found_is_retried_not_refused(aws: FakeAws) -> None:
    """DescribeTable may not find a table just created: the state machine retries TargetTableNotFound."""
    with pytest.raises(TargetTableNotFound, match="target table gone does not exist in us-east-1"):
        run(aws, pitr_event(targetTableName="gone"))


def test_an_event_naming_a_backup_of_another_account_is_refused_by_name(aws: FakeAws) -> None:
    event = load_event("cloudtrail_restore_from_backup")
    foreign = BACKUP.replace(ACCOUNT, OTHER_ACCOUNT)
    event["detail"]["requestParameters"]["backupArn"] = foreign
    assert f"the backup the event names {foreign} belongs to account {OTHER_ACCOUNT}" in refusal(aws, event)


def test_an_event_naming_another_backup_than_the_one_restored_is_refused(aws: FakeAws) -> None:
    event = load_event("cloudtrail_restore_from_backup")
    event["detail"]["requestParameters"].update(targetTableName="orders-restored", backupArn=BACKUP)
    assert f"the event names the backup {BACKUP}, but orders-restored was restored from a point in time" in refusal(
        aws, event
    )


def test_the_event_s_time_is_used_for_nothing(aws: FakeAws) -> None:
    past = pitr_event()
    past["detail"]["eventTime"] = "2001-01-01T00:00:00Z"
    assert run(aws, past) == run(aws, load_event("cloudtrail_restore_pitr_by_name"))


def test_a_restore_made_by_aws_backup_names_its_recovery_point_in_the_cloudtrail_record(aws: FakeAws) -> None:
    # AWS Backup restores a table with RestoreTableFromBackup on the caller's behalf; the record's backupArn, like
    # the restored table's RestoreSummary.SourceBackupArn, is the recovery point's ARN.
    point = f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b"
    aws.tables["invoices-from-backup"]["RestoreSummary"]["SourceBackupArn"] = point
    event = load_event("cloudtrail_restore_from_backup")
    event["detail"]["requestParameters"]["backupArn"] = point
    request = run(aws, event)
    assert (request["trigger"], request["sourceTableArn"]) == ("RestoreTableFromBackup", arn("orders"))
    other = point.replace("1f2e3d4c", "00000000")
    event["detail"]["requestParameters"]["backupArn"] = other
    assert f"the event names the backup {other}, but invoices-from-backup was restored from {point}" in refusal(
        aws, event
    )
