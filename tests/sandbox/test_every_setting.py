"""Every setting at once, end to end in the sandbox: a source configured every way an operator can, restored,
made whole and verified; and the failures that must stay isolated to their setting."""

from __future__ import annotations

import json
from typing import Any

import pytest

from restore_sync.aws import Aws, TableRef
from restore_sync.settings import NAMES
from restore_sync.settings.document import describe
from restore_sync.workflow import stack, stored
from restore_sync.workflow.stack import StackOps
from restore_sync_sandbox import examples
from restore_sync_sandbox.extensions import dynamodb_restore
from restore_sync_sandbox.server import Sandbox
from tests.sandbox import app

# The full source is provisioned: a maximum on-demand throughput does not apply to a provisioned restore of it.
# Replicas are opt-in (Replicas none by default): skipped, saying so.
ALL_APPLIED = {**dict.fromkeys(NAMES, "applied"), "on_demand_throughput": "skipped", "replicas": "skipped"}


@pytest.fixture(scope="module")
def deployed(sandbox: Sandbox) -> dict[str, str]:
    return app.deploy(sandbox)


def restore(sandbox: Sandbox, source: str, target: str, **overrides: Any) -> None:
    dynamodb_restore.set_ready_after(target, sandbox.region, 600)
    sandbox.client("dynamodb").restore_table_to_point_in_time(
        SourceTableName=source, TargetTableName=target, UseLatestRestorableTime=True, **overrides
    )


def listed_mappings(sandbox: Sandbox, table: str) -> dict[str, dict[str, Any]]:
    """ListEventSourceMappings on the table's stream, by function ARN."""
    stream = sandbox.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    listed = sandbox.client("lambda").list_event_source_mappings(EventSourceArn=stream)["EventSourceMappings"]
    return {m["FunctionArn"]: m for m in listed}


def statuses(execution: dict[str, Any]) -> dict[str, str]:
    report = json.loads(execution["output"]) if "output" in execution else None
    assert report is not None, execution.get("cause")
    return {name: entry["status"] for name, entry in report["settings"].items()}


def test_a_source_with_every_setting_is_restored_whole(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    made = examples.make_full_source(app.clients(sandbox), "catalog", items=30)
    restore(sandbox, "catalog", "catalog-restored")

    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "catalog-restored")

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert statuses(execution) == ALL_APPLIED
    assert json.loads(execution["output"])["drift"] == []
    on_target = app.settings_of(sandbox, "catalog-restored")
    assert on_target == app.wanted_on_target(sandbox, "catalog", "catalog-restored")
    assert app.item_count(sandbox, "catalog-restored") == app.item_count(sandbox, "catalog") == 30
    # What "the same" means, spelled out for the settings that are easiest to get subtly wrong.
    mappings = on_target["triggers"]["mappings"]
    assert len(mappings) == 3
    assert sorted(m["enabled"] for m in mappings) == [False, True, True]
    assert any("FilterCriteria" in m["properties"] for m in mappings)
    # The encrypted filter, read as Lambda shows it (null in the list, plain from Get), copied whole with its key.
    indexer = made["function:search-indexer"]
    source_mapping, copy = (listed_mappings(sandbox, table)[indexer] for table in ("catalog", "catalog-restored"))
    assert "FilterCriteria" not in copy
    got = {m["UUID"]: sandbox.client("lambda").get_event_source_mapping(UUID=m["UUID"]) for m in (source_mapping, copy)}
    assert got[copy["UUID"]]["FilterCriteria"] == got[source_mapping["UUID"]]["FilterCriteria"]
    assert json.loads(got[copy["UUID"]]["FilterCriteria"]["Filters"][0]["Pattern"]) == {
        "eventName": ["INSERT", "MODIFY"]
    }
    assert (copy["KMSKeyArn"], copy["MetricsConfig"]) == (made["filterKey"], {"Metrics": ["EventCount"]})
    assert [m["properties"]["MaximumRetryAttempts"] for m in mappings if "MaximumRetryAttempts" in m["properties"]] == [
        0
    ]
    assert on_target["kinesis"] == {"destinations": [{"streamArn": made["kinesis"], "precision": "MICROSECOND"}]}
    assert {t["resource"] for t in on_target["autoscaling"]["targets"]} == {
        "table",
        "index/by-status",
        "index/by-customer.v2",
    }
    assert sorted(a["AlarmName"] for a in on_target["alarms"]["alarms"]) == [
        "catalog-restored-read-throttles",
        "catalog-restored-status-index-write-throttles",
    ]
    assert on_target["table_class"] == {"tableClass": "STANDARD_INFREQUENT_ACCESS"}
    # Raised from where a restored provisioned table starts (its capacity) to the source's, table and indexes, and
    # the one-time cost of the raise reported: only the units above what the target had.
    assert on_target["warm_throughput"] == examples.FULL_WARM_THROUGHPUT
    cost = json.loads(execution["output"])["settings"]["warm_throughput"]["cost"]
    assert (cost["readUnitsPerSecond"], cost["writeUnitsPerSecond"]) == (
        (1200 - 10) + (800 - 5) + (400 - 5),
        (600 - 5) + (300 - 5) + (200 - 5),
    )
    assert on_target["contributor_insights"] == {
        "table": True,
        "tableMode": "ACCESSED_AND_THROTTLED_KEYS",
        "indexes": ["by-status"],
        "indexModes": {"by-status": "THROTTLED_KEYS"},
    }
    # The stream's own tags and policy, on the target's new stream: the reader the source's stream let in is let in.
    stream = sandbox.client("dynamodb").describe_table(TableName="catalog-restored")["Table"]["LatestStreamArn"]
    assert on_target["stream"]["tags"] == [{"Key": k, "Value": v} for k, v in sorted(examples.STREAM_TAGS.items())]
    assert on_target["stream_policy"] == {
        "policy": examples.stream_policy(stream, made["streamReader"]),
        "streamArn": stream,
    }


