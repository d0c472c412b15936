"""CloudFormation change sets that describe, scope, execute and roll back as AWS does.

AWS behaviour reproduced:
- DescribeChangeSet lists, per logical resource, Action Add | Modify | Remove; a Modify carries Replacement
  (True | False | Conditional), Scope and Details (Target Attribute/Name/RequiresRecreation/Path, Evaluation,
  ChangeSource), following each property's "Update requires" in the resource reference; a Remove or a
  replacement carries the PolicyAction its DeletionPolicy / UpdateReplacePolicy implies.
- A change set with no resource, parameter or output change FAILS with "The submitted information didn't
  contain changes. ..." and ExecutionStatus UNAVAILABLE.
- Change set names are unique per stack, not per region; a name is resolved within its StackName.
  ListChangeSets lists one stack's change sets. GetTemplate with ChangeSetName returns that change set's
  template.
- ExecuteChangeSet runs only an AVAILABLE change set; afterwards the other change sets of the stack are
  deleted.
  A failing UPDATE rolls back: the previous template is applied again, the stack ends UPDATE_ROLLBACK_COMPLETE
  (a CREATE ends ROLLBACK_COMPLETE) with a StackStatusReason, and the change set EXECUTE_FAILED.
- A resource removed from the template with DeletionPolicy Retain is left in place.
- The StackStatusReason of a failed update names the resource and what its handler said: "The following
  resource(s) failed to create: [Mapping]. Resource handler returned message: "Function not found: arn:..."
  (HandlerErrorCode: NotFound)" (`ResourceHandlerError` carries the handler's message; any other error's
  message is used as it is).

moto internals patched: `models.ChangeSet.diff`, `CloudFormationBackend.create_change_set` /
`execute_change_set`, `CloudFormationResponse.create_change_set` / `describe_change_set` /
`execute_change_set` / `delete_change_set` / `list_change_sets` / `get_template`,
`parsing.parse_and_create_resource` (a failure remembers which resource failed), `parsing.parse_and_update_resource`
(a model without an update path keeps its resource instead of None) and `ResourceMap._delete_resource` (Retain on
removal).
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Callable
from typing import Any

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation import responses as cfn_responses
from moto.cloudformation.exceptions import AlreadyExistsException, CloudFormationError, ValidationError
from moto.core.responses import ActionResult, EmptyResult

NO_CHANGES_REASON = (
    "The submitted information didn't contain changes. Submit different information to create a change set."
)

# Values of ResourceTargetDefinition.RequiresRecreation.
NEVER = "Never"
CONDITIONALLY = "Conditionally"
ALWAYS = "Always"

Rule = str | Callable[[Any, Any], str]


def _attribute_definitions(old: Any, new: Any) -> str:
    # "Some interruptions. Replacement if you edit an existing AttributeDefinition": adding or dropping one
    # (with a GSI) is an in-place update; retyping one that stays is a replacement.
    def types(value: Any) -> dict[str, Any]:
        return {str(d.get("AttributeName")): d.get("AttributeType") for d in value or [] if isinstance(d, dict)}

    before, after = types(old), types(new)
    return ALWAYS if any(name in after and after[name] != t for name, t in before.items()) else NEVER


# "Update requires" per property, from the CloudFormation resource reference. Properties not listed update
# with no interruption.
UPDATE_RULES: dict[str, dict[str, Rule]] = {
    "AWS::DynamoDB::Table": {
        "TableName": ALWAYS,
        "KeySchema": ALWAYS,
        "LocalSecondaryIndexes": ALWAYS,
        "ImportSourceSpecification": ALWAYS,
        "AttributeDefinitions": _attribute_definitions,
    },
    "AWS::Lambda::EventSourceMapping": {
        "EventSourceArn": ALWAYS,
        "StartingPosition": ALWAYS,
        "StartingPositionTimestamp": ALWAYS,
        "SelfManagedEventSource": ALWAYS,
        "AmazonManagedKafkaEventSourceConfig": ALWAYS,
        "SelfManagedKafkaEventSourceConfig": ALWAYS,
        "Queues": ALWAYS,
        "Topics": ALWAYS,
    },
    "AWS::ApplicationAutoScaling::ScalableTarget": {
        "ResourceId": ALWAYS,
        "ScalableDimension": ALWAYS,
        "ServiceNamespace": ALWAYS,
    },
    "AWS::ApplicationAutoScaling::ScalingPolicy": {
        "PolicyName": ALWAYS,
        "ResourceId": ALWAYS,
        "ScalableDimension": ALWAYS,
        "ServiceNamespace": ALWAYS,
        "ScalingTargetId": ALWAYS,
    },
    "AWS::CloudWatch::Alarm": {"AlarmName": ALWAYS},
    "AWS::Lambda::Function": {"FunctionName": ALWAYS, "PackageType": ALWAYS},
    "AWS::SQS::Queue": {"QueueName": ALWAYS, "FifoQueue": ALWAYS},
    "AWS::IAM::Role": {"RoleName": ALWAYS, "Path": ALWAYS},
    "AWS::Events::Rule": {"Name": ALWAYS, "EventBusName": ALWAYS},
    "AWS::StepFunctions::StateMachine": {"StateMachineName": ALWAYS, "StateMachineType": ALWAYS},
}


def register_update_rules(resource_type: str, rules: dict[str, Rule]) -> None:
    """Adds or overrides the "Update requires" rules of a resource type (property -> Never|Always|callable)."""
    UPDATE_RULES.setdefault(resource_type, {}).update(rules)


def requires_recreation(resource_type: str, prop: str, old: Any, new: Any) -> str:
    rule = UPDATE_RULES.get(resource_type, {}).get(prop, NEVER)
    return rule(old, new) if callable(rule) else rule


class ResourceChange:
    """One entry of DescribeChangeSet's Changes (serialized by moto through `ChangeDTO.resource_change`)."""

    def __init__(
        self,
        action: str,
        logical_resource_id: str,
        resource_type: str,
        physical_resource_id: str | None = None,
        replacement: str | None = None,
        scope: list[str] | None = None,
        details: list[dict[str, Any]] | None = None,
        policy_action: str | None = None,
    ) -> None:
        self.action = action
        self.logical_resource_id = logical_resource_id
        self.resource_type = resource_type
        self.physical_resource_id = physical_resource_id
        self.replacement = replacement
        self.scope = scope if scope is not None else []
        self.details = details if details is not None else []
        self.policy_action = policy_action


