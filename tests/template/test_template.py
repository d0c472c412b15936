"""template.yaml: it transforms, lints clean, and keeps the promises the design makes about it."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint_file
from cfnlint.rules import Match

from restore_sync.history.changes import SETTINGS_CALLS
from restore_sync.history.store import TTL_ATTRIBUTE
from restore_sync.workflow.lockout import CLOUDFORMATION_TABLE_ACTIONS
from tests.template.template_artefacts import (
    FUNCTIONS,
    PLACEHOLDER,
    ROOT,
    TEMPLATE_PATH,
    TOOLS,
    as_list,
    asl_path,
    policy_statements,
    ref_target,
    resources_of_type,
    role_statements,
    source_template,
    the_state_machine,
)

# The workflow's steps: one Lambda each (design.md, "The workflow").
STEP_FUNCTIONS = {
    "NormalizeFunction",
    "CheckTargetFunction",
    "ReadSourceFunction",
    "PlanFunction",
    "ImportStackFunction",
    "ApplySettingFunction",
    "VerifyFunction",
    "ReportFunction",
    "ValidateRestoreTestFunction",
    "RemoveStackFunction",
    "FailFunction",
}
# Every function of the template: the steps and the settings-history recorder.
FUNCTIONS_DEPLOYED = STEP_FUNCTIONS | {"SnapshotFunction"}

RESTORE_EVENT_PATTERN = {
    "source": ["aws.dynamodb"],
    "detail-type": ["AWS API Call via CloudTrail"],
    "detail": {
        "eventSource": ["dynamodb.amazonaws.com"],
        "eventName": ["RestoreTableToPointInTime", "RestoreTableFromBackup"],
        "errorCode": [{"exists": False}],
    },
}
BACKUP_EVENT_PATTERN = {
    "source": ["aws.backup"],
    "detail-type": ["Restore Job State Change"],
    "detail": {"status": ["COMPLETED"], "resourceType": ["DynamoDB"]},
}
SETTINGS_CHANGES_PATTERN = {
    "source": [{"prefix": "aws."}],
    "detail-type": ["AWS API Call via CloudTrail"],
    "detail": {
        "eventSource": sorted(SETTINGS_CALLS),
        "eventName": [name for names in SETTINGS_CALLS.values() for name in names],
        "errorCode": [{"exists": False}],
    },
}
DELETED_TABLES_PATTERN = {
    "source": ["aws.dynamodb"],
    "detail-type": ["AWS API Call via CloudTrail"],
    "detail": {
        "eventSource": ["dynamodb.amazonaws.com"],
        "eventName": ["DeleteTable"],
        "awsRegion": [{"Ref": "AWS::Region"}],
        "errorCode": [{"exists": False}],
    },
}
RULE_PATTERNS = {
    "RestoreCallsRule": RESTORE_EVENT_PATTERN,
    "BackupRestoreJobsRule": BACKUP_EVENT_PATTERN,
    "DeletedTablesRule": DELETED_TABLES_PATTERN,
}
# Rule -> what it starts: the workflow, or the settings-history recorder (settings changes through its queue).
RULE_TARGETS = {
    "RestoreCallsRule": ("RestoreSyncStateMachine", "Ref"),
    "BackupRestoreJobsRule": ("RestoreSyncStateMachine", "Ref"),
    "DeletedTablesRule": ("RestoreSyncStateMachine", "Ref"),
    "SettingsChangesRule": ("SettingsChangesQueue", "Arn"),
    "DailySnapshotRule": ("SnapshotFunction", "Arn"),
}

# The property that sets a resource's physical name, per type. Setting it blocks replacement updates and a
# second deployment of the stack in the same account and region.
PHYSICAL_NAME_PROPERTIES = {
    "AWS::Serverless::Function": "FunctionName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Serverless::StateMachine": "Name",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Events::Rule": "Name",
    "AWS::Events::EventBus": "Name",
    "AWS::Scheduler::Schedule": "Name",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Serverless::SimpleTable": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::KMS::Alias": "AliasName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::SSM::Parameter": "Name",
}

# Lambda's Python runtime ships these; everything else third-party must be in functions/requirements.txt.
# The Lambda runtime ships boto3, and with it botocore's own HTTP library.
RUNTIME_PROVIDED = {"boto3", "botocore", "urllib3"}
FIRST_PARTY = {
    path.name for folder in (FUNCTIONS, TOOLS) for path in folder.iterdir() if (path / "__init__.py").is_file()
}
REQUIREMENTS = FUNCTIONS / "requirements.txt"
PINNED = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(\[[A-Za-z0-9._,-]+\])?==(?P<version>[0-9][A-Za-z0-9.+!-]*)$"
)


def effective_property(template: dict[str, Any], function: dict[str, Any], name: str) -> Any:
    """A function property as SAM sees it: the function's own value, else the Globals.Function value."""
    own = function.get("Properties", {}).get(name)
    return own if own is not None else template.get("Globals", {}).get("Function", {}).get(name)


