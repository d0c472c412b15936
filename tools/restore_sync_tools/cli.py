"""The `restore-sync` command line: start, follow, inspect and plan executions of the deployed state machine.

Exit status: 0 success, 1 a failed execution or a user error (bad input, an AWS error: a message, no
traceback), 2 a usage error, 3 a bug (a traceback). Only the standard library and boto3 are imported here; the
`sandbox` and `demo` commands are the sandbox package's, found by name when they run, so the rest works without
it.
"""

from __future__ import annotations

import argparse
import enum
import json
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import entry_points
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from restore_sync.timestamps import instant
from restore_sync_tools import doctor
from restore_sync_tools.activation import activation
from restore_sync_tools.errors import UserError
from restore_sync_tools.executions import (
    DEFAULT_STACK_NAME,
    FOLLOW_LIMIT_SECONDS,
    follow,
    latest_execution,
    new_events,
    report_of,
    session,
    stack_parameters,
    state_machine_arn,
)
from restore_sync_tools.progress import Progress, cause_message, format_line
from restore_sync_tools.render import cost_note, report_summary

# The entry point group under which the sandbox registers its commands.
SANDBOX_COMMANDS = "restore_sync.commands"


class ExitCode(enum.IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    BUG = 3


class UsageError(Exception):
    """The command line itself is wrong (exit 2)."""


@dataclass
class Output:
    """Where the command writes: results to `out`, problems to `err`."""

    out: TextIO
    err: TextIO

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def error(self, text: str) -> None:
        self.err.write(text + "\n")
        self.err.flush()


# ---- input ----------------------------------------------------------------------------------------------------


REPLICAS_HELP = (
    "replicas of the restored table (setting replicas; each copies the data to its region and is billed there): none, "
    "as-source (the source's replica regions, each with that replica's settings) or region names (default: the "
    "deployment's Replicas)"
)


def execution_input(args: argparse.Namespace, dry_run: bool) -> dict[str, Any]:
    raw: dict[str, Any] = {"targetTableName": args.target}
    if args.source_arn:
        raw["sourceTableArn"] = args.source_arn
    else:
        raw["sourceTableName"] = args.source
    if getattr(args, "settings", None):
        raw["settings"] = list(args.settings)
    if dry_run:
        raw["dryRun"] = True
    if getattr(args, "hold", None):
        # `none` and `side-by-side` are words; anything else names settings.
        words = len(args.hold) == 1 and args.hold[0] in ("none", "side-by-side")
        raw["hold"] = args.hold[0] if words else list(args.hold)
    if getattr(args, "replicas", None):
        # `none` and `as-source` are words; anything else names regions.
        words = len(args.replicas) == 1 and args.replicas[0] in ("none", "as-source")
        raw["replicas"] = args.replicas[0] if words else list(args.replicas)
    if getattr(args, "settings_from", None):
        raw["settingsFrom"] = args.settings_from
    if getattr(args, "adopt_unrestored", False):
        raw["adoptUnrestored"] = True
    if getattr(args, "grant_recorded_access", False):
        raw["grantRecordedAccess"] = True
    return raw


def input_problems(raw: dict[str, Any]) -> list[str]:
    """Every problem the state machine's schema finds in `raw`, worded as Normalize words them."""
    # The request module needs jsonschema (a dependency of the functions, not of this module's import).
    from restore_sync.workflow.request import input_problems as schema_problems

    return schema_problems(raw)


def table_problems(aws: Any, raw: dict[str, Any], machine_arn: str, parameters: dict[str, str]) -> list[str]:
    """What Normalize would refuse about the tables themselves (a missing target, one that was not restored or was
    restored from another table, a source equal to it...), checked by the same function, in the account, region
    and partition of the deployment's state machine and with its parameters."""
    from restore_sync.aws import Aws
    from restore_sync.workflow.request import ADOPT_PARAMETER, Home, manual_problems

    home = Home.of(machine_arn)
    adopt_allowed = parameters.get(ADOPT_PARAMETER) == "true"
    return manual_problems(Aws(region=home.region, session=aws), raw, home, adopt_allowed=adopt_allowed)


# ---- printing ------------------------------------------------------------------------------------------------


def print_report(output: Output, report: dict[str, Any] | None, *, as_json: bool) -> None:
    if report is None:
        output.print("no report: the execution ended before the report was built")
        return
    output.print(json.dumps(report, indent=2, sort_keys=False))
    if not as_json:
        output.print()
        output.print(f"outcome: {report.get('outcome')}   target: {report.get('target')}")
        if report.get("outcome") in ("ignored", "removed"):
            # No setting was read or applied: there is none to show, only why nothing was done, or what went with a
            # deleted table.
            output.print(f"{report['outcome']}: {report.get('reason', '')}")
            if report.get("stack"):
                output.print(f"governance stack: {report['stack']}")
            return
        for line in report_summary(report):
            output.print(line)


def exit_for(described: dict[str, Any], report: dict[str, Any] | None) -> ExitCode:
    if described["status"] != "SUCCEEDED":
        return ExitCode.FAILED
    return ExitCode.FAILED if report is not None and report.get("outcome") == "failed" else ExitCode.OK


# ---- commands -------------------------------------------------------------------------------------------------


def cmd_start(args: argparse.Namespace, output: Output, dry_run: bool = False, wait: bool = False) -> ExitCode:
    raw = execution_input(args, dry_run=dry_run or args.dry_run)
    problems = input_problems(raw)
    aws = session(args.profile, args.region)
    if not problems:
        cloudformation = aws.client("cloudformation")
        machine = state_machine_arn(cloudformation, args.stack_name)
        problems = table_problems(aws, raw, machine, stack_parameters(cloudformation, args.stack_name))
    if problems:
        output.error("the input is not valid:")
        for problem in problems:
            output.error(f"  - {problem}")
        return ExitCode.FAILED
    sfn = aws.client("stepfunctions")
    return start_and_follow(sfn, machine, raw, output, wait=wait or args.wait, as_json=args.json)


def start_and_follow(
    sfn: Any, machine: str, raw: dict[str, Any], output: Output, *, wait: bool, as_json: bool
) -> ExitCode:
    """StartExecution with `raw`; prints its ARN, and with `wait` follows it and prints its report."""
    started = sfn.start_execution(stateMachineArn=machine, input=json.dumps(raw))
    execution_arn = started["executionArn"]
    output.print(execution_arn)
    if not wait:
        return ExitCode.OK
    described = follow_or_explain(sfn, execution_arn, output)
    report = report_of(sfn, described)
    output.print()
    output.print(f"execution {described['status']}")
    if described["status"] != "SUCCEEDED":
        output.print(f"{described.get('error', '')}: {cause_message(described.get('cause'))}".strip(": "))
    print_report(output, report, as_json=as_json)
    if raw.get("dryRun"):
        print_plan(output, report)
    return exit_for(described, report)


def follow_or_explain(sfn: Any, execution_arn: str, output: Output) -> dict[str, Any]:
    try:
        return follow(sfn, execution_arn, output.print)
    except KeyboardInterrupt:
        output.error(f"\nstopped following; the execution goes on: restore-sync status {execution_arn}")
        raise


def print_plan(output: Output, report: dict[str, Any] | None) -> None:
    if not report or report.get("outcome") != "planned":
        return
    output.print()
    output.print("what would change on the target:")
    changes = 0
    for name, entry in (report.get("settings") or {}).items():
        for change in entry.get("changes") or []:
            changes += 1
            wanted = json.dumps(entry.get("wanted"), sort_keys=True)
            held = " (held: once restore-sync activate applies it)" if entry.get("status") == "held" else ""
            output.print(f"  {name}: set {change.get('property') or change.get('resource')} to {wanted}{held}")
        if entry.get("cost"):
            output.print(f"  {name}: {cost_note(entry['cost'])}")
    if not changes:
        output.print("  nothing")


def cmd_plan(args: argparse.Namespace, output: Output) -> ExitCode:
    args.dry_run, args.wait, args.settings = True, True, getattr(args, "settings", None)
    return cmd_start(args, output, dry_run=True, wait=True)


def cmd_status(args: argparse.Namespace, output: Output) -> ExitCode:
    if bool(args.target) == bool(args.execution_arn):
        raise UsageError("give either --target T or an EXECUTION_ARN")
    aws = session(args.profile, args.region)
    sfn = aws.client("stepfunctions")
    described = find_execution(aws, sfn, args)
    arn, status = described["executionArn"], described["status"]
    report = report_of(sfn, described)
    if args.json:
        # Only JSON, so the output can be piped: the report, or what is known when there is none (yet).
        fallback = {
            "execution": arn,
            "status": status,
            "error": described.get("error"),
            "cause": described.get("cause"),
        }
        output.print(json.dumps(report or fallback, indent=2))
        return ExitCode.OK if status == "RUNNING" else exit_for(described, report)
    output.print(f"execution: {arn}")
    output.print(f"status:    {status} (started {described['startDate']})")
    if status == "RUNNING":
        lines = Progress().feed(new_events(sfn, arn, 0))
        output.print("latest states:")
        for line in lines[-5:]:
            output.print(format_line(line, instant(described["startDate"])))
        output.print(f"follow it with the Step Functions console, or again: restore-sync status {arn}")
        return ExitCode.OK
    if status != "SUCCEEDED":
        # The step a sync fails in is a Lambda task: its cause is the error's JSON, whose message a person reads.
        output.print(f"error:     {described.get('error', '')}: {cause_message(described.get('cause'))}")
    output.print()
    print_report(output, report, as_json=False)
    return exit_for(described, report)


def find_execution(aws: Any, sfn: Any, args: argparse.Namespace) -> dict[str, Any]:
    """DescribeExecution of the ARN given, or of the newest execution for --target."""
    if args.execution_arn:
        return dict(sfn.describe_execution(executionArn=args.execution_arn))
    machine = state_machine_arn(aws.client("cloudformation"), args.stack_name)
    described = latest_execution(sfn, machine, args.target)
    if described is None:
        raise UserError(f"no execution of {args.stack_name} names table {args.target}")
    return described


def cmd_activate(args: argparse.Namespace, output: Output) -> ExitCode:
    """Applies the settings the table's executions left held, through the same workflow (one change set each)."""
    aws = session(args.profile, args.region)
    cloudformation = aws.client("cloudformation")
    sfn = aws.client("stepfunctions")
    machine = state_machine_arn(cloudformation, args.stack_name)
    found = activation(sfn, cloudformation, machine, args.target)
    raw = found.execution_input
    problems = input_problems(raw) or table_problems(
        aws, raw, machine, stack_parameters(cloudformation, args.stack_name)
    )
    if problems:
        output.error(f"cannot activate what {found.held_by} held:")
        for problem in problems:
            output.error(f"  - {problem}")
        return ExitCode.FAILED
    output.print(f"activating on {args.target}: {', '.join(found.held)} (held by {found.held_by})")
    return start_and_follow(sfn, machine, raw, output, wait=args.wait, as_json=args.json)


def cmd_sandbox(args: argparse.Namespace, output: Output) -> ExitCode:
    serve = sandbox_command("sandbox")
    return ExitCode(
        serve(
            port=args.port,
            region=args.region,
            restore_seconds=args.restore_seconds,
            show=output.print,
            faults=args.faults,
            parameters=args.parameter,
        )
    )


def cmd_demo(args: argparse.Namespace, output: Output) -> ExitCode:
    demo = sandbox_command("demo")
    return ExitCode(
        demo(
            restore_seconds=args.restore_seconds,
            real_clock=args.real_clock,
            show=output.print,
            console_port=args.console,
        )
    )


def cmd_console(args: argparse.Namespace, output: Output) -> ExitCode:
    """Serves the console page for the deployment's state machine until Ctrl-C."""
    from restore_sync_tools.console import graph, server

    try:
        graph.dot_command()
    except graph.GraphvizMissing as error:
        raise UserError(str(error)) from error
    aws = session(args.profile, args.region)
    sfn = aws.client("stepfunctions")
    machine = state_machine_arn(aws.client("cloudformation"), args.stack_name)
    console = server.Console(sfn, machine, description=f"stack {args.stack_name} in {aws.region_name}")
    try:
        listening = server.listen(console, port=args.port)
    except OSError as error:
        raise UserError(
            f"cannot listen on {server.HOST}:{args.port}: {error.strerror} (choose another with --port)"
        ) from error
    with server.serving(listening) as url:
        output.print(f"restore-sync console for {machine}")
        output.print(f"open {url} (read-only; Ctrl-C stops it)")
        try:
            for _ in range(int(FOLLOW_LIMIT_SECONDS)):
                time.sleep(1.0)
        except KeyboardInterrupt:
            output.print("console stopped")
    return ExitCode.OK


def cmd_doctor(args: argparse.Namespace, output: Output) -> ExitCode:
    """One row per check of the deployment; exit 1 when any check fails (a warning does not)."""
    aws = session(args.profile, args.region)
    checks = doctor.gather(aws, args.stack_name, now=lambda: datetime.now(UTC))
    output.print(f"restore-sync doctor: stack {args.stack_name} in {aws.region_name}")
    for line in doctor.rows(checks):
        output.print(line)
    return ExitCode.FAILED if doctor.worst(checks) == "fail" else ExitCode.OK


def cmd_release(args: argparse.Namespace, output: Output) -> ExitCode:
    """Deletes the table's governance stack, keeping everything it held; prints the import material."""
    from restore_sync.aws import Aws
    from restore_sync_tools import release

    aws = session(args.profile, args.region)
    show = (lambda line: None) if args.json else output.print
    material = release.Release(Aws(region=aws.region_name, session=aws), args.stack_name, args.target, show=show).run()
    lines = [json.dumps(release.as_json(material), indent=2)] if args.json else ["", *release.as_text(material)]
    for line in lines:
        output.print(line)
    if material.missing:
        output.error(f"restore-sync: not found after the release: {', '.join(material.missing)}")
        return ExitCode.FAILED
    return ExitCode.OK


def sandbox_command(name: str) -> Callable[..., int]:
    """The sandbox's command `name`. The sandbox package registers its commands (pyproject.toml's entry points
    of group restore_sync.commands), so the tools never import the sandbox and work where it is not installed."""
    found = [entry for entry in entry_points(group=SANDBOX_COMMANDS) if entry.name == name]
    try:
        if not found:
            raise ModuleNotFoundError(f"no {SANDBOX_COMMANDS} entry point {name}", name="restore_sync_sandbox")
        command: Callable[..., int] = found[0].load()
    except ModuleNotFoundError as error:
        raise UserError(
            f"the sandbox is not installed ({error.name} is missing): pip install 'restore-sync[sandbox]'"
        ) from error
    return command


# ---- parser ---------------------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        raise UsageError(f"{self.prog}: {message}")


def parser() -> argparse.ArgumentParser:
    top = _Parser(
        prog="restore-sync",
        description="Make a restored DynamoDB table whole: start, follow and inspect restore-sync executions.",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    # Which deployment, where: every command that talks to a deployed restore-sync.
    deployment = _Parser(add_help=False)
    deployment.add_argument(
        "--stack-name", default=DEFAULT_STACK_NAME, help="the deployment stack (default: %(default)s)"
    )
    deployment.add_argument("--region", help="AWS region (default: AWS_REGION or the profile's)")
    deployment.add_argument("--profile", help="AWS profile")
    aws = _Parser(add_help=False, parents=[deployment])
    aws.add_argument("--json", action="store_true", help="print the report as JSON only")

    tables = _Parser(add_help=False)
    tables.add_argument("--target", required=True, help="the restored table to make whole")
    source = tables.add_mutually_exclusive_group(required=True)
    source.add_argument("--source", help="the source table, in the same region")
    source.add_argument("--source-arn", help="the source table's ARN (any region of the account)")
    tables.add_argument(
        "--adopt-unrestored",
        action="store_true",
        help="the target was not restored and is to be adopted all the same (only where the deployment's "
        "AdoptUnrestoredTables parameter is true)",
    )
    tables.add_argument(
        "--settings-from",
        choices=["auto", "snapshot", "live"],
        help="the settings history's version at the restore point (snapshot), the source as it is now (live), or "
        "the history when it has that version, else the live source (auto, the default)",
    )
    tables.add_argument(
        "--grant-recorded-access",
        action="store_true",
        help="apply a resource policy from the settings history as recorded, even the principals the source's "
        "policy no longer grants (default: they are left out, and the report names them)",
    )

    start = commands.add_parser(
        "start", parents=[tables, aws], help="start an execution", description="StartExecution with this input."
    )
    start.add_argument("--settings", nargs="+", metavar="SETTING", help="copy only these settings")
    start.add_argument("--dry-run", action="store_true", help="plan only: change nothing")
    start.add_argument("--wait", action="store_true", help="follow the execution and print its report")
    start.add_argument(
        "--hold",
        nargs="+",
        metavar="SETTING",
        help="what waits for `restore-sync activate`: none, side-by-side (triggers created disabled, Kinesis and TTL "
        "not applied, while the source exists) or setting names (default: the deployment's HoldSettings)",
    )
    start.add_argument("--replicas", nargs="+", metavar="REGION", help=REPLICAS_HELP)
    start.set_defaults(handler=cmd_start)

    activate = commands.add_parser(
        "activate",
        parents=[aws],
        help="apply the settings an execution held",
        description="Apply the settings the table's executions left held (triggers enabled as on the source, the "
        "Kinesis destination, TTL...) through the deployed workflow: one change set each, verified, reported.",
    )
    activate.add_argument("--target", required=True, help="the restored table whose held settings to apply")
    activate.add_argument("--wait", action="store_true", help="follow the execution and print its report")
    activate.set_defaults(handler=cmd_activate)

    status = commands.add_parser(
        "status", parents=[aws], help="the report of an execution", description="The report of an execution."
    )
    status.add_argument("execution_arn", nargs="?", metavar="EXECUTION_ARN")
    status.add_argument("--target", help="the latest execution for this table")
    status.set_defaults(handler=cmd_status)

    plan = commands.add_parser(
        "plan", parents=[tables, aws], help="dry run: what would change", description="A dry run: what would change."
    )
    plan.add_argument("--settings", nargs="+", metavar="SETTING", help="plan only these settings")
    plan.add_argument("--replicas", nargs="+", metavar="REGION", help=REPLICAS_HELP)
    plan.set_defaults(handler=cmd_plan)

    sandbox = commands.add_parser(
        "sandbox",
        help="run the local AWS with the app deployed",
        description="Start the local AWS (moto with restore-sync's extensions) with the app deployed as stack "
        "restore-sync, on a real clock, until Ctrl-C.",
    )
    sandbox.add_argument("--port", type=int, default=5000, help="port on 127.0.0.1 (default: %(default)s)")
    sandbox.add_argument("--region", default="us-east-1", help="the deployment's region (default: %(default)s)")
    sandbox.add_argument(
        "--restore-seconds",
        type=float,
        default=30.0,
        help="how long a restored table stays CREATING (default: %(default)s)",
    )
    sandbox.add_argument(
        "--faults",
        default="",
        metavar="SPEC",
        help="inject faults into AWS calls, e.g. 'dynamodb:DescribeTable:throttle:times=3, "
        "lambda:Invoke:crash:p=0.1:seed=7' (grammar: restore_sync_sandbox.fault_spec)",
    )
    sandbox.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="deploy with this template parameter, as sam deploy would (repeatable), e.g. --parameter Settings=tags",
    )
    sandbox.set_defaults(handler=cmd_sandbox)

    console = commands.add_parser(
        "console",
        parents=[deployment],
        help="a local page that shows executions as the Step Functions console does, with the report",
        description="Serve a read-only page on 127.0.0.1: the deployment's executions; for one, the workflow graph "
        "coloured by what each state did, each step's input and output, and the report as a table. It refreshes "
        "while an execution runs. Needs graphviz (`dot`).",
    )
    console.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default: %(default)s)")
    console.set_defaults(handler=cmd_console)

    checkup = commands.add_parser(
        "doctor",
        parents=[deployment],
        help="what the deployment needs and no test can see: ok / warn / fail per check",
        description="Check what the deployment needs to work and no test can see: a CloudTrail trail logging "
        "management write events in the region, the stack's rules enabled, its state machine and roles present, "
        "the dead-letter queue empty, the settings history recent. Exit 1 when a check fails.",
    )
    checkup.set_defaults(handler=cmd_doctor)

    handover = commands.add_parser(
        "release",
        parents=[aws],
        help="hand a table over: delete its governance stack, keep everything it held, print how to import it",
        description="Set every resource of the table's governance stack to DeletionPolicy and UpdateReplacePolicy "
        "Retain, delete the stack, check that the table and everything the stack held still exist, and print the "
        "CloudFormation resource identifiers and the terraform import lines to adopt them elsewhere.",
    )
    handover.add_argument("--target", required=True, help="the table to release")
    handover.set_defaults(handler=cmd_release)

    demo = commands.add_parser(
        "demo",
        help="restore a table in the local AWS and watch it made whole",
        description="In one process: the local AWS, the app, a source table with every setting, a restore, "
        "the execution followed state by state, the report and a source-vs-target comparison.",
    )
    demo.add_argument(
        "--restore-seconds",
        type=float,
        default=300.0,
        help="how long the restored table stays CREATING (default: %(default)s)",
    )
    demo.add_argument("--real-clock", action="store_true", help="wait for real (default: a virtual clock)")
    demo.add_argument(
        "--console",
        type=int,
        nargs="?",
        const=8765,
        metavar="PORT",
        help="serve the console on 127.0.0.1 (port %(const)s unless given) and keep it open after the demo",
    )
    demo.set_defaults(handler=cmd_demo)
    return top


def main(argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Runs one command; returns the exit status (see ExitCode)."""
    output = Output(out or sys.stdout, err or sys.stderr)
    try:
        args = parser().parse_args(argv)
        return int(args.handler(args, output))
    except SystemExit as done:  # --help
        return int(done.code or 0)
    except UsageError as error:
        output.error(str(error))
        output.error("try: restore-sync --help")
        return ExitCode.USAGE
    except UserError as error:
        output.error(f"restore-sync: {error}")
        return ExitCode.FAILED
    except ClientError as error:
        output.error(f"restore-sync: AWS error: {error}")
        return ExitCode.FAILED
    except BotoCoreError as error:
        output.error(f"restore-sync: {error}")
        return ExitCode.FAILED
    except KeyboardInterrupt:
        return 130
    except Exception:
        output.error(traceback.format_exc().rstrip())
        output.error("restore-sync: this is a bug; please report it with the trace above")
        return ExitCode.BUG


if __name__ == "__main__":
    sys.exit(main())
