"""Per setting: the template fragment (pure), the plan, and the diff used by verify."""

from __future__ import annotations

import pkgutil
import re
from typing import Any

import pytest

from restore_sync import settings
from restore_sync.aws import TableRef
from restore_sync.settings import NAMES, REGISTRY, Retarget, ordered
from restore_sync.workflow.plan import plan_settings

TARGET: dict[str, Any] = {"name": "orders-restored", "billingMode": "PAY_PER_REQUEST"}
RETARGET = Retarget(
    source=TableRef("orders", "us-east-1", "123456789012"),
    target=TableRef("orders-restored", "us-east-1", "123456789012"),
    target_table=TARGET,
)


def fragment(name: str, state: dict[str, Any]) -> dict[str, Any]:
    result = REGISTRY[name].fragment(state, TARGET)
    assert not result.resources
    return result.properties


# The setting names of the contract (design.md): the registry may gain settings, never lose or rename these.
CONTRACT = (
    "tags",
    "stream",
    "ttl",
    "pitr",
    "deletion_protection",
    "triggers",
    "kinesis",
    "autoscaling",
    "contributor_insights",
    "alarms",
    "resource_policy",
    "table_class",
)
# The modules of the settings package that are not settings.
NOT_SETTINGS = {"base", "document"}


def test_every_settings_module_is_one_registered_setting_of_its_own_name() -> None:
    modules = {info.name for info in pkgutil.iter_modules(settings.__path__)} - NOT_SETTINGS
    assert sorted(NAMES) == sorted(modules)
    for name, setting in REGISTRY.items():
        assert (setting.name, type(setting).__module__) == (name, f"restore_sync.settings.{name}")


def test_registry_applies_a_setting_after_the_ones_it_needs_keeps_the_contract_order_and_the_policy_last() -> None:
    for position, name in enumerate(NAMES):
        assert set(REGISTRY[name].needs) <= set(NAMES[:position]), f"{name} comes before what it needs"
    # A copied resource policy may lock restore-sync out of the table: nothing may come after it.
    assert NAMES[-1] == "resource_policy"
    assert [name for name in NAMES if name in CONTRACT] == [n for n in CONTRACT if n != "resource_policy"] + [
        "resource_policy"
    ]
    assert ordered(["pitr", "tags"]) == ["tags", "pitr"]
    with pytest.raises(KeyError, match="nope"):
        ordered(["nope"])


def test_every_setting_declares_its_read_permissions_as_iam_actions() -> None:
    for name, setting in REGISTRY.items():
        assert setting.reads, f"{name} declares no read permission"
        assert all(re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9]+", action) for action in setting.reads), name


def test_tags_fragment() -> None:
    tags = [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    assert fragment("tags", {"tags": tags}) == {"Tags": tags}
    assert fragment("tags", {"tags": []}) == {}


def test_stream_fragment() -> None:
    assert fragment("stream", {"enabled": True, "viewType": "KEYS_ONLY"}) == {
        "StreamSpecification": {"StreamViewType": "KEYS_ONLY"}
    }
    assert fragment("stream", {"enabled": False, "viewType": None}) == {}


def test_ttl_fragment() -> None:
    assert fragment("ttl", {"enabled": True, "attributeName": "expires"}) == {
        "TimeToLiveSpecification": {"AttributeName": "expires", "Enabled": True}
    }
    assert fragment("ttl", {"enabled": False, "attributeName": None}) == {}


def test_pitr_fragment_keeps_the_recovery_period() -> None:
    assert fragment("pitr", {"enabled": True, "recoveryPeriodInDays": 7}) == {
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7}
    }
    assert fragment("pitr", {"enabled": True, "recoveryPeriodInDays": None}) == {
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}
    }
    assert fragment("pitr", {"enabled": False, "recoveryPeriodInDays": None}) == {}


def test_deletion_protection_fragment() -> None:
    assert fragment("deletion_protection", {"enabled": True}) == {"DeletionProtectionEnabled": True}
    assert fragment("deletion_protection", {"enabled": False}) == {}


def test_diff_reports_wanted_and_found() -> None:
    diff = REGISTRY["ttl"].diff({"enabled": True, "attributeName": "x"}, {"enabled": False, "attributeName": None})
    assert diff == [
        {
            "setting": "ttl",
            "wanted": {"enabled": True, "attributeName": "x"},
            "found": {"enabled": False, "attributeName": None},
        }
    ]
    assert (
        REGISTRY["ttl"].diff({"enabled": False, "attributeName": None}, {"enabled": False, "attributeName": None}) == []
    )


def test_plan_orders_selected_settings_and_carries_the_wanted_state() -> None:
    source = {"settings": {"ttl": {"enabled": True, "attributeName": "x"}, "tags": {"tags": []}}}
    items = [item.to_dict() for item in plan_settings(["ttl", "tags"], source, RETARGET)]
    assert items == [
        {"setting": "tags", "status": "pending", "wanted": {"tags": []}},
        {"setting": "ttl", "status": "pending", "wanted": {"enabled": True, "attributeName": "x"}},
    ]


def test_plan_skips_triggers_without_stream_and_autoscaling_on_demand() -> None:
    source = {"settings": {"triggers": {"mappings": []}, "autoscaling": {"targets": []}}}
    items = [item.to_dict() for item in plan_settings(["triggers", "autoscaling"], source, RETARGET)]
    assert items == [
        {"setting": "triggers", "status": "skipped", "reason": "needs stream, which is not selected"},
        {
            "setting": "autoscaling",
            "status": "skipped",
            "reason": "the target is on-demand (PAY_PER_REQUEST): auto scaling applies to provisioned capacity only",
        },
    ]