def _references(value: Any) -> set[str]:
    """Names that a property value reaches with Ref, Fn::GetAtt or Fn::Sub."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt" and isinstance(inner, list) and inner:
                found.add(str(inner[0]))
            elif key == "Fn::GetAtt" and isinstance(inner, str):
                found.add(inner.split(".")[0])
            else:
                found |= _references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= _references(inner)
    return found


def _change_type(old_present: bool, new_present: bool) -> str:
    if not old_present:
        return "Add"
    return "Remove" if not new_present else "Modify"


def _modify_details(
    resource_type: str,
    old: dict[str, Any],
    new: dict[str, Any],
    changed_parameters: set[str],
) -> list[dict[str, Any]]:
    details: list[dict[str, Any]] = []
    old_props = old.get("Properties") or {}
    new_props = new.get("Properties") or {}
    for prop in sorted(set(old_props) | set(new_props)):
        before, after = old_props.get(prop), new_props.get(prop)
        attribute = "Tags" if prop == "Tags" else "Properties"
        target: dict[str, Any] = {"Attribute": attribute}
        if attribute == "Properties":
            target["Name"] = prop
        target["Path"] = f"/Properties/{prop}"
        target["AttributeChangeType"] = _change_type(prop in old_props, prop in new_props)
        if before != after:
            target["RequiresRecreation"] = (
                NEVER if prop == "Tags" else requires_recreation(resource_type, prop, before, after)
            )
            details.append({"Target": target, "Evaluation": "Static", "ChangeSource": "DirectModification"})
            continue
        # An unchanged property that refers to a changed parameter may still change once resolved.
        for parameter in sorted(_references(after) & changed_parameters):
            rule = NEVER if prop == "Tags" else requires_recreation(resource_type, prop, before, after)
            target = {**target, "AttributeChangeType": "Modify"}
            target["RequiresRecreation"] = CONDITIONALLY if rule == ALWAYS else rule
            details.append(
                {
                    "Target": target,
                    "Evaluation": "Dynamic",
                    "ChangeSource": "ParameterReference",
                    "CausingEntity": parameter,
                }
            )
    if old.get("Metadata") != new.get("Metadata"):
        details.append(
            {
                "Target": {"Attribute": "Metadata", "RequiresRecreation": NEVER},
                "Evaluation": "Static",
                "ChangeSource": "DirectModification",
            }
        )
    return details


def _replacement(details: list[dict[str, Any]]) -> str:
    levels = {d["Target"]["RequiresRecreation"] for d in details}
    if any(d["Target"]["RequiresRecreation"] == ALWAYS and d["Evaluation"] == "Static" for d in details):
        return "True"
    if ALWAYS in levels or CONDITIONALLY in levels:
        return "Conditional"
    return "False"


def _physical_id(stack: Any, logical_id: str) -> str | None:
    resource = stack.resource_map._parsed_resources.get(logical_id)
    physical = getattr(resource, "physical_resource_id", None)
    return physical if isinstance(physical, str) else None


def resolved_parameters(template: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Parameter values a template would run with: the given ones over the declared defaults."""
    values = {name: spec.get("Default") for name, spec in (template.get("Parameters") or {}).items()}
    values.update({k: v for k, v in given.items() if k in values})
    return values


