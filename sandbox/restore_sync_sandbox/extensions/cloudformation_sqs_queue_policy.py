"""The AWS::SQS::QueuePolicy resource: a stack sets, replaces and removes its queues' Policy attribute.

AWS behaviour reproduced:
- Creating the resource sets the `Policy` attribute of every queue in `Queues` (queue URLs, usually
  `!Ref Queue`) to `PolicyDocument` (an object, or JSON text); a queue that does not exist fails the resource.
- Ref and `Fn::GetAtt Id` give a generated id (`<stack>-<logical id>-<suffix>`), as AWS does; there is no name
  property.
- An update (both properties update without interruption, same id) writes the new document to every listed
  queue and removes the policy from queues no longer listed.
- Deleting the resource (stack deletion, or removal from the template) removes the policy from its queues; a
  queue already gone is skipped, since moto, unlike CloudFormation, does not order deletions by dependency.

moto internals touched: none is replaced. moto skips the type ("Tried to parse AWS::SQS::QueuePolicy but it's
not supported"); its model map is built from the direct subclasses of `CloudFormationModel` and cached
(`moto.cloudformation.parsing.get_model_list`, `get_model_map`, `get_name_type_map`), so defining
`QueuePolicy` here and clearing those caches in `install()` is what makes stacks create it. The policy is
written through `SQSBackend.set_queue_attributes`, as SetQueueAttributes would.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any
from urllib.parse import urlparse

from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException, ValidationError
from moto.core.common_models import CloudFormationModel
from moto.sqs.models import SQSBackend, sqs_backends

RESOURCE_TYPE = "AWS::SQS::QueuePolicy"

# Region in a queue URL's host: sqs.<region>.amazonaws.com, or the legacy <region>.queue.amazonaws.com.
_HOST_REGION = re.compile(r"^(?:sqs\.(?P<a>[a-z0-9-]+)\.amazonaws\.com|(?P<b>[a-z0-9-]+)\.queue\.amazonaws\.com)")
_ACCOUNT_ID = re.compile(r"^\d{12}$")

# The model map caches of moto's CloudFormation, cleared so that they see QueuePolicy.
MODEL_CACHES = ("get_model_list", "get_model_map", "get_name_type_map")

_lock = threading.Lock()


class QueueLocation:
    """Where a queue URL points: account, region and queue name."""

    def __init__(self, url: str, account_id: str, region_name: str) -> None:
        parsed = urlparse(url)
        parts = [part for part in parsed.path.split("/") if part]
        if not parts:
            raise ValidationError(message=f"Value {url} for parameter Queues is invalid: not a queue URL")
        self.url = url
        self.name = parts[-1]
        # A URL of this sandbox's own server (http://127.0.0.1:5000/<account>/<name>) names no region.
        self.account_id = parts[-2] if len(parts) >= 2 and _ACCOUNT_ID.match(parts[-2]) else account_id
        match = _HOST_REGION.match(parsed.hostname or "")
        self.region_name = (match.group("a") or match.group("b")) if match else region_name

    def backend(self) -> SQSBackend:
        backend: SQSBackend = sqs_backends[self.account_id][self.region_name]
        return backend


def _policy_text(document: Any) -> str:
    if isinstance(document, str):
        try:
            json.loads(document)
        except ValueError:
            raise ValidationError(message="Invalid PolicyDocument: not JSON") from None
        return document
    if isinstance(document, dict):
        return json.dumps(document)
    raise ValidationError(message="Property PolicyDocument must be a JSON object")


def _queue_urls(properties: dict[str, Any]) -> list[str]:
    queues = properties.get("Queues")
    if not isinstance(queues, list) or not queues or not all(isinstance(q, str) for q in queues):
        raise ValidationError(message="Property Queues must be a non-empty list of queue URLs")
    return list(dict.fromkeys(queues))


def _set_policy(location: QueueLocation, policy: str) -> None:
    location.backend().set_queue_attributes(location.name, {"Policy": policy})


def _remove_policy(location: QueueLocation) -> None:
    backend = location.backend()
    if location.name in backend.queues:
        # An empty Policy is how SetQueueAttributes removes one.
        backend.set_queue_attributes(location.name, {"Policy": ""})


class QueuePolicy(CloudFormationModel):
    """One AWS::SQS::QueuePolicy of a stack: the queues it covers and the document it gave them."""

    def __init__(self, policy_id: str, account_id: str, region_name: str, queue_urls: list[str], policy: str) -> None:
        self.policy_id = policy_id
        self.account_id = account_id
        self.region_name = region_name
        self.queue_urls = queue_urls
        self.policy = policy

    @property
    def physical_resource_id(self) -> str:
        return self.policy_id

    def locations(self) -> list[QueueLocation]:
        return [QueueLocation(url, self.account_id, self.region_name) for url in self.queue_urls]

    def apply(self, queue_urls: list[str], policy: str) -> None:
        """Writes `policy` to `queue_urls` and removes it from the queues this resource no longer covers."""
        wanted = [QueueLocation(url, self.account_id, self.region_name) for url in queue_urls]
        for location in wanted:
            _set_policy(location, policy)
        kept = {(w.account_id, w.region_name, w.name) for w in wanted}
        for location in self.locations():
            if (location.account_id, location.region_name, location.name) not in kept:
                _remove_policy(location)
        self.queue_urls = queue_urls
        self.policy = policy

    def delete(self, account_id: str, region_name: str) -> None:
        """Called by moto's ResourceMap when the stack deletes the resource."""
        for location in self.locations():
            _remove_policy(location)

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return RESOURCE_TYPE

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Id"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Id":
            return self.policy_id
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> QueuePolicy:
        properties = cloudformation_json.get("Properties") or {}
        policy = _policy_text(properties.get("PolicyDocument"))
        queue_urls = _queue_urls(properties)
        resource = cls(resource_name, account_id, region_name, [], policy)
        resource.apply(queue_urls, policy)
        return resource

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: QueuePolicy,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> QueuePolicy:
        properties = cloudformation_json.get("Properties") or {}
        original_resource.apply(_queue_urls(properties), _policy_text(properties.get("PolicyDocument")))
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        # moto calls this only when the instance's delete() cannot be called; find the instance by its id.
        for resource in list(cls.instances_tracked):  # type: ignore[attr-defined]
            if isinstance(resource, QueuePolicy) and resource.policy_id == resource_name:
                resource.delete(account_id, region_name)

    def is_created(self) -> bool:
        return True


def install() -> None:
    """Makes moto's CloudFormation create AWS::SQS::QueuePolicy; calling it again does nothing."""
    with _lock:
        if cfn_parsing.get_model_map().get(RESOURCE_TYPE) is QueuePolicy:
            return
        for name in MODEL_CACHES:
            getattr(cfn_parsing, name).cache_clear()
        if cfn_parsing.get_model_map().get(RESOURCE_TYPE) is not QueuePolicy:
            raise RuntimeError(f"moto changed: its CloudFormation model map does not pick up {RESOURCE_TYPE}")
