"""Verify: read the target back and compare every applied or unchanged setting with what was wanted."""

from __future__ import annotations

from typing import Any

from restore_sync.aws import Aws, TableRef
from restore_sync.settings import REGISTRY

VERIFIED = ("applied", "unchanged")


def verify(aws: Aws, request: dict[str, Any], items: list[dict[str, Any]], results: list[dict[str, Any]]) -> dict:
    """`{"drift": [...], "observed": {setting: state}}` for the settings whose outcome claims the target has them."""
    target = TableRef.from_arn(request["targetTableArn"])
    outcome = {result["setting"]: result["status"] for result in results}
    drift: list[dict[str, Any]] = []
    observed: dict[str, Any] = {}
    for item in items:
        name = item["setting"]
        if item["status"] != "pending" or outcome.get(name) not in VERIFIED:
            continue
        setting = REGISTRY[name]
        observed[name] = setting.read(aws, target)
        drift += setting.diff(item["wanted"], observed[name])
    return {"drift": drift, "observed": observed}
