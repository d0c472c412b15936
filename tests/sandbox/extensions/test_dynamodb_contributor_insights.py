"""Contributor insights: enabled and disabled per table and per GSI, described and listed through the API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.responses import DynamoHandler

from restore_sync_sandbox.extensions import dynamodb_contributor_insights as insights
from restore_sync_sandbox.extensions import dynamodb_restore

REGION = "us-east-1"
TABLE = "orders"
GSI = "by-customer"


@pytest.fixture
def ddb() -> Iterator[Any]:
    insights.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "customer", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": GSI,
                    "KeySchema": [{"AttributeName": "customer", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            LocalSecondaryIndexes=[
                {
                    "IndexName": "by-sk",
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def describe(ddb: Any, index: str | None = None, table: str = TABLE) -> dict[str, Any]:
    kwargs = {"TableName": table, **({"IndexName": index} if index else {})}
    answer: dict[str, Any] = ddb.describe_contributor_insights(**kwargs)
    answer.pop("ResponseMetadata")
    return answer


def error_code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as error:
        call(**kwargs)
    code: str = error.value.response["Error"]["Code"]
    return code


def test_patched_moto_attributes_still_exist() -> None:
    insights._check_moto()
    insights.install()
    insights.install()
    for name in insights.HANDLER_METHODS:
        assert callable(getattr(DynamoHandler, name))
        assert callable(getattr(DynamoDBBackend, name))


def test_never_configured_reads_disabled(ddb: Any) -> None:
    assert describe(ddb) == {"TableName": TABLE, "ContributorInsightsStatus": "DISABLED"}
    assert describe(ddb, GSI) == {"TableName": TABLE, "IndexName": GSI, "ContributorInsightsStatus": "DISABLED"}
    assert ddb.list_contributor_insights()["ContributorInsightsSummaries"] == []


def test_enable_the_table(ddb: Any) -> None:
    answer = ddb.update_contributor_insights(TableName=TABLE, ContributorInsightsAction="ENABLE")
    assert answer["ContributorInsightsStatus"] == "ENABLING"
    assert answer["TableName"] == TABLE
    described = describe(ddb)
    assert described["ContributorInsightsStatus"] == "ENABLED"
    # AWS documents no default mode: enabled without one, none is stated.
    assert "ContributorInsightsMode" not in answer
    assert "ContributorInsightsMode" not in described
    assert isinstance(described["LastUpdateDateTime"], datetime)
    kinds = [rule.split("-")[1] for rule in described["ContributorInsightsRuleList"]]
    assert kinds == ["PKC", "SKC", "PKT", "SKT"]
    assert all(
        rule.startswith(f"DynamoDBContributorInsights-{kind}-{TABLE}-")
        for rule, kind in zip(described["ContributorInsightsRuleList"], kinds, strict=True)
    )
    # The index is independent of its table.
    assert describe(ddb, GSI)["ContributorInsightsStatus"] == "DISABLED"


def test_enable_an_index_by_table_arn(ddb: Any) -> None:
    arn = ddb.describe_table(TableName=TABLE)["Table"]["TableArn"]
    answer = ddb.update_contributor_insights(TableName=arn, IndexName=GSI, ContributorInsightsAction="ENABLE")
    assert (answer["TableName"], answer["IndexName"], answer["ContributorInsightsStatus"]) == (TABLE, GSI, "ENABLING")
    described = describe(ddb, GSI)
    assert described["ContributorInsightsStatus"] == "ENABLED"
    # The GSI has no sort key: only the partition key rules.
    assert [rule.split("-")[1] for rule in described["ContributorInsightsRuleList"]] == ["PKC", "PKT"]
    assert all(f"-{TABLE}-{GSI}-" in rule for rule in described["ContributorInsightsRuleList"])
    assert describe(ddb)["ContributorInsightsStatus"] == "DISABLED"


def test_throttled_keys_mode(ddb: Any) -> None:
    ddb.update_contributor_insights(
        TableName=TABLE, ContributorInsightsAction="ENABLE", ContributorInsightsMode="THROTTLED_KEYS"
    )
    described = describe(ddb)
    assert described["ContributorInsightsMode"] == "THROTTLED_KEYS"
    assert [rule.split("-")[1] for rule in described["ContributorInsightsRuleList"]] == ["PKT", "SKT"]


def test_the_mode_is_kept_changed_in_place_and_listed(ddb: Any) -> None:
    answer = ddb.update_contributor_insights(
        TableName=TABLE, IndexName=GSI, ContributorInsightsAction="ENABLE", ContributorInsightsMode="THROTTLED_KEYS"
    )
    assert (answer["ContributorInsightsStatus"], answer["ContributorInsightsMode"]) == ("ENABLING", "THROTTLED_KEYS")
    rules = describe(ddb, GSI)["ContributorInsightsRuleList"]
    # An ENABLE without a mode asks for no change: the mode stays.
    again = ddb.update_contributor_insights(TableName=TABLE, IndexName=GSI, ContributorInsightsAction="ENABLE")
    assert (again["ContributorInsightsStatus"], again["ContributorInsightsMode"]) == ("ENABLED", "THROTTLED_KEYS")
    changed = ddb.update_contributor_insights(
        TableName=TABLE,
        IndexName=GSI,
        ContributorInsightsAction="ENABLE",
        ContributorInsightsMode="ACCESSED_AND_THROTTLED_KEYS",
    )
    assert changed["ContributorInsightsStatus"] == "ENABLING"
    described = describe(ddb, GSI)
    assert described["ContributorInsightsMode"] == "ACCESSED_AND_THROTTLED_KEYS"
    # The same rules' creation suffix, now with the accessed keys' rule too.
    assert [rule.split("-")[1] for rule in described["ContributorInsightsRuleList"]] == ["PKC", "PKT"]
    assert described["ContributorInsightsRuleList"][1] == rules[0]
    ddb.update_contributor_insights(TableName=TABLE, ContributorInsightsAction="ENABLE")
    summaries = ddb.list_contributor_insights(TableName=TABLE)["ContributorInsightsSummaries"]
    assert [(s.get("IndexName"), s.get("ContributorInsightsMode")) for s in summaries] == [
        (None, None),
        (GSI, "ACCESSED_AND_THROTTLED_KEYS"),
    ]


def test_an_unknown_mode_is_a_validation_error(ddb: Any) -> None:
    assert (
        error_code(
            ddb.update_contributor_insights,
            TableName=TABLE,
            ContributorInsightsAction="ENABLE",
            ContributorInsightsMode="ALL_KEYS",
        )
        == "ValidationException"
    )


def test_disable_and_no_ops(ddb: Any) -> None:
    # Disabling what was never enabled answers the settled status.
    assert (
        ddb.update_contributor_insights(TableName=TABLE, ContributorInsightsAction="DISABLE")[
            "ContributorInsightsStatus"
        ]
        == "DISABLED"
    )
    ddb.update_contributor_insights(TableName=TABLE, ContributorInsightsAction="ENABLE")
    again = ddb.update_contributor_insights(TableName=TABLE, ContributorInsightsAction="ENABLE")
    assert again["ContributorInsightsStatus"] == "ENABLED"
    answer = ddb.update_contributor_insights(TableName=TABLE, ContributorInsightsAction="DISABLE")
    assert answer["ContributorInsightsStatus"] == "DISABLING"
    described = describe(ddb)
    assert described["ContributorInsightsStatus"] == "DISABLED"
    assert "ContributorInsightsRuleList" not in described
    assert "LastUpdateDateTime" in described


def test_list_shows_what_is_not_disabled_table_first(ddb: Any) -> None:
    ddb.update_contributor_insights(TableName=TABLE, IndexName=GSI, ContributorInsightsAction="ENABLE")
    ddb.update_contributor_insights(TableName=TABLE, ContributorInsightsAction="ENABLE")
    summaries = ddb.list_contributor_insights(TableName=TABLE)["ContributorInsightsSummaries"]
    assert [(s["TableName"], s.get("IndexName"), s["ContributorInsightsStatus"]) for s in summaries] == [
        (TABLE, None, "ENABLED"),
        (TABLE, GSI, "ENABLED"),
    ]
    first = ddb.list_contributor_insights(MaxResults=1)
    assert len(first["ContributorInsightsSummaries"]) == 1
    second = ddb.list_contributor_insights(MaxResults=1, NextToken=first["NextToken"])
    assert second["ContributorInsightsSummaries"][0]["IndexName"] == GSI
    assert "NextToken" not in second
    ddb.update_contributor_insights(TableName=TABLE, ContributorInsightsAction="DISABLE")
    summaries = ddb.list_contributor_insights()["ContributorInsightsSummaries"]
    assert [s.get("IndexName") for s in summaries] == [GSI]


def test_unknown_or_local_index_and_missing_table_are_not_found(ddb: Any) -> None:
    for index in ("nope", "by-sk"):
        assert error_code(ddb.describe_contributor_insights, TableName=TABLE, IndexName=index) == (
            "ResourceNotFoundException"
        )
        assert (
            error_code(
                ddb.update_contributor_insights, TableName=TABLE, IndexName=index, ContributorInsightsAction="ENABLE"
            )
            == "ResourceNotFoundException"
        )
    assert error_code(ddb.describe_contributor_insights, TableName="missing") == "ResourceNotFoundException"
    assert error_code(ddb.list_contributor_insights, TableName="missing") == "ResourceNotFoundException"


def test_invalid_action_is_a_validation_error(ddb: Any) -> None:
    assert error_code(ddb.update_contributor_insights, TableName=TABLE, ContributorInsightsAction="PAUSE") == (
        "ValidationException"
    )


def test_a_deleted_index_takes_its_insights_with_it(ddb: Any) -> None:
    ddb.update_contributor_insights(TableName=TABLE, IndexName=GSI, ContributorInsightsAction="ENABLE")
    ddb.update_table(TableName=TABLE, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": GSI}}])
    assert ddb.list_contributor_insights()["ContributorInsightsSummaries"] == []
    assert error_code(ddb.describe_contributor_insights, TableName=TABLE, IndexName=GSI) == (
        "ResourceNotFoundException"
    )


def test_a_restored_table_starts_disabled(ddb: Any) -> None:
    dynamodb_restore.install()
    ddb.update_contributor_insights(TableName=TABLE, ContributorInsightsAction="ENABLE")
    ddb.update_contributor_insights(TableName=TABLE, IndexName=GSI, ContributorInsightsAction="ENABLE")
    ddb.update_continuous_backups(
        TableName=TABLE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    ddb.restore_table_to_point_in_time(SourceTableName=TABLE, TargetTableName="orders-restored")
    assert describe(ddb, table="orders-restored")["ContributorInsightsStatus"] == "DISABLED"
    assert describe(ddb, GSI, table="orders-restored")["ContributorInsightsStatus"] == "DISABLED"
    assert describe(ddb, GSI)["ContributorInsightsStatus"] == "ENABLED"
