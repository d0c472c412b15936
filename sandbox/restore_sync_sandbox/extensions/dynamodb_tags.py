"""DynamoDB TagResource replaces the value of a tag key the table already has, as AWS does.

AWS behaviour reproduced: tags are a map: tagging a resource with a key it already has replaces that tag's value
(the TagResource API reference: "If a tag with the same key already exists, its value is updated"), so a table
never has two tags with one key. moto appends instead; the duplicates then also break ListTagsOfResource's
paging, whose token is a tag key (the next page starts after the key's first occurrence, so the pages repeat
for ever).

moto internals patched: `DynamoDBBackend.tag_resource` (replaced: update in place, new keys appended).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

_lock = threading.Lock()
_original: list[Callable[..., Any]] = []


def tag_resource(self: DynamoDBBackend, arn: str, tags: dict[str, str]) -> None:
    for table in self.tables.values():
        if table.table_arn == arn:
            merged = {tag["Key"]: tag["Value"] for tag in table.tags}
            merged.update(tags)
            table.tags = [{"Key": key, "Value": value} for key, value in merged.items()]


def install() -> None:
    """Applies the patch once; later calls do nothing."""
    with _lock:
        if _original:
            return
        if not callable(getattr(DynamoDBBackend, "tag_resource", None)):
            raise RuntimeError("moto changed: DynamoDBBackend.tag_resource is gone")
        _original.append(DynamoDBBackend.tag_resource)
        DynamoDBBackend.tag_resource = tag_resource  # type: ignore[method-assign]
