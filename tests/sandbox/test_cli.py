"""The command line, run in-process (`main([...])`) against the sandbox with the app deployed.

One process holds one local AWS at a time: the demo and `restore-sync sandbox` start their own, so their tests
come first in this module, before the shared `sandbox` fixture starts (it forgets whatever they left).
"""

from __future__ import annotations

import io
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from restore_sync.aws import Aws, TableRef
from restore_sync.settings import REGISTRY
from restore_sync_sandbox import examples
from restore_sync_sandbox.cli import serve
from restore_sync_sandbox.deploy import TRAIL_NAME, account_trail, deploy_app
from restore_sync_sandbox.server import Sandbox
from restore_sync_tools.cli import main
from tests.sandbox.app import restored_from_a_forgotten_table as forgotten_restore

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "cli-source"
SERVE_START_SECONDS = 60


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


# ---- commands that start their own sandbox (before the shared fixture) -----------------------------------------


def test_demo_restores_a_table_follows_it_and_exits_0_when_the_target_is_whole() -> None:
    code, out, err = run("demo", "--restore-seconds", "300")
    assert code == 0, out + err
    checks = [line for line in out.splitlines() if "Check target table" in line]
    assert len(checks) > 3, "the restored table stays CREATING long enough for several checks"
    assert (
        "table is CREATING; index by-customer.v2 is CREATING; index by-status is CREATING; next check in" in checks[0]
    )
    assert "table is ACTIVE after" in checks[-1]
    minutes, seconds = checks[-1].split()[0].lstrip("+").split(":")
    assert int(minutes) * 60 + int(seconds) >= 300, "offsets are sandbox time since the restore"
    assert any("Wait before checking again      waiting" in line for line in out.splitlines())
    assert "Execution succeeded" in out
    for name in REGISTRY:
        assert any(line.split()[:2] == [name, "yes"] for line in out.splitlines()), f"{name} not compared"
    assert "items: 25 in orders, 25 in orders-restored" in out
    assert "demo passed in" in out
    doctor = out.split("restore-sync doctor", 1)[1].split("restore requested", 1)[0]
    checks = ("cloudtrail", "rules", "state machine and roles", "dead-letter queue", "settings history", "stream")
    for check in checks:
        assert any(line.split()[:1] == [check.split()[0]] and " ok " in line for line in doctor.splitlines()), check


def test_sandbox_command_serves_the_app_until_stopped() -> None:
    stop, ready = threading.Event(), threading.Event()
    shown: list[str] = []
    seen: dict[str, Any] = {}

    def check(sandbox: Sandbox) -> None:
        # Runs in the serving thread while the sandbox is up: the CLI finds the deployment through its stack.
        seen["stack"] = sandbox.client("cloudformation").describe_stacks(StackName="restore-sync")["Stacks"][0]
        seen["endpoint"] = sandbox.endpoint_url
        functions = sandbox.client("lambda").list_functions()["Functions"]
        seen["settings"] = {f["Environment"]["Variables"].get("SETTINGS") for f in functions if "Environment" in f}
        ready.set()

    before = os.environ.get("AWS_ENDPOINT_URL")
    server = threading.Thread(
        target=lambda: seen.setdefault(
            "code",
            serve(
                port=0,
                restore_seconds=5,
                show=shown.append,
                stop=stop,
                ready=check,
                parameters=["Settings=ttl", "HorizonHours=6"],
            ),
        )
    )
    server.start()
    try:
        for _ in range(SERVE_START_SECONDS * 10):
            if ready.wait(0.1) or not server.is_alive():
                break
        assert ready.is_set(), "the sandbox did not start"
        assert seen["stack"]["StackStatus"] == "CREATE_COMPLETE"
        deployed_with = {p["ParameterKey"]: p["ParameterValue"] for p in seen["stack"]["Parameters"]}
        assert deployed_with["HorizonHours"] == "6"
        assert seen["settings"] - {None} == {"ttl"}
        assert "deployed with (--parameter): Settings=ttl, HorizonHours=6" in shown
        assert f"  export AWS_ENDPOINT_URL={seen['endpoint']}" in shown
        assert any("restore-table-to-point-in-time" in line for line in shown)
    finally:
        stop.set()
        server.join(SERVE_START_SECONDS)
    assert not server.is_alive()
    assert seen["code"] == 0
    assert shown[-1] == "sandbox stopped"
    assert os.environ.get("AWS_ENDPOINT_URL") == before


