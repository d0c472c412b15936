"""`ttl`: time to live and its attribute; ENABLING counts as on, since AWS settles it over up to an hour.

Enabled, it deletes the items already expired at the restore point: `side-by-side` holds it
(restore_sync.workflow.hold).
"""

from __future__ import annotations

from typing import Any

from restore_sync.aws import Aws, TableRef, translated_errors
from restore_sync.settings.base import Fragment, Setting, State

ON = ("ENABLED", "ENABLING")


class Ttl(Setting):
    name = "ttl"
    reads = ("dynamodb:DescribeTimeToLive",)

    def read(self, aws: Aws, table: TableRef) -> State:
        with translated_errors():
            description = aws.client("dynamodb", table.region).describe_time_to_live(TableName=table.name)
        ttl = description.get("TimeToLiveDescription", {})
        enabled = ttl.get("TimeToLiveStatus") in ON
        return {"enabled": enabled, "attributeName": ttl.get("AttributeName") if enabled else None}

    def fragment(self, state: State, target: dict[str, Any]) -> Fragment:
        if not state["enabled"]:
            return Fragment()
        spec = {"AttributeName": state["attributeName"], "Enabled": True}
        return Fragment(properties={"TimeToLiveSpecification": spec})


SETTING = Ttl()
