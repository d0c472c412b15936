"""The data-safety guard: no change set that would replace or remove a table is ever executed."""

from __future__ import annotations

from typing import Any

TABLE_TYPE = "AWS::DynamoDB::Table"
# A table with replicas is held as a global table (restore_sync.workflow.global_table): it holds the data as well.
TABLE_TYPES = (TABLE_TYPE, "AWS::DynamoDB::GlobalTable")
_UNSAFE_REPLACEMENT = ("True", "Conditional")


def refusals(changes: list[dict[str, Any]]) -> list[str]:
    """Why the change set (DescribeChangeSet's `Changes`) must not run; empty when it is safe for the data."""
    reasons = []
    for change in changes:
        resource = change.get("ResourceChange", {})
        if resource.get("ResourceType") not in TABLE_TYPES:
            continue
        logical_id = resource.get("LogicalResourceId", "?")
        action = resource.get("Action")
        if action == "Remove":
            reasons.append(f"it would remove table resource {logical_id}")
        elif action == "Modify" and resource.get("Replacement") in _UNSAFE_REPLACEMENT:
            causes = sorted(
                {
                    d.get("Target", {}).get("Name", "?")
                    for d in resource.get("Details", [])
                    if d.get("Target", {}).get("RequiresRecreation") in ("Always", "Conditionally")
                }
            )
            because = f" (because of {', '.join(causes)})" if causes else ""
            reasons.append(
                f"it would replace table resource {logical_id}{because}: Replacement={resource.get('Replacement')}"
            )
    return reasons
