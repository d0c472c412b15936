"""Global tables (version 2019.11.21): replicas created, described, written, changed and deleted region by region."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.core import DEFAULT_ACCOUNT_ID as ACCOUNT
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

from restore_sync_sandbox import clock
from restore_sync_sandbox.extensions import (
    dynamodb_on_demand_throughput,
    dynamodb_replicas,
    dynamodb_restore,
    dynamodb_table_class,
)

HOME, AWAY, THIRD = "us-east-1", "eu-west-1", "ap-southeast-2"
NAME = "orders"


@pytest.fixture(scope="module")
def aws() -> Iterator[dict[str, Any]]:
    for module in (dynamodb_on_demand_throughput, dynamodb_restore, dynamodb_table_class, dynamodb_replicas):
        module.install()
    with mock_aws():
        yield {region: boto3.client("dynamodb", region_name=region) for region in (HOME, AWAY, THIRD)}


@pytest.fixture
def clients(aws: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The module's AWS, emptied of tables and scaling targets after each test (one mock for all: faster)."""
    yield aws
    for region in (HOME, AWAY, THIRD):
        dynamodb_backends[ACCOUNT][region].tables.clear()
        scaling = applicationautoscaling_backends[ACCOUNT][region]
        scaling.targets.clear()
        scaling.policies.clear()


