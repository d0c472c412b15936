"""Restored tables: CREATING for the configured time, then ACTIVE; what a restore keeps, drops, overrides."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from restore_sync_sandbox import clock
from restore_sync_sandbox.extensions import dynamodb_on_demand_throughput, dynamodb_restore

ACCOUNT = "123456789012"


@pytest.fixture(autouse=True)
def virtual_clock() -> Iterator[clock.Clock]:
    dynamodb_restore.install()
    dynamodb_on_demand_throughput.install()
    previous = clock.use_clock(clock.Clock(virtual=True))
    try:
        with mock_aws():
            yield clock.current()
    finally:
        dynamodb_restore.reset()
        clock.use_clock(previous)


def ddb(region: str = "us-east-1") -> Any:
    return boto3.client("dynamodb", region_name=region)


def create_source(client: Any, name: str = "orders", billing: str = "PROVISIONED", pitr: bool = True) -> str:
    capacity = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 7}
    gsi: dict[str, Any] = {
        "IndexName": "by-customer",
        "KeySchema": [{"AttributeName": "customer", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
    }
    extra: dict[str, Any] = {"BillingMode": billing}
    if billing == "PROVISIONED":
        gsi["ProvisionedThroughput"] = {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3}
        extra["ProvisionedThroughput"] = capacity
    arn: str = client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "customer", "AttributeType": "S"},
            {"AttributeName": "placed", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[gsi],
        LocalSecondaryIndexes=[
            {
                "IndexName": "by-placed",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "placed", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        SSESpecification={"Enabled": True, "SSEType": "KMS"},
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        DeletionProtectionEnabled=True,
        Tags=[{"Key": "team", "Value": "payments"}],
        **extra,
    )["TableDescription"]["TableArn"]
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    if pitr:
        client.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    client.put_item(TableName=name, Item={"pk": {"S": "o-1"}, "sk": {"S": "v1"}, "customer": {"S": "c-1"}})
    return arn


def describe(client: Any, name: str) -> dict[str, Any]:
    table: dict[str, Any] = client.describe_table(TableName=name)["Table"]
    return table


def test_patched_moto_attributes_still_exist() -> None:
    for owner, names in dynamodb_restore.PATCHED.items():
        for name in names:
            assert callable(getattr(owner, name, None)), f"{owner.__name__}.{name} is gone from moto"


def test_restore_by_name_stays_creating_for_the_configured_time_then_becomes_active(
    virtual_clock: clock.Clock,
) -> None:
    client = ddb()
    source_arn = create_source(client)
    dynamodb_restore.configure(restore_seconds=300)

    response = client.restore_table_to_point_in_time(
        SourceTableName="orders", TargetTableName="orders-restored", UseLatestRestorableTime=True
    )["TableDescription"]
    assert response["TableStatus"] == "CREATING"

    creating = describe(client, "orders-restored")
    assert creating["TableStatus"] == "CREATING"
    assert creating["RestoreSummary"]["SourceTableArn"] == source_arn
    # A point-in-time restore names no backup (AWS's SDK examples show SourceTableArn alone).
    assert "SourceBackupArn" not in creating["RestoreSummary"]
    assert creating["RestoreSummary"]["RestoreInProgress"] is True
    assert isinstance(creating["RestoreSummary"]["RestoreDateTime"], datetime)
    assert [index["IndexStatus"] for index in creating["GlobalSecondaryIndexes"]] == ["CREATING"]

    virtual_clock.advance(299)
    assert describe(client, "orders-restored")["TableStatus"] == "CREATING"

    virtual_clock.advance(2)
    active = describe(client, "orders-restored")
    assert active["TableStatus"] == "ACTIVE"
    assert active["RestoreSummary"]["RestoreInProgress"] is False
    assert [index["IndexStatus"] for index in active["GlobalSecondaryIndexes"]] == ["ACTIVE"]


def test_indexes_can_stay_creating_after_the_table_is_active(virtual_clock: clock.Clock) -> None:
    client = ddb()
    create_source(client)
    dynamodb_restore.configure(restore_seconds=60, index_lag_seconds=30)
    client.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="orders-restored")

    virtual_clock.advance(61)
    table = describe(client, "orders-restored")
    assert table["TableStatus"] == "ACTIVE"
    assert table["GlobalSecondaryIndexes"][0]["IndexStatus"] == "CREATING"
    virtual_clock.advance(30)
    assert describe(client, "orders-restored")["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"


def test_default_restore_is_active_at_once() -> None:
    client = ddb()
    create_source(client)
    client.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="orders-restored")
    table = describe(client, "orders-restored")
    assert table["TableStatus"] == "ACTIVE"
    assert table["RestoreSummary"]["RestoreInProgress"] is False


def test_a_table_can_be_kept_creating_for_good(virtual_clock: clock.Clock) -> None:
    client = ddb()
    create_source(client)
    dynamodb_restore.set_ready_after("stuck", "us-east-1", float("inf"))
    client.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="stuck")
    client.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="other")

    virtual_clock.advance(10 * 365 * 24 * 3600)
    assert describe(client, "stuck")["TableStatus"] == "CREATING"
    assert describe(client, "other")["TableStatus"] == "ACTIVE"


def test_an_existing_restored_table_can_be_given_a_new_ready_time(virtual_clock: clock.Clock) -> None:
    client = ddb()
    create_source(client)
    client.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="orders-restored")
    dynamodb_restore.set_ready_after("orders-restored", "us-east-1", 120)
    assert describe(client, "orders-restored")["TableStatus"] == "CREATING"
    virtual_clock.advance(121)
    assert describe(client, "orders-restored")["TableStatus"] == "ACTIVE"


def test_cross_region_restore_by_arn_reads_the_source_in_its_region(virtual_clock: clock.Clock) -> None:
    west, east = ddb("us-west-2"), ddb("us-east-1")
    source_arn = create_source(west)
    dynamodb_restore.configure(restore_seconds=10)

    east.restore_table_to_point_in_time(
        SourceTableArn=source_arn,
        TargetTableName="orders-east",
        UseLatestRestorableTime=True,
        SSESpecificationOverride={"Enabled": True, "SSEType": "KMS"},
    )

    table = describe(east, "orders-east")
    assert table["TableArn"] == f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders-east"
    assert table["RestoreSummary"]["SourceTableArn"] == source_arn
    assert table["TableStatus"] == "CREATING"
    assert ":us-east-1:" in table["SSEDescription"]["KMSMasterKeyArn"]
    virtual_clock.advance(11)
    assert describe(east, "orders-east")["TableStatus"] == "ACTIVE"
    assert east.scan(TableName="orders-east")["Count"] == 1
    assert west.list_tables()["TableNames"] == ["orders"]


def test_restore_by_arn_of_a_missing_table_is_source_table_not_found() -> None:
    client = ddb()
    with pytest.raises(ClientError) as error:
        client.restore_table_to_point_in_time(
            SourceTableArn=f"arn:aws:dynamodb:us-west-2:{ACCOUNT}:table/missing", TargetTableName="t-restored"
        )
    assert error.value.response["Error"]["Code"] == "SourceTableNotFoundException"


def test_restore_keeps_data_keys_indexes_billing_and_sse_and_drops_the_rest() -> None:
    client = ddb()
    create_source(client)
    client.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="orders-restored")

    source, table = describe(client, "orders"), describe(client, "orders-restored")
    assert table["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 7
    assert table["KeySchema"] == source["KeySchema"]
    assert table["AttributeDefinitions"] == source["AttributeDefinitions"]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["by-customer"]
    assert table["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["ReadCapacityUnits"] == 2
    assert [i["IndexName"] for i in table["LocalSecondaryIndexes"]] == ["by-placed"]
    assert table["SSEDescription"]["Status"] == "ENABLED"
    assert client.scan(TableName="orders-restored")["Count"] == 1

    assert "StreamSpecification" not in table
    assert "LatestStreamArn" not in table
    assert table["DeletionProtectionEnabled"] is False
    ttl = client.describe_time_to_live(TableName="orders-restored")["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "DISABLED"
    backups = client.describe_continuous_backups(TableName="orders-restored")["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    assert client.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"] == []
    client.delete_table(TableName="orders-restored")


def test_on_demand_source_restores_on_demand() -> None:
    client = ddb()
    create_source(client, billing="PAY_PER_REQUEST")
    client.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="orders-restored")
    assert describe(client, "orders-restored")["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_overrides_are_applied() -> None:
    client = ddb()
    create_source(client, billing="PAY_PER_REQUEST")
    client.restore_table_to_point_in_time(
        SourceTableName="orders",
        TargetTableName="orders-restored",
        BillingModeOverride="PROVISIONED",
        ProvisionedThroughputOverride={"ReadCapacityUnits": 11, "WriteCapacityUnits": 13},
        GlobalSecondaryIndexOverride=[],
        LocalSecondaryIndexOverride=[],
        SSESpecificationOverride={"Enabled": False},
    )
    table = describe(client, "orders-restored")
    assert table["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 11
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 13
    assert table.get("GlobalSecondaryIndexes", []) == []
    assert table.get("LocalSecondaryIndexes", []) == []
    assert "SSEDescription" not in table


NO_MAXIMUM = {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": -1}


def on_demand_maxima(client: Any, name: str) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    table = describe(client, name)
    return table["OnDemandThroughput"], {
        i["IndexName"]: i["OnDemandThroughput"] for i in table["GlobalSecondaryIndexes"]
    }


def bounded_source(client: Any) -> None:
    create_source(client, billing="PAY_PER_REQUEST")
    client.update_table(
        TableName="orders",
        OnDemandThroughput={"MaxReadRequestUnits": 500, "MaxWriteRequestUnits": 200},
        GlobalSecondaryIndexUpdates=[
            {"Update": {"IndexName": "by-customer", "OnDemandThroughput": {"MaxReadRequestUnits": 40}}}
        ],
    )


def test_the_source_maximum_on_demand_throughput_is_not_restored() -> None:
    client = ddb()
    bounded_source(client)
    client.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="orders-restored")
    backup_arn = client.create_backup(TableName="orders", BackupName="nightly")["BackupDetails"]["BackupArn"]
    client.restore_table_from_backup(TargetTableName="from-backup", BackupArn=backup_arn)
    for target in ("orders-restored", "from-backup"):
        assert on_demand_maxima(client, target) == (NO_MAXIMUM, {"by-customer": NO_MAXIMUM}), target
    assert on_demand_maxima(client, "orders")[0] == {"MaxReadRequestUnits": 500, "MaxWriteRequestUnits": 200}


def test_a_restore_can_choose_the_maximum_on_demand_throughput() -> None:
    client = ddb()
    bounded_source(client)
    index = {
        "IndexName": "by-customer",
        "KeySchema": [{"AttributeName": "customer", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
        "OnDemandThroughput": {"MaxWriteRequestUnits": 7},
    }
    client.restore_table_to_point_in_time(
        SourceTableName="orders",
        TargetTableName="orders-restored",
        OnDemandThroughputOverride={"MaxReadRequestUnits": 90},
        GlobalSecondaryIndexOverride=[index],
    )
    assert on_demand_maxima(client, "orders-restored") == (
        {"MaxReadRequestUnits": 90, "MaxWriteRequestUnits": -1},
        {"by-customer": {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": 7}},
    )


def test_provisioned_source_can_be_restored_on_demand() -> None:
    client = ddb()
    create_source(client)
    client.restore_table_to_point_in_time(
        SourceTableName="orders", TargetTableName="orders-restored", BillingModeOverride="PAY_PER_REQUEST"
    )
    table = describe(client, "orders-restored")
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 0
    assert table["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["ReadCapacityUnits"] == 0


def test_restore_is_refused_when_the_source_has_pitr_off() -> None:
    client = ddb()
    create_source(client, pitr=False)
    with pytest.raises(ClientError) as error:
        client.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="orders-restored")
    assert error.value.response["Error"]["Code"] == "PointInTimeRecoveryUnavailableException"
    assert "orders-restored" not in client.list_tables()["TableNames"]


def test_restore_time_in_the_future_is_refused() -> None:
    client = ddb()
    create_source(client)
    with pytest.raises(ClientError) as error:
        client.restore_table_to_point_in_time(
            SourceTableName="orders",
            TargetTableName="orders-restored",
            RestoreDateTime=datetime.now(tz=UTC) + timedelta(days=1),
        )
    assert error.value.response["Error"]["Code"] == "InvalidRestoreTimeException"


def test_restore_date_time_is_the_requested_point(virtual_clock: clock.Clock) -> None:
    client = ddb()
    create_source(client)
    point = virtual_clock.now() - timedelta(hours=1)
    client.restore_table_to_point_in_time(
        SourceTableName="orders", TargetTableName="orders-restored", RestoreDateTime=point
    )
    restored_at = describe(client, "orders-restored")["RestoreSummary"]["RestoreDateTime"]
    assert abs((restored_at - point).total_seconds()) < 1


def test_restore_onto_an_existing_table_is_refused() -> None:
    client = ddb()
    create_source(client)
    with pytest.raises(ClientError) as error:
        client.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="orders")
    assert error.value.response["Error"]["Code"] == "TableAlreadyExistsException"


def test_restore_from_backup_uses_the_backup_billing_mode_and_waits(virtual_clock: clock.Clock) -> None:
    client = ddb()
    create_source(client)
    backup_arn = client.create_backup(TableName="orders", BackupName="nightly")["BackupDetails"]["BackupArn"]
    client.update_table(TableName="orders", BillingMode="PAY_PER_REQUEST")
    dynamodb_restore.configure(restore_seconds=45)

    client.restore_table_from_backup(TargetTableName="from-backup", BackupArn=backup_arn)

    table = describe(client, "from-backup")
    assert table["TableStatus"] == "CREATING"
    # As AWS's RestoreTableFromBackup example shows: the backup, and the table it is a backup of.
    assert table["RestoreSummary"]["SourceBackupArn"] == backup_arn
    assert table["RestoreSummary"]["SourceTableArn"] == describe(client, "orders")["TableArn"]
    assert table["RestoreSummary"]["RestoreInProgress"] is True
    assert table["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert table["SSEDescription"]["Status"] == "ENABLED"
    assert "StreamSpecification" not in table
    assert table["DeletionProtectionEnabled"] is False
    virtual_clock.advance(46)
    assert describe(client, "from-backup")["TableStatus"] == "ACTIVE"
    assert client.scan(TableName="from-backup")["Count"] == 1


def test_restore_from_backup_honours_overrides() -> None:
    client = ddb()
    create_source(client)
    backup_arn = client.create_backup(TableName="orders", BackupName="nightly")["BackupDetails"]["BackupArn"]
    client.restore_table_from_backup(
        TargetTableName="from-backup",
        BackupArn=backup_arn,
        BillingModeOverride="PAY_PER_REQUEST",
        GlobalSecondaryIndexOverride=[],
    )
    table = describe(client, "from-backup")
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table.get("GlobalSecondaryIndexes", []) == []


def test_restore_from_a_missing_backup_is_backup_not_found() -> None:
    with pytest.raises(ClientError) as error:
        ddb().restore_table_from_backup(
            TargetTableName="t-restored",
            BackupArn=f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders/backup/01234567890123-abcdefgh",
        )
    assert error.value.response["Error"]["Code"] == "BackupNotFoundException"


def test_stream_can_be_switched_off_and_on_again() -> None:
    client = ddb()
    create_source(client)
    first = describe(client, "orders")["LatestStreamArn"]

    client.update_table(TableName="orders", StreamSpecification={"StreamEnabled": False})
    disabled = describe(client, "orders")
    assert "StreamSpecification" not in disabled
    assert disabled["LatestStreamArn"] == first

    client.update_table(TableName="orders", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    enabled = describe(client, "orders")
    assert enabled["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    assert enabled["LatestStreamArn"] != first


def test_enabling_an_enabled_stream_is_still_refused() -> None:
    client = ddb()
    create_source(client)
    with pytest.raises(ClientError) as error:
        client.update_table(
            TableName="orders", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
        )
    assert error.value.response["Error"]["Code"] == "ResourceInUseException"
