"""CloudFormation IMPORT change sets: existing resources adopted by a stack, never created again.

Types: AWS::DynamoDB::Table, AWS::ApplicationAutoScaling::ScalableTarget and ::ScalingPolicy, AWS::CloudWatch::Alarm
and AWS::Lambda::EventSourceMapping, each found by its registry schema's primaryIdentifier (cfn-lint's data: TableName;
ResourceId, ScalableDimension and ServiceNamespace; Arn and ScalableDimension; AlarmName; Id). An imported resource
is the stack's from then on: the next UPDATE compares the new template with the one it was imported with and
changes it in place (or replaces it) as for any resource the stack created.

AWS behaviour reproduced:
- CreateChangeSet with ChangeSetType IMPORT keeps ResourcesToImport. For a new stack the stack is
  REVIEW_IN_PROGRESS until the change set is executed; an existing stack can import too. The change set lists
  each resource with Action Import and its identifier as PhysicalResourceId.
- Refused at once with a ValidationError, as AWS does: a resource type that cannot be imported, a logical id
  not in the template or of another type, an imported resource without DeletionPolicy ("The following
  resources to import [...] must have DeletionPolicy attribute specified in the template."), and any other
  change in the same operation (resources added, changed or removed, or Outputs).
- A resource another stack holds (even one deleted outside that stack, whose record the stack keeps) is refused:
  "Resources [<logical id>] passed in ResourceToImport are already in a stack and cannot be imported."
- A resource to import that does not exist: the change set is FAILED with a reason, ExecutionStatus
  UNAVAILABLE.
- ExecuteChangeSet: IMPORT_IN_PROGRESS, the existing resource is seated in the stack's resource map (its
  data untouched), the template recorded, IMPORT_COMPLETE. If a resource vanished meanwhile,
  IMPORT_ROLLBACK_COMPLETE and the change set EXECUTE_FAILED.

moto internals patched: `CloudFormationResponse.create_change_set` (IMPORT only; other types go to the
previous implementation), and the IMPORT executor of the change sets extension (`CHANGE_SET_EXECUTORS`).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.awslambda.models import lambda_backends
from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation import responses as cfn_responses
from moto.cloudformation.exceptions import AlreadyExistsException, ValidationError
from moto.cloudformation.utils import generate_changeset_id, generate_stack_id, validate_create_change_set
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.responses import ActionResult
from moto.dynamodb.models import dynamodb_backends

from restore_sync_sandbox.extensions import cloudformation_application_autoscaling as autoscaling_model
from restore_sync_sandbox.extensions import cloudformation_changesets as changesets
from restore_sync_sandbox.extensions import cloudformation_cloudwatch_alarm as alarm_model
from restore_sync_sandbox.extensions import cloudformation_dynamodb_table as table_model
from restore_sync_sandbox.extensions import cloudformation_event_source_mapping as mapping_model

IMPORT_REVIEW_REASON = (
    "Verify that resources and their properties defined in the template match the intended configuration of "
    "the resource import to avoid unexpected changes."
)


def _find_table(account_id: str, region: str, identifier: dict[str, str]) -> Any:
    return dynamodb_backends[account_id][region].tables.get(identifier.get("TableName", ""))


def _seat_table(resource: Any, properties: dict[str, Any]) -> None:
    table_model.remember_properties(resource, properties)


def _find_scalable_target(account_id: str, region: str, identifier: dict[str, str]) -> Any:
    backend = applicationautoscaling_backends[account_id][region]
    found = backend.targets.get(identifier["ScalableDimension"], {}).get(identifier["ResourceId"])
    if found is None or found.service_namespace != identifier["ServiceNamespace"]:
        return None
    return autoscaling_model.ScalableTarget(account_id, region, dict(identifier))  # type: ignore[abstract]


def _find_scaling_policy(account_id: str, region: str, identifier: dict[str, str]) -> Any:
    backend = applicationautoscaling_backends[account_id][region]
    for policy in list(backend.policies.values()):
        if policy.policy_arn == identifier["Arn"] and policy.scalable_dimension == identifier["ScalableDimension"]:
            model = autoscaling_model.ScalingPolicy(  # type: ignore[abstract]
                account_id,
                region,
                {
                    "PolicyName": policy.policy_name,
                    "ResourceId": policy.resource_id,
                    "ScalableDimension": policy.scalable_dimension,
                    "ServiceNamespace": policy.service_namespace,
                },
            )
            model.policy_arn = policy.policy_arn
            return model
    return None


def _find_alarm(account_id: str, region: str, identifier: dict[str, str]) -> Any:
    alarm = cloudwatch_backends[account_id][region].alarms.get(identifier["AlarmName"])
    if alarm is None:
        return None
    model = alarm_model.MetricAlarm(account_id, region, alarm.name, {})  # type: ignore[abstract]
    model.arn = alarm.alarm_arn
    return model


def _find_mapping(account_id: str, region: str, identifier: dict[str, str]) -> Any:
    return lambda_backends[account_id][region]._event_source_mappings.get(identifier["Id"])


def _seat_properties(resource: Any, properties: dict[str, Any]) -> None:
    # The stack's record of the resource from now on: the next update applies what differs from it.
    resource.properties = copy.deepcopy(properties)


class Importer:
    """How one resource type is found by its identifier (its registry schema's primaryIdentifier) and adopted."""

    def __init__(
        self,
        identifier_keys: tuple[str, ...],
        find: Callable[[str, str, dict[str, str]], Any],
        seat: Callable[[Any, dict[str, Any]], None] | None = None,
        physical_id: Callable[[dict[str, str]], str] | None = None,
    ) -> None:
        self.identifier_keys = identifier_keys
        self.find = find
        self.seat = seat
        # What the stack shows as the resource's PhysicalResourceId (its Ref).
        self.physical_id = physical_id or (lambda identifier: identifier[identifier_keys[0]])


IMPORTERS: dict[str, Importer] = {
    "AWS::DynamoDB::Table": Importer(("TableName",), _find_table, _seat_table),
    autoscaling_model.TARGET_TYPE: Importer(
        autoscaling_model.TARGET_KEY,
        _find_scalable_target,
        _seat_properties,
        lambda identifier: autoscaling_model.target_id(*(identifier[k] for k in autoscaling_model.TARGET_KEY)),
    ),
    autoscaling_model.POLICY_TYPE: Importer(("Arn", "ScalableDimension"), _find_scaling_policy, _seat_properties),
    alarm_model.RESOURCE_TYPE: Importer(("AlarmName",), _find_alarm, _seat_properties),
    "AWS::Lambda::EventSourceMapping": Importer(("Id",), _find_mapping, mapping_model.remember_properties),
}


def _identifier_text(identifier: dict[str, str]) -> str:
    return ",".join(f"{key}={value}" for key, value in sorted(identifier.items()))


def _validate(
    stack: Any, template: dict[str, Any], resources_to_import: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    resources: dict[str, Any] = template.get("Resources") or {}
    unsupported = sorted({r.get("ResourceType", "") for r in resources_to_import} - set(IMPORTERS))
    if unsupported:
        raise ValidationError(message=f"ResourceTypes [{', '.join(unsupported)}] are not supported for Import")
    imports: dict[str, dict[str, Any]] = {}
    for item in resources_to_import:
        logical_id = item.get("LogicalResourceId", "")
        resource = resources.get(logical_id)
        if resource is None or resource.get("Type") != item["ResourceType"]:
            raise ValidationError(
                message=f"Resource [{logical_id}] of type [{item['ResourceType']}] to import is not in the "
                "template or has a different type"
            )
        identifier = item.get("ResourceIdentifier") or {}
        keys = IMPORTERS[item["ResourceType"]].identifier_keys
        if sorted(identifier) != sorted(keys):
            raise ValidationError(
                message=f"Invalid ResourceIdentifier for [{logical_id}]: expected [{', '.join(keys)}]"
            )
        imports[logical_id] = item
    missing_policy = [lid for lid in imports if not resources[lid].get("DeletionPolicy")]
    if missing_policy:
        raise ValidationError(
            message=f"The following resources to import [{', '.join(missing_policy)}] must have "
            "DeletionPolicy attribute specified in the template."
        )
    old_template = (stack.template_dict if stack is not None else None) or {}
    old_resources: dict[str, Any] = old_template.get("Resources") or {}
    already = [lid for lid in imports if lid in old_resources]
    if already:
        raise ValidationError(message=f"Resources [{', '.join(already)}] already exist in the stack")
    modified = sorted(
        lid
        for lid in set(resources) | set(old_resources)
        if lid not in imports and resources.get(lid) != old_resources.get(lid)
    )
    if modified:
        raise ValidationError(
            message=f"You have modified resources [{', '.join(modified)}] in your template that are not "
            "being imported. Update, create or delete operations cannot be executed during import operations."
        )
    if (template.get("Outputs") or {}) != (old_template.get("Outputs") or {}):
        raise ValidationError(message="As part of the import operation, you cannot modify or add [Outputs]")
    return imports


def holder(backend: Any, resource_type: str, physical_id: str, besides: Any = None) -> Any:
    """The live stack (other than `besides`) whose resources hold `physical_id` of `resource_type`, or None. A
    stack keeps its record of a resource deleted outside it: the name stays claimed until the stack lets go."""
    for stack in list(backend.stacks.values()):
        if stack is besides or stack.status == "DELETE_COMPLETE":
            continue
        declared = (stack.template_dict or {}).get("Resources") or {}
        for logical_id, resource in list(stack.resource_map.items()):
            same_type = (declared.get(logical_id) or {}).get("Type") == resource_type
            if same_type and getattr(resource, "physical_resource_id", None) == physical_id:
                return stack
    return None


def create_import_change_set(
    backend: Any,
    stack_name: str,
    change_set_name: str,
    template: str,
    parameters: dict[str, Any],
    description: str | None,
    resources_to_import: list[dict[str, Any]],
    role_arn: str | None = None,
    tags: dict[str, str] | None = None,
    notification_arns: list[str] | None = None,
) -> tuple[str, str]:
    """Creates an IMPORT change set (and its REVIEW_IN_PROGRESS stack when new).

    Returns (change set id, stack id). Raises ValidationError where CreateChangeSet refuses the import.
    """
    validate_create_change_set(change_set_name)
    if not resources_to_import:
        raise ValidationError(message="ResourcesToImport must be specified for an IMPORT change set")
    template_dict = cfn_models.Stack.parse_template(template)
    stack = changesets.find_stack(backend, stack_name)
    if stack is not None and stack.status.endswith("_IN_PROGRESS") and stack.status != "REVIEW_IN_PROGRESS":
        raise ValidationError(message=f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.")
    if stack is not None and stack.status == "REVIEW_IN_PROGRESS":
        # A stack still in review has no template yet: the import may only bring its resources.
        imports = _validate(None, template_dict, resources_to_import)
    else:
        imports = _validate(stack, template_dict, resources_to_import)
    claimed = [
        lid
        for lid, item in imports.items()
        if holder(
            backend,
            item["ResourceType"],
            IMPORTERS[item["ResourceType"]].physical_id(item["ResourceIdentifier"]),
            stack,
        )
    ]
    if claimed:
        raise ValidationError(
            message=f"Resources [{', '.join(claimed)}] passed in ResourceToImport are already in a stack and cannot be "
            "imported."
        )
    if stack is not None:
        for existing in backend.change_sets.values():
            if existing.stack_id == stack.stack_id and existing.change_set_name == change_set_name:
                raise AlreadyExistsException(f"ChangeSet [{change_set_name}] already exists")
    else:
        stack = cfn_models.Stack(  # type: ignore[abstract]
            stack_id=generate_stack_id(stack_name, backend.region_name, backend.account_id),
            name=stack_name,
            template={},
            parameters=parameters,
            account_id=backend.account_id,
            region_name=backend.region_name,
            notification_arns=notification_arns,
            tags=tags,
            role_arn=role_arn,
        )
        backend.stacks[stack.stack_id] = stack
        stack.status = "REVIEW_IN_PROGRESS"
        stack._add_stack_event("REVIEW_IN_PROGRESS", resource_status_reason="User Initiated")

    change_set_id = generate_changeset_id(change_set_name, backend.region_name, backend.account_id)
    change_set = cfn_models.ChangeSet(
        change_set_type="IMPORT",
        change_set_id=change_set_id,
        change_set_name=change_set_name,
        stack=stack,
        template=template,
        parameters=parameters,
        description=description or "",
        notification_arns=notification_arns,
        tags=tags,
        role_arn=role_arn,
    )
    change_set.resources_to_import = copy.deepcopy(resources_to_import)  # type: ignore[attr-defined]
    import_changes: list[Any] = [
        changesets.ResourceChange(
            "Import",
            logical_id,
            item["ResourceType"],
            physical_resource_id=IMPORTERS[item["ResourceType"]].physical_id(item["ResourceIdentifier"]),
        )
        for logical_id, item in imports.items()
    ]
    change_set.changes = import_changes
    missing = [
        f"{logical_id} ({_identifier_text(item['ResourceIdentifier'])})"
        for logical_id, item in imports.items()
        if IMPORTERS[item["ResourceType"]].find(backend.account_id, backend.region_name, item["ResourceIdentifier"])
        is None
    ]
    if missing:
        change_set.status = "FAILED"
        change_set.execution_status = "UNAVAILABLE"
        change_set.status_reason = (
            f"Import failed: the following resources to import do not exist: [{', '.join(missing)}]"
        )
    else:
        change_set.status = "CREATE_COMPLETE"
        change_set.execution_status = "AVAILABLE"
        change_set.status_reason = IMPORT_REVIEW_REASON
    backend.change_sets[change_set_id] = change_set
    return change_set_id, stack.stack_id


def _find(backend: Any, item: dict[str, Any]) -> Any:
    importer = IMPORTERS[item["ResourceType"]]
    return importer.find(backend.account_id, backend.region_name, item["ResourceIdentifier"])


def execute_import(backend: Any, stack: Any, change_set: Any) -> None:
    """Seats each imported resource in the stack's resource map and records the template."""
    stack.status = "IMPORT_IN_PROGRESS"
    stack._add_stack_event("IMPORT_IN_PROGRESS", resource_status_reason="User Initiated")
    template_dict = copy.deepcopy(change_set.template_dict)
    found: dict[str, Any] = {}
    for item in change_set.resources_to_import:
        resource = _find(backend, item)
        if resource is None:
            reason = (
                f"Import of [{item['LogicalResourceId']}] failed: resource "
                f"({_identifier_text(item['ResourceIdentifier'])}) does not exist"
            )
            stack.stack_status_reason = reason
            stack.status = "IMPORT_ROLLBACK_IN_PROGRESS"
            stack._add_stack_event("IMPORT_ROLLBACK_IN_PROGRESS", resource_status_reason=reason)
            stack.status = "IMPORT_ROLLBACK_COMPLETE"
            stack._add_stack_event("IMPORT_ROLLBACK_COMPLETE")
            change_set.execution_status = "EXECUTE_FAILED"
            return
        found[item["LogicalResourceId"]] = (item, resource)

    resource_map = stack.resource_map
    resource_map._template = template_dict
    resource_map._resource_json_map = template_dict.get("Resources", {})
    resource_map.input_parameters = change_set.parameters or {}
    resource_map.load()
    for logical_id, (item, resource) in found.items():
        resource.cf_resource_type = item["ResourceType"]
        resource.logical_resource_id = logical_id
        resource_map._parsed_resources[logical_id] = resource
    # Seated once all are in the map: resolving a Ref to a resource not in it yet would create that resource.
    for logical_id, (item, resource) in found.items():
        seat = IMPORTERS[item["ResourceType"]].seat
        if seat is not None:
            resource_json = copy.deepcopy(resource_map._resource_json_map[logical_id])
            properties = cfn_parsing.clean_json(resource_json.get("Properties") or {}, resource_map)
            seat(resource, properties)
    changesets._record_template(stack, change_set.template, change_set.parameters or {})
    if change_set.role_arn:
        stack.role_arn = change_set.role_arn
    stack.status = "IMPORT_COMPLETE"
    stack.stack_status_reason = None
    stack._add_stack_event("IMPORT_COMPLETE")
    change_set.execution_status = "EXECUTE_COMPLETE"


_originals: dict[str, Any] = {}
_lock = threading.Lock()


def _response_create_change_set(self: Any) -> ActionResult:
    if self._get_param("ChangeSetType") != "IMPORT":
        result: ActionResult = _originals["response.create_change_set"](self)
        return result
    template = self._get_param("TemplateBody")
    template_url = self._get_param("TemplateURL")
    if template_url:
        template = self._get_stack_from_s3_url(template_url)
    if not template:
        raise ValidationError(message="Either Template URL or Template Body must be specified.")
    parameters = {p["ParameterKey"]: p.get("ParameterValue") for p in self._get_param("Parameters", [])}
    change_set_id, stack_id = create_import_change_set(
        self.cloudformation_backend,
        stack_name=self._get_param("StackName"),
        change_set_name=self._get_param("ChangeSetName"),
        template=template,
        parameters=parameters,
        description=self._get_param("Description"),
        resources_to_import=self._get_param("ResourcesToImport", []),
        role_arn=self._get_param("RoleARN"),
        tags={t["Key"]: t["Value"] for t in self._get_param("Tags", [])},
        notification_arns=self._get_param("NotificationARNs", []),
    )
    return ActionResult({"Id": change_set_id, "StackId": stack_id})


def install() -> None:
    """Adds IMPORT change sets to moto's CloudFormation; calling it again does nothing."""
    with _lock:
        if _originals:
            return
        changesets.install()
        table_model.install()
        _originals["response.create_change_set"] = cfn_responses.CloudFormationResponse.create_change_set
        cfn_responses.CloudFormationResponse.create_change_set = _response_create_change_set  # type: ignore[method-assign]
        changesets.CHANGE_SET_EXECUTORS["IMPORT"] = execute_import
