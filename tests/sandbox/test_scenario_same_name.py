"""The recovery operators run most: the table is deleted, and its backup is restored under its own name.

DynamoDB's DeleteTable leaves the table's scalable targets, scaling policies and CloudWatch alarms behind, under the
identifiers the restored table's settings need again. They are adopted into the governance stack (imported as they
are, then updated to what the table had at the restore point), never created twice: one scalable target per
dimension, one policy per name, one alarm per name, none stale.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from restore_sync.settings import NAMES
from restore_sync_sandbox import clock, examples
from restore_sync_sandbox.server import Sandbox
from tests.sandbox import app

TABLE = "ledger"


@pytest.fixture(scope="module")
def deployed(sandbox: Sandbox) -> dict[str, str]:
    return app.deploy(sandbox)


def scaling_of(sandbox: Sandbox, table: str) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """Every scalable target (resource, dimension) and scaling policy (resource, dimension, name) of `table`."""
    aas = sandbox.client("application-autoscaling")
    targets = aas.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"]
    policies = aas.describe_scaling_policies(ServiceNamespace="dynamodb")["ScalingPolicies"]
    mine = f"table/{table}"
    return (
        sorted((t["ResourceId"], t["ScalableDimension"]) for t in targets if t["ResourceId"].startswith(mine)),
        sorted(
            (p["ResourceId"], p["ScalableDimension"], p["PolicyName"])
            for p in policies
            if p["ResourceId"].startswith(mine)
        ),
    )


def alarm_names(sandbox: Sandbox, table: str) -> list[str]:
    alarms = sandbox.client("cloudwatch").describe_alarms()["MetricAlarms"]
    return sorted(
        a["AlarmName"]
        for a in alarms
        if not a["AlarmName"].startswith("TargetTracking-")
        and any(d["Name"] == "TableName" and d["Value"] == table for d in a.get("Dimensions", []))
    )


def report_of(execution: dict[str, Any]) -> dict[str, Any]:
    assert "output" in execution, execution.get("cause")
    report: dict[str, Any] = json.loads(execution["output"])
    return report


def test_a_deleted_table_restored_under_its_own_name_adopts_what_it_left_behind(
    sandbox: Sandbox, deployed: dict[str, str]
) -> None:
    examples.make_full_source(app.clients(sandbox), TABLE, items=12)
    at_backup = app.settings_of(sandbox, TABLE)
    scaling, alarms = scaling_of(sandbox, TABLE), alarm_names(sandbox, TABLE)
    ddb = sandbox.client("dynamodb")
    backup = ddb.create_backup(TableName=TABLE, BackupName=f"{TABLE}-nightly")["BackupDetails"]["BackupArn"]
    clock.current().advance(3600)
    # Changed after the backup: what the deleted table leaves behind is not what the restore point had.
    sandbox.client("application-autoscaling").register_scalable_target(
        ServiceNamespace="dynamodb",
        ResourceId=f"table/{TABLE}",
        ScalableDimension="dynamodb:table:ReadCapacityUnits",
        MinCapacity=1,
        MaxCapacity=999,
    )
    ddb.update_table(TableName=TABLE, DeletionProtectionEnabled=False)
    ddb.delete_table(TableName=TABLE)
    examples.settled()
    assert (scaling_of(sandbox, TABLE), alarm_names(sandbox, TABLE)) == (scaling, alarms), "DeleteTable keeps them"

    ddb.restore_table_from_backup(TargetTableName=TABLE, BackupArn=backup)
    executions = app.finished_executions(sandbox, deployed["StateMachineArn"], TABLE, count=2)
    deletion = app.started_by(executions, "DeleteTable")
    assert json.loads(deletion["output"])["outcome"] == "ignored", "restore-sync never governed it"
    execution = app.started_by(executions, "RestoreTableFromBackup")

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    report = report_of(execution)
    assert (report["source"], report["settingsFrom"]) == (report["target"], "snapshot")
    # The source is provisioned: a maximum on-demand throughput does not apply.
    assert {name: entry["status"] for name, entry in report["settings"].items()} == {
        **dict.fromkeys(NAMES, "applied"),
        "on_demand_throughput": "skipped",
        "replicas": "skipped",
    }
    imported = {
        setting: sorted(c["type"] for c in entry.get("changes", []) if c["action"] == "Import")
        for setting, entry in report["settings"].items()
    }
    assert imported["autoscaling"] == sorted(
        ["AWS::ApplicationAutoScaling::ScalableTarget"] * len(scaling[0])
        + ["AWS::ApplicationAutoScaling::ScalingPolicy"] * len(scaling[1])
    )
    assert imported["alarms"] == ["AWS::CloudWatch::Alarm"] * len(alarms)
    assert (scaling_of(sandbox, TABLE), alarm_names(sandbox, TABLE)) == (scaling, alarms), "none duplicated"
    assert app.settings_of(sandbox, TABLE) == app.wanted_on_target(sandbox, TABLE, TABLE, at_backup), "none stale"
    assert app.item_count(sandbox, TABLE) == 12
