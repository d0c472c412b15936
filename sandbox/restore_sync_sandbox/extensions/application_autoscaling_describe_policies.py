"""DescribeScalingPolicies returns the policies of exactly the resource and dimension asked for, ten at a time.

AWS behaviour reproduced (botocore's application-autoscaling model, DescribeScalingPolicies): `ResourceId` is "the
identifier of the resource associated with the scaling policy" and `ScalableDimension` "the scalable dimension":
a policy is listed when its resource id and dimension are those given, and `MaxResults` is "between 1 and 10. The
default value is 10", with NextToken for the rest.

moto matched by substring (`policy.resource_id in resource_id`): asked for an index (`table/t/index/i`), it also
listed the table's own policies (`table/t`), and asked for `table/orders-restored` it listed the policies of
`table/orders`; and it returned up to 100 at a time.

moto internals patched: `ApplicationAutoscalingBackend.describe_scaling_policies` (replaced; same signature and
return value: the next token and the page).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.applicationautoscaling.models import ApplicationAutoscalingBackend

PAGE_SIZE = 10

_lock = threading.Lock()
_original: list[Callable[..., Any]] = []


def describe_scaling_policies(
    self: ApplicationAutoscalingBackend,
    service_namespace: str,
    resource_id: str,
    scalable_dimension: str,
    max_results: int | None,
    next_token: str,
) -> tuple[str | None, list[Any]]:
    policies = [
        policy
        for policy in self.policies.values()
        if policy.service_namespace == service_namespace
        and (not resource_id or policy.resource_id == resource_id)
        and (not scalable_dimension or policy.scalable_dimension == scalable_dimension)
    ]
    start = int(next_token) if next_token else 0
    end = start + min(max_results or PAGE_SIZE, PAGE_SIZE)
    return (str(end) if end < len(policies) else None), policies[start:end]


def install() -> None:
    """Applies the patch once; later calls do nothing."""
    with _lock:
        if _original:
            return
        if not callable(getattr(ApplicationAutoscalingBackend, "describe_scaling_policies", None)):
            raise RuntimeError("moto changed: ApplicationAutoscalingBackend.describe_scaling_policies is gone")
        _original.append(ApplicationAutoscalingBackend.describe_scaling_policies)
        ApplicationAutoscalingBackend.describe_scaling_policies = describe_scaling_policies  # type: ignore[method-assign]