@pytest.mark.parametrize(
    ("given", "refusal"),
    [
        ("Settings", "--parameter 'Settings': expected Name=Value"),
        ("Setings=tags", "--parameter Setings: template.yaml declares no such parameter (it has "),
    ],
)
def test_a_parameter_the_template_does_not_declare_is_refused_before_anything_starts(given: str, refusal: str) -> None:
    code, _, err = run("sandbox", "--port", "0", "--parameter", given)
    assert code != 0
    assert refusal in err, err


# ---- commands against the shared sandbox ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(sandbox: Sandbox) -> dict[str, str]:
    """The account's trail, the app deployed, and a source table with settings to copy."""
    account_trail(sandbox)
    # Adopting tables that were not restored is allowed here, so that `--adopt-unrestored` can be seen to work.
    outputs = deploy_app(
        sandbox, ROOT / "template.yaml", parameters={"LogLevel": "WARNING", "AdoptUnrestoredTables": "true"}
    )
    ddb = sandbox.client("dynamodb")
    ddb.create_table(
        TableName=SOURCE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        Tags=[{"Key": "team", "Value": "payments"}],
    )
    ddb.update_time_to_live(TableName=SOURCE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})
    ddb.update_continuous_backups(
        TableName=SOURCE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    return outputs


def test_doctor_is_green_on_a_deployment_whose_trail_logs_management_events(app: dict[str, str]) -> None:
    code, out, err = run("doctor", "--region", "us-east-1")
    assert code == 0, out + err
    header, _, *rows = out.splitlines()[1:]
    column = header.index("verdict")
    assert [row[column:].split()[0] for row in rows] == ["ok"] * 6, out
    assert f"trail {TRAIL_NAME} logs management write events in us-east-1" in out


def test_doctor_fails_and_says_what_to_do_when_the_trail_is_stopped(sandbox: Sandbox, app: dict[str, str]) -> None:
    cloudtrail = sandbox.client("cloudtrail")
    cloudtrail.stop_logging(Name=TRAIL_NAME)
    try:
        code, out, err = run("doctor", "--stack-name", "restore-sync", "--region", "us-east-1")
    finally:
        cloudtrail.start_logging(Name=TRAIL_NAME)
    assert code == 1, out + err
    row = next(line for line in out.splitlines() if line.startswith("cloudtrail"))
    assert row.split()[1] == "fail"
    assert f"trail {TRAIL_NAME} is not logging (aws cloudtrail start-logging --name {TRAIL_NAME})" in row
    assert "EventBridge never sees a restore" in row


def test_doctor_warns_of_a_trigger_whose_role_reads_only_its_tables_own_stream(
    sandbox: Sandbox, app: dict[str, str]
) -> None:
    name = "cli-scoped"
    ddb, iam, lam = sandbox.client("dynamodb"), sandbox.client("iam"), sandbox.client("lambda")
    stream = ddb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(examples.LAMBDA_TRUST))["Role"]["Arn"]
    # As CDK's grantStreamRead writes it: this table's stream only.
    scoped = examples.stream_reader(name)
    scoped["Statement"][0]["Resource"] = [f"arn:aws:dynamodb:*:*:table/{name}/stream/*"]
    iam.put_role_policy(RoleName=name, PolicyName="read-own-stream", PolicyDocument=json.dumps(scoped))
    function = lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler="c.h", Code={"ZipFile": examples.consumer_zip()}
    )["FunctionArn"]
    mapping = lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=name, StartingPosition="LATEST")
    try:
        code, out, err = run("doctor", "--region", "us-east-1")
    finally:
        lam.delete_event_source_mapping(UUID=mapping["UUID"])
    assert code == 0, out + err
    row = next(line for line in out.splitlines() if line.startswith("stream consumers"))
    assert row.split()[7] == "warn", row
    assert f"{name}: function {function} (role {role}) lacks" in row
    assert f'"Resource":"arn:aws:dynamodb:us-east-1:{sandbox.account_id}:table/{name}*/stream/*"' in row


@pytest.fixture
def restored_table(sandbox: Sandbox) -> Callable[[str], str]:
    """Makes a restore of the source with none of its settings, which no trail saw: no event starts an execution
    for it, only the command line does."""

    def make(name: str) -> str:
        examples.restore_unannounced(sandbox.client("dynamodb"), name, SourceTableName=SOURCE)
        return name

    return make


@pytest.fixture
def plain_table(sandbox: Sandbox) -> Callable[[str], str]:
    """Makes a table with no settings that was created, not restored."""

    def make(name: str) -> str:
        examples.make_plain(sandbox.client("dynamodb"), name, items=0)
        return name

    return make


