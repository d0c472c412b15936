"""Injected faults through boto3 against the sandbox: AWS's error codes, retries, timeouts and Lambda crashes."""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError
from moto.awslambda.models import LambdaFunction
from moto.core.responses import BaseResponse

from restore_sync_sandbox import extensions, fault_spec
from restore_sync_sandbox.cli import serve
from restore_sync_sandbox.extensions import cloudtrail_events, fault_injection
from restore_sync_sandbox.fault_spec import Rule
from restore_sync_sandbox.server import Sandbox
from tests.sandbox.extensions.counting_function import counting_function, new_table, runs

# moto warns that AWS's throttling codes are not in its service models; they are not meant to be.
pytestmark = pytest.mark.filterwarnings(r"ignore:Exception\(_InjectedError\):UserWarning")

NO_RETRIES = Config(retries={"total_max_attempts": 1})


@pytest.fixture(autouse=True)
def no_rules() -> Iterator[None]:
    fault_injection.install()
    fault_injection.reset()
    try:
        yield
    finally:
        fault_injection.reset()


def client(sandbox: Sandbox, service: str, config: Config = NO_RETRIES) -> Any:
    return boto3.client(
        service,
        region_name=sandbox.region,
        endpoint_url=sandbox.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=config,
    )


def error_of(call: Callable[[], Any]) -> tuple[str, int] | None:
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]
    return None


# ---- the extension as installed (no sandbox needed) ------------------------------------------------------------------


def test_moto_still_has_the_patched_methods() -> None:
    assert fault_injection._original_dispatch is not None
    assert BaseResponse._dispatch is fault_injection._dispatch_with_faults
    assert LambdaFunction.invoke is fault_injection._invoke_with_faults
    assert callable(fault_injection._original_invoke)
    assert callable(getattr(BaseResponse, "serialized", None))


def test_installing_again_changes_nothing_and_the_cloudtrail_hook_stays_inside() -> None:
    extensions.install()
    fault_injection.install()
    assert BaseResponse._dispatch is fault_injection._dispatch_with_faults
    assert fault_injection._original_dispatch is cloudtrail_events._dispatch_and_record


# ---- the command line (before the shared fixture: `restore-sync sandbox` starts its own local AWS) -------------------


def test_the_sandbox_command_applies_the_faults_after_deploying_and_shows_them() -> None:
    stop, ready = threading.Event(), threading.Event()
    shown: list[str] = []
    seen: dict[str, Any] = {}
    spec = "cloudformation:*:throttle:times=2, lambda:Invoke:crash:p=0.1:seed=7"

    def check(sandbox: Sandbox) -> None:
        seen["rules"] = fault_injection.rules()
        cloudformation = client(sandbox, "cloudformation")
        seen["errors"] = [error_of(lambda: cloudformation.list_stacks()) for _ in range(3)]
        ready.set()

    server = threading.Thread(
        target=lambda: seen.setdefault(
            "code", serve(port=0, restore_seconds=5, show=shown.append, stop=stop, ready=check, faults=spec)
        )
    )
    server.start()
    try:
        for _ in range(600):
            if ready.wait(0.1) or not server.is_alive():
                break
        assert ready.is_set(), "the sandbox did not start"
    finally:
        stop.set()
        server.join(60)

    assert seen["code"] == 0
    assert seen["rules"] == fault_spec.parse(spec)
    assert seen["errors"] == [("Throttling", 400), ("Throttling", 400), None]
    assert "injected faults (--faults): cloudformation:*:throttle:times=2, lambda:Invoke:crash:p=0.1:seed=7" in shown
    assert fault_injection.rules() == []


# ---- through the shared sandbox --------------------------------------------------------------------------------------


def test_a_throttled_call_fails_n_times_then_succeeds(sandbox: Sandbox) -> None:
    table = new_table(sandbox)
    dynamodb = client(sandbox, "dynamodb")
    fault_injection.configure(fault_spec.parse("dynamodb:DescribeTable:throttle:times=2"))

    seen = [error_of(lambda: dynamodb.describe_table(TableName=table)) for _ in range(3)]

    assert seen == [("ThrottlingException", 400), ("ThrottlingException", 400), None]
    [counts] = fault_injection.injected()
    assert (counts.matched, counts.injected) == (3, 2)
    assert error_of(lambda: dynamodb.list_tables()) is None


def test_standard_retries_ride_out_the_throttling(sandbox: Sandbox) -> None:
    table = new_table(sandbox)
    dynamodb = client(sandbox, "dynamodb", Config(retries={"mode": "standard", "max_attempts": 4}))
    fault_injection.add(Rule("dynamodb", "DescribeTable", "throttle", times=2))

    described = dynamodb.describe_table(TableName=table)

    assert described["Table"]["TableName"] == table
    assert described["ResponseMetadata"]["RetryAttempts"] == 2
    assert [(c.matched, c.injected) for c in fault_injection.injected()] == [(3, 2)]


