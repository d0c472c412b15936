"""Verify reads the target back: what differs from the plan is drift; settings not claimed applied are skipped."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from restore_sync.aws import Aws, TableRef
from restore_sync.contracts import PlanItem, Request, SettingResult
from restore_sync.workflow.verify import verify

REQUEST = Request.for_tables(
    TableRef("orders-restored", "us-east-1", "123456789012"),
    TableRef("orders", "us-east-1", "123456789012"),
    trigger="manual",
    settings=("stream", "ttl", "deletion_protection", "autoscaling"),
    dry_run=False,
    requested_at="2026-11-20T10:00:00Z",
    hold=(),
    settings_from="auto",
)
ITEMS = [
    PlanItem(setting="ttl", status="pending", wanted={"enabled": True, "attributeName": "expiresAt"}),
    PlanItem(setting="deletion_protection", status="pending", wanted={"enabled": False}),
    PlanItem(setting="stream", status="pending", wanted={"enabled": True, "viewType": "KEYS_ONLY"}),
    PlanItem(setting="autoscaling", status="skipped", reason="on-demand"),
]


@pytest.fixture
def aws() -> Iterator[Aws]:
    with mock_aws():
        boto3.client("dynamodb", region_name="us-east-1").create_table(
            TableName="orders-restored",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield Aws(region="us-east-1")


def test_a_setting_the_target_lacks_is_drift(aws: Aws) -> None:
    results = [
        SettingResult(setting="ttl", status="applied"),
        SettingResult(setting="deletion_protection", status="unchanged"),
        SettingResult(setting="stream", status="failed", reason="boom"),
    ]
    outcome = verify(aws, REQUEST, ITEMS, results)
    assert outcome["drift"] == [
        {
            "setting": "ttl",
            "wanted": {"enabled": True, "attributeName": "expiresAt"},
            "found": {"enabled": False, "attributeName": None},
        }
    ]
    # A failed setting is already reported as failed; a skipped one was never wanted.
    assert sorted(outcome["observed"]) == ["deletion_protection", "ttl"]


def test_a_target_that_has_what_was_wanted_has_no_drift(aws: Aws) -> None:
    boto3.client("dynamodb", region_name="us-east-1").update_time_to_live(
        TableName="orders-restored", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"}
    )
    results = [
        SettingResult(setting="ttl", status="applied"),
        SettingResult(setting="deletion_protection", status="unchanged"),
    ]
    assert verify(aws, REQUEST, ITEMS, results)["drift"] == []


def test_a_held_setting_is_compared_with_what_it_gets_while_it_waits(aws: Aws) -> None:
    items = [
        PlanItem(setting="ttl", status="held", wanted={"enabled": True, "attributeName": "expiresAt"}, reason="held"),
        PlanItem(setting="triggers", status="held", wanted={"mappings": []}, reason="held"),
    ]
    results = [
        SettingResult(setting="ttl", status="held", reason="held"),
        SettingResult(setting="triggers", status="held", reason="held"),
    ]
    outcome = verify(aws, REQUEST, items, results)
    # TTL off is what a held TTL is: nothing to compare; held triggers are read back and compared, disabled.
    assert outcome == {"drift": [], "observed": {"triggers": {"mappings": []}}}


def test_a_trigger_held_with_its_stream_was_not_created_and_is_not_read_back(aws: Aws) -> None:
    holding = dataclasses.replace(REQUEST, hold=("stream", "triggers"))
    items = [PlanItem(setting="triggers", status="held", wanted={"mappings": []}, reason="held")]
    results = [SettingResult(setting="triggers", status="held", reason="held")]
    assert verify(aws, holding, items, results) == {"drift": [], "observed": {}}
