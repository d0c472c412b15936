"""Each setting declares (`reads`) exactly the IAM actions its `read` calls, so the template can grant them.

Every setting's `read` runs in-process against moto, on the examples' source with every setting, and each API call
it makes is recorded through botocore's `before-call` event under the IAM action that allows it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.model import OperationModel
from moto import mock_aws

from restore_sync.aws import Aws, TableRef
from restore_sync.settings import NAMES, REGISTRY, Setting
from restore_sync_sandbox import examples
from restore_sync_sandbox.extensions import (
    dynamodb_contributor_insights,
    dynamodb_kinesis_destinations,
    dynamodb_stream_policies,
    dynamodb_stream_tags,
    dynamodb_table_class,
)

REGION = "us-east-1"
SOURCE = "orders"
# The DynamoDB APIs the full source needs that moto lacks; nothing else of the sandbox is needed to read settings.
EXTENSIONS = (
    dynamodb_contributor_insights,
    dynamodb_kinesis_destinations,
    dynamodb_stream_policies,
    dynamodb_stream_tags,
    dynamodb_table_class,
)
# An IAM action is `<signing name>:<operation>`, except for CloudWatch: its API signs as `monitoring`.
IAM_PREFIXES = {"monitoring": "cloudwatch"}


def iam_action(operation: OperationModel) -> str:
    signing_name = operation.service_model.signing_name
    return f"{IAM_PREFIXES.get(signing_name, signing_name)}:{operation.name}"


class Recorder:
    """An Aws whose clients record the IAM action of every call they make."""

    def __init__(self) -> None:
        session = boto3.session.Session(region_name=REGION)
        # Registered before Aws makes its clients: a client copies the session's handlers when it is made.
        session.events.register("before-call", self._record)
        self.aws = Aws(region=REGION, session=session)
        self.called: set[str] = set()

    def _record(self, model: OperationModel, **_: Any) -> None:
        self.called.add(iam_action(model))

    def called_by_read(self, setting: Setting, table: TableRef) -> set[str]:
        self.called = set()
        setting.read(self.aws, table)
        return self.called

    def mismatch(self, setting: Setting, table: TableRef) -> dict[str, list[str]]:
        called, declared = self.called_by_read(setting, table), set(setting.reads)
        return {
            "called but not declared": sorted(called - declared),
            "declared but not called": sorted(declared - called),
        }


@pytest.fixture(scope="module")
def source() -> Iterator[TableRef]:
    for extension in EXTENSIONS:
        extension.install()
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        examples.make_full_source(lambda service: session.client(service, region_name=REGION), SOURCE, items=0)
        yield TableRef(SOURCE, REGION, examples.ACCOUNT)


@pytest.fixture(scope="module")
def recorder(source: TableRef) -> Recorder:
    return Recorder()


@pytest.mark.parametrize("name", NAMES)
def test_a_setting_declares_exactly_the_actions_its_read_calls(source: TableRef, recorder: Recorder, name: str) -> None:
    assert recorder.called_by_read(REGISTRY[name], source), "read made no AWS call: the recording sees nothing"
    assert recorder.mismatch(REGISTRY[name], source) == {"called but not declared": [], "declared but not called": []}


FORGOTTEN = [(name, action) for name in NAMES for action in REGISTRY[name].reads]


@pytest.mark.parametrize(("name", "action"), FORGOTTEN, ids=[f"{n}-{a}" for n, a in FORGOTTEN])
def test_a_forgotten_read_permission_is_caught(source: TableRef, recorder: Recorder, name: str, action: str) -> None:
    setting = REGISTRY[name]
    without = tuple(declared for declared in setting.reads if declared != action)
    forgetful = type(f"Forgetful{type(setting).__name__}", (type(setting),), {"reads": without})()
    assert recorder.mismatch(forgetful, source)["called but not declared"] == [action]


def test_cloudwatch_calls_are_named_as_iam_names_them() -> None:
    model = boto3.session.Session().client("cloudwatch", region_name=REGION).meta.service_model
    assert iam_action(model.operation_model("DescribeAlarms")) == "cloudwatch:DescribeAlarms"
