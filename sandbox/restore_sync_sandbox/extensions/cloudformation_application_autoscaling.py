"""Application Auto Scaling targets and policies in stacks, and the DynamoDB rules of its API, as in AWS.

AWS behaviour reproduced:
- AWS::ApplicationAutoScaling::ScalableTarget registers the target (RegisterScalableTarget) with MinCapacity,
  MaxCapacity, RoleARN, SuspendedState and puts its ScheduledActions. Ref and `Fn::GetAtt Id` give
  `<ResourceId>|<ScalableDimension>|<ServiceNamespace>`, the id a ScalingPolicy's ScalingTargetId takes. An
  update registers the new limits and suspended state on the same target (SuspendedState removed: nothing
  suspended) and puts, changes or deletes scheduled actions by name; ResourceId, ScalableDimension or
  ServiceNamespace changed: replacement (the new target registered, then the old one deregistered). Deleting
  the resource deregisters the target; a target already registered outside the stack fails the create
  (HandlerErrorCode AlreadyExists).
- AWS::ApplicationAutoScaling::ScalingPolicy puts the policy (PutScalingPolicy) for ScalingTargetId or for
  ResourceId/ScalableDimension/ServiceNamespace; Ref and `Fn::GetAtt Arn` give its ARN. An update of its
  configuration puts it again (same ARN); PolicyName, the target or PolicyType changed: replacement. Deleting
  the resource deletes the policy. A target tracking policy on DynamoDB gets its CloudWatch alarms
  (`TargetTracking-table/<name>-AlarmHigh-<uuid>` ...), as moto makes them; deleting the policy deletes them.
- The API, whether called by a stack or directly: registering a DynamoDB table or index that does not exist,
  or whose table is on-demand (PAY_PER_REQUEST), fails with ValidationException; a new target needs MinCapacity
  and MaxCapacity, with MinCapacity <= MaxCapacity; a target registered without RoleARN gets DynamoDB's
  service-linked role, and SuspendedState reads back with its three flags (false unless set). PutScalingPolicy
  for a target that is not registered fails with ObjectNotFoundException. Putting an existing policy again
  keeps its ARN and replaces its alarms. DeregisterScalableTarget also deletes the target's scaling policies
  (with their alarms) and scheduled actions.
- Values given as text by a parameter ("5", "true") are read as the numbers and booleans they stand for.

The wording of the two DynamoDB ValidationException messages is this sandbox's own (the exception type is
AWS's; AWS's exact text was not found in its documentation).

moto internals touched: moto skips both resource types ("Tried to parse ... but it's not supported"); the
models here are new direct subclasses of `CloudFormationModel`, and `install()` clears moto's cached model map
(`get_model_list`, `get_model_map`, `get_name_type_map`). Patched: `ApplicationAutoscalingBackend.
register_scalable_target` / `deregister_scalable_target` / `put_scaling_policy` (the API rules above).
"""

from __future__ import annotations

import copy
import re
import threading
from typing import Any

from moto.applicationautoscaling.exceptions import AWSValidationException
from moto.applicationautoscaling.models import (
    ApplicationAutoscalingBackend,
    FakeApplicationAutoscalingPolicy,
    FakeScalableTarget,
    applicationautoscaling_backends,
)
from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.core.common_models import CloudFormationModel
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.models import dynamodb_backends

from restore_sync_sandbox.extensions.cloudformation_changesets import ResourceHandlerError, error_message

TARGET_TYPE = "AWS::ApplicationAutoScaling::ScalableTarget"
POLICY_TYPE = "AWS::ApplicationAutoScaling::ScalingPolicy"

# The model map caches of moto's CloudFormation, cleared so that they see the models here.
MODEL_CACHES = ("get_model_list", "get_model_map", "get_name_type_map")

