"""SQS event source mappings: batches gathered per BatchSize and MaximumBatchingWindowInSeconds on the sandbox clock,
and only the records a function did not report failed deleted."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.awslambda.models import LambdaBackend

from restore_sync_sandbox import clock
from restore_sync_sandbox.extensions import lambda_sqs_batching

REGION = "us-east-1"


class Function:
    """Stands in for the function the mapping invokes: keeps each batch and answers as told."""

    def __init__(self) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.fail: set[str] = set()
        self.raises = False
        self.answer: Callable[[list[str]], Any] = lambda failed: {
            "batchItemFailures": [{"itemIdentifier": m} for m in failed]
        }

    def invoke(self, name: str, qualifier: Any, body: Any, headers: Any, response: Any) -> Any:
        records = json.loads(body)["Records"]
        self.batches.append(records)
        if self.raises:
            response["x-amz-function-error"] = "Unhandled"
            return json.dumps({"errorType": "RuntimeError", "errorMessage": "boom"}).encode()
        failed = [r["messageId"] for r in records if r["body"] in self.fail]
        return json.dumps(self.answer(failed)).encode()

    def bodies(self) -> list[list[str]]:
        return [[r["body"] for r in batch] for batch in self.batches]


@pytest.fixture(autouse=True)
def aws() -> Iterator[None]:
    lambda_sqs_batching.install()
    previous = clock.use_clock(clock.Clock(virtual=True))
    try:
        with mock_aws():
            yield
    finally:
        lambda_sqs_batching.reset()
        clock.use_clock(previous)


@pytest.fixture
def function(monkeypatch: pytest.MonkeyPatch) -> Function:
    fake = Function()
    monkeypatch.setattr(LambdaBackend, "invoke", lambda backend, *arguments: fake.invoke(*arguments))
    return fake


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def mapped_queue(**mapping: Any) -> tuple[str, str]:
    """A queue (visibility timeout 300 s) mapped to a new function; returns the queue's URL and the mapping's UUID."""
    sqs = client("sqs")
    url: str = sqs.create_queue(QueueName="changes", Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    role = client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam = client("lambda")
    lam.create_function(
        FunctionName="recorder", Runtime="python3.12", Role=role, Handler="index.handler", Code={"ZipFile": b"x"}
    )
    uuid: str = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="recorder", **mapping)["UUID"]
    return url, uuid


def send(url: str, *bodies: str) -> None:
    for body in bodies:
        client("sqs").send_message(QueueUrl=url, MessageBody=body)


def counts(url: str) -> tuple[int, int]:
    """(visible, in flight) messages of the queue."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return int(attributes[names[0]]), int(attributes[names[1]])


def wait_for(check: Callable[[], Any], what: str, attempts: int = 100) -> Any:
    for _ in range(attempts):
        result = check()
        if result:
            return result
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def test_records_wait_for_the_batching_window_on_the_sandbox_clock_and_go_in_one_batch(function: Function) -> None:
    url, _ = mapped_queue(BatchSize=100, MaximumBatchingWindowInSeconds=60)

    send(url, "a", "b", "c")
    # moto alone invokes the function inside each SendMessage, one record at a time.
    assert function.batches == []

    clock.current().advance(61)
    wait_for(lambda: function.batches, "the batch after its window")
    assert function.bodies() == [["a", "b", "c"]]
    (record, *_) = function.batches[0]
    assert (record["eventSource"], record["attributes"]["ApproximateReceiveCount"]) == ("aws:sqs", "1")
    assert record["eventSourceARN"].endswith(":changes")
    wait_for(lambda: counts(url) == (0, 0), "the batch's records deleted")


def test_a_full_batch_goes_at_once_and_a_flush_sends_what_is_still_gathering(function: Function) -> None:
    url, _ = mapped_queue(BatchSize=2, MaximumBatchingWindowInSeconds=300)

    send(url, "a", "b", "c")
    wait_for(lambda: function.batches, "the full batch")
    assert function.bodies() == [["a", "b"]]

    assert lambda_sqs_batching.flush() is True
    assert function.bodies() == [["a", "b"], ["c"]]
    assert counts(url) == (0, 0)


def test_only_the_records_reported_failed_stay_and_come_back_after_the_visibility_timeout(function: Function) -> None:
    url, _ = mapped_queue(
        BatchSize=10, MaximumBatchingWindowInSeconds=60, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    function.fail = {"b"}

    send(url, "a", "b", "c")
    assert lambda_sqs_batching.flush() is True
    assert counts(url) == (0, 1), "b stays, hidden for the visibility timeout; a and c are deleted"

    # The visibility timeout passing, as ChangeMessageVisibility 0 makes it pass at once.
    sqs = client("sqs")
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=function.batches[0][1]["receiptHandle"], VisibilityTimeout=0
    )
    function.fail = set()
    assert lambda_sqs_batching.flush() is True
    assert function.bodies() == [["a", "b", "c"], ["b"]]
    assert function.batches[1][0]["attributes"]["ApproximateReceiveCount"] == "2"
    assert counts(url) == (0, 0)


@pytest.mark.parametrize(
    ("response_types", "raises", "answer", "left"),
    [
        # A failed invocation deletes nothing.
        (["ReportBatchItemFailures"], True, None, 2),
        # A failure naming a record not in the batch fails the whole batch.
        (["ReportBatchItemFailures"], False, {"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]}, 2),
        # Without ReportBatchItemFailures, a response listing failures is an ordinary result: all are deleted.
        ([], False, {"batchItemFailures": [{"itemIdentifier": "x"}]}, 0),
        # An empty list of failures is a complete success.
        (["ReportBatchItemFailures"], False, {"batchItemFailures": []}, 0),
    ],
)
def test_what_a_batch_leaves_in_the_queue_follows_the_invocations_outcome(
    function: Function, response_types: list[str], raises: bool, answer: Any, left: int
) -> None:
    url, _ = mapped_queue(BatchSize=10, MaximumBatchingWindowInSeconds=60, FunctionResponseTypes=response_types)
    function.raises = raises
    if answer is not None:
        function.answer = lambda failed: answer

    send(url, "a", "b")
    assert lambda_sqs_batching.flush() is True
    assert len(function.batches) == 1
    assert counts(url) == (0, left)


def test_a_disabled_or_deleted_mapping_delivers_nothing(function: Function) -> None:
    url, uuid = mapped_queue(BatchSize=10, MaximumBatchingWindowInSeconds=1)
    lam = client("lambda")
    lam.update_event_source_mapping(UUID=uuid, Enabled=False)

    send(url, "a")
    assert lambda_sqs_batching.flush() is True
    assert function.batches == []

    lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    assert lambda_sqs_batching.flush() is True
    assert function.bodies() == [["a"]]

    lam.delete_event_source_mapping(UUID=uuid)
    send(url, "b")
    clock.current().advance(5)
    assert lambda_sqs_batching.flush() is True
    assert len(function.batches) == 1
    assert counts(url) == (1, 0)


def test_a_queue_whose_visibility_timeout_is_shorter_than_the_functions_timeout_is_refused() -> None:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="short", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    role = client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam = client("lambda")
    lam.create_function(
        FunctionName="slow", Runtime="python3.12", Role=role, Handler="i.h", Code={"ZipFile": b"x"}, Timeout=60
    )

    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="less than Function timeout: 60"):
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="slow")
    assert lam.list_event_source_mappings()["EventSourceMappings"] == []
