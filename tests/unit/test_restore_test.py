"""A restore test: what a real restore would need, checked from the workflow's state, and the result reported."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from restore_sync.contracts import RestoreTest, WorkflowState
from restore_sync.errors import RestoreTestUnreportable
from restore_sync.settings.base import Fragment
from restore_sync.workflow.report import build_report
from restore_sync.workflow.restore_test import (
    MESSAGE_LIMIT,
    RESOURCES_LIMIT,
    TEMPLATE_URL_LIMIT_BYTES,
    report,
    template_problems,
    validate,
)
from restore_sync.workflow.stored import TEMPLATE_BODY_LIMIT_BYTES

ACCOUNT = "123456789012"
TARGET_NAME = "awsbackup-restore-test-0123456789abcdef"
TEST = RestoreTest(
    restore_job_id="4C3B2A19", restore_testing_plan_arn=f"arn:aws:backup:us-east-1:{ACCOUNT}:restore-testing-plan:n-1"
)
REQUEST = {
    "ignored": False,
    "trigger": "AWSBackupRestoreJob",
    "targetTableName": TARGET_NAME,
    "targetTableArn": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{TARGET_NAME}",
    "sourceTableName": "orders",
    "sourceTableArn": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders",
    "region": "us-east-1",
    "settings": ["stream", "ttl", "triggers"],
    "dryRun": True,
    "requestedAt": "2026-11-20T10:00:00Z",
    "restoreTest": TEST.to_dict(),
}
TABLE = {
    "name": TARGET_NAME,
    "billingMode": "PAY_PER_REQUEST",
    "keySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "attributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "globalSecondaryIndexes": [],
    "localSecondaryIndexes": [],
}
SNAPSHOT = {
    "settingsFrom": "snapshot",
    "restorePoint": "2026-11-20T09:00:00Z",
    "version": "2026-11-19T08:00:00Z#abc",
    "note": "the version in effect at the restore point",
}
READER = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:reader"
SCOPED = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:scoped"
SCOPED_TOO = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:scoped-too"
GONE = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:gone"
EXECUTION = f"arn:aws:states:us-east-1:{ACCOUNT}:execution:sm:run-1"


class Clients:
    """Lambda, IAM and AWS Backup as the restore test asks them: the role `scoped` may read no stream."""

    def __init__(self, refuse: str | None = None) -> None:
        self.refuse = refuse
        self.simulated: list[str] = []
        self.put: list[dict[str, Any]] = []

    def client(self, service: str, region: str | None = None) -> Any:
        return self

    def get_function_configuration(self, FunctionName: str) -> dict[str, Any]:
        if FunctionName == GONE:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "GetFunctionConfiguration")
        role = "scoped" if FunctionName.startswith(SCOPED) else "reader"
        return {"Role": f"arn:aws:iam::{ACCOUNT}:role/{role}"}

    def simulate_principal_policy(self, PolicySourceArn: str, ActionNames: list[str], **more: Any) -> dict[str, Any]:
        self.simulated += more.get("ResourceArns", [])
        decision = "implicitDeny" if PolicySourceArn.endswith("/scoped") else "allowed"
        return {"EvaluationResults": [{"EvalActionName": a, "EvalDecision": decision} for a in ActionNames]}

    def put_restore_validation_result(self, **given: Any) -> None:
        if self.refuse:
            raise ClientError({"Error": {"Code": self.refuse, "Message": "no"}}, "PutRestoreValidationResult")
        self.put.append(given)


def plan(*functions: str) -> dict[str, Any]:
    mappings = [{"functionArn": f, "enabled": True, "properties": {"BatchSize": 10}} for f in functions]
    return {
        "items": [
            {"setting": "stream", "status": "pending", "wanted": {"enabled": True, "viewType": "NEW_IMAGE"}},
            {"setting": "ttl", "status": "skipped", "reason": "not selected"},
            {"setting": "triggers", "status": "pending", "wanted": {"mappings": mappings}},
        ]
    }


def held(**parts: Any) -> WorkflowState:
    return WorkflowState.from_dict({"request": REQUEST, "poll": {"table": TABLE}, **parts})


def test_a_restore_with_recorded_settings_and_readable_streams_passes_with_the_plans_summary() -> None:
    clients = Clients()

    result = validate(clients, held(source=SNAPSHOT, plan=plan(READER)), TEST, bucket="")  # type: ignore[arg-type]

    assert (result.status, result.reasons) == ("SUCCESSFUL", ())
    assert result.message.startswith(f"{TARGET_NAME} would be made whole: 2 settings planned (stream, triggers)")
    assert "from the settings history version 2026-11-19T08:00:00Z#abc" in result.message
    assert "skipped: ttl (not selected)" in result.message
    assert set(result.checked) == {
        "settings at the restore point",
        "CloudFormation form of each setting",
        "trigger roles' access to the stream",
        "template limits",
    }
    # The restored table has no stream yet: the role is asked about a stream of the target's.
    assert clients.simulated[0].startswith(f"{REQUEST['targetTableArn']}/stream/")


def test_every_reason_is_given_settings_live_unreadable_streams_and_missing_functions() -> None:
    live = {"settingsFrom": "live", "restorePoint": "2026-11-20T09:00:00Z", "note": "this deployment keeps no history"}
    state = held(source=live, plan=plan(READER, SCOPED, SCOPED_TOO, GONE))

    result = validate(Clients(), state, TEST, bucket="")  # type: ignore[arg-type]

    assert result.status == "FAILED"
    assert len(result.reasons) == 3
    assert "not in the settings history (this deployment keeps no history)" in result.reasons[0]
    assert f"function {GONE} or its role does not exist" in result.reasons[1]
    # One reason per role, naming each function it serves and what to add for restore tests' tables.
    assert f"the role arn:aws:iam::{ACCOUNT}:role/scoped of {SCOPED}, {SCOPED_TOO} cannot read" in result.reasons[2]
    assert "table/awsbackup-restore-test-*/stream/*" in result.reasons[2]
    assert result.message == "; ".join(result.reasons)


def test_a_step_that_failed_before_is_a_reason_even_when_nothing_else_was_checked() -> None:
    error = {"Error": "SettingsUnavailable", "Cause": '{"errorMessage": "no settings anywhere"}'}

    result = validate(Clients(), held(error=error), TEST, bucket="")  # type: ignore[arg-type]

    assert (result.status, result.reasons) == ("FAILED", ("SettingsUnavailable: no settings anywhere",))
    assert result.checked == ()


def test_a_long_message_is_shortened_for_aws_backup_but_the_reasons_are_kept_whole() -> None:
    functions = [f"{SCOPED}-{n:03d}" for n in range(60)]

    result = validate(Clients(), held(source=SNAPSHOT, plan=plan(*functions)), TEST, bucket="")  # type: ignore[arg-type]

    assert len(result.message) == MESSAGE_LIMIT
    assert result.message.endswith("(the execution's report has the rest)")
    assert all(function in result.reasons[0] for function in functions)


def test_templates_over_cloudformations_limits_are_reasons() -> None:
    def tags(size: int) -> Fragment:
        return Fragment(properties={"Tags": [{"Key": "k", "Value": "v" * size}]})

    def alarms(count: int) -> Fragment:
        return Fragment(resources={f"Alarm{n}": {"Type": "AWS::CloudWatch::Alarm"} for n in range(count)})

    assert template_problems(TABLE, [tags(100)], bucket="") == []
    assert "no bucket" in template_problems(TABLE, [tags(TEMPLATE_BODY_LIMIT_BYTES)], bucket="")[0]
    assert template_problems(TABLE, [tags(TEMPLATE_BODY_LIMIT_BYTES)], bucket="data") == []
    assert "read from S3" in template_problems(TABLE, [tags(TEMPLATE_URL_LIMIT_BYTES)], bucket="data")[0]
    assert (
        f"over CloudFormation's {RESOURCES_LIMIT}" in template_problems(TABLE, [alarms(RESOURCES_LIMIT)], bucket="b")[0]
    )


def test_the_result_is_put_to_the_restore_job() -> None:
    clients = Clients()
    result = validate(clients, held(source=SNAPSHOT, plan=plan()), TEST, bucket="")  # type: ignore[arg-type]

    report(clients, result, "us-east-1")  # type: ignore[arg-type]

    assert clients.put == [
        {
            "RestoreJobId": TEST.restore_job_id,
            "ValidationStatus": "SUCCESSFUL",
            "ValidationStatusMessage": result.message,
        }
    ]


@pytest.mark.parametrize("code", ["InvalidRequestException", "ResourceNotFoundException"])
def test_a_result_aws_backup_refuses_fails_the_step_keeping_the_result(code: str) -> None:
    clients = Clients(refuse=code)
    result = validate(clients, held(error={"Error": "X", "Cause": "broken"}), TEST, bucket="")  # type: ignore[arg-type]

    with pytest.raises(RestoreTestUnreportable) as refused:
        report(clients, result, "us-east-1")  # type: ignore[arg-type]

    assert code in str(refused.value)
    assert "X: broken" in str(refused.value)


def test_the_report_of_a_failed_restore_test_fails_the_execution_and_of_a_passed_one_is_planned() -> None:
    for status, outcome in (("FAILED", "failed"), ("SUCCESSFUL", "planned")):
        validation = {"status": status, "message": "why", "reasons": ["why"] if status == "FAILED" else []}
        built = build_report(held(source=SNAPSHOT, plan=plan(), validation=validation), EXECUTION)

        assert built.report.outcome == outcome
        assert built.report.validation == validation
        assert built.error == ("RestoreTestFailed" if status == "FAILED" else None)
        assert built.cause == ("why" if status == "FAILED" else None)