TARGET_KEY = ("ResourceId", "ScalableDimension", "ServiceNamespace")
POLICY_REPLACING = ("PolicyName", "PolicyType", "ScalingTargetId", *TARGET_KEY)
SUSPENDED_FLAGS = ("DynamicScalingInSuspended", "DynamicScalingOutSuspended", "ScheduledScalingSuspended")
DYNAMODB_ROLE = (
    "arn:aws:iam::{account}:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable"
)
_SCHEDULE = re.compile(r"^(at|rate|cron)\(.+\)$")
_DYNAMODB_RESOURCE = re.compile(r"^table/(?P<table>[^/]+)(?:/index/(?P<index>[^/]+))?$")

_originals: dict[str, Any] = {}
_lock = threading.Lock()


class ObjectNotFoundException(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("ObjectNotFoundException", message)


def _backend(account_id: str, region_name: str) -> ApplicationAutoscalingBackend:
    backend: ApplicationAutoscalingBackend = applicationautoscaling_backends[account_id][region_name]
    return backend


def _as_int(name: str, value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise AWSValidationException(f"Value {value!r} for {name} is not an integer") from None


def _as_bool(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _check_dynamodb_resource(account_id: str, region_name: str, resource_id: str) -> None:
    match = _DYNAMODB_RESOURCE.match(resource_id)
    if match is None:
        return  # moto's own check rejects a malformed id
    table = dynamodb_backends[account_id][region_name].tables.get(match["table"])
    if table is None:
        raise AWSValidationException(f"Table not found: {match['table']} (resource ID: {resource_id})")
    if table.billing_mode == "PAY_PER_REQUEST":
        raise AWSValidationException(
            f"Table {match['table']} is in on-demand capacity mode (PAY_PER_REQUEST): only the provisioned "
            f"capacity of a PROVISIONED table can be scaled (resource ID: {resource_id})"
        )
    if match["index"] and match["index"] not in {index.name for index in table.global_indexes}:
        raise AWSValidationException(
            f"Global secondary index {match['index']} not found on table {match['table']} (resource ID: {resource_id})"
        )


def _register(
    self: ApplicationAutoscalingBackend,
    namespace: str,
    r_id: str,
    dimension: str,
    min_capacity: int | None,
    max_capacity: int | None,
    role_arn: str | None,
    suspended_state: dict[str, Any] | None,
) -> FakeScalableTarget:
    registered: dict[str, FakeScalableTarget] = self.targets.get(dimension) or {}
    existing = registered.get(r_id)
    if namespace == "dynamodb":
        _check_dynamodb_resource(self.account_id, self.region_name, r_id)
    if existing is None and (min_capacity is None or max_capacity is None):
        raise AWSValidationException("MinCapacity and MaxCapacity are required for registering a new scalable target")
    low = min_capacity if min_capacity is not None else getattr(existing, "min_capacity", None)
    high = max_capacity if max_capacity is not None else getattr(existing, "max_capacity", None)
    if low is not None and high is not None and low > high:
        raise AWSValidationException("Minimum capacity cannot be greater than maximum capacity")
    if existing is None and not role_arn and namespace == "dynamodb":
        role_arn = DYNAMODB_ROLE.format(account=self.account_id)
    if suspended_state is not None:
        # moto annotates the stored state as text; the API stores the request's map.
        base: dict[str, Any] = getattr(existing, "suspended_state", None) or {}
        suspended_state = {flag: bool(suspended_state.get(flag, base.get(flag, False))) for flag in SUSPENDED_FLAGS}
    elif existing is None:
        suspended_state = dict.fromkeys(SUSPENDED_FLAGS, False)
    target: FakeScalableTarget = _originals["register"](
        self, namespace, r_id, dimension, min_capacity, max_capacity, role_arn, suspended_state
    )
    return target


def _deregister(self: ApplicationAutoscalingBackend, namespace: str, r_id: str, dimension: str) -> None:
    _originals["deregister"](self, namespace, r_id, dimension)
    for key, policy in list(self.policies.items()):
        if (policy.service_namespace, policy.resource_id, policy.scalable_dimension) == (namespace, r_id, dimension):
            policy.delete_alarms(self.account_id, self.region_name)
            del self.policies[key]
    self.scheduled_actions = [
        action
        for action in self.scheduled_actions
        if (action.service_namespace, action.resource_id, action.scalable_dimension) != (namespace, r_id, dimension)
    ]


def _put_policy(
    self: ApplicationAutoscalingBackend,
    policy_name: str,
    service_namespace: str,
    resource_id: str,
    scalable_dimension: str,
    policy_body: dict[str, Any],
    policy_type: str | None,
) -> FakeApplicationAutoscalingPolicy:
    if resource_id not in self.targets.get(scalable_dimension, {}):
        raise ObjectNotFoundException(
            f"No scalable target registered for service namespace: {service_namespace}, resource ID: "
            f"{resource_id}, scalable dimension: {scalable_dimension}"
        )
    key = FakeApplicationAutoscalingPolicy.formulate_key(
        service_namespace, resource_id, scalable_dimension, policy_name
    )
    previous = self.policies.get(key)
    policy: FakeApplicationAutoscalingPolicy = _originals["put_policy"](
        self, policy_name, service_namespace, resource_id, scalable_dimension, policy_body, policy_type
    )
    if previous is not None and previous is not policy:
        # An update of a policy keeps its ARN; its alarms are made again for the new configuration.
        previous.delete_alarms(self.account_id, self.region_name)
        policy.delete_alarms(self.account_id, self.region_name)
        policy._guid = previous._guid
        policy.policy_arn = previous.policy_arn
        policy.creation_time = previous.creation_time
        policy.alarms = []
        policy.create_alarms()
    return policy


def _handler_error(error: Exception) -> ResourceHandlerError:
    kind = getattr(error, "error_type", "")
    code = {"ObjectNotFoundException": "NotFound", "ValidationException": "InvalidRequest"}.get(
        kind, "GeneralServiceException"
    )
    return ResourceHandlerError(error_message(error), code, service="ApplicationAutoScaling")


def target_id(resource_id: str, dimension: str, namespace: str) -> str:
    """The id CloudFormation gives a scalable target (its Ref), which ScalingTargetId takes."""
    return f"{resource_id}|{dimension}|{namespace}"


def _scheduled_actions(properties: dict[str, Any]) -> dict[str, dict[str, Any]]:
    actions: dict[str, dict[str, Any]] = {}
    for action in properties.get("ScheduledActions") or []:
        name = action.get("ScheduledActionName")
        schedule = action.get("Schedule")
        if not name or not isinstance(schedule, str) or not _SCHEDULE.match(schedule):
            raise AWSValidationException(
                f"Scheduled action {name!r}: Schedule must be at(...), rate(...) or cron(...), got {schedule!r}"
            )
        limits = action.get("ScalableTargetAction") or {}
        action = {**action, "ScalableTargetAction": {k: _as_int(k, v) for k, v in limits.items() if v is not None}}
        actions[name] = action
    return actions


class ScalableTarget(CloudFormationModel):
    """One AWS::ApplicationAutoScaling::ScalableTarget of a stack."""

    def __init__(self, account_id: str, region_name: str, properties: dict[str, Any]) -> None:
        self.account_id = account_id
        self.region_name = region_name
        self.properties = copy.deepcopy(properties)
        self.resource_id = str(properties.get("ResourceId"))
        self.scalable_dimension = str(properties.get("ScalableDimension"))
        self.service_namespace = str(properties.get("ServiceNamespace"))

    @property
    def physical_resource_id(self) -> str:
        return target_id(self.resource_id, self.scalable_dimension, self.service_namespace)

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return TARGET_TYPE

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Id"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Id":
            return self.physical_resource_id
        raise UnformattedGetAttTemplateException()

    def apply(self, properties: dict[str, Any], creating: bool) -> None:
        """Registers the target with `properties` and puts, changes or deletes its scheduled actions."""
        # moto's annotations of these backend methods are narrower than the values the API passes (None, dicts).
        backend: Any = _backend(self.account_id, self.region_name)
        key = (self.service_namespace, self.resource_id, self.scalable_dimension)
        try:
            if creating and self.resource_id in backend.targets.get(self.scalable_dimension, {}):
                raise ResourceHandlerError(
                    f"{self.physical_resource_id} already exists", "AlreadyExists", service="ApplicationAutoScaling"
                )
            suspended = properties.get("SuspendedState") or {}
            actions = _scheduled_actions(properties)
            backend.register_scalable_target(
                self.service_namespace,
                self.resource_id,
                self.scalable_dimension,
                min_capacity=_as_int("MinCapacity", properties.get("MinCapacity")),
                max_capacity=_as_int("MaxCapacity", properties.get("MaxCapacity")),
                role_arn=properties.get("RoleARN"),
                suspended_state={flag: _as_bool(suspended.get(flag)) for flag in SUSPENDED_FLAGS},
            )
            dropped = set() if creating else set(_scheduled_actions(self.properties)) - set(actions)
            for name in sorted(dropped):
                backend.delete_scheduled_action(self.service_namespace, name, self.resource_id, self.scalable_dimension)
            for name, action in actions.items():
                backend.put_scheduled_action(
                    service_namespace=key[0],
                    schedule=action["Schedule"],
                    timezone=action.get("Timezone"),
                    scheduled_action_name=name,
                    resource_id=key[1],
                    scalable_dimension=key[2],
                    start_time=action.get("StartTime"),
                    end_time=action.get("EndTime"),
                    scalable_target_action=action["ScalableTargetAction"],
                )
        except JsonRESTError as error:
            raise _handler_error(error) from error
        self.properties = copy.deepcopy(properties)

    def delete(self, account_id: str, region_name: str) -> None:
        """Deregisters the target (with its policies and scheduled actions); one already gone is no error."""
        backend = _backend(self.account_id, self.region_name)
        if self.resource_id in backend.targets.get(self.scalable_dimension, {}):
            backend.deregister_scalable_target(self.service_namespace, self.resource_id, self.scalable_dimension)

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> ScalableTarget:
        properties = cloudformation_json.get("Properties") or {}
        target = cls(account_id, region_name, properties)
        target.apply(properties, creating=True)
        return target

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: ScalableTarget,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> ScalableTarget:
        properties = cloudformation_json.get("Properties") or {}
        if any(str(properties.get(name)) != str(original_resource.properties.get(name)) for name in TARGET_KEY):
            replacement = cls.create_from_cloudformation_json(
                new_resource_name, cloudformation_json, account_id, region_name
            )
            original_resource.delete(account_id, region_name)
            return replacement
        original_resource.apply(properties, creating=False)
        return original_resource

    def is_created(self) -> bool:
        return True


class ScalingPolicy(CloudFormationModel):
    """One AWS::ApplicationAutoScaling::ScalingPolicy of a stack."""

    def __init__(self, account_id: str, region_name: str, properties: dict[str, Any]) -> None:
        self.account_id = account_id
        self.region_name = region_name
        self.properties = copy.deepcopy(properties)
        self.policy_name = str(properties.get("PolicyName"))
        self.resource_id, self.scalable_dimension, self.service_namespace = self.target_of(properties)
        self.policy_arn = ""

    @staticmethod
    def target_of(properties: dict[str, Any]) -> tuple[str, str, str]:
        """(ResourceId, ScalableDimension, ServiceNamespace) from ScalingTargetId or the three properties."""
        scaling_target = properties.get("ScalingTargetId")
        if scaling_target:
            parts = str(scaling_target).split("|")
            if len(parts) != 3:
                raise ResourceHandlerError(
                    f"Invalid ScalingTargetId {scaling_target}: expected the Ref of a ScalableTarget",
                    "InvalidRequest",
                )
            return parts[0], parts[1], parts[2]
        missing = [name for name in TARGET_KEY if not properties.get(name)]
        if missing:
            raise ResourceHandlerError(
                f"ScalingTargetId or {', '.join(TARGET_KEY)} must be specified (missing {', '.join(missing)})",
                "InvalidRequest",
            )
        return str(properties["ResourceId"]), str(properties["ScalableDimension"]), str(properties["ServiceNamespace"])

    @property
    def physical_resource_id(self) -> str:
        return self.policy_arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return POLICY_TYPE

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Arn":
            return self.policy_arn
        raise UnformattedGetAttTemplateException()

    def apply(self, properties: dict[str, Any]) -> None:
        """Puts the policy with the configuration in `properties`."""
        policy_type = properties.get("PolicyType")
        body = copy.deepcopy(
            properties.get("TargetTrackingScalingPolicyConfiguration")
            if policy_type == "TargetTrackingScaling"
            else properties.get("StepScalingPolicyConfiguration")
        )
        try:
            if policy_type == "TargetTrackingScaling":
                body = _tracking_configuration(body)
            policy = _backend(self.account_id, self.region_name).put_scaling_policy(
                self.policy_name,
                self.service_namespace,
                self.resource_id,
                self.scalable_dimension,
                body or {},
                policy_type,
            )
        except JsonRESTError as error:
            raise _handler_error(error) from error
        self.policy_arn = policy.policy_arn
        self.properties = copy.deepcopy(properties)

    def delete(self, account_id: str, region_name: str) -> None:
        """Deletes the policy and its alarms; one already gone (with its target) is no error."""
        backend = _backend(self.account_id, self.region_name)
        key = FakeApplicationAutoscalingPolicy.formulate_key(
            self.service_namespace, self.resource_id, self.scalable_dimension, self.policy_name
        )
        if key in backend.policies:
            backend.delete_scaling_policy(
                self.policy_name, self.service_namespace, self.resource_id, self.scalable_dimension
            )

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> ScalingPolicy:
        properties = cloudformation_json.get("Properties") or {}
        policy = cls(account_id, region_name, properties)
        policy.apply(properties)
        return policy

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: ScalingPolicy,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> ScalingPolicy:
        properties = cloudformation_json.get("Properties") or {}
        old = original_resource.properties
        if any(properties.get(name) != old.get(name) for name in POLICY_REPLACING):
            replacement = cls.create_from_cloudformation_json(
                new_resource_name, cloudformation_json, account_id, region_name
            )
            if (replacement.policy_name, replacement.target_of(properties)) != (
                original_resource.policy_name,
                original_resource.target_of(old),
            ):
                original_resource.delete(account_id, region_name)
            return replacement
        original_resource.apply(properties)
        return original_resource

    def is_created(self) -> bool:
        return True


def _tracking_configuration(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or body.get("TargetValue") is None:
        raise AWSValidationException("TargetTrackingScalingPolicyConfiguration.TargetValue must be specified")
    try:
        body["TargetValue"] = float(body["TargetValue"])
    except (TypeError, ValueError):
        raise AWSValidationException(f"Invalid TargetValue: {body['TargetValue']!r}") from None
    for name in ("ScaleInCooldown", "ScaleOutCooldown"):
        if name in body:
            body[name] = _as_int(name, body[name])
    if "DisableScaleIn" in body:
        body["DisableScaleIn"] = _as_bool(body["DisableScaleIn"])
    return body


PATCHES: tuple[tuple[str, str, Any], ...] = (
    ("register", "register_scalable_target", _register),
    ("deregister", "deregister_scalable_target", _deregister),
    ("put_policy", "put_scaling_policy", _put_policy),
)


def install() -> None:
    """Makes stacks create both resource types and gives the API its DynamoDB rules; idempotent."""
    with _lock:
        if not _originals:
            for key, attribute, replacement in PATCHES:
                _originals[key] = getattr(ApplicationAutoscalingBackend, attribute)
                setattr(ApplicationAutoscalingBackend, attribute, replacement)
        model_map = cfn_parsing.get_model_map()
        if model_map.get(TARGET_TYPE) is ScalableTarget and model_map.get(POLICY_TYPE) is ScalingPolicy:
            return
        for name in MODEL_CACHES:
            getattr(cfn_parsing, name).cache_clear()
        model_map = cfn_parsing.get_model_map()
        if model_map.get(TARGET_TYPE) is not ScalableTarget or model_map.get(POLICY_TYPE) is not ScalingPolicy:
            raise RuntimeError("moto changed: its CloudFormation model map does not pick up the auto scaling models")
