"""`restore-sync release`: hand a table over to its team, with everything its governance stack held.

The stack's resources are first set to DeletionPolicy and UpdateReplacePolicy Retain (one UPDATE change set, with
the deployment's CloudFormation role, as the workflow makes them), then the stack is deleted: CloudFormation lets
go of every resource and deletes none. Each one is then read back, and the material to import them elsewhere is
printed: the CloudFormation resource identifiers per logical id (an IMPORT change set's ResourcesToImport, `cdk
import`'s resource mapping) and the matching `terraform import` lines.

A change set whose only changes are DeletionPolicy or UpdateReplacePolicy has been answered "The submitted
information didn't contain changes" (aws/aws-cdk#11521, aws-cloudformation/cloudformation-coverage-roadmap#1543),
and then the stack keeps its old policies. The retaining change set therefore also adds a resource that exists
only in CloudFormation (AWS::CloudFormation::WaitConditionHandle: its registry schema has no handlers, so it needs
no permission and touches nothing), so that it is a change whatever CloudFormation makes of policy edits.
"""

from __future__ import annotations

import copy
import json
import shlex
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from restore_sync.aws import Aws, error_code, translated_errors
from restore_sync.errors import RestoreSyncError
from restore_sync.names import change_set_name, logical_id, stack_name
from restore_sync.workflow.guard import refusals
from restore_sync.workflow.stack import NO_CHANGES, SETTLED, StackOps
from restore_sync.workflow.stored import Store
from restore_sync_tools.errors import UserError
from restore_sync_tools.executions import listed_executions_of, stack_outputs

RETAIN = "Retain"
MARKER_LOGICAL_ID = "RestoreSyncReleased"
MARKER = {"Type": "AWS::CloudFormation::WaitConditionHandle"}
# Waiting for CloudFormation: a stack of a few resources updates and deletes in minutes.
WAIT_SECONDS = 1800.0
POLL_SECONDS = 5.0

TABLE = "AWS::DynamoDB::Table"
MAPPING = "AWS::Lambda::EventSourceMapping"
SCALABLE_TARGET = "AWS::ApplicationAutoScaling::ScalableTarget"
SCALING_POLICY = "AWS::ApplicationAutoScaling::ScalingPolicy"
ALARM = "AWS::CloudWatch::Alarm"
# What a governance stack holds (the settings' fragments), each with the Terraform resource it is imported as.
TERRAFORM_TYPES = {
    TABLE: "aws_dynamodb_table",
    MAPPING: "aws_lambda_event_source_mapping",
    SCALABLE_TARGET: "aws_appautoscaling_target",
    SCALING_POLICY: "aws_appautoscaling_policy",
    ALARM: "aws_cloudwatch_metric_alarm",
}
# Table properties that the AWS provider manages as resources of their own.
KINESIS_DESTINATION = "aws_dynamodb_kinesis_streaming_destination"
RESOURCE_POLICY = "aws_dynamodb_resource_policy"
CONTRIBUTOR_INSIGHTS = "aws_dynamodb_contributor_insights"
SCHEDULED_ACTION = "aws_appautoscaling_scheduled_action"


@dataclass(frozen=True)
class Held:
    """One resource of the stack, as ListStackResources names it."""

    logical_id: str
    resource_type: str
    physical_id: str


@dataclass(frozen=True)
class Handed:
    """One resource handed over: CloudFormation's identifier for it and the Terraform resource it is imported as.

    `identifier` holds the properties of the type's `primaryIdentifier` (its CloudFormation registry schema), as an
    IMPORT change set's ResourceIdentifier takes them. `resource_type` is empty for what CloudFormation keeps as a
    property of another resource and Terraform as a resource of its own (a table's Kinesis destination,
    contributor insights and resource policy; a scalable target's scheduled actions). `lookup` is what reading it
    back takes.
    """

    logical_id: str
    resource_type: str
    identifier: dict[str, str]
    terraform_type: str
    # None: Terraform cannot import it.
    terraform_id: str | None
    # What it is, in a few words, for a person reading the list.
    what: str
    lookup: dict[str, str]

    @property
    def terraform_address(self) -> str:
        return f"{self.terraform_type}.{self.logical_id}"


