"""The import material `restore-sync release` prints, and the template change it makes: pure functions."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import pytest

from restore_sync_tools import cli, release
from restore_sync_tools.release import Held, Material

TABLE = "orders-restored"
TABLE_ARN = f"arn:aws:dynamodb:eu-west-1:123456789012:table/{TABLE}"
POLICY_ARN = (
    "arn:aws:autoscaling:eu-west-1:123456789012:scalingPolicy:0f1e2d3c-aaaa-bbbb-cccc-0123456789ab:"
    f"resource/dynamodb/table/{TABLE}:policyName/reads"
)
STREAM = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders-changes"
TARGET_ID = f"table/{TABLE}/index/by-status|dynamodb:index:ReadCapacityUnits|dynamodb"
TABLE_REF = {"Ref": "Table"}

TEMPLATE: dict[str, Any] = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "TableName": TABLE,
                "KinesisStreamSpecification": {"StreamArn": STREAM},
                "ResourcePolicy": {"PolicyDocument": {"Version": "2012-10-17", "Statement": []}},
                "ContributorInsightsSpecification": {"Enabled": True},
                "GlobalSecondaryIndexes": [
                    {"IndexName": "by-status", "ContributorInsightsSpecification": {"Enabled": True}},
                    {"IndexName": "by-customer"},
                ],
            },
        },
        "TriggerAudit": {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {"FunctionName": "arn:aws:lambda:eu-west-1:123456789012:function:audit"},
        },
        "ScalingTargetStatus": {
            "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
            "DependsOn": "Table",
            "Properties": {
                "ResourceId": {"Fn::Join": ["", ["table/", TABLE_REF, "/index/by-status"]]},
                "ScheduledActions": [{"ScheduledActionName": "night", "Schedule": "cron(0 22 * * ? *)"}],
            },
        },
        "ScalingPolicyStatus": {
            "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
            "Properties": {"PolicyName": "reads", "ScalingTargetId": {"Ref": "ScalingTargetStatus"}},
        },
        "AlarmThrottles": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"AlarmName": "orders restored throttles"}},
    },
}
HELD = [
    Held("AlarmThrottles", "AWS::CloudWatch::Alarm", "orders restored throttles"),
    Held("ScalingPolicyStatus", "AWS::ApplicationAutoScaling::ScalingPolicy", POLICY_ARN),
    Held("ScalingTargetStatus", "AWS::ApplicationAutoScaling::ScalableTarget", TARGET_ID),
    Held("Table", "AWS::DynamoDB::Table", TABLE),
    Held("TriggerAudit", "AWS::Lambda::EventSourceMapping", "6f1b2c3d-0000-4000-8000-00000000abcd"),
    Held(release.MARKER_LOGICAL_ID, "AWS::CloudFormation::WaitConditionHandle", "https://example"),
]


def material() -> Material:
    handed = release.handed_over(HELD, TEMPLATE, TABLE_ARN)
    return Material(TABLE, TABLE_ARN, "restore-sync-orders-restored-0a1b2c3d4e", "arn:stack/id", tuple(handed))


def test_retaining_sets_both_policies_on_every_resource_and_adds_the_marker_leaving_the_input_alone() -> None:
    before = copy.deepcopy(TEMPLATE)

    changed = release.retained(TEMPLATE)

    assert before == TEMPLATE
    assert changed["Resources"][release.MARKER_LOGICAL_ID] == {"Type": "AWS::CloudFormation::WaitConditionHandle"}
    for name, resource in changed["Resources"].items():
        if name != release.MARKER_LOGICAL_ID:
            assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Retain", "Retain"), name
            assert resource["Properties"] == TEMPLATE["Resources"][name]["Properties"]
    assert release.not_retained(TEMPLATE) == [
        "AlarmThrottles",
        "ScalingPolicyStatus",
        "ScalingTargetStatus",
        "TriggerAudit",
    ]
    assert release.not_retained(changed) == []
    assert release.import_template(changed)["Resources"].keys() == TEMPLATE["Resources"].keys()


def test_the_cloudformation_identifiers_are_each_types_primary_identifier() -> None:
    to_import = release.resources_to_import(material())

    assert to_import == [
        {
            "ResourceType": "AWS::DynamoDB::Table",
            "LogicalResourceId": "Table",
            "ResourceIdentifier": {"TableName": TABLE},
        },
        {
            "ResourceType": "AWS::ApplicationAutoScaling::ScalableTarget",
            "LogicalResourceId": "ScalingTargetStatus",
            "ResourceIdentifier": {
                "ResourceId": f"table/{TABLE}/index/by-status",
                "ScalableDimension": "dynamodb:index:ReadCapacityUnits",
                "ServiceNamespace": "dynamodb",
            },
        },
        {
            "ResourceType": "AWS::ApplicationAutoScaling::ScalingPolicy",
            "LogicalResourceId": "ScalingPolicyStatus",
            "ResourceIdentifier": {"Arn": POLICY_ARN, "ScalableDimension": "dynamodb:index:ReadCapacityUnits"},
        },
        {
            "ResourceType": "AWS::CloudWatch::Alarm",
            "LogicalResourceId": "AlarmThrottles",
            "ResourceIdentifier": {"AlarmName": "orders restored throttles"},
        },
        {
            "ResourceType": "AWS::Lambda::EventSourceMapping",
            "LogicalResourceId": "TriggerAudit",
            "ResourceIdentifier": {"Id": "6f1b2c3d-0000-4000-8000-00000000abcd"},
        },
    ]


def test_the_terraform_lines_use_the_providers_import_ids_and_quote_them_for_the_shell() -> None:
    lines = release.terraform_lines(material())

    index_insights = [line for line in lines if "index:by-status/" in line]
    assert lines[:4] == [
        f"terraform import aws_dynamodb_table.Table {TABLE}",
        f"terraform import aws_dynamodb_kinesis_streaming_destination.TableKinesis {TABLE},{STREAM}",
        f"terraform import aws_dynamodb_resource_policy.TableResourcePolicy {TABLE_ARN}",
        f"terraform import aws_dynamodb_contributor_insights.TableContributorInsights name:{TABLE}/index:/123456789012",
    ]
    assert len(index_insights) == 1
    assert index_insights[0].startswith(
        "terraform import aws_dynamodb_contributor_insights.ContributorInsightsByStatus"
    )
    assert index_insights[0].endswith(f" name:{TABLE}/index:by-status/123456789012")
    assert (
        f"terraform import aws_appautoscaling_target.ScalingTargetStatus "
        f"dynamodb/table/{TABLE}/index/by-status/dynamodb:index:ReadCapacityUnits"
    ) in lines
    assert (
        f"terraform import aws_appautoscaling_policy.ScalingPolicyStatus "
        f"dynamodb/table/{TABLE}/index/by-status/dynamodb:index:ReadCapacityUnits/reads"
    ) in lines
    assert "terraform import aws_cloudwatch_metric_alarm.AlarmThrottles 'orders restored throttles'" in lines
    assert "terraform import aws_lambda_event_source_mapping.TriggerAudit 6f1b2c3d-0000-4000-8000-00000000abcd" in lines
    [scheduled] = [line for line in lines if not line.startswith("terraform import ")]
    assert scheduled.startswith("# aws_appautoscaling_scheduled_action.ScheduledNight")
    assert "scheduled action night of ScalingTargetStatus has no terraform import" in scheduled
    assert len(lines) == 10


def test_what_is_read_back_names_each_resource_as_its_service_finds_it() -> None:
    lookups = {h.logical_id: (h.terraform_type, h.lookup) for h in material().handed}

    assert lookups["ScalingPolicyStatus"] == (
        "aws_appautoscaling_policy",
        {
            "ServiceNamespace": "dynamodb",
            "ResourceId": f"table/{TABLE}/index/by-status",
            "ScalableDimension": "dynamodb:index:ReadCapacityUnits",
            "PolicyName": "reads",
            "Arn": POLICY_ARN,
        },
    )
    assert lookups["TableKinesis"] == (
        "aws_dynamodb_kinesis_streaming_destination",
        {"TableName": TABLE, "StreamArn": STREAM},
    )
    assert set(release.EXISTS) == {h.terraform_type for h in material().handed} | {"aws_dynamodb_table"}


def test_a_table_with_no_separate_properties_is_handed_over_alone() -> None:
    template = {"Resources": {"Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": TABLE}}}}

    handed = release.handed_over([Held("Table", "AWS::DynamoDB::Table", TABLE)], template, TABLE_ARN)

    assert [(h.terraform_address, h.terraform_id) for h in handed] == [("aws_dynamodb_table.Table", TABLE)]


def test_what_release_cannot_identify_is_named_before_anything_changes() -> None:
    queue = Held("Queue", "AWS::SQS::Queue", "https://sqs/queue")
    orphan = {
        "Resources": {"P": {"Type": "AWS::ApplicationAutoScaling::ScalingPolicy", "Properties": {"PolicyName": "x"}}}
    }

    assert release.unknown_types([*HELD, queue]) == ["Queue (AWS::SQS::Queue)"]
    with pytest.raises(ValueError, match="cannot hand over a AWS::SQS::Queue"):
        release.handed_over([queue], {"Resources": {}}, TABLE_ARN)
    with pytest.raises(ValueError, match="names no scalable target"):
        release.handed_over([Held("P", "AWS::ApplicationAutoScaling::ScalingPolicy", POLICY_ARN)], orphan, TABLE_ARN)
    with pytest.raises(ValueError, match="not a scalable target's id"):
        release.handed_over([Held("T", "AWS::ApplicationAutoScaling::ScalableTarget", "table/x")], {}, TABLE_ARN)


def change(action: str, logical_id: str, resource_type: str, **more: Any) -> dict[str, Any]:
    return {
        "ResourceChange": {"Action": action, "LogicalResourceId": logical_id, "ResourceType": resource_type, **more}
    }


def test_the_retaining_change_set_may_only_change_policies_in_place_and_add_the_marker() -> None:
    allowed = [
        change("Add", release.MARKER_LOGICAL_ID, "AWS::CloudFormation::WaitConditionHandle"),
        change("Modify", "AlarmThrottles", "AWS::CloudWatch::Alarm", Replacement="False", Scope=["DeletionPolicy"]),
        change(
            "Modify",
            "TriggerAudit",
            "AWS::Lambda::EventSourceMapping",
            Replacement="False",
            Scope=["DeletionPolicy", "UpdateReplacePolicy"],
        ),
        # Its target's policies change: listed through its reference, resolved to the same value.
        change(
            "Modify",
            "ScalingPolicyStatus",
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            Replacement="Conditional",
            Scope=["Properties"],
            Details=[
                {
                    "Target": {"Attribute": "Properties", "Name": "ScalingTargetId", "RequiresRecreation": "Always"},
                    "Evaluation": "Dynamic",
                    "ChangeSource": "ResourceReference",
                    "CausingEntity": "ScalingTargetStatus",
                }
            ],
        ),
    ]
    refused = [
        change("Modify", "AlarmThrottles", "AWS::CloudWatch::Alarm", Replacement="False", Scope=["Properties"]),
        change("Remove", "TriggerAudit", "AWS::Lambda::EventSourceMapping"),
        change("Add", "Other", "AWS::CloudWatch::Alarm"),
        change("Modify", "TriggerAudit", "AWS::Lambda::EventSourceMapping", Replacement="False", Scope=["Properties"]),
        change(
            "Modify",
            "ScalingPolicyStatus",
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            Replacement="True",
            Scope=["Properties"],
            Details=[{"Target": {"Attribute": "Properties", "Name": "PolicyName"}, "Evaluation": "Static"}],
        ),
        change("Modify", "Table", "AWS::DynamoDB::Table", Replacement="True", Scope=["Properties"]),
    ]

    assert release.unexpected_changes(allowed) == []
    problems = release.unexpected_changes(refused)
    assert "it would Modify AlarmThrottles (Properties)" in problems
    assert "it would Remove TriggerAudit (no scope)" in problems
    assert "it would Add Other (no scope)" in problems
    assert "it would Modify TriggerAudit (Properties)" in problems
    assert "it would Modify ScalingPolicyStatus (Properties)" in problems
    assert len(problems) == 7
    assert any(p.startswith("it would replace table resource Table") for p in problems)


def test_the_text_names_the_stack_each_identifier_and_where_the_template_stays() -> None:
    text = "\n".join(release.as_text(material()))

    assert text.startswith(
        f"released table {TABLE}: stack restore-sync-orders-restored-0a1b2c3d4e is deleted; it held 5 resource(s)"
    )
    assert "  Table                AWS::DynamoDB::Table" in text
    assert json.dumps(release.resources_to_import(material()), indent=2) in text
    assert f"  terraform import aws_dynamodb_table.Table {TABLE}" in text
    assert "aws cloudformation get-template --stack-name arn:stack/id" in text
    assert f"without its {release.MARKER_LOGICAL_ID} resource" in text


def test_release_needs_a_target() -> None:
    out, err = io.StringIO(), io.StringIO()

    code = cli.main(["release"], out=out, err=err)

    assert code == cli.ExitCode.USAGE
    assert "the following arguments are required: --target" in err.getvalue()
