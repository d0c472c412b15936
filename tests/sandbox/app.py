"""The restore-sync app in the sandbox: deploy it, make source tables, restore them, and read the outcome."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from restore_sync.aws import Aws, TableRef
from restore_sync.history.store import History
from restore_sync.settings import NAMES, REGISTRY, Retarget
from restore_sync.table import table_document
from restore_sync_sandbox import examples
from restore_sync_sandbox.deploy import deploy_app
from restore_sync_sandbox.extensions import cloudtrail_events, iam_identity_policies
from restore_sync_sandbox.server import Sandbox
from restore_sync_tools.executions import finished_executions_of, listed_executions_of, new_events

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
# Executions finish in milliseconds of wall time on the virtual clock; the bound only stops a hanging test.
POLL_ATTEMPTS = 600
POLL_SECONDS = 0.1


def deploy(sandbox: Sandbox, **parameters: str) -> dict[str, str]:
    """The real template.yaml and ASL deployed as stack `restore-sync`; returns its outputs."""
    return deploy_app(sandbox, ROOT / "template.yaml", "restore-sync", parameters)


def create_source(sandbox: Sandbox, name: str, items: int = 20, region: str | None = None) -> None:
    """A source table with every setting restore-sync copies, a global secondary index, and some items."""
    examples.make_source(sandbox.client("dynamodb", region), name, items)


def restored_from_a_forgotten_table(sandbox: Sandbox, source: str, target: str) -> None:
    """`target` restored (unannounced) from `source`, a table deleted since that no trail ever recorded: the
    settings history never saw it, so its settings exist nowhere."""
    ddb = sandbox.client("dynamodb")
    with cloudtrail_events.untracked("dynamodb"):
        examples.make_plain(ddb, source, items=1)
        ddb.update_continuous_backups(
            TableName=source, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
        examples.restore_unannounced(ddb, target, SourceTableName=source)
        ddb.delete_table(TableName=source)


def arn(table: str, region: str = "us-east-1", account: str = ACCOUNT) -> str:
    return TableRef(table, region, account).arn


# The test's own readers, one per region and sandbox, like a warm function's clients.
_readers: dict[tuple[str, str], Aws] = {}


def settings_of(sandbox: Sandbox, table: str, region: str | None = None) -> dict[str, Any]:
    """Every setting of a live table, read the way restore-sync reads them."""
    ref = TableRef(table, region or sandbox.region, ACCOUNT)
    aws = _readers.setdefault((ref.region, sandbox.endpoint_url), Aws(region=ref.region))
    return {name: REGISTRY[name].read(aws, ref) for name in NAMES}


def item_count(sandbox: Sandbox, table: str, region: str | None = None) -> int:
    return examples.count_items(sandbox.client("dynamodb", region), table)


def executions_for(sandbox: Sandbox, state_machine: str, target: str) -> list[dict[str, Any]]:
    sfn = sandbox.client("stepfunctions")
    return [
        sfn.describe_execution(executionArn=summary["executionArn"])
        for summary in listed_executions_of(sfn, state_machine, target)
    ]


def finished_executions(sandbox: Sandbox, state_machine: str, target: str, count: int = 1) -> list[dict[str, Any]]:
    """The `count` executions for `target` (started by restore events), once all have finished; newest first."""
    found = finished_executions_of(
        sandbox.client("stepfunctions"),
        state_machine,
        target,
        count=count,
        limit_seconds=POLL_ATTEMPTS * POLL_SECONDS,
        interval=POLL_SECONDS,
    )
    assert len(found) == count, f"expected {count} executions for {target}, got {len(found)}"
    return found


def finished_execution(sandbox: Sandbox, state_machine: str, target: str) -> dict[str, Any]:
    """The one execution for `target` (started by the restore event), once it has finished."""
    return finished_executions(sandbox, state_machine, target)[0]


def started_by(executions: list[dict[str, Any]], event_name: str) -> dict[str, Any]:
    """The one execution among `executions` (DescribeExecution's) whose input is CloudTrail's record of an
    `event_name` call, such as the DeleteTable that starts an execution besides a restore's."""
    found = [e for e in executions if (json.loads(e["input"]).get("detail") or {}).get("eventName") == event_name]
    assert len(found) == 1, f"expected one execution started by {event_name}, got {len(found)}"
    return found[0]


def wait(sandbox: Sandbox, execution_arn: str, region: str | None = None) -> dict[str, Any]:
    """DescribeExecution once the execution is no longer RUNNING."""
    sfn = sandbox.client("stepfunctions", region)
    for _ in range(POLL_ATTEMPTS):
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"execution {execution_arn} did not finish")