def test_a_deleted_trigger_function_fails_only_the_triggers(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    made = examples.make_full_source(app.clients(sandbox), "ledger", items=5)
    sandbox.client("lambda").delete_function(FunctionName=made["function:audit"])
    app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    restore(sandbox, "ledger", "ledger-restored")

    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "ledger-restored")

    assert execution["status"] == "FAILED"
    assert execution["error"] == "SettingsFailed"
    [message] = app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    settings = message["report"]["settings"]
    assert settings["triggers"]["status"] == "failed"
    assert "ledger-audit" in settings["triggers"]["reason"]
    assert {name: entry["status"] for name, entry in settings.items() if name != "triggers"} == {
        name: status for name, status in ALL_APPLIED.items() if name != "triggers"
    }
    assert app.item_count(sandbox, "ledger-restored") == 5


def test_a_deleted_kinesis_stream_fails_only_the_kinesis_setting(sandbox: Sandbox, deployed: dict[str, str]) -> None:
    examples.make_full_source(app.clients(sandbox), "events", items=5)
    sandbox.client("kinesis").delete_stream(StreamName="events-changes")
    app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    # The restore also chooses a capacity below the source's scaling range, which copying the scaling would undo.
    chosen = {"ReadCapacityUnits": 2, "WriteCapacityUnits": 2}
    restore(sandbox, "events", "events-restored", ProvisionedThroughputOverride=chosen)

    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "events-restored")

    assert execution["status"] == "FAILED"
    [message] = app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    settings = message["report"]["settings"]
    assert settings["kinesis"]["status"] == "failed"
    assert "events-changes" in settings["kinesis"]["reason"]
    assert settings["triggers"]["status"] == "applied"
    assert settings["alarms"]["status"] == "applied"
    assert app.item_count(sandbox, "events-restored") == 5
    assert settings["autoscaling"]["status"] == "kept"
    assert settings["autoscaling"]["reason"].startswith(
        "chosen at restore: the provisioned capacity the restore asked for lies outside the source's scaling range "
        "(table ReadCapacityUnits 2, range 5-200; table WriteCapacityUnits 2, range 5-200; "
    )
    kept = message["report"]["restore"]["ProvisionedThroughputOverride"]
    assert kept["status"] == "kept"
    assert kept["reason"].startswith("chosen at restore: provisioned capacity 2 read, 2 write units")
    described = sandbox.client("dynamodb").describe_table(TableName="events-restored")["Table"]
    assert {unit: described["ProvisionedThroughput"][unit] for unit in chosen} == chosen
    assert app.settings_of(sandbox, "events-restored")["autoscaling"] == {"targets": []}