def wildcard_actions(where: str, statement: dict[str, Any]) -> list[str]:
    """The problems of one Allow statement: any `*` in an action (`*`, `s3:*`, `s3:Get*`) or a NotAction."""
    if statement.get("Effect") != "Allow":
        # A Deny on every action (for example without TLS) only ever narrows what is allowed.
        return []
    if "NotAction" in statement:
        return [f"{where}: NotAction allows everything else"]
    problems = []
    for action in as_list(statement.get("Action")):
        if not isinstance(action, str):
            problems.append(f"{where}: action {action!r} is not a literal")
        elif "*" in action:
            problems.append(f"{where}: wildcard action {action}")
    return problems


def lint_message(match: Match) -> str:
    return f"{match.rule.id} line {match.linenumber}: {match.message}"


@pytest.fixture(scope="module")
def cfn_lint_matches() -> list[Match]:
    # cfn-lint takes a few seconds: run once for the module.
    return lint_file(TEMPLATE_PATH)


def test_sam_transform_yields_the_state_machine_rule_functions_and_their_roles(transformed: dict[str, Any]) -> None:
    resources = transformed["Resources"]
    left = {name: res["Type"] for name, res in resources.items() if res["Type"].startswith("AWS::Serverless::")}
    assert left == {}, f"the transform left SAM resources behind: {left}"
    roles = resources_of_type(transformed, "AWS::IAM::Role")

    functions = resources_of_type(transformed, "AWS::Lambda::Function")
    assert set(functions) == FUNCTIONS_DEPLOYED
    for name, function in functions.items():
        role = ref_target(function["Properties"].get("Role"))
        assert role is not None, f"{name} has no role of its own"
        assert role[0] in roles, f"{name}'s role {role[0]} is not in the template"

    machines = resources_of_type(transformed, "AWS::StepFunctions::StateMachine")
    assert set(machines) == {"RestoreSyncStateMachine"}
    machine_role = ref_target(machines["RestoreSyncStateMachine"]["Properties"].get("RoleArn"))
    assert machine_role is not None
    assert machine_role[0] in roles

    rules = resources_of_type(transformed, "AWS::Events::Rule")
    assert {name: [ref_target(t["Arn"]) for t in rule["Properties"]["Targets"]] for name, rule in rules.items()} == {
        name: [target] for name, target in RULE_TARGETS.items()
    }


def test_the_step_a_failed_sync_ends_in_may_write_its_logs_and_nothing_else(transformed: dict[str, Any]) -> None:
    """'Restore sync failed' only compares two counts and raises: its role is SAM's basic execution role."""
    role = resources_of_type(transformed, "AWS::IAM::Role")["FailFunctionRole"]["Properties"]
    assert role.get("Policies", []) == []
    assert role["ManagedPolicyArns"] == ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
    assert [statement for name, statement in role_statements(transformed) if name == "FailFunctionRole"] == []


def test_settings_changes_rule_matches_exactly_the_calls_the_recorder_knows(template: dict[str, Any]) -> None:
    properties = resources_of_type(template, "AWS::Events::Rule")["SettingsChangesRule"]["Properties"]
    pattern = properties["EventPattern"]
    assert pattern["source"] == SETTINGS_CHANGES_PATTERN["source"]
    assert sorted(pattern["detail"]["eventSource"]) == SETTINGS_CHANGES_PATTERN["detail"]["eventSource"]
    assert pattern["detail-type"] == SETTINGS_CHANGES_PATTERN["detail-type"]
    assert sorted(pattern["detail"]["eventName"]) == sorted(SETTINGS_CHANGES_PATTERN["detail"]["eventName"])
    assert pattern["detail"]["errorCode"] == [{"exists": False}]


def test_each_rule_may_invoke_the_recorder_and_nothing_else(template: dict[str, Any]) -> None:
    permissions = resources_of_type(template, "AWS::Lambda::Permission")
    granted = sorted(
        (ref_target(p["Properties"]["FunctionName"]), ref_target(p["Properties"]["SourceArn"]))
        for p in permissions.values()
        if p["Properties"]["Principal"] == "events.amazonaws.com"
    )
    assert granted == [
        (("SnapshotFunction", "Ref"), (rule, "Arn"))
        for rule in sorted(RULE_TARGETS)
        if RULE_TARGETS[rule][0] == "SnapshotFunction"
    ]


