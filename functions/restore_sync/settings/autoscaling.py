"""`autoscaling`: Application Auto Scaling of the table's and its indexes' provisioned capacity.

Scalable targets (limits, suspended state, scheduled actions) and their target-tracking policies are copied for
the table and for every global secondary index the target has. An on-demand target has no capacity to scale.

Target tracking is the only kind of scaling policy DynamoDB has: botocore's application-autoscaling model
(PutScalingPolicy, PolicyType) says "StepScaling—Not supported for DynamoDB" and "PredictiveScaling—Only supported
for Amazon ECS", so there are no step scaling policies to copy, and the alarms that act on a table's policies are
the target tracking policies' own (the `alarms` setting leaves them to the copied policies).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from restore_sync.aws import Aws, TableRef, translated_errors
from restore_sync.names import logical_id
from restore_sync.settings.base import Existing, Fragment, Retarget, Setting, State
from restore_sync.table import TABLE_LOGICAL_ID

NAMESPACE = "dynamodb"
TRACKING = ("TargetValue", "PredefinedMetricSpecification", "CustomizedMetricSpecification")
TRACKING_OPTIONAL = ("ScaleOutCooldown", "ScaleInCooldown", "DisableScaleIn")
SUSPENDED = ("DynamicScalingInSuspended", "DynamicScalingOutSuspended", "ScheduledScalingSuspended")


class Autoscaling(Setting):
    name = "autoscaling"
    reads = (
        "dynamodb:DescribeTable",
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:DescribeScalingPolicies",
        "application-autoscaling:DescribeScheduledActions",
    )

    def read(self, aws: Aws, table: TableRef) -> State:
        aas = aws.client("application-autoscaling", table.region)
        with translated_errors():
            description = aws.client("dynamodb", table.region).describe_table(TableName=table.name)["Table"]
            parts = {f"table/{table.name}": "table"}
            parts.update(
                {
                    f"table/{table.name}/index/{i['IndexName']}": f"index/{i['IndexName']}"
                    for i in description.get("GlobalSecondaryIndexes", [])
                }
            )
            targets = _all(aas, "describe_scalable_targets", "ScalableTargets", ResourceIds=sorted(parts))
            policies, actions = [], []
            for resource_id in sorted({t["ResourceId"] for t in targets}):
                policies += _all(aas, "describe_scaling_policies", "ScalingPolicies", ResourceId=resource_id)
                actions += _all(aas, "describe_scheduled_actions", "ScheduledActions", ResourceId=resource_id)
        found = []
        for target in targets:
            key = (target["ResourceId"], target["ScalableDimension"])
            found.append(
                {
                    "resource": parts[target["ResourceId"]],
                    "dimension": target["ScalableDimension"],
                    "min": target["MinCapacity"],
                    "max": target["MaxCapacity"],
                    "suspended": {k: bool(target.get("SuspendedState", {}).get(k, False)) for k in SUSPENDED},
                    "policies": sorted(
                        (
                            _policy(p)
                            for p in policies
                            if (p["ResourceId"], p["ScalableDimension"]) == key
                            and p["PolicyType"] == "TargetTrackingScaling"
                        ),
                        key=lambda p: p["name"],
                    ),
                    "scheduledActions": sorted(
                        (_action(a) for a in actions if (a["ResourceId"], a["ScalableDimension"]) == key),
                        key=lambda a: a["name"],
                    ),
                }
            )
        return {"targets": sorted(found, key=lambda t: (t["resource"], t["dimension"]))}

    def wanted(self, state: State, retarget: Retarget) -> State:
        kept = [
            t
            for t in state["targets"]
            if t["resource"] == "table" or t["resource"].removeprefix("index/") in retarget.target_indexes
        ]
        return {"targets": kept}

    def existing(self, aws: Aws, table: TableRef, target: dict[str, Any]) -> dict[str, Existing]:
        state = self.read(aws, table)
        resources = self.fragment(state, target).resources
        aas = aws.client("application-autoscaling", table.region)
        found = {}
        for scaling in state["targets"]:
            resource_id, dimension = _resource_text(table.name, scaling["resource"]), scaling["dimension"]
            target_id = logical_id("ScalingTarget", scaling["resource"], dimension)
            found[target_id] = Existing(
                resources[target_id],
                {"ResourceId": resource_id, "ScalableDimension": dimension, "ServiceNamespace": NAMESPACE},
            )
            if not scaling["policies"]:
                continue
            with translated_errors():
                listed = _all(
                    aas,
                    "describe_scaling_policies",
                    "ScalingPolicies",
                    ResourceId=resource_id,
                    ScalableDimension=dimension,
                )
            arns = {p["PolicyName"]: p["PolicyARN"] for p in listed}
            for policy in scaling["policies"]:
                policy_id = logical_id("ScalingPolicy", scaling["resource"], dimension, policy["name"])
                found[policy_id] = Existing(
                    resources[policy_id], {"Arn": arns[policy["name"]], "ScalableDimension": dimension}
                )
        return found

    def not_applicable(self, target: dict[str, Any]) -> str | None:
        if target.get("billingMode") == "PAY_PER_REQUEST":
            return "the target is on-demand (PAY_PER_REQUEST): auto scaling applies to provisioned capacity only"
        return None

    def fragment(self, state: State, target: dict[str, Any]) -> Fragment:
        resources: dict[str, Any] = {}
        for scaling in state["targets"]:
            target_id = logical_id("ScalingTarget", scaling["resource"], scaling["dimension"])
            properties: dict[str, Any] = {
                "ServiceNamespace": NAMESPACE,
                "ResourceId": _resource_id(scaling["resource"]),
                "ScalableDimension": scaling["dimension"],
                "MinCapacity": scaling["min"],
                "MaxCapacity": scaling["max"],
            }
            if any(scaling["suspended"].values()):
                properties["SuspendedState"] = scaling["suspended"]
            if scaling["scheduledActions"]:
                properties["ScheduledActions"] = [_scheduled_property(a) for a in scaling["scheduledActions"]]
            resources[target_id] = {
                "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
                "DependsOn": TABLE_LOGICAL_ID,
                "Properties": properties,
            }
            for policy in scaling["policies"]:
                policy_id = logical_id("ScalingPolicy", scaling["resource"], scaling["dimension"], policy["name"])
                resources[policy_id] = {
                    "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
                    "Properties": {
                        "PolicyName": policy["name"],
                        "PolicyType": "TargetTrackingScaling",
                        "ScalingTargetId": {"Ref": target_id},
                        "TargetTrackingScalingPolicyConfiguration": policy["targetTracking"],
                    },
                }
        return Fragment(resources=resources)


def _all(client: Any, operation: str, key: str, **parameters: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(ServiceNamespace=NAMESPACE, **parameters):
        found += page.get(key, [])
    return found


def _policy(api: dict[str, Any]) -> dict[str, Any]:
    config = api.get("TargetTrackingScalingPolicyConfiguration", {})
    tracking = {k: config[k] for k in TRACKING + TRACKING_OPTIONAL if k in config}
    return {"name": api["PolicyName"], "targetTracking": tracking}


def _action(api: dict[str, Any]) -> dict[str, Any]:
    action = api.get("ScalableTargetAction", {})
    return {
        "name": api["ScheduledActionName"],
        "schedule": api["Schedule"],
        "timezone": api.get("Timezone"),
        "startTime": _iso(api.get("StartTime")),
        "endTime": _iso(api.get("EndTime")),
        "min": action.get("MinCapacity"),
        "max": action.get("MaxCapacity"),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def _resource_text(table_name: str, resource: str) -> str:
    return f"table/{table_name}" if resource == "table" else f"table/{table_name}/{resource}"


def _resource_id(resource: str) -> Any:
    # The table's name comes from the stack (Ref), never from the request as template text.
    if resource == "table":
        return {"Fn::Join": ["", ["table/", {"Ref": TABLE_LOGICAL_ID}]]}
    return {"Fn::Join": ["", ["table/", {"Ref": TABLE_LOGICAL_ID}, "/" + resource]]}


def _scheduled_property(action: dict[str, Any]) -> dict[str, Any]:
    prop: dict[str, Any] = {"ScheduledActionName": action["name"], "Schedule": action["schedule"]}
    for key, name in (("timezone", "Timezone"), ("startTime", "StartTime"), ("endTime", "EndTime")):
        if action[key]:
            prop[name] = action[key]
    limits = {k: action[s] for s, k in (("min", "MinCapacity"), ("max", "MaxCapacity")) if action[s] is not None}
    if limits:
        prop["ScalableTargetAction"] = limits
    return prop


SETTING = Autoscaling()
