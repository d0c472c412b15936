"""The settings-history custom resource answers CloudFormation only at an https ResponseURL; anything else is refused
before any work and before anything is sent, with a line in the log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from restore_sync.handlers import snapshot

REFUSED = [
    "http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/arn%3Aaws?Signature=x",
    "ftp://example.com/answer",
    "file:///tmp/answer",
    "https:///no-host",
    "//example.com/answer",
    "",
]
PRESIGNED = "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/arn%3Aaws?Signature=x"


class RecordingPool:
    """Stands in for the module's urllib3 PoolManager: records what would be sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, bytes]] = []

    def request(self, method: str, url: str, body: bytes, **_: Any) -> Any:
        self.sent.append((method, url, body))
        return type("Response", (), {"status": 200})()


@dataclass
class Context:
    function_name: str = "restore-sync-SnapshotFunction"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:restore-sync-SnapshotFunction"
    memory_limit_in_mb: int = 256
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def request(url: str) -> dict[str, Any]:
    return {
        "RequestType": "Create",
        "ServiceToken": Context.invoked_function_arn,
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/restore-sync/1",
        "RequestId": "d8f1e2b4-0000-4000-8000-000000000001",
        "LogicalResourceId": "InitialSnapshot",
        "ResourceType": "Custom::SettingsSnapshot",
        "ResourceProperties": {},
    }


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> RecordingPool:
    recording = RecordingPool()
    monkeypatch.setattr(snapshot, "_http", recording)
    return recording


@pytest.mark.parametrize("url", REFUSED)
def test_an_answer_to_a_url_that_is_not_https_is_refused_and_nothing_is_sent(
    url: str, pool: RecordingPool, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ValueError, match="ResponseURL is not https"):
        snapshot._respond(request(url), "SUCCESS", "", {})

    assert pool.sent == []
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("ERROR", "custom resource request refused: its ResponseURL is not https")
    ]


def test_an_answer_to_an_https_url_is_sent_there(pool: RecordingPool) -> None:
    snapshot._respond(request(PRESIGNED), "SUCCESS", "", {"recorded": 1})

    [(method, url, body)] = pool.sent
    assert (method, url) == ("PUT", PRESIGNED)
    assert json.loads(body)["Status"] == "SUCCESS"


def test_a_request_with_an_http_url_is_refused_before_any_table_is_read(
    pool: RecordingPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    def sweep(*_: Any, **__: Any) -> Any:
        raise AssertionError("the recorder read tables for a request it must refuse")

    monkeypatch.setattr(snapshot, "sweep", sweep)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("HISTORY_TABLE", "restore-sync-SettingsHistoryTable-Q1W2E3R4")

    with pytest.raises(ValueError, match="ResponseURL is not https"):
        snapshot.handler(request(REFUSED[0]), Context())

    assert pool.sent == []
