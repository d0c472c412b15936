"""Held settings, then activate: a restore made side by side with its live source (HoldSettings=side-by-side) gets
its triggers disabled and no Kinesis destination nor TTL, and succeeds saying `held`; `restore-sync activate` then
applies them through the same workflow, one change set each, verified, and the target matches the source."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from restore_sync_sandbox import examples
from restore_sync_sandbox.extensions import dynamodb_restore
from restore_sync_sandbox.server import Sandbox
from restore_sync_tools.cli import main
from tests.sandbox import app

SOURCE, TARGET = "ledger", "ledger-side"
# The settings that act beyond the table, and what they need, with tags as a setting applied at once.
SETTINGS = "tags,stream,ttl,triggers,kinesis"
HELD = ["ttl", "triggers", "kinesis"]
# The functions of the source's triggers (examples.make_full_source): archiver's trigger is disabled on the source.
CONSUMERS = ("audit", "search-indexer", "archiver")


@pytest.fixture(scope="module")
def deployed(sandbox: Sandbox) -> dict[str, str]:
    return app.deploy(sandbox, HoldSettings="side-by-side", Settings=SETTINGS)


@pytest.fixture(scope="module")
def held(sandbox: Sandbox, deployed: dict[str, str]) -> dict[str, Any]:
    """The source with every setting, restored; the execution its restore event started, once it has finished."""
    examples.make_full_source(app.clients(sandbox), SOURCE, items=12)
    dynamodb_restore.set_ready_after(TARGET, sandbox.region, 120)
    sandbox.client("dynamodb").restore_table_to_point_in_time(
        SourceTableName=SOURCE, TargetTableName=TARGET, UseLatestRestorableTime=True
    )
    return app.finished_execution(sandbox, deployed["StateMachineArn"], TARGET)


def invoked_on_a_write(sandbox: Sandbox, table: str, key: str) -> list[str]:
    """The source's consumers (of its triggers) that one write to `table` invokes: each invocation of a function
    leaves a log stream in its group."""
    logs = sandbox.client("logs")

    def streams() -> dict[str, int]:
        counts = {}
        for consumer in CONSUMERS:
            group = f"/aws/lambda/{SOURCE}-{consumer}"
            try:
                counts[consumer] = len(logs.describe_log_streams(logGroupName=group)["logStreams"])
            except logs.exceptions.ResourceNotFoundException:
                counts[consumer] = 0  # never invoked: Lambda makes the group at the first invocation
        return counts

    before = streams()
    sandbox.client("dynamodb").put_item(
        TableName=table, Item={"pk": {"S": "customer#9"}, "sk": {"S": key}, "status": {"S": "open"}}
    )
    after = streams()
    return [consumer for consumer in CONSUMERS if after[consumer] > before[consumer]]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_a_side_by_side_restore_holds_what_acts_beyond_the_table_and_succeeds(
    sandbox: Sandbox, deployed: dict[str, str], held: dict[str, Any]
) -> None:
    assert held["status"] == "SUCCEEDED", held.get("cause")
    report = json.loads(held["output"])
    statuses = {name: entry["status"] for name, entry in report["settings"].items()}
    assert statuses == {"tags": "applied", "stream": "applied", "ttl": "held", "triggers": "held", "kinesis": "held"}
    assert report["outcome"] == "succeeded"
    assert report["drift"] == []
    for name in HELD:
        assert report["settings"][name]["reason"].endswith(f"apply it with: restore-sync activate --target {TARGET}")
    assert "created disabled" in report["settings"]["triggers"]["reason"]
    on_target = app.settings_of(sandbox, TARGET)
    mappings = on_target["triggers"]["mappings"]
    assert len(mappings) == 3
    assert {m["enabled"] for m in mappings} == {False}
    assert on_target["kinesis"] == {"destinations": []}
    assert on_target["ttl"] == {"enabled": False, "attributeName": None}
    # The consumers receive the source's writes, not the restored table's.
    assert invoked_on_a_write(sandbox, SOURCE, "order#held-source") == ["audit", "search-indexer"]
    assert invoked_on_a_write(sandbox, TARGET, "order#held-target") == []
    assert app.dead_letters(sandbox, deployed["DeadLetterQueueUrl"]) == []
    code, out, err = run("status", "--target", TARGET)
    assert code == 0, out + err
    assert any(line.split()[:2] == ["triggers", "held"] for line in out.splitlines()), out
    assert f"held: ttl, triggers, kinesis; apply them with: restore-sync activate --target {TARGET}" in out


def test_activate_applies_what_was_held_one_change_set_each_and_the_target_matches_the_source(
    sandbox: Sandbox, deployed: dict[str, str], held: dict[str, Any]
) -> None:
    code, out, err = run("activate", "--target", TARGET, "--wait")

    assert code == 0, out + err
    assert out.splitlines()[0] == f"activating on {TARGET}: ttl, triggers, kinesis (held by {held['executionArn']})"
    activation = app.executions_for(sandbox, deployed["StateMachineArn"], TARGET)[0]
    assert activation["executionArn"] != held["executionArn"]
    assert json.loads(activation["input"])["hold"] == "none"
    report = json.loads(activation["output"])
    statuses = {name: entry["status"] for name, entry in report["settings"].items()}
    assert statuses == {"stream": "unchanged", "ttl": "applied", "triggers": "applied", "kinesis": "applied"}
    assert report["drift"] == []
    changed = {c.get("property") or c["resource"] for c in report["settings"]["ttl"]["changes"]}
    assert changed == {"TimeToLiveSpecification"}
    # Each trigger is given the state it has on the source: two enabled, the one disabled there stays so.
    selected = SETTINGS.split(",")
    on_target = app.settings_of(sandbox, TARGET)
    wanted = app.wanted_on_target(sandbox, SOURCE, TARGET)
    assert {name: on_target[name] for name in selected} == {name: wanted[name] for name in selected}
    assert sorted(m["enabled"] for m in on_target["triggers"]["mappings"]) == [False, True, True]
    assert app.item_count(sandbox, TARGET) == app.item_count(sandbox, SOURCE) == 13
    # Activated, the triggers enabled on the source deliver the restored table's writes.
    assert invoked_on_a_write(sandbox, TARGET, "order#activated") == ["audit", "search-indexer"]
    # Nothing waits any more: a second activation is refused, saying so.
    code, out, err = run("activate", "--target", TARGET)
    assert code == 1
    assert f"nothing is held on {TARGET}" in err