def settings_of(sandbox: Sandbox, table: str) -> dict[str, Any]:
    aws = Aws(region=sandbox.region)
    ref = TableRef(table, sandbox.region, sandbox.account_id)
    return {name: setting.read(aws, ref) for name, setting in REGISTRY.items()}


def executions(sandbox: Sandbox, app: dict[str, str]) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = sandbox.client("stepfunctions").list_executions(
        stateMachineArn=app["StateMachineArn"]
    )["executions"]
    return listed


def test_start_wait_follows_the_execution_and_prints_the_report(
    sandbox: Sandbox, app: dict[str, str], restored_table: Callable[[str], str]
) -> None:
    target = restored_table("cli-synced")
    code, out, err = run("start", "--target", target, "--source", SOURCE, "--wait")
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0].startswith("arn:aws:states:us-east-1:123456789012:execution:")
    assert any("Check target table" in line and "table is ACTIVE" in line for line in lines)
    assert any("Apply setting" in line and "ttl: applied" in line for line in lines)
    assert "execution SUCCEEDED" in lines
    assert '"outcome": "succeeded"' in out
    assert any(line.split()[:2] == ["ttl", "applied"] for line in lines)
    assert settings_of(sandbox, target) == settings_of(sandbox, SOURCE)


def test_start_with_bad_input_names_every_problem_and_starts_nothing(sandbox: Sandbox, app: dict[str, str]) -> None:
    before = len(executions(sandbox, app))
    code, out, err = run("start", "--target", "x!", "--source", SOURCE, "--settings", "ttl", "bogus", "nope")
    assert code == 1
    assert out == ""
    problems = [line.strip() for line in err.splitlines() if line.strip().startswith("- ")]
    assert len(problems) == 3, err
    assert any(p.startswith("- targetTableName: 'x!' does not match") for p in problems)
    assert any(p.startswith("- settings.1: 'bogus' is not a setting") for p in problems)
    assert any(p.startswith("- settings.2: 'nope' is not a setting") for p in problems)

    code, _, err = run("start", "--target", "no-such-table", "--source", SOURCE)
    assert code == 1
    assert "target table no-such-table does not exist in us-east-1" in err
    code, _, err = run("start", "--target", SOURCE, "--source", SOURCE)
    assert code == 1
    assert f"the source and the target are the same table ({SOURCE})" in err
    assert len(executions(sandbox, app)) == before


@pytest.mark.parametrize(
    "argv",
    [
        ["start", "--target", "t-table"],
        ["start", "--target", "t-table", "--source", "a-table", "--source-arn", "arn:aws:dynamodb:x"],
        ["status", "--target", "t-table", "arn:aws:states:us-east-1:123456789012:execution:m:e"],
        ["status"],
        ["unknown-command"],
    ],
)
def test_a_wrong_command_line_is_a_usage_error(argv: list[str]) -> None:
    code, _, err = run(*argv)
    assert code == 2
    assert "restore-sync" in err


def test_aws_errors_are_user_errors_without_a_traceback(sandbox: Sandbox, app: dict[str, str]) -> None:
    code, _, err = run("start", "--target", SOURCE + "-x", "--source", SOURCE, "--stack-name", "not-deployed")
    assert code == 1
    assert "target table" in err or "stack not-deployed does not exist" in err
    code, _, err = run("status", "arn:aws:states:us-east-1:123456789012:execution:no-machine:no-execution")
    assert code == 1
    assert "AWS error" in err
    assert "Traceback" not in err


def test_status_by_target_and_by_arn_give_the_same_report(
    sandbox: Sandbox, app: dict[str, str], restored_table: Callable[[str], str]
) -> None:
    target = restored_table("cli-status")
    code, out, _ = run("start", "--target", target, "--source", SOURCE, "--settings", "tags", "ttl", "--wait")
    assert code == 0
    arn = out.splitlines()[0]

    code, by_target, _ = run("status", "--target", target, "--json")
    assert code == 0
    code, by_arn, _ = run("status", arn, "--json")
    assert code == 0
    report = json.loads(by_target)
    assert report == json.loads(by_arn)
    assert report["execution"] == arn
    assert sorted(report["settings"]) == ["tags", "ttl"]

    code, human, _ = run("status", "--target", target)
    assert code == 0
    assert f"execution: {arn}" in human
    assert any(line.split()[:2] == ["tags", "applied"] for line in human.splitlines())