@dataclass(frozen=True)
class Material:
    """What a team needs to import the released resources into CloudFormation, CDK or Terraform."""

    table: str
    table_arn: str
    stack: str
    stack_id: str
    handed: tuple[Handed, ...]
    # The stack's template with every resource Retain: a template an IMPORT change set takes as it is.
    template: dict[str, Any] = field(default_factory=dict)
    # What was not found once the stack was deleted (nothing, unless something outside deleted it meanwhile).
    missing: tuple[str, ...] = ()


# ---- the material (pure) ---------------------------------------------------------------------------------------


def retained(template: dict[str, Any]) -> dict[str, Any]:
    """`template` with DeletionPolicy and UpdateReplacePolicy Retain on every resource, and the marker added."""
    changed = copy.deepcopy(template)
    for resource in changed["Resources"].values():
        resource["DeletionPolicy"] = RETAIN
        resource["UpdateReplacePolicy"] = RETAIN
    changed["Resources"][MARKER_LOGICAL_ID] = copy.deepcopy(MARKER)
    return changed


def not_retained(template: dict[str, Any]) -> list[str]:
    """The logical ids of the resources a stack deletion would delete (the marker aside)."""
    return sorted(
        name
        for name, resource in template.get("Resources", {}).items()
        if name != MARKER_LOGICAL_ID and resource.get("DeletionPolicy") != RETAIN
    )


def import_template(template: dict[str, Any]) -> dict[str, Any]:
    """The retained template without the marker: what the released resources are, ready for an import."""
    kept = copy.deepcopy(template)
    kept["Resources"].pop(MARKER_LOGICAL_ID, None)
    return kept


def unknown_types(held: Iterable[Held]) -> list[str]:
    """What the stack holds that release cannot hand over (no governance stack holds such a resource)."""
    return sorted(
        f"{h.logical_id} ({h.resource_type})"
        for h in held
        if h.resource_type not in TERRAFORM_TYPES and h.logical_id != MARKER_LOGICAL_ID
    )


def handed_over(held: Iterable[Held], template: dict[str, Any], table_arn: str) -> list[Handed]:
    """Every resource the stack held (`held`, described by the stack's `template`), and the table's properties that
    the Terraform AWS provider keeps as resources of their own, each with its identifiers; the table first.

    Terraform import ids as the AWS provider documents them: a table by name, an event source mapping by UUID, a
    scalable target as `<namespace>/<resource id>/<dimension>`, a scaling policy as that and `/<policy name>`, an
    alarm by name, a Kinesis destination as `<table>,<stream ARN>`, a resource policy by the table's ARN,
    contributor insights as `name:<table>/index:<index, empty for the table>/<account>`; scheduled actions have no
    import. Raises ValueError for a resource it cannot identify (see `unknown_types`).
    """
    resources = template.get("Resources", {})
    by_logical_id = {h.logical_id: h for h in held if h.logical_id != MARKER_LOGICAL_ID}
    order = sorted(by_logical_id.values(), key=lambda h: (h.resource_type != TABLE, h.resource_type, h.logical_id))
    found: list[Handed] = []
    for h in order:
        properties = resources.get(h.logical_id, {}).get("Properties", {})
        if h.resource_type == TABLE:
            found.append(_plain(h, {"TableName": h.physical_id}, "table"))
            found += _table_parts(h.logical_id, properties, h.physical_id, table_arn)
        elif h.resource_type == MAPPING:
            found.append(_plain(h, {"Id": h.physical_id}, f"trigger of {properties.get('FunctionName', '?')}"))
        elif h.resource_type == ALARM:
            found.append(_plain(h, {"AlarmName": h.physical_id}, "alarm"))
        elif h.resource_type == SCALABLE_TARGET:
            found += _scalable_target(h, properties)
        elif h.resource_type == SCALING_POLICY:
            found.append(_scaling_policy(h, properties, by_logical_id))
        else:
            raise ValueError(f"{h.logical_id}: release cannot hand over a {h.resource_type}")
    return found


