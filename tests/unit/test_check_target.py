"""One poll of the wait loop: ready, keep waiting (with the backoff), or give up with a reason."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from restore_sync.aws import Aws, TableRef
from restore_sync.contracts import Request
from restore_sync.errors import TargetTableUnavailable
from restore_sync.workflow.backoff import Backoff
from restore_sync.workflow.check import check_target

REQUEST = Request.for_tables(
    TableRef("orders-restored", "us-east-1", "123456789012"),
    TableRef("orders", "us-east-1", "123456789012"),
    trigger="RestoreTableToPointInTime",
    settings=("ttl",),
    dry_run=False,
    requested_at="2026-11-20T10:00:00Z",
    hold=(),
    settings_from="auto",
)
BACKOFF = Backoff(first_seconds=10, lag_percent=10, cap_seconds=60, jitter_percent=50, horizon_seconds=3600)


def high(a: float, b: float) -> float:
    return b


@pytest.fixture
def aws() -> Iterator[Aws]:
    with mock_aws():
        yield Aws(region="us-east-1")


def create_target() -> None:
    boto3.client("dynamodb", region_name="us-east-1").create_table(
        TableName="orders-restored",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def poll(aws: Aws, attempt: int, now: str) -> dict[str, Any]:
    return check_target(aws, REQUEST, attempt=attempt, now=now, backoff=BACKOFF, grace_seconds=300, uniform=high)


def test_an_active_table_is_ready_with_its_description(aws: Aws) -> None:
    create_target()
    result = poll(aws, 3, "2026-11-20T10:05:00.000Z")
    assert result["ready"] is True
    assert result["attempt"] == 4
    assert result["elapsedSeconds"] == 300
    assert result["table"]["name"] == "orders-restored"
    assert result["table"]["status"] == "ACTIVE"


def test_a_missing_table_is_waited_for_during_the_grace_period(aws: Aws) -> None:
    result = poll(aws, 2, "2026-11-20T10:04:00Z")
    assert result == {
        "ready": False,
        "attempt": 3,
        "elapsedSeconds": 240,
        "waitSeconds": 24,
        "waitingFor": ["table does not exist yet"],
    }


def test_a_table_still_missing_after_the_grace_period_fails(aws: Aws) -> None:
    with pytest.raises(TargetTableUnavailable, match="does not exist 301s after"):
        poll(aws, 9, "2026-11-20T10:05:01Z")


def test_waits_grow_with_the_time_waited_until_the_cap(aws: Aws) -> None:
    def wait_at(now: str) -> int:
        result = check_target(aws, REQUEST, attempt=40, now=now, backoff=BACKOFF, grace_seconds=3600, uniform=high)
        return int(result["waitSeconds"])

    # The attempt count does not matter: the interval follows the time since the restore was requested.
    assert wait_at("2026-11-20T10:00:10Z") == 10
    assert wait_at("2026-11-20T10:05:00Z") == 30
    assert wait_at("2026-11-20T10:50:00Z") == 60


def test_the_last_wait_ends_at_the_horizon(aws: Aws) -> None:
    late = check_target(
        aws, REQUEST, attempt=41, now="2026-11-20T10:59:30Z", backoff=BACKOFF, grace_seconds=3600, uniform=high
    )
    assert late["waitSeconds"] == 30


def test_past_the_horizon_it_gives_up_and_says_what_to_do(aws: Aws) -> None:
    with pytest.raises(TargetTableUnavailable, match="past the horizon of 3600s: start an execution by hand"):
        check_target(
            aws, REQUEST, attempt=42, now="2026-11-20T11:00:00Z", backoff=BACKOFF, grace_seconds=3600, uniform=high
        )
