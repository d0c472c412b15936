"""DeleteStack: a resource already deleted outside its stack is skipped, and a deletion that fails leaves the stack.

AWS behaviour reproduced, as AWS documents it:
- A resource that no longer exists does not stop its stack's deletion. CloudFormation deletes each resource through
  its type's delete handler, and the resource type handler contract
  (https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-test-contract.html, "Delete
  handlers") says a delete handler MUST return FAILED with the NotFound error code when the resource did not exist
  before the request; CloudFormation takes NotFound from a delete as the resource being gone, so a stack whose table,
  alarm or trigger was deleted by hand still ends DELETE_COMPLETE. moto asked the missing table's service to delete
  it again (DynamoDB answered ResourceNotFoundException), and the stack vanished from every listing without a status.
  Here an error whose code says "not found" (ResourceNotFoundException, ObjectNotFoundException, ResourceNotFound,
  NoSuchEntity, any code ending NotFound or NotFoundException) counts as the resource deleted.
- A resource with DeletionPolicy Retain is not touched ("AWS CloudFormation keeps the resource without deleting the
  resource or its contents when its stack is deleted", DeletionPolicy attribute,
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html): moto
  and the `cloudformation_changesets` extension already skip it; the test of this module pins it for a table that no
  longer exists.
- A deletion that fails for another reason leaves the stack in DELETE_FAILED with a StackStatusReason naming the
  resource, and DeleteStack itself succeeds (the deletion runs after the call returns: "Once the call completes
  successfully, stack deletion starts", DeleteStack API reference). DeleteStack may then be called again, as
  AWS allows for a DELETE_FAILED stack. moto raised the resource's error from DeleteStack and lost the stack.

moto internals patched: `parsing.ResourceMap._delete_resource` (wrapped around what `cloudformation_changesets`
installs, which installs first by name: a not-found error is swallowed) and `CloudFormationBackend.delete_stack`
(wrapped: an error keeps the stack, DELETE_FAILED).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation.models import CloudFormationBackend

from restore_sync_sandbox.extensions.cloudformation_changesets import failure_reason

NOT_FOUND_CODES = frozenset(
    {"ResourceNotFoundException", "ObjectNotFoundException", "ResourceNotFound", "NoSuchEntity"}
)
PATCHED = ((cfn_parsing.ResourceMap, "_delete_resource"), (CloudFormationBackend, "delete_stack"))

_lock = threading.Lock()
_originals: dict[str, Callable[..., Any]] = {}


def error_code(error: BaseException) -> str:
    """The AWS error code a moto error answers with (DynamoDB's carry a `com.amazonaws...#` prefix)."""
    code = getattr(error, "error_type", None) or getattr(error, "code", None) or type(error).__name__
    return str(code).split("#")[-1]


def is_not_found(error: BaseException) -> bool:
    code = error_code(error)
    return code in NOT_FOUND_CODES or code.endswith(("NotFound", "NotFoundException"))


def _delete_resource(self: Any, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
    try:
        _originals["_delete_resource"](self, parsed_resource, resource_json)
    except Exception as error:
        if not is_not_found(error):
            raise


def _live_stack(backend: CloudFormationBackend, name_or_stack_id: str) -> Any:
    if name_or_stack_id in backend.stacks:
        return backend.stacks[name_or_stack_id]
    return next((s for s in backend.stacks.values() if s.name == name_or_stack_id), None)


def _delete_stack(self: CloudFormationBackend, name_or_stack_id: str) -> None:
    stack = _live_stack(self, name_or_stack_id)
    try:
        _originals["delete_stack"](self, name_or_stack_id)
    except Exception as error:
        if stack is None:
            raise
        reason = failure_reason(error, "delete")
        self.deleted_stacks.pop(stack.stack_id, None)
        self.stacks[stack.stack_id] = stack
        stack.status = "DELETE_FAILED"
        stack.stack_status_reason = reason
        stack._add_stack_event("DELETE_FAILED", resource_status_reason=reason)


def install() -> None:
    """Applies both patches once; later calls do nothing."""
    with _lock:
        if _originals:
            return
        for owner, attribute in PATCHED:
            if not callable(getattr(owner, attribute, None)):
                raise RuntimeError(f"moto changed: {owner.__name__}.{attribute} is gone")
        _originals["_delete_resource"] = cfn_parsing.ResourceMap._delete_resource
        _originals["delete_stack"] = CloudFormationBackend.delete_stack
        cfn_parsing.ResourceMap._delete_resource = _delete_resource  # type: ignore[method-assign]
        CloudFormationBackend.delete_stack = _delete_stack  # type: ignore[method-assign]