def _plain(h: Held, identifier: dict[str, str], what: str) -> Handed:
    """A resource that Terraform imports by its CloudFormation physical id."""
    return Handed(
        h.logical_id, h.resource_type, identifier, TERRAFORM_TYPES[h.resource_type], h.physical_id, what, identifier
    )


def _target_parts(physical_id: str) -> tuple[str, str, str]:
    """A scalable target's CloudFormation id (what Ref gives): `<ResourceId>|<ScalableDimension>|<ServiceNamespace>`."""
    parts = physical_id.split("|")
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"not a scalable target's id: {physical_id!r}")
    return parts[0], parts[1], parts[2]


def _scalable_target(h: Held, properties: dict[str, Any]) -> list[Handed]:
    resource_id, dimension, namespace = _target_parts(h.physical_id)
    key = {"ResourceId": resource_id, "ScalableDimension": dimension, "ServiceNamespace": namespace}
    terraform_id = f"{namespace}/{resource_id}/{dimension}"
    found = [
        Handed(
            h.logical_id,
            h.resource_type,
            key,
            TERRAFORM_TYPES[h.resource_type],
            terraform_id,
            f"scalable target {dimension}",
            key,
        )
    ]
    for action in properties.get("ScheduledActions", []):
        name = str(action["ScheduledActionName"])
        lookup = {**key, "ScheduledActionName": name}
        what = f"scheduled action {name} of {h.logical_id}"
        found.append(
            Handed(logical_id("Scheduled", name, h.logical_id), "", lookup, SCHEDULED_ACTION, None, what, lookup)
        )
    return found


def _scaling_policy(h: Held, properties: dict[str, Any], by_logical_id: dict[str, Held]) -> Handed:
    target_id = properties.get("ScalingTargetId")
    target = by_logical_id.get(target_id.get("Ref", "")) if isinstance(target_id, dict) else None
    if target is None or target.resource_type != SCALABLE_TARGET:
        raise ValueError(f"scaling policy {h.logical_id} names no scalable target of the stack")
    resource_id, dimension, namespace = _target_parts(target.physical_id)
    name = str(properties.get("PolicyName"))
    lookup = {
        "ServiceNamespace": namespace,
        "ResourceId": resource_id,
        "ScalableDimension": dimension,
        "PolicyName": name,
        "Arn": h.physical_id,
    }
    identifier = {"Arn": h.physical_id, "ScalableDimension": dimension}
    terraform_id = f"{namespace}/{resource_id}/{dimension}/{name}"
    return Handed(
        h.logical_id,
        h.resource_type,
        identifier,
        TERRAFORM_TYPES[h.resource_type],
        terraform_id,
        f"scaling policy {name}",
        lookup,
    )


def _table_parts(table_id: str, properties: dict[str, Any], name: str, table_arn: str) -> list[Handed]:
    account = table_arn.split(":")[4]
    parts: list[Handed] = []
    stream_arn = (properties.get("KinesisStreamSpecification") or {}).get("StreamArn")
    if isinstance(stream_arn, str):
        key = {"TableName": name, "StreamArn": stream_arn}
        what = f"Kinesis destination {stream_arn}"
        parts.append(Handed(f"{table_id}Kinesis", "", key, KINESIS_DESTINATION, f"{name},{stream_arn}", what, key))
    if properties.get("ResourcePolicy"):
        key = {"ResourceArn": table_arn}
        parts.append(Handed(f"{table_id}ResourcePolicy", "", key, RESOURCE_POLICY, table_arn, "resource policy", key))
    if (properties.get("ContributorInsightsSpecification") or {}).get("Enabled"):
        key = {"TableName": name}
        terraform_id = f"name:{name}/index:/{account}"
        what = "contributor insights of the table"
        parts.append(Handed(f"{table_id}ContributorInsights", "", key, CONTRIBUTOR_INSIGHTS, terraform_id, what, key))
    for index in properties.get("GlobalSecondaryIndexes", []):
        if (index.get("ContributorInsightsSpecification") or {}).get("Enabled"):
            key = {"TableName": name, "IndexName": str(index["IndexName"])}
            terraform_id = f"name:{name}/index:{key['IndexName']}/{account}"
            what = f"contributor insights of index {key['IndexName']}"
            insights_id = logical_id("ContributorInsights", key["IndexName"])
            parts.append(Handed(insights_id, "", key, CONTRIBUTOR_INSIGHTS, terraform_id, what, key))
    return parts


