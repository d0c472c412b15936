"""A governed table deleted: Normalize finds its governance stack (or ignores a table never governed), the stack is
deleted only once the table is gone and only if it is this deployment's stack of that table, and the report says
what happened."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from botocore.exceptions import ClientError

from restore_sync.contracts import Ignored, Removal, WorkflowState
from restore_sync.errors import StackBusy, StackUnusable, TableBeingDeleted, ValidationError
from restore_sync.names import stack_name
from restore_sync.workflow.report import build_report
from restore_sync.workflow.request import is_table_deletion, normalize
from restore_sync.workflow.retire import describe_counts, remove_stack
from restore_sync_tools.executions import execution_target
from tests.helpers import load_event

ACCOUNT = "123456789012"
REGION = "us-east-1"
TABLE = "orders-restored"
STACK = stack_name("restore-sync", TABLE)
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/5f1c2a4e-1111-2222-3333-444455556666"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/restore-sync-CloudFormationRole-X"
STARTED = "2026-11-20T12:00:03Z"
EXECUTION = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:restore-sync:e1"
RESOURCES = [
    {"LogicalResourceId": "Table", "ResourceType": "AWS::DynamoDB::Table", "PhysicalResourceId": TABLE},
    {
        "LogicalResourceId": "TriggerAudit1",
        "ResourceType": "AWS::Lambda::EventSourceMapping",
        "PhysicalResourceId": "u1",
    },
    {"LogicalResourceId": "AlarmA1", "ResourceType": "AWS::CloudWatch::Alarm", "PhysicalResourceId": "a1"},
    {"LogicalResourceId": "AlarmB2", "ResourceType": "AWS::CloudWatch::Alarm", "PhysicalResourceId": "a2"},
]


def not_found(operation: str, code: str = "ResourceNotFoundException", message: str = "not found") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


class FakeCloudFormation:
    """One governance stack: described by name (while it lives) or by unique id (also once deleted)."""

    def __init__(self, status: str | None, resources: list[dict[str, Any]], ends: str = "DELETE_COMPLETE") -> None:
        self.status, self.resources, self.ends = status, resources, ends
        self.deleted: list[dict[str, Any]] = []

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        live = self.status is not None and self.status != "DELETE_COMPLETE"
        if self.status is None or StackName not in (STACK_ID, STACK) or (StackName == STACK and not live):
            raise not_found("DescribeStacks", "ValidationError", f"Stack with id {StackName} does not exist")
        stack = {"StackName": STACK, "StackId": STACK_ID, "StackStatus": self.status}
        if self.status == "DELETE_FAILED":
            stack["StackStatusReason"] = "The following resource(s) failed to delete: [AlarmA1]."
        return {"Stacks": [stack]}

    def get_paginator(self, name: str) -> Any:
        assert name == "list_stack_resources"
        resources = copy.deepcopy(self.resources)
        return type("Pages", (), {"paginate": staticmethod(lambda StackName: [{"StackResourceSummaries": resources}])})

    def delete_stack(self, **kwargs: Any) -> None:
        self.deleted.append(kwargs)
        self.status = self.ends


class FakeDynamoDB:
    def __init__(self, table_status: str | None) -> None:
        self.table_status = table_status

    def describe_table(self, TableName: str) -> dict[str, Any]:
        if self.table_status is None:
            raise not_found("DescribeTable")
        return {"Table": {"TableName": TableName, "TableStatus": self.table_status}}


class FakeAws:
    def __init__(self, cfn: FakeCloudFormation, table_status: str | None = None) -> None:
        self.cfn, self.ddb = cfn, FakeDynamoDB(table_status)

    def client(self, service: str, region: str | None = None) -> Any:
        return {"cloudformation": self.cfn, "dynamodb": self.ddb}[service]


def removal(**changes: Any) -> Removal:
    fields: dict[str, Any] = {
        "trigger": "DeleteTable",
        "table_name": TABLE,
        "table_arn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}",
        "region": REGION,
        "stack": STACK,
        "stack_id": STACK_ID,
    }
    return Removal(**{**fields, **changes})


def remove(aws: FakeAws, request: Removal | None = None) -> dict[str, Any]:
    return remove_stack(
        aws,  # type: ignore[arg-type]
        request or removal(),
        prefix="restore-sync",
        role_arn=ROLE,
        wait_budget_seconds=4,
        poll_seconds=1,
        sleep=lambda seconds: None,
    )


def normalized(aws: FakeAws, event: dict[str, Any]) -> Any:
    return normalize(
        aws,  # type: ignore[arg-type]
        event,
        region=REGION,
        account=ACCOUNT,
        started_at=STARTED,
        default_settings=("ttl",),
        stack_prefix="restore-sync",
    )


# ---- Normalize ------------------------------------------------------------------------------------------------


def test_a_governed_tables_deletion_names_its_stack_by_unique_id() -> None:
    event = load_event("cloudtrail_delete_table")
    assert is_table_deletion(event)

    assert normalized(FakeAws(FakeCloudFormation("UPDATE_COMPLETE", RESOURCES)), event) == removal()


def test_a_table_named_by_arn_is_the_same_table() -> None:
    event = load_event("cloudtrail_delete_table")
    event["detail"]["requestParameters"]["tableName"] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}"

    assert normalized(FakeAws(FakeCloudFormation("UPDATE_COMPLETE", RESOURCES)), event) == removal()


def test_a_table_restore_sync_never_governed_is_ignored_naming_the_stack_it_looked_for() -> None:
    result = normalized(FakeAws(FakeCloudFormation(None, [])), load_event("cloudtrail_delete_table"))

    assert isinstance(result, Ignored)
    assert STACK in result.reason
    assert "nothing to remove" in result.reason
    assert result.target == removal().table_arn


def test_a_failed_delete_call_is_ignored_without_looking_at_any_stack() -> None:
    event = load_event("cloudtrail_delete_table")
    event["detail"]["errorCode"] = "ResourceInUseException"

    result = normalized(FakeAws(FakeCloudFormation("UPDATE_COMPLETE", RESOURCES)), event)

    assert isinstance(result, Ignored)
    assert "ResourceInUseException" in result.reason


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda e: e["detail"]["requestParameters"].update(tableName="no"), "detail.requestParameters.tableName"),
        (lambda e: e["detail"].update(awsRegion="eu-west-1"), "not this deployment's region"),
        (lambda e: e.update(account="999999999999"), "not this deployment's account"),
        (lambda e: e.update(source="aws.s3"), "source"),
        (
            lambda e: e["detail"]["requestParameters"].update(
                tableName=f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/{TABLE}"
            ),
            "not in this deployment's region",
        ),
    ],
    ids=["illegal-name", "other-region", "other-account", "other-source", "table-of-another-region"],
)
def test_an_event_that_is_not_this_deployments_deletion_is_refused(change: Any, problem: str) -> None:
    event = load_event("cloudtrail_delete_table")
    change(event)
    cfn = FakeCloudFormation("UPDATE_COMPLETE", RESOURCES)

    with pytest.raises(ValidationError, match=problem):
        normalized(FakeAws(cfn), event)
    assert cfn.deleted == []


# ---- Remove governance stack ----------------------------------------------------------------------------------


def test_the_stack_of_a_table_that_is_gone_is_deleted_with_the_cloudformation_role() -> None:
    cfn = FakeCloudFormation("UPDATE_COMPLETE", RESOURCES)

    result = remove(FakeAws(cfn, table_status=None))

    assert cfn.deleted == [{"StackName": STACK_ID, "RoleARN": ROLE}]
    assert (result["action"], result["stack"], result["stackId"]) == ("removed", STACK, STACK_ID)
    assert result["deleted"] == {"AWS::CloudWatch::Alarm": 2, "AWS::Lambda::EventSourceMapping": 1}
    assert "(2 AWS::CloudWatch::Alarm, 1 AWS::Lambda::EventSourceMapping)" in result["reason"]
    assert [r["logicalId"] for r in result["resources"]] == [r["LogicalResourceId"] for r in RESOURCES]


def test_a_table_still_deleting_waits_and_nothing_is_deleted() -> None:
    cfn = FakeCloudFormation("UPDATE_COMPLETE", RESOURCES)

    with pytest.raises(TableBeingDeleted):
        remove(FakeAws(cfn, table_status="DELETING"))
    assert cfn.deleted == []


def test_a_table_of_that_name_that_exists_again_keeps_its_stack() -> None:
    cfn = FakeCloudFormation("UPDATE_COMPLETE", RESOURCES)

    result = remove(FakeAws(cfn, table_status="CREATING"))

    assert result["action"] == "kept"
    assert "exists again (CREATING)" in result["reason"]
    assert cfn.deleted == []


def test_a_stack_that_holds_another_table_is_not_deleted() -> None:
    other = [{**RESOURCES[0], "PhysicalResourceId": "somebody-else"}, *RESOURCES[1:]]
    cfn = FakeCloudFormation("UPDATE_COMPLETE", other)

    with pytest.raises(StackUnusable, match="holds table 'somebody-else'"):
        remove(FakeAws(cfn))
    assert cfn.deleted == []


@pytest.mark.parametrize(
    "changes",
    [
        {"stack": stack_name("restore-sync", "another-table")},
        {"stack_id": STACK_ID.replace(STACK, stack_name("restore-sync", "another-table"))},
        {"stack_id": "arn:aws:cloudformation:us-east-1:123456789012:stack/app-stack/5f1c2a4e"},
    ],
    ids=["stack-of-another-table", "id-of-another-stack", "not-a-governance-stack"],
)
def test_only_the_governance_stack_derived_from_the_tables_name_is_deleted(changes: dict[str, str]) -> None:
    cfn = FakeCloudFormation("UPDATE_COMPLETE", RESOURCES)

    with pytest.raises(StackUnusable, match="is not the governance stack of table"):
        remove(FakeAws(cfn), removal(**changes))
    assert cfn.deleted == []


def test_a_stack_already_deleted_is_reported_removed_without_another_call() -> None:
    cfn = FakeCloudFormation("DELETE_COMPLETE", RESOURCES)

    assert remove(FakeAws(cfn))["action"] == "removed"
    assert cfn.deleted == []


def test_a_deletion_still_running_asks_the_workflow_to_come_back() -> None:
    cfn = FakeCloudFormation("UPDATE_COMPLETE", RESOURCES, ends="DELETE_IN_PROGRESS")

    with pytest.raises(StackBusy):
        remove(FakeAws(cfn))
    cfn.status = "DELETE_COMPLETE"
    assert remove(FakeAws(cfn))["action"] == "removed"
    assert len(cfn.deleted) == 1


def test_a_deletion_that_fails_says_why_and_what_to_do() -> None:
    cfn = FakeCloudFormation("UPDATE_COMPLETE", RESOURCES, ends="DELETE_FAILED")

    with pytest.raises(StackUnusable, match=r"ended DELETE_FAILED: .*\[AlarmA1\].*delete the stack again"):
        remove(FakeAws(cfn))
    with pytest.raises(StackUnusable, match="DELETE_FAILED"):
        remove(FakeAws(cfn))
    assert len(cfn.deleted) == 1


def test_counts_read_as_a_list_of_types() -> None:
    assert describe_counts({}) == "nothing besides the table"
    assert describe_counts({"AWS::CloudWatch::Alarm": 2}) == "2 AWS::CloudWatch::Alarm"


# ---- the report -----------------------------------------------------------------------------------------------


def outcome_of(stack: dict[str, Any] | None, error: dict[str, Any] | None = None) -> Any:
    state = WorkflowState(request=removal(), stack=stack, error=error)
    return build_report(state, EXECUTION)


def test_a_removed_stack_is_reported_removed_with_what_went() -> None:
    outcome = outcome_of({"stack": STACK, "stackId": STACK_ID, "action": "removed", "reason": "stack ... was deleted"})

    assert outcome.succeeded
    assert outcome.dead_letter is None
    report = outcome.report.to_dict()
    assert (report["outcome"], report["reason"], report["stack"]) == ("removed", "stack ... was deleted", STACK)
    assert (report["target"], report["source"], report["settings"]) == (removal().table_arn, None, {})


def test_a_kept_stack_is_reported_ignored_with_why() -> None:
    outcome = outcome_of({"stack": STACK, "stackId": STACK_ID, "action": "kept", "reason": "exists again"})

    assert outcome.succeeded
    assert (outcome.report.outcome, outcome.report.reason) == ("ignored", "exists again")


def test_a_failed_removal_is_dead_lettered_with_how_to_finish_it() -> None:
    error = {"Error": "StackUnusable", "Cause": '{"errorMessage": "ended DELETE_FAILED: ..."}'}

    outcome = outcome_of(None, error)

    assert not outcome.succeeded
    assert (outcome.error, outcome.cause, outcome.report.outcome) == (
        "StackUnusable",
        "ended DELETE_FAILED: ...",
        "failed",
    )
    assert outcome.dead_letter is not None
    assert outcome.dead_letter.request == removal().to_dict()
    assert f"aws cloudformation delete-stack --stack-name {STACK}" in outcome.dead_letter.redrive


# ---- the tools --------------------------------------------------------------------------------------------------


def test_status_finds_a_deletions_execution_by_the_table_it_names() -> None:
    event = load_event("cloudtrail_delete_table")
    assert execution_target(event) == TABLE
    event["detail"]["requestParameters"]["tableName"] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}"
    assert execution_target(event) == TABLE
