"""EventBridge delivery: the full envelope, Step Functions and Lambda targets, retries and dead-letter queues."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.awslambda.models import LambdaBackend
from moto.events.models import Rule
from moto.stepfunctions.parser.api import ExecutionLimitExceeded
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from restore_sync_sandbox import clock
from restore_sync_sandbox.extensions import eventbridge_targets

ACCOUNT = "123456789012"
REGION = "us-east-1"
PATTERN = {"source": ["aws.dynamodb"], "detail-type": ["AWS API Call via CloudTrail"]}
DETAIL = {"eventName": "RestoreTableToPointInTime", "requestParameters": {"targetTableName": "orders-restored"}}
PASS_ONLY = json.dumps({"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}})
ROLE = f"arn:aws:iam::{ACCOUNT}:role/events"


@pytest.fixture(autouse=True)
def aws() -> Iterator[None]:
    eventbridge_targets.install()
    previous = clock.use_clock(clock.Clock(virtual=True))
    try:
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            yield
    finally:
        eventbridge_targets.reset()
        clock.use_clock(previous)


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def queue(name: str) -> tuple[str, str]:
    sqs = client("sqs")
    url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn: str = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def rule(targets: list[dict[str, Any]], name: str = "restores") -> str:
    events = client("events")
    arn: str = events.put_rule(Name=name, EventPattern=json.dumps(PATTERN))["RuleArn"]
    events.put_targets(Rule=name, Targets=targets)
    return arn


def put_event(detail: dict[str, Any] | None = None) -> str:
    entries = client("events").put_events(
        Entries=[
            {
                "Source": "aws.dynamodb",
                "DetailType": "AWS API Call via CloudTrail",
                "Detail": json.dumps(detail or DETAIL),
            }
        ]
    )["Entries"]
    event_id: str = entries[0]["EventId"]
    return event_id


def wait_for(check: Callable[[], Any], what: str, attempts: int = 100) -> Any:
    for _ in range(attempts):
        result = check()
        if result:
            return result
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def receive(url: str, expected: int = 1) -> list[dict[str, Any]]:
    sqs = client("sqs")
    found: list[dict[str, Any]] = []

    def poll() -> bool:
        found.extend(
            sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get("Messages", [])
        )
        return len(found) >= expected

    wait_for(poll, f"{expected} message(s) on {url}")
    return found


def attributes(message: dict[str, Any]) -> dict[str, str]:
    return {name: value["StringValue"] for name, value in message.get("MessageAttributes", {}).items()}


def state_machine(name: str = "restore-sync") -> str:
    arn: str = client("stepfunctions").create_state_machine(name=name, definition=PASS_ONLY, roleArn=ROLE)[
        "stateMachineArn"
    ]
    return arn


def test_patched_moto_attribute_still_exists() -> None:
    assert callable(getattr(Rule, "send_to_targets", None)), "Rule.send_to_targets is gone from moto"


def test_an_sqs_target_receives_the_full_envelope_with_the_account() -> None:
    url, arn = queue("target")
    rule([{"Id": "queue", "Arn": arn}])

    event_id = put_event()

    [message] = receive(url)
    event = json.loads(message["Body"])
    assert event["account"] == ACCOUNT
    assert event["id"] == event_id
    assert event["region"] == REGION
    assert event["version"] == "0"
    assert event["source"] == "aws.dynamodb"
    assert event["detail-type"] == "AWS API Call via CloudTrail"
    assert event["resources"] == []
    assert event["detail"] == DETAIL
    assert event["time"].endswith("Z")


def test_input_input_path_and_input_transformer_shape_what_the_target_receives() -> None:
    url, arn = queue("shaped")
    rule(
        [
            {"Id": "constant", "Arn": arn, "Input": '{"fixed": true}'},
            {"Id": "path", "Arn": arn, "InputPath": "$.detail.requestParameters"},
            {
                "Id": "transformed",
                "Arn": arn,
                "InputTransformer": {
                    "InputPathsMap": {"table": "$.detail.requestParameters.targetTableName", "account": "$.account"},
                    "InputTemplate": (
                        '{"targetTableName": "<table>", "account": "<account>", "rule": "<aws.events.rule-name>"}'
                    ),
                },
            },
        ]
    )

    put_event()

    bodies = [json.loads(message["Body"]) for message in receive(url, expected=3)]
    assert {"fixed": True} in bodies
    assert {"targetTableName": "orders-restored"} in bodies
    assert {"targetTableName": "orders-restored", "account": ACCOUNT, "rule": "restores"} in bodies


def test_a_step_functions_target_starts_an_execution_whose_input_is_the_event() -> None:
    sfn = client("stepfunctions")
    machine_arn = state_machine()
    rule([{"Id": "workflow", "Arn": machine_arn, "RoleArn": ROLE}])

    first, second = put_event(), put_event()

    def succeeded() -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] = sfn.list_executions(stateMachineArn=machine_arn, statusFilter="SUCCEEDED")[
            "executions"
        ]
        return found if len(found) == 2 else None

    executions = wait_for(succeeded, "two succeeded executions")
    names = {execution["name"] for execution in executions}
    assert len(names) == 2
    assert "None" not in names
    inputs = []
    for execution in executions:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        inputs.append(json.loads(described["input"]))
        assert json.loads(described["output"]) == json.loads(described["input"])
    assert {event["id"] for event in inputs} == {first, second}
    for event in inputs:
        assert event["account"] == ACCOUNT
        assert event["detail"] == DETAIL
        assert event["source"] == "aws.dynamodb"


def test_a_missing_state_machine_sends_the_event_to_the_dead_letter_queue_without_retries() -> None:
    dlq_url, dlq_arn = queue("dlq")
    missing = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:missing"
    rule_arn = rule([{"Id": "workflow", "Arn": missing, "RoleArn": ROLE, "DeadLetterConfig": {"Arn": dlq_arn}}])

    event_id = put_event()

    [message] = receive(dlq_url)
    assert json.loads(message["Body"])["id"] == event_id
    found = attributes(message)
    assert found["RULE_ARN"] == rule_arn
    assert found["TARGET_ARN"] == missing
    assert found["ERROR_CODE"] == "NO_RESOURCE"
    assert found["ERROR_MESSAGE"]
    assert found["RETRY_ATTEMPTS"] == "0"
    assert "EXHAUSTED_RETRY_CONDITION" not in found


def flaky_start_execution(monkeypatch: pytest.MonkeyPatch, failures: int) -> list[str]:
    """Makes Step Functions throttle the first `failures` StartExecution calls; returns the calls seen."""
    calls: list[str] = []
    real = StepFunctionsParserBackend.start_execution

    def start_execution(self: StepFunctionsParserBackend, arn: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(arn)
        if len(calls) <= failures:
            raise ExecutionLimitExceeded("too many executions")
        return real(self, arn, *args, **kwargs)

    monkeypatch.setattr(StepFunctionsParserBackend, "start_execution", start_execution)
    return calls


def test_a_throttled_delivery_is_retried_until_the_execution_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    sfn = client("stepfunctions")
    dlq_url, dlq_arn = queue("dlq")
    machine_arn = state_machine()
    calls = flaky_start_execution(monkeypatch, failures=2)
    rule([{"Id": "workflow", "Arn": machine_arn, "RoleArn": ROLE, "DeadLetterConfig": {"Arn": dlq_arn}}])

    put_event()

    wait_for(lambda: sfn.list_executions(stateMachineArn=machine_arn)["executions"], "an execution")
    assert len(calls) == 3
    assert client("sqs").receive_message(QueueUrl=dlq_url).get("Messages", []) == []


def test_retries_end_at_maximum_retry_attempts_then_the_dead_letter_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    dlq_url, dlq_arn = queue("dlq")
    machine_arn = state_machine()
    calls = flaky_start_execution(monkeypatch, failures=1000)
    rule(
        [
            {
                "Id": "workflow",
                "Arn": machine_arn,
                "RoleArn": ROLE,
                "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600},
                "DeadLetterConfig": {"Arn": dlq_arn},
            }
        ]
    )

    put_event()

    [message] = receive(dlq_url)
    found = attributes(message)
    assert found["ERROR_CODE"] == "THROTTLING"
    assert found["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert found["RETRY_ATTEMPTS"] == "2"
    assert len(calls) == 3


def test_retries_end_at_maximum_event_age(monkeypatch: pytest.MonkeyPatch) -> None:
    eventbridge_targets.configure(retry_base_seconds=40, retry_max_seconds=40)
    dlq_url, dlq_arn = queue("dlq")
    machine_arn = state_machine()
    flaky_start_execution(monkeypatch, failures=1000)
    rule(
        [
            {
                "Id": "workflow",
                "Arn": machine_arn,
                "RoleArn": ROLE,
                "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 60},
                "DeadLetterConfig": {"Arn": dlq_arn},
            }
        ]
    )

    put_event()

    [message] = receive(dlq_url)
    found = attributes(message)
    assert found["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"
    assert int(found["RETRY_ATTEMPTS"]) < 185


def test_put_events_does_not_wait_for_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    eventbridge_targets.configure(retry_base_seconds=3600, retry_max_seconds=3600)
    clock.use_clock(clock.Clock(virtual=False))
    machine_arn = state_machine()
    calls = flaky_start_execution(monkeypatch, failures=1000)
    rule([{"Id": "workflow", "Arn": machine_arn, "RoleArn": ROLE, "RetryPolicy": {"MaximumRetryAttempts": 1}}])

    started = time.monotonic()
    put_event()

    assert time.monotonic() - started < 5
    assert len(calls) == 1


def test_a_lambda_target_is_invoked_asynchronously_with_the_event(monkeypatch: pytest.MonkeyPatch) -> None:
    invocations: list[tuple[str, dict[str, Any], str]] = []

    def invoke(self: LambdaBackend, name: str, qualifier: Any, body: Any, headers: Any, response: Any) -> bytes:
        invocations.append((name, json.loads(body), headers["x-amz-invocation-type"]))
        return b""

    iam = client("iam")
    role_arn = iam.create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    function_arn = client("lambda").create_function(
        FunctionName="on-restore",
        Runtime="python3.12",
        Role=role_arn,
        Handler="index.handler",
        Code={"ZipFile": b"not used"},
    )["FunctionArn"]
    monkeypatch.setattr(LambdaBackend, "invoke", invoke)
    rule([{"Id": "function", "Arn": function_arn}])

    event_id = put_event()

    wait_for(lambda: invocations, "an invocation")
    [(name, event, invocation_type)] = invocations
    assert name == function_arn
    assert invocation_type == "Event"
    assert event["id"] == event_id
    assert event["account"] == ACCOUNT


def test_waiting_for_lambda_deliveries_returns_once_the_running_invocations_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()
    finished: list[str] = []

    def invoke(self: LambdaBackend, name: str, qualifier: Any, body: Any, headers: Any, response: Any) -> bytes:
        release.wait(timeout=10)
        finished.append(name)
        return b""

    iam = client("iam")
    role_arn = iam.create_role(RoleName="slow", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    function_arn = client("lambda").create_function(
        FunctionName="slow-consumer",
        Runtime="python3.12",
        Role=role_arn,
        Handler="index.handler",
        Code={"ZipFile": b"not used"},
    )["FunctionArn"]
    monkeypatch.setattr(LambdaBackend, "invoke", invoke)
    rule([{"Id": "function", "Arn": function_arn}])

    put_event()
    put_event()

    assert eventbridge_targets.wait_for_lambda_deliveries(timeout_seconds=0.2) is False
    assert finished == []
    release.set()
    assert eventbridge_targets.wait_for_lambda_deliveries(timeout_seconds=10) is True
    assert finished == [function_arn, function_arn]


def test_a_missing_function_sends_the_event_to_the_dead_letter_queue() -> None:
    dlq_url, dlq_arn = queue("dlq")
    missing = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:missing"
    rule([{"Id": "function", "Arn": missing, "DeadLetterConfig": {"Arn": dlq_arn}}])

    put_event()

    [message] = receive(dlq_url)
    assert attributes(message)["ERROR_CODE"] == "NO_RESOURCE"
    assert attributes(message)["TARGET_ARN"] == missing


def test_a_restore_through_the_threaded_server_starts_the_state_machine() -> None:
    from moto.core.config import default_user_config
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    from restore_sync_sandbox.extensions import cloudtrail_events, dynamodb_restore

    cloudtrail_events.install()
    dynamodb_restore.install()
    assert default_user_config["stepfunctions"]["execute_state_machine"] is True
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"

        def remote(service: str) -> Any:
            return boto3.client(
                service,
                region_name=REGION,
                endpoint_url=endpoint,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )

        ddb, sfn, events = remote("dynamodb"), remote("stepfunctions"), remote("events")
        ddb.create_table(
            TableName="e2e-orders",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.update_continuous_backups(
            TableName="e2e-orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
        machine_arn = sfn.create_state_machine(name="e2e-restore-sync", definition=PASS_ONLY, roleArn=ROLE)[
            "stateMachineArn"
        ]
        pattern = {
            "source": ["aws.dynamodb"],
            "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {
                "eventSource": ["dynamodb.amazonaws.com"],
                "eventName": ["RestoreTableToPointInTime", "RestoreTableFromBackup"],
                "errorCode": [{"exists": False}],
            },
        }
        events.put_rule(Name="e2e-restores", EventPattern=json.dumps(pattern))
        events.put_targets(Rule="e2e-restores", Targets=[{"Id": "wf", "Arn": machine_arn, "RoleArn": ROLE}])

        ddb.restore_table_to_point_in_time(SourceTableName="e2e-orders", TargetTableName="e2e-orders-restored")

        def succeeded() -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = sfn.list_executions(stateMachineArn=machine_arn, statusFilter="SUCCEEDED")[
                "executions"
            ]
            return found

        [execution] = wait_for(succeeded, "the execution started by the restore")
        event = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
        assert event["detail"]["eventName"] == "RestoreTableToPointInTime"
        assert event["detail"]["requestParameters"]["targetTableName"] == "e2e-orders-restored"
        assert event["account"] == ACCOUNT
    finally:
        server.stop()


def test_a_schedule_rule_receives_no_event() -> None:
    url, arn = queue("scheduled")
    events = client("events")
    events.put_rule(Name="daily", ScheduleExpression="rate(1 day)")
    events.put_targets(Rule="daily", Targets=[{"Id": "queue", "Arn": arn}])
    _, matched = queue("matched")
    rule([{"Id": "queue", "Arn": matched}])

    put_event()

    attributes = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"
    assert len(receive(client("sqs").get_queue_url(QueueName="matched")["QueueUrl"])) == 1
