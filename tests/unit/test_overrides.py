"""What a restore chose (the overrides of its request): read from its CloudTrail record against botocore's model, or
found by comparing the target with the source; kept by on_demand_throughput; reported `kept` and shown."""

from __future__ import annotations

from typing import Any

import pytest

from restore_sync.aws import Aws, TableRef
from restore_sync.contracts import KeptChoice, RestoreCall, WorkflowState
from restore_sync.settings.base import Fragment, Setting, State
from restore_sync.workflow import overrides
from restore_sync.workflow.report import build_report
from restore_sync_tools.console.server import report_rows
from restore_sync_tools.render import report_summary

PITR = "RestoreTableToPointInTime"
RECORD = f"the CloudTrail record of the {PITR} call"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
# As CloudTrail records a restore's request: lower camel case, `sSESpecificationOverride` and all.
PARAMETERS = {
    "sourceTableName": "orders",
    "targetTableName": "orders-restored",
    "useLatestRestorableTime": True,
    "billingModeOverride": "PROVISIONED",
    "provisionedThroughputOverride": {"readCapacityUnits": 40, "writeCapacityUnits": 10},
    "sSESpecificationOverride": {"enabled": True, "sSEType": "KMS", "kMSMasterKeyId": KEY},
    "globalSecondaryIndexOverride": [
        {
            "indexName": "by-customer",
            "keySchema": [{"attributeName": "customer", "keyType": "HASH"}],
            "projection": {"projectionType": "ALL"},
            "provisionedThroughput": {"readCapacityUnits": 5, "writeCapacityUnits": 5},
        }
    ],
}
SOURCE_TABLE = {
    "billingMode": "PAY_PER_REQUEST",
    "globalSecondaryIndexes": [{"IndexName": "by-customer"}, {"IndexName": "by-date"}],
    "localSecondaryIndexes": [],
}


def read(parameters: dict[str, Any]) -> tuple[RestoreCall, list[str]]:
    return overrides.from_request_parameters(PITR, parameters, "detail.requestParameters")


