"""Lambda's SQS event source mappings: records gathered into batches on the sandbox clock, partial batch responses.

AWS behaviour reproduced (botocore's Lambda model, CreateEventSourceMapping's `BatchSize`,
`MaximumBatchingWindowInSeconds` and `FunctionResponseTypes`; Lambda Developer Guide, "Using Lambda with Amazon
SQS", "Lambda parameters for Amazon SQS event source mappings" and "Handling errors for an SQS event source"):
- Lambda polls the queue and invokes the function synchronously with a batch of records (`Records`, each with
  `messageId`, `receiptHandle`, `body`, `attributes`, `messageAttributes`, `md5OfBody`, `eventSource` `aws:sqs`,
  `eventSourceARN`, `awsRegion`). It invokes when `BatchSize` records are waiting (default 10) or when
  `MaximumBatchingWindowInSeconds` has passed since it started gathering (default 0: at once), whichever is first.
- Records are received with the queue's visibility timeout. After a successful invocation Lambda deletes the
  batch's records; with `ReportBatchItemFailures` in `FunctionResponseTypes`, all but those the response lists in
  `batchItemFailures` (`itemIdentifier`: the messageId); a response naming a record that is not in the batch, or
  an invocation that fails, deletes none. What is not deleted becomes visible again after the visibility timeout,
  and the queue's redrive policy moves a record to its dead-letter queue after `maxReceiveCount` receives (moto's
  ReceiveMessage does that).
- A disabled or deleted mapping does not poll.
- CreateEventSourceMapping refuses a queue whose visibility timeout is shorter than the function's timeout
  (InvalidParameterValueException; "Creating and configuring an Amazon SQS event source mapping": Lambda
  validates it when the mapping is created; the wording of the message is the sandbox's).

moto internals patched: `LambdaBackend.create_event_source_mapping` (moto enters an SQS mapping in
`Queue.lambda_event_source_mappings`, from which `Queue.add_message` invokes the function at once, one message
per invocation, inside the sender's call, and ignores the window; the mapping is taken out of it here) and
`Queue.add_message` (a new record starts the mapping's window).

The window runs on the sandbox clock (`restore_sync_sandbox.clock`): real time, or the virtual clock's time,
which Wait states move forward. `flush()` delivers every waiting batch at once, as the windows passing would: a
test that needs what a batch did calls it (through `examples.settled()`) instead of sleeping.

Limits: one poller thread delivers the batches one at a time; visibility timeouts are moto's (real time), so a
failed record comes back within a test only when the test makes it visible (ChangeMessageVisibility 0) and
flushes; the 6 MB payload limit is not applied.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import EventSourceMapping, LambdaBackend, lambda_backends
from moto.sqs.models import Queue, sqs_backends
from moto.utilities.arns import parse_arn

from restore_sync_sandbox import clock

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 10
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"
# Real seconds between the poller's looks at the sandbox clock: the virtual clock moves without telling anyone.
POLL_SECONDS = 0.05

_lock = threading.Lock()
_installed = False
_originals: dict[str, Any] = {}

# Mapping UUID -> the sandbox time its batch goes at the latest; a mapping is here while it is gathering.
_gathering: dict[str, float] = {}
_changed = threading.Condition()
_delivering = 0
_flushing = 0
_poller: threading.Thread | None = None


def _is_queue(arn: Any) -> bool:
    return isinstance(arn, str) and arn.startswith("arn:") and parse_arn(arn).service == "sqs"


def _queue(esm: EventSourceMapping) -> Queue | None:
    parsed = parse_arn(esm.event_source_arn)
    queues = sqs_backends[parsed.account][parsed.region].queues
    return next((queue for queue in queues.values() if queue.queue_arn == esm.event_source_arn), None)


def _mappings() -> list[EventSourceMapping]:
    """Every enabled mapping of a queue, in every account and region that has a Lambda backend."""
    found: list[EventSourceMapping] = []
    for regions in list(lambda_backends.values()):
        for backend in list(regions.values()):
            found.extend(
                esm
                for esm in list(backend._event_source_mappings.values())
                if esm.enabled and _is_queue(esm.event_source_arn)
            )
    return found


def _mapping(uuid: str) -> EventSourceMapping | None:
    return next((esm for esm in _mappings() if esm.uuid == uuid), None)


def _batch_size(esm: EventSourceMapping) -> int:
    return int(esm.batch_size or DEFAULT_BATCH_SIZE)


def _gather(esm: EventSourceMapping) -> None:
    """Starts the mapping's window, unless it is already gathering."""
    global _poller
    with _changed:
        if esm.uuid not in _gathering:
            _gathering[esm.uuid] = clock.current().time() + float(esm.max_batch_window or 0)
        _changed.notify_all()
        if _poller is None:
            _poller = threading.Thread(target=_poll, name="lambda-sqs-poller", daemon=True)
            _poller.start()


def _due(now: float) -> list[str]:
    due = []
    for uuid, deadline in _gathering.items():
        esm = _mapping(uuid)
        queue = _queue(esm) if esm is not None else None
        if esm is None or queue is None or _flushing or deadline <= now or len(queue.messages) >= _batch_size(esm):
            due.append(uuid)
    return due


def _poll() -> None:
    global _poller, _delivering
    while True:
        with _changed:
            if not _gathering:
                _poller = None
                return
            due = _due(clock.current().time())
            if not due:
                _changed.wait(timeout=POLL_SECONDS)
                continue
            for uuid in due:
                del _gathering[uuid]
            _delivering += 1
        try:
            for uuid in due:
                esm = _mapping(uuid)
                if esm is not None:
                    _deliver(esm)
        except Exception:
            logger.exception("a batch of an SQS event source mapping could not be delivered")
        finally:
            with _changed:
                _delivering -= 1
                _changed.notify_all()