def diff_stack(stack: Any, new_template: dict[str, Any], new_parameters: dict[str, Any]) -> list[ResourceChange]:
    """The resource changes that moving `stack` to `new_template` would make, as DescribeChangeSet lists them."""
    old_template = stack.template_dict or {}
    old_resources: dict[str, Any] = old_template.get("Resources") or {}
    new_resources: dict[str, Any] = new_template.get("Resources") or {}
    old_values = resolved_parameters(old_template, stack.parameters or {})
    new_values = resolved_parameters(new_template, new_parameters or {})
    changed_parameters = {k for k in set(old_values) | set(new_values) if old_values.get(k) != new_values.get(k)}

    changes: list[ResourceChange] = []
    for logical_id, resource in new_resources.items():
        if logical_id not in old_resources:
            changes.append(ResourceChange("Add", logical_id, resource["Type"]))
    for logical_id, resource in new_resources.items():
        old = old_resources.get(logical_id)
        if old is None:
            continue
        resource_type = resource["Type"]
        details: list[dict[str, Any]]
        if old.get("Type") != resource_type:
            # A new type under the same logical id is a new resource in place of the old one.
            details = [
                {
                    "Target": {"Attribute": "Properties", "RequiresRecreation": ALWAYS},
                    "Evaluation": "Static",
                    "ChangeSource": "DirectModification",
                }
            ]
        else:
            details = _modify_details(resource_type, old, resource, changed_parameters)
        if not details:
            continue
        replacement = _replacement(details)
        policy_action = None
        if replacement != "False":
            policy_action = "ReplaceAndRetain" if old.get("UpdateReplacePolicy") == "Retain" else "ReplaceAndDelete"
        changes.append(
            ResourceChange(
                "Modify",
                logical_id,
                resource_type,
                physical_resource_id=_physical_id(stack, logical_id),
                replacement=replacement,
                scope=sorted({d["Target"]["Attribute"] for d in details}),
                details=details,
                policy_action=policy_action,
            )
        )
    for logical_id, resource in old_resources.items():
        if logical_id not in new_resources:
            changes.append(
                ResourceChange(
                    "Remove",
                    logical_id,
                    resource["Type"],
                    physical_resource_id=_physical_id(stack, logical_id),
                    policy_action="Retain" if resource.get("DeletionPolicy") == "Retain" else "Delete",
                )
            )
    return changes


