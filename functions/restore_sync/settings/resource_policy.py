"""`resource_policy`: the table's resource-based policy, with the source's ARNs rewritten to the target's."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from restore_sync.aws import Aws, TableRef, error_code, translated_errors
from restore_sync.settings.base import Fragment, Retarget, Setting, State


class ResourcePolicy(Setting):
    name = "resource_policy"
    reads = ("dynamodb:GetResourcePolicy",)

    def read(self, aws: Aws, table: TableRef) -> State:
        try:
            with translated_errors():
                policy = aws.client("dynamodb", table.region).get_resource_policy(ResourceArn=table.arn)["Policy"]
        except ClientError as error:
            if error_code(error) == "PolicyNotFoundException":
                return {"policy": None}
            raise
        return {"policy": json.loads(policy)}

    def wanted(self, state: State, retarget: Retarget) -> State:
        if state["policy"] is None:
            return state
        return {"policy": rewrite_arns(state["policy"], retarget.source.arn, retarget.target.arn)}

    def fragment(self, state: State, target: dict[str, Any]) -> Fragment:
        if state["policy"] is None:
            return Fragment()
        return Fragment(properties={"ResourcePolicy": {"PolicyDocument": state["policy"]}})


def rewrite_arns(document: Any, source_arn: str, target_arn: str) -> Any:
    """`document` with the source table's ARN, and ARNs below it (indexes, streams), pointing at the target."""
    if isinstance(document, dict):
        return {key: rewrite_arns(value, source_arn, target_arn) for key, value in document.items()}
    if isinstance(document, list):
        return [rewrite_arns(value, source_arn, target_arn) for value in document]
    if isinstance(document, str) and (document == source_arn or document.startswith(source_arn + "/")):
        return target_arn + document[len(source_arn) :]
    return document


SETTING = ResourcePolicy()
