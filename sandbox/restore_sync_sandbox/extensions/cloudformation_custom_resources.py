"""CloudFormation custom resources backed by a Lambda function, with AWS's request and response protocol.

AWS behaviour reproduced: for a resource of type `AWS::CloudFormation::CustomResource` or `Custom::<Name>`,
CloudFormation invokes the function named by its `ServiceToken` with a request `{RequestType: Create | Update |
Delete, ServiceToken, ResponseURL, StackId, RequestId, LogicalResourceId, ResourceType, ResourceProperties}`, plus
`PhysicalResourceId` on Update and Delete and `OldResourceProperties` on Update. ResourceProperties carry the
ServiceToken too, and scalar values arrive as strings (`5` -> `"5"`, `true` -> `"true"`), as CloudFormation sends
them. The function PUTs a JSON response to ResponseURL: `{Status: SUCCESS | FAILED, Reason, PhysicalResourceId,
StackId, RequestId, LogicalResourceId, Data}`. SUCCESS completes the resource: Ref gives PhysicalResourceId and
`Fn::GetAtt Resource.Key` reads `Data.Key`. FAILED fails it with `Received response status [FAILED] from custom
resource. Message returned: <Reason> (RequestId: <id>)`: a CreateStack then rolls back to ROLLBACK_COMPLETE (the
other resources are deleted, and the custom resource gets its Delete request, as in AWS), with StackStatusReason
`The following resource(s) failed to create: [<id>]. Rollback requested by user.`; in an update or a change set
the error goes where a resource handler's error goes (cloudformation_changesets rolls the stack back). A stack
update that changes the resource's properties sends Update; a new PhysicalResourceId in its response means
replacement, and the old id then gets a Delete. Deleting the stack (or removing the resource) sends Delete.
No response at all: AWS waits one hour, then fails the resource with `CloudFormation did not receive a response
from your Custom Resource...`; here the wait runs on the sandbox clock (RESPONSE_TIMEOUT_SECONDS, see `configure`)
once the invocation has ended without a response: instant on a virtual clock.

Where it differs from AWS: each request is answered before the stack operation goes on (moto's CloudFormation is
synchronous), so CreateStack returns once the resource has its response and the stack is CREATE_COMPLETE (or
ROLLBACK_COMPLETE) when DescribeStacks first sees it; a handler that raises is invoked once (Lambda's two
asynchronous retries are not modelled). ResponseURL is the sandbox's own endpoint, `http://127.0.0.1:$MOTO_PORT`
(the Sandbox sets MOTO_PORT; `configure(endpoint_url=)` overrides), not a presigned S3 URL, so custom resources
need the threaded server: under plain `mock_aws` there is nothing to PUT to, and the request times out.

moto internals patched: moto's own `CustomModel` (`moto/cloudformation/custom_model.py`) invokes the function in a
thread with a ResponseURL at `host.docker.internal` (unreachable here), ignores FAILED, has no Update or Delete, and
lets the response thread finish the stack while it is still being created (`Stack.verify_readiness` creates the
remaining resources from that thread). Replaced: `moto.cloudformation.parsing.CustomModel` (the class
`resource_class_from_type` returns for `Custom::` types) by `CustomResource`, which is also a new
`CloudFormationModel` subclass for `AWS::CloudFormation::CustomResource` (model-map caches cleared);
`CloudFormationResponse.process_cfn_response` (the handler of moto's `/cloudformation_<region>/cfnresponse` URL);
`Stack.create_resources` (wrapped: a failed custom resource rolls the new stack back); `ResourceMap.delete` (wrapped:
custom resources are deleted first, while their functions still exist, as reverse dependency order does in AWS).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

from moto.awslambda.utils import get_backend as get_lambda_backend
from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import Stack
from moto.cloudformation.parsing import OutputMap
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.common_models import CloudFormationModel

from restore_sync_sandbox import clock

LOG = logging.getLogger(__name__)

RESOURCE_TYPE = "AWS::CloudFormation::CustomResource"
MODEL_CACHES = ("get_model_list", "get_model_map", "get_name_type_map")
# How long CloudFormation waits for a response (AWS: one hour), on the sandbox clock.
DEFAULT_RESPONSE_TIMEOUT_SECONDS = 3600.0
# Wall-clock bound on one in-process invocation (Lambda's longest timeout, plus the in-process queue's wait).
INVOCATION_WALL_SECONDS = 900.0 + 60.0

_lock = threading.Lock()
_settings: dict[str, Any] = {}
_pending: dict[str, _Request] = {}
_originals: dict[str, Any] = {}


def configure(endpoint_url: str | None = None, response_timeout_seconds: float | None = None) -> None:
    """Sets where ResponseURLs point (default `http://127.0.0.1:$MOTO_PORT`) and how long, on the sandbox
    clock, a request without a response waits before it fails (default 3600 s, as in AWS)."""
    with _lock:
        if endpoint_url is not None:
            _settings["endpoint_url"] = endpoint_url.rstrip("/")
        if response_timeout_seconds is not None:
            _settings["response_timeout_seconds"] = float(response_timeout_seconds)


def reset() -> None:
    """Back to the defaults of `configure`."""
    with _lock:
        _settings.clear()


def _endpoint_url() -> str:
    configured: str | None = _settings.get("endpoint_url")
    return configured or f"http://127.0.0.1:{os.environ.get('MOTO_PORT') or '5000'}"


class CustomResourceFailed(ValidationError):
    """A custom resource answered FAILED, or never answered."""

    def __init__(self, message: str) -> None:
        super().__init__(message=message)
        self.handler_message = message


@dataclass
class _Request:
    request_id: str
    stack_id: str
    logical_id: str
    answered: threading.Event = field(default_factory=threading.Event)
    response: dict[str, Any] | None = None


def _as_sent(value: Any) -> Any:
    """ResourceProperties as CloudFormation sends them: every scalar a string."""
    if isinstance(value, dict):
        return {key: _as_sent(member) for key, member in value.items()}
    if isinstance(value, list):
        return [_as_sent(member) for member in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return value
    return str(value)


def _send(
    account_id: str,
    region_name: str,
    request_type: str,
    stack_id: str,
    logical_id: str,
    resource_type: str,
    properties: dict[str, Any],
    physical_id: str | None = None,
    old_properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Invokes the ServiceToken's function with the request and returns its SUCCESS response; raises
    CustomResourceFailed on FAILED or when no response comes within the timeout."""
    service_token = properties.get("ServiceToken")
    if not service_token:
        raise ValidationError(message=f"Resource {logical_id}: ServiceToken is required for a custom resource")
    function = get_lambda_backend(account_id, region_name).get_function(service_token)
    request_id = str(uuid.uuid4())
    query = urllib.parse.urlencode({"stack": stack_id, "request": request_id})
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": service_token,
        "ResponseURL": f"{_endpoint_url()}/cloudformation_{region_name}/cfnresponse?{query}",
        "StackId": stack_id,
        "RequestId": request_id,
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceProperties": _as_sent(properties),
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    if old_properties is not None:
        event["OldResourceProperties"] = _as_sent(old_properties)
    pending = _Request(request_id=request_id, stack_id=stack_id, logical_id=logical_id)
    with _lock:
        _pending[request_id] = pending
        timeout = float(_settings.get("response_timeout_seconds", DEFAULT_RESPONSE_TIMEOUT_SECONDS))
    started = clock.current().time()
    try:
        # CloudFormation invokes asynchronously: the handler's response arrives on another server thread.
        invocation = threading.Thread(
            target=function.invoke, args=(json.dumps(event), {}, {}), name=f"custom-resource-{logical_id}"
        )
        invocation.start()
        invocation.join(INVOCATION_WALL_SECONDS)
        if not pending.answered.is_set():
            # The handler has returned without answering: nothing will, so the rest of AWS's hour passes.
            clock.current().sleep(timeout - (clock.current().time() - started))
    finally:
        with _lock:
            _pending.pop(request_id, None)
    response = pending.response
    if response is None:
        raise CustomResourceFailed(
            "CloudFormation did not receive a response from your Custom Resource. Please check your logs for "
            f"requestId [{request_id}]. If you are using the Python cfn-response module, you may need to update "
            "your Lambda function code so that CloudFormation can attach the updated version."
        )
    if response.get("Status") != "SUCCESS":
        raise CustomResourceFailed(
            f"Received response status [{response.get('Status')}] from custom resource. Message returned: "
            f"{response.get('Reason') or ''} (RequestId: {request_id})"
        )
    return response