def resources_to_import(material: Material) -> list[dict[str, Any]]:
    """An IMPORT change set's ResourcesToImport for every resource CloudFormation held."""
    return [
        {"ResourceType": h.resource_type, "LogicalResourceId": h.logical_id, "ResourceIdentifier": h.identifier}
        for h in material.handed
        if h.resource_type
    ]


def terraform_lines(material: Material) -> list[str]:
    """One `terraform import` line per resource Terraform can import; a comment for what it cannot."""
    lines = []
    for h in material.handed:
        if h.terraform_id is None:
            lines.append(
                f"# {h.terraform_address}: {h.what} has no terraform import; declare it and apply "
                "(PutScheduledAction overwrites the action of that name)"
            )
        else:
            lines.append(f"terraform import {h.terraform_address} {shlex.quote(h.terraform_id)}")
    return lines


def as_json(material: Material) -> dict[str, Any]:
    return {
        "table": material.table,
        "tableArn": material.table_arn,
        "stack": material.stack,
        "stackId": material.stack_id,
        "resourcesToImport": resources_to_import(material),
        "terraform": terraform_lines(material),
        "template": material.template,
        "missing": list(material.missing),
    }


def as_text(material: Material) -> list[str]:
    """The material as a person reads it: what was kept, the identifiers, the terraform lines, where the template is."""
    held = [h for h in material.handed if h.resource_type]
    lines = [
        f"released table {material.table}: stack {material.stack} is deleted; it held {len(held)} resource(s), "
        "all kept",
        "",
        "CloudFormation resource identifiers (an IMPORT change set's ResourcesToImport; cdk import's mapping):",
    ]
    width = max((len(h.logical_id) for h in held), default=0)
    for h in held:
        lines.append(f"  {h.logical_id:<{width}}  {h.resource_type:<44}  {json.dumps(h.identifier, sort_keys=True)}")
    lines += ["", "ResourcesToImport:", json.dumps(resources_to_import(material), indent=2), "", "Terraform:"]
    lines += [f"  {line}" for line in terraform_lines(material)]
    lines += [
        "",
        "The template to import them with is the stack's last one (every resource Retain) without its "
        f"{MARKER_LOGICAL_ID} resource, which only marked the release (--json prints it so); CloudFormation keeps "
        "it readable for 90 days:",
        f"  aws cloudformation get-template --stack-name {shlex.quote(material.stack_id)}",
    ]
    return lines


# ---- the release (AWS) -----------------------------------------------------------------------------------------