def test_the_overrides_of_a_cloudtrail_record_are_read_in_botocores_casing_and_nothing_else() -> None:
    call, problems = read(PARAMETERS)
    assert problems == []
    assert call.read_from == RECORD
    assert call.overrides == {
        "BillingModeOverride": "PROVISIONED",
        "GlobalSecondaryIndexOverride": [
            {
                "IndexName": "by-customer",
                "KeySchema": [{"AttributeName": "customer", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
            }
        ],
        "ProvisionedThroughputOverride": {"ReadCapacityUnits": 40, "WriteCapacityUnits": 10},
        "SSESpecificationOverride": {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": KEY},
    }


def test_a_record_without_overrides_says_the_restore_chose_nothing() -> None:
    call, problems = read({"sourceTableName": "orders", "targetTableName": "orders-restored"})
    assert (call.overrides, problems) == ({}, [])


@pytest.mark.parametrize(
    ("parameters", "problem"),
    [
        ({"billingModeOverride": "FREE"}, "billingModeOverride: 'FREE' is not one of PROVISIONED, PAY_PER_REQUEST"),
        (
            {"provisionedThroughputOverride": {"readCapacityUnits": 0, "writeCapacityUnits": 1}},
            "provisionedThroughputOverride.readCapacityUnits: 0 is less than 1",
        ),
        (
            {"provisionedThroughputOverride": {"readCapacityUnits": "40", "writeCapacityUnits": 1}},
            "provisionedThroughputOverride.readCapacityUnits: expected an integer",
        ),
        ({"sSESpecificationOverride": {"enabled": "yes"}}, "sSESpecificationOverride.enabled: expected true or false"),
        ({"sSESpecificationOverride": {"colour": "red"}}, "colour is not a member of SSESpecification"),
        ({"onDemandThroughputOverride": 250}, "onDemandThroughputOverride: expected an object"),
        ({"globalSecondaryIndexOverride": [{"projection": {}}]}, "globalSecondaryIndexOverride[0]: missing IndexName"),
        ({"localSecondaryIndexOverride": {"indexName": "a"}}, "localSecondaryIndexOverride: expected a list"),
    ],
)
def test_an_override_that_does_not_match_botocores_model_is_a_problem(parameters: dict[str, Any], problem: str) -> None:
    _, problems = read(parameters)
    assert any(problem in found for found in problems), problems
    assert all(found.startswith("detail.requestParameters.") for found in problems)


def test_each_override_of_the_request_is_reported_kept_chosen_at_restore() -> None:
    call, _ = read(PARAMETERS)
    kept = overrides.kept_choices(call, {"document": {"table": SOURCE_TABLE}}, target={})
    assert set(kept) == set(call.overrides)
    assert all(choice.status == "kept" and choice.reason.startswith("chosen at restore: ") for choice in kept.values())
    assert kept["BillingModeOverride"].reason == (
        f"chosen at restore: billing mode PROVISIONED (BillingModeOverride in {RECORD})"
    )
    assert "provisioned capacity 40 read, 10 write units" in kept["ProvisionedThroughputOverride"].reason
    assert f"encryption with the KMS key {KEY}" in kept["SSESpecificationOverride"].reason
    indexes = kept["GlobalSecondaryIndexOverride"].reason
    assert "global secondary indexes kept: by-customer (left out: by-date)" in indexes
    assert "by-customer capacity 5 read, 5 write units" in indexes
    assert kept["SSESpecificationOverride"].chosen == call.overrides["SSESpecificationOverride"]


def test_without_the_request_the_target_is_compared_with_the_source_at_the_restore_point() -> None:
    target = {
        "billingMode": "PROVISIONED",
        "provisionedThroughput": {"ReadCapacityUnits": 40, "WriteCapacityUnits": 10},
        "sse": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": KEY},
        "globalSecondaryIndexes": [{"IndexName": "by-customer"}],
        "localSecondaryIndexes": [],
    }
    source = {"settingsFrom": "snapshot", "restorePoint": "2026-11-20T10:00:00Z", "document": {"table": SOURCE_TABLE}}
    kept = overrides.kept_choices(None, source, target)
    assert set(kept) == {"BillingModeOverride", "SSESpecificationOverride", "GlobalSecondaryIndexOverride"}
    assert kept["BillingModeOverride"].reason.startswith(
        "chosen at restore: billing mode PROVISIONED, the source's PAY_PER_REQUEST (the target differs from the "
        "source at the restore point 2026-11-20T10:00:00Z, as the settings history recorded it; restore-sync never "
        "changes it, so only the restore can have"
    )
    assert "no request of the restore was read" in kept["BillingModeOverride"].reason
    assert "a DynamoDB-owned key" in kept["SSESpecificationOverride"].reason
    assert kept["GlobalSecondaryIndexOverride"].chosen == ["by-customer"]


def test_a_target_like_its_source_made_no_choice_and_capacity_differs_only_where_both_are_provisioned() -> None:
    same = {**SOURCE_TABLE, "billingMode": "PROVISIONED", "provisionedThroughput": {"ReadCapacityUnits": 5}}
    live = {"settingsFrom": "live", "document": {"table": same}}
    assert overrides.kept_choices(None, live, same) == {}
    more = {**same, "provisionedThroughput": {"ReadCapacityUnits": 9, "WriteCapacityUnits": 9}}
    kept = overrides.kept_choices(None, live, more)
    assert list(kept) == ["ProvisionedThroughputOverride"]
    assert "the source as it is now (no settings history" in kept["ProvisionedThroughputOverride"].reason


class Compared(Setting):
    """A setting that keeps whatever differs, and says when it was asked."""

    name = "on_demand_throughput"
    reads = ()

    def __init__(self) -> None:
        self.asked = 0

    def read(self, aws: Aws, table: TableRef) -> State:
        return {}

    def fragment(self, state: State, target: dict[str, Any]) -> Fragment:
        return Fragment(properties={})

    def kept(self, aws: Aws, table: TableRef, wanted: State) -> str | None:
        self.asked += 1
        return "chosen at restore: compared"


TABLE = TableRef("orders-restored", "us-east-1", "123456789012")


def test_the_on_demand_maximum_is_kept_as_the_request_says_where_it_is_known() -> None:
    setting = Compared()
    chose = RestoreCall(
        read_from=RECORD,
        overrides={
            "OnDemandThroughputOverride": {"MaxReadRequestUnits": 250},
            "GlobalSecondaryIndexOverride": [
                {"IndexName": "by-date", "OnDemandThroughput": {"MaxWriteRequestUnits": 9}}
            ],
        },
    )
    reason = overrides.kept_setting(setting, None, TABLE, {}, chose)  # type: ignore[arg-type]
    assert reason == (
        "chosen at restore: the maximum on-demand throughput the restore asked for (table 250 read request units; "
        f"index by-date 9 write request units; {RECORD})"
    )
    # The request chose no maximum: the source's is applied, whatever the target has.
    assert overrides.kept_setting(setting, None, TABLE, {}, RestoreCall(read_from=RECORD, overrides={})) is None  # type: ignore[arg-type]
    assert setting.asked == 0
    # Not known from the request: the setting compares.
    assert overrides.kept_setting(setting, None, TABLE, {}, None) == "chosen at restore: compared"  # type: ignore[arg-type]
    assert setting.asked == 1


EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:sm:run-1"
REQUEST = {
    "ignored": False,
    "trigger": PITR,
    "targetTableName": "t",
    "targetTableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/t",
    "sourceTableName": "s",
    "sourceTableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/s",
    "region": "us-east-1",
    "settings": ["ttl"],
    "dryRun": False,
    "requestedAt": "2026-11-20T10:00:00Z",
    "restoreCall": {"readFrom": RECORD, "overrides": {"BillingModeOverride": "PAY_PER_REQUEST"}},
}
CHOSEN = KeptChoice(
    reason=f"chosen at restore: billing mode PAY_PER_REQUEST (BillingModeOverride in {RECORD})",
    chosen="PAY_PER_REQUEST",
)


def test_the_report_lists_what_the_restore_chose_beside_the_settings_and_status_and_console_show_it() -> None:
    plan = {
        "items": [{"setting": "ttl", "status": "pending", "wanted": {"enabled": False, "attributeName": None}}],
        "restore": {"BillingModeOverride": CHOSEN.to_dict()},
    }
    results = [{"setting": "ttl", "status": "unchanged", "reason": "not set on the source"}]
    held = {"request": REQUEST, "plan": plan, "results": results, "verification": {"drift": []}}
    report = build_report(WorkflowState.from_dict(held), EXECUTION).to_dict()["report"]
    assert report["outcome"] == "succeeded"
    assert report["restore"] == {
        "BillingModeOverride": {"status": "kept", "reason": CHOSEN.reason, "chosen": "PAY_PER_REQUEST"}
    }
    assert list(report["settings"]) == ["ttl"]
    assert report_summary(report)[-1] == f"restore: BillingModeOverride  kept       {CHOSEN.reason}"
    shown = report_rows(report)
    assert shown is not None
    assert shown["rows"][-1] == {
        "setting": "restore: BillingModeOverride",
        "status": "kept",
        "reason": CHOSEN.reason,
        "changes": "",
    }


def test_a_report_without_a_plan_has_no_restore_part() -> None:
    held = {"request": REQUEST, "error": {"Error": "TargetNotReady", "Cause": "still CREATING"}}
    report = build_report(WorkflowState.from_dict(held), EXECUTION).to_dict()["report"]
    assert "restore" not in report
    assert report_summary(report)[-1].startswith("---")


SCALING = {
    "targets": [
        {"resource": "table", "dimension": "dynamodb:table:ReadCapacityUnits", "min": 5, "max": 200},
        {"resource": "table", "dimension": "dynamodb:table:WriteCapacityUnits", "min": 5, "max": 200},
        {"resource": "index/by-date", "dimension": "dynamodb:index:ReadCapacityUnits", "min": 5, "max": 200},
    ]
}


def test_auto_scaling_that_would_move_a_capacity_chosen_at_restore_is_not_copied() -> None:
    autoscaling = Compared()
    autoscaling.name = "autoscaling"
    below = RestoreCall(
        read_from=RECORD,
        overrides={
            "ProvisionedThroughputOverride": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 50},
            "GlobalSecondaryIndexOverride": [
                {"IndexName": "by-date", "ProvisionedThroughput": {"ReadCapacityUnits": 900, "WriteCapacityUnits": 1}}
            ],
        },
    )
    reason = overrides.kept_setting(autoscaling, None, TABLE, SCALING, below)  # type: ignore[arg-type]
    assert reason is not None
    assert reason.startswith(
        "chosen at restore: the provisioned capacity the restore asked for lies outside the source's scaling range "
        "(table ReadCapacityUnits 2, range 5-200; index/by-date ReadCapacityUnits 900, range 5-200; "
    )
    assert "--settings autoscaling" in reason
    within = RestoreCall(
        read_from=RECORD,
        overrides={"ProvisionedThroughputOverride": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 200}},
    )
    assert overrides.kept_setting(autoscaling, None, TABLE, SCALING, within) is None  # type: ignore[arg-type]
    assert (
        overrides.kept_setting(autoscaling, None, TABLE, SCALING, RestoreCall(read_from=RECORD, overrides={})) is None
    )  # type: ignore[arg-type]
    assert autoscaling.asked == 0