def _without_resources(template: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in template.items() if k not in ("Resources", "Description", "Metadata")}


def has_changes(stack: Any, change_set: Any) -> bool:
    """Whether a change set would change anything: a resource, a parameter value or an output."""
    if change_set.changes:
        return True
    old_template = stack.template_dict or {}
    new_template = change_set.template_dict or {}
    if resolved_parameters(old_template, stack.parameters or {}) != resolved_parameters(
        new_template, change_set.parameters or {}
    ):
        return True
    return _without_resources(old_template) != _without_resources(new_template)


class ResourceHandlerError(ValidationError):
    """A resource's create, update or delete failed; the message reads as CloudFormation's handler reports it."""

    def __init__(self, message: str, handler_error_code: str = "InvalidRequest", service: str | None = None) -> None:
        where = f" (Service: {service})" if service else ""
        super().__init__(
            message=f'Resource handler returned message: "{message}"{where} (HandlerErrorCode: {handler_error_code})'
        )
        self.handler_message = message
        self.handler_error_code = handler_error_code


# Attribute set on an exception raised while a resource was created, updated or deleted: (action, logical id).
FAILED_RESOURCE = "_sandbox_failed_resource"


def _mark_failure(error: BaseException, action: str, logical_id: str) -> None:
    # The innermost resource wins: creating one resource may create those it refers to first.
    if getattr(error, FAILED_RESOURCE, None) is None:
        # An exception type with __slots__ keeps its plain message.
        with contextlib.suppress(AttributeError):
            setattr(error, FAILED_RESOURCE, (action, logical_id))


def error_message(error: BaseException) -> str:
    """The text of an error as an API response would carry it (moto's errors keep it in `message`)."""
    message = getattr(error, "message", None)
    return message if isinstance(message, str) and message else str(error)


def failure_reason(error: BaseException, default_action: str) -> str:
    """StackStatusReason for a failed operation: which resource failed to do what, and why."""
    failed = getattr(error, FAILED_RESOURCE, None)
    if failed is None:
        return f"The following resource(s) failed to {default_action}: {error_message(error)}"
    action, logical_id = failed
    return f"The following resource(s) failed to {action}: [{logical_id}]. {error_message(error)}"


class ChangeSetNotFoundException(CloudFormationError):
    code = "ChangeSetNotFoundException"

    def __init__(self, name: str) -> None:
        super().__init__(f"ChangeSet [{name}] does not exist")


class InvalidChangeSetStatusException(CloudFormationError):
    code = "InvalidChangeSetStatusException"


def find_stack(backend: Any, name_or_id: str) -> Any:
    for stack in backend.stacks.values():
        if name_or_id in (stack.name, stack.stack_id):
            return stack
    return None


def find_change_set(backend: Any, name_or_arn: str, stack_name: str | None) -> Any:
    """A change set by ARN, or by name within StackName (change set names are unique per stack only)."""
    if name_or_arn in backend.change_sets:
        return backend.change_sets[name_or_arn]
    if name_or_arn.startswith("arn:"):
        raise ChangeSetNotFoundException(name_or_arn)
    if not stack_name:
        raise ValidationError(message="StackName must be specified if ChangeSetName is not specified as an ARN.")
    stack = find_stack(backend, stack_name)
    if stack is None:
        raise ValidationError(stack_name)
    for change_set in backend.change_sets.values():
        if change_set.change_set_name == name_or_arn and change_set.stack_id == stack.stack_id:
            return change_set
    raise ChangeSetNotFoundException(name_or_arn)


_originals: dict[str, Any] = {}
_lock = threading.Lock()


def _diff(self: Any) -> list[ResourceChange]:
    return diff_stack(self.stack, self.template_dict, self.parameters)