@dataclass
class Release:
    """Releases one table's governance stack in the deployment `deployment` (its stack name)."""

    aws: Aws
    deployment: str
    table: str
    show: Callable[[str], None] = lambda line: None
    wait_seconds: float = WAIT_SECONDS
    poll_seconds: float = POLL_SECONDS
    sleep: Callable[[float], None] = time.sleep

    @property
    def cfn(self) -> Any:
        return self.aws.client("cloudformation")

    def run(self) -> Material:
        """Retains, deletes and reads back; returns the material, which names anything not found afterwards.

        A UserError before anything is changed when the table has no governance stack, an execution for it is
        running, or the stack holds what release cannot identify; after, when CloudFormation does not retain or
        delete as asked. Running it again after an interruption resumes: a retaining change set made already is
        used, and retaining is skipped when the stack's template already retains everything.
        """
        outputs = stack_outputs(self.cfn, self.deployment)
        missing = [k for k in ("StackPrefix", "CloudFormationRoleArn", "StateMachineArn") if k not in outputs]
        if missing:
            raise UserError(
                f"stack {self.deployment} has no {', '.join(missing)} output: is it a restore-sync deployment?"
            )
        try:
            name = stack_name(outputs["StackPrefix"], self.table)
        except ValueError as error:
            raise UserError(str(error)) from error
        ops = StackOps(
            self.aws,
            name,
            outputs["CloudFormationRoleArn"],
            bucket=outputs.get("ExecutionDataBucketName", ""),
            wait_budget_seconds=self.wait_seconds,
            poll_seconds=self.poll_seconds,
            sleep=self.sleep,
        )
        try:
            return self._release(ops, outputs["StateMachineArn"])
        except RestoreSyncError as error:
            raise UserError(str(error)) from error

    def _release(self, ops: StackOps, machine: str) -> Material:
        stack = ops.wait_settled()
        if stack is None:
            raise UserError(
                f"table {self.table} has no governance stack in {self.aws.region}: {ops.stack_name} does not exist, "
                "so there is nothing to release"
            )
        running = [
            e["executionArn"]
            for e in listed_executions_of(self.aws.client("stepfunctions"), machine, self.table)
            if e["status"] == "RUNNING"
        ]
        if running:
            raise UserError(
                f"an execution for {self.table} is running and works in its stack: wait for it to end, or stop it "
                f"({running[0]}), then release again"
            )
        if stack["StackStatus"] not in SETTLED:
            raise UserError(
                f"stack {ops.stack_name} is {stack['StackStatus']}: release needs it settled "
                f"({', '.join(sorted(SETTLED))})"
            )
        stack_id = stack["StackId"]
        held = self._held(stack_id)
        unknown = unknown_types(held)
        if unknown:
            raise UserError(
                f"stack {ops.stack_name} holds what release does not know how to hand over: {', '.join(unknown)}"
            )
        table_arn = self._table_arn()
        template = ops.template()
        handed = handed_over(held, template, table_arn)

        self.show(f"setting every resource of {ops.stack_name} to DeletionPolicy and UpdateReplacePolicy Retain")
        self._retain(ops, template)
        kept = ops.template()
        left = not_retained(kept)
        if left:
            raise UserError(f"stack {ops.stack_name} would still delete {', '.join(left)}: not deleted")

        self.show(f"deleting stack {ops.stack_name} ({stack_id}); every resource it holds is kept")
        with translated_errors():
            self.cfn.delete_stack(StackName=stack_id, RoleARN=ops.role_arn)
        final = ops.wait_settled()
        if final is not None:
            raise UserError(
                f"deleting stack {ops.stack_name} ended {final['StackStatus']}: "
                f"{final.get('StackStatusReason') or 'see its events'}"
            )

        missing = tuple(f"{h.what} ({h.logical_id})" for h in handed if not self.exists(h))
        return Material(self.table, table_arn, ops.stack_name, stack_id, tuple(handed), import_template(kept), missing)

    def _held(self, stack_id: str) -> list[Held]:
        held: list[Held] = []
        with translated_errors():
            for page in self.cfn.get_paginator("list_stack_resources").paginate(StackName=stack_id):
                held += [
                    Held(r["LogicalResourceId"], r["ResourceType"], r.get("PhysicalResourceId", ""))
                    for r in page["StackResourceSummaries"]
                ]
        return held

    def _table_arn(self) -> str:
        with translated_errors():
            return str(self.aws.client("dynamodb").describe_table(TableName=self.table)["Table"]["TableArn"])

    def _retain(self, ops: StackOps, template: dict[str, Any]) -> None:
        """One UPDATE change set that makes every resource Retain; nothing when an earlier release did it already."""
        if not not_retained(template) and MARKER_LOGICAL_ID in template["Resources"]:
            return
        body = json.dumps(retained(template), sort_keys=True)
        name = change_set_name("release", body)
        earlier = ops.change_set(name)
        if earlier is not None and earlier["Status"] == "FAILED":
            with translated_errors():
                self.cfn.delete_change_set(StackName=ops.stack_name, ChangeSetName=name)
        if earlier is None or earlier["Status"] == "FAILED":
            self._create_retaining_change_set(ops, name, body)
        change_set = ops.wait_change_set_created(name)
        if change_set["Status"] != "CREATE_COMPLETE":
            reason = change_set.get("StatusReason", "")
            if NO_CHANGES in reason:
                # The stack has this template already; the check of its template that follows says so or not.
                return
            raise UserError(f"change set {name} on {ops.stack_name} failed: {reason or change_set['Status']}")
        # Only policies change and the marker is added: a change set that shows anything else is not run.
        unexpected = unexpected_changes(change_set.get("Changes", []))
        if not ops.read_as_written(name, body):
            unexpected.append("the template CloudFormation read from the deployment's bucket is not the one written")
        if unexpected:
            with translated_errors():
                self.cfn.delete_change_set(StackName=ops.stack_name, ChangeSetName=name)
            raise UserError(f"change set {name} on {ops.stack_name} refused: {'; '.join(unexpected)}")
        with translated_errors():
            self.cfn.execute_change_set(StackName=ops.stack_name, ChangeSetName=name)
        final = ops.wait_settled()
        status = final["StackStatus"] if final else "missing"
        if status != "UPDATE_COMPLETE":
            why = (final or {}).get("StackStatusReason") or "see the stack's events"
            raise UserError(f"retaining the resources of {ops.stack_name} ended {status}: {why}")

    def _create_retaining_change_set(self, ops: StackOps, name: str, body: str) -> None:
        with translated_errors():
            self.cfn.create_change_set(
                StackName=ops.stack_name,
                ChangeSetName=name,
                ChangeSetType="UPDATE",
                **Store(self.aws, ops.bucket).template_source(ops.stack_name, name, body),
                RoleARN=ops.role_arn,
                Description="restore-sync release: keep every resource when the stack is deleted",
            )

    def exists(self, handed: Handed) -> bool:
        """Whether what `handed` names exists now, read from its own service."""
        try:
            with translated_errors():
                return EXISTS[handed.terraform_type](self.aws, handed.lookup)
        except ClientError as error:
            if error_code(error) in GONE_CODES:
                return False
            raise