def history(sandbox: Sandbox, execution_arn: str) -> list[dict[str, Any]]:
    return new_events(sandbox.client("stepfunctions"), execution_arn, after_id=0)


def entered(events: list[dict[str, Any]], state: str) -> int:
    """How many times the execution entered `state`."""
    return sum(
        1 for e in events if e["type"].endswith("StateEntered") and e["stateEnteredEventDetails"]["name"] == state
    )


def entered_in_time(sandbox: Sandbox, state_machine: str, target: str, state: str) -> None:
    """Returns once the execution for `target` has entered `state`; fails the test when it does not soon."""
    sfn = sandbox.client("stepfunctions")
    for _ in range(POLL_ATTEMPTS):
        found = listed_executions_of(sfn, state_machine, target)
        if found and entered(history(sandbox, found[0]["executionArn"]), state):
            return
        time.sleep(POLL_SECONDS / 5)
    raise AssertionError(f"no execution for {target} entered {state}")


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


def clients(sandbox: Sandbox, region: str | None = None) -> Callable[[str], Any]:
    return lambda service: sandbox.client(service, region)


def wanted_on_target(
    sandbox: Sandbox, source: str, target: str, settings: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Every setting of `source` (as it is now, or `settings`) as the target should have it (retargeted, and
    resolved against the target as it is now, as the apply step does)."""
    ddb = sandbox.client("dynamodb")
    target_ref = TableRef(target, sandbox.region, ACCOUNT)
    retarget = Retarget(
        source=TableRef(source, sandbox.region, ACCOUNT),
        target=target_ref,
        target_table=table_document(ddb.describe_table(TableName=target)["Table"], target_ref),
    )
    found = settings if settings is not None else settings_of(sandbox, source)
    aws = _readers.setdefault((target_ref.region, sandbox.endpoint_url), Aws(region=target_ref.region))
    return {
        name: REGISTRY[name].resolve(aws, target_ref, REGISTRY[name].wanted(state, retarget))
        for name, state in found.items()
    }


def settings_history(sandbox: Sandbox, outputs: dict[str, str]) -> History:
    """The deployment's settings history, read as restore-sync reads it."""
    return History(sandbox.client("dynamodb"), outputs["SettingsHistoryTableName"], retention_days=40)


def put_event(sandbox: Sandbox, event: dict[str, Any], bus: str = "default") -> None:
    """Puts an event file (an EventBridge envelope) on a bus of the sandbox's region, as AWS would deliver it."""
    entry = {
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": json.dumps(event["detail"]),
        "Resources": event["resources"],
        "EventBusName": bus,
    }
    assert sandbox.client("events").put_events(Entries=[entry])["FailedEntryCount"] == 0


def client_as(sandbox: Sandbox, role_arn: str, service: str, session: str = "test") -> Any:
    """A client of `service` calling with temporary credentials of `role_arn` (a session named `session`), so the
    sandbox allows its calls only as the role's policies allow."""
    credentials = iam_identity_policies.role_credentials(sandbox.account_id, sandbox.region, role_arn, session)
    assert credentials is not None, f"no role {role_arn}"
    return boto3.session.Session(
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=credentials["AWS_SESSION_TOKEN"],
        region_name=sandbox.region,
    ).client(service, endpoint_url=sandbox.endpoint_url)
