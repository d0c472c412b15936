"""CloudFormationRole, the governance stacks' service role, held against AWS's machine-readable definitions.

cfn-lint ships both definitions this test reads. IAM's (`AdditionalSpecs/Policies.json`): per service its actions,
each action's resource types, and each resource type's ARN formats and condition keys. The CloudFormation
registry's (`schemas/providers/us-east-1.json` names each type's schema in `schemas/resources/`): the permissions
each resource handler calls; CloudFormation calls them with this role, and a missing one fails the stack operation.
IAM's definition has no action-level condition keys (a service's own keys, or the request-tag keys): the few the
role uses are in ACTION_CONDITION_KEYS below, copied from the Service Authorization Reference.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.resources import files
from typing import Any

import pytest
from cfnlint.data import AdditionalSpecs, schemas

from tests.template.template_artefacts import FUNCTIONS, as_list, policy_statements, resolved

ROLE = "CloudFormationRole"

# Condition keys every action supports (IAM User Guide, "AWS global condition context keys"); the tag keys are not
# among them: aws:ResourceTag is a resource type's key, aws:RequestTag and aws:TagKeys an action's.
GLOBAL_CONDITION_KEYS = frozenset(
    {
        "aws:CalledVia",
        "aws:CalledViaFirst",
        "aws:CalledViaLast",
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalOrgID",
        "aws:RequestedRegion",
        "aws:ResourceAccount",
        "aws:SecureTransport",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:ViaAWSService",
    }
)
# Action-level condition keys of the actions the role conditions, which cfn-lint's IAM data does not carry: the
# "Condition keys" column of each service's Actions table in the Service Authorization Reference.
ACTION_CONDITION_KEYS: dict[str, frozenset[str]] = {
    "lambda:CreateEventSourceMapping": frozenset({"lambda:FunctionArn", "aws:RequestTag/${TagKey}", "aws:TagKeys"}),
    "lambda:GetEventSourceMapping": frozenset({"lambda:FunctionArn"}),
    "lambda:UpdateEventSourceMapping": frozenset({"lambda:FunctionArn"}),
    "lambda:DeleteEventSourceMapping": frozenset({"lambda:FunctionArn"}),
    **{
        f"application-autoscaling:{action}": frozenset(
            {"application-autoscaling:service-namespace", "application-autoscaling:scalable-dimension"}
        )
        for action in (
            "DeregisterScalableTarget",
            "PutScalingPolicy",
            "DeleteScalingPolicy",
            "PutScheduledAction",
            "DeleteScheduledAction",
        )
    },
    "application-autoscaling:RegisterScalableTarget": frozenset(
        {
            "application-autoscaling:service-namespace",
            "application-autoscaling:scalable-dimension",
            "aws:RequestTag/${TagKey}",
            "aws:TagKeys",
        }
    ),
    "kms:CreateGrant": frozenset(
        {
            "kms:CallerAccount",
            "kms:EncryptionContext:${EncryptionContextKey}",
            "kms:EncryptionContextKeys",
            "kms:GrantConstraintType",
            "kms:GranteePrincipal",
            "kms:GrantIsForAWSResource",
            "kms:GrantOperations",
            "kms:RetiringPrincipal",
            "kms:ViaService",
        }
    ),
    "kms:RevokeGrant": frozenset({"kms:CallerAccount", "kms:GrantIsForAWSResource", "kms:ViaService"}),
    **dict.fromkeys(
        ("kms:Decrypt", "kms:GenerateDataKey"),
        frozenset(
            {
                "kms:CallerAccount",
                "kms:EncryptionAlgorithm",
                "kms:EncryptionContext:${EncryptionContextKey}",
                "kms:EncryptionContextKeys",
                "kms:RequestAlias",
                "kms:ViaService",
            }
        ),
    ),
    "iam:CreateServiceLinkedRole": frozenset({"iam:AWSServiceName"}),
}
# Actions the role grants on "*" although IAM defines a resource type for them, each with why no ARN can do.
ON_EVERY_RESOURCE = {
    "cloudwatch:GetMetricData": (
        "reads metrics (a scaling policy's), which have no ARN; its one resource type is a CloudWatch dataset, which "
        "no handler reads"
    ),
}

# The resource types restore-sync puts in a governance stack, and the handlers CloudFormation calls for them.
# The table is imported (read) and updated, never created, and never deleted: it is retained (DeletionPolicy).
HANDLERS_CALLED = {
    "AWS::DynamoDB::Table": ("read", "update"),
    # A table given replicas is imported again as a global table (restore_sync.workflow.global_table) and updated.
    "AWS::DynamoDB::GlobalTable": ("read", "update"),
    # Holds the stack while its table is out of it, during that conversion; it has no properties and no handlers.
    "AWS::CloudFormation::WaitConditionHandle": (),
    "AWS::Lambda::EventSourceMapping": ("create", "read", "update", "delete"),
    "AWS::ApplicationAutoScaling::ScalableTarget": ("create", "read", "update", "delete"),
    "AWS::ApplicationAutoScaling::ScalingPolicy": ("create", "read", "update", "delete"),
    "AWS::CloudWatch::Alarm": ("create", "read", "update", "delete"),
}
_ITEMS = "no property restore-sync sets reads or writes items: the role never touches a table's data"
_REPLICAS = "replicas are not set: a restored table is a single-region table"
# Permissions the handlers list that no property restore-sync sets makes them call, each with why; the role lacks them.
NOT_NEEDED = {
    "AWS::DynamoDB::Table": {
        "dynamodb:CreateTable": "the table is imported, never created",
        "dynamodb:CreateTableReplica": _REPLICAS,
        "dynamodb:AssociateTableReplica": _REPLICAS,
        **dict.fromkeys(
            (
                "dynamodb:Scan",
                "dynamodb:Query",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:BatchWriteItem",
            ),
            _ITEMS,
        ),
    },
    "AWS::DynamoDB::GlobalTable": {
        "dynamodb:Describe*": (
            "a wildcard: the role grants by name each Describe action the properties restore-sync sets are read back "
            "with (ReadTables, GovernReplicas)"
        ),
        "application-autoscaling:Describe*": (
            "a wildcard: the role grants by name each Describe action of auto scaling (ListWhatHasNoResourceType)"
        ),
        **dict.fromkeys(
            ("dynamodb:DeleteTable", "dynamodb:DeleteTableReplica", "dynamodb:DisassociateTableReplica"),
            "replicas are added, never removed, and the role never deletes a table (DenyDeletingTables)",
        ),
        "cloudwatch:PutMetricData": (
            "the handler's metrics about its own calls, published by CloudFormation's handler framework; nothing "
            "restore-sync sets depends on them, and the role grants no CloudWatch write but its alarms'"
        ),
        "dynamodb:UpdateTableReplicaAutoScaling": (
            "replicas are made for on-demand tables only (settings/replicas.py): no replica is auto scaled"
        ),
    },
    "AWS::ApplicationAutoScaling::ScalableTarget": {
        "iam:PassRole": "RoleARN is not set: Application Auto Scaling uses DynamoDB's service-linked role",
        **dict.fromkeys(
            (
                "lambda:GetProvisionedConcurrencyConfig",
                "lambda:PutProvisionedConcurrencyConfig",
                "lambda:DeleteProvisionedConcurrencyConfig",
            ),
            "provisioned concurrency of Lambda functions: restore-sync scales DynamoDB tables and indexes only",
        ),
    },
}
# Where the settings name the resource types they add, and where the table's own template is made.
TEMPLATE_SOURCES = (
    *sorted((FUNCTIONS / "restore_sync" / "settings").glob("*.py")),
    FUNCTIONS / "restore_sync" / "table.py",
    FUNCTIONS / "restore_sync" / "workflow" / "global_table.py",
)
RESOURCE_TYPE = re.compile(r'"(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)"')
# Calls that change a table, a mapping, a scalable target or an alarm: any but these read-only verbs.
READ_ONLY = ("Describe", "Get", "List")


@cache
def iam_definitions() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((files(AdditionalSpecs) / "Policies.json").read_text(encoding="utf-8"))
    return loaded


@cache
def handler_permissions(type_name: str) -> dict[str, frozenset[str]]:
    """The permissions of each handler (create, read, update, delete, list) of a type's registry schema."""
    providers = json.loads((files(schemas) / "providers" / "us-east-1.json").read_text(encoding="utf-8"))
    schema = json.loads((files(schemas) / "resources" / f"{providers[type_name]}.json").read_text(encoding="utf-8"))
    # A type the registry has no handlers for (the conversion's AWS::CloudFormation::WaitConditionHandle) calls nothing.
    return {name: frozenset(handler.get("permissions", [])) for name, handler in schema.get("handlers", {}).items()}