def create(ddb: Any, **extra: Any) -> None:
    ddb.create_table(
        TableName=NAME,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "customer", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-customer",
                "KeySchema": [{"AttributeName": "customer", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )


def add_replica(ddb: Any, region: str, **overrides: Any) -> dict[str, Any]:
    description: dict[str, Any] = ddb.update_table(
        TableName=NAME, ReplicaUpdates=[{"Create": {"RegionName": region, **overrides}}]
    )["TableDescription"]
    return description


def describe(ddb: Any) -> dict[str, Any]:
    table: dict[str, Any] = ddb.describe_table(TableName=NAME)["Table"]
    return table


def refused(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    return str(caught.value.response["Error"]["Message"])


def test_patched_moto_attributes_still_exist() -> None:
    for owner, names in dynamodb_replicas.PATCHED.items():
        for name in names:
            assert callable(getattr(owner, name, None)), f"{owner.__name__}.{name}"
    dynamodb_replicas.install()
    dynamodb_replicas.install()
    assert DynamoHandler.delete_table is dynamodb_replicas._delete_table
    ours = dynamodb_replicas.__name__
    chain = [Table.describe]
    while hasattr(chain[-1], "__wrapped__"):
        chain.append(chain[-1].__wrapped__)
    assert [f.__module__ for f in chain].count(ours) == 1, "describe wrapped twice"


def test_a_replica_is_the_same_table_with_its_items_in_its_region(clients: dict[str, Any]) -> None:
    home, away = clients[HOME], clients[AWAY]
    create(home)
    home.put_item(TableName=NAME, Item={"pk": {"S": "a"}, "customer": {"S": "c1"}})
    home.update_time_to_live(TableName=NAME, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    home.tag_resource(ResourceArn=describe(home)["TableArn"], Tags=[{"Key": "team", "Value": "x"}])
    assert "Replicas" not in describe(home)
    assert "GlobalTableVersion" not in describe(home)

    add_replica(home, AWAY, TableClassOverride="STANDARD_INFREQUENT_ACCESS")

    for ddb in (home, away):
        table = describe(ddb)
        assert table["GlobalTableVersion"] == "2019.11.21"
        assert table["MultiRegionConsistency"] == "EVENTUAL"
        assert [(r["RegionName"], r["ReplicaStatus"]) for r in table["Replicas"]] == [
            (HOME, "ACTIVE"),
            (AWAY, "ACTIVE"),
        ]
        # DynamoDB enables the stream itself: version 2019.11.21 has no stream prerequisite.
        assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    replica = describe(away)
    assert replica["TableArn"].startswith(f"arn:aws:dynamodb:{AWAY}:")
    assert replica["KeySchema"] == describe(home)["KeySchema"]
    assert [i["IndexName"] for i in replica["GlobalSecondaryIndexes"]] == ["by-customer"]
    assert replica["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert away.get_item(TableName=NAME, Key={"pk": {"S": "a"}})["Item"]["customer"] == {"S": "c1"}
    assert away.describe_time_to_live(TableName=NAME)["TimeToLiveDescription"]["AttributeName"] == "expires"
    # Tags are regional: the replica starts without the source's.
    assert away.list_tags_of_resource(ResourceArn=replica["TableArn"])["Tags"] == []


def test_writes_in_any_region_reach_every_replica(clients: dict[str, Any]) -> None:
    home, away = clients[HOME], clients[AWAY]
    create(home)
    add_replica(home, AWAY)
    away.put_item(TableName=NAME, Item={"pk": {"S": "b"}, "customer": {"S": "c2"}})
    home.update_item(
        TableName=NAME,
        Key={"pk": {"S": "b"}},
        UpdateExpression="SET amount = :t",
        ExpressionAttributeValues={":t": {"N": "5"}},
    )
    assert away.get_item(TableName=NAME, Key={"pk": {"S": "b"}})["Item"]["amount"] == {"N": "5"}
    home.batch_write_item(RequestItems={NAME: [{"PutRequest": {"Item": {"pk": {"S": "c"}, "customer": {"S": "c"}}}}]})
    away.transact_write_items(TransactItems=[{"Delete": {"TableName": NAME, "Key": {"pk": {"S": "b"}}}}])
    assert "Item" not in home.get_item(TableName=NAME, Key={"pk": {"S": "b"}})
    assert away.get_item(TableName=NAME, Key={"pk": {"S": "c"}})["Item"]["customer"] == {"S": "c"}


def test_refusals_follow_dynamodb(clients: dict[str, Any]) -> None:
    home, away = clients[HOME], clients[AWAY]
    create(home)
    update = home.update_table
    assert "local region" in refused(update, TableName=NAME, ReplicaUpdates=[{"Create": {"RegionName": HOME}}])
    assert "not part of the global table" in refused(
        update, TableName=NAME, ReplicaUpdates=[{"Delete": {"RegionName": AWAY}}]
    )
    assert "must not also modify other fields" in refused(
        update, TableName=NAME, DeletionProtectionEnabled=True, ReplicaUpdates=[{"Create": {"RegionName": AWAY}}]
    )
    assert "witnesses" in refused(update, TableName=NAME, GlobalTableWitnessUpdates=[{"Create": {"RegionName": AWAY}}])
    assert "not a region" in refused(update, TableName=NAME, ReplicaUpdates=[{"Create": {"RegionName": "xx-moon-1"}}])
    away.create_table(
        TableName=NAME,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert "already existed as tables" in refused(
        update, TableName=NAME, ReplicaUpdates=[{"Create": {"RegionName": AWAY}}]
    )
    assert "Replicas" not in describe(home)


def test_provisioned_write_capacity_must_be_auto_scaled(clients: dict[str, Any]) -> None:
    home = clients[HOME]
    home.create_table(
        TableName=NAME,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    )
    message = refused(home.update_table, TableName=NAME, ReplicaUpdates=[{"Create": {"RegionName": AWAY}}])
    assert message == "Table write capacity should either be Pay-Per-Request or AutoScaled."
    scaling = boto3.client("application-autoscaling", region_name=HOME)
    target = {
        "ServiceNamespace": "dynamodb",
        "ResourceId": f"table/{NAME}",
        "ScalableDimension": "dynamodb:table:WriteCapacityUnits",
    }
    scaling.register_scalable_target(**target, MinCapacity=5, MaxCapacity=50)
    scaling.put_scaling_policy(
        PolicyName="write",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 70.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "DynamoDBWriteCapacityUtilization"},
        },
        **target,
    )
    add_replica(home, AWAY, ProvisionedThroughputOverride={"ReadCapacityUnits": 9})
    replica = describe(clients[AWAY])
    assert replica["ProvisionedThroughput"]["ReadCapacityUnits"] == 9
    assert replica["ProvisionedThroughput"]["WriteCapacityUnits"] == 5
    assert describe(home)["Replicas"][1]["ProvisionedThroughputOverride"] == {"ReadCapacityUnits": 9}


def test_replica_settings_stay_regional_and_table_settings_follow(clients: dict[str, Any]) -> None:
    home, away = clients[HOME], clients[AWAY]
    create(home)
    add_replica(home, AWAY)
    away.update_table(TableName=NAME, DeletionProtectionEnabled=True)
    away.update_continuous_backups(
        TableName=NAME, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    assert describe(home)["DeletionProtectionEnabled"] is False
    # The replica's own deletion protection refuses its removal through ReplicaUpdates too.
    assert "DeletionProtectionEnabled" in refused(
        home.update_table, TableName=NAME, ReplicaUpdates=[{"Delete": {"RegionName": AWAY}}]
    )
    home_pitr = home.describe_continuous_backups(TableName=NAME)["ContinuousBackupsDescription"]
    assert home_pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    home.update_table(
        TableName=NAME,
        ReplicaUpdates=[{"Update": {"RegionName": AWAY, "OnDemandThroughputOverride": {"MaxReadRequestUnits": 40}}}],
    )
    assert describe(away)["OnDemandThroughput"]["MaxReadRequestUnits"] == 40
    away.update_table(TableName=NAME, OnDemandThroughput={"MaxWriteRequestUnits": 70, "MaxReadRequestUnits": 60})
    assert describe(home)["OnDemandThroughput"] == {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": 70}
    assert describe(away)["OnDemandThroughput"] == {"MaxReadRequestUnits": 60, "MaxWriteRequestUnits": 70}
    # A restore of a replica is a new single-region table.
    restored = away.restore_table_to_point_in_time(
        SourceTableName=NAME, TargetTableName="orders-restored", UseLatestRestorableTime=True
    )["TableDescription"]
    assert "Replicas" not in restored
    assert "Replicas" not in away.describe_table(TableName="orders-restored")["Table"]
    assert (
        "disabling stream is not allowed"
        in refused(away.update_table, TableName=NAME, StreamSpecification={"StreamEnabled": False}).lower()
    )
    home.update_table(
        TableName=NAME,
        AttributeDefinitions=[{"AttributeName": "day", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "by-day",
                    "KeySchema": [{"AttributeName": "day", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            }
        ],
    )
    assert sorted(i["IndexName"] for i in describe(away)["GlobalSecondaryIndexes"]) == ["by-customer", "by-day"]


def test_deleting_replicas_and_the_source(clients: dict[str, Any]) -> None:
    home, away, third = clients[HOME], clients[AWAY], clients[THIRD]
    create(home)
    add_replica(home, AWAY)
    add_replica(home, THIRD)
    assert [r["RegionName"] for r in describe(away)["Replicas"]] == [HOME, AWAY, THIRD]
    # The source of replicas added in the last 24 hours cannot go; a replica can.
    assert "acted as a source region" in refused(home.delete_table, TableName=NAME)
    third.delete_table(TableName=NAME)
    assert [r["RegionName"] for r in describe(away)["Replicas"]] == [HOME, AWAY]
    day_later = clock.Clock(virtual=True)
    day_later.advance(24 * 3600 + 1)
    previous = clock.use_clock(day_later)
    try:
        home.update_table(TableName=NAME, ReplicaUpdates=[{"Delete": {"RegionName": AWAY}}])
    finally:
        clock.use_clock(previous)
    with pytest.raises(ClientError):
        describe(away)
    table = describe(home)
    assert "Replicas" not in table
    assert "GlobalTableVersion" not in table
    # The stream DynamoDB enabled stays, and may now be disabled.
    assert table["StreamSpecification"]["StreamEnabled"] is True
    home.update_table(TableName=NAME, StreamSpecification={"StreamEnabled": False})


def test_strong_consistency_only_for_an_empty_table(clients: dict[str, Any]) -> None:
    home = clients[HOME]
    create(home)
    home.put_item(TableName=NAME, Item={"pk": {"S": "a"}, "customer": {"S": "c"}})
    creates = [{"Create": {"RegionName": AWAY}}, {"Create": {"RegionName": "us-east-2"}}]
    assert "empty table" in refused(
        home.update_table, TableName=NAME, MultiRegionConsistency="STRONG", ReplicaUpdates=creates
    )
    home.delete_item(TableName=NAME, Key={"pk": {"S": "a"}})
    home.update_table(TableName=NAME, MultiRegionConsistency="STRONG", ReplicaUpdates=creates)
    assert describe(clients[AWAY])["MultiRegionConsistency"] == "STRONG"
    home.update_table(
        TableName=NAME, ReplicaUpdates=[{"Update": {"RegionName": AWAY, "TableClassOverride": "STANDARD"}}]
    )
    assert "cannot change" in refused(
        home.update_table,
        TableName=NAME,
        MultiRegionConsistency="EVENTUAL",
        ReplicaUpdates=[{"Create": {"RegionName": THIRD}}],
    )