class CustomResource(CloudFormationModel):
    """A custom resource: its physical id and Data are what the function answered."""

    def __init__(
        self,
        account_id: str,
        region_name: str,
        stack_id: str,
        logical_id: str,
        resource_type: str,
        properties: dict[str, Any],
        response: dict[str, Any],
    ) -> None:
        self.account_id = account_id
        self.region_name = region_name
        self.stack_id = stack_id
        self.logical_id = logical_id
        self.resource_type = resource_type
        self.properties = properties
        self.physical_id = str(response.get("PhysicalResourceId") or f"{logical_id}-{uuid.uuid4().hex[:12]}")
        data = response.get("Data")
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        self._failed_update: tuple[str, CustomResourceFailed] | None = None

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id

    @staticmethod
    def cloudformation_type() -> str:
        return RESOURCE_TYPE

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        # Any key of the response's Data.
        return True

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name not in self.data:
            raise ValidationError(
                message=f"CustomResource attribute error: Vendor response doesn't contain {attribute_name} key "
                f"in object {self.stack_id}|{self.logical_id}|{self.physical_id}"
            )
        return self.data[attribute_name]

    def is_created(self) -> bool:
        # An instance exists only once the function answered SUCCESS.
        return True

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        # moto deletes through `delete` first; it comes here only for a resource it never created.
        return None

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> CustomResource:
        properties = dict(cloudformation_json.get("Properties") or {})
        stack_id, logical_id = kwargs["StackId"], kwargs["LogicalId"]
        resource_type = kwargs.get("ResourceType") or cloudformation_json.get("Type") or RESOURCE_TYPE
        try:
            response = _send(account_id, region_name, "Create", stack_id, logical_id, resource_type, properties)
        except CustomResourceFailed:
            _failed_creations.add((stack_id, logical_id))
            raise
        return cls(account_id, region_name, stack_id, logical_id, resource_type, properties, response)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: CustomResource,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> CustomResource:
        properties = dict(cloudformation_json.get("Properties") or {})
        signature = json.dumps(properties, sort_keys=True, default=str)
        failed = original_resource._failed_update
        # moto retries a failing update up to five times; CloudFormation sends the request once.
        if failed is not None and failed[0] == signature:
            raise failed[1]
        try:
            response = _send(
                account_id,
                region_name,
                "Update",
                original_resource.stack_id,
                original_resource.logical_id,
                original_resource.resource_type,
                properties,
                physical_id=original_resource.physical_id,
                old_properties=original_resource.properties,
            )
        except CustomResourceFailed as error:
            original_resource._failed_update = (signature, error)
            raise
        original_resource._failed_update = None
        if not response.get("PhysicalResourceId"):
            response = {**response, "PhysicalResourceId": original_resource.physical_id}
        updated = cls(
            account_id,
            region_name,
            original_resource.stack_id,
            original_resource.logical_id,
            original_resource.resource_type,
            properties,
            response,
        )
        if updated.physical_id != original_resource.physical_id:
            # A new physical id is a replacement: CloudFormation deletes the old one in the cleanup phase.
            original_resource.delete(account_id, region_name)
        return updated

    def delete(self, account_id: str, region_name: str) -> None:
        _send(
            account_id,
            region_name,
            "Delete",
            self.stack_id,
            self.logical_id,
            self.resource_type,
            self.properties,
            physical_id=self.physical_id,
        )


