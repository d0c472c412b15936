"""The replicas setting: the option parsed and checked, the regions chosen, each replica's settings retargeted and
templated, why it is skipped, and drift named per replica."""

from __future__ import annotations

from typing import Any

import pytest

from restore_sync.aws import TableRef
from restore_sync.contracts import Request
from restore_sync.settings import NAMES, Retarget
from restore_sync.settings.replicas import AS_SOURCE, PER_REPLICA, SETTING, chosen_regions, parse_replicas
from restore_sync.workflow.global_table import PER_REPLICA as PER_REPLICA_PROPERTIES
from restore_sync.workflow.global_table import to_global
from restore_sync.workflow.plan import plan_settings, retarget_for

SOURCE = TableRef("orders", "us-east-1", "123456789012")
TARGET = TableRef("orders-restored", "us-east-1", "123456789012")


def policy(table: str, region: str) -> dict[str, Any]:
    arn = f"arn:aws:dynamodb:{region}:123456789012:table/{table}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "*", "Resource": arn}
        ],
    }


def replica_settings(region: str, team: str, pitr: bool) -> dict[str, Any]:
    return {
        "tags": {"tags": [{"Key": "team", "Value": team}]},
        "pitr": {"enabled": pitr, "recoveryPeriodInDays": 7 if pitr else None},
        "deletion_protection": {"enabled": True},
        "contributor_insights": {"table": False, "tableMode": None, "indexes": [], "indexModes": {}},
        "kinesis": {"destinations": []},
        "table_class": {"tableClass": "STANDARD"},
        "on_demand_throughput": {"table": {"MaxReadRequestUnits": 30}, "indexes": {}},
        "resource_policy": {"policy": policy("orders", region)},
    }