def test_settings_changes_wait_in_an_encrypted_queue_only_their_rule_sends_to_and_reach_the_recorder_in_batches(
    template: dict[str, Any], transformed: dict[str, Any]
) -> None:
    queue = template["Resources"]["SettingsChangesQueue"]["Properties"]
    assert queue.get("SqsManagedSseEnabled") is True or queue.get("KmsMasterKeyId")
    recorder = template["Resources"]["SnapshotFunction"]["Properties"]
    # Lambda's SQS guide: a visibility timeout of at least six times the function's timeout.
    assert queue["VisibilityTimeout"] >= 6 * recorder["Timeout"]
    assert ref_target(queue["RedrivePolicy"]["deadLetterTargetArn"]) == ("DeadLetterQueue", "Arn")
    receives = queue["RedrivePolicy"]["maxReceiveCount"]
    assert receives * queue["VisibilityTimeout"] < queue["MessageRetentionPeriod"], "records expire before the DLQ"

    (policy,) = [
        res["Properties"]
        for res in resources_of_type(template, "AWS::SQS::QueuePolicy").values()
        if {"Ref": "SettingsChangesQueue"} in res["Properties"]["Queues"]
    ]
    allows = [s for s in as_list(policy["PolicyDocument"]["Statement"]) if s["Effect"] == "Allow"]
    assert [(s["Principal"], s["Action"], ref_target(s["Resource"])) for s in allows] == [
        ({"Service": "events.amazonaws.com"}, "sqs:SendMessage", ("SettingsChangesQueue", "Arn"))
    ]
    assert ref_target(allows[0]["Condition"]["ArnEquals"]["aws:SourceArn"]) == ("SettingsChangesRule", "Arn")

    (mapping,) = resources_of_type(transformed, "AWS::Lambda::EventSourceMapping").values()
    properties = mapping["Properties"]
    assert ref_target(properties["EventSourceArn"]) == ("SettingsChangesQueue", "Arn")
    assert ref_target(properties["FunctionName"]) == ("SnapshotFunction", "Ref")
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # Lambda: a batch size over 10 needs a batching window of at least 1 s; the window is at most 300 s.
    assert properties["BatchSize"] > 10
    assert 1 <= properties["MaximumBatchingWindowInSeconds"] <= 300

    # The poller's calls, granted on this queue only (SAM's SQS event would attach a managed policy for every queue).
    role = transformed["Resources"]["SnapshotFunctionRole"]["Properties"]
    assert not [arn for arn in role.get("ManagedPolicyArns", []) if "SQS" in str(arn)]
    sqs = [
        (sorted(as_list(granted["Action"])), ref_target(granted["Resource"]))
        for name, granted in role_statements(transformed)
        if name == "SnapshotFunctionRole" and any(str(a).startswith("sqs:") for a in as_list(granted["Action"]))
    ]
    assert sorted(sqs) == [
        (["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"], ("SettingsChangesQueue", "Arn")),
        # The dead-letter queue of the scheduled (asynchronous) invocations, which SAM grants.
        (["sqs:SendMessage"], ("DeadLetterQueue", "Arn")),
    ]


def test_settings_history_table_is_protected_and_expires_superseded_versions(template: dict[str, Any]) -> None:
    table = template["Resources"]["SettingsHistoryTable"]
    properties = table["Properties"]
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["DeletionProtectionEnabled"] is True
    assert properties["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    assert properties["KeySchema"] == [
        {"AttributeName": "tableArn", "KeyType": "HASH"},
        {"AttributeName": "version", "KeyType": "RANGE"},
    ]
    retention = template["Parameters"]["HistoryRetentionDays"]
    assert retention["Default"] > 35, "superseded versions must outlive the 35-day point-in-time window"
    initial = template["Resources"]["InitialSnapshot"]
    assert ref_target(initial["Properties"]["ServiceToken"]) == ("SnapshotFunction", "Arn")


def aws_item_writes() -> set[str]:
    """The IAM actions of DynamoDB that write items, from AWS's list of the service's actions (shipped with cfn-lint):
    every action about items, PartiQL statements or writes, but those that only read."""
    listed = json.loads(resources.files("cfnlint.data.AdditionalSpecs").joinpath("Policies.json").read_text())
    actions = set(listed["dynamodb"]["Actions"])
    about_items = {a for a in actions if "item" in a or a.startswith("partiql") or "write" in a}
    return about_items - {"getitem", "batchgetitem", "conditioncheckitem", "partiqlselect"}


def test_only_the_recorder_may_write_the_settings_history(
    template: dict[str, Any], transformed: dict[str, Any]
) -> None:
    """Whoever writes the history decides what the next restore applies with the CloudFormation role."""
    policy = template["Resources"]["SettingsHistoryTable"]["Properties"]["ResourcePolicy"]["PolicyDocument"]
    (statement,) = as_list(policy["Statement"])
    assert (statement["Effect"], statement["Principal"], statement["Resource"]) == ("Deny", "*", "*")
    denied = {action.removeprefix("dynamodb:").lower() for action in statement["Action"]}
    assert denied == aws_item_writes(), "every way to write an item is denied, and nothing else"
    # Excepted: sessions of the recorder's role, by the role's unique id (the narrowest a resource policy can name:
    # Lambda's source function ARN is not available to resource policies).
    assert statement["Condition"] == {"StringNotLike": {"aws:userid": {"Fn::Sub": "${SnapshotFunctionRole.RoleId}:*"}}}
    recorder = transformed["Resources"]["SnapshotFunction"]["Properties"]["Role"]
    assert ref_target(recorder) == ("SnapshotFunctionRole", "Arn")
    # Changing the policy is not denied: DynamoDB refuses a policy that locks its author (the deployment) out.
    assert not denied & {"putresourcepolicy", "deleteresourcepolicy"}

    writers = {
        role
        for role, granted in role_statements(transformed)
        if ref_target(granted["Resource"]) == ("SettingsHistoryTable", "Arn")
        and {a.removeprefix("dynamodb:").lower() for a in as_list(granted["Action"])} & aws_item_writes()
    }
    assert writers == {"SnapshotFunctionRole"}
    # The recorder's first snapshot runs at deploy time: after its access to the history is attached.
    (access,) = [
        logical_id
        for logical_id, resource in resources_of_type(transformed, "AWS::IAM::Policy").items()
        if [ref_target(role) for role in resource["Properties"]["Roles"]] == [("SnapshotFunctionRole", "Ref")]
    ]
    assert template["Resources"]["InitialSnapshot"]["DependsOn"] == access


