"""`warm_throughput` reads the warm throughput of the table and of each index, raises the target only where it is
below the source (never lowers it), gives the one-time cost of the raise in the plan and the report, and verifies a
target at or above the source as whole."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from restore_sync.aws import Aws, TableRef
from restore_sync.contracts import WorkflowState
from restore_sync.settings import REGISTRY, Retarget
from restore_sync.settings.document import document_problems
from restore_sync.settings.warm_throughput import (
    CHARGED,
    PRICING_PAGE,
    one_time_cost,
    raise_needed,
    target_state,
    units_raised,
)
from restore_sync.table import import_template, table_document
from restore_sync.workflow.report import build_report
from restore_sync.workflow.stack import StackOps
from restore_sync_tools.render import report_summary

SETTING = REGISTRY["warm_throughput"]
REGION = "eu-west-1"
SOURCE = TableRef("orders", REGION, "123456789012")
TARGET = TableRef("orders-restored", REGION, "123456789012")
WARM: dict[str, Any] = {
    "table": {"ReadUnitsPerSecond": 30000, "WriteUnitsPerSecond": 9000},
    "indexes": {"by-status": {"ReadUnitsPerSecond": 20000, "WriteUnitsPerSecond": 4000}},
}
START = {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000}


def target(table: dict[str, int], indexes: dict[str, dict[str, int]]) -> dict[str, Any]:
    """A target's table document with the warm throughput it states."""
    return {
        "arn": TARGET.arn,
        "name": TARGET.name,
        "region": REGION,
        "billingMode": "PAY_PER_REQUEST",
        "warmThroughput": table,
        "globalSecondaryIndexes": [{"IndexName": name, "WarmThroughput": units} for name, units in indexes.items()],
    }


COLD = target(START, {"by-status": START})


class FakeDynamoDB:
    """DescribeTable as DynamoDB answers it: WarmThroughput with its Status on the table and on each index."""

    def __init__(self, table: dict[str, int], indexes: dict[str, dict[str, int]]) -> None:
        self.table, self.indexes = table, indexes

    def describe_table(self, TableName: str) -> dict[str, Any]:
        return {
            "Table": {
                "TableName": TableName,
                "WarmThroughput": {**self.table, "Status": "ACTIVE"},
                "GlobalSecondaryIndexes": [
                    {"IndexName": name, "WarmThroughput": {**units, "Status": "UPDATING"}}
                    for name, units in self.indexes.items()
                ],
            }
        }


class FakeAws(Aws):
    """DynamoDB only: a call to any other service (CloudFormation) fails the test."""

    def __init__(self, client: FakeDynamoDB | None = None) -> None:
        super().__init__(region=REGION)
        self.fake = client

    def client(self, service: str, region: str | None = None) -> Any:
        assert service == "dynamodb", f"{service} called"
        assert self.fake is not None, "DynamoDB called"
        return self.fake


def test_read_gives_the_units_of_the_table_and_of_each_index_without_status() -> None:
    state = SETTING.read(FakeAws(FakeDynamoDB(WARM["table"], {"by-status": WARM["indexes"]["by-status"]})), SOURCE)
    assert state == WARM


def test_an_index_the_restore_left_out_is_not_wanted() -> None:
    state = {**WARM, "indexes": {**WARM["indexes"], "by-customer": START}}
    assert SETTING.wanted(state, Retarget(source=SOURCE, target=TARGET, target_table=COLD)) == WARM


def test_a_cold_target_is_raised_to_the_source_on_the_table_and_each_index() -> None:
    assert SETTING.fragment(WARM, COLD).properties == {
        # The write units of the index are the source's already: only the member below is set.
        "WarmThroughput": {"ReadUnitsPerSecond": 30000, "WriteUnitsPerSecond": 9000},
        "GlobalSecondaryIndexes": [{"IndexName": "by-status", "WarmThroughput": {"ReadUnitsPerSecond": 20000}}],
    }


def test_a_member_the_target_has_more_of_is_left_as_it_is() -> None:
    warmer_writes = target(
        {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 50000},
        {"by-status": {**START, "ReadUnitsPerSecond": 25000}},
    )
    assert SETTING.fragment(WARM, warmer_writes).properties == {"WarmThroughput": {"ReadUnitsPerSecond": 30000}}


@pytest.mark.parametrize(
    "found",
    [
        target(WARM["table"], WARM["indexes"]),
        target(
            {"ReadUnitsPerSecond": 90000, "WriteUnitsPerSecond": 9000},
            {"by-status": {**START, "ReadUnitsPerSecond": 20001}},
        ),
    ],
)
def test_a_target_as_warm_or_warmer_gets_nothing_and_is_unchanged_saying_why(found: dict[str, Any]) -> None:
    assert SETTING.fragment(WARM, found).empty
    assert SETTING.cost(WARM, found) is None
    # FakeAws fails the test if CloudFormation is called: no change set is made, nothing is lowered.
    result = StackOps(FakeAws(), "restore-sync-orders-restored", "arn:aws:iam::123456789012:role/cfn").apply(
        "warm_throughput", WARM, found
    )
    assert result.status == "unchanged"
    assert result.reason == "the target is already as warm as the source or warmer (warm throughput is never lowered)"
    assert "cost" not in result.to_dict()


