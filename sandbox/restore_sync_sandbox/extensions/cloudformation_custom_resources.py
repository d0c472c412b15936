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

ResponseURL is https, as CloudFormation's pre-signed S3 URLs always are: a PUT over plain http is never answered.
The sandbox serves it itself (`ResponseEndpoint`, `https://127.0.0.1:<port>/cloudformation_<region>/cfnresponse?...`)
with a certificate of its local certificate authority (`restore_sync_sandbox.tls`), which the function trusts the
standard way: the Sandbox starts the endpoint (`serve`) and points `SSL_CERT_FILE` at a bundle holding that
authority and the CA certificates trusted before, so a handler verifies the certificate and the host name as it does
against S3, and code that refuses http (the settings history's recorder) runs unchanged.

Where it differs from AWS: each request is answered before the stack operation goes on (moto's CloudFormation is
synchronous), so CreateStack returns once the resource has its response and the stack is CREATE_COMPLETE (or
ROLLBACK_COMPLETE) when DescribeStacks first sees it; a handler that raises is invoked once (Lambda's two
asynchronous retries are not modelled). ResponseURL is the sandbox's endpoint, not S3's, so custom resources need
it running (the Sandbox runs it; under plain `mock_aws`, a custom resource fails at once, saying so).

moto internals patched: moto's own `CustomModel` (`moto/cloudformation/custom_model.py`) invokes the function in a
thread with a ResponseURL at `host.docker.internal` (unreachable here), ignores FAILED, has no Update or Delete, and
lets the response thread finish the stack while it is still being created (`Stack.verify_readiness` creates the
remaining resources from that thread). Replaced: `moto.cloudformation.parsing.CustomModel` (the class
`resource_class_from_type` returns for `Custom::` types) by `CustomResource`, which is also a new
`CloudFormationModel` subclass for `AWS::CloudFormation::CustomResource` (model-map caches cleared);
`Stack.create_resources` (wrapped: a failed custom resource rolls the new stack back); `ResourceMap.delete` (wrapped:
custom resources are deleted first, while their functions still exist, as reverse dependency order does in AWS).
moto's own response URL (`/cloudformation_<region>/cfnresponse` on its http server) is not used.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import urllib.parse
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from moto.awslambda.utils import get_backend as get_lambda_backend
from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import Stack
from moto.cloudformation.parsing import OutputMap
from moto.core.common_models import CloudFormationModel

from restore_sync_sandbox import clock
from restore_sync_sandbox.tls import LocalAuthority

LOG = logging.getLogger(__name__)

RESOURCE_TYPE = "AWS::CloudFormation::CustomResource"
MODEL_CACHES = ("get_model_list", "get_model_map", "get_name_type_map")
# How long CloudFormation waits for a response (AWS: one hour), on the sandbox clock.
DEFAULT_RESPONSE_TIMEOUT_SECONDS = 3600.0
# How long the response endpoint waits for a client to say something (its TLS handshake, its request).
HANDSHAKE_SECONDS = 30.0
# Wall-clock bound on one in-process invocation (Lambda's longest timeout, plus the in-process queue's wait).
INVOCATION_WALL_SECONDS = 900.0 + 60.0

_lock = threading.Lock()
_settings: dict[str, Any] = {}
_pending: dict[str, _Request] = {}
_originals: dict[str, Any] = {}
_serving: list[ResponseEndpoint] = []
# How many `serve()` calls wait for their `stop_serving()`.
_users = 0


def configure(response_timeout_seconds: float | None = None) -> None:
    """Sets how long, on the sandbox clock, a request without a response waits before it fails (default 3600 s,
    as in AWS)."""
    with _lock:
        if response_timeout_seconds is not None:
            _settings["response_timeout_seconds"] = float(response_timeout_seconds)


def reset() -> None:
    """Back to the defaults of `configure` (the response endpoint keeps running)."""
    with _lock:
        _settings.clear()


class ResponseEndpoint:
    """The https endpoint custom resources PUT their responses to, on `host`, with a certificate of a local
    authority: `url` is where ResponseURLs point, `authority.bundle` the CA bundle that trusts it."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.authority = LocalAuthority(host)
        self._server = _TlsServer((host, 0), _ResponseHandler, self.authority.server_context())
        self.host = host
        self.port = int(self._server.server_address[1])
        # A short poll interval: stopping waits for the next poll, and each Sandbox stop stops the endpoint.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="custom-resource-responses", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self.authority.remove()


class _TlsServer(ThreadingHTTPServer):
    """Speaks TLS only: each connection's handshake runs in its own request thread, so a slow or plain-http client
    holds up nobody else, and is dropped."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext) -> None:
        self.tls = tls
        super().__init__(address, handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(HANDSHAKE_SECONDS)
        with self.tls.wrap_socket(request, server_side=True) as secured:
            super().finish_request(secured, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that does not speak TLS (plain http) is refused by the handshake: not the sandbox's error.
        LOG.debug("response endpoint: connection from %s dropped", client_address, exc_info=True)


class _ResponseHandler(BaseHTTPRequestHandler):
    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, text = _answer(body)
        encoded = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(encoded)))
        self.end_headers()
        self.wfile.write(encoded)

    def log_message(self, format: str, *args: Any) -> None:
        LOG.debug(format, *args)


def serve(host: str = "127.0.0.1") -> ResponseEndpoint:
    """Starts the response endpoint on `host` (a free port), or returns the one already running; each call is
    matched by a `stop_serving()`."""
    global _users
    with _lock:
        if not _serving:
            _serving.append(ResponseEndpoint(host))
        _users += 1
        return _serving[0]


def stop_serving() -> None:
    """Stops the response endpoint (removing its certificates) when its last user stops."""
    global _users
    with _lock:
        _users = max(0, _users - 1)
        if _users:
            return
        stopped = list(_serving)
        _serving.clear()
    for endpoint in stopped:
        endpoint.stop()


def _endpoint_url() -> str:
    with _lock:
        if not _serving:
            raise ValidationError(
                message="custom resources need the sandbox's https response endpoint: run them in a Sandbox "
                "(or start it with restore_sync_sandbox.extensions.cloudformation_custom_resources.serve())"
            )
        return _serving[0].url


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


def _answer(raw: bytes) -> tuple[HTTPStatus, str]:
    """The PUT to a ResponseURL: hands the response to the request waiting for it."""
    try:
        response = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return HTTPStatus.BAD_REQUEST, "the response is not JSON"
    if not isinstance(response, dict):
        return HTTPStatus.BAD_REQUEST, "the response is not a JSON object"
    with _lock:
        pending = _pending.get(str(response.get("RequestId")))
    if pending is None or response.get("StackId") != pending.stack_id:
        return HTTPStatus.NOT_FOUND, "no request waits for this response"
    if response.get("LogicalResourceId") != pending.logical_id:
        return HTTPStatus.BAD_REQUEST, "LogicalResourceId does not match the request"
    pending.response = response
    pending.answered.set()
    return HTTPStatus.OK, ""


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
        if not callable(getattr(Stack, "create_resources", None)):
            raise RuntimeError("moto changed: Stack.create_resources is gone")
        _originals["create_resources"] = Stack.create_resources
        _originals["delete_resources"] = cfn_parsing.ResourceMap.delete
        cfn_parsing.ResourceMap.delete = _delete_resources  # type: ignore[method-assign]
        Stack.create_resources = _create_resources  # type: ignore[method-assign]
        cfn_parsing.CustomModel = CustomResource  # type: ignore[misc,assignment]
        for name in MODEL_CACHES:
            getattr(cfn_parsing, name).cache_clear()
        if cfn_parsing.get_model_map().get(RESOURCE_TYPE) is not CustomResource:
            raise RuntimeError(f"moto changed: its CloudFormation model map does not pick up {RESOURCE_TYPE}")
