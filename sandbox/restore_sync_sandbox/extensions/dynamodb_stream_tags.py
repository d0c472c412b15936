"""DynamoDB tags on a table's stream: TagResource, UntagResource and ListTagsOfResource with a stream ARN.

AWS behaviour reproduced: a stream has tags of its own, independent of its table's (the AWS::DynamoDB::Table
registry schema, `StreamSpecification.Tags`: "Stream tags are independent of table tags"); IAM's action table gives
TagResource, UntagResource and ListTagsOfResource the `stream` resource type. Tags are a map: a key tagged again
gets the new value. A stream ARN that is not the current stream of an existing table is ResourceNotFoundException.
ListTagsOfResource pages as moto pages a table's tags (10 a page, the token a tag key).

moto internals patched: `DynamoHandler.tag_resource`, `untag_resource` and `list_tags_of_resource` (wrapped: a
stream ARN is answered here, from tags kept on the backend; a table ARN goes to moto). moto matches tags to tables
only, so a stream's tags were dropped and listing them failed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.responses import DynamoHandler

from restore_sync_sandbox.extensions.dynamodb_stream_policies import stream_table

PATCHED = ("tag_resource", "untag_resource", "list_tags_of_resource")
PAGE = 10
# Attribute on the backend: {stream ARN: {key: value}}, forgotten with the backend on reset.
_TAGS = "_sandbox_stream_tags"

_lock = threading.Lock()
_originals: dict[str, Callable[..., Any]] = {}


def stream_tags(backend: DynamoDBBackend, stream_arn: str) -> dict[str, str]:
    """The tags of a stream, by key (the backend's own record, changed in place)."""
    if not hasattr(backend, _TAGS):
        setattr(backend, _TAGS, {})
    tags: dict[str, dict[str, str]] = getattr(backend, _TAGS)
    return tags.setdefault(stream_arn, {})


def _body(handler: DynamoHandler) -> dict[str, Any]:
    body: dict[str, Any] = handler.body
    return body


def tag_resource(self: DynamoHandler) -> Any:
    body = _body(self)
    arn = str(body.get("ResourceArn", ""))
    if stream_table(self.dynamodb_backend, arn) is None:
        return _originals["tag_resource"](self)
    stream_tags(self.dynamodb_backend, arn).update({t["Key"]: str(t.get("Value", "")) for t in body.get("Tags", [])})
    return EmptyResult()


def untag_resource(self: DynamoHandler) -> Any:
    body = _body(self)
    arn = str(body.get("ResourceArn", ""))
    if stream_table(self.dynamodb_backend, arn) is None:
        return _originals["untag_resource"](self)
    tags = stream_tags(self.dynamodb_backend, arn)
    for key in body.get("TagKeys", []):
        tags.pop(key, None)
    return EmptyResult()


def list_tags_of_resource(self: DynamoHandler) -> Any:
    body = _body(self)
    arn = str(body.get("ResourceArn", ""))
    if stream_table(self.dynamodb_backend, arn) is None:
        return _originals["list_tags_of_resource"](self)
    tags = [{"Key": key, "Value": value} for key, value in stream_tags(self.dynamodb_backend, arn).items()]
    keys = [tag["Key"] for tag in tags]
    start = keys.index(body["NextToken"]) + 1 if body.get("NextToken") in keys else 0
    page = tags[start : start + PAGE]
    answer: dict[str, Any] = {"Tags": page}
    if len(tags) > start + PAGE:
        answer["NextToken"] = page[-1]["Key"]
    return ActionResult(answer)


def install() -> None:
    """Applies the patches once; later calls do nothing."""
    with _lock:
        if _originals:
            return
        for name in PATCHED:
            if not callable(getattr(DynamoHandler, name, None)):
                raise RuntimeError(f"moto changed: DynamoHandler.{name} is gone")
        for name, replacement in zip(PATCHED, (tag_resource, untag_resource, list_tags_of_resource), strict=True):
            _originals[name] = getattr(DynamoHandler, name)
            setattr(DynamoHandler, name, replacement)
