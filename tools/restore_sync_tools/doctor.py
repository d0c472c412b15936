"""`restore-sync doctor`: what the deployment needs and no test can see, each check ok, warn or fail.

The verdicts are pure functions of the AWS answers (unit-tested with recorded answers); `gather` asks AWS for them.
Only boto3 and the standard library are imported here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from botocore.exceptions import ClientError

from restore_sync.aws import TableRef
from restore_sync.stream_access import StreamAccess, check, role_of, statement_to_add
from restore_sync.timestamps import instant
from restore_sync_tools.executions import stack_outputs
from restore_sync_tools.render import table

Verdict = Literal["ok", "warn", "fail"]
# A daily snapshot of every table runs (DailySnapshotRule); a newest version older than this may mean it stopped.
HISTORY_MAX_AGE = timedelta(days=1)
# The history is scanned (it has no index on time) at most this many pages of keys and read times.
HISTORY_SCAN_PAGES = 100
# The history table's pointer items (restore_sync.history.store.POINTER): they have no read time.
HISTORY_POINTER = "latest"
# The stack's resources the app cannot run without.
REQUIRED_TYPES = ("AWS::StepFunctions::StateMachine", "AWS::IAM::Role")


@dataclass(frozen=True)
class Check:
    name: str
    verdict: Verdict
    detail: str


def rows(checks: list[Check]) -> list[str]:
    """The checks as a text table: check, verdict, what was found and what to do."""
    return table([("check", "verdict", "found, and what to do"), *((c.name, c.verdict, c.detail) for c in checks)])


def worst(checks: list[Check]) -> Verdict:
    verdicts = {check.verdict for check in checks}
    return "fail" if "fail" in verdicts else "warn" if "warn" in verdicts else "ok"


# ---- stream consumers -------------------------------------------------------------------------------------------


def consumers_check(accesses: dict[TableRef, list[StreamAccess]]) -> Check:
    """Whether every function mapped to a table's stream could be mapped to a restored copy's stream: Lambda
    refuses a mapping whose function's role cannot read the stream, and restore-sync then reports that trigger
    failed."""
    name = "stream consumers can read a restored copy"
    if not accesses:
        return Check(name, "ok", "no table has stream triggers")
    blocked = [(table, access) for table, found in accesses.items() for access in found if not access.readable]
    triggers = sum(len(found) for found in accesses.values())
    if not blocked:
        return Check(name, "ok", f"{triggers} triggers on {len(accesses)} tables: every function's role can read it")
    details = [
        f"{table.name}: function {access.function_arn} (role {access.role_arn}) lacks {', '.join(access.denied)} on a "
        f"restored copy's stream; add to the role "
        f"{json.dumps(statement_to_add(table, f'{table.name}*'), separators=(',', ':'))}"
        for table, access in blocked
    ]
    return Check(
        name,
        "warn",
        f"{len(blocked)} of {triggers} triggers could not be copied (restore-sync would report them failed): "
        + "; ".join(details),
    )


# ---- CloudTrail -----------------------------------------------------------------------------------------------


def logs_management_writes(selectors: dict[str, Any]) -> bool:
    """Whether GetEventSelectors' answer logs management write events: a classic selector with ReadWriteType All
    or WriteOnly that includes management events (the default), or an advanced selector on eventCategory
    Management that does not keep read-only events only."""
    for selector in selectors.get("EventSelectors") or []:
        if selector.get("ReadWriteType", "All") in ("All", "WriteOnly") and selector.get(
            "IncludeManagementEvents", True
        ):
            return True
    for advanced in selectors.get("AdvancedEventSelectors") or []:
        fields = {field["Field"]: field for field in advanced.get("FieldSelectors") or []}
        category = fields.get("eventCategory", {})
        if "Management" not in (category.get("Equals") or []):
            continue
        read_only = fields.get("readOnly", {})
        if "true" in (read_only.get("Equals") or []) or "false" in (read_only.get("NotEquals") or []):
            continue
        return True
    return False


@dataclass(frozen=True)
class TrailAnswers:
    """What CloudTrail answered about one trail: DescribeTrails' entry, GetTrailStatus, GetEventSelectors, or
    why they could not be read."""

    trail: dict[str, Any]
    status: dict[str, Any] | None = None
    selectors: dict[str, Any] | None = None
    unreadable: str | None = None


def trail_check(region: str, answers: list[TrailAnswers]) -> Check:
    """ok when a trail that covers `region` is logging and logs management write events; fail when none does
    (EventBridge then never sees a restore call, and nothing ever starts); warn when the only candidates could
    not be read (an organization trail read from a member account, say)."""
    name = "cloudtrail"
    problems: list[str] = []
    unreadable: list[str] = []
    covering = [a for a in answers if a.trail.get("IsMultiRegionTrail") or a.trail.get("HomeRegion") == region]
    for answer in covering:
        trail = answer.trail.get("Name", answer.trail.get("TrailARN", "?"))
        # A trail of another home region (a shadow trail) is reached by its ARN only.
        named = trail if answer.trail.get("HomeRegion", region) == region else answer.trail.get("TrailARN", trail)
        if answer.unreadable:
            unreadable.append(f"trail {trail}: {answer.unreadable}")
        elif not (answer.status or {}).get("IsLogging"):
            problems.append(f"trail {trail} is not logging (aws cloudtrail start-logging --name {named})")
        elif not logs_management_writes(answer.selectors or {}):
            problems.append(f"trail {trail} does not log management write events (put-event-selectors)")
        else:
            return Check(name, "ok", f"trail {trail} logs management write events in {region}")
    if unreadable and not problems:
        return Check(name, "warn", "could not read " + "; ".join(unreadable) + ": make sure one logs write events")
    if not covering:
        problems.append(f"no trail covers {region}")
    return Check(
        name,
        "fail",
        "; ".join(problems + unreadable) + ". Without a trail logging management write events, EventBridge never "
        "sees a restore and nothing starts: create or start one (aws cloudtrail create-trail, start-logging)",
    )


# ---- the stack ------------------------------------------------------------------------------------------------


def rules_check(rules: dict[str, str | None]) -> Check:
    """Each rule of the stack (logical id -> DescribeRule's State, None when not found): fail unless all are
    ENABLED."""
    wrong = [f"{rule} is {state or 'missing'}" for rule, state in sorted(rules.items()) if state != "ENABLED"]
    if not rules:
        return Check("rules", "fail", "the stack has no EventBridge rules: is it a restore-sync deployment?")
    if wrong:
        names = ", ".join(wrong)
        return Check("rules", "fail", f"{names}: enable them (aws events enable-rule) or redeploy (sam deploy)")
    return Check("rules", "ok", f"{len(rules)} rules enabled")


def resources_check(resources: list[dict[str, Any]], missing: dict[str, str]) -> Check:
    """The state machine and the roles (ListStackResources' summaries) are in the stack, and none of them is
    `missing` (logical id -> why, when the resource's own service does not find it)."""
    required = [r for r in resources if r["ResourceType"] in REQUIRED_TYPES]
    kinds = {r["ResourceType"] for r in required}
    problems = [f"the stack has no {kind}" for kind in REQUIRED_TYPES if kind not in kinds]
    problems += [
        f"{r['LogicalResourceId']} is {r['ResourceStatus']}"
        for r in required
        if not r.get("ResourceStatus", "").endswith("_COMPLETE") or r["ResourceStatus"].startswith("DELETE")
    ]
    problems += [f"{logical_id}: {why}" for logical_id, why in sorted(missing.items())]
    if problems:
        return Check("state machine and roles", "fail", "; ".join(problems) + ": redeploy (sam deploy)")
    machines = sum(1 for r in required if r["ResourceType"] == REQUIRED_TYPES[0])
    return Check("state machine and roles", "ok", f"{machines} state machine, {len(required) - machines} roles")


def dead_letter_check(attributes: dict[str, str]) -> Check:
    """warn when the dead-letter queue holds messages (GetQueueAttributes ApproximateNumberOfMessages)."""
    count = int(attributes.get("ApproximateNumberOfMessages", "0"))
    if count:
        return Check(
            "dead-letter queue",
            "warn",
            f"{count} message{'s' if count != 1 else ''}: failed syncs or undeliverable events; read them as "
            "docs/operations.md says",
        )
    return Check("dead-letter queue", "ok", "empty")


def history_check(newest_read: datetime | None, now: datetime) -> Check:
    """warn when the settings history is empty or its newest version was read more than a day before `now`."""
    name = "settings history"
    if newest_read is None:
        return Check(name, "warn", "empty: the snapshot function has recorded no table (its logs, the DLQ)")
    # A sandbox on a virtual clock may run ahead of the wall clock.
    age = max(now - newest_read, timedelta(0))
    hours = age.total_seconds() / 3600
    if age > HISTORY_MAX_AGE:
        return Check(
            name,
            "warn",
            f"newest version read {hours:.0f} h ago: normal if no setting changed since, else the daily snapshot "
            "is not running (DailySnapshotRule, the snapshot function's logs, the DLQ)",
        )
    return Check(name, "ok", f"newest version read {hours:.1f} h ago")


# ---- asking AWS -----------------------------------------------------------------------------------------------


def trail_answers(cloudtrail: Any) -> list[TrailAnswers]:
    """Every trail CloudTrail knows in this region, shadow and organization trails included, with its status and
    event selectors (read by ARN, which reaches a trail of another home region)."""
    answers = []
    for trail in cloudtrail.describe_trails(includeShadowTrails=True).get("trailList", []):
        arn = trail.get("TrailARN") or trail["Name"]
        try:
            status = cloudtrail.get_trail_status(Name=arn)
            selectors = cloudtrail.get_event_selectors(TrailName=arn)
        except ClientError as error:
            answers.append(TrailAnswers(trail, unreadable=error.response["Error"].get("Code", str(error))))
            continue
        answers.append(TrailAnswers(trail, status, selectors))
    return answers


def newest_history_read(dynamodb: Any, table_name: str) -> datetime | None:
    """The latest `readAt` of the history's versions. The table is keyed by table then time, with no index on
    time alone, so its keys and read times are scanned (bounded)."""
    newest: str | None = None
    start: dict[str, Any] | None = None
    for _ in range(HISTORY_SCAN_PAGES):
        page = dynamodb.scan(
            TableName=table_name,
            ProjectionExpression="#version, readAt",
            ExpressionAttributeNames={"#version": "version"},
            **({"ExclusiveStartKey": start} if start else {}),
        )
        for item in page.get("Items", []):
            if item["version"]["S"] != HISTORY_POINTER and "readAt" in item:
                newest = max(newest or "", item["readAt"]["S"])
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    return instant(newest) if newest else None


def gather(aws: Any, stack_name: str, now: Callable[[], datetime]) -> list[Check]:
    """Every check of the deployment `stack_name`, in the session's region."""
    cloudformation = aws.client("cloudformation")
    outputs = stack_outputs(cloudformation, stack_name)
    resources = [
        summary
        for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name)
        for summary in page["StackResourceSummaries"]
    ]
    checks = [trail_check(aws.region_name, trail_answers(aws.client("cloudtrail")))]

    events = aws.client("events")
    states: dict[str, str | None] = {}
    for rule in (r for r in resources if r["ResourceType"] == "AWS::Events::Rule"):
        try:
            # A rule on another bus than the default one has the physical id "<bus>|<rule>".
            bus, _, name = rule["PhysicalResourceId"].rpartition("|")
            described = events.describe_rule(Name=name, **({"EventBusName": bus} if bus else {}))
            states[rule["LogicalResourceId"]] = described["State"]
        except events.exceptions.ResourceNotFoundException:
            states[rule["LogicalResourceId"]] = None
    checks.append(rules_check(states))

    checks.append(resources_check(resources, _missing(aws, resources)))
    sqs = aws.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=outputs["DeadLetterQueueUrl"], AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    checks.append(dead_letter_check(attributes))
    newest = newest_history_read(aws.client("dynamodb"), outputs["SettingsHistoryTableName"])
    checks.append(history_check(newest, now()))
    checks.append(consumers_check(stream_consumers(aws, now())))
    return checks


def stream_consumers(aws: Any, now: datetime) -> dict[TableRef, list[StreamAccess]]:
    """Each table's stream triggers, with whether the function's role could read a restored copy's stream (a
    copy named `<table>-restored`: a role scoped to the table's own stream cannot)."""
    lam, iam = aws.client("lambda"), aws.client("iam")
    roles: dict[str, str] = {}
    accesses: dict[TableRef, list[StreamAccess]] = {}
    for page in lam.get_paginator("list_event_source_mappings").paginate():
        for mapping in page["EventSourceMappings"]:
            source = str(mapping.get("EventSourceArn", ""))
            if ":dynamodb:" not in source or "/stream/" not in source:
                continue
            table = TableRef.from_arn(source.split("/stream/")[0])
            copy = TableRef(f"{table.name}-restored", table.region, table.account, table.partition)
            stream = f"{copy.arn}/stream/{now:%Y-%m-%dT%H:%M:%S.000}"
            function = str(mapping["FunctionArn"])
            if function not in roles:
                roles[function] = role_of(lam, function)
            accesses.setdefault(table, []).append(check(iam, function, roles[function], stream))
    return accesses


def _missing(aws: Any, resources: list[dict[str, Any]]) -> dict[str, str]:
    """The stack's state machines and roles that their own service does not find (deleted outside the stack)."""
    sfn, iam = aws.client("stepfunctions"), aws.client("iam")
    missing: dict[str, str] = {}
    for resource in resources:
        physical = resource.get("PhysicalResourceId", "")
        try:
            if resource["ResourceType"] == "AWS::StepFunctions::StateMachine":
                sfn.describe_state_machine(stateMachineArn=physical)
            elif resource["ResourceType"] == "AWS::IAM::Role":
                iam.get_role(RoleName=physical.rsplit("/", 1)[-1])
        except ClientError as error:
            missing[resource["LogicalResourceId"]] = error.response["Error"].get("Code", "not found")
    return missing
