"""Large documents and templates kept in the deployment's bucket: inline below the limits, by reference above."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from restore_sync.aws import Aws
from restore_sync.contracts import PlanItem, Stored
from restore_sync.errors import ConfigurationError, ContractError, StoredDocumentInvalid
from restore_sync.workflow.stored import INLINE_LIMIT_BYTES, TEMPLATE_BODY_LIMIT_BYTES, Store, encoded, template_url

BUCKET = "restore-sync-data"


class FakeS3:
    """PutObject and GetObject on one bucket's objects, as bytes."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        # What a read of a missing object answers: NoSuchKey, or AccessDenied to a caller that may not list.
        self.answer = "NoSuchKey"

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, ContentType: str) -> dict[str, Any]:
        assert Bucket == BUCKET
        self.objects[Key] = Body
        return {}

    def get_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        if Bucket != BUCKET or Key not in self.objects:
            raise ClientError({"Error": {"Code": self.answer, "Message": "gone"}}, "GetObject")
        return {"Body": io.BytesIO(self.objects[Key])}


@pytest.fixture
def s3() -> FakeS3:
    return FakeS3()


def store(s3: FakeS3, bucket: str = BUCKET) -> Store:
    return Store(Aws(region="eu-west-1", _clients={("s3", "eu-west-1"): s3}), bucket)


def large() -> dict[str, Any]:
    return {"alarms": [{"name": f"alarm-{n}", "threshold": n} for n in range(INLINE_LIMIT_BYTES // 20)]}


def test_a_small_document_stays_inline_and_a_large_one_is_stored_under_its_sha256(s3: FakeS3) -> None:
    assert store(s3).inline_or_stored("document", {"a": 1}) == {"document": {"a": 1}}
    assert not s3.objects

    kept = store(s3).inline_or_stored("document", large())

    reference = Stored.from_dict(kept["documentStored"])
    body = encoded(large())
    assert reference == Stored(
        bucket=BUCKET,
        key=f"documents/{hashlib.sha256(body).hexdigest()}.json",
        sha256=hashlib.sha256(body).hexdigest(),
        bytes=len(body),
    )
    assert s3.objects[reference.key] == body
    assert store(s3).field(kept, "document") == large()


def test_without_a_bucket_everything_stays_inline(s3: FakeS3) -> None:
    assert store(s3, bucket="").inline_or_stored("document", large()) == {"document": large()}


def test_a_stored_document_that_changed_or_is_gone_is_refused(s3: FakeS3) -> None:
    reference = store(s3).keep(large())
    s3.objects[reference.key] = s3.objects[reference.key].replace(b"alarm-1", b"alarm-X")
    with pytest.raises(StoredDocumentInvalid, match="not the document the workflow stored"):
        store(s3).load(reference)

    del s3.objects[reference.key]
    with pytest.raises(StoredDocumentInvalid, match="is gone"):
        store(s3).load(reference)
    s3.answer = "AccessDenied"
    with pytest.raises(StoredDocumentInvalid, match="could not be read"):
        store(s3).load(reference)


def test_a_large_wanted_state_is_stored_and_read_back_and_a_small_one_stays(s3: FakeS3) -> None:
    small = PlanItem(setting="ttl", status="pending", wanted={"enabled": True})
    skipped = PlanItem(setting="kinesis", status="skipped", reason="not set")
    big = PlanItem(setting="alarms", status="pending", wanted=large())

    shrunk = store(s3).shrunk(big)

    assert (shrunk.wanted, shrunk.wanted_stored is not None) == (None, True)
    assert PlanItem.from_dict(shrunk.to_dict()) == shrunk
    assert len(json.dumps(shrunk.to_dict())) < 400
    assert store(s3).resolved(shrunk) == big
    assert [store(s3).shrunk(item) for item in (small, skipped)] == [small, skipped]


def test_a_plan_item_holds_wanted_or_its_reference_not_both() -> None:
    reference = {"bucket": BUCKET, "key": "documents/x.json", "sha256": "x", "bytes": 1}
    with pytest.raises(ContractError, match="not both"):
        PlanItem.from_dict({"setting": "ttl", "status": "pending", "wanted": {}, "wantedStored": reference})
    with pytest.raises(ContractError, match="a skipped item has none"):
        PlanItem.from_dict({"setting": "ttl", "status": "skipped", "reason": "r", "wantedStored": reference})


def test_a_template_within_cloudformations_inline_limit_is_sent_as_its_body(s3: FakeS3) -> None:
    body = "x" * TEMPLATE_BODY_LIMIT_BYTES
    assert store(s3).template_source("stack", "restore-sync-alarms-1", body) == {"TemplateBody": body}
    assert not s3.objects


def test_a_larger_template_is_stored_and_sent_as_its_url(s3: FakeS3) -> None:
    body = "x" * (TEMPLATE_BODY_LIMIT_BYTES + 1)

    source = store(s3).template_source("stack", "restore-sync-alarms-1", body)

    key = "templates/stack/restore-sync-alarms-1.json"
    assert source == {"TemplateURL": f"https://{BUCKET}.s3.eu-west-1.amazonaws.com/{key}"}
    assert s3.objects[key] == body.encode()


def test_a_larger_template_without_a_bucket_is_a_configuration_error(s3: FakeS3) -> None:
    with pytest.raises(ConfigurationError, match="DATA_BUCKET"):
        store(s3, bucket="").template_source("stack", "cs", "x" * (TEMPLATE_BODY_LIMIT_BYTES + 1))


def test_template_urls_name_the_partitions_domain() -> None:
    assert template_url("b", "cn-north-1", "k") == "https://b.s3.cn-north-1.amazonaws.com.cn/k"
