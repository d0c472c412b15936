"""Each setting on its own, end to end in the sandbox: read from a source that has it, applied through its own
change set, verified on the target, and nothing else touched."""

from __future__ import annotations

import json
from typing import Any

import pytest

from restore_sync.settings import NAMES
from restore_sync_sandbox import examples
from restore_sync_sandbox.extensions import dynamodb_restore, lambda_filter_criteria_encryption
from restore_sync_sandbox.server import Sandbox
from tests.sandbox import app

SOURCE = "inventory"
# Restores started by events copy only tags here, so each test chooses its one setting by hand.
PARAMETERS = {"Settings": "tags"}


@pytest.fixture(scope="module")
def deployed(sandbox: Sandbox) -> dict[str, str]:
    outputs = app.deploy(sandbox, **PARAMETERS)
    made = examples.make_full_source(app.clients(sandbox), SOURCE, items=12)
    return {**outputs, "filterKey": made["filterKey"]}


def restored_and_settled(sandbox: Sandbox, deployed: dict[str, str], target: str) -> dict[str, Any]:
    """`target` restored from the source at once, and the execution its restore event started, finished (it copies
    tags only: the deployment's Settings)."""
    dynamodb_restore.set_ready_after(target, sandbox.region, 0)
    sandbox.client("dynamodb").restore_table_to_point_in_time(
        SourceTableName=SOURCE, TargetTableName=target, UseLatestRestorableTime=True
    )
    return app.finished_execution(sandbox, deployed["StateMachineArn"], target)


# The full source is provisioned, and so are its restores: a maximum on-demand throughput does not apply to them
# (test_end_to_end copies one to an on-demand target). Replicas are opt-in and need a global source: the global table
# scenario (test_scenario_global_table) goes through them.
@pytest.mark.parametrize("setting", [name for name in NAMES if name not in ("on_demand_throughput", "replicas")])
def test_one_setting_is_read_applied_and_verified_on_its_own(
    sandbox: Sandbox, deployed: dict[str, str], setting: str
) -> None:
    target = f"{SOURCE}-{setting.replace('_', '-')}"
    # Unannounced, so that no execution copies anything before the one under test.
    dynamodb_restore.set_ready_after(target, sandbox.region, 0)
    examples.restore_unannounced(sandbox.client("dynamodb"), target, SourceTableName=SOURCE)
    before = app.settings_of(sandbox, target)
    chosen = ["stream", setting] if setting in ("triggers", "stream_policy") else [setting]

    started = sandbox.client("stepfunctions").start_execution(
        stateMachineArn=deployed["StateMachineArn"],
        input=json.dumps({"targetTableName": target, "sourceTableName": SOURCE, "settings": chosen}),
    )
    execution = app.wait(sandbox, started["executionArn"])

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    report = json.loads(execution["output"])
    assert report["settings"][setting]["status"] == "applied"
    assert report["drift"] == []
    after = app.settings_of(sandbox, target)
    wanted = app.wanted_on_target(sandbox, SOURCE, target)
    assert after[setting] == wanted[setting]
    assert after[setting] != before[setting]
    untouched = set(NAMES) - set(chosen)
    assert {name: after[name] for name in untouched} == {name: before[name] for name in untouched}
    assert app.item_count(sandbox, target) == 12


