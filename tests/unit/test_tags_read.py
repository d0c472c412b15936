"""`tags` reads every page and leaves out the keys AWS reserves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from restore_sync.aws import Aws, TableRef
from restore_sync.settings import REGISTRY

PAGES = [
    {"Tags": [{"Key": "team", "Value": "payments"}, {"Key": "aws:cloudformation:stack-name", "Value": "x"}]},
    {"Tags": [{"Key": "aws:backup:source-resource", "Value": "y"}, {"Key": "cost-centre", "Value": "42"}]},
    {"Tags": [{"Key": "app", "Value": "orders"}]},
]


class FakeDynamoDB:
    """Serves ListTagsOfResource in pages, as DynamoDB does (at most 10 tags a page)."""

    def __init__(self) -> None:
        self.asked_for: list[str] = []

    def get_paginator(self, operation: str) -> FakeDynamoDB:
        assert operation == "list_tags_of_resource"
        return self

    def paginate(self, ResourceArn: str) -> Iterator[dict[str, Any]]:
        self.asked_for.append(ResourceArn)
        yield from PAGES


class FakeAws(Aws):
    def __init__(self, client: FakeDynamoDB) -> None:
        super().__init__(region="us-east-1")
        self.fake = client

    def client(self, service: str, region: str | None = None) -> Any:
        assert (service, region) == ("dynamodb", "eu-west-1")
        return self.fake


def test_tags_are_read_from_every_page_without_reserved_keys_and_sorted() -> None:
    client = FakeDynamoDB()
    table = TableRef("orders", "eu-west-1", "123456789012")
    state = REGISTRY["tags"].read(FakeAws(client), table)
    assert state == {
        "tags": [
            {"Key": "app", "Value": "orders"},
            {"Key": "cost-centre", "Value": "42"},
            {"Key": "team", "Value": "payments"},
        ]
    }
    assert client.asked_for == [table.arn]
