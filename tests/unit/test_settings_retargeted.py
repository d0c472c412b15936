"""Settings that become resources or point at names and ARNs: their fragments and their retargeting (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from restore_sync.aws import TableRef
from restore_sync.errors import SettingNotExpressible
from restore_sync.names import logical_id
from restore_sync.settings import REGISTRY, Retarget
from restore_sync.settings.alarms import target_alarm_name

SOURCE = TableRef("orders", "us-east-1", "123456789012")
TARGET = TableRef("orders-restored", "us-east-1", "123456789012")
TARGET_TABLE: dict[str, Any] = {
    "name": "orders-restored",
    "billingMode": "PROVISIONED",
    "keySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "attributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "provisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    "globalSecondaryIndexes": [
        {
            "IndexName": "by-status",
            "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
            "IndexStatus": "ACTIVE",
            "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        }
    ],
    "localSecondaryIndexes": [],
}
RETARGET = Retarget(source=SOURCE, target=TARGET, target_table=TARGET_TABLE)

MAPPING = {
    "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:audit",
    "enabled": True,
    "properties": {
        "BatchSize": 50,
        "StartingPosition": "TRIM_HORIZON",
        "MaximumRetryAttempts": 0,
        "FilterCriteria": {"Filters": [{"Pattern": '{"eventName": ["INSERT"]}'}]},
        "DestinationConfig": {"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:dlq"}},
    },
}


def test_triggers_become_mappings_on_the_target_stream_with_every_property() -> None:
    fragment = REGISTRY["triggers"].fragment({"mappings": [MAPPING]}, TARGET_TABLE)
    assert not fragment.properties
    [(logical, resource)] = fragment.resources.items()
    assert logical.isalnum()
    assert resource["Type"] == "AWS::Lambda::EventSourceMapping"
    assert resource["Properties"] == {
        "EventSourceArn": {"Fn::GetAtt": ["Table", "StreamArn"]},
        "FunctionName": MAPPING["functionArn"],
        "Enabled": True,
        **MAPPING["properties"],
    }
    # A retry limit of 0 stays 0: it must not become "retry forever".
    assert resource["Properties"]["MaximumRetryAttempts"] == 0


def test_two_mappings_to_one_function_get_two_resources() -> None:
    other = {**MAPPING, "enabled": False, "properties": {"BatchSize": 10, "StartingPosition": "LATEST"}}
    fragment = REGISTRY["triggers"].fragment({"mappings": [MAPPING, other]}, TARGET_TABLE)
    assert len(fragment.resources) == 2
    assert sorted(r["Properties"]["Enabled"] for r in fragment.resources.values()) == [False, True]


def test_held_triggers_are_created_disabled_and_other_held_settings_not_at_all() -> None:
    other = {**MAPPING, "enabled": False, "functionArn": MAPPING["functionArn"] + "-2"}
    wanted = REGISTRY["triggers"].wanted({"mappings": [MAPPING, other]}, RETARGET)
    held = REGISTRY["triggers"].held(wanted)
    assert held is not None
    assert [m["enabled"] for m in held["mappings"]] == [False, False]
    assert [m["enabled"] for m in wanted["mappings"]] == [True, False], "activation gives each the source's state"
    assert REGISTRY["ttl"].held({"enabled": True, "attributeName": "expires"}) is None
    assert REGISTRY["kinesis"].held({"destinations": []}) is None


def test_kinesis_destination_keeps_its_precision() -> None:
    state = {
        "destinations": [{"streamArn": "arn:aws:kinesis:us-east-1:123456789012:stream/s", "precision": "MICROSECOND"}]
    }
    assert REGISTRY["kinesis"].fragment(state, TARGET_TABLE).properties == {
        "KinesisStreamSpecification": {
            "StreamArn": "arn:aws:kinesis:us-east-1:123456789012:stream/s",
            "ApproximateCreationDateTimePrecision": "MICROSECOND",
        }
    }
    assert REGISTRY["kinesis"].fragment({"destinations": []}, TARGET_TABLE).empty


def test_several_active_kinesis_destinations_cannot_be_expressed() -> None:
    two = [
        {"streamArn": f"arn:aws:kinesis:us-east-1:123456789012:stream/{n}", "precision": "MILLISECOND"} for n in "ab"
    ]
    with pytest.raises(SettingNotExpressible, match="2 Kinesis data streams"):
        REGISTRY["kinesis"].fragment({"destinations": two}, TARGET_TABLE)


SCALING = {
    "targets": [
        {
            "resource": "table",
            "dimension": "dynamodb:table:ReadCapacityUnits",
            "min": 5,
            "max": 100,
            "suspended": {
                "DynamicScalingInSuspended": False,
                "DynamicScalingOutSuspended": False,
                "ScheduledScalingSuspended": True,
            },
            "policies": [
                {
                    "name": "read-70",
                    "targetTracking": {
                        "TargetValue": 70.0,
                        "PredefinedMetricSpecification": {"PredefinedMetricType": "DynamoDBReadCapacityUtilization"},
                    },
                }
            ],
            "scheduledActions": [
                {
                    "name": "night",
                    "schedule": "cron(0 22 * * ? *)",
                    "timezone": "Europe/Berlin",
                    "startTime": None,
                    "endTime": None,
                    "min": 1,
                    "max": 10,
                }
            ],
        },
        {
            "resource": "index/by-status",
            "dimension": "dynamodb:index:WriteCapacityUnits",
            "min": 1,
            "max": 20,
            "suspended": {
                "DynamicScalingInSuspended": False,
                "DynamicScalingOutSuspended": False,
                "ScheduledScalingSuspended": False,
            },
            "policies": [],
            "scheduledActions": [],
        },
        {
            "resource": "index/dropped-by-the-restore",
            "dimension": "dynamodb:index:ReadCapacityUnits",
            "min": 1,
            "max": 2,
            "suspended": {},
            "policies": [],
            "scheduledActions": [],
        },
    ]
}


def test_autoscaling_covers_only_indexes_the_target_has() -> None:
    wanted = REGISTRY["autoscaling"].wanted(SCALING, RETARGET)
    assert [t["resource"] for t in wanted["targets"]] == ["table", "index/by-status"]


def test_autoscaling_fragment_names_the_table_through_the_stack() -> None:
    wanted = REGISTRY["autoscaling"].wanted(SCALING, RETARGET)
    resources = REGISTRY["autoscaling"].fragment(wanted, TARGET_TABLE).resources
    targets = {k: v for k, v in resources.items() if v["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget"}
    policies = {k: v for k, v in resources.items() if v["Type"] == "AWS::ApplicationAutoScaling::ScalingPolicy"}
    assert len(targets) == 2
    assert len(policies) == 1
    table_target = next(
        v for v in targets.values() if v["Properties"]["ScalableDimension"].endswith("ReadCapacityUnits")
    )
    assert table_target["DependsOn"] == "Table"
    assert table_target["Properties"]["ResourceId"] == {"Fn::Join": ["", ["table/", {"Ref": "Table"}]]}
    assert table_target["Properties"]["SuspendedState"]["ScheduledScalingSuspended"] is True
    assert table_target["Properties"]["ScheduledActions"] == [
        {
            "ScheduledActionName": "night",
            "Schedule": "cron(0 22 * * ? *)",
            "Timezone": "Europe/Berlin",
            "ScalableTargetAction": {"MinCapacity": 1, "MaxCapacity": 10},
        }
    ]
    index_target = next(v for v in targets.values() if "index" in v["Properties"]["ScalableDimension"])
    assert index_target["Properties"]["ResourceId"] == {
        "Fn::Join": ["", ["table/", {"Ref": "Table"}, "/index/by-status"]]
    }
    assert "SuspendedState" not in index_target["Properties"]
    [policy] = policies.values()
    assert policy["Properties"]["ScalingTargetId"] == {"Ref": next(k for k, v in targets.items() if v is table_target)}


def test_logical_ids_differ_for_names_that_differ_only_in_punctuation() -> None:
    ids = {
        logical_id("ScalingTarget", f"index/{name}", "dynamodb:index:ReadCapacityUnits")
        for name in ("a.b", "a_b", "a-b")
    }
    assert len(ids) == 3
    assert all(i.isalnum() for i in ids)


def test_contributor_insights_on_the_table_and_the_indexes_the_target_has() -> None:
    state = {"table": True, "indexes": ["by-status", "gone"]}
    wanted = REGISTRY["contributor_insights"].wanted(state, RETARGET)
    assert wanted == {"table": True, "indexes": ["by-status"]}
    properties = REGISTRY["contributor_insights"].fragment(wanted, TARGET_TABLE).properties
    assert properties["ContributorInsightsSpecification"] == {"Enabled": True}
    # Only the indexes it watches and only its own property: the stack merges them by IndexName.
    assert properties["GlobalSecondaryIndexes"] == [
        {"IndexName": "by-status", "ContributorInsightsSpecification": {"Enabled": True}}
    ]
    assert REGISTRY["contributor_insights"].fragment({"table": False, "indexes": []}, TARGET_TABLE).empty


ALARM = {
    "AlarmName": "orders-throttles",
    "Namespace": "AWS/DynamoDB",
    "MetricName": "ReadThrottleEvents",
    "Dimensions": [
        {"Name": "TableName", "Value": "orders"},
        {"Name": "GlobalSecondaryIndexName", "Value": "by-status"},
    ],
    "Statistic": "Sum",
    "Period": 60,
    "EvaluationPeriods": 1,
    "Threshold": 1.0,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:pager"],
}


def test_alarms_are_renamed_and_repointed_at_the_target() -> None:
    wanted = REGISTRY["alarms"].wanted({"alarms": [ALARM]}, RETARGET)
    [alarm] = wanted["alarms"]
    assert alarm["AlarmName"] == "orders-restored-throttles"
    assert alarm["Dimensions"] == [
        {"Name": "TableName", "Value": "orders-restored"},
        {"Name": "GlobalSecondaryIndexName", "Value": "by-status"},
    ]
    assert ALARM["Dimensions"][0]["Value"] == "orders", "the source's state is not modified"
    [resource] = REGISTRY["alarms"].fragment(wanted, TARGET_TABLE).resources.values()
    assert resource["Type"] == "AWS::CloudWatch::Alarm"
    assert resource["Properties"]["Dimensions"][0] == {"Name": "TableName", "Value": {"Ref": "Table"}}
    assert resource["Properties"]["AlarmName"] == "orders-restored-throttles"


def test_alarms_on_an_index_the_restore_left_out_are_not_copied() -> None:
    left_out = {
        **ALARM,
        "AlarmName": "orders-by-date-throttles",
        "Dimensions": [
            {"Name": "TableName", "Value": "orders"},
            {"Name": "GlobalSecondaryIndexName", "Value": "by-date"},
        ],
    }
    in_a_query = {
        "AlarmName": "orders-by-date-math",
        "Metrics": [
            {
                "Id": "m1",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/DynamoDB",
                        "MetricName": "ReadThrottleEvents",
                        "Dimensions": left_out["Dimensions"],
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
        ],
    }
    wanted = REGISTRY["alarms"].wanted({"alarms": [ALARM, left_out, in_a_query]}, RETARGET)
    assert [alarm["AlarmName"] for alarm in wanted["alarms"]] == ["orders-restored-throttles"]


@pytest.mark.parametrize(
    ("name", "renamed"),
    [("orders-throttles", "orders-restored-throttles"), ("high-latency", "orders-restored-high-latency")],
)
def test_alarm_names_derive_from_the_target(name: str, renamed: str) -> None:
    assert target_alarm_name(name, "orders", "orders-restored") == renamed


@pytest.mark.parametrize("name", ["orders-throttles", "high-latency"])
def test_a_table_restored_under_its_own_name_keeps_its_alarms_names(name: str) -> None:
    assert target_alarm_name(name, "orders", "orders") == name


def test_resource_policy_arns_point_at_the_target() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:role/reader"},
                "Action": ["dynamodb:GetItem", "dynamodb:Query"],
                "Resource": [
                    SOURCE.arn,
                    f"{SOURCE.arn}/index/by-status",
                    "arn:aws:dynamodb:us-east-1:123456789012:table/orders-archive",
                ],
            }
        ],
    }
    wanted = REGISTRY["resource_policy"].wanted({"policy": policy}, RETARGET)
    assert wanted["policy"]["Statement"][0]["Resource"] == [
        TARGET.arn,
        f"{TARGET.arn}/index/by-status",
        "arn:aws:dynamodb:us-east-1:123456789012:table/orders-archive",
    ]
    assert REGISTRY["resource_policy"].fragment(wanted, TARGET_TABLE).properties == {
        "ResourcePolicy": {"PolicyDocument": wanted["policy"]}
    }
    assert REGISTRY["resource_policy"].fragment({"policy": None}, TARGET_TABLE).empty


def test_table_class_is_set_only_when_not_standard() -> None:
    assert REGISTRY["table_class"].fragment({"tableClass": "STANDARD"}, TARGET_TABLE).empty
    assert REGISTRY["table_class"].fragment({"tableClass": "STANDARD_INFREQUENT_ACCESS"}, TARGET_TABLE).properties == {
        "TableClass": "STANDARD_INFREQUENT_ACCESS"
    }


def test_a_mapping_still_being_created_matches_on_its_properties() -> None:
    triggers = REGISTRY["triggers"]
    creating = {**MAPPING, "enabled": None}
    assert triggers.diff({"mappings": [MAPPING]}, {"mappings": [creating]}) == []
    disabled = {**MAPPING, "enabled": False}
    assert triggers.diff({"mappings": [MAPPING]}, {"mappings": [disabled]})
    assert triggers.diff({"mappings": [MAPPING]}, {"mappings": []})
    other = {**MAPPING, "properties": {**MAPPING["properties"], "BatchSize": 7}}
    assert triggers.diff({"mappings": [MAPPING]}, {"mappings": [other]})
    # A source mapping caught mid-change is created enabled, AWS's default.
    [resource] = triggers.fragment({"mappings": [creating]}, TARGET_TABLE).resources.values()
    assert resource["Properties"]["Enabled"] is True
