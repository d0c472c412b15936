"""The scenario of `make test-aws` (tests/scenarios/restore_made_whole.py), run here against the sandbox: the same
code, only the target differs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restore_sync_sandbox.extensions import dynamodb_restore
from restore_sync_sandbox.server import Sandbox
from tests.scenarios import account, restore_made_whole
from tests.scenarios.restore_made_whole import Names
from tests.scenarios.sandbox_target import BUDGET, SandboxTarget


@pytest.fixture
def target(sandbox: Sandbox) -> Iterator[SandboxTarget]:
    yield SandboxTarget(sandbox)
    dynamodb_restore.reset()


def leftovers(sandbox: Sandbox, names: Names) -> list[str]:
    """Tables (the settings history's too), stacks, log groups and artefacts of this run still in the sandbox."""
    tables = [t for t in sandbox.client("dynamodb").list_tables()["TableNames"] if t.startswith(names.stack)]
    stacks = [
        s["StackName"]
        for s in sandbox.client("cloudformation").list_stacks()["StackSummaries"]
        if s["StackName"].startswith(names.stack) and s["StackStatus"] != "DELETE_COMPLETE"
    ]
    groups = sandbox.client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{names.stack}")["logGroups"]
    bucket = f"sandbox-artifacts-{sandbox.account_id}-{sandbox.region}"
    listed = sandbox.client("s3").list_objects_v2(Bucket=bucket, Prefix=f"{names.stack}/").get("Contents", [])
    # CloudFormation names a stack's bucket after the stack, in lower case.
    buckets = [b["Name"] for b in sandbox.client("s3").list_buckets()["Buckets"] if b["Name"].startswith(names.stack)]
    return sorted({*tables, *stacks, *buckets, *(g["logGroupName"] for g in groups), *(o["Key"] for o in listed)})


def test_the_scenario_makes_the_restored_table_whole_and_deletes_everything_it_made(
    sandbox: Sandbox, target: SandboxTarget
) -> None:
    names = Names.fresh("whole")
    shown: list[str] = []

    result = restore_made_whole.run(target, names, show=shown.append)

    assert result.execution["status"] == "SUCCEEDED"
    assert result.report["outcome"] == "succeeded"
    assert result.report["stack"].startswith(f"{names.stack}-{names.target}-")
    assert result.items == (restore_made_whole.ITEMS, restore_made_whole.ITEMS)
    deleted = {d.what: d for d in result.deletions}
    assert all(d.error is None for d in result.deletions), [d.line() for d in result.deletions]
    assert f"governance stack {result.report['stack']}" in deleted
    assert {f"table {names.target}", f"table {names.source}", f"app stack {names.stack}"} <= set(deleted)
    assert any(what.startswith(f"retained table {names.stack}-SettingsHistoryTable") for what in deleted)
    assert any(what.startswith("log group /aws/lambda/") for what in deleted)
    assert any(what.startswith("retained bucket ") for what in deleted), "the execution data bucket"
    assert leftovers(sandbox, names) == []
    assert any("source vs target" in line for line in shown)


def test_a_region_without_a_trail_is_refused_before_anything_is_made(sandbox: Sandbox) -> None:
    target = SandboxTarget(sandbox)
    sandbox.client("cloudtrail").stop_logging(Name="management-events")
    names = Names.fresh("untracked")
    try:
        with pytest.raises(restore_made_whole.Refused, match="could never notice the restore"):
            restore_made_whole.run(target, names, show=lambda line: None)
    finally:
        sandbox.client("cloudtrail").start_logging(Name="management-events")
    assert leftovers(sandbox, names) == []


class RestoreNeverNoticed(SandboxTarget):
    def deploy_app(self, stack_name: str, parameters: dict[str, str]) -> dict[str, str]:
        super().deploy_app(stack_name, parameters)
        raise TimeoutError("no execution started within 900 s")


def test_a_run_that_breaks_deletes_everything_it_made_and_make_test_aws_reports_it_with_status_1(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    environ = {"AWS_PROFILE": "dev", "AWS_REGION": sandbox.region}
    target = RestoreNeverNoticed(sandbox)
    names = Names.fresh("broken")
    # main() draws the run's random names itself: pinned here to look for leftovers.
    monkeypatch.setattr(restore_made_whole.Names, "fresh", classmethod(lambda cls, suffix=None: names))

    status = account.main(environ=environ, which=lambda name: "/usr/bin/sam", target=target)

    captured = capsys.readouterr()
    assert status == 1
    assert "make test-aws FAILED: no execution started within 900 s" in captured.err
    cleanup = captured.out[captured.out.index("cleanup:") :].splitlines()[1:]
    assert f"  ok      table {names.source} (deleted)" in cleanup
    assert f"  ok      app stack {names.stack} (deleted)" in cleanup
    assert any(line.startswith(f"  ok      retained table {names.stack}-SettingsHistoryTable") for line in cleanup)
    assert not any("FAILED" in line for line in cleanup)
    assert leftovers(sandbox, names) == []


class SamInTheSandbox:
    """Stands in for the sam command: `sam deploy` deploys into the sandbox, `sam delete` deletes from it."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.deployer = SandboxTarget(sandbox)
        self.commands: list[list[str]] = []

    def __call__(self, command: list[str], cwd: Any, check: bool) -> None:
        self.commands.append(command)
        stack = command[command.index("--stack-name") + 1] if "--stack-name" in command else ""
        if command[1] == "deploy":
            overrides = command[command.index("--parameter-overrides") + 1].split()
            self.deployer.deploy_app(stack, dict(pair.split("=", 1) for pair in overrides))
        elif command[1] == "delete":
            self.deployer.delete_app(stack)


def test_the_account_target_runs_the_scenario_through_its_profile_and_the_sam_commands(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config").write_text("[profile scenario]\nregion = eu-west-1\n")
    (tmp_path / "credentials").write_text("[scenario]\naws_access_key_id = a\naws_secret_access_key = b\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    sam = SamInTheSandbox(sandbox)
    target = account.AccountTarget("scenario", sandbox.region, runner=sam)
    target.budget = BUDGET  # the sandbox's waits: its virtual clock makes them short
    names = Names.fresh("account")

    result = restore_made_whole.run(target, names, show=lambda line: None)

    assert target.description == f"AWS account {sandbox.account_id} in {sandbox.region} (profile scenario)"
    assert result.report["outcome"] == "succeeded"
    assert [command[1] for command in sam.commands] == ["build", "deploy", "delete"]
    assert all(d.error is None for d in result.deletions), [d.line() for d in result.deletions]
    assert leftovers(sandbox, names) == []


class AppStackStuck(RestoreNeverNoticed):
    def delete_app(self, stack_name: str) -> None:
        raise RuntimeError("sam delete failed")


def test_a_deletion_that_fails_is_reported_and_every_other_deletion_is_still_tried(sandbox: Sandbox) -> None:
    target = AppStackStuck(sandbox)
    names = Names.fresh("stuck")

    with pytest.raises(TimeoutError) as raised:
        restore_made_whole.run(target, names, show=lambda line: None)

    assert raised.value.__notes__ == [
        f"left behind, delete by hand: FAILED  app stack {names.stack}: RuntimeError: sam delete failed"
    ]
    # Only the app stack and its artefacts are left: the steps before and after the failed one all ran.
    left = leftovers(sandbox, names)
    assert names.stack in left
    assert [name for name in left if name != names.stack and not name.startswith(f"{names.stack}/")] == []
    SandboxTarget(sandbox).delete_app(names.stack)
