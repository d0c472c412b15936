"""The data-safety guard refuses any change set that would replace or remove a table."""

from __future__ import annotations

from typing import Any

from restore_sync.workflow.guard import refusals


def change(action: str, replacement: str | None = None, rtype: str = "AWS::DynamoDB::Table", **extra: Any) -> dict:
    resource: dict[str, Any] = {"Action": action, "LogicalResourceId": "Table", "ResourceType": rtype, **extra}
    if replacement is not None:
        resource["Replacement"] = replacement
    return {"Type": "Resource", "ResourceChange": resource}


def test_in_place_modifications_pass() -> None:
    assert refusals([change("Modify", "False")]) == []


def test_new_resources_pass() -> None:
    assert refusals([change("Add", rtype="AWS::Lambda::EventSourceMapping")]) == []


def test_replacement_is_refused_and_names_the_cause() -> None:
    details = [{"Target": {"Attribute": "Properties", "Name": "KeySchema", "RequiresRecreation": "Always"}}]
    reasons = refusals([change("Modify", "True", Details=details)])
    assert len(reasons) == 1
    assert "replace" in reasons[0]
    assert "KeySchema" in reasons[0]


def test_conditional_replacement_is_refused() -> None:
    assert refusals([change("Modify", "Conditional")])


def test_removal_is_refused() -> None:
    assert "remove" in refusals([change("Remove")])[0]


def test_only_tables_are_guarded() -> None:
    assert refusals([change("Remove", rtype="AWS::CloudWatch::Alarm")]) == []


def test_every_offending_change_is_listed() -> None:
    assert len(refusals([change("Remove"), change("Modify", "True"), change("Modify", "False")])) == 2