def test_item_operations_are_throttled_as_provisioned_throughput_and_do_nothing(sandbox: Sandbox) -> None:
    table = new_table(sandbox)
    dynamodb = client(sandbox, "dynamodb")
    fault_injection.configure([Rule("dynamodb", "*", "throttle", times=1)])

    put = error_of(lambda: dynamodb.put_item(TableName=table, Item={"pk": {"S": "a"}}))

    assert put == ("ProvisionedThroughputExceededException", 400)
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"pk": {"S": "a"}})


SERVICE_CALLS: dict[str, Callable[[Any], Any]] = {
    "dynamodb": lambda c: c.list_tables(),
    "cloudformation": lambda c: c.list_stacks(),
    "lambda": lambda c: c.list_functions(),
    "stepfunctions": lambda c: c.list_state_machines(),
    "sqs": lambda c: c.list_queues(),
    "application-autoscaling": lambda c: c.describe_scalable_targets(ServiceNamespace="dynamodb"),
    "cloudwatch": lambda c: c.describe_alarms(),
    "events": lambda c: c.list_rules(),
}


@pytest.mark.parametrize(
    ("service", "throttled", "internal"),
    [
        ("dynamodb", ("ThrottlingException", 400), ("InternalServerError", 500)),
        ("cloudformation", ("Throttling", 400), ("InternalFailure", 500)),
        ("lambda", ("TooManyRequestsException", 429), ("ServiceException", 500)),
        ("stepfunctions", ("ThrottlingException", 400), ("InternalFailure", 500)),
        ("sqs", ("RequestThrottled", 400), ("InternalFailure", 500)),
        ("application-autoscaling", ("ThrottlingException", 400), ("InternalServiceException", 500)),
        ("cloudwatch", ("Throttling", 400), ("InternalServiceError", 500)),
        ("events", ("ThrottlingException", 400), ("InternalException", 500)),
    ],
)
def test_each_service_answers_its_own_throttling_and_internal_errors(
    sandbox: Sandbox, service: str, throttled: tuple[str, int], internal: tuple[str, int]
) -> None:
    call = SERVICE_CALLS[service]
    aws = client(sandbox, service)
    fault_injection.configure([Rule(service, "*", "throttle", times=1), Rule(service, "*", "internal", times=1)])

    assert [error_of(lambda: call(aws)) for _ in range(3)] == [throttled, internal, None]


def test_code_and_status_can_be_chosen(sandbox: Sandbox) -> None:
    dynamodb = client(sandbox, "dynamodb")
    fault_injection.configure(fault_spec.parse("dynamodb:ListTables:internal:code=ServiceUnavailable:status=503"))

    assert error_of(lambda: dynamodb.list_tables()) == ("ServiceUnavailable", 503)


def test_a_failed_call_does_nothing_and_emits_no_cloudtrail_event(sandbox: Sandbox) -> None:
    name = f"faults-{uuid.uuid4().hex[:8]}"
    sqs, events = sandbox.client("sqs"), sandbox.client("events")
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["aws.dynamodb"], "detail": {"eventName": ["CreateTable"]}}
    events.put_rule(Name=name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": queue_arn}])
    cloudtrail_events.track("dynamodb", ["CreateTable"])
    dynamodb = client(sandbox, "dynamodb")
    fault_injection.configure([Rule("dynamodb", "CreateTable", "internal", times=1)])
    create = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    }
    try:
        assert error_of(lambda: dynamodb.create_table(**create)) == ("InternalServerError", 500)
        assert name not in dynamodb.list_tables()["TableNames"]
        dynamodb.create_table(**create)
    finally:
        cloudtrail_events.untrack("dynamodb", ["CreateTable"])

    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    assert "errorCode" not in json.loads(messages[0]["Body"])["detail"]


def test_a_probability_with_a_seed_fails_the_same_calls_every_time(sandbox: Sandbox) -> None:
    dynamodb = client(sandbox, "dynamodb")

    def pattern() -> list[bool]:
        fault_injection.configure(fault_spec.parse("dynamodb:ListTables:throttle:p=0.5:seed=7"))
        return [error_of(lambda: dynamodb.list_tables()) is not None for _ in range(16)]

    first, second = pattern(), pattern()

    assert first == second
    draws = random.Random(7)
    assert first == [draws.random() < 0.5 for _ in range(16)]
    assert any(first)
    assert not all(first)
    assert fault_injection.injected()[0].injected == sum(first)


def test_times_caps_a_probability(sandbox: Sandbox) -> None:
    dynamodb = client(sandbox, "dynamodb")
    fault_injection.configure(fault_spec.parse("dynamodb:ListTables:throttle:p=1:times=2"))

    assert [error_of(lambda: dynamodb.list_tables()) is not None for _ in range(4)] == [True, True, False, False]


def test_after_lets_the_first_calls_through(sandbox: Sandbox) -> None:
    dynamodb = client(sandbox, "dynamodb")
    fault_injection.configure(fault_spec.parse("dynamodb:ListTables:internal:after=2:times=1"))

    seen = [error_of(lambda: dynamodb.list_tables()) for _ in range(4)]

    assert seen == [None, None, ("InternalServerError", 500), None]
    assert [(c.matched, c.injected) for c in fault_injection.injected()] == [(4, 1)]


