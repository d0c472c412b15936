"""What the deployment says about settings follows the registry: their names, and the permissions to read them.

template.yaml and the published input schema are files AWS and users read as they are, so they cannot be made
from the registry; these tests hold them equal to it and name what to add when a setting is added.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from restore_sync import schemas
from restore_sync.settings import NAMES, READ_ACTIONS, REGISTRY
from restore_sync.settings.base import Setting
from restore_sync.settings.triggers import DECRYPT_ACTION
from restore_sync.workflow.hold import NONE, SIDE_BY_SIDE
from tests.template.template_artefacts import as_list, ref_target, resources_of_type, role_statements

# The functions that read settings (settings_document or verify): the source, the target, the settings history.
SETTINGS_READERS = ("ReadSourceFunction", "VerifyFunction", "SnapshotFunction")
# CloudFormation's resource handlers read back what they set (the table's TTL, backups, insights, Kinesis
# destination, tags and policy, scaling targets, mappings, alarms) with the role the governance stacks run as.
STACK_ROLE = "CloudFormationRole"
# Apply setting reads what a setting would create that exists already, to adopt it (Setting.existing reads).
ADOPTERS = tuple(name for name in NAMES if type(REGISTRY[name]).existing is not Setting.existing)
APPLY = "ApplySettingFunction"


def function_role(transformed: dict[str, Any], function: str) -> str:
    role = ref_target(resources_of_type(transformed, "AWS::Lambda::Function")[function]["Properties"]["Role"])
    assert role is not None, f"{function} has no role of its own"
    return role[0]


def on_every_resource_of_its_kind(statement: dict[str, Any]) -> bool:
    """Whether the statement reaches every table (stream, alarm...) rather than one named resource."""
    resources = [r["Fn::Sub"] if isinstance(r, dict) and "Fn::Sub" in r else r for r in as_list(statement["Resource"])]
    return any(isinstance(r, str) and (r == "*" or r.endswith(("/*", ":*"))) for r in resources)


def read_actions_granted(transformed: dict[str, Any], role: str) -> set[str]:
    return {
        action
        for holder, statement in role_statements(transformed)
        if holder == role and on_every_resource_of_its_kind(statement)
        for action in as_list(statement["Action"])
    }


def test_settings_parameter_offers_the_registrys_names_in_apply_order(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["Settings"]
    assert parameter["AllowedValues"] == list(NAMES), "template.yaml Settings.AllowedValues: one line per name"
    assert str(parameter["Default"]).split(",") == list(NAMES), f"template.yaml Settings.Default: {','.join(NAMES)}"


def test_input_schema_accepts_exactly_the_registrys_names() -> None:
    enum = schemas.schema(schemas.MANUAL_INPUT)["properties"]["settings"]["items"]["enum"]
    assert enum == list(NAMES), "functions/restore_sync/schemas/execution-input.schema.json: properties.settings"


def test_hold_offers_its_words_and_the_registrys_names_in_the_template_and_the_input_schema(
    template: dict[str, Any],
) -> None:
    parameter = template["Parameters"]["HoldSettings"]
    assert parameter["AllowedValues"] == [NONE, SIDE_BY_SIDE, *NAMES], "template.yaml HoldSettings.AllowedValues"
    assert parameter["Default"] == NONE
    hold = schemas.schema(schemas.MANUAL_INPUT)["properties"]["hold"]
    assert hold["then"]["enum"] == [NONE, SIDE_BY_SIDE]
    assert hold["else"]["items"]["enum"] == list(NAMES), "execution-input.schema.json: properties.hold"


@pytest.mark.parametrize("function", SETTINGS_READERS)
def test_a_function_that_reads_settings_may_call_every_settings_read(
    transformed: dict[str, Any], function: str
) -> None:
    missing = sorted(set(READ_ACTIONS) - read_actions_granted(transformed, function_role(transformed, function)))
    assert missing == [], f"template.yaml: grant {function} these actions on every table (or *)"


def test_apply_setting_may_read_every_setting_that_adopts_existing_resources(transformed: dict[str, Any]) -> None:
    assert set(ADOPTERS) == {"autoscaling", "alarms", "triggers"}
    needed = {action for name in ADOPTERS for action in REGISTRY[name].reads}
    missing = sorted(needed - read_actions_granted(transformed, function_role(transformed, APPLY)))
    assert missing == [], f"template.yaml: grant {APPLY} these actions on every table (or *)"


def test_the_governance_stacks_role_may_call_every_settings_read(transformed: dict[str, Any]) -> None:
    missing = sorted(set(READ_ACTIONS) - read_actions_granted(transformed, STACK_ROLE))
    assert missing == [], f"template.yaml: grant {STACK_ROLE} these actions"


def decrypt_grants(transformed: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [
        statement
        for holder, statement in role_statements(transformed)
        if holder == role and DECRYPT_ACTION in as_list(statement["Action"])
    ]


@pytest.mark.parametrize("role", [*SETTINGS_READERS, APPLY, STACK_ROLE])
def test_trigger_filters_encrypted_with_a_customer_managed_key_are_decrypted_through_lambda_only(
    transformed: dict[str, Any], role: str
) -> None:
    """Reading a trigger's encrypted filter criteria needs kms:Decrypt on its key: granted on the account's keys,
    and only for what Lambda asks on the caller's behalf (kms:ViaService), never to decrypt directly."""
    if role != STACK_ROLE:
        role = function_role(transformed, role)
    grants = decrypt_grants(transformed, role)
    assert grants, f"template.yaml: grant {role} {DECRYPT_ACTION} on the account's keys through Lambda"
    for statement in grants:
        conditions = statement.get("Condition", {})
        via = [keys["kms:ViaService"] for keys in conditions.values() if "kms:ViaService" in keys]
        assert len(via) == 1, statement
        [service] = via
        text = service["Fn::Sub"] if isinstance(service, dict) else service
        assert re.fullmatch(r"lambda\.(\*|\$\{AWS::Region\})\.amazonaws\.com", text), statement
        assert all(":kms:" in str(r) and ":key/*" in str(r) for r in as_list(statement["Resource"])), statement


@pytest.mark.parametrize(
    ("resource", "everything"),
    [
        ("*", True),
        ({"Fn::Sub": "arn:${AWS::Partition}:dynamodb:*:${AWS::AccountId}:table/*"}, True),
        ({"Fn::Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*"}, True),
        ({"Fn::GetAtt": ["SettingsHistoryTable", "Arn"]}, False),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/orders", False),
    ],
)
def test_a_grant_on_one_named_resource_does_not_count_as_reading_every_table(resource: Any, everything: bool) -> None:
    assert on_every_resource_of_its_kind({"Effect": "Allow", "Action": "x:Y", "Resource": resource}) is everything