def test_cfn_lint_finds_no_error_and_no_warning(cfn_lint_matches: list[Match]) -> None:
    assert [lint_message(match) for match in cfn_lint_matches] == []


@pytest.mark.parametrize("rule_id", sorted(RULE_PATTERNS))
def test_the_workflow_rules_match_only_completed_restores_and_deletions(template: dict[str, Any], rule_id: str) -> None:
    properties = resources_of_type(template, "AWS::Events::Rule")[rule_id]["Properties"]
    assert properties["EventPattern"] == RULE_PATTERNS[rule_id]


@pytest.mark.parametrize("rule_id", sorted(RULE_TARGETS))
def test_rules_are_enabled_and_keep_undelivered_events(template: dict[str, Any], rule_id: str) -> None:
    properties = resources_of_type(template, "AWS::Events::Rule")[rule_id]["Properties"]
    assert properties.get("State", "ENABLED") == "ENABLED"
    assert properties["Targets"], "the rule has no target"
    for target in properties["Targets"]:
        dead_letter = ref_target(target.get("DeadLetterConfig", {}).get("Arn"))
        assert dead_letter is not None, f"target {target.get('Id')} has no dead-letter queue"
        assert template["Resources"][dead_letter[0]]["Type"] == "AWS::SQS::Queue"
        assert dead_letter[1] == "Arn"
        retry = target.get("RetryPolicy", {})
        assert retry.get("MaximumRetryAttempts", 0) > 0, f"target {target.get('Id')} has no RetryPolicy"
        assert retry.get("MaximumEventAgeInSeconds", 0) > 0


def test_dead_letter_queue_is_encrypted_and_only_the_rules_may_send_to_it(template: dict[str, Any]) -> None:
    rules = resources_of_type(template, "AWS::Events::Rule")
    queues = {
        ref_target(target.get("DeadLetterConfig", {}).get("Arn"))
        for rule in rules.values()
        for target in rule["Properties"]["Targets"]
    }
    assert len(queues) == 1
    (queue,) = queues
    assert queue is not None, "the rule's target has no dead-letter queue"
    queue_id = queue[0]
    settings = template["Resources"][queue_id]["Properties"]
    assert settings.get("SqsManagedSseEnabled") is True or settings.get("KmsMasterKeyId"), f"{queue_id} is plain"
    assert settings.get("SqsManagedSseEnabled") is not False

    policies = [
        res["Properties"]
        for res in resources_of_type(template, "AWS::SQS::QueuePolicy").values()
        if {"Ref": queue_id} in res["Properties"]["Queues"]
    ]
    assert len(policies) == 1, f"{queue_id} needs exactly one queue policy, found {len(policies)}"
    statements = as_list(policies[0]["PolicyDocument"]["Statement"])
    allows = [statement for statement in statements if statement["Effect"] == "Allow"]
    assert allows, "the queue policy lets nobody send: undeliverable events would be lost"
    for statement in allows:
        assert statement["Principal"] in ({"Service": "events.amazonaws.com"}, {"Service": ["events.amazonaws.com"]})
        assert as_list(statement["Action"]) == ["sqs:SendMessage"]
        assert ref_target(statement["Resource"]) == (queue_id, "Arn")
        conditions = statement.get("Condition", {})
        source_arns = [
            arn
            for operator, values in conditions.items()
            if operator in {"ArnEquals", "StringEquals"} and "aws:SourceArn" in values
            for arn in as_list(values["aws:SourceArn"])
        ]
        assert sorted(ref_target(arn) for arn in source_arns) == sorted((rule, "Arn") for rule in rules), (
            f"sending must be conditioned on aws:SourceArn of the rules {sorted(rules)}: {conditions}"
        )


def test_no_policy_allows_a_wildcard_action(transformed: dict[str, Any]) -> None:
    statements = list(policy_statements(transformed))
    # Every function and the state machine have a role with statements (SAM policy templates included).
    holders = {where.split(".")[0] for where, _ in statements}
    assert {f"{name}Role" for name in FUNCTIONS_DEPLOYED} | {"RestoreSyncStateMachineRole"} <= holders
    problems = [problem for where, statement in statements for problem in wildcard_actions(where, statement)]
    assert problems == []