def test_the_raise_counts_only_the_units_above_what_the_target_has() -> None:
    partly = target({"ReadUnitsPerSecond": 20000, "WriteUnitsPerSecond": 10000}, {"by-status": START})
    assert raise_needed(WARM, target_state(partly)) == {
        "table": {"ReadUnitsPerSecond": 30000},
        "indexes": {"by-status": {"ReadUnitsPerSecond": 20000}},
    }
    # table reads 30000 - 20000, index reads 20000 - 12000; writes: none below.
    assert units_raised(WARM, target_state(partly)) == {"ReadUnitsPerSecond": 18000, "WriteUnitsPerSecond": 0}
    assert units_raised(WARM, target_state(COLD)) == {"ReadUnitsPerSecond": 26000, "WriteUnitsPerSecond": 5000}


def test_the_cost_states_the_units_the_region_and_where_the_price_is() -> None:
    cost = SETTING.cost(WARM, COLD)
    assert cost == {
        "readUnitsPerSecond": 26000,
        "writeUnitsPerSecond": 5000,
        "region": REGION,
        "amountUsd": None,
        "basis": f"charged once for the units raised ({CHARGED}); no price for {REGION} recorded: see {PRICING_PAGE}",
    }


def test_with_a_price_for_the_region_the_cost_has_its_amount() -> None:
    prices = {REGION: (Decimal("0.0001"), Decimal("0.0005"))}
    cost = one_time_cost({"ReadUnitsPerSecond": 26000, "WriteUnitsPerSecond": 5000}, REGION, prices)
    assert cost["amountUsd"] == "5.1000"
    assert one_time_cost({"ReadUnitsPerSecond": 1, "WriteUnitsPerSecond": 1}, "us-east-1", prices)["amountUsd"] is None


def test_verify_accepts_a_target_at_or_above_and_reports_one_below() -> None:
    assert SETTING.diff(WARM, WARM) == []
    warmer = {"table": {"ReadUnitsPerSecond": 99999, "WriteUnitsPerSecond": 9000}, "indexes": WARM["indexes"]}
    assert SETTING.diff(WARM, warmer) == []
    [drift] = SETTING.diff(WARM, {**WARM, "indexes": {"by-status": START}})
    assert drift == {"setting": "warm_throughput", "wanted": WARM, "found": {**WARM, "indexes": {"by-status": START}}}
    assert SETTING.diff(WARM, {**WARM, "indexes": {}}) != []


def dry_run(found: dict[str, Any]) -> dict[str, Any]:
    request = {
        "ignored": False,
        "trigger": "manual",
        "targetTableName": TARGET.name,
        "targetTableArn": TARGET.arn,
        "sourceTableName": SOURCE.name,
        "sourceTableArn": SOURCE.arn,
        "region": REGION,
        "settings": ["warm_throughput"],
        "dryRun": True,
        "requestedAt": "2026-11-20T10:00:00Z",
        "hold": [],
        "settingsFrom": "auto",
        "grantRecordedAccess": False,
    }
    plan = {"items": [{"setting": "warm_throughput", "status": "pending", "wanted": WARM}]}
    held = WorkflowState.from_dict({"request": request, "plan": plan, "poll": {"table": found}})
    entry: dict[str, Any] = build_report(held, "arn:aws:states:eu-west-1:123456789012:execution:sm:x").to_dict()[
        "report"
    ]["settings"]["warm_throughput"]
    return entry


def test_the_plan_gives_the_cost_of_the_raise_and_says_when_nothing_is_raised() -> None:
    planned = dry_run(COLD)
    assert planned["status"] == "planned"
    assert planned["cost"] == SETTING.cost(WARM, COLD)
    assert planned["changes"] == [
        {"resource": "Table", "property": "GlobalSecondaryIndexes"},
        {"resource": "Table", "property": "WarmThroughput"},
    ]
    [row] = [line for line in report_summary({"settings": {"warm_throughput": planned}}) if "warm_throughput" in line]
    assert f"charged once: +26000 read and +5000 write units per second in {REGION}, amount not recorded" in row
    assert PRICING_PAGE in row
    nothing = dry_run(target(WARM["table"], WARM["indexes"]))
    assert nothing["reason"] == (
        "nothing to change: the target is already as warm as the source or warmer (warm throughput is never lowered)"
    )
    assert "cost" not in nothing


def test_the_table_document_states_warm_throughput_and_the_import_template_leaves_it_out() -> None:
    description = {
        "TableName": TARGET.name,
        "TableStatus": "ACTIVE",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
        "WarmThroughput": {**START, "Status": "ACTIVE"},
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by-pk",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
                "IndexStatus": "ACTIVE",
                "WarmThroughput": {**START, "Status": "ACTIVE"},
            }
        ],
    }
    doc = table_document(description, TARGET)
    assert doc["warmThroughput"] == START
    assert doc["globalSecondaryIndexes"][0]["WarmThroughput"] == START
    properties = import_template(doc)["Resources"]["Table"]["Properties"]
    assert "WarmThroughput" not in properties
    assert "WarmThroughput" not in properties["GlobalSecondaryIndexes"][0]


def test_the_settings_document_schema_holds_the_state() -> None:
    def problems(state: Any) -> list[str]:
        found = document_problems({"schemaVersion": 1, "table": {}, "settings": {"warm_throughput": state}})
        return [p for p in found if "warm_throughput" in p]

    assert problems(WARM) == []
    assert problems({"table": {}, "indexes": {}}) == []
    assert problems({**WARM, "table": {"ReadUnitsPerSecond": 0}}) != []
    assert problems({**WARM, "indexes": {"by-status": {"ReadUnits": 5}}}) != []