def test_an_on_demand_target_skips_auto_scaling_and_is_otherwise_whole(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    examples.make_full_source(app.clients(sandbox), "metrics", items=5)
    # The restore chooses the target's maximum on-demand throughput and its encryption itself: restore-sync must not
    # revert them, and reports each, read from the restore's own request (its CloudTrail record).
    chosen = {"MaxReadRequestUnits": 250}
    key = sandbox.client("kms").create_key(Description="metrics-restored")["KeyMetadata"]["Arn"]
    encryption = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key}
    restore(
        sandbox,
        "metrics",
        "metrics-restored",
        BillingModeOverride="PAY_PER_REQUEST",
        OnDemandThroughputOverride=chosen,
        SSESpecificationOverride=encryption,
    )

    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "metrics-restored")

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    report = json.loads(execution["output"])
    assert report["settings"]["autoscaling"]["status"] == "skipped"
    assert "on-demand" in report["settings"]["autoscaling"]["reason"]
    assert report["settings"]["on_demand_throughput"]["reason"].startswith("chosen at restore")
    # An on-demand restore starts warmer (12,000/4,000) than the source was pre-warmed: left as it is, not lowered.
    assert report["settings"]["warm_throughput"]["reason"].startswith("the target is already as warm as the source")
    assert "cost" not in report["settings"]["warm_throughput"]
    assert statuses(execution) == {
        **ALL_APPLIED,
        "autoscaling": "skipped",
        "on_demand_throughput": "kept",
        "warm_throughput": "unchanged",
    }
    record = "the CloudTrail record of the RestoreTableToPointInTime call"
    assert record in report["settings"]["on_demand_throughput"]["reason"]
    assert report["restore"] == {
        "BillingModeOverride": {
            "status": "kept",
            "reason": f"chosen at restore: billing mode PAY_PER_REQUEST (BillingModeOverride in {record})",
            "chosen": "PAY_PER_REQUEST",
        },
        "OnDemandThroughputOverride": {
            "status": "kept",
            "reason": "chosen at restore: maximum on-demand throughput 250 read request units "
            f"(OnDemandThroughputOverride in {record})",
            "chosen": chosen,
        },
        "SSESpecificationOverride": {
            "status": "kept",
            "reason": f"chosen at restore: encryption with the KMS key {key} (SSESpecificationOverride in {record})",
            "chosen": encryption,
        },
    }
    on_target = app.settings_of(sandbox, "metrics-restored")
    assert on_target["autoscaling"] == {"targets": []}
    assert on_target["on_demand_throughput"] == {"table": chosen, "indexes": {}}
    described = sandbox.client("dynamodb").describe_table(TableName="metrics-restored")["Table"]
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert described["SSEDescription"]["SSEType"] == "KMS"
    assert described["SSEDescription"]["KMSMasterKeyArn"] == key
    start = {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000}
    assert on_target["warm_throughput"] == {"table": start, "indexes": dict.fromkeys(examples.INDEXES, start)}


def test_a_large_source_is_made_whole_through_the_bucket_with_the_state_kept_small(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    # 100 alarms, 50 tags, a 20 KB resource policy, three auto-scaled indexes: governance templates over
    # CloudFormation's inline limit, and a settings document the workflow could not carry inline.
    made = examples.make_large_source(app.clients(sandbox), "inventory", items=5)
    restore(sandbox, "inventory", "inventory-restored")

    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "inventory-restored")

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    # Its warm throughput is where a provisioned table starts (its capacity), as its restore's is.
    not_on_the_source = (
        "stream",
        "triggers",
        "kinesis",
        "contributor_insights",
        "deletion_protection",
        "table_class",
        "warm_throughput",
        "stream_policy",
    )
    assert statuses(execution) == {
        **{name: "unchanged" if name in not_on_the_source else "applied" for name in NAMES},
        "on_demand_throughput": "skipped",
        "replicas": "skipped",
    }
    on_target = app.settings_of(sandbox, "inventory-restored")
    assert on_target == app.wanted_on_target(sandbox, "inventory", "inventory-restored")
    assert len(on_target["alarms"]["alarms"]) == examples.LARGE_ALARMS
    assert len(on_target["tags"]["tags"]) == examples.LARGE_TAGS
    assert {t["resource"] for t in on_target["autoscaling"]["targets"]} == {
        "table",
        *(f"index/{index}" for index in examples.LARGE_INDEXES),
    }
    assert made["policyBytes"] > 19_000
    # The templates too large to send inline went through the bucket; the documents passed by reference.
    bucket = deployed["ExecutionDataBucketName"]
    stored = {o["Key"]: o["Size"] for o in sandbox.client("s3").list_objects_v2(Bucket=bucket)["Contents"]}
    assert [size for key, size in stored.items() if key.startswith("templates/")], stored
    assert all(size > 51_200 for key, size in stored.items() if key.startswith("templates/"))
    events = app.history(sandbox, execution["executionArn"])
    read = next(e for e in events if e.get("stateExitedEventDetails", {}).get("name") == "Read source settings")
    source = json.loads(read["stateExitedEventDetails"]["output"])["source"]
    assert "document" not in source
    assert source["documentStored"]["key"] in stored