@pytest.mark.parametrize(
    ("statement", "flagged"),
    [
        ({"Effect": "Allow", "Action": "*"}, True),
        ({"Effect": "Allow", "Action": ["sqs:SendMessage", "s3:*"]}, True),
        ({"Effect": "Allow", "Action": "dynamodb:Describe*"}, True),
        ({"Effect": "Allow", "NotAction": "iam:*"}, True),
        ({"Effect": "Allow", "Action": ["dynamodb:DescribeTable"]}, False),
        ({"Effect": "Deny", "Action": "*"}, False),
    ],
)
def test_wildcard_check_flags_what_it_should(statement: dict[str, Any], flagged: bool) -> None:
    assert bool(wildcard_actions("s", statement)) is flagged


def test_every_parameter_is_described_and_constrained(template: dict[str, Any]) -> None:
    problems = []
    for name, parameter in template["Parameters"].items():
        if not str(parameter.get("Description", "")).strip():
            problems.append(f"{name}: no Description")
        kind = parameter["Type"]
        if kind == "Number":
            if "MinValue" not in parameter or "MaxValue" not in parameter:
                problems.append(f"{name}: a Number needs MinValue and MaxValue")
            elif "Default" in parameter and not parameter["MinValue"] <= parameter["Default"] <= parameter["MaxValue"]:
                problems.append(f"{name}: Default outside its range")
        elif kind in {"String", "CommaDelimitedList"} and "AllowedPattern" in parameter:
            # Free text (an email address, region names) is constrained by a pattern that its default must match
            # (CloudFormation matches each value of a CommaDelimitedList).
            values = str(parameter.get("Default", "")).split(",") if kind == "CommaDelimitedList" else []
            values = values if "Default" in parameter else []
            if kind == "String" and "Default" in parameter:
                values = [str(parameter["Default"])]
            if any(not re.fullmatch(parameter["AllowedPattern"], value) for value in values):
                problems.append(f"{name}: Default does not match AllowedPattern")
        elif kind in {"String", "CommaDelimitedList"}:
            allowed = parameter.get("AllowedValues")
            if not allowed:
                problems.append(f"{name}: a {kind} without a numeric range needs AllowedValues or AllowedPattern")
            elif "Default" in parameter:
                defaults = (
                    str(parameter["Default"]).split(",") if kind == "CommaDelimitedList" else [parameter["Default"]]
                )
                outside = [value for value in defaults if value not in allowed]
                if outside:
                    problems.append(f"{name}: Default values {outside} not in AllowedValues")
        else:
            problems.append(f"{name}: type {kind} has no rule here; constrain it and extend this test")
    assert problems == []


@pytest.mark.parametrize("stage", ["source", "transformed"])
def test_no_resource_has_a_hard_coded_physical_name(
    stage: str, template: dict[str, Any], transformed: dict[str, Any]
) -> None:
    checked = template if stage == "source" else transformed
    named = {
        logical_id: f"{resource['Type']}.{PHYSICAL_NAME_PROPERTIES[resource['Type']]}"
        for logical_id, resource in checked["Resources"].items()
        if PHYSICAL_NAME_PROPERTIES.get(resource["Type"]) in (resource.get("Properties") or {})
    }
    assert named == {}


def test_every_function_runs_python312(template: dict[str, Any], transformed: dict[str, Any]) -> None:
    declared = {
        name: effective_property(template, function, "Runtime")
        for name, function in resources_of_type(template, "AWS::Serverless::Function").items()
    }
    deployed = {
        name: function["Properties"].get("Runtime")
        for name, function in resources_of_type(transformed, "AWS::Lambda::Function").items()
    }
    assert declared == dict.fromkeys(FUNCTIONS_DEPLOYED, "python3.12")
    assert deployed == dict.fromkeys(FUNCTIONS_DEPLOYED, "python3.12")


def test_definition_substitutions_match_the_asl_placeholders_exactly(template: dict[str, Any], asl_text: str) -> None:
    _, properties = the_state_machine(template)
    assert asl_path(template) == (ROOT / "statemachine" / "restore_sync.asl.json").resolve()
    used = set(PLACEHOLDER.findall(asl_text))
    provided = set(properties.get("DefinitionSubstitutions", {}))
    assert used, "the definition has no placeholders: ARNs are hard-coded"
    assert sorted(used - provided) == [], "placeholders without a DefinitionSubstitutions entry"
    assert sorted(provided - used) == [], "DefinitionSubstitutions entries the definition never uses"


FUNCTION_HANDLERS = sorted(
    (name, function["Properties"]["Handler"])
    for name, function in resources_of_type(source_template(), "AWS::Serverless::Function").items()
)


