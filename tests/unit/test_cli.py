"""The command line's exit statuses: usage errors, user errors and bugs are told apart."""

from __future__ import annotations

import argparse
import io

import pytest

from restore_sync_tools import cli, executions


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return cli.main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


def test_help_exits_0() -> None:
    with pytest.raises(SystemExit) as raised:
        cli.parser().parse_args(["start", "--help"])
    assert raised.value.code == 0
    assert run("--help")[0] == 0


def test_a_missing_source_is_a_usage_error_before_any_aws_call() -> None:
    code, out, err = run("start", "--target", "orders-restored")
    assert code == cli.ExitCode.USAGE
    assert out == ""
    assert "one of the arguments --source --source-arn is required" in err


def test_a_user_error_is_a_message_and_a_bug_is_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(args: argparse.Namespace, output: cli.Output) -> cli.ExitCode:
        raise cli.UserError("stack restore-sync does not exist")

    def crash(args: argparse.Namespace, output: cli.Output) -> cli.ExitCode:
        raise KeyError("oops")

    monkeypatch.setattr(cli, "cmd_status", refuse)
    code, _, err = run("status", "--target", "orders-restored")
    assert (code, err) == (cli.ExitCode.FAILED, "restore-sync: stack restore-sync does not exist\n")

    monkeypatch.setattr(cli, "cmd_status", crash)
    code, _, err = run("status", "--target", "orders-restored")
    assert code == cli.ExitCode.BUG
    assert "Traceback (most recent call last)" in err
    assert "KeyError: 'oops'" in err


def test_the_target_of_an_execution_comes_from_manual_input_or_the_restore_event() -> None:
    assert executions.execution_target({"targetTableName": "a-table", "sourceTableName": "b-table"}) == "a-table"
    event = {"detail-type": "AWS API Call via CloudTrail", "detail": {"requestParameters": {"targetTableName": "c"}}}
    assert executions.execution_target(event) == "c"
    assert executions.execution_target(["not", "an", "object"]) is None


def test_start_options_become_the_documented_input() -> None:
    args = cli.parser().parse_args(
        [
            "start",
            "--target",
            "t-restored",
            "--source-arn",
            "arn:aws:dynamodb:eu-west-1:123456789012:table/t",
            "--settings",
            "ttl",
            "triggers",
            "--hold",
            "triggers",
            "kinesis",
            "--settings-from",
            "snapshot",
            "--grant-recorded-access",
        ]
    )
    assert cli.execution_input(args, dry_run=False) == {
        "targetTableName": "t-restored",
        "sourceTableArn": "arn:aws:dynamodb:eu-west-1:123456789012:table/t",
        "settings": ["ttl", "triggers"],
        "hold": ["triggers", "kinesis"],
        "settingsFrom": "snapshot",
        "grantRecordedAccess": True,
    }
    as_source = ["start", "--target", "t-restored", "--source", "t", "--replicas", "as-source"]
    assert cli.execution_input(cli.parser().parse_args(as_source), dry_run=False)["replicas"] == "as-source"
    regions = ["plan", "--target", "t-restored", "--source", "t", "--replicas", "us-west-2", "eu-west-1"]
    assert cli.execution_input(cli.parser().parse_args(regions), dry_run=True)["replicas"] == ["us-west-2", "eu-west-1"]
    side_by_side = ["start", "--target", "t-restored", "--source", "t", "--hold", "side-by-side"]
    assert cli.execution_input(cli.parser().parse_args(side_by_side), dry_run=False)["hold"] == "side-by-side"
    adopting = cli.parser().parse_args(["plan", "--target", "t-plain", "--source", "t", "--adopt-unrestored"])
    assert cli.execution_input(adopting, dry_run=True)["adoptUnrestored"] is True
    plain = cli.parser().parse_args(["start", "--target", "t-restored", "--source", "t"])
    assert cli.execution_input(plain, dry_run=True) == {
        "targetTableName": "t-restored",
        "sourceTableName": "t",
        "dryRun": True,
    }


def test_the_sandbox_commands_are_the_sandbox_packages_found_by_name() -> None:
    from restore_sync_sandbox import cli as sandbox_cli
    from restore_sync_sandbox import demo

    assert cli.sandbox_command("sandbox") is sandbox_cli.serve
    assert cli.sandbox_command("demo") is demo.run
    with pytest.raises(cli.UserError, match="sandbox is not installed"):
        cli.sandbox_command("no-such-command")


def test_an_ignored_report_prints_its_reason_and_no_settings_table() -> None:
    out = io.StringIO()
    report = {"target": "arn:t", "outcome": "ignored", "reason": "tagged restore-sync:settings=none", "settings": {}}
    cli.print_report(cli.Output(out, io.StringIO()), report, as_json=False)
    lines = out.getvalue().splitlines()
    assert "outcome: ignored   target: arn:t" in lines
    assert lines[-1] == "ignored: tagged restore-sync:settings=none"
    assert not any(line.startswith("setting") for line in lines)


def test_a_dry_run_says_which_changes_wait_for_activation() -> None:
    out = io.StringIO()
    report = {
        "outcome": "planned",
        "settings": {
            "stream": {"status": "planned", "wanted": {"enabled": True}, "changes": [{"property": "Stream"}]},
            "ttl": {"status": "held", "wanted": {"enabled": True}, "changes": [{"property": "TimeToLive"}]},
        },
    }
    cli.print_plan(cli.Output(out, io.StringIO()), report)
    assert out.getvalue().splitlines()[2:] == [
        '  stream: set Stream to {"enabled": true}',
        '  ttl: set TimeToLive to {"enabled": true} (held: once restore-sync activate applies it)',
    ]
