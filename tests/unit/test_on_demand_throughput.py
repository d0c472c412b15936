"""`on_demand_throughput` reads the maximum of the table and of each index (-1 and absent: none), sets it on an
on-demand target only, and keeps a maximum the target's restore chose instead of reverting it."""

from __future__ import annotations

from typing import Any

import pytest

from restore_sync.aws import Aws, TableRef
from restore_sync.settings import REGISTRY, Retarget
from restore_sync.settings.document import document_problems
from restore_sync.settings.on_demand_throughput import chosen_at_restore
from restore_sync.workflow.plan import plan_settings
from restore_sync.workflow.stack import StackOps

SETTING = REGISTRY["on_demand_throughput"]
SOURCE = TableRef("orders", "eu-west-1", "123456789012")
TARGET = TableRef("orders-restored", "eu-west-1", "123456789012")
ON_DEMAND_TARGET: dict[str, Any] = {
    "arn": TARGET.arn,
    "name": TARGET.name,
    "billingMode": "PAY_PER_REQUEST",
    "globalSecondaryIndexes": [{"IndexName": "by-status"}],
}
NONE = {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": -1}
BOUNDED: dict[str, Any] = {
    "table": {"MaxReadRequestUnits": 500, "MaxWriteRequestUnits": 100},
    "indexes": {"by-status": {"MaxReadRequestUnits": 50}},
}
UNBOUNDED: dict[str, Any] = {"table": {}, "indexes": {}}


class FakeDynamoDB:
    """DescribeTable as DynamoDB answers it: the table's OnDemandThroughput, and each index's."""

    def __init__(self, table: dict[str, Any] | None, indexes: dict[str, dict[str, Any] | None]) -> None:
        self.table, self.indexes = table, indexes

    def describe_table(self, TableName: str) -> dict[str, Any]:
        described: dict[str, Any] = {
            "TableName": TableName,
            "GlobalSecondaryIndexes": [
                {"IndexName": name, **({"OnDemandThroughput": limit} if limit is not None else {})}
                for name, limit in self.indexes.items()
            ],
        }
        if self.table is not None:
            described["OnDemandThroughput"] = self.table
        return {"Table": described}


class FakeAws(Aws):
    """DynamoDB only: a call to any other service (CloudFormation) fails the test."""

    def __init__(self, client: FakeDynamoDB) -> None:
        super().__init__(region="eu-west-1")
        self.fake = client

    def client(self, service: str, region: str | None = None) -> Any:
        assert service == "dynamodb", f"{service} called"
        return self.fake


def read(table: dict[str, Any] | None, indexes: dict[str, dict[str, Any] | None]) -> dict[str, Any]:
    return SETTING.read(FakeAws(FakeDynamoDB(table, indexes)), SOURCE)


def test_read_keeps_only_the_members_that_set_a_maximum() -> None:
    state = read(
        {"MaxReadRequestUnits": 500, "MaxWriteRequestUnits": -1},
        {"by-status": {"MaxWriteRequestUnits": 30, "MaxReadRequestUnits": -1}, "by-customer": NONE, "by-day": None},
    )
    assert state == {"table": {"MaxReadRequestUnits": 500}, "indexes": {"by-status": {"MaxWriteRequestUnits": 30}}}


@pytest.mark.parametrize("described", [None, NONE, {}])
def test_minus_one_and_absent_both_mean_no_maximum(described: dict[str, Any] | None) -> None:
    assert read(described, {"by-status": described}) == UNBOUNDED


def test_the_fragment_sets_the_table_and_each_index_by_name() -> None:
    assert SETTING.fragment(BOUNDED, ON_DEMAND_TARGET).properties == {
        "OnDemandThroughput": {"MaxReadRequestUnits": 500, "MaxWriteRequestUnits": 100},
        "GlobalSecondaryIndexes": [{"IndexName": "by-status", "OnDemandThroughput": {"MaxReadRequestUnits": 50}}],
    }
    assert SETTING.fragment(UNBOUNDED, ON_DEMAND_TARGET).empty
    only_index = SETTING.fragment({"table": {}, "indexes": BOUNDED["indexes"]}, ON_DEMAND_TARGET).properties
    assert list(only_index) == ["GlobalSecondaryIndexes"]


def test_an_index_the_restore_left_out_is_not_wanted() -> None:
    state = {**BOUNDED, "indexes": {**BOUNDED["indexes"], "by-customer": {"MaxWriteRequestUnits": 9}}}
    wanted = SETTING.wanted(state, Retarget(source=SOURCE, target=TARGET, target_table=ON_DEMAND_TARGET))
    assert wanted == BOUNDED


def test_a_provisioned_target_is_skipped_saying_why() -> None:
    assert SETTING.not_applicable(ON_DEMAND_TARGET) is None
    reason = SETTING.not_applicable({**ON_DEMAND_TARGET, "billingMode": "PROVISIONED"})
    assert reason is not None
    assert "provisioned" in reason
    assert "PAY_PER_REQUEST" in reason
    document = {"settings": {"on_demand_throughput": BOUNDED}}
    provisioned = {**ON_DEMAND_TARGET, "billingMode": "PROVISIONED"}
    retarget = Retarget(source=SOURCE, target=TARGET, target_table=provisioned)
    [item] = plan_settings(["on_demand_throughput"], document, retarget)
    assert (item.status, item.reason) == ("skipped", reason)


@pytest.mark.parametrize(
    ("found", "chosen"),
    [
        (UNBOUNDED, []),
        (BOUNDED, []),
        # A maximum the source has and the target lacks is simply missing: it is applied.
        ({"table": BOUNDED["table"], "indexes": {}}, []),
        ({"table": {"MaxReadRequestUnits": 90}, "indexes": {}}, ["table"]),
        ({"table": BOUNDED["table"], "indexes": {"by-status": {"MaxReadRequestUnits": 7}}}, ["index by-status"]),
        (
            {"table": {"MaxWriteRequestUnits": 1}, "indexes": {"by-status": {"MaxWriteRequestUnits": 2}}},
            ["table", "index by-status"],
        ),
    ],
)
def test_a_maximum_of_the_target_that_differs_from_the_source_was_chosen_at_restore(
    found: dict[str, Any], chosen: list[str]
) -> None:
    assert chosen_at_restore(BOUNDED, found) == chosen


def test_a_target_maximum_where_the_source_has_none_was_chosen_at_restore() -> None:
    assert chosen_at_restore(UNBOUNDED, {"table": {"MaxReadRequestUnits": 90}, "indexes": {}}) == ["table"]


def test_kept_reads_the_target() -> None:
    chosen = FakeAws(FakeDynamoDB({"MaxReadRequestUnits": 90, "MaxWriteRequestUnits": -1}, {"by-status": NONE}))
    reason = SETTING.kept(chosen, TARGET, BOUNDED)
    assert reason is not None
    assert reason.startswith("chosen at restore")
    assert "table" in reason
    unbounded = FakeAws(FakeDynamoDB(NONE, {"by-status": NONE}))
    assert SETTING.kept(unbounded, TARGET, BOUNDED) is None


def test_apply_keeps_a_maximum_chosen_at_restore_without_any_change_set() -> None:
    # FakeAws fails the test if CloudFormation is called: nothing is attempted on the stack.
    aws = FakeAws(FakeDynamoDB({"MaxReadRequestUnits": 90, "MaxWriteRequestUnits": -1}, {"by-status": NONE}))
    result = StackOps(aws, "restore-sync-orders-restored", "arn:aws:iam::123456789012:role/cfn").apply(
        "on_demand_throughput", BOUNDED, ON_DEMAND_TARGET
    )
    assert result.status == "kept"
    assert result.reason is not None
    assert result.reason.startswith("chosen at restore")
    assert result.to_dict()["status"] == "kept"


def test_a_target_without_a_maximum_and_a_source_without_one_is_unchanged() -> None:
    aws = FakeAws(FakeDynamoDB(NONE, {"by-status": NONE}))
    result = StackOps(aws, "restore-sync-orders-restored", "arn:aws:iam::123456789012:role/cfn").apply(
        "on_demand_throughput", UNBOUNDED, ON_DEMAND_TARGET
    )
    assert (result.status, result.reason) == ("unchanged", "not set on the source")


def test_verify_compares_the_whole_state() -> None:
    assert SETTING.diff(BOUNDED, BOUNDED) == []
    [drift] = SETTING.diff(BOUNDED, {**BOUNDED, "indexes": {}})
    assert drift["setting"] == "on_demand_throughput"


def test_the_settings_document_schema_holds_the_state() -> None:
    def problems(state: Any) -> list[str]:
        found = document_problems({"schemaVersion": 1, "table": {}, "settings": {"on_demand_throughput": state}})
        return [p for p in found if "on_demand_throughput" in p]

    assert problems(BOUNDED) == []
    assert problems(UNBOUNDED) == []
    assert problems({**BOUNDED, "table": {"MaxReadRequestUnits": -1}}) != []
    assert problems({**BOUNDED, "indexes": {"by-status": {"MaxWriteRequests": 5}}}) != []