def unexpected_changes(changes: list[dict[str, Any]]) -> list[str]:
    """What the retaining change set must not do: anything but adding the marker and modifying resources in place
    for their policies. A resource that refers to one whose policies change may be listed as modified by that
    reference (Evaluation Dynamic): its properties resolve to the same values, since no physical resource changes."""
    problems = refusals(changes)
    for change in changes:
        resource = change.get("ResourceChange", {})
        logical, action = resource.get("LogicalResourceId", "?"), resource.get("Action")
        if action == "Add" and logical == MARKER_LOGICAL_ID:
            continue
        scope = set(resource.get("Scope", []))
        details = resource.get("Details", [])
        in_place = action == "Modify" and resource.get("Replacement") != "True"
        explained = all(_policy_or_reference(d) for d in details) if details else bool(scope) and scope <= POLICIES
        if not (in_place and explained):
            problems.append(f"it would {action} {logical} ({', '.join(sorted(scope)) or 'no scope'})")
    return problems


def _policy_or_reference(detail: dict[str, Any]) -> bool:
    if detail.get("Target", {}).get("Attribute") in POLICIES:
        return True
    return detail.get("Evaluation") == "Dynamic" and detail.get("ChangeSource") in REFERENCES


# A change that comes from another resource of the stack (Ref, Fn::GetAtt), not from the template's text.
REFERENCES = frozenset({"ResourceReference", "ResourceAttribute"})
POLICIES = frozenset({"DeletionPolicy", "UpdateReplacePolicy"})
# What the services answer for something that does not exist.
GONE_CODES = frozenset({"ResourceNotFoundException", "ObjectNotFoundException", "PolicyNotFoundException"})
# DescribeContributorInsights and DescribeKinesisStreamingDestination statuses of something in force.
ON = frozenset({"ENABLED", "ENABLING", "ACTIVE"})


