"""The restore-sync app in the sandbox: deploy it, make source tables, restore them, and read the outcome."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from restore_sync.aws import Aws, TableRef
from restore_sync.settings import NAMES, REGISTRY
from restore_sync_sandbox.deploy import deploy_app
from restore_sync_sandbox.server import Sandbox

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
# Executions finish in milliseconds of wall time on the virtual clock; the bound only stops a hanging test.
POLL_ATTEMPTS = 1200
POLL_SECONDS = 0.05


def deploy(sandbox: Sandbox, **parameters: str) -> dict[str, str]:
    """The real template.yaml and ASL deployed as stack `restore-sync`; returns its outputs."""
    return deploy_app(sandbox, ROOT / "template.yaml", "restore-sync", parameters)


def create_source(sandbox: Sandbox, name: str, items: int = 20, region: str | None = None) -> None:
    """A source table with every setting restore-sync copies, and some items."""
    ddb = sandbox.client("dynamodb", region)
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "gpk", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-gpk",
                "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        Tags=[{"Key": f"tag{i:02d}", "Value": f"value {i}"} for i in range(13)],
        DeletionProtectionEnabled=True,
    )
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    ddb.update_continuous_backups(
        TableName=name,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 12},
    )
    for i in range(items):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"p{i}"}, "sk": {"N": str(i)}, "gpk": {"S": f"g{i % 3}"}})


def settings_of(sandbox: Sandbox, table: str, region: str | None = None) -> dict[str, Any]:
    """Every setting of a live table, read the way restore-sync reads them."""
    ref = TableRef(table, region or sandbox.region, ACCOUNT)
    aws = Aws(region=ref.region)
    return {name: REGISTRY[name].read(aws, ref) for name in NAMES}


def item_count(sandbox: Sandbox, table: str, region: str | None = None) -> int:
    ddb = sandbox.client("dynamodb", region)
    return sum(page["Count"] for page in ddb.get_paginator("scan").paginate(TableName=table, Select="COUNT"))


def execution_input_target(raw: str) -> str | None:
    data = json.loads(raw)
    if isinstance(data, dict) and "detail" in data:
        return (data["detail"].get("requestParameters") or {}).get("targetTableName")
    return data.get("targetTableName") if isinstance(data, dict) else None


def executions_for(sandbox: Sandbox, state_machine: str, target: str) -> list[dict[str, Any]]:
    sfn = sandbox.client("stepfunctions")
    found = []
    for summary in sfn.list_executions(stateMachineArn=state_machine)["executions"]:
        described = sfn.describe_execution(executionArn=summary["executionArn"])
        if execution_input_target(described["input"]) == target:
            found.append(described)
    return found


def finished_executions(sandbox: Sandbox, state_machine: str, target: str, count: int = 1) -> list[dict[str, Any]]:
    """The `count` executions for `target` (started by restore events), once all have finished; newest first."""
    for _ in range(POLL_ATTEMPTS):
        found = executions_for(sandbox, state_machine, target)
        if len(found) >= count and all(e["status"] != "RUNNING" for e in found):
            assert len(found) == count, f"expected {count} executions for {target}, got {len(found)}"
            return sorted(found, key=lambda e: e["startDate"], reverse=True)
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"no {count} finished executions for {target}")


def finished_execution(sandbox: Sandbox, state_machine: str, target: str) -> dict[str, Any]:
    """The one execution for `target` (started by the restore event), once it has finished."""
    return finished_executions(sandbox, state_machine, target)[0]


def wait(sandbox: Sandbox, execution_arn: str) -> dict[str, Any]:
    sfn = sandbox.client("stepfunctions")
    for _ in range(POLL_ATTEMPTS):
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"execution {execution_arn} did not finish")


def history(sandbox: Sandbox, execution_arn: str) -> list[dict[str, Any]]:
    sfn = sandbox.client("stepfunctions")
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        events += page["events"]
    return events


def entered(events: list[dict[str, Any]], state: str) -> int:
    """How many times the execution entered `state`."""
    return sum(
        1 for e in events if e["type"].endswith("StateEntered") and e["stateEnteredEventDetails"]["name"] == state
    )


def dead_letters(sandbox: Sandbox, queue_url: str) -> list[dict[str, Any]]:
    sqs = sandbox.client("sqs")
    messages: list[dict[str, Any]] = []
    for _ in range(10):
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        if not batch.get("Messages"):
            break
        for message in batch["Messages"]:
            messages.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def governance_stacks(sandbox: Sandbox) -> list[str]:
    cfn = sandbox.client("cloudformation")
    return sorted(
        s["StackName"]
        for s in cfn.list_stacks()["StackSummaries"]
        if s["StackName"].startswith("restore-sync-") and s["StackStatus"] != "DELETE_COMPLETE"
    )
