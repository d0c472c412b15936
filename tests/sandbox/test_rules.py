"""The deployed rules against CloudTrail records and AWS Backup events as AWS documents them.

Each rule's pattern is read from the deployed stack and matched by EventBridge (moto) on a bus of its own, with
an SQS queue as the only target: PutEvents there starts nothing of restore-sync's. The fixtures under tests/events/
follow these pages of AWS's documentation:
- cloudtrail_restore_pitr_by_name (RestoreCallsRule): Amazon DynamoDB Developer Guide, "Logging DynamoDB
  operations by using AWS CloudTrail" (the record's fields), and the EventBridge events reference, "Amazon
  DynamoDB events" (source aws.dynamodb, eventSource dynamodb.amazonaws.com).
- backup_restore_job_completed (BackupRestoreJobsRule): AWS Backup Developer Guide, "Monitoring AWS Backup
  events using EventBridge" (detail-type Restore Job State Change, status COMPLETED, resourceType DynamoDB).
- cloudtrail_put_metric_alarm (SettingsChangesRule): Amazon CloudWatch User Guide, "Logging Amazon CloudWatch API
  calls with AWS CloudTrail" (eventSource monitoring.amazonaws.com, requestParameters in lower camel case,
  responseElements null), and the EventBridge events reference, "Amazon CloudWatch Monitoring events" (CloudTrail
  records arrive with source aws.monitoring; the "Amazon CloudWatch events" page names aws.cloudwatch for alarm
  events, so the rule requires only the "aws." prefix).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from restore_sync_sandbox.server import Sandbox
from tests.helpers import load_event
from tests.sandbox import app

PROBE_BUS = "rule-probe"
FIXTURES = {
    "RestoreCallsRule": "cloudtrail_restore_pitr_by_name",
    "BackupRestoreJobsRule": "backup_restore_job_completed",
    "SettingsChangesRule": "cloudtrail_put_metric_alarm",
}


@pytest.fixture(scope="module")
def probes(sandbox: Sandbox) -> dict[str, str]:
    """Rule -> the URL of a queue that receives what the deployed rule's pattern matches on the probe bus."""
    app.deploy(sandbox)
    events, sqs = sandbox.client("events"), sandbox.client("sqs")
    events.create_event_bus(Name=PROBE_BUS)
    queues: dict[str, str] = {}
    stack = sandbox.client("cloudformation").list_stack_resources(StackName="restore-sync")
    names = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in stack["StackResourceSummaries"]}
    for rule in FIXTURES:
        pattern = events.describe_rule(Name=names[rule])["EventPattern"]
        queues[rule] = sqs.create_queue(QueueName=f"probe-{rule}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queues[rule], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name=f"probe-{rule}", EventBusName=PROBE_BUS, EventPattern=pattern)
        events.put_targets(Rule=f"probe-{rule}", EventBusName=PROBE_BUS, Targets=[{"Id": "queue", "Arn": arn}])
    return queues


def delivered(sandbox: Sandbox, queue_url: str, event: dict[str, Any]) -> list[dict[str, Any]]:
    """What the probe queue receives once `event` is put on the probe bus."""
    app.put_event(sandbox, event, PROBE_BUS)
    sqs = sandbox.client("sqs")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(message["Body"]) for message in messages]


@pytest.mark.parametrize("rule", sorted(FIXTURES))
def test_the_documented_event_matches_its_rule(sandbox: Sandbox, probes: dict[str, str], rule: str) -> None:
    event = load_event(FIXTURES[rule])
    received = delivered(sandbox, probes[rule], event)
    assert [body["detail"] for body in received] == [event["detail"]]


@pytest.mark.parametrize("rule", ["RestoreCallsRule", "SettingsChangesRule"])
def test_a_failed_call_matches_no_rule(sandbox: Sandbox, probes: dict[str, str], rule: str) -> None:
    event = copy.deepcopy(load_event(FIXTURES[rule]))
    event["detail"].update(errorCode="AccessDenied", errorMessage="not authorized")
    event["detail"].pop("responseElements", None)
    assert delivered(sandbox, probes[rule], event) == []


@pytest.mark.parametrize("source", ["aws.monitoring", "aws.cloudwatch"])
def test_cloudwatch_records_match_whichever_source_eventbridge_gives_them(
    sandbox: Sandbox, probes: dict[str, str], source: str
) -> None:
    event = {**load_event(FIXTURES["SettingsChangesRule"]), "source": source}
    assert len(delivered(sandbox, probes["SettingsChangesRule"], event)) == 1


def test_a_record_of_another_service_with_a_known_event_name_matches_nothing(
    sandbox: Sandbox, probes: dict[str, str]
) -> None:
    # TagResource is a DynamoDB call restore-sync records, and the name of many other services' calls too.
    event = copy.deepcopy(load_event(FIXTURES["SettingsChangesRule"]))
    event["source"] = "aws.sqs"
    event["detail"].update(eventSource="sqs.amazonaws.com", eventName="TagResource")
    assert delivered(sandbox, probes["SettingsChangesRule"], event) == []
