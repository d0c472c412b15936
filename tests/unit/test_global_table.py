"""The governance stack's table as AWS::DynamoDB::GlobalTable: table properties translated both ways, held to the
registry schemas of both types, and the conversion's templates."""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib.resources import files
from typing import Any

import pytest
from cfnlint.data import schemas

from restore_sync.table import TABLE_LOGICAL_ID, import_template
from restore_sync.workflow import global_table as gt

REGION = "us-east-1"


@cache
def registry(type_name: str) -> dict[str, Any]:
    providers = json.loads((files(schemas) / "providers" / "us-east-1.json").read_text(encoding="utf-8"))
    loaded: dict[str, Any] = json.loads(
        (files(schemas) / "resources" / f"{providers[type_name]}.json").read_text(encoding="utf-8")
    )
    return loaded


def table_properties() -> dict[str, Any]:
    """An on-demand table with every property restore-sync sets (one index, a KMS key, every per-replica one)."""
    return {
        "TableName": "orders-restored",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by-status",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                "ContributorInsightsSpecification": {"Enabled": True},
                "OnDemandThroughput": {"MaxReadRequestUnits": 50, "MaxWriteRequestUnits": 20},
            }
        ],
        "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": "arn:aws:kms:us-east-1:1:key/k"},
        "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES", "ResourcePolicy": {"PolicyDocument": {}}},
        "TimeToLiveSpecification": {"AttributeName": "expires", "Enabled": True},
        "OnDemandThroughput": {"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 40},
        "Tags": [{"Key": "team", "Value": "orders"}],
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7},
        "DeletionProtectionEnabled": True,
        "ContributorInsightsSpecification": {"Enabled": True, "Mode": "THROTTLED_KEYS"},
        "KinesisStreamSpecification": {"StreamArn": "arn:aws:kinesis:us-east-1:1:stream/s"},
        "ResourcePolicy": {"PolicyDocument": {"Version": "2012-10-17", "Statement": []}},
        "TableClass": "STANDARD_INFREQUENT_ACCESS",
    }


def test_every_table_property_is_table_level_per_replica_split_not_expressible_or_read_only() -> None:
    classified = [*gt.TABLE_LEVEL, *gt.PER_REPLICA, *gt.SPLIT, *gt.NOT_EXPRESSIBLE, *gt.READ_ONLY]
    assert sorted(classified) == sorted(registry(gt.TABLE_TYPE)["properties"])
    assert len(classified) == len(set(classified))


def test_the_names_kept_are_properties_of_the_global_table_and_of_its_replicas() -> None:
    schema = registry(gt.GLOBAL_TABLE_TYPE)
    assert sorted(set(gt.TABLE_LEVEL) - set(schema["properties"])) == []
    replica = schema["definitions"]["ReplicaSpecification"]["properties"]
    assert sorted(set(gt.PER_REPLICA) - set(replica)) == []