@pytest.mark.parametrize(("name", "handler"), FUNCTION_HANDLERS, ids=[name for name, _ in FUNCTION_HANDLERS])
def test_handler_resolves_to_a_callable_inside_its_code_uri(
    name: str, handler: str, template: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    code_uri = effective_property(template, template["Resources"][name], "CodeUri")
    assert isinstance(code_uri, str), f"{name}: CodeUri must be a local folder"
    code_dir = (TEMPLATE_PATH.parent / code_uri).resolve()
    assert code_dir.is_dir(), f"{name}: CodeUri {code_uri} is not a folder"
    module_name, _, attribute = handler.rpartition(".")
    assert module_name, f"{name}: handler {handler} is not module.function"
    file = code_dir.joinpath(*module_name.split("."))
    assert file.with_suffix(".py").is_file() or (file / "__init__.py").is_file(), f"{name}: no {file} in CodeUri"

    # Lambda puts CodeUri's content first on the path; the editable install must resolve to the same files.
    monkeypatch.syspath_prepend(str(code_dir))
    module = importlib.import_module(module_name)
    assert module.__file__ is not None
    assert Path(module.__file__).resolve().is_relative_to(code_dir), f"{module_name} imported from outside CodeUri"
    function = getattr(module, attribute, None)
    assert callable(function), f"{handler} is not callable"
    inspect.signature(function).bind({}, object())


def python_files() -> list[Path]:
    return sorted(path for path in FUNCTIONS.rglob("*.py") if "__pycache__" not in path.parts)


def imported_top_levels(tree: ast.AST, module_level_only: bool = False) -> set[str]:
    """Top-level names of the absolute imports in `tree` (relative imports stay inside the package)."""
    names: set[str] = set()
    nodes = ast.iter_child_nodes(tree) if module_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def distribution_names(module: str) -> set[str]:
    from importlib.metadata import packages_distributions

    return {normalized(name) for name in packages_distributions().get(module, [])}


def normalized(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def requirement_lines() -> list[str]:
    lines = [line.split("#", 1)[0].strip() for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line]


def cli_module() -> str:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return str(pyproject["project"]["scripts"]["restore-sync"]).split(":")[0]


def test_requirements_pin_exact_versions() -> None:
    lines = requirement_lines()
    assert lines, "functions/requirements.txt lists nothing"
    assert [line for line in lines if not PINNED.match(line)] == [], "pin every requirement as name==version"


def test_requirements_cover_every_third_party_import_of_the_function_code() -> None:
    pins = [PINNED.match(line) for line in requirement_lines()]
    required = {normalized(pin.group("name")) for pin in pins if pin}
    missing: dict[str, list[str]] = {}
    for path in python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for module in imported_top_levels(tree):
            if module in sys.stdlib_module_names or module in FIRST_PARTY or module in RUNTIME_PROVIDED:
                continue
            distributions = distribution_names(module)
            if not distributions & required:
                missing.setdefault(module, []).append(str(path.relative_to(ROOT)))
    assert missing == {}, "third-party imports not in functions/requirements.txt"


def test_the_operator_tools_import_only_boto3_and_the_standard_library() -> None:
    package = TOOLS.joinpath(*cli_module().split(".")[:-1])
    files = sorted(package.rglob("*.py"))
    assert package.joinpath("cli.py") in files, f"{cli_module()} (the restore-sync console script) does not exist"
    outside: dict[str, list[str]] = {}
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name in imported_top_levels(tree, module_level_only=True):
            if name not in sys.stdlib_module_names | RUNTIME_PROVIDED | FIRST_PARTY:
                outside.setdefault(name, []).append(str(path.relative_to(ROOT)))
    assert outside == {}


# Imports the command line with every runtime requirement and the sandbox made unimportable.
IMPORT_WITHOUT = """
import importlib, importlib.abc, sys

blocked = set(sys.argv[1].split(","))

class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"blocked: {fullname}", name=fullname)
        return None

sys.meta_path.insert(0, Blocker())
importlib.import_module(sys.argv[2])
"""


def test_command_line_starts_without_the_function_requirements_or_the_sandbox() -> None:
    from importlib.metadata import packages_distributions

    pins = [PINNED.match(line) for line in requirement_lines()]
    required = {normalized(pin.group("name")) for pin in pins if pin}
    modules: dict[str, set[str]] = {name: set() for name in required}
    for module, distributions in packages_distributions().items():
        for distribution in required & {normalized(name) for name in distributions}:
            modules[distribution].add(module)
    assert [name for name, provided in modules.items() if not provided] == [], "requirements not installed"
    blocked = set().union(*modules.values())
    blocked |= {"moto", "restore_sync_sandbox", "yaml"}
    completed = subprocess.run(
        [sys.executable, "-c", IMPORT_WITHOUT, ",".join(sorted(blocked)), cli_module()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=TOOLS,
    )
    assert completed.returncode == 0, completed.stderr


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import a.b\nfrom c.d import e\nfrom . import f\ndef g():\n    import h\n", {"a", "c", "h"}),
    ],
)
def test_import_walk_sees_nested_and_skips_relative_imports(source: str, expected: set[str]) -> None:
    assert imported_top_levels(ast.parse(source)) == expected
    assert imported_top_levels(ast.parse(source), module_level_only=True) == expected - {"h"}


def test_anything_in_the_dead_letter_queue_alerts_a_person(template: dict[str, Any]) -> None:
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    watching = [
        alarm["Properties"]
        for alarm in alarms.values()
        if alarm["Properties"].get("Namespace") == "AWS/SQS"
        and ref_target(alarm["Properties"]["Dimensions"][0]["Value"]) == ("DeadLetterQueue", "QueueName")
    ]
    assert len(watching) == 1, "one alarm must watch the dead-letter queue's depth"
    [alarm] = watching
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
    assert [ref_target(action) for action in alarm["AlarmActions"]] == [("AlertTopic", "Ref")]
    topic = template["Resources"]["AlertTopic"]["Properties"]
    assert ref_target(topic["KmsMasterKeyId"]) == ("AlertKey", "Ref"), "alert notifications are encrypted"
    subscription = template["Resources"]["AlertEmailSubscription"]
    assert subscription["Condition"] == "HasAlertEmail"
    assert ref_target(subscription["Properties"]["Endpoint"]) == ("AlertEmail", "Ref")


def test_only_the_cloudformation_role_can_change_a_table(transformed: dict[str, Any]) -> None:
    readers = ("dynamodb:Describe", "dynamodb:List", "dynamodb:Get", "dynamodb:Query")
    writes = [
        f"{role}: {action}"
        for role, statement in role_statements(transformed)
        if role != "CloudFormationRole"
        for action in as_list(statement["Action"])
        if action.startswith("dynamodb:") and not action.startswith(readers)
    ]
    # The recorder writes items of the settings history, and only there.
    assert writes == ["SnapshotFunctionRole: dynamodb:PutItem", "SnapshotFunctionRole: dynamodb:UpdateItem"]
    history_statements = [
        statement
        for role, statement in role_statements(transformed)
        if role == "SnapshotFunctionRole" and "dynamodb:PutItem" in as_list(statement["Action"])
    ]
    assert [ref_target(statement["Resource"]) for statement in history_statements] == [("SettingsHistoryTable", "Arn")]
    deletes = [
        action
        for _, statement in role_statements(transformed)
        for action in as_list(statement["Action"])
        if action == "dynamodb:DeleteTable"
    ]
    assert deletes == [], "nothing restore-sync runs may delete a table"


def test_roles_are_passed_only_to_cloudformation(transformed: dict[str, Any]) -> None:
    passing = [(role, s) for role, s in role_statements(transformed) if "iam:PassRole" in as_list(s["Action"])]
    assert {role for role, _ in passing} == {
        "ImportStackFunctionRole",
        "ApplySettingFunctionRole",
        # Deletes a deleted table's governance stack with the CloudFormation role, as the stack was made.
        "RemoveStackFunctionRole",
    }
    for role, statement in passing:
        assert as_list(statement["Action"]) == ["iam:PassRole"], role
        assert ref_target(statement["Resource"]) == ("CloudFormationRole", "Arn"), role
        assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}}


