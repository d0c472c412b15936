"""DynamoDB DeleteTable: what goes with the table, and what AWS leaves behind for a table of the same name.

AWS behaviour reproduced, as AWS documents it:
- Auto scaling and alarms stay. The DynamoDB Developer Guide ("Using the AWS SDK to configure auto scaling on
  Amazon DynamoDB tables", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/AutoScaling.HowTo.SDK.html):
  "When you manually remove a table or global table replica, you do not automatically remove any associated
  scalable targets, scaling policies, or CloudWatch alarms." So after DeleteTable the scalable targets of
  namespace `dynamodb` (ResourceId `table/<name>` and `table/<name>/index/<index>`), their scaling policies,
  scheduled actions and CloudWatch alarms (the `TargetTracking-table/<name>-...` alarms Application Auto Scaling
  made, and alarms of one's own on the table's metrics) stay exactly as they were: same ARNs, same limits, same
  alarm state. moto already leaves them (its DeleteTable only pops the table); the tests of this module pin that.
- A table created or restored later under the same name meets them. RegisterScalableTarget on a target that is
  already registered updates it (Application Auto Scaling API reference, RegisterScalableTarget,
  https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html: "Registers or
  updates a scalable target"; "To update a scalable target, specify the parameters that you want to change ...
  Any parameters that you don't specify are not changed by this update request."). The sandbox does this: the
  same target (same ScalableTargetARN and CreationTime) with the new limits, unspecified ones kept, its scaling
  policies and their alarms untouched. While no table of that name exists, RegisterScalableTarget is refused
  with ValidationException (the `cloudformation_application_autoscaling` rule for a missing table);
  DeregisterScalableTarget, DeleteScalingPolicy, DeleteScheduledAction and DeleteAlarms still work on what was
  left, which is how an operator cleans up.
- The stream. The DeleteTable API reference (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/
  API_DeleteTable.html): "If you have DynamoDB Streams enabled on the table, then the corresponding stream on that
  table goes into the DISABLED state, and the stream is automatically deleted after 24 hours." A table created
  again under the same name gets a stream with a new ARN (its label is the new stream's creation time).
- Lambda event source mappings on the deleted table's stream: neither the DeleteTable reference nor the Lambda
  DeleteEventSourceMapping / EventSourceMappingConfiguration references say that DeleteTable removes or changes
  them; Lambda documents only that a mapping is removed by DeleteEventSourceMapping. moto keeps them listed as
  they were (State, EventSourceArn of the old stream), and they never receive records of a new table of the same
  name (its stream has another ARN). The sandbox keeps that; what State and LastProcessingResult AWS shows for a
  mapping whose stream is gone is not documented (see Known gaps in docs/sandbox.md).
- Tags, contributor insights and Kinesis streaming destinations belong to the table: "When you delete a table,
  any indexes on that table are also deleted" (DeleteTable reference), and tags, contributor insights and
  destinations are settings of the table resource, so a new table of the same name starts without them (as
  CreateTable and a restore without them do). moto and the `dynamodb_contributor_insights` and
  `dynamodb_kinesis_destinations` extensions keep them on the table object, so they go with it; tested here.
- The table's resource-based policy is "the resource-based policy attached to the resource" (DeleteResourcePolicy
  reference, https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteResourcePolicy.html); it
  goes with the table. moto keeps policies in a map keyed by ARN, and a table's ARN is the same for every table of
  one name, so a table created again under the old name read the old table's policy (GetResourcePolicy, and the
  `iam_identity_policies` evaluation). Here DeleteTable removes the table ARN's policy. AWS does not state in so
  many words what happens to the policy on DeleteTable; this follows from the policy being attached to the table.

moto internals patched: `DynamoDBBackend.delete_table` (wrapped: after moto's delete, the deleted table's ARN is
removed from the backend's `resource_policies`). Read, not patched: `ApplicationAutoscalingBackend.targets`,
`policies`, `scheduled_actions` and `CloudWatchBackend.alarms` (the tests fail if moto starts cleaning them up).

Limits: the table is gone at once (AWS: DELETING first); the disabled stream is not kept for 24 hours
(DescribeStream of the old stream ARN fails at once); a stream's own resource policy is left in moto's map.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

_lock = threading.Lock()
_original: list[Callable[..., Any]] = []


def delete_table(self: DynamoDBBackend, name: str) -> Table:
    table: Table = _original[0](self, name)
    self.resource_policies.pop(table.table_arn, None)
    return table


def install() -> None:
    """Applies the patch once; later calls do nothing."""
    with _lock:
        if _original:
            return
        if not callable(getattr(DynamoDBBackend, "delete_table", None)):
            raise RuntimeError("moto changed: DynamoDBBackend.delete_table is gone")
        _original.append(DynamoDBBackend.delete_table)
        DynamoDBBackend.delete_table = delete_table  # type: ignore[method-assign]