# (stack id, logical id) of custom resources whose Create failed, read by the CreateStack rollback.
_failed_creations: set[tuple[str, str]] = set()


def _process_cfn_response(self: CloudFormationResponse) -> tuple[int, dict[str, int], str]:
    """The PUT to a ResponseURL: hands the response to the request waiting for it."""
    raw = self.body
    try:
        response = json.loads(raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else (raw or ""))
    except (ValueError, UnicodeDecodeError):
        return 400, {"status": 400}, "the response is not JSON"
    if not isinstance(response, dict):
        return 400, {"status": 400}, "the response is not a JSON object"
    with _lock:
        pending = _pending.get(str(response.get("RequestId")))
    if pending is None or response.get("StackId") != pending.stack_id:
        return 404, {"status": 404}, "no request waits for this response"
    if response.get("LogicalResourceId") != pending.logical_id:
        return 400, {"status": 400}, "LogicalResourceId does not match the request"
    pending.response = response
    pending.answered.set()
    return 200, {"status": 200}, ""


def _create_resources(self: Any) -> None:
    try:
        _originals["create_resources"](self)
    except CustomResourceFailed as error:
        failed = sorted(logical for stack_id, logical in _failed_creations if stack_id == self.stack_id)
        _failed_creations.difference_update((self.stack_id, logical) for logical in failed)
        LOG.info("custom resource of stack %s failed: %s", self.name, error.handler_message)
        self.status = "CREATE_FAILED"
        self.stack_status_reason = (
            f"The following resource(s) failed to create: [{', '.join(failed)}]. Rollback requested by user."
        )
        self._add_stack_event("CREATE_FAILED", resource_status_reason=error.handler_message)
        if self.disable_rollback:
            return
        self.status = "ROLLBACK_IN_PROGRESS"
        self._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=self.stack_status_reason)
        try:
            for logical in failed:
                # CloudFormation sends Delete to a custom resource whose Create failed, too.
                properties = self.template_dict["Resources"][logical].get("Properties") or {}
                resource_type = self.template_dict["Resources"][logical]["Type"]
                response = {"PhysicalResourceId": f"{logical}-{uuid.uuid4().hex[:12]}"}
                CustomResource(
                    self.account_id, self.region_name, self.stack_id, logical, resource_type, properties, response
                ).delete(self.account_id, self.region_name)
            self.resource_map.delete()
        except Exception:  # the stack still ends its rollback, as the failure is already reported
            LOG.exception("rollback of stack %s failed", self.name)
        # moto's resource map creates what it lacks when read: a rolled-back stack has no resources or outputs.
        self.resource_map._resource_json_map = {}
        self.output_map = OutputMap(self.resource_map, {}, self.stack_id)
        self.status = "ROLLBACK_COMPLETE"
        self._add_stack_event("ROLLBACK_COMPLETE")