def test_the_policy_check_simulates_exactly_the_roles_it_is_given_and_the_cloudformation_roles_table_actions(
    template: dict[str, Any], transformed: dict[str, Any]
) -> None:
    functions = template["Resources"]
    # Apply setting is told each role a copied resource policy must leave its access (workflow/lockout.py).
    given = {
        **template["Globals"]["Function"]["Environment"]["Variables"],
        **functions["ApplySettingFunction"]["Properties"]["Environment"]["Variables"],
    }
    told = {name: ref_target(given[name]) for name in ("CFN_ROLE_ARN", "VERIFY_ROLE_ARN", "SNAPSHOT_ROLE_ARN")}
    assert told == {
        "CFN_ROLE_ARN": ("CloudFormationRole", "Arn"),
        "VERIFY_ROLE_ARN": ("VerifyFunctionRole", "Arn"),
        "SNAPSHOT_ROLE_ARN": ("SnapshotFunctionRole", "Arn"),
    }
    simulating = [
        (r, s) for r, s in role_statements(transformed) if "iam:SimulatePrincipalPolicy" in as_list(s["Action"])
    ]
    # Apply setting, and a restore test asking the same of each trigger's role (workflow/restore_test.py).
    assert [role for role, _ in simulating] == ["ApplySettingFunctionRole", "ValidateRestoreTestFunctionRole"]
    for _, statement in simulating:
        assert as_list(statement["Action"]) == ["iam:SimulatePrincipalPolicy"]
        # The roles of the account: those three, and any consumer role of a copied trigger (workflow/consumers.py).
        assert as_list(statement["Resource"]) == [{"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*"}]
    # The actions the check requires of the CloudFormation role are those the role is granted on every table.
    cloudformation = [
        a
        for where, s in policy_statements(template)
        if where.startswith("CloudFormationRole.Policies") and s.get("Sid") in ("ReadTables", "ChangeTables")
        for a in as_list(s["Action"])
    ]
    assert sorted(cloudformation) == sorted(CLOUDFORMATION_TABLE_ACTIONS)


# Reads of any stack, each with why: which stack holds a table of the target's name (workflow/stack.py, claimant).
READS_OF_ANY_STACK = {"cloudformation:DescribeStackResources"}


