"""DynamoDB's capacity scales with target tracking policies only: PutScalingPolicy refuses the other policy types.

AWS behaviour reproduced (botocore's application-autoscaling model, PutScalingPolicy's `PolicyType`: "StepScaling—Not
supported for DynamoDB, Amazon Comprehend, Lambda, Amazon Keyspaces, Amazon MSK, Amazon ElastiCache, or Neptune",
"PredictiveScaling—Only supported for Amazon ECS"; the same in the CloudFormation registry's documentation of
AWS::ApplicationAutoScaling::ScalingPolicy `PolicyType`, and the Application Auto Scaling User Guide's page on
DynamoDB: "You can scale DynamoDB tables and global secondary indexes using target tracking scaling policies and
scheduled scaling"): a scaling policy of the `dynamodb` namespace whose PolicyType is StepScaling or
PredictiveScaling is refused with ValidationException, whether PutScalingPolicy is called directly or by a stack's
AWS::ApplicationAutoScaling::ScalingPolicy. A call without PolicyType (an update of an existing policy) keeps the
policy's type, as before.

moto accepted a StepScaling policy on a DynamoDB table or index and stored it.

The wording of the message is this sandbox's own (the exception type is AWS's; AWS's exact text was not found in
its documentation).

moto internals patched: `ApplicationAutoscalingBackend.put_scaling_policy` (wrapped: the check, then the method it
replaced, same signature and return value).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.applicationautoscaling.exceptions import AWSValidationException
from moto.applicationautoscaling.models import ApplicationAutoscalingBackend

NAMESPACE = "dynamodb"
SUPPORTED = "TargetTrackingScaling"

_lock = threading.Lock()
_original: list[Callable[..., Any]] = []


def put_scaling_policy(
    self: ApplicationAutoscalingBackend,
    policy_name: str,
    service_namespace: str,
    resource_id: str,
    scalable_dimension: str,
    policy_body: dict[str, Any],
    policy_type: str | None,
) -> Any:
    if service_namespace == NAMESPACE and policy_type and policy_type != SUPPORTED:
        raise AWSValidationException(
            f"{policy_type} policies are not supported for DynamoDB: a table or global secondary index scales with "
            f"{SUPPORTED} policies and scheduled actions (resource ID: {resource_id})"
        )
    return _original[0](self, policy_name, service_namespace, resource_id, scalable_dimension, policy_body, policy_type)


def install() -> None:
    """Applies the patch once; later calls do nothing."""
    with _lock:
        if _original:
            return
        if not callable(getattr(ApplicationAutoscalingBackend, "put_scaling_policy", None)):
            raise RuntimeError("moto changed: ApplicationAutoscalingBackend.put_scaling_policy is gone")
        _original.append(ApplicationAutoscalingBackend.put_scaling_policy)
        ApplicationAutoscalingBackend.put_scaling_policy = put_scaling_policy  # type: ignore[method-assign]
