"""`merge` (pure): a setting's fragment set on the governance stack's template, per-index properties index by index."""

from __future__ import annotations

import copy
from typing import Any

from restore_sync.settings import REGISTRY
from restore_sync.table import TABLE_LOGICAL_ID, import_template, table_properties
from restore_sync.workflow.stack import merge


def index(name: str, key: str) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
        "IndexStatus": "ACTIVE",
    }


TARGET: dict[str, Any] = {
    "name": "orders-restored",
    "billingMode": "PAY_PER_REQUEST",
    "keySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "attributeDefinitions": [
        {"AttributeName": "customer", "AttributeType": "S"},
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "status", "AttributeType": "S"},
    ],
    "globalSecondaryIndexes": [index("by-customer", "customer"), index("by-status", "status")],
    "localSecondaryIndexes": [],
}
INSIGHTS = {"ContributorInsightsSpecification": {"Enabled": True}}
WARM = {"WarmThroughput": {"ReadUnitsPerSecond": 15000, "WriteUnitsPerSecond": 5000}}


def indexes_of(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    table = template["Resources"][TABLE_LOGICAL_ID]["Properties"]
    return {i["IndexName"]: i for i in table["GlobalSecondaryIndexes"]}


def test_two_settings_that_set_different_properties_of_one_index_keep_each_others_work() -> None:
    imported = import_template(TARGET)
    as_imported = indexes_of(imported)

    first = merge(imported, {"GlobalSecondaryIndexes": [{"IndexName": "by-status", **INSIGHTS}]}, {})
    both = merge(first, {"GlobalSecondaryIndexes": [{"IndexName": "by-status", **WARM}]}, {})

    assert indexes_of(both) == {
        "by-customer": as_imported["by-customer"],
        "by-status": {**as_imported["by-status"], **INSIGHTS, **WARM},
    }
    # In the template's order, whatever order the fragments name the indexes in.
    assert list(indexes_of(both)) == list(as_imported)


def test_a_per_index_property_set_again_takes_the_new_value() -> None:
    warmer = {"WarmThroughput": {"ReadUnitsPerSecond": 20000, "WriteUnitsPerSecond": 5000}}
    template = merge(import_template(TARGET), {"GlobalSecondaryIndexes": [{"IndexName": "by-status", **WARM}]}, {})
    again = merge(template, {"GlobalSecondaryIndexes": [{"IndexName": "by-status", **warmer}]}, {})
    assert indexes_of(again)["by-status"]["WarmThroughput"] == warmer["WarmThroughput"]


def test_other_table_properties_are_replaced_and_resources_added_without_touching_the_input() -> None:
    imported = import_template(TARGET)
    before = copy.deepcopy(imported)
    tags = [{"Key": "team", "Value": "payments"}]
    alarm = {"Type": "AWS::CloudWatch::Alarm", "Properties": {"AlarmName": "a"}}

    merged = merge(imported, {"Tags": tags, "BillingMode": "PROVISIONED"}, {"Alarm": alarm})

    assert imported == before
    table = merged["Resources"][TABLE_LOGICAL_ID]["Properties"]
    assert (table["Tags"], table["BillingMode"]) == (tags, "PROVISIONED")
    assert (
        table["GlobalSecondaryIndexes"] == before["Resources"][TABLE_LOGICAL_ID]["Properties"]["GlobalSecondaryIndexes"]
    )
    assert merged["Resources"]["Alarm"] == alarm


def test_an_index_the_template_lacks_is_added_as_given() -> None:
    extra = {**index("by-total", "total"), **INSIGHTS}
    merged = merge(import_template(TARGET), {"GlobalSecondaryIndexes": [extra]}, {})
    assert list(indexes_of(merged)) == ["by-customer", "by-status", "by-total"]
    assert indexes_of(merged)["by-total"] == extra


def test_contributor_insights_sets_the_same_table_as_a_copy_of_every_index_did() -> None:
    wanted = {"table": True, "indexes": ["by-status"]}
    fragment = REGISTRY["contributor_insights"].fragment(wanted, TARGET)

    merged = merge(import_template(TARGET), fragment.properties, fragment.resources)

    # What the setting's fragment used to be: every index of the target, insights on the wanted ones.
    copied = [
        {**i, **INSIGHTS} if i["IndexName"] in wanted["indexes"] else i
        for i in table_properties(TARGET)["GlobalSecondaryIndexes"]
    ]
    table = merged["Resources"][TABLE_LOGICAL_ID]["Properties"]
    assert table["GlobalSecondaryIndexes"] == copied
    assert table["ContributorInsightsSpecification"] == {"Enabled": True}


def test_a_resource_given_again_keeps_the_deletion_policy_it_was_imported_with() -> None:
    adopted = {"Type": "AWS::CloudWatch::Alarm", "DeletionPolicy": "Delete", "Properties": {"Threshold": 1}}
    template = merge(import_template(TARGET), {}, {"Alarm": adopted})
    wanted = {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Threshold": 3}}

    merged = merge(template, {}, {"Alarm": wanted, "New": wanted})

    assert merged["Resources"]["Alarm"] == {**wanted, "DeletionPolicy": "Delete"}
    assert merged["Resources"]["New"] == wanted
