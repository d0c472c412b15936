"""The settings history: versions only on change, in time order, kept for the retention after being superseded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from restore_sync.errors import HistoryUnwritable, HistoryVersionInvalid
from restore_sync.history.store import POINTER, History, Pointer, canonical, digest
from restore_sync.timestamps import instant, iso

REGION = "us-east-1"
ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def document(ttl: str | None = "expires", arn: str = ARN) -> dict[str, Any]:
    """A settings document of the table with the ARN, holding its TTL setting."""
    return {
        "schemaVersion": 1,
        "table": {
            "arn": arn,
            "name": arn.rsplit("/", 1)[1],
            "region": REGION,
            "account": "123456789012",
            "billingMode": "PAY_PER_REQUEST",
            "keySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "attributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "globalSecondaryIndexes": [],
            "localSecondaryIndexes": [],
        },
        "settings": {"ttl": {"enabled": ttl is not None, "attributeName": ttl}},
    }


@pytest.fixture
def history() -> Iterator[History]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName="history",
            KeySchema=[
                {"AttributeName": "tableArn", "KeyType": "HASH"},
                {"AttributeName": "version", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "tableArn", "AttributeType": "S"},
                {"AttributeName": "version", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield History(client, "history", retention_days=40)


def record(history: History, doc: dict[str, Any], at: datetime) -> str:
    return history.record(doc, effective_at=at, read_at=at + timedelta(seconds=30), cause="UpdateTimeToLive")


def test_timestamps_sort_as_they_read() -> None:
    assert iso(datetime(2026, 1, 2, 3, 4, 5, 678900, tzinfo=UTC)) == "2026-01-02T03:04:05.678Z"
    assert iso(instant("2026-01-02T03:04:05Z")) == "2026-01-02T03:04:05.000Z"
    assert instant("2026-01-02T04:04:05+01:00") == instant("2026-01-02T03:04:05Z")
    assert iso(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05.000Z"


def test_the_same_document_twice_is_one_version(history: History) -> None:
    assert record(history, document(), T0) == "recorded"
    assert record(history, document(), T0 + timedelta(hours=1)) == "unchanged"
    assert record(history, document(), T0 + timedelta(days=1)) == "unchanged"
    (only,) = history.versions(ARN)
    assert only.document == document()
    assert only.digest == digest(document())
    assert only.effective_at == iso(T0)
    assert only.expires_at is None


def test_a_change_supersedes_the_current_version_which_then_expires_after_the_retention(history: History) -> None:
    record(history, document("expires"), T0)
    changed_at = T0 + timedelta(days=3)
    assert record(history, document("ttl"), changed_at) == "recorded"
    first, second = history.versions(ARN)
    assert first.expires_at == int((changed_at + timedelta(days=40)).timestamp())
    assert second.expires_at is None, "the current version is kept as long as the table lives"
    assert history.pointer(ARN) == Pointer(ARN, second.key, digest(document("ttl")), iso(changed_at))


def test_the_version_in_effect_at_a_moment_is_the_latest_at_or_before_it(history: History) -> None:
    record(history, document("a"), T0)
    record(history, document("b"), T0 + timedelta(hours=2))
    record(history, document("c"), T0 + timedelta(hours=4))

    def ttl_at(moment: datetime) -> str | None:
        version = history.at_or_before(ARN, moment)
        return version.document["settings"]["ttl"]["attributeName"] if version else None

    assert ttl_at(T0 - timedelta(seconds=1)) is None
    assert ttl_at(T0) == "a"
    assert ttl_at(T0 + timedelta(hours=2) - timedelta(milliseconds=1)) == "a"
    assert ttl_at(T0 + timedelta(hours=2)) == "b"
    assert ttl_at(T0 + timedelta(days=365)) == "c"
    first = history.first(ARN)
    assert first is not None
    assert first.document == document("a")


def test_versions_only_move_forward_whatever_order_the_events_arrive_in(history: History) -> None:
    record(history, document("late"), T0 + timedelta(minutes=5))
    record(history, document("early"), T0)
    first, second = history.versions(ARN)
    assert instant(second.effective_at) > instant(first.effective_at)
    assert second.document == document("early")


def test_tables_have_separate_histories_and_the_pointer_is_not_a_version(history: History) -> None:
    other = ARN.replace("orders", "invoices")
    record(history, document("a"), T0)
    record(history, document("a", arn=other), T0)
    assert [v.table_arn for v in history.versions(ARN)] == [ARN]
    assert all(v.key != POINTER for v in history.versions(other))
    assert history.at_or_before(ARN, T0 + timedelta(days=9000)) is not None


def test_a_deleted_tables_last_version_expires_after_the_retention_and_a_new_table_starts_over(
    history: History,
) -> None:
    record(history, document("a"), T0)
    deleted_at = T0 + timedelta(days=2)
    assert history.mark_deleted(ARN, deleted_at) is True
    assert history.mark_deleted(ARN, deleted_at + timedelta(hours=1)) is True, "marking twice changes nothing"
    (last,) = history.versions(ARN)
    assert last.expires_at == int((deleted_at + timedelta(days=40)).timestamp())
    pointer = history.pointer(ARN)
    assert pointer is not None
    assert pointer.deleted_at == iso(deleted_at)

    recreated_at = T0 + timedelta(days=5)
    assert record(history, document("a"), recreated_at) == "recorded", "a new table of the same name is recorded"
    pointer = history.pointer(ARN)
    assert pointer is not None
    assert pointer.deleted_at is None
    assert history.mark_deleted(ARN.replace("orders", "never-seen"), deleted_at) is False


def test_a_concurrent_snapshot_that_lost_the_race_rereads_and_records_nothing_twice(history: History) -> None:
    record(history, document("a"), T0)
    stale = history.pointer(ARN)
    assert record(history, document("b"), T0 + timedelta(minutes=1)) == "recorded"

    class Stale(History):
        """Reads the pointer as it was before the other snapshot wrote, once."""

        served = False

        def pointer(self, table_arn: str) -> Pointer | None:
            if not Stale.served:
                Stale.served = True
                return stale
            return super().pointer(table_arn)

    late = Stale(history.client, history.table_name, history.retention_days)
    assert late.record(document("b"), effective_at=T0 + timedelta(minutes=2), read_at=T0, cause="TagResource") == (
        "unchanged"
    )
    assert [v.document["settings"]["ttl"]["attributeName"] for v in history.versions(ARN)] == ["a", "b"]


def test_a_document_too_large_for_an_item_is_refused_with_the_reason(history: History) -> None:
    huge = document()
    huge["settings"]["alarms"] = ["x" * 1000] * 400
    with pytest.raises(HistoryUnwritable, match="more than a history item holds"):
        record(history, huge, T0)
    assert history.versions(ARN) == []


def stored(history: History) -> dict[str, Any]:
    """The one version item of ARN, as DynamoDB holds it."""
    (item,) = [
        i
        for i in history.client.scan(TableName=history.table_name)["Items"]
        if i["tableArn"]["S"] == ARN and i["version"]["S"] != POINTER
    ]
    return dict(item)


def edit(history: History, item: dict[str, Any], **attributes: Any) -> None:
    """Someone with write access to the history table changes a version by hand."""
    history.client.put_item(TableName=history.table_name, Item={**item, **attributes})


def refusal(history: History) -> str:
    with pytest.raises(HistoryVersionInvalid) as refused:
        history.at_or_before(ARN, T0 + timedelta(days=1))
    with pytest.raises(HistoryVersionInvalid):
        history.versions(ARN)
    return str(refused.value)


def test_a_document_edited_by_hand_is_refused_naming_the_table_and_the_version(history: History) -> None:
    record(history, document("expires"), T0)
    item = stored(history)
    edited = json.loads(item["document"]["S"])
    edited["settings"]["ttl"]["attributeName"] = "never"
    edit(history, item, document={"S": json.dumps(edited)})

    message = refusal(history)
    assert f"version {item['version']['S']} of {ARN} is refused, not used" in message
    assert "digest: not the digest of the document" in message


def test_a_document_edited_with_its_digest_is_refused_where_it_is_not_a_settings_document(history: History) -> None:
    record(history, document("expires"), T0)
    item = stored(history)
    policy = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": 111122223333}, "Action": "dynamodb:*"}]}
    edited = {**document("expires"), "settings": {"resource_policy": {"policy": policy}, "iam_role": {}}}
    edit(history, item, document={"S": canonical(edited)}, digest={"S": digest(edited)})

    message = refusal(history)
    assert "settings: Additional properties are not allowed ('iam_role' was unexpected)" in message
    assert "settings.resource_policy.policy.Statement.0.Principal.AWS: 111122223333 is not valid" in message
    assert "digest" not in message.split("refused, not used: ")[1].split(". Nothing")[0]


def test_a_malformed_version_item_or_another_tables_document_is_refused(history: History) -> None:
    record(history, document("expires"), T0)
    item = stored(history)
    other = document("expires", arn=ARN.replace("orders", "invoices"))
    for attributes, problem in (
        ({"document": {"S": "{not json"}}, "document: not JSON"),
        ({"document": {"N": "1"}}, "document: missing, or not of type S"),
        ({"expiresAt": {"S": "soon"}}, "expiresAt: not a number"),
        (
            {"document": {"S": canonical(other)}, "digest": {"S": digest(other)}},
            f"table.arn: the document is of {other['table']['arn']}, not of the table it is kept under",
        ),
    ):
        edit(history, item, **attributes)
        assert problem in refusal(history)