def _backend_create_change_set(self: Any, *args: Any, **kwargs: Any) -> tuple[str, str]:
    change_set_type = kwargs.get("change_set_type", "CREATE")
    stack_name = kwargs["stack_name"]
    change_set_name = kwargs["change_set_name"]
    existing = find_stack(self, stack_name)
    if change_set_type == "CREATE" and existing is not None and existing.status != "REVIEW_IN_PROGRESS":
        raise AlreadyExistsException(f"Stack [{stack_name}] already exists")
    if change_set_type == "UPDATE" and existing is not None and existing.status == "REVIEW_IN_PROGRESS":
        raise ValidationError(
            message=f"Stack:{existing.stack_id} is in REVIEW_IN_PROGRESS state and can not be updated."
        )
    if existing is not None:
        for change_set in self.change_sets.values():
            if change_set.stack_id == existing.stack_id and change_set.change_set_name == change_set_name:
                raise AlreadyExistsException(f"ChangeSet [{change_set_name}] already exists")
    if change_set_type == "CREATE" and existing is not None:
        # Another CREATE change set for a stack still in review: moto would make a second stack.
        return _create_change_set_on(self, existing, **kwargs)
    change_set_id, stack_id = _originals["backend.create_change_set"](self, *args, **kwargs)
    change_set = self.change_sets[change_set_id]
    if change_set_type == "UPDATE":
        _settle_status(change_set)
    return change_set_id, stack_id


def _create_change_set_on(backend: Any, stack: Any, **kwargs: Any) -> tuple[str, str]:
    change_set_id = cfn_models.generate_changeset_id(kwargs["change_set_name"], backend.region_name, backend.account_id)
    change_set = cfn_models.ChangeSet(
        change_set_type=kwargs["change_set_type"],
        change_set_id=change_set_id,
        change_set_name=kwargs["change_set_name"],
        stack=stack,
        template=kwargs["template"],
        parameters=kwargs["parameters"],
        description=kwargs.get("description") or "",
        notification_arns=kwargs.get("notification_arns"),
        tags=kwargs.get("tags"),
        role_arn=kwargs.get("role_arn"),
    )
    change_set.status = "CREATE_COMPLETE"
    change_set.execution_status = "AVAILABLE"
    backend.change_sets[change_set_id] = change_set
    return change_set_id, stack.stack_id


def _settle_status(change_set: Any) -> None:
    if has_changes(change_set.stack, change_set):
        change_set.status = "CREATE_COMPLETE"
        change_set.execution_status = "AVAILABLE"
        change_set.status_reason = None
    else:
        change_set.status = "FAILED"
        change_set.execution_status = "UNAVAILABLE"
        change_set.status_reason = NO_CHANGES_REASON


def _delete_other_change_sets(backend: Any, change_set: Any) -> None:
    for change_set_id, other in list(backend.change_sets.items()):
        if other is not change_set and other.stack_id == change_set.stack_id:
            del backend.change_sets[change_set_id]


def _backend_execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
    change_set = find_change_set(self, change_set_name, stack_name)
    if change_set.status != "CREATE_COMPLETE" or change_set.execution_status != "AVAILABLE":
        raise InvalidChangeSetStatusException(
            f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current status of [{change_set.status}]"
        )
    stack = self.stacks[change_set.stack_id]
    executor = CHANGE_SET_EXECUTORS.get(change_set.change_set_type, execute_update)
    change_set.execution_status = "EXECUTE_IN_PROGRESS"
    executor(self, stack, change_set)
    _delete_other_change_sets(self, change_set)


def _record_template(stack: Any, template: Any, parameters: dict[str, Any] | None) -> None:
    stack.template = template
    stack._parse_template()
    stack.description = stack.template_dict.get("Description")
    if parameters is not None:
        stack.parameters = parameters
    stack.output_map = stack._create_output_map()


