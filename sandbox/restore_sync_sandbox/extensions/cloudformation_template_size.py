"""CloudFormation's limit on an inline template: a TemplateBody over 51,200 bytes is refused, as AWS refuses it.

AWS documents TemplateBody as at most 51,200 bytes (CreateStack, UpdateStack, CreateChangeSet, ValidateTemplate,
GetTemplateSummary); a larger template must be uploaded to S3 and passed as TemplateURL (which `sam deploy` does).
botocore's model carries only the minimum length, and moto accepts any size, so a template that AWS would refuse
worked here. Patched: those operations of `moto.cloudformation.responses.CloudFormationResponse`, which now answer
a ValidationError with AWS's message before doing anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.cloudformation import responses as cfn_responses
from moto.cloudformation.exceptions import ValidationError

MAX_TEMPLATE_BODY_BYTES = 51_200
OPERATIONS = ("create_stack", "update_stack", "create_change_set", "validate_template", "get_template_summary")
_PATCHED = "_restore_sync_template_size"


def refusal(body: str) -> str | None:
    """AWS's message for an inline template over the limit, or None when `body` is within it."""
    size = len(body.encode("utf-8"))
    if size <= MAX_TEMPLATE_BODY_BYTES:
        return None
    return (
        "1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length "
        f"less than or equal to {MAX_TEMPLATE_BODY_BYTES} (it has {size} bytes: upload it to S3 and pass TemplateURL)"
    )


def _limited(original: Callable[..., Any]) -> Callable[..., Any]:
    def operation(self: Any) -> Any:
        body = self._get_param("TemplateBody")
        message = refusal(body) if isinstance(body, str) else None
        if message:
            raise ValidationError(message=message)
        return original(self)

    setattr(operation, _PATCHED, True)
    return operation


def install() -> None:
    for name in OPERATIONS:
        current = getattr(cfn_responses.CloudFormationResponse, name)
        if not getattr(current, _PATCHED, False):
            setattr(cfn_responses.CloudFormationResponse, name, _limited(current))
