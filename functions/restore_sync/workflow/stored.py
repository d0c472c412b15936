"""What is too large to travel inline, kept in the deployment's bucket: governance templates over CloudFormation's
inline limit (sent as TemplateURL), and documents over the workflow's inline budget (passed between states as a
reference: bucket, key, SHA-256 and size).

Step Functions ends an execution whose state outgrows 256 KiB with States.DataLimitExceeded, which no Catch
catches, so no report and no dead letter would follow: the state holds each large document once, by reference.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from restore_sync.aws import Aws, error_code, translated_errors
from restore_sync.contracts import PlanItem, Stored
from restore_sync.errors import ConfigurationError, StoredDocumentInvalid

# A document larger than this (compact JSON, UTF-8) is stored and passed by reference. The workflow's state holds
# a handful of such values at once beside the report (twice on failure), well inside Step Functions' 256 KiB.
INLINE_LIMIT_BYTES = 8 * 1024
# CloudFormation's limit for TemplateBody; a larger template goes through the bucket as TemplateURL.
TEMPLATE_BODY_LIMIT_BYTES = 51_200
DOCUMENTS = "documents"
TEMPLATES = "templates"


def encoded(value: Any) -> bytes:
    """The bytes a document is stored as, and measured by: compact JSON with sorted keys, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class Store:
    """The deployment's bucket for large documents and templates (`bucket` empty: the deployment has none, and
    everything stays inline)."""

    aws: Aws
    bucket: str

    @property
    def s3(self) -> Any:
        return self.aws.client("s3")

    # -- documents ---------------------------------------------------------------------------------------

    def fits(self, value: Any) -> bool:
        """Whether `value` stays inline: small enough, or there is no bucket to keep it in."""
        return not self.bucket or len(encoded(value)) <= INLINE_LIMIT_BYTES

    def keep(self, value: Any) -> Stored:
        """Stores `value` under its own SHA-256 (storing it again changes nothing) and returns the reference."""
        body = encoded(value)
        digest = hashlib.sha256(body).hexdigest()
        key = f"{DOCUMENTS}/{digest}.json"
        with translated_errors():
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json")
        return Stored(bucket=self.bucket, key=key, sha256=digest, bytes=len(body))

    def load(self, stored: Stored) -> Any:
        """The document `stored` refers to; StoredDocumentInvalid if it is gone or differs from what was stored."""
        try:
            with translated_errors():
                body = self.s3.get_object(Bucket=stored.bucket, Key=stored.key)["Body"].read()
        except ClientError as error:
            if error_code(error) in ("NoSuchKey", "NoSuchBucket", "404"):
                raise StoredDocumentInvalid(
                    f"s3://{stored.bucket}/{stored.key} is gone (the bucket keeps documents for a week): start the "
                    "execution again"
                ) from error
            if error_code(error) == "AccessDenied":
                # S3 answers a missing object with AccessDenied to a caller that may not list the bucket.
                raise StoredDocumentInvalid(
                    f"s3://{stored.bucket}/{stored.key} could not be read: it is gone (the bucket keeps documents for "
                    "a week), or this step's role may not read it; start the execution again, or check the role"
                ) from error
            raise
        digest = hashlib.sha256(body).hexdigest()
        if digest != stored.sha256 or len(body) != stored.bytes:
            raise StoredDocumentInvalid(
                f"s3://{stored.bucket}/{stored.key} is not the document the workflow stored (SHA-256 {digest}, "
                f"{len(body)} bytes; stored {stored.sha256}, {stored.bytes} bytes): it is not used; start the "
                "execution again"
            )
        return json.loads(body)

    def inline_or_stored(self, name: str, value: Any) -> dict[str, Any]:
        """`{name: value}` when it fits, else `{name + "Stored": reference}`: a step's output field."""
        if self.fits(value):
            return {name: value}
        return {f"{name}Stored": self.keep(value).to_dict()}

    def field(self, data: dict[str, Any], name: str) -> Any:
        """The value `inline_or_stored` wrote under `name` in `data`, read back from the bucket when stored."""
        if name in data:
            return data[name]
        stored = data.get(f"{name}Stored")
        if stored is None:
            raise StoredDocumentInvalid(f"neither {name} nor {name}Stored is in the step's input")
        return self.load(Stored.from_dict(stored))

    # -- plan items --------------------------------------------------------------------------------------

    def shrunk(self, item: PlanItem) -> PlanItem:
        """`item` with a `wanted` too large for the workflow's state stored and referred to (`wantedStored`)."""
        if item.wanted is None or self.fits(item.wanted):
            return item
        return PlanItem(
            setting=item.setting, status=item.status, wanted_stored=self.keep(item.wanted), reason=item.reason
        )

    def resolved(self, item: PlanItem) -> PlanItem:
        """`item` with its `wanted` inline again, read back from the bucket when it was stored."""
        if item.wanted_stored is None:
            return item
        return PlanItem(
            setting=item.setting, status=item.status, wanted=self.load(item.wanted_stored), reason=item.reason
        )

    # -- templates ---------------------------------------------------------------------------------------

    def template_source(self, stack_name: str, change_set: str, body: str) -> dict[str, str]:
        """CreateChangeSet's template argument: TemplateBody when CloudFormation takes it inline, else the body
        stored in the bucket and its TemplateURL (CloudFormation reads it with the caller's permissions)."""
        size = len(body.encode("utf-8"))
        if size <= TEMPLATE_BODY_LIMIT_BYTES:
            return {"TemplateBody": body}
        if not self.bucket:
            raise ConfigurationError(
                f"the template of change set {change_set} is {size} bytes, over CloudFormation's inline limit of "
                f"{TEMPLATE_BODY_LIMIT_BYTES}, and the deployment names no bucket (DATA_BUCKET): deploy it again"
            )
        key = f"{TEMPLATES}/{stack_name}/{change_set}.json"
        with translated_errors():
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body.encode("utf-8"), ContentType="application/json")
        return {"TemplateURL": template_url(self.bucket, self.aws.region, key)}


def template_url(bucket: str, region: str, key: str) -> str:
    """The virtual-hosted-style HTTPS URL of an object, as CloudFormation's TemplateURL takes it."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://{bucket}.s3.{region}.{suffix}/{key}"
