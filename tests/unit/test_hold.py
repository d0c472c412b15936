"""Held settings: how `hold` is read and resolved, how the plan marks what it holds, and what is still held."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from restore_sync.aws import Aws, TableRef
from restore_sync.contracts import Request
from restore_sync.errors import ConfigurationError
from restore_sync.handlers.config import Config
from restore_sync.settings import NAMES, Retarget
from restore_sync.workflow.hold import (
    activate_command,
    activation_settings,
    held_reasons,
    held_settings,
    meanwhile,
    parse_hold,
    still_held,
)
from restore_sync.workflow.plan import plan_settings
from restore_sync.workflow.source import source_exists
from restore_sync_tools.render import held_summary

TARGET = TableRef("orders-restored", "us-east-1", "123456789012")
SOURCE = TableRef("orders", "us-east-1", "123456789012")
MAPPING = {
    "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:audit",
    "enabled": True,
    "properties": {"StartingPosition": "LATEST"},
}
DOCUMENT = {
    "settings": {
        "stream": {"enabled": True, "viewType": "NEW_IMAGE"},
        "ttl": {"enabled": True, "attributeName": "expiresAt"},
        "triggers": {"mappings": [MAPPING]},
        "kinesis": {"destinations": []},
        "pitr": {"enabled": True, "recoveryPeriodInDays": 35},
    }
}
RETARGET = Retarget(source=SOURCE, target=TARGET, target_table={"name": TARGET.name, "billingMode": "PAY_PER_REQUEST"})


def request(hold: tuple[str, ...]) -> Request:
    return Request.for_tables(
        TARGET,
        SOURCE,
        trigger="manual",
        settings=tuple(DOCUMENT["settings"]),
        dry_run=False,
        requested_at="2026-11-20T10:00:00Z",
        hold=hold,
        settings_from="auto",
    )


@pytest.mark.parametrize(
    ("given", "read"),
    [
        ("none", ()),
        ([], ()),
        ("side-by-side", ("side-by-side",)),
        (["side-by-side"], ("side-by-side",)),
        (["kinesis", "triggers"], ("triggers", "kinesis")),
    ],
)
def test_a_hold_is_none_side_by_side_or_setting_names_in_apply_order(given: str | list[str], read: tuple) -> None:
    assert parse_hold(given) == read


def test_a_hold_that_mixes_words_and_names_or_names_no_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="side-by-side cannot be combined with setting names"):
        parse_hold(["side-by-side", "ttl"])
    with pytest.raises(ValueError, match="unknown settings: speed"):
        parse_hold(["ttl", "speed"])


def test_the_deployment_parameter_is_read_once_and_refused_when_wrong() -> None:
    assert Config.from_env({}).hold == ()
    assert Config.from_env({"HOLD_SETTINGS": "side-by-side"}).hold == ("side-by-side",)
    assert Config.from_env({"HOLD_SETTINGS": "triggers"}).hold == ("triggers",)
    with pytest.raises(ConfigurationError, match="deployment parameter HoldSettings: none cannot be combined"):
        Config.from_env({"HOLD_SETTINGS": "none,ttl"})


def test_side_by_side_holds_what_acts_beyond_the_table_only_while_the_source_exists() -> None:
    assert sorted(held_settings(("side-by-side",), source_exists=True)) == ["kinesis", "triggers", "ttl"]
    assert held_settings(("side-by-side",), source_exists=False) == {}
    assert held_settings((), source_exists=True) == {}
    assert sorted(held_settings(("ttl", "alarms"), source_exists=False)) == ["alarms", "ttl"]


def test_a_setting_whose_need_is_held_is_held_too() -> None:
    held = held_settings(("stream",), source_exists=True)
    assert held["triggers"] == "it needs stream, which is held"


def test_the_plan_holds_what_the_request_holds_with_the_state_activation_will_give() -> None:
    reasons = held_reasons(request(("side-by-side",)), source_exists=True, stack_name="restore-sync")
    items = {item.setting: item for item in plan_settings(tuple(DOCUMENT["settings"]), DOCUMENT, RETARGET, reasons)}
    assert {name: item.status for name, item in items.items()} == {
        "stream": "pending",
        "ttl": "held",
        "pitr": "pending",
        "triggers": "held",
        "kinesis": "held",
    }
    assert items["triggers"].wanted == {"mappings": [MAPPING]}, "the source's state, enabled as it is there"
    assert items["ttl"].reason == (
        "not applied, so that items already expired at the restore point are not deleted, because the source table "
        "still exists (hold side-by-side); apply it with: restore-sync activate --target orders-restored"
    )


def test_the_activate_command_names_a_deployment_that_is_not_the_default() -> None:
    assert activate_command("t1") == "restore-sync activate --target t1"
    assert activate_command("t1", "rs-prod") == "restore-sync activate --target t1 --stack-name rs-prod"
    reasons = held_reasons(request(("ttl",)), source_exists=True, stack_name="rs-prod")
    assert reasons["ttl"].endswith("apply it with: restore-sync activate --target orders-restored --stack-name rs-prod")


def test_an_activation_selects_what_is_held_and_what_it_needs() -> None:
    assert activation_settings(["kinesis", "triggers", "ttl"]) == ["stream", "ttl", "triggers", "kinesis"]
    assert activation_settings(["ttl"]) == ["ttl"]


def report(**statuses: str) -> dict:
    return {"settings": {name: {"status": status, "reason": "r"} for name, status in statuses.items()}}


def test_what_is_still_held_is_what_the_newest_report_that_settled_it_held() -> None:
    holding = report(stream="applied", ttl="held", triggers="held", kinesis="held")
    assert still_held([holding]) == ["ttl", "triggers", "kinesis"]
    # An activation that applied the triggers and failed on the rest leaves those waiting.
    partial = report(stream="unchanged", ttl="failed", triggers="applied", kinesis="failed")
    assert still_held([partial, holding]) == ["ttl", "kinesis"]
    assert still_held([report(ttl="applied", kinesis="unchanged"), partial, holding]) == []
    assert still_held([{"outcome": "ignored", "settings": {}}, holding]) == ["ttl", "triggers", "kinesis"]
    assert still_held([]) == []


def test_status_says_what_is_held_and_the_command_that_applies_it() -> None:
    reasons = held_reasons(request(("side-by-side",)), source_exists=True, stack_name="restore-sync")
    shown = {"settings": {name: {"status": "held", "reason": why} for name, why in reasons.items()}}
    assert held_summary(shown) == (
        "held: triggers, kinesis, ttl; apply them with: restore-sync activate --target orders-restored"
    )
    assert held_summary(report(ttl="applied")) is None


def test_every_setting_can_be_named() -> None:
    assert parse_hold(list(NAMES)) == NAMES


def test_side_by_side_asks_whether_the_source_table_exists_now() -> None:
    side_by_side = request(("side-by-side",))
    same_name = Request.for_tables(
        SOURCE,
        SOURCE,
        trigger="manual",
        settings=(),
        dry_run=False,
        requested_at="2026-11-20T10:00:00Z",
        hold=("side-by-side",),
        settings_from="auto",
    )
    with mock_aws():
        aws = Aws(region="us-east-1")
        assert source_exists(aws, side_by_side) is False
        boto3.client("dynamodb", region_name="us-east-1").create_table(
            TableName=SOURCE.name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        assert source_exists(aws, side_by_side) is True
        assert source_exists(aws, same_name) is False, "restored under its own name: the table is the restored one"


def test_a_trigger_held_with_its_stream_gets_nothing_while_it_waits_and_otherwise_is_disabled() -> None:
    wanted = {"mappings": [MAPPING]}
    assert meanwhile(request(("stream", "triggers")), "triggers", wanted) is None
    assert meanwhile(request(("triggers",)), "triggers", wanted) == {"mappings": [{**MAPPING, "enabled": False}]}
    assert meanwhile(request(("side-by-side",)), "triggers", wanted) == {"mappings": [{**MAPPING, "enabled": False}]}
    assert meanwhile(request(("side-by-side",)), "ttl", {"enabled": True, "attributeName": "x"}) is None
