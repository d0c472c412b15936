"""Fixtures for tests that go through the sandbox: a running local AWS on a virtual clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from restore_sync_sandbox.extensions import eventbridge_targets, lambda_sqs_batching
from restore_sync_sandbox.server import Sandbox
from tests.sandbox import app


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """A running Sandbox (threaded moto server, every extension, virtual clock) shared by one test module.

    moto's state is process-wide, so the fixture starts from an empty AWS: anything a previous module left is
    forgotten. The process environment points boto3 at it (AWS_ENDPOINT_URL) until the module ends.
    """
    with Sandbox(virtual=True) as running:
        running.reset()
        yield running
        # A rule's Lambda target still running would swap its package's modules in while the worker's next module
        # (a template or unit test) imports the same package.
        eventbridge_targets.wait_for_lambda_deliveries(timeout_seconds=30)
        # Batches still gathering are dropped rather than delivered: nobody is left to look at what they record.
        lambda_sqs_batching.reset(timeout_seconds=30)


@pytest.fixture
def wait_for_execution(sandbox: Sandbox) -> Callable[..., dict[str, Any]]:
    """Returns wait(execution_arn, region=None) -> DescribeExecution once the execution is no longer RUNNING."""

    def wait(execution_arn: str, region: str | None = None) -> dict[str, Any]:
        return app.wait(sandbox, execution_arn, region)

    return wait