def test_triggers_held_on_request_are_created_disabled(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    target = f"{SOURCE}-quiet"
    restored_and_settled(sandbox, deployed, target)

    started = sandbox.client("stepfunctions").start_execution(
        stateMachineArn=deployed["StateMachineArn"],
        input=json.dumps(
            {
                "targetTableName": target,
                "sourceTableName": SOURCE,
                "settings": ["stream", "triggers"],
                "hold": ["triggers"],
            }
        ),
    )
    execution = app.wait(sandbox, started["executionArn"])

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert json.loads(execution["output"])["settings"]["triggers"]["status"] == "held"
    mappings = app.settings_of(sandbox, target)["triggers"]["mappings"]
    assert len(mappings) == 3
    assert [m["enabled"] for m in mappings] == [False, False, False]
    assert sum(m["enabled"] for m in app.settings_of(sandbox, SOURCE)["triggers"]["mappings"]) == 2


def test_a_trigger_filter_the_reader_cannot_decrypt_fails_the_triggers_and_says_what_to_grant(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    target = f"{SOURCE}-undecryptable"
    restored_and_settled(sandbox, deployed, target)
    app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    lambda_filter_criteria_encryption.deny_decrypt(deployed["filterKey"])
    try:
        started = sandbox.client("stepfunctions").start_execution(
            stateMachineArn=deployed["StateMachineArn"],
            input=json.dumps(
                {
                    "targetTableName": target,
                    "sourceTableName": SOURCE,
                    "settings": ["stream", "triggers"],
                    # The settings history holds the filter as the recorder read it before the key was denied.
                    "settingsFrom": "live",
                }
            ),
        )
        execution = app.wait(sandbox, started["executionArn"])
    finally:
        lambda_filter_criteria_encryption.reset()

    assert execution["status"] == "FAILED"
    [message] = app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    settings = message["report"]["settings"]
    assert (settings["stream"]["status"], settings["triggers"]["status"]) == ("applied", "failed")
    assert "kms:Decrypt" in settings["triggers"]["reason"]
    assert deployed["filterKey"] in settings["triggers"]["reason"]
    assert app.settings_of(sandbox, target)["triggers"] == {"mappings": []}


def test_a_trigger_whose_role_reads_only_the_sources_stream_is_left_out_and_says_what_to_add(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    target = f"{SOURCE}-scoped-consumer"
    iam, lam = sandbox.client("iam"), sandbox.client("lambda")
    # A consumer whose role reads this source's stream only, as CDK's grantStreamRead writes it.
    scoped = examples.stream_reader(SOURCE)
    scoped["Statement"][0]["Resource"] = [f"arn:aws:dynamodb:*:*:table/{SOURCE}/stream/*"]
    role = iam.create_role(RoleName=f"{SOURCE}-scoped", AssumeRolePolicyDocument=json.dumps(examples.LAMBDA_TRUST))
    iam.put_role_policy(RoleName=f"{SOURCE}-scoped", PolicyName="own-stream", PolicyDocument=json.dumps(scoped))
    function = lam.create_function(
        FunctionName=f"{SOURCE}-scoped",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="consumer.handler",
        Code={"ZipFile": examples.consumer_zip()},
    )["FunctionArn"]
    stream = sandbox.client("dynamodb").describe_table(TableName=SOURCE)["Table"]["LatestStreamArn"]
    mapping = lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=function, StartingPosition="LATEST")
    # The new trigger is in the settings history (its batch recorded) before the restore that should copy it.
    examples.settled()
    try:
        restored_and_settled(sandbox, deployed, target)
        app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
        started = sandbox.client("stepfunctions").start_execution(
            stateMachineArn=deployed["StateMachineArn"],
            input=json.dumps(
                {"targetTableName": target, "sourceTableName": SOURCE, "settings": ["stream", "triggers", "ttl"]}
            ),
        )
        execution = app.wait(sandbox, started["executionArn"])
    finally:
        lam.delete_event_source_mapping(UUID=mapping["UUID"])

    assert execution["status"] == "FAILED"
    [message] = app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    settings = message["report"]["settings"]
    assert [settings[name]["status"] for name in ("stream", "triggers", "ttl")] == ["applied", "failed", "applied"]
    reason = settings["triggers"]["reason"]
    assert f"the role {role['Role']['Arn']} of function {function} cannot read the stream of {target}" in reason
    assert f'"Resource":"arn:aws:dynamodb:{sandbox.region}:{sandbox.account_id}:table/{target}/stream/*"' in reason
    created = {m["functionArn"] for m in app.settings_of(sandbox, target)["triggers"]["mappings"]}
    source_functions = {m["functionArn"] for m in app.settings_of(sandbox, SOURCE)["triggers"]["mappings"]}
    assert created == source_functions, "every other trigger is created"


def role_arn(sandbox: Sandbox, logical_id: str) -> str:
    """The ARN of one of the deployment's roles."""
    pages = sandbox.client("cloudformation").get_paginator("list_stack_resources").paginate(StackName="restore-sync")
    [name] = [
        r["PhysicalResourceId"]
        for page in pages
        for r in page["StackResourceSummaries"]
        if r["LogicalResourceId"] == logical_id
    ]
    return str(sandbox.client("iam").get_role(RoleName=name)["Role"]["Arn"])


def applied_in_order(sandbox: Sandbox, execution_arn: str) -> list[str]:
    """The settings the execution's Apply setting steps returned, in the order they ran."""
    outputs = [
        json.loads(event["lambdaFunctionSucceededEventDetails"]["output"])
        for event in app.history(sandbox, execution_arn)
        if event["type"] == "LambdaFunctionSucceeded"
    ]
    return [output["setting"] for output in outputs if isinstance(output, dict) and "setting" in output]


def test_a_harmless_resource_policy_is_applied_last(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    target = f"{SOURCE}-policy-last"
    restored_and_settled(sandbox, deployed, target)

    started = sandbox.client("stepfunctions").start_execution(
        stateMachineArn=deployed["StateMachineArn"],
        input=json.dumps(
            {
                "targetTableName": target,
                "sourceTableName": SOURCE,
                "settings": ["resource_policy", "table_class", "ttl"],
            }
        ),
    )
    execution = app.wait(sandbox, started["executionArn"])

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert applied_in_order(sandbox, started["executionArn"]) == ["ttl", "table_class", "resource_policy"]
    assert json.loads(execution["output"])["settings"]["resource_policy"]["status"] == "applied"
    wanted = app.wanted_on_target(sandbox, SOURCE, target)["resource_policy"]
    assert app.settings_of(sandbox, target)["resource_policy"] == wanted


def test_a_resource_policy_that_would_lock_restore_sync_out_is_not_applied_and_the_rest_is(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    source, target = "vault", "vault-restored"
    ddb = sandbox.client("dynamodb")
    examples.make_source(ddb, source, items=3)
    # Everyone but an allow-list is denied every DynamoDB action. The owner lets restore-sync read the source (the
    # recorder, Normalize, Read source settings), not the roles that change and verify the copy.
    allowed = [
        f"arn:aws:iam::{app.ACCOUNT}:role/vault-admins",
        *(role_arn(sandbox, f"{name}FunctionRole") for name in ("Snapshot", "Normalize", "ReadSource")),
    ]
    table_arn = app.arn(source)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OnlyTheVaultsPrincipals",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "dynamodb:*",
                "Resource": [table_arn, f"{table_arn}/*"],
                "Condition": {"StringNotLike": {"aws:PrincipalArn": allowed}},
            }
        ],
    }
    ddb.put_resource_policy(ResourceArn=table_arn, Policy=json.dumps(policy))
    examples.settled()
    app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    dynamodb_restore.set_ready_after(target, sandbox.region, 0)
    ddb.restore_table_to_point_in_time(SourceTableName=source, TargetTableName=target, UseLatestRestorableTime=True)
    app.finished_execution(sandbox, deployed["StateMachineArn"], target)
    app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])

    chosen = ["ttl", "pitr", "deletion_protection", "resource_policy"]
    started = sandbox.client("stepfunctions").start_execution(
        stateMachineArn=deployed["StateMachineArn"],
        input=json.dumps({"targetTableName": target, "sourceTableName": source, "settings": chosen}),
    )
    execution = app.wait(sandbox, started["executionArn"])

    assert execution["status"] == "FAILED"
    assert execution["error"] == "SettingsFailed"
    [message] = app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    report = message["report"]
    assert {name: entry["status"] for name, entry in report["settings"].items()} == {
        "ttl": "applied",
        "pitr": "applied",
        "deletion_protection": "applied",
        "resource_policy": "failed",
    }
    assert report["drift"] == []
    reason = report["settings"]["resource_policy"]["reason"]
    assert reason.startswith("not applied: the policy would lock restore-sync out of the table")
    for name in ("CloudFormationRole", "VerifyFunctionRole"):
        assert f"{role_arn(sandbox, name)} would be denied dynamodb:" in reason
    assert "dynamodb:UpdateTable" in reason
    assert "dynamodb:DescribeTable" in reason
    assert role_arn(sandbox, "SnapshotFunctionRole") not in reason
    after = app.settings_of(sandbox, target)
    assert after["resource_policy"] == {"policy": None}
    wanted = app.wanted_on_target(sandbox, source, target)
    assert {name: after[name] for name in ("ttl", "pitr", "deletion_protection")} == {
        name: wanted[name] for name in ("ttl", "pitr", "deletion_protection")
    }