def _record(esm: EventSourceMapping, queue: Queue, message: Any) -> dict[str, Any]:
    attributes = {
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": str(message.sender_id),
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    return {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": message.message_attributes or {},
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue.queue_arn,
        "awsRegion": queue.region,
    }


def _kept(esm: EventSourceMapping, records: list[dict[str, Any]], payload: Any) -> set[str]:
    """The messageIds to leave in the queue after a successful invocation."""
    if REPORT_BATCH_ITEM_FAILURES not in (esm.function_response_types or []):
        return set()
    try:
        answer = json.loads(payload) if payload else None
    except ValueError:
        answer = None
    failures = answer.get("batchItemFailures") if isinstance(answer, dict) else None
    if not failures:
        return set()
    ids = {record["messageId"] for record in records}
    named = [f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures]
    if not isinstance(failures, list) or any(identifier not in ids for identifier in named):
        # Lambda treats a response it cannot apply as the failure of the whole batch.
        return ids
    return set(named)  # type: ignore[arg-type]


def _deliver(esm: EventSourceMapping) -> None:
    """One batch: received, the function invoked with it, the records it did not report failed deleted."""
    queue = _queue(esm)
    if queue is None:
        return
    sqs = sqs_backends[queue.account_id][queue.region]
    messages = sqs.receive_message(queue.name, _batch_size(esm), 0, int(getattr(queue, "visibility_timeout", 30)))
    if not messages:
        return
    records = [_record(esm, queue, message) for message in messages]
    parsed = parse_arn(esm.function_arn)
    response_headers: dict[str, Any] = {}
    payload = lambda_backends[parsed.account][parsed.region].invoke(
        esm.function_arn, None, json.dumps({"Records": records}), {}, response_headers
    )
    if "x-amz-function-error" in response_headers:
        logger.warning("%s failed a batch of %d records: all stay in %s", esm.function_arn, len(records), queue.name)
    else:
        kept = _kept(esm, records, payload.decode() if isinstance(payload, bytes) else payload)
        for record in records:
            if record["messageId"] not in kept:
                sqs.delete_message(queue.name, record["receiptHandle"])
    # Lambda keeps polling: what is still waiting starts the next window.
    if queue.messages:
        _gather(esm)


def flush(timeout_seconds: float = 120.0) -> bool:
    """Delivers every batch a mapping is gathering, and every visible record of a mapped queue, now, as the
    windows passing would; returns once no batch is waiting or being delivered (False when `timeout_seconds` of
    real time pass first)."""
    global _flushing
    for esm in _mappings():
        queue = _queue(esm)
        if queue is not None and queue.messages:
            _gather(esm)
    with _changed:
        _flushing += 1
        _changed.notify_all()
        try:
            return _changed.wait_for(lambda: not _gathering and not _delivering, timeout=timeout_seconds)
        finally:
            _flushing -= 1


def reset(timeout_seconds: float = 30.0) -> bool:
    """Forgets the batches being gathered (their records stay in their queues) and waits (real time) for one being
    delivered: a sandbox starting over, or a test module ending, leaves no invocation running behind it."""
    with _changed:
        _gathering.clear()
        _changed.notify_all()
        return _changed.wait_for(lambda: not _delivering, timeout=timeout_seconds)


def _check_timeouts(backend: LambdaBackend, spec: dict[str, Any]) -> None:
    parsed = parse_arn(spec["EventSourceArn"])
    queues = sqs_backends[parsed.account][parsed.region].queues.values()
    queue = next((q for q in queues if q.queue_arn == spec["EventSourceArn"]), None)
    if queue is None or not spec.get("FunctionName"):
        return  # moto's own answer: the source or the function does not exist
    function = backend.get_function(spec["FunctionName"])
    visibility, timeout = int(getattr(queue, "visibility_timeout", 30)), int(function.timeout)
    if timeout > visibility:
        raise InvalidParameterValueException(
            f"Queue visibility timeout: {visibility} seconds is less than Function timeout: {timeout} seconds"
        )


def _create_event_source_mapping(self: LambdaBackend, spec: dict[str, Any]) -> EventSourceMapping:
    if _is_queue(spec.get("EventSourceArn")):
        _check_timeouts(self, spec)
    esm: EventSourceMapping = _originals["create"](self, spec)
    if _is_queue(esm.event_source_arn):
        queue = _queue(esm)
        if queue is not None and queue.lambda_event_source_mappings.get(esm.function_arn) is esm:
            del queue.lambda_event_source_mappings[esm.function_arn]
        if queue is not None and queue.messages:
            _gather(esm)
    return esm


def _add_message(self: Queue, message: Any) -> None:
    _originals["add_message"](self, message)
    for esm in _mappings():
        if esm.event_source_arn == self.queue_arn:
            _gather(esm)


def install() -> None:
    """Applies the patches once; later calls do nothing."""
    global _installed
    with _lock:
        if _installed:
            return
        for owner, name in ((LambdaBackend, "create_event_source_mapping"), (Queue, "add_message")):
            if not callable(getattr(owner, name, None)):
                raise RuntimeError(f"moto changed: {owner.__name__}.{name} is gone")
        _originals["create"] = LambdaBackend.create_event_source_mapping
        _originals["add_message"] = Queue.add_message
        LambdaBackend.create_event_source_mapping = _create_event_source_mapping  # type: ignore[method-assign]
        Queue.add_message = _add_message  # type: ignore[method-assign]
        _installed = True
