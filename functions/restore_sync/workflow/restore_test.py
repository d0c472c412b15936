"""An AWS Backup restore test: would a real restore of this table be made whole? Checked, then told to AWS Backup.

A restore testing plan restores a table on a schedule and deletes it after the validation result (or when the
selection's validation window ends). restore-sync treats such a restore as a dry run (settings read and planned,
no governance stack) and checks what the real thing would need:
- the settings at the restore point: the settings history holds a version in effect then, so a restore made after
  the source is gone still gets them (settings read live only describe today's source);
- every setting can be written as CloudFormation (what a dry run reports `failed`);
- each trigger's function role can read the restored table's stream, as Lambda requires when it creates the
  mapping (restore_sync.stream_access);
- the governance templates stay within CloudFormation's limits: inline, or through the deployment's bucket.
Then PutRestoreValidationResult: SUCCESSFUL with the plan's summary, or FAILED with every reason. A step that
failed before (its error in the workflow's state) is a reason too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

from restore_sync.aws import Aws, TableRef, error_code, translated_errors
from restore_sync.contracts import Contract, PlanItem, Request, RestoreTest, WorkflowState
from restore_sync.errors import RestoreTestUnreportable, SettingNotExpressible
from restore_sync.settings import REGISTRY
from restore_sync.stream_access import check, role_of, statement_to_add, streams_of
from restore_sync.table import import_template
from restore_sync.workflow.report import _cause_message
from restore_sync.workflow.request import RESTORE_TEST_PREFIX
from restore_sync.workflow.stack import merge
from restore_sync.workflow.stored import TEMPLATE_BODY_LIMIT_BYTES

# CloudFormation's quotas ("Understand CloudFormation quotas"): a template read from S3 (TemplateURL) may hold
# 1 MB, counted here as 1,000,000 bytes, the smaller reading; a template declares at most 500 resources.
TEMPLATE_URL_LIMIT_BYTES = 1_000_000
RESOURCES_LIMIT = 500
# botocore's model sets no maximum for ValidationStatusMessage; the message is kept short enough for AWS Backup's
# console and DescribeRestoreJob to show whole, and the report keeps every reason in full.
MESSAGE_LIMIT = 2_000
# A stream label as DynamoDB writes them: the restored table has no stream yet in a restore test, and roles are
# granted a table's streams by pattern (table/<name>/stream/*), so any label stands for the one it would get.
STREAM_LABEL = "1970-01-01T00:00:00.000"

ValidationStatus = Literal["SUCCESSFUL", "FAILED"]


@dataclass(frozen=True, kw_only=True)
class Validation(Contract):
    """What was checked, the result sent to AWS Backup, and why (every reason when FAILED)."""

    restore_job_id: str
    restore_testing_plan_arn: str
    status: ValidationStatus
    message: str
    checked: tuple[str, ...]
    reasons: tuple[str, ...]


def validate(aws: Aws, state: WorkflowState, test: RestoreTest, *, bucket: str) -> Validation:
    """Checks what a real restore of the test's table would need and returns the result (not yet reported).

    `state` is the workflow's state after Plan settings (or after a step failed: its error is a reason);
    `bucket` is the deployment's bucket for templates over the inline limit ("" when it has none).
    """
    request = state.request
    if not isinstance(request, Request):
        raise TypeError("only a request is validated")
    reasons: list[str] = []
    checked: list[str] = []
    if state.error:
        reasons.append(f"{state.error.get('Error', 'Error')}: {_cause_message(state.error.get('Cause'))}")

    source = state.source or {}
    if source:
        checked.append("settings at the restore point")
        if source.get("settingsFrom") != "snapshot":
            reasons.append(
                f"settings at the restore point {source.get('restorePoint')}: not in the settings history "
                f"({source.get('note')}); a restore made after {request.source_table_name} is gone could not be "
                "made whole"
            )
    target = (state.poll or {}).get("table")
    items = state.plan.items if state.plan else ()
    if target and state.plan is not None:
        pending = [item for item in items if item.status == "pending"]
        checked.append("CloudFormation form of each setting")
        fragments = []
        for item in pending:
            try:
                fragments.append(REGISTRY[item.setting].fragment(item.wanted or {}, target))
            except SettingNotExpressible as error:
                reasons.append(f"{item.setting}: {error}")
        checked.append("trigger roles' access to the stream")
        reasons += _unreadable_streams(aws, pending, request.target)
        checked.append("template limits")
        reasons += template_problems(target, fragments, bucket=bucket)

    status: ValidationStatus = "FAILED" if reasons or not checked else "SUCCESSFUL"
    if not checked and not reasons:
        reasons.append("the workflow stopped before the settings were read")
    message = "; ".join(reasons) if reasons else summary(request.target_table_name, source, items)
    return Validation(
        restore_job_id=test.restore_job_id,
        restore_testing_plan_arn=test.restore_testing_plan_arn,
        status=status,
        message=_shortened(message),
        checked=tuple(checked),
        reasons=tuple(reasons),
    )


def report(aws: Aws, validation: Validation, region: str) -> None:
    """Sends the result to AWS Backup. RestoreTestUnreportable when AWS Backup refuses it (the job is unknown, not
    a restore test's, not completed, or its table already deleted after its validation window)."""
    try:
        with translated_errors():
            aws.client("backup", region).put_restore_validation_result(
                RestoreJobId=validation.restore_job_id,
                ValidationStatus=validation.status,
                ValidationStatusMessage=validation.message,
            )
    except ClientError as error:
        if error_code(error) in (
            "InvalidRequestException",
            "ResourceNotFoundException",
            "InvalidParameterValueException",
        ):
            raise RestoreTestUnreportable(
                f"AWS Backup refused the {validation.status} result of restore job {validation.restore_job_id} "
                f"({error_code(error)}: {error.response.get('Error', {}).get('Message', '')}); the result was: "
                f"{validation.message}"
            ) from error
        raise


def summary(target: str, source: dict[str, Any], items: tuple[PlanItem, ...]) -> str:
    """The plan in one line: what a real restore would get, and from where."""
    planned = [item.setting for item in items if item.status == "pending"]
    skipped = [f"{item.setting} ({item.reason})" for item in items if item.status == "skipped"]
    parts = [
        f"{target} would be made whole: {len(planned)} settings planned ({', '.join(planned) or 'none'})",
        f"from the settings history version {source.get('version')} at the restore point {source.get('restorePoint')}",
    ]
    if skipped:
        parts.append(f"skipped: {'; '.join(skipped)}")
    return "; ".join(parts)


def template_problems(target: dict[str, Any], fragments: list[Any], *, bucket: str) -> list[str]:
    """Why the governance stack's last template (the import template with every setting merged, as the last change
    set sends it) would exceed CloudFormation's limits."""
    template = import_template(target)
    for fragment in fragments:
        template = merge(template, fragment.properties, fragment.resources)
    size = len(json.dumps(template, sort_keys=True).encode("utf-8"))
    problems = []
    if size > TEMPLATE_BODY_LIMIT_BYTES and not bucket:
        problems.append(
            f"the governance template would be {size} bytes, over CloudFormation's inline limit of "
            f"{TEMPLATE_BODY_LIMIT_BYTES}, and the deployment names no bucket for larger ones"
        )
    elif size > TEMPLATE_URL_LIMIT_BYTES:
        problems.append(
            f"the governance template would be {size} bytes, over CloudFormation's limit of "
            f"{TEMPLATE_URL_LIMIT_BYTES} for a template read from S3"
        )
    resources = len(template.get("Resources", {}))
    if resources > RESOURCES_LIMIT:
        problems.append(
            f"the governance template would declare {resources} resources, over CloudFormation's {RESOURCES_LIMIT}"
        )
    return problems


def _unreadable_streams(aws: Aws, pending: list[PlanItem], target: TableRef) -> list[str]:
    """Per function role that could not read the target's stream, why, with the statement to add (for the streams
    of restore tests' tables; a real restore's table needs the same for its name)."""
    wanted = next((item.wanted or {} for item in pending if item.setting == "triggers"), {})
    functions = sorted({str(mapping["functionArn"]) for mapping in wanted.get("mappings") or []})
    if not functions:
        return []
    stream = f"{streams_of(target).removesuffix('*')}{STREAM_LABEL}"
    lam, iam = aws.client("lambda", target.region), aws.client("iam")
    problems: list[str] = []
    denied_by_role: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for function in functions:
        try:
            with translated_errors():
                access = check(iam, function, role_of(lam, function), stream)
        except ClientError as error:
            if error_code(error) not in ("ResourceNotFoundException", "NoSuchEntity", "NoSuchEntityException"):
                raise
            problems.append(f"triggers: function {function} or its role does not exist ({error_code(error)})")
            continue
        if not access.readable:
            denied_by_role.setdefault((access.role_arn, access.denied), []).append(function)
    for (role, denied), unreadable in sorted(denied_by_role.items()):
        statement = statement_to_add(target, f"{RESTORE_TEST_PREFIX}*")
        problems.append(
            f"triggers: the role {role} of {', '.join(unreadable)} cannot read the stream of {target.name} "
            f"(denied: {', '.join(denied)}), so Lambda would refuse these triggers on a restored table; add to that "
            f"role the streams of the tables restores are made into, these tests' included: "
            f"{json.dumps(statement, separators=(',', ':'))}"
        )
    return problems


_MORE = " ... (the execution's report has the rest)"


def _shortened(message: str) -> str:
    if len(message) <= MESSAGE_LIMIT:
        return message
    return message[: MESSAGE_LIMIT - len(_MORE)] + _MORE