def test_a_large_source_with_a_failing_setting_still_sends_its_full_report_to_the_dead_letter_queue(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    examples.make_large_source(app.clients(sandbox), "stock", items=5)
    # A Kinesis destination whose stream is then deleted: that setting fails, every other one is applied.
    kinesis = sandbox.client("kinesis")
    kinesis.create_stream(StreamName="stock-changes", ShardCount=1)
    stream = kinesis.describe_stream(StreamName="stock-changes")["StreamDescription"]["StreamARN"]
    sandbox.client("dynamodb").enable_kinesis_streaming_destination(TableName="stock", StreamArn=stream)
    examples.settled()
    kinesis.delete_stream(StreamName="stock-changes")
    app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    restore(sandbox, "stock", "stock-restored")

    execution = app.finished_execution(sandbox, deployed["StateMachineArn"], "stock-restored")

    assert (execution["status"], execution["error"]) == ("FAILED", "SettingsFailed")
    [message] = app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"])
    settings = message["report"]["settings"]
    assert settings["kinesis"]["status"] == "failed"
    assert "stock-changes" in settings["kinesis"]["reason"]
    assert {settings[name]["status"] for name in ("alarms", "tags", "autoscaling", "resource_policy")} == {"applied"}
    assert len(settings["alarms"]["changes"]) == examples.LARGE_ALARMS
    assert len(app.settings_of(sandbox, "stock-restored")["alarms"]["alarms"]) == examples.LARGE_ALARMS


def test_a_template_changed_in_the_bucket_before_cloudformation_reads_it_is_refused(
    sandbox: Sandbox, deployed: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every template goes through the bucket; someone able to write it swaps the apply step's template for another
    # between the step's PutObject and CloudFormation's read.
    for module in (stack, stored):
        monkeypatch.setattr(module, "TEMPLATE_BODY_LIMIT_BYTES", 100)
    examples.make_plain(sandbox.client("dynamodb"), "journal", items=1)
    aws = Aws(region=sandbox.region)
    target = describe(aws, TableRef("journal", sandbox.region, examples.ACCOUNT))
    ops = StackOps(aws, "restore-sync-journal", deployed["CloudFormationRoleArn"], deployed["ExecutionDataBucketName"])
    assert ops.ensure_imported(target)["action"] == "imported"
    written = stored.Store.template_source

    def swapped(self: stored.Store, stack_name: str, change_set: str, body: str) -> dict[str, str]:
        source = written(self, stack_name, change_set, body)
        other = json.loads(body)
        other["Resources"]["Intruder"] = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "intruder"}}
        key = source["TemplateURL"].split(".amazonaws.com/", 1)[1]
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=json.dumps(other).encode(), ContentType="application/json")
        return source

    monkeypatch.setattr(stored.Store, "template_source", swapped)

    result = ops.apply("deletion_protection", {"enabled": True}, target)

    assert (result.status, result.reason) == (
        "failed",
        "refused: the template CloudFormation read from the deployment's bucket is not the one written",
    )
    assert "QueueUrls" not in sandbox.client("sqs").list_queues(QueueNamePrefix="intruder")
    assert app.settings_of(sandbox, "journal")["deletion_protection"] == {"enabled": False}