def source_state(consistency: str | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {
        "replicas": [
            {"region": region, "settings": replica_settings(region, team, pitr)}
            for region, team, pitr in (
                ("eu-west-1", "eu", True),
                ("us-east-1", "home", False),
                ("us-west-2", "west", False),
            )
        ]
    }
    if consistency:
        state["consistency"] = consistency
    return state


def target_doc(billing: str = "PAY_PER_REQUEST") -> dict[str, Any]:
    return {"name": TARGET.name, "billingMode": billing, "globalSecondaryIndexes": []}


def retarget(replicas: tuple[str, ...]) -> Retarget:
    return Retarget(source=SOURCE, target=TARGET, target_table=target_doc(), replicas=replicas)


@pytest.mark.parametrize(
    ("given", "parsed"),
    [
        ("none", ()),
        (["none"], ()),
        ([], ()),
        ("as-source", (AS_SOURCE,)),
        (["us-west-2", "eu-west-1"], ("eu-west-1", "us-west-2")),
        (["cn-north-1"], ("cn-north-1",)),
        (["us-gov-west-1"], ("us-gov-west-1",)),
    ],
)
def test_the_option_reads_as_none_as_source_or_regions(given: Any, parsed: tuple[str, ...]) -> None:
    assert parse_replicas(given, "us-east-1") == parsed


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        (["us-east-1"], "us-east-1 is the target's own region"),
        (["eu-west-1", "eu-west-1"], "given more than once: eu-west-1"),
        (["EU-WEST-1"], "not a region name: EU-WEST-1"),
        (["eu-west-1\n"], "not a region name"),
        (["mars-north-1"], "not a region name: mars-north-1"),
        (["as-source", "eu-west-1"], "as-source cannot be combined with region names"),
    ],
)
def test_a_wrong_option_is_refused_saying_what_is_wrong(given: list[str], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_replicas(given, "us-east-1")


def test_as_source_is_the_sources_regions_but_the_targets_own() -> None:
    assert chosen_regions((AS_SOURCE,), ["eu-west-1", "us-east-1", "us-west-2"], "us-east-1") == [
        "eu-west-1",
        "us-west-2",
    ]
    assert chosen_regions(("ap-south-1",), ["eu-west-1"], "us-east-1") == ["ap-south-1"]


def test_each_chosen_replica_gets_the_settings_of_the_sources_replica_there_retargeted() -> None:
    wanted = SETTING.wanted(source_state(), retarget((AS_SOURCE,)))
    assert [r["region"] for r in wanted["replicas"]] == ["eu-west-1", "us-west-2"]
    eu = wanted["replicas"][0]["settings"]
    assert eu["tags"] == {"tags": [{"Key": "team", "Value": "eu"}]}
    assert eu["pitr"]["enabled"] is True
    # The source's replica's ARN becomes the target's replica's, in that region.
    assert eu["resource_policy"]["policy"]["Statement"][0]["Resource"] == (
        "arn:aws:dynamodb:eu-west-1:123456789012:table/orders-restored"
    )


def test_a_listed_region_without_a_source_replica_gets_a_replica_of_no_settings_of_its_own() -> None:
    wanted = SETTING.wanted(source_state(), retarget(("ap-south-1", "us-west-2")))
    assert wanted["replicas"][0] == {"region": "ap-south-1", "settings": {}}
    assert wanted["replicas"][1]["settings"]["tags"] == {"tags": [{"Key": "team", "Value": "west"}]}


def test_the_fragment_states_each_replica_in_table_properties_that_translate_per_replica() -> None:
    wanted = SETTING.wanted(source_state(), retarget((AS_SOURCE,)))
    fragment = SETTING.fragment(wanted, target_doc())
    replicas = fragment.properties["Replicas"]
    assert [r["Region"] for r in replicas] == ["eu-west-1", "us-west-2"]
    assert replicas[0]["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True,
        "RecoveryPeriodInDays": 7,
    }
    assert "PointInTimeRecoverySpecification" not in replicas[1]
    converted = to_global(
        {"TableName": TARGET.name, "BillingMode": "PAY_PER_REQUEST", "Replicas": replicas}, "us-east-1"
    )
    eu = converted["Replicas"][1]
    assert eu["Region"] == "eu-west-1"
    assert eu["ReadOnDemandThroughputSettings"] == {"MaxReadRequestUnits": 30}
    assert eu["DeletionProtectionEnabled"] is True
    assert set(eu) - {"Region", "ReadOnDemandThroughputSettings"} <= set(PER_REPLICA_PROPERTIES)


def test_no_chosen_replica_is_an_empty_fragment() -> None:
    assert SETTING.fragment({"replicas": []}, target_doc()).empty


def test_it_is_skipped_unless_asked_for_and_for_a_strongly_consistent_source() -> None:
    assert "replicas is none" in (SETTING.not_chosen(source_state(), retarget(())) or "")
    assert SETTING.not_chosen(source_state(), retarget((AS_SOURCE,))) is None
    why = SETTING.not_chosen(source_state("STRONG"), retarget((AS_SOURCE,))) or ""
    assert "MultiRegionConsistency STRONG" in why
    assert "only while it is empty" in why


def test_it_does_not_apply_to_a_provisioned_or_kms_encrypted_target() -> None:
    assert "provisioned" in (SETTING.not_applicable(target_doc("PROVISIONED")) or "")
    assert "KMS key" in (SETTING.not_applicable({**target_doc(), "sse": {"SSEEnabled": True}}) or "")
    assert SETTING.not_applicable(target_doc()) is None


def test_drift_names_the_replica_and_its_setting() -> None:
    wanted = SETTING.wanted(source_state(), retarget((AS_SOURCE,)))
    assert SETTING.diff(wanted, wanted) == []
    found = {"replicas": [dict(wanted["replicas"][0])]}
    found["replicas"][0] = {
        "region": "eu-west-1",
        "settings": {**wanted["replicas"][0]["settings"], "tags": {"tags": []}},
    }
    drift = SETTING.diff(wanted, found)
    assert [(d["region"], d.get("replicaSetting")) for d in drift] == [("eu-west-1", "tags"), ("us-west-2", None)]
    assert drift[1]["found"] is None


def request(replicas: tuple[str, ...] | None) -> Request:
    return Request.for_tables(
        TARGET,
        SOURCE,
        trigger="manual",
        settings=NAMES,
        dry_run=False,
        requested_at="2026-01-01T00:00:00Z",
        hold=(),
        settings_from="auto",
        replicas=replicas or (),
    )


def test_the_plan_skips_replicas_by_default_and_plans_them_when_asked() -> None:
    document = {"settings": {"replicas": source_state()}}
    [skipped] = plan_settings(["replicas"], document, retarget_for(request(None), target_doc()))
    assert skipped.status == "skipped"
    assert "replicas is none" in (skipped.reason or "")
    [planned] = plan_settings(["replicas"], document, retarget_for(request((AS_SOURCE,)), target_doc()))
    assert planned.status == "pending"
    assert [r["region"] for r in (planned.wanted or {})["replicas"]] == ["eu-west-1", "us-west-2"]


def test_a_request_without_replicas_writes_none_and_reads_back_equal() -> None:
    assert "replicas" not in request(None).to_dict()
    asked = request((AS_SOURCE,))
    assert asked.to_dict()["replicas"] == [AS_SOURCE]
    assert Request.from_dict(asked.to_dict()) == asked


def test_every_per_replica_setting_is_a_registered_setting() -> None:
    assert sorted(set(PER_REPLICA) - set(NAMES)) == []


@pytest.mark.parametrize(
    ("replicas", "problem"),
    [
        ("everywhere", "replicas: 'everywhere' is not one of ['none', 'as-source']"),
        (["eu-west-1", "eu-west-1"], "has non-unique elements"),
        (["eu-west-1", "EU"], "replicas.1: 'EU' does not match"),
        ([], "should be non-empty"),
    ],
)
def test_the_published_schema_refuses_a_malformed_replicas_field(replicas: Any, problem: str) -> None:
    from restore_sync.workflow.request import input_problems

    problems = input_problems({"targetTableName": TARGET.name, "sourceTableName": SOURCE.name, "replicas": replicas})
    assert any(problem in p for p in problems), problems


def test_a_well_formed_replicas_field_passes_the_schema() -> None:
    from restore_sync.workflow.request import input_problems

    for replicas in ("none", "as-source", ["eu-west-1", "us-west-2"]):
        assert (
            input_problems({"targetTableName": TARGET.name, "sourceTableName": SOURCE.name, "replicas": replicas}) == []
        )


def test_the_deployments_replicas_are_checked_against_its_own_region() -> None:
    from restore_sync.errors import ConfigurationError
    from restore_sync.handlers.config import Config

    assert Config.from_env({"REPLICAS": "none"}).replicas == ()
    assert Config.from_env({"REPLICAS": "eu-west-1,us-west-2", "AWS_REGION": "us-east-1"}).replicas == (
        "eu-west-1",
        "us-west-2",
    )
    with pytest.raises(ConfigurationError, match="Replicas: us-east-1 is the target's own region"):
        Config.from_env({"REPLICAS": "us-east-1", "AWS_REGION": "us-east-1"})