def test_status_finds_the_execution_a_restore_event_started(sandbox: Sandbox, app: dict[str, str]) -> None:
    ddb = sandbox.client("dynamodb")
    ddb.restore_table_to_point_in_time(
        SourceTableName=SOURCE, TargetTableName="cli-restored", UseLatestRestorableTime=True
    )
    for _ in range(200):
        code, out, _ = run("status", "--target", "cli-restored", "--json")
        if code == 0 and json.loads(out).get("status") != "RUNNING":
            break
        threading.Event().wait(0.05)
    assert code == 0, out
    assert json.loads(out)["outcome"] == "succeeded"


def test_status_of_a_refused_input_shows_why(
    sandbox: Sandbox, app: dict[str, str], wait_for_execution: Callable[..., dict[str, Any]]
) -> None:
    # Started without the command line's checks, as an operator might with the AWS CLI.
    started = sandbox.client("stepfunctions").start_execution(
        stateMachineArn=app["StateMachineArn"],
        input=json.dumps({"targetTableName": "cli-missing", "sourceTableName": SOURCE}),
    )
    assert wait_for_execution(started["executionArn"])["status"] == "FAILED"
    code, out, _ = run("status", started["executionArn"])
    assert code == 1
    assert "status:    FAILED" in out
    assert "target table cli-missing does not exist" in out
    assert "no report: the execution ended before the report was built" in out


def test_status_of_a_failed_execution_shows_the_report_built_before_the_failure(
    sandbox: Sandbox,
    app: dict[str, str],
    wait_for_execution: Callable[..., dict[str, Any]],
) -> None:
    target = "cli-sourceless"
    forgotten_restore(sandbox, "cli-no-such-source", target)
    started = sandbox.client("stepfunctions").start_execution(
        stateMachineArn=app["StateMachineArn"],
        input=json.dumps({"targetTableName": target, "sourceTableName": "cli-no-such-source"}),
    )
    assert wait_for_execution(started["executionArn"])["status"] == "FAILED"
    code, out, _ = run("status", started["executionArn"])
    assert code == 1
    assert "status:    FAILED" in out
    assert "source table arn:aws:dynamodb:us-east-1:123456789012:table/cli-no-such-source does not exist" in out
    assert '"outcome": "failed"' in out
    # The execution fails in a Lambda task, whose cause is the error's JSON: status shows the message in it.
    [error_line] = [line for line in out.splitlines() if line.startswith("error:")]
    assert error_line.startswith("error:     SettingsUnavailable: source table ")
    assert "errorType" not in error_line


def test_plan_shows_what_would_change_and_changes_nothing(
    sandbox: Sandbox, app: dict[str, str], restored_table: Callable[[str], str]
) -> None:
    target = restored_table("cli-planned")
    before = settings_of(sandbox, target)
    code, out, err = run("plan", "--target", target, "--source", SOURCE)
    assert code == 0, out + err
    assert '"outcome": "planned"' in out
    assert "what would change on the target:" in out
    assert '  ttl: set TimeToLiveSpecification to {"attributeName": "ttl", "enabled": true}' in out
    assert settings_of(sandbox, target) == before
    stacks = sandbox.client("cloudformation").describe_stacks()["Stacks"]
    assert not [s for s in stacks if "cli-planned" in s["StackName"]], "a dry run adopts nothing"


def test_start_wait_exits_1_when_the_execution_fails_and_still_prints_its_report(
    sandbox: Sandbox, app: dict[str, str]
) -> None:
    target = "cli-orphan"
    forgotten_restore(sandbox, "cli-no-such-source", target)
    code, out, err = run("start", "--target", target, "--source", "cli-no-such-source", "--wait")
    assert code == 1, out + err
    assert "execution FAILED" in out
    assert any("Read source settings" in line and "failed: " in line for line in out.splitlines())
    assert '"outcome": "failed"' in out


def test_a_table_that_was_not_restored_is_adopted_only_when_the_start_says_so(
    sandbox: Sandbox, app: dict[str, str], plain_table: Callable[[str], str]
) -> None:
    target = plain_table("cli-adopted")
    before = len(executions(sandbox, app))
    code, out, err = run("start", "--target", target, "--source", SOURCE, "--wait")
    assert code == 1
    assert "target table cli-adopted was not restored" in err
    assert "(restore-sync start --adopt-unrestored)" in err
    assert len(executions(sandbox, app)) == before

    code, out, err = run("start", "--target", target, "--source", SOURCE, "--adopt-unrestored", "--wait")
    assert code == 0, out + err
    assert "execution SUCCEEDED" in out
    assert settings_of(sandbox, target) == settings_of(sandbox, SOURCE)