def test_the_first_rule_that_fires_wins_and_the_others_still_count(sandbox: Sandbox) -> None:
    dynamodb = client(sandbox, "dynamodb")
    fault_injection.configure(fault_spec.parse("dynamodb:*:throttle:times=1, dynamodb:ListTables:internal:times=1"))

    seen = [error_of(lambda: dynamodb.list_tables()) for _ in range(3)]

    assert seen == [("ThrottlingException", 400), ("InternalServerError", 500), None]
    assert [(c.matched, c.injected) for c in fault_injection.injected()] == [(3, 1), (3, 1)]


def test_a_timeout_outlasts_the_client_read_timeout_and_does_nothing(sandbox: Sandbox) -> None:
    name = f"faults-{uuid.uuid4().hex[:8]}"
    impatient = client(sandbox, "dynamodb", Config(read_timeout=1, retries={"total_max_attempts": 1}))
    fault_injection.configure(fault_spec.parse("dynamodb:CreateTable:timeout:seconds=30"))

    with pytest.raises(ReadTimeoutError):
        impatient.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
    fault_injection.reset()  # answers the held request now

    assert name not in sandbox.client("dynamodb").list_tables()["TableNames"]


def test_an_applied_timeout_performs_the_call_and_loses_its_answer(sandbox: Sandbox) -> None:
    name = f"faults-{uuid.uuid4().hex[:8]}"
    impatient = client(sandbox, "dynamodb", Config(read_timeout=1, retries={"total_max_attempts": 1}))
    fault_injection.configure(fault_spec.parse("dynamodb:CreateTable:timeout:seconds=30:applied=true"))

    with pytest.raises(ReadTimeoutError):
        impatient.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
    fault_injection.reset()

    assert name in sandbox.client("dynamodb").list_tables()["TableNames"]


def test_a_patient_client_gets_a_gateway_timeout(sandbox: Sandbox) -> None:
    dynamodb = client(sandbox, "dynamodb")
    fault_injection.configure(fault_spec.parse("dynamodb:ListTables:timeout:seconds=0.1"))

    assert error_of(lambda: dynamodb.list_tables()) == ("RequestTimeout", 504)


def test_a_crash_answers_invoke_as_lambda_does_without_running_the_handler(sandbox: Sandbox) -> None:
    table = new_table(sandbox)
    function = counting_function(sandbox)
    fault_injection.configure(fault_spec.parse(f"lambda:Invoke:crash:function={function['FunctionName']}"))

    response = sandbox.client("lambda").invoke(
        FunctionName=function["FunctionName"], Payload=json.dumps({"table": table})
    )

    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    payload = json.loads(response["Payload"].read())
    assert payload["errorType"] == "Runtime.ExitError"
    assert "Runtime exited with error: exit status 1" in payload["errorMessage"]
    assert runs(sandbox, table) == 0


def test_a_timeout_at_the_end_lets_the_handler_run_and_loses_its_answer(sandbox: Sandbox) -> None:
    table = new_table(sandbox)
    function = counting_function(sandbox)
    fault_injection.configure(fault_spec.parse("lambda:Invoke:handler-timeout:at=end"))
    invoke = sandbox.client("lambda").invoke

    first = invoke(FunctionName=function["FunctionName"], Payload=json.dumps({"table": table}))
    second = invoke(FunctionName=function["FunctionName"], Payload=json.dumps({"table": table}))

    payload = json.loads(first["Payload"].read())
    assert payload["errorType"] == "Sandbox.Timedout"
    assert payload["errorMessage"].endswith("Error: Task timed out after 3.00 seconds")
    assert "FunctionError" not in second
    assert json.loads(second["Payload"].read()) == {"counted": True}
    assert runs(sandbox, table) == 2


def test_a_rule_for_one_function_leaves_the_others_alone(sandbox: Sandbox) -> None:
    table = new_table(sandbox)
    spared, crashed = counting_function(sandbox), counting_function(sandbox)
    fault_injection.configure(fault_spec.parse(f"lambda:*:throttle:function={crashed['FunctionName']}"))
    lambda_client = client(sandbox, "lambda")

    assert "FunctionError" not in lambda_client.invoke(
        FunctionName=spared["FunctionArn"], Payload=json.dumps({"table": table})
    )
    throttled = error_of(
        lambda: lambda_client.invoke(FunctionName=crashed["FunctionArn"], Payload=json.dumps({"table": table}))
    )

    assert throttled == ("TooManyRequestsException", 429)
    assert runs(sandbox, table) == 1


def test_reset_forgets_every_rule_and_count(sandbox: Sandbox) -> None:
    dynamodb = client(sandbox, "dynamodb")
    fault_injection.configure(fault_spec.parse("dynamodb:ListTables:throttle:p=1"))
    assert error_of(lambda: dynamodb.list_tables()) is not None

    extensions.reset()

    assert fault_injection.rules() == []
    assert fault_injection.injected() == []
    assert error_of(lambda: dynamodb.list_tables()) is None