def execute_update(backend: Any, stack: Any, change_set: Any) -> None:
    """Applies a CREATE or UPDATE change set; on failure rolls the stack back to its previous template."""
    creating = change_set.change_set_type == "CREATE"
    prefix = "CREATE" if creating else "UPDATE"
    previous_template = stack.template
    previous_template_dict = copy.deepcopy(stack.template_dict or {})
    previous_parameters = dict(stack.parameters or {})
    stack.status = f"{prefix}_IN_PROGRESS"
    stack._add_stack_event(f"{prefix}_IN_PROGRESS", resource_status_reason="User Initiated")
    try:
        change_set.apply()
    except Exception as error:  # any resource failure rolls the stack back, as CloudFormation does
        reason = failure_reason(error, prefix.lower())
        _roll_back(stack, previous_template, previous_template_dict, previous_parameters, creating, reason)
        change_set.execution_status = "EXECUTE_FAILED"
        return
    _record_template(stack, change_set.template, change_set.parameters)
    if change_set.role_arn:
        stack.role_arn = change_set.role_arn
    stack.status = f"{prefix}_COMPLETE"
    stack.stack_status_reason = None
    stack._add_stack_event(f"{prefix}_COMPLETE")
    change_set.execution_status = "EXECUTE_COMPLETE"


def _roll_back(
    stack: Any,
    previous_template: Any,
    previous_template_dict: dict[str, Any],
    previous_parameters: dict[str, Any],
    creating: bool,
    reason: str,
) -> None:
    stack.stack_status_reason = reason
    if creating:
        stack.status = "ROLLBACK_IN_PROGRESS"
        stack._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=reason)
        try:
            stack.resource_map.delete()
        finally:
            stack.status = "ROLLBACK_COMPLETE"
            stack._add_stack_event("ROLLBACK_COMPLETE")
        return
    stack.status = "UPDATE_ROLLBACK_IN_PROGRESS"
    stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=reason)
    resource_map = stack.resource_map
    try:
        resource_map.update(copy.deepcopy(previous_template_dict), previous_parameters)
    except Exception as error:  # a failed rollback is its own AWS status
        stack.status = "UPDATE_ROLLBACK_FAILED"
        stack.stack_status_reason = f"{reason}; rollback failed: {error}"
        stack._add_stack_event("UPDATE_ROLLBACK_FAILED", resource_status_reason=stack.stack_status_reason)
        return
    finally:
        # Whatever the rollback managed, the stack keeps describing the template it had.
        resource_map._template = previous_template_dict
        resource_map._resource_json_map = previous_template_dict.get("Resources", {})
        _record_template(stack, previous_template, previous_parameters)
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
    stack.status = "UPDATE_ROLLBACK_COMPLETE"
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")


# Executors per ChangeSetType; cloudformation_import adds IMPORT.
CHANGE_SET_EXECUTORS: dict[str, Callable[[Any, Any, Any], None]] = {
    "CREATE": execute_update,
    "UPDATE": execute_update,
}


def _response_create_change_set(self: Any) -> ActionResult:
    # moto refuses an unchanged template with UpdateStack's "No updates are to be performed." when parameters
    # are passed; a change set instead FAILS with its own reason, which the backend sets.
    original_validate = self._validate_different_update
    self._validate_different_update = lambda *args, **kwargs: None
    try:
        result: ActionResult = _originals["response.create_change_set"](self)
    finally:
        self._validate_different_update = original_validate
    return result


def _response_describe_change_set(self: Any) -> ActionResult:
    change_set = find_change_set(
        self.cloudformation_backend, self._get_param("ChangeSetName"), self._get_param("StackName")
    )
    return ActionResult(change_set)


def _response_execute_change_set(self: Any) -> ActionResult:
    self.cloudformation_backend.execute_change_set(
        change_set_name=self._get_param("ChangeSetName"), stack_name=self._get_param("StackName")
    )
    return EmptyResult()


def _response_delete_change_set(self: Any) -> ActionResult:
    backend = self.cloudformation_backend
    change_set = find_change_set(backend, self._get_param("ChangeSetName"), self._get_param("StackName"))
    if change_set.execution_status == "EXECUTE_IN_PROGRESS":
        raise InvalidChangeSetStatusException(
            f"ChangeSet [{change_set.change_set_id}] cannot be deleted while it is executing"
        )
    del backend.change_sets[change_set.change_set_id]
    return EmptyResult()


