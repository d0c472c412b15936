"""A global table restored: a single-region table until a start asks for its replicas.

The source has replicas in us-west-2 and eu-west-1, whose own settings differ from region to region. Its restore is
made whole by the deployment's default (Replicas none): no replica, and the report says why. A start with
`replicas: as-source` then gives the target both replicas, each with the settings of the source's replica in its
region, and the items in each: the governance stack holds the target as an AWS::DynamoDB::GlobalTable from then on.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from restore_sync.names import stack_name
from restore_sync_sandbox import examples
from restore_sync_sandbox.server import Sandbox
from tests.sandbox import app

SOURCE, TARGET = "orders", "orders-restored"
HOME, WEST, EU = "us-east-1", "us-west-2", "eu-west-1"
ITEMS = 8


@pytest.fixture(scope="module")
def deployed(sandbox: Sandbox) -> dict[str, str]:
    return app.deploy(sandbox)


def make_global_source(sandbox: Sandbox) -> None:
    """An on-demand table in us-east-1 with replicas in us-west-2 and eu-west-1, each with settings of its own."""
    examples.make_source(sandbox.client("dynamodb"), SOURCE, ITEMS)
    ddb = sandbox.client("dynamodb")
    for region in (WEST, EU):
        ddb.update_table(TableName=SOURCE, ReplicaUpdates=[{"Create": {"RegionName": region}}])
        examples.settled()
    west, eu = sandbox.client("dynamodb", WEST), sandbox.client("dynamodb", EU)
    west.tag_resource(ResourceArn=app.arn(SOURCE, WEST), Tags=[{"Key": "team", "Value": "west"}])
    west.update_table(TableName=SOURCE, DeletionProtectionEnabled=True)
    eu.tag_resource(ResourceArn=app.arn(SOURCE, EU), Tags=[{"Key": "team", "Value": "eu"}])
    eu.update_continuous_backups(
        TableName=SOURCE,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 9},
    )
    examples.settled()


def report_of(execution: dict[str, Any]) -> dict[str, Any]:
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    report: dict[str, Any] = json.loads(execution["output"])
    return report


def replica_regions(sandbox: Sandbox, table: str, region: str = HOME) -> list[str]:
    described = sandbox.client("dynamodb", region).describe_table(TableName=table)["Table"]
    return sorted(replica["RegionName"] for replica in described.get("Replicas") or [])


def test_a_restored_global_table_gets_its_replicas_only_when_asked_each_with_its_regions_settings(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    make_global_source(sandbox)
    assert replica_regions(sandbox, SOURCE) == [EU, HOME, WEST]
    source_in = {region: app.settings_of(sandbox, SOURCE, region) for region in (WEST, EU)}
    assert source_in[WEST]["tags"] != source_in[EU]["tags"]
    assert source_in[WEST]["pitr"] != source_in[EU]["pitr"]

    sandbox.client("dynamodb").restore_table_to_point_in_time(
        SourceTableName=SOURCE, TargetTableName=TARGET, UseLatestRestorableTime=True
    )
    # The deployment's default: Replicas none.
    default = report_of(app.finished_execution(sandbox, deployed["StateMachineArn"], TARGET))
    assert default["settings"]["replicas"]["status"] == "skipped"
    assert "replicas is none" in default["settings"]["replicas"]["reason"]
    assert replica_regions(sandbox, TARGET) == []

    started = sandbox.client("stepfunctions").start_execution(
        stateMachineArn=deployed["StateMachineArn"],
        # Live: the settings history records a table when a change is made in its own region (the deployment's), so
        # its version misses what was changed in a replica's region since (docs/settings.md, Replicas).
        input=json.dumps(
            {"targetTableName": TARGET, "sourceTableName": SOURCE, "replicas": "as-source", "settingsFrom": "live"}
        ),
    )
    report = report_of(app.wait(sandbox, started["executionArn"]))
    replicas = report["settings"]["replicas"]
    assert replicas["status"] == "applied", replicas
    added = sorted(c["replica"] for c in replicas["changes"] if c.get("replica") and c["action"] == "Add")
    assert added == [EU, WEST]
    assert report["drift"] == []
    assert {name: entry["status"] for name, entry in report["settings"].items() if entry["status"] == "failed"} == {}

    assert replica_regions(sandbox, TARGET) == [EU, HOME, WEST]
    for region in (WEST, EU):
        here = app.settings_of(sandbox, TARGET, region)
        # Names no ARN: each is what the source's replica in that region has.
        for name in ("tags", "pitr", "deletion_protection", "table_class"):
            assert here[name] == source_in[region][name], (region, name)
        assert app.item_count(sandbox, TARGET, region) == ITEMS
    # The home region's table keeps what the other settings gave it.
    assert app.settings_of(sandbox, TARGET)["tags"] == app.settings_of(sandbox, SOURCE)["tags"]

    stack = stack_name("restore-sync", TARGET)
    resource = sandbox.client("cloudformation").describe_stack_resource(StackName=stack, LogicalResourceId="Table")
    assert resource["StackResourceDetail"]["ResourceType"] == "AWS::DynamoDB::GlobalTable"