def test_table_level_properties_stay_and_per_replica_ones_go_to_the_stacks_own_replica() -> None:
    converted = gt.to_global(table_properties(), REGION)
    assert converted["TimeToLiveSpecification"] == {"AttributeName": "expires", "Enabled": True}
    assert converted["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
    assert converted["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert converted["WriteOnDemandThroughputSettings"] == {"MaxWriteRequestUnits": 40}
    assert converted["GlobalSecondaryIndexes"] == [
        {
            "IndexName": "by-status",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
            "WriteOnDemandThroughputSettings": {"MaxWriteRequestUnits": 20},
        }
    ]
    [own] = converted["Replicas"]
    assert own["Region"] == REGION
    assert own["Tags"] == [{"Key": "team", "Value": "orders"}]
    assert own["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert own["ReadOnDemandThroughputSettings"] == {"MaxReadRequestUnits": 100}
    assert own["SSESpecification"] == {"KMSMasterKeyId": "arn:aws:kms:us-east-1:1:key/k"}
    assert own["ReplicaStreamSpecification"] == {"ResourcePolicy": {"PolicyDocument": {}}}
    assert own["GlobalSecondaryIndexes"] == [
        {
            "IndexName": "by-status",
            "ContributorInsightsSpecification": {"Enabled": True},
            "ReadOnDemandThroughputSettings": {"MaxReadRequestUnits": 50},
        }
    ]


def test_the_translation_is_valid_against_the_global_table_schema() -> None:
    import jsonschema

    schema = copy.deepcopy(registry(gt.GLOBAL_TABLE_TYPE))
    # The registry's own keywords (relationshipRef, insertionOrder, ...) are not JSON Schema: a validator ignores
    # them. What is checked is the shape: names, types, required members, no extra members.
    view = {**table_properties(), gt.REPLICAS: [{"Region": "eu-west-1", "Tags": [{"Key": "a", "Value": "b"}]}]}
    jsonschema.Draft7Validator(schema).validate(gt.to_global(view, REGION))


def test_table_properties_come_back_from_the_global_table_as_they_were() -> None:
    view = {
        **table_properties(),
        gt.REPLICAS: [
            {"Region": "us-west-2", "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}},
            {"Region": "eu-west-1", "Tags": [{"Key": "team", "Value": "eu"}], "TableClass": "STANDARD"},
        ],
    }
    back = gt.to_table(gt.to_global(view, REGION), REGION)
    assert back[gt.REPLICAS] == sorted(view[gt.REPLICAS], key=lambda r: r["Region"])
    assert {k: v for k, v in back.items() if k != gt.REPLICAS} == table_properties()


def test_a_table_without_replicas_has_none_in_its_view() -> None:
    props = {k: v for k, v in table_properties().items() if k != "StreamSpecification"}
    back = gt.to_table(gt.to_global(props, REGION), REGION)
    assert back == {**props, gt.REPLICAS: []}


def test_replicas_need_the_stream_both_images_replicate_through() -> None:
    props = {k: v for k, v in table_properties().items() if k != "StreamSpecification"}
    converted = gt.to_global({**props, gt.REPLICAS: [{"Region": "eu-west-1"}]}, REGION)
    assert converted["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    with pytest.raises(gt.NotExpressible, match="NEW_IMAGE"):
        gt.to_global(
            {**props, "StreamSpecification": {"StreamViewType": "NEW_IMAGE"}, gt.REPLICAS: [{"Region": "eu-west-1"}]},
            REGION,
        )


def test_what_a_global_table_cannot_state_is_refused_by_name() -> None:
    provisioned = {**table_properties(), "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}
    with pytest.raises(gt.NotExpressible, match=r"ProvisionedThroughput: .*auto scaling"):
        gt.to_global(provisioned, REGION)
    with pytest.raises(gt.NotExpressible, match="own region"):
        gt.to_global({**table_properties(), gt.REPLICAS: [{"Region": REGION}]}, REGION)


def target_doc() -> dict[str, Any]:
    return {
        "name": "orders-restored",
        "keySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "attributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "billingMode": "PAY_PER_REQUEST",
        "globalSecondaryIndexes": [],
        "localSecondaryIndexes": [],
    }


def stack_template() -> dict[str, Any]:
    template = import_template(target_doc())
    template["Resources"]["HotKeysAlarm"] = {
        "Type": "AWS::CloudWatch::Alarm",
        "DependsOn": ["Table", "Other"],
        "Properties": {"Dimensions": [{"Name": "TableName", "Value": {"Ref": TABLE_LOGICAL_ID}}]},
    }
    return template


def test_the_detached_template_names_the_table_by_its_name_and_keeps_the_stack_from_being_empty() -> None:
    detached = gt.detached(stack_template(), "orders-restored")
    assert TABLE_LOGICAL_ID not in detached["Resources"]
    alarm = detached["Resources"]["HotKeysAlarm"]
    assert alarm["Properties"]["Dimensions"] == [{"Name": "TableName", "Value": "orders-restored"}]
    assert alarm["DependsOn"] == ["Other"]
    placeholder = detached["Resources"][gt.PLACEHOLDER_ID]
    assert placeholder["Type"] == gt.PLACEHOLDER["Type"]
    assert placeholder["Metadata"]["table"] == stack_template()["Resources"][TABLE_LOGICAL_ID]


def test_a_table_that_is_not_retained_is_never_detached() -> None:
    template = stack_template()
    template["Resources"][TABLE_LOGICAL_ID]["DeletionPolicy"] = "Delete"
    with pytest.raises(ValueError, match="not Retain"):
        gt.detached(template, "orders-restored")


def test_the_import_brings_the_table_back_as_a_retained_global_table_of_the_same_properties() -> None:
    template = stack_template()
    imported = gt.imported(gt.detached(template, "orders-restored"), REGION)
    table = imported["Resources"][TABLE_LOGICAL_ID]
    assert (table["Type"], table["DeletionPolicy"], table["UpdateReplacePolicy"]) == (
        gt.GLOBAL_TABLE_TYPE,
        "Retain",
        "Retain",
    )
    assert table["Properties"] == gt.to_global(template["Resources"][TABLE_LOGICAL_ID]["Properties"], REGION)
    assert gt.PLACEHOLDER_ID in imported["Resources"]


def test_the_views_go_both_ways_and_the_placeholder_goes_with_the_global_view() -> None:
    template = stack_template()
    imported = gt.imported(gt.detached(template, "orders-restored"), REGION)
    assert gt.holds_global_table(imported)
    view = gt.table_view(imported, REGION)
    assert view["Resources"][TABLE_LOGICAL_ID]["Type"] == gt.TABLE_TYPE
    assert view["Resources"][TABLE_LOGICAL_ID]["Properties"] == {
        **template["Resources"][TABLE_LOGICAL_ID]["Properties"],
        gt.REPLICAS: [],
    }
    again = gt.global_view(view, REGION)
    assert gt.PLACEHOLDER_ID not in again["Resources"]
    assert again["Resources"][TABLE_LOGICAL_ID] == imported["Resources"][TABLE_LOGICAL_ID]
    assert gt.table_view(template, REGION) == template


def test_the_report_names_each_replica_added_changed_or_removed() -> None:
    template = stack_template()
    before = gt.imported(gt.detached(template, "orders-restored"), REGION)
    view = gt.table_view(before, REGION)
    view["Resources"][TABLE_LOGICAL_ID]["Properties"][gt.REPLICAS] = [{"Region": "eu-west-1"}, {"Region": "us-west-2"}]
    after = gt.global_view(view, REGION)
    assert [(e["replica"], e["action"]) for e in gt.replica_changes(before, after)] == [
        ("eu-west-1", "Add"),
        ("us-west-2", "Add"),
    ]
    view["Resources"][TABLE_LOGICAL_ID]["Properties"][gt.REPLICAS] = [{"Region": "eu-west-1", "TableClass": "X"}]
    later = gt.global_view(view, REGION)
    assert [(e["replica"], e["action"]) for e in gt.replica_changes(after, later)] == [
        ("eu-west-1", "Modify"),
        ("us-west-2", "Remove"),
    ]
    assert gt.replica_changes(template, template) == []


def test_replicas_are_added_one_per_update_and_those_not_wanted_stay() -> None:
    from restore_sync.settings import Fragment

    current = [{"Region": "ap-south-1", "TableClass": "STANDARD"}, {"Region": "eu-west-1"}]
    wanted = [{"Region": "eu-west-1", "Tags": []}, {"Region": "us-west-2"}, {"Region": "ca-central-1"}]
    steps = gt.one_replica_at_a_time(current, Fragment(properties={gt.REPLICAS: wanted}))
    assert [[r["Region"] for r in step.properties[gt.REPLICAS]] for step in steps] == [
        ["ap-south-1", "ca-central-1", "eu-west-1"],
        ["ap-south-1", "ca-central-1", "eu-west-1", "us-west-2"],
    ]
    assert steps[0].properties[gt.REPLICAS][2] == {"Region": "eu-west-1", "Tags": []}
    assert steps[0].properties[gt.REPLICAS][0] == current[0]
    [only] = gt.one_replica_at_a_time(current, Fragment(properties={gt.REPLICAS: [{"Region": "eu-west-1"}]}))
    assert [r["Region"] for r in only.properties[gt.REPLICAS]] == ["ap-south-1", "eu-west-1"]


def change(action: str, kind: str, logical_id: str = TABLE_LOGICAL_ID, replacement: str = "False") -> dict[str, Any]:
    return {
        "ResourceChange": {
            "Action": action,
            "ResourceType": kind,
            "LogicalResourceId": logical_id,
            "Replacement": replacement,
            "Details": [],
        }
    }


def test_the_guard_holds_a_global_table_as_it_holds_a_table() -> None:
    from restore_sync.workflow.guard import refusals

    assert refusals([change("Remove", gt.GLOBAL_TABLE_TYPE)]) == ["it would remove table resource Table"]
    assert refusals([change("Modify", gt.GLOBAL_TABLE_TYPE, replacement="True")]) != []
    assert refusals([change("Modify", gt.GLOBAL_TABLE_TYPE)]) == []


def test_the_one_removal_the_conversion_allows_is_the_stacks_table() -> None:
    assert gt.is_retained_table_removal(change("Remove", gt.TABLE_TYPE))
    assert not gt.is_retained_table_removal(change("Remove", gt.GLOBAL_TABLE_TYPE))
    assert not gt.is_retained_table_removal(change("Remove", gt.TABLE_TYPE, logical_id="Other"))
    assert not gt.is_retained_table_removal(change("Modify", gt.TABLE_TYPE))