def _response_list_change_sets(self: Any) -> ActionResult:
    backend = self.cloudformation_backend
    stack_name = self._get_param("StackName")
    stack = find_stack(backend, stack_name)
    if stack is None:
        raise ValidationError(stack_name)
    summaries = [cs for cs in backend.change_sets.values() if cs.stack_id == stack.stack_id]
    return ActionResult({"Summaries": summaries})


def _response_get_template(self: Any) -> ActionResult:
    change_set_name = self._get_param("ChangeSetName")
    if not change_set_name:
        result: ActionResult = _originals["response.get_template"](self)
        return result
    change_set = find_change_set(self.cloudformation_backend, change_set_name, self._get_param("StackName"))
    return ActionResult({"TemplateBody": change_set.template, "StagesAvailable": ["Original", "Processed"]})


def _parse_and_create_resource(
    logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str, region_name: str
) -> Any:
    try:
        return _originals["parsing.parse_and_create_resource"](
            logical_id, resource_json, resources_map, account_id=account_id, region_name=region_name
        )
    except Exception as error:
        _mark_failure(error, "create", logical_id)
        raise


def _parse_and_update_resource(
    logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str, region_name: str
) -> Any:
    try:
        updated = _originals["parsing.parse_and_update_resource"](
            logical_id, resource_json, resources_map, account_id=account_id, region_name=region_name
        )
    except Exception as error:
        _mark_failure(error, "update", logical_id)
        raise
    # moto returns None for a model without an update path, and the caller then stores None in the resource
    # map, losing the resource; keep the resource that exists.
    return updated if updated is not None else resources_map._parsed_resources.get(logical_id)


def _delete_resource(self: Any, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
    if resource_json.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate"):
        return
    try:
        _originals["parsing.ResourceMap._delete_resource"](self, parsed_resource, resource_json)
    except Exception as error:
        _mark_failure(error, "delete", str(getattr(parsed_resource, "logical_resource_id", "")))
        raise


PATCHES: tuple[tuple[str, Any, str, Any], ...] = (
    ("models.ChangeSet.diff", cfn_models.ChangeSet, "diff", _diff),
    (
        "backend.create_change_set",
        cfn_models.CloudFormationBackend,
        "create_change_set",
        _backend_create_change_set,
    ),
    (
        "backend.execute_change_set",
        cfn_models.CloudFormationBackend,
        "execute_change_set",
        _backend_execute_change_set,
    ),
    (
        "response.create_change_set",
        cfn_responses.CloudFormationResponse,
        "create_change_set",
        _response_create_change_set,
    ),
    (
        "response.describe_change_set",
        cfn_responses.CloudFormationResponse,
        "describe_change_set",
        _response_describe_change_set,
    ),
    (
        "response.execute_change_set",
        cfn_responses.CloudFormationResponse,
        "execute_change_set",
        _response_execute_change_set,
    ),
    (
        "response.delete_change_set",
        cfn_responses.CloudFormationResponse,
        "delete_change_set",
        _response_delete_change_set,
    ),
    (
        "response.list_change_sets",
        cfn_responses.CloudFormationResponse,
        "list_change_sets",
        _response_list_change_sets,
    ),
    ("response.get_template", cfn_responses.CloudFormationResponse, "get_template", _response_get_template),
    (
        "parsing.parse_and_create_resource",
        cfn_parsing,
        "parse_and_create_resource",
        _parse_and_create_resource,
    ),
    (
        "parsing.parse_and_update_resource",
        cfn_parsing,
        "parse_and_update_resource",
        _parse_and_update_resource,
    ),
    (
        "parsing.ResourceMap._delete_resource",
        cfn_parsing.ResourceMap,
        "_delete_resource",
        _delete_resource,
    ),
)


def install() -> None:
    """Patches moto's CloudFormation change sets; calling it again does nothing."""
    with _lock:
        if _originals:
            return
        for key, owner, attribute, replacement in PATCHES:
            _originals[key] = getattr(owner, attribute)
            setattr(owner, attribute, replacement)