def needed(type_name: str, *handlers: str) -> frozenset[str]:
    """What the handlers called for a type (all of them by default) call for the properties restore-sync sets."""
    permissions = handler_permissions(type_name)
    listed = frozenset().union(*(permissions[handler] for handler in handlers or HANDLERS_CALLED[type_name]))
    return listed - set(NOT_NEEDED.get(type_name, {}))


def action_definition(action: str) -> dict[str, Any] | None:
    service, _, name = action.partition(":")
    found: dict[str, Any] | None = iam_definitions().get(service, {}).get("Actions", {}).get(name.lower())
    return found


def resource_types(action: str) -> list[dict[str, Any]]:
    """The definitions (ARN formats, condition keys) of the resource types `action` acts on; none: only "*"."""
    definition = action_definition(action)
    assert definition is not None, f"{action} is not an IAM action"
    service = iam_definitions()[action.partition(":")[0]]
    return [service["Resources"][name.lower()] for name in definition.get("Resources", [])]


def supports(action: str, key: str) -> bool:
    """Whether `action` supports condition key `key` (`${TagKey}` in a definition stands for any tag key)."""
    offered = set(GLOBAL_CONDITION_KEYS) | set(ACTION_CONDITION_KEYS.get(action, ()))
    for resource_type in resource_types(action):
        offered.update(resource_type.get("ConditionKeys", []))
    return any(re.fullmatch(re.escape(o).replace(re.escape("${TagKey}"), r"[^/]+"), key) for o in offered)


