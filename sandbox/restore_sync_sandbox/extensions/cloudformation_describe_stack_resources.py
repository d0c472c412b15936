"""DescribeStackResources by PhysicalResourceId: which stack holds a resource, as CloudFormation answers it.

AWS behaviour reproduced: DescribeStackResources takes a StackName or a PhysicalResourceId; with the latter it
answers the resources of the stack that holds that physical resource (AWS's API reference: "you can specify
PhysicalResourceId ... to find which stack the resource belongs to"), and a ValidationError "Stack for <id> does
not exist" when no live stack holds it. A stack keeps its record of a resource deleted outside it, so the name of
a table deleted by hand stays claimed by its stack. moto required a StackName.

moto internals patched: `CloudFormationResponse.describe_stack_resources` (wrapped: only calls without a
StackName are answered here).

Limits: only the physical ids moto's resource models report (a table's name, a queue's URL...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.cloudformation import responses as cfn_responses
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.responses import StackResourceDTO
from moto.core.responses import ActionResult

_PATCHED = "_restore_sync_by_physical_id"


def holding_stack(backend: Any, physical_id: str) -> Any:
    """The live stack whose resources hold `physical_id`, or None."""
    for stack in list(backend.stacks.values()):
        if stack.status == "DELETE_COMPLETE":
            continue
        if any(getattr(r, "physical_resource_id", None) == physical_id for r in list(stack.resource_map.values())):
            return stack
    return None


def _by_physical_id(original: Callable[..., Any]) -> Callable[..., Any]:
    def describe_stack_resources(self: Any) -> Any:
        physical_id = self._get_param("PhysicalResourceId")
        if self._get_param("StackName") or not physical_id:
            return original(self)
        stack = holding_stack(self.cloudformation_backend, physical_id)
        if stack is None:
            raise ValidationError(message=f"Stack for {physical_id} does not exist")
        return ActionResult({"StackResources": [StackResourceDTO(stack, r) for r in stack.stack_resources]})

    setattr(describe_stack_resources, _PATCHED, True)
    return describe_stack_resources


def install() -> None:
    response = cfn_responses.CloudFormationResponse
    if not getattr(response.describe_stack_resources, _PATCHED, False):
        response.describe_stack_resources = _by_physical_id(response.describe_stack_resources)  # type: ignore[method-assign]