def _table_exists(aws: Aws, key: dict[str, str]) -> bool:
    return bool(aws.client("dynamodb").describe_table(TableName=key["TableName"])["Table"])


def _mapping_exists(aws: Aws, key: dict[str, str]) -> bool:
    return bool(aws.client("lambda").get_event_source_mapping(UUID=key["Id"])["UUID"] == key["Id"])


def _alarm_exists(aws: Aws, key: dict[str, str]) -> bool:
    found = aws.client("cloudwatch").describe_alarms(AlarmNames=[key["AlarmName"]])
    return bool(found.get("MetricAlarms") or found.get("CompositeAlarms"))


def _target_key(key: dict[str, str]) -> dict[str, str]:
    return {name: key[name] for name in ("ServiceNamespace", "ResourceId", "ScalableDimension")}


def _scalable_target_exists(aws: Aws, key: dict[str, str]) -> bool:
    target = _target_key(key)
    found = aws.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace=target["ServiceNamespace"],
        ResourceIds=[target["ResourceId"]],
        ScalableDimension=target["ScalableDimension"],
    )
    return bool(found["ScalableTargets"])


def _scaling_policy_exists(aws: Aws, key: dict[str, str]) -> bool:
    found = aws.client("application-autoscaling").describe_scaling_policies(
        PolicyNames=[key["PolicyName"]], **_target_key(key)
    )
    return any(policy["PolicyARN"] == key["Arn"] for policy in found["ScalingPolicies"])


def _scheduled_action_exists(aws: Aws, key: dict[str, str]) -> bool:
    found = aws.client("application-autoscaling").describe_scheduled_actions(
        ScheduledActionNames=[key["ScheduledActionName"]], **_target_key(key)
    )
    return bool(found["ScheduledActions"])


def _kinesis_destination_exists(aws: Aws, key: dict[str, str]) -> bool:
    found = aws.client("dynamodb").describe_kinesis_streaming_destination(TableName=key["TableName"])
    destinations = found.get("KinesisDataStreamDestinations", [])
    return any(d["StreamArn"] == key["StreamArn"] and d.get("DestinationStatus") in ON for d in destinations)


def _resource_policy_exists(aws: Aws, key: dict[str, str]) -> bool:
    return bool(aws.client("dynamodb").get_resource_policy(ResourceArn=key["ResourceArn"]).get("Policy"))


def _contributor_insights_exist(aws: Aws, key: dict[str, str]) -> bool:
    found = aws.client("dynamodb").describe_contributor_insights(**key)
    return found.get("ContributorInsightsStatus") in ON


# How to read back each kind of resource handed over, by its Terraform type.
EXISTS: dict[str, Callable[[Aws, dict[str, str]], bool]] = {
    TERRAFORM_TYPES[TABLE]: _table_exists,
    TERRAFORM_TYPES[MAPPING]: _mapping_exists,
    TERRAFORM_TYPES[ALARM]: _alarm_exists,
    TERRAFORM_TYPES[SCALABLE_TARGET]: _scalable_target_exists,
    TERRAFORM_TYPES[SCALING_POLICY]: _scaling_policy_exists,
    SCHEDULED_ACTION: _scheduled_action_exists,
    KINESIS_DESTINATION: _kinesis_destination_exists,
    RESOURCE_POLICY: _resource_policy_exists,
    CONTRIBUTOR_INSIGHTS: _contributor_insights_exist,
}
