"""What the CloudFormation extension tests share: one stack, named "governance", updated by change sets."""

from __future__ import annotations

import json
from typing import Any

STACK = "governance"


def run_change_set(cfn: Any, template: dict[str, Any], name: str) -> dict[str, Any]:
    """Creates and executes one UPDATE change set; returns its description (taken before execution)."""
    cfn.create_change_set(
        StackName=STACK, ChangeSetName=name, ChangeSetType="UPDATE", TemplateBody=json.dumps(template)
    )
    described: dict[str, Any] = cfn.describe_change_set(StackName=STACK, ChangeSetName=name)
    assert described["Status"] == "CREATE_COMPLETE", described.get("StatusReason")
    cfn.execute_change_set(StackName=STACK, ChangeSetName=name)
    return described


def stack(cfn: Any) -> dict[str, Any]:
    described: dict[str, Any] = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    return described


def outputs(cfn: Any) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack(cfn).get("Outputs", [])}