def test_stack_operations_reach_only_this_deployments_governance_stacks(transformed: dict[str, Any]) -> None:
    for role, statement in role_statements(transformed):
        if not any(str(action).startswith("cloudformation:") for action in as_list(statement["Action"])):
            continue
        if set(as_list(statement["Action"])) <= READS_OF_ANY_STACK:
            continue
        resources = [r["Fn::Sub"] if isinstance(r, dict) else r for r in as_list(statement["Resource"])]
        assert all(":stack/${AWS::StackName}-*/*" in r or ":changeSet/restore-sync-*/*" in r for r in resources), (
            f"{role}: {resources}"
        )


def test_the_execution_data_bucket_is_encrypted_private_owned_by_the_account_and_expires(
    template: dict[str, Any],
) -> None:
    properties = template["Resources"]["ExecutionDataBucket"]["Properties"]
    (encryption,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms", "aws:kms:dsse")
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    (rule,) = properties["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert not {"Prefix", "Filter"} & set(rule), "every object expires"
    # Long enough for one execution's steps (after the table is ready, hours at most), short enough to hold no
    # copy of a table's settings longer than needed.
    assert 1 <= rule["ExpirationInDays"] <= 14
    # Every function is told its name; the bucket's permissions decide which may use it.
    assert ref_target(template["Globals"]["Function"]["Environment"]["Variables"]["DATA_BUCKET"]) == (
        "ExecutionDataBucket",
        "Ref",
    )


def test_the_execution_data_bucket_refuses_requests_without_tls(template: dict[str, Any]) -> None:
    policies = [
        resource["Properties"]
        for resource in resources_of_type(template, "AWS::S3::BucketPolicy").values()
        if ref_target(resource["Properties"]["Bucket"]) == ("ExecutionDataBucket", "Ref")
    ]
    assert len(policies) == 1
    statements = as_list(policies[0]["PolicyDocument"]["Statement"])
    denials = [
        s
        for s in statements
        if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(denials) == 1
    (deny,) = denials
    assert deny["Principal"] == "*"
    assert as_list(deny["Action"]) == ["s3:*"]
    resources = as_list(deny["Resource"])
    assert {"Fn::GetAtt": "ExecutionDataBucket.Arn"} in resources or {
        "Fn::GetAtt": ["ExecutionDataBucket", "Arn"]
    } in resources
    assert {"Fn::Sub": "${ExecutionDataBucket.Arn}/*"} in resources
    assert not [s for s in statements if s["Effect"] == "Allow"], "access comes from the functions' roles only"
    # Writing is kept to the steps that write, whatever else a principal of the account is allowed.
    [writers] = [s for s in statements if s["Effect"] == "Deny" and "StringNotLike" in s.get("Condition", {})]
    assert (writers["Principal"], as_list(writers["Action"])) == ("*", ["s3:PutObject"])
    assert writers["Resource"] == {"Fn::Sub": "${ExecutionDataBucket.Arn}/*"}
    ids = [
        re.fullmatch(r"\$\{(\w+)\.RoleId\}:\*", sub["Fn::Sub"])
        for sub in writers["Condition"]["StringNotLike"]["aws:userid"]
    ]
    allowed = {match.group(1) for match in ids if match}
    assert len(allowed) == len(ids)
    assert allowed == {role for (role, _), actions in BUCKET_GRANTS.items() if "s3:PutObject" in actions}


# Who may do what in the execution data bucket, by prefix: templates are written and read (CloudFormation reads a
# TemplateURL with the caller's permissions) by the steps that create change sets; documents by the steps that
# pass them on or read them back.
BUCKET_GRANTS = {
    ("ImportStackFunctionRole", "templates"): {"s3:GetObject", "s3:PutObject"},
    ("ApplySettingFunctionRole", "templates"): {"s3:GetObject", "s3:PutObject"},
    ("ApplySettingFunctionRole", "documents"): {"s3:GetObject"},
    ("ReadSourceFunctionRole", "documents"): {"s3:PutObject"},
    ("PlanFunctionRole", "documents"): {"s3:GetObject", "s3:PutObject"},
    ("VerifyFunctionRole", "documents"): {"s3:GetObject", "s3:PutObject"},
    ("ReportFunctionRole", "documents"): {"s3:GetObject"},
    ("ValidateRestoreTestFunctionRole", "documents"): {"s3:GetObject"},
}


def test_only_the_steps_that_need_it_reach_the_execution_data_bucket_each_on_its_prefix(
    transformed: dict[str, Any],
) -> None:
    granted: dict[tuple[str, str], set[str]] = {}
    for role, statement in role_statements(transformed):
        actions = {a for a in as_list(statement["Action"]) if a.lower().startswith("s3:")}
        if not actions:
            continue
        assert actions == set(as_list(statement["Action"])), f"{role}: S3 and other actions in one statement"
        for resource in as_list(statement["Resource"]):
            match = re.fullmatch(r"\$\{ExecutionDataBucket\.Arn\}/([a-z]+)/\*", resource.get("Fn::Sub", ""))
            assert match, f"{role} reaches S3 outside the execution data bucket's prefixes: {resource}"
            granted.setdefault((role, match.group(1)), set()).update(actions)
    assert granted == BUCKET_GRANTS