def _delete_resources(self: Any) -> None:
    """Custom resources first: CloudFormation deletes in reverse dependency order, so a custom resource's Delete
    request reaches its ServiceToken function before that function is deleted; moto's order is arbitrary."""
    for logical_id, resource in list(self._parsed_resources.items()):
        retained = self._resource_json_map.get(logical_id, {}).get("DeletionPolicy") == "Retain"
        if isinstance(resource, CustomResource) and not retained:
            resource.delete(self._account_id, self._region_name)
            self._parsed_resources.pop(logical_id)
    _originals["delete_resources"](self)


def install() -> None:
    """Makes moto's CloudFormation run Lambda-backed custom resources as AWS does; calling it again does
    nothing."""
    with _lock:
        if "create_resources" in _originals:
            return
        for name in ("CustomModel",):
            if not hasattr(cfn_parsing, name):
                raise RuntimeError(f"moto changed: moto.cloudformation.parsing.{name} is gone")
        for owner, name in ((CloudFormationResponse, "process_cfn_response"), (Stack, "create_resources")):
            if not callable(getattr(owner, name, None)):
                raise RuntimeError(f"moto changed: {owner.__name__}.{name} is gone")
        _originals["create_resources"] = Stack.create_resources
        _originals["delete_resources"] = cfn_parsing.ResourceMap.delete
        cfn_parsing.ResourceMap.delete = _delete_resources  # type: ignore[method-assign]
        Stack.create_resources = _create_resources  # type: ignore[method-assign]
        CloudFormationResponse.process_cfn_response = _process_cfn_response  # type: ignore[method-assign]
        cfn_parsing.CustomModel = CustomResource  # type: ignore[misc,assignment]
        for name in MODEL_CACHES:
            getattr(cfn_parsing, name).cache_clear()
        if cfn_parsing.get_model_map().get(RESOURCE_TYPE) is not CustomResource:
            raise RuntimeError(f"moto changed: its CloudFormation model map does not pick up {RESOURCE_TYPE}")
