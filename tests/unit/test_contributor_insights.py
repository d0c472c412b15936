"""`contributor_insights` reads, templates and verifies the mode of the table and of each index where DynamoDB
states one, and treats a mode it does not state, or a document recorded before modes were read, as "not stated"."""

from __future__ import annotations

from typing import Any

import pytest

from restore_sync.aws import Aws, TableRef
from restore_sync.settings import REGISTRY, Retarget
from restore_sync.workflow.plan import plan_settings

SETTING = REGISTRY["contributor_insights"]
TABLE = TableRef("orders", "eu-west-1", "123456789012")
TARGET = TableRef("orders-restored", "eu-west-1", "123456789012")
TARGET_TABLE: dict[str, Any] = {"name": "orders-restored", "globalSecondaryIndexes": [{"IndexName": "by-status"}]}
RETARGET = Retarget(source=TABLE, target=TARGET, target_table=TARGET_TABLE)
INDEXES = ("by-status", "by-customer", "by-region")


class FakeDynamoDB:
    """DescribeTable and DescribeContributorInsights as DynamoDB answers them; `answers` by index (None: the table)."""

    def __init__(self, answers: dict[str | None, dict[str, str]]) -> None:
        self.answers = answers

    def describe_table(self, TableName: str) -> dict[str, Any]:
        return {"Table": {"TableName": TableName, "GlobalSecondaryIndexes": [{"IndexName": i} for i in INDEXES]}}

    def describe_contributor_insights(self, TableName: str, IndexName: str | None = None) -> dict[str, Any]:
        names = {"TableName": TableName, **({"IndexName": IndexName} if IndexName else {})}
        return {**names, **self.answers.get(IndexName, {"ContributorInsightsStatus": "DISABLED"})}


class FakeAws(Aws):
    def __init__(self, client: FakeDynamoDB) -> None:
        super().__init__(region="eu-west-1")
        self.fake = client

    def client(self, service: str, region: str | None = None) -> Any:
        assert (service, region) == ("dynamodb", "eu-west-1")
        return self.fake


def on(mode: str | None = None) -> dict[str, str]:
    return {"ContributorInsightsStatus": "ENABLED", **({"ContributorInsightsMode": mode} if mode else {})}


def test_read_keeps_the_mode_of_the_table_and_of_each_index_that_is_on() -> None:
    client = FakeDynamoDB(
        {
            None: on("ACCESSED_AND_THROTTLED_KEYS"),
            "by-status": on("THROTTLED_KEYS"),
            "by-customer": on(),
            # Off: a mode DynamoDB still remembers is no part of the state.
            "by-region": {"ContributorInsightsStatus": "DISABLED", "ContributorInsightsMode": "THROTTLED_KEYS"},
        }
    )
    assert SETTING.read(FakeAws(client), TABLE) == {
        "table": True,
        "tableMode": "ACCESSED_AND_THROTTLED_KEYS",
        "indexes": ["by-customer", "by-status"],
        "indexModes": {"by-status": "THROTTLED_KEYS"},
    }


def test_read_without_a_stated_mode_or_with_insights_off() -> None:
    assert SETTING.read(FakeAws(FakeDynamoDB({None: on(), "by-status": on()})), TABLE) == {
        "table": True,
        "tableMode": None,
        "indexes": ["by-status"],
        "indexModes": {},
    }
    off = {None: {"ContributorInsightsStatus": "DISABLED", "ContributorInsightsMode": "THROTTLED_KEYS"}}
    assert SETTING.read(FakeAws(FakeDynamoDB(off)), TABLE) == {
        "table": False,
        "tableMode": None,
        "indexes": [],
        "indexModes": {},
    }


def test_the_fragment_sets_each_stated_mode_and_no_mode_where_none_is_stated() -> None:
    state = {
        "table": True,
        "tableMode": "THROTTLED_KEYS",
        "indexes": ["by-customer", "by-status"],
        "indexModes": {"by-status": "ACCESSED_AND_THROTTLED_KEYS"},
    }
    properties = SETTING.fragment(state, TARGET_TABLE).properties
    assert properties == {
        "ContributorInsightsSpecification": {"Enabled": True, "Mode": "THROTTLED_KEYS"},
        "GlobalSecondaryIndexes": [
            {"IndexName": "by-customer", "ContributorInsightsSpecification": {"Enabled": True}},
            {
                "IndexName": "by-status",
                "ContributorInsightsSpecification": {"Enabled": True, "Mode": "ACCESSED_AND_THROTTLED_KEYS"},
            },
        ],
    }
    unstated = {**state, "tableMode": None, "indexModes": {}}
    assert SETTING.fragment(unstated, TARGET_TABLE).properties["ContributorInsightsSpecification"] == {"Enabled": True}


def test_wanted_keeps_the_modes_of_the_indexes_the_target_has() -> None:
    state = {
        "table": False,
        "tableMode": None,
        "indexes": ["by-region", "by-status"],
        "indexModes": {"by-region": "THROTTLED_KEYS", "by-status": "THROTTLED_KEYS"},
    }
    assert SETTING.wanted(state, RETARGET) == {
        "table": False,
        "tableMode": None,
        "indexes": ["by-status"],
        "indexModes": {"by-status": "THROTTLED_KEYS"},
    }


WANTED = {
    "table": True,
    "tableMode": "THROTTLED_KEYS",
    "indexes": ["by-status"],
    "indexModes": {"by-status": "THROTTLED_KEYS"},
}


@pytest.mark.parametrize(
    "found",
    [
        {**WANTED, "tableMode": "ACCESSED_AND_THROTTLED_KEYS"},
        {**WANTED, "tableMode": None},
        {**WANTED, "indexModes": {"by-status": "ACCESSED_AND_THROTTLED_KEYS"}},
        {**WANTED, "indexModes": {}},
        {**WANTED, "table": False, "tableMode": None},
        {**WANTED, "indexes": [], "indexModes": {}},
    ],
)
def test_a_mode_or_an_on_off_the_target_does_not_match_is_drift(found: dict[str, Any]) -> None:
    assert SETTING.diff(WANTED, found) == [{"setting": "contributor_insights", "wanted": WANTED, "found": found}]
    assert SETTING.diff(WANTED, WANTED) == []


def test_a_mode_the_source_did_not_state_is_not_compared() -> None:
    unstated = {"table": True, "tableMode": None, "indexes": ["by-status"], "indexModes": {}}
    assert SETTING.diff(unstated, WANTED) == []
    assert SETTING.diff(unstated, {**WANTED, "indexes": []}) != []


OLD = {"table": True, "indexes": ["by-region", "by-status"]}


def test_a_document_recorded_before_modes_were_read_is_planned_templated_and_verified() -> None:
    [item] = plan_settings(["contributor_insights"], {"settings": {"contributor_insights": OLD}}, RETARGET)
    assert (item.status, item.wanted) == ("pending", {"table": True, "indexes": ["by-status"]})
    assert SETTING.fragment(item.wanted, TARGET_TABLE).properties == {
        "ContributorInsightsSpecification": {"Enabled": True},
        "GlobalSecondaryIndexes": [{"IndexName": "by-status", "ContributorInsightsSpecification": {"Enabled": True}}],
    }
    # Whatever mode the target runs in, as the source's was not recorded; on and off still count.
    assert SETTING.diff(item.wanted, WANTED) == []
    assert SETTING.diff(item.wanted, {**WANTED, "table": False, "tableMode": None}) != []
