"""`restore-sync release` in the sandbox: a restored table made whole is handed over; its governance stack goes, and
the table, its items and every setting stay exactly as they were, named by the printed import material."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from restore_sync.aws import Aws
from restore_sync.workflow.stack import StackOps
from restore_sync_sandbox import examples
from restore_sync_sandbox.extensions import dynamodb_restore
from restore_sync_sandbox.server import Sandbox
from restore_sync_tools import release
from restore_sync_tools.cli import main
from restore_sync_tools.release import Release
from tests.sandbox import app

SOURCE, TARGET = "ledger", "ledger-restored"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def items(sandbox: Sandbox, table: str) -> list[dict[str, Any]]:
    pages = sandbox.client("dynamodb").get_paginator("scan").paginate(TableName=table)
    return sorted((item for page in pages for item in page["Items"]), key=lambda item: json.dumps(item, sort_keys=True))


def everything(sandbox: Sandbox, table: str) -> dict[str, Any]:
    """The table as its services describe it: every setting as restore-sync reads them, the table's description
    (keys, indexes, capacity, stream, class...) and its items."""
    described = sandbox.client("dynamodb").describe_table(TableName=table)["Table"]
    return {"settings": app.settings_of(sandbox, table), "table": described, "items": items(sandbox, table)}


@pytest.fixture(scope="module")
def released(sandbox: Sandbox) -> dict[str, Any]:
    """The target restored from a source with every setting and made whole, read, then released (--json)."""
    outputs = app.deploy(sandbox)
    examples.make_full_source(app.clients(sandbox), SOURCE, items=12)
    dynamodb_restore.set_ready_after(TARGET, sandbox.region, 60)
    sandbox.client("dynamodb").restore_table_to_point_in_time(
        SourceTableName=SOURCE, TargetTableName=TARGET, UseLatestRestorableTime=True
    )
    execution = app.finished_execution(sandbox, outputs["StateMachineArn"], TARGET)
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    stack = json.loads(execution["output"])["stack"]
    before = everything(sandbox, TARGET)

    code, out, err = run("release", "--target", TARGET, "--json")

    assert code == 0, err
    return {"outputs": outputs, "stack": stack, "before": before, "material": json.loads(out)}


def test_release_deletes_the_stack_and_leaves_the_table_its_items_and_every_setting_as_they_were(
    sandbox: Sandbox, released: dict[str, Any]
) -> None:
    assert released["material"]["stack"] == released["stack"]
    assert released["material"]["missing"] == []
    assert app.governance_stacks(sandbox) == []
    deleted = sandbox.client("cloudformation").describe_stacks(StackName=released["material"]["stackId"])["Stacks"][0]
    assert deleted["StackStatus"] == "DELETE_COMPLETE"
    after = everything(sandbox, TARGET)
    assert after == released["before"]
    # What "every setting" covers here: the table was made whole with all of them.
    settings = after["settings"]
    assert len(settings["triggers"]["mappings"]) == 3
    assert len(settings["autoscaling"]["targets"]) == 4
    assert len(settings["alarms"]["alarms"]) == 2
    assert settings["kinesis"]["destinations"]
    assert settings["resource_policy"]["policy"]
    assert settings["tags"]["tags"]
    assert settings["ttl"]["enabled"]
    assert settings["deletion_protection"]["enabled"]


def test_the_cloudformation_identifiers_name_exactly_what_exists(sandbox: Sandbox, released: dict[str, Any]) -> None:
    by_type: dict[str, list[dict[str, str]]] = {}
    for entry in released["material"]["resourcesToImport"]:
        by_type.setdefault(entry["ResourceType"], []).append(entry["ResourceIdentifier"])
    stream = sandbox.client("dynamodb").describe_table(TableName=TARGET)["Table"]["LatestStreamArn"]
    mappings = sandbox.client("lambda").list_event_source_mappings(EventSourceArn=stream)["EventSourceMappings"]
    scaling = sandbox.client("application-autoscaling")
    targets = scaling.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"]
    policies = scaling.describe_scaling_policies(ServiceNamespace="dynamodb")["ScalingPolicies"]
    ours = [t for t in targets if t["ResourceId"].split("/")[1] == TARGET]
    alarms = [a["AlarmName"] for a in app.settings_of(sandbox, TARGET)["alarms"]["alarms"]]

    assert by_type["AWS::DynamoDB::Table"] == [{"TableName": TARGET}]
    assert sorted(i["Id"] for i in by_type["AWS::Lambda::EventSourceMapping"]) == sorted(m["UUID"] for m in mappings)
    assert sorted(
        json.dumps(i, sort_keys=True) for i in by_type["AWS::ApplicationAutoScaling::ScalableTarget"]
    ) == sorted(
        json.dumps(
            {
                "ResourceId": t["ResourceId"],
                "ScalableDimension": t["ScalableDimension"],
                "ServiceNamespace": "dynamodb",
            },
            sort_keys=True,
        )
        for t in ours
    )
    assert sorted(i["Arn"] for i in by_type["AWS::ApplicationAutoScaling::ScalingPolicy"]) == sorted(
        p["PolicyARN"] for p in policies if p["ResourceId"].split("/")[1] == TARGET
    )
    assert sorted(i["AlarmName"] for i in by_type["AWS::CloudWatch::Alarm"]) == sorted(alarms)
    assert set(by_type) == {
        "AWS::DynamoDB::Table",
        "AWS::Lambda::EventSourceMapping",
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        "AWS::CloudWatch::Alarm",
    }
    # The template handed out holds exactly these resources, every one kept on deletion.
    template = released["material"]["template"]["Resources"]
    assert set(template) == {e["LogicalResourceId"] for e in released["material"]["resourcesToImport"]}
    assert {(r["DeletionPolicy"], r["UpdateReplacePolicy"]) for r in template.values()} == {("Retain", "Retain")}


def test_the_terraform_lines_import_each_resource_and_the_table_properties_terraform_keeps_apart(
    sandbox: Sandbox, released: dict[str, Any]
) -> None:
    lines = released["material"]["terraform"]
    imports = [line.split() for line in lines if line.startswith("terraform import ")]
    types = sorted(address.split(".")[0] for _, _, address, _ in imports)
    account, table_arn = sandbox.account_id, released["material"]["tableArn"]
    kinesis = app.settings_of(sandbox, TARGET)["kinesis"]["destinations"][0]["streamArn"]

    assert ["terraform", "import", "aws_dynamodb_table.Table", TARGET] in imports
    assert ["terraform", "import", "aws_dynamodb_resource_policy.TableResourcePolicy", table_arn] in imports
    assert [
        "terraform",
        "import",
        "aws_dynamodb_kinesis_streaming_destination.TableKinesis",
        f"{TARGET},{kinesis}",
    ] in imports
    insights = sorted(i for _, _, address, i in imports if address.startswith("aws_dynamodb_contributor_insights."))
    assert insights == [f"name:{TARGET}/index:/{account}", f"name:{TARGET}/index:by-status/{account}"]
    assert types.count("aws_lambda_event_source_mapping") == 3
    assert types.count("aws_appautoscaling_target") == 4
    assert types.count("aws_cloudwatch_metric_alarm") == 2
    policies = [i for _, _, address, i in imports if address.startswith("aws_appautoscaling_policy.")]
    assert len(policies) == 4
    assert all(p.startswith(f"dynamodb/table/{TARGET}") for p in policies)
    assert len(imports) + sum(line.startswith("# aws_appautoscaling_scheduled_action.") for line in lines) == len(lines)


def test_a_released_table_is_held_by_no_stack_so_a_new_import_can_adopt_it(
    sandbox: Sandbox, released: dict[str, Any]
) -> None:
    outputs = released["outputs"]
    ops = StackOps(Aws(region=sandbox.region), released["stack"], outputs["CloudFormationRoleArn"])

    assert ops.stack() is None
    assert ops.claimant(TARGET) is None
    with pytest.raises(ClientError, match="does not exist"):
        sandbox.client("cloudformation").describe_stack_resources(PhysicalResourceId=TARGET)


def test_a_table_without_a_governance_stack_is_refused_and_left_alone(
    sandbox: Sandbox, released: dict[str, Any]
) -> None:
    examples.make_plain(sandbox.client("dynamodb"), "unmanaged", items=1)

    code, out, err = run("release", "--target", "unmanaged")
    again, _, err_again = run("release", "--target", TARGET)

    assert code == again == 1
    assert "table unmanaged has no governance stack" in err
    assert "nothing to release" in err
    assert f"table {TARGET} has no governance stack" in err_again
    assert out == ""
    assert everything(sandbox, TARGET) == released["before"]


def test_each_kind_of_resource_is_read_back_as_there_or_missing(sandbox: Sandbox, released: dict[str, Any]) -> None:
    reader = Release(Aws(region=sandbox.region), "restore-sync", TARGET)
    ddb = sandbox.client("dynamodb")
    table_arn = released["material"]["tableArn"]
    stream = ddb.describe_table(TableName=TARGET)["Table"]["LatestStreamArn"]
    [mapping, *_] = sandbox.client("lambda").list_event_source_mappings(EventSourceArn=stream)["EventSourceMappings"]
    scaling = sandbox.client("application-autoscaling")
    [policy, *_] = scaling.describe_scaling_policies(ServiceNamespace="dynamodb", ResourceId=f"table/{TARGET}")[
        "ScalingPolicies"
    ]
    target = {k: policy[k] for k in ("ServiceNamespace", "ResourceId", "ScalableDimension")}
    scaling.put_scheduled_action(
        **target, ScheduledActionName="nightly", Schedule="cron(0 22 * * ? *)", ScalableTargetAction={"MinCapacity": 5}
    )
    kinesis = app.settings_of(sandbox, TARGET)["kinesis"]["destinations"][0]["streamArn"]
    alarm = app.settings_of(sandbox, TARGET)["alarms"]["alarms"][0]["AlarmName"]
    elsewhere = table_arn.replace(TARGET, "no-such-table")
    # Per kind: a lookup of what exists, and one of what does not.
    cases = {
        release.TERRAFORM_TYPES[release.TABLE]: ({"TableName": TARGET}, {"TableName": "no-such-table"}),
        release.TERRAFORM_TYPES[release.MAPPING]: ({"Id": mapping["UUID"]}, {"Id": str(uuid.uuid4())}),
        release.TERRAFORM_TYPES[release.ALARM]: ({"AlarmName": alarm}, {"AlarmName": "no-such-alarm"}),
        release.TERRAFORM_TYPES[release.SCALABLE_TARGET]: (target, {**target, "ResourceId": f"table/{TARGET}/index/x"}),
        release.TERRAFORM_TYPES[release.SCALING_POLICY]: (
            {**target, "PolicyName": policy["PolicyName"], "Arn": policy["PolicyARN"]},
            {**target, "PolicyName": policy["PolicyName"], "Arn": policy["PolicyARN"] + "-other"},
        ),
        release.SCHEDULED_ACTION: (
            {**target, "ScheduledActionName": "nightly"},
            {**target, "ScheduledActionName": "weekly"},
        ),
        release.KINESIS_DESTINATION: (
            {"TableName": TARGET, "StreamArn": kinesis},
            {"TableName": TARGET, "StreamArn": kinesis + "-other"},
        ),
        release.RESOURCE_POLICY: ({"ResourceArn": table_arn}, {"ResourceArn": elsewhere}),
        release.CONTRIBUTOR_INSIGHTS: (
            {"TableName": TARGET, "IndexName": "by-status"},
            {"TableName": TARGET, "IndexName": "by-customer.v2"},
        ),
    }

    found = {
        kind: tuple(reader.exists(release.Handed("X", "", key, kind, None, kind, key)) for key in keys)
        for kind, keys in cases.items()
    }

    assert found == dict.fromkeys(cases, (True, False))
    assert set(cases) == set(release.EXISTS)


def test_a_released_table_started_again_is_adopted_again_with_what_it_kept(
    sandbox: Sandbox, released: dict[str, Any]
) -> None:
    """Everything release kept exists outside any stack under the identifiers the settings need: the new governance
    stack imports it instead of creating it twice."""
    mappings = {m["UUID"] for m in sandbox.client("lambda").list_event_source_mappings()["EventSourceMappings"]}
    code, _, err = run("start", "--target", TARGET, "--source", SOURCE)
    assert code == 0, err
    execution = app.finished_executions(sandbox, released["outputs"]["StateMachineArn"], TARGET, count=2)[0]

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    report = json.loads(execution["output"])
    imported = {
        setting: len([c for c in entry.get("changes", []) if c["action"] == "Import"])
        for setting, entry in report["settings"].items()
    }
    before = released["before"]["settings"]
    policies = sum(len(target["policies"]) for target in before["autoscaling"]["targets"])
    assert (imported["triggers"], imported["autoscaling"], imported["alarms"]) == (3, 4 + policies, 2)
    assert {m["UUID"] for m in sandbox.client("lambda").list_event_source_mappings()["EventSourceMappings"]} == mappings
    assert everything(sandbox, TARGET) == released["before"]