def arn_matches(arn: str, arn_format: str) -> bool:
    """Whether a concrete ARN has the shape of an IAM ARN format (`${Partition}` and the like stand for one part)."""
    pattern = re.sub(r"\$\{[A-Za-z]+\}", "[^:]*", arn_format)
    return re.fullmatch(pattern, arn) is not None


def role_policy(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement of the role's own policies (Allow and Deny)."""
    return [statement for where, statement in policy_statements(template) if where.startswith(f"{ROLE}.Policies[")]


def allowed(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [statement for statement in role_policy(template) if statement["Effect"] == "Allow"]


def granted_actions(template: dict[str, Any]) -> set[str]:
    return {action for statement in allowed(template) for action in as_list(statement["Action"])}


def statement(template: dict[str, Any], sid: str) -> dict[str, Any]:
    [found] = [s for s in role_policy(template) if s.get("Sid") == sid]
    return found


def condition_keys(statement: dict[str, Any]) -> set[str]:
    return {key for keys in statement.get("Condition", {}).values() for key in keys}


def test_every_action_the_role_names_is_an_iam_action(template: dict[str, Any]) -> None:
    named = {action for s in role_policy(template) for action in as_list(s["Action"])}
    assert sorted(action for action in named if action_definition(action) is None) == []


def test_every_condition_key_is_supported_by_every_action_of_its_statement(template: dict[str, Any]) -> None:
    unsupported = [
        f"{s.get('Sid')}: {action} does not support {key}"
        for s in role_policy(template)
        for key in sorted(condition_keys(s))
        for action in as_list(s["Action"])
        if not supports(action, key)
    ]
    assert unsupported == []


def test_the_action_level_keys_listed_here_belong_to_actions_iam_defines() -> None:
    assert sorted(action for action in ACTION_CONDITION_KEYS if action_definition(action) is None) == []


def test_a_grant_on_every_resource_is_for_an_action_without_resource_type_or_says_why(template: dict[str, Any]) -> None:
    everywhere = {
        action
        for s in allowed(template)
        if "*" in as_list(s["Resource"])
        for action in as_list(s["Action"])
        if resource_types(action)
    }
    assert sorted(everywhere - set(ON_EVERY_RESOURCE)) == [], "narrow these to their resource types, or say why not"
    assert sorted(set(ON_EVERY_RESOURCE) - everywhere) == [], "ON_EVERY_RESOURCE names what the role no longer grants"


def test_each_resource_is_of_a_type_its_actions_act_on(template: dict[str, Any]) -> None:
    mismatched = []
    for s in role_policy(template):
        for resource in as_list(s["Resource"]):
            arn = resolved(template, resource)
            if arn == "*":
                continue
            # A wildcard in the policy stands for any name: one name must fit the action's resource type.
            example = arn.replace("*", "example")
            for action in as_list(s["Action"]):
                formats = [f for resource_type in resource_types(action) for f in resource_type["ARNFormats"]]
                if not any(arn_matches(example, arn_format) for arn_format in formats):
                    mismatched.append(f"{s.get('Sid')}: {action} does not act on {arn}")
    assert mismatched == []


@pytest.mark.parametrize(
    ("action", "key", "supported"),
    [
        ("dynamodb:UpdateTable", "aws:ResourceTag/aws:cloudformation:stack-name", True),
        ("lambda:CreateEventSourceMapping", "aws:ResourceTag/owner", False),
        ("lambda:CreateEventSourceMapping", "lambda:FunctionArn", True),
        ("application-autoscaling:TagResource", "application-autoscaling:service-namespace", False),
        ("kms:DescribeKey", "aws:SourceAccount", True),
    ],
)
def test_condition_key_support_is_read_from_the_definitions(action: str, key: str, supported: bool) -> None:
    assert supports(action, key) is supported


def test_the_types_checked_are_every_type_a_governance_stack_holds() -> None:
    named = {kind for path in TEMPLATE_SOURCES for kind in RESOURCE_TYPE.findall(path.read_text(encoding="utf-8"))}
    assert named == set(HANDLERS_CALLED), "add the new type to HANDLERS_CALLED (and its permissions to the role)"


CALLS = [(type_name, handler) for type_name, handlers in HANDLERS_CALLED.items() for handler in handlers]


@pytest.mark.parametrize(("type_name", "handler"), CALLS)
def test_the_role_grants_what_the_handler_calls_for_the_properties_restore_sync_sets(
    template: dict[str, Any], type_name: str, handler: str
) -> None:
    missing = needed(type_name, handler) - granted_actions(template)
    assert sorted(missing) == [], f"{ROLE} lacks what {type_name}'s {handler} handler calls"


@pytest.mark.parametrize("type_name", sorted(NOT_NEEDED))
def test_what_is_said_not_to_be_needed_is_a_handlers_permission_and_not_granted(
    template: dict[str, Any], type_name: str
) -> None:
    listed = frozenset().union(*(handler_permissions(type_name)[h] for h in HANDLERS_CALLED[type_name]))
    assert sorted(set(NOT_NEEDED[type_name]) - listed) == [], "no handler called lists these any more"
    # Granted only where another type's handler needs it (kms:DescribeKey: a table's key, not a mapping's).
    needed_elsewhere = {action for other in HANDLERS_CALLED if other != type_name for action in needed(other)}
    assert sorted(set(NOT_NEEDED[type_name]) & granted_actions(template) - needed_elsewhere) == []


def test_the_dead_letter_alarm_can_be_neither_deleted_nor_changed_nor_silenced(template: dict[str, Any]) -> None:
    denied = statement(template, "DenyThisDeploymentsAlarm")
    assert denied["Effect"] == "Deny"
    assert denied["Resource"] == {"Fn::GetAtt": ["DeadLetterQueueAlarm", "Arn"]}
    assert "Condition" not in denied
    changes = {action for action in granted_actions(template) if action.startswith("cloudwatch:")}
    changes = {action for action in changes if not action.partition(":")[2].startswith(READ_ONLY)}
    silencing = {"cloudwatch:DisableAlarmActions", "cloudwatch:SetAlarmState"}
    assert sorted((changes | silencing) - set(as_list(denied["Action"]))) == []


def test_this_deployments_table_cannot_be_changed(template: dict[str, Any]) -> None:
    denied = statement(template, "DenyThisDeploymentsTable")
    assert denied["Effect"] == "Deny"
    assert denied["Resource"] == [
        {"Fn::GetAtt": ["SettingsHistoryTable", "Arn"]},
        {"Fn::Sub": "${SettingsHistoryTable.Arn}/*"},
    ]
    changes = {
        action
        for action in granted_actions(template)
        if action.startswith("dynamodb:") and not action.partition(":")[2].startswith(READ_ONLY)
    }
    assert sorted(changes - set(as_list(denied["Action"]))) == []


def test_nothing_another_stack_holds_can_be_changed(template: dict[str, Any]) -> None:
    """Every change the role may make to a resource with tags is refused when another stack's name is on it; the
    deployment's own stack is another stack (its governance stacks' names are `<its name>-...`)."""
    denied = statement(template, "DenyOtherStacksResources")
    assert denied["Effect"] == "Deny"
    assert denied["Resource"] == "*"
    key = "aws:ResourceTag/aws:cloudformation:stack-name"
    assert denied["Condition"] == {
        "Null": {key: "false"},
        "StringNotLike": {key: {"Fn::Sub": "${AWS::StackName}-*"}},
    }
    tagged_changes = {
        action
        for action in granted_actions(template)
        if not action.partition(":")[2].startswith(READ_ONLY) and supports(action, key)
    }
    # Kinesis streams and KMS keys are used, not copied: another stack's stream or key is the usual case; and the
    # service-linked roles are AWS's.
    used = {a for a in tagged_changes if a.startswith(("kinesis:", "kms:", "iam:"))}
    assert sorted(tagged_changes - used - set(as_list(denied["Action"]))) == []


def test_tables_are_never_deleted(template: dict[str, Any]) -> None:
    denied = statement(template, "DenyDeletingTables")
    assert (denied["Effect"], as_list(denied["Action"]), denied["Resource"]) == ("Deny", ["dynamodb:DeleteTable"], "*")


def test_application_auto_scaling_changes_are_for_dynamodb_only(template: dict[str, Any]) -> None:
    key = "application-autoscaling:service-namespace"
    scoped = {action for action, keys in ACTION_CONDITION_KEYS.items() if key in keys}
    for s in allowed(template):
        for action in set(as_list(s["Action"])) & scoped:
            assert s.get("Condition") == {"StringEquals": {key: "dynamodb"}}, action
    assert scoped <= granted_actions(template)


def test_event_source_mappings_are_for_functions_of_this_account_and_region(template: dict[str, Any]) -> None:
    function_arn = {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:*"}
    scoped = {action for action, keys in ACTION_CONDITION_KEYS.items() if "lambda:FunctionArn" in keys}
    for s in allowed(template):
        for action in set(as_list(s["Action"])) & scoped:
            assert s.get("Condition") == {"ArnLike": {"lambda:FunctionArn": function_arn}}, action
    assert scoped <= granted_actions(template)
