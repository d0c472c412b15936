"""State machines created by CloudFormation can be executed, with their DefinitionSubstitutions applied.

AWS behaviour reproduced:
- `AWS::StepFunctions::StateMachine` in a stack creates a state machine that StartExecution runs. Its
  definition comes from `DefinitionString` or `Definition` (an object: what aws-sam-translator and inline
  templates use), with every `${Name}` of `DefinitionSubstitutions` replaced by its value; deleting the
  stack deletes it, and an update changes the definition and role in place (a new name replaces it).
- StartExecution without a name (the API, or an EventBridge target) gets a generated UUID as its name.

moto internals patched:
- `moto.stepfunctions.models.StateMachine.create_from_cloudformation_json`, `update_from_cloudformation_json`
  and `delete_from_cloudformation_json`: moto uses the non-executing backend there and ignores `Definition`
  and the substitutions; these go to `moto.stepfunctions.responses.get_backend`, which is the executing parser
  backend when `execute_state_machine` is on.
- `StepFunctionsParserBackend.start_execution`: a missing or empty name becomes a UUID (moto puts `None` in
  the ARN, and the next unnamed execution then collides with it).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from moto.stepfunctions.models import StateMachine
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import get_backend
from moto.stepfunctions.utils import cfn_to_api_tags

_original_start_execution = StepFunctionsParserBackend.start_execution


def definition_from_properties(properties: dict[str, Any]) -> str:
    """The definition text of a StateMachine's (already resolved) properties, substitutions applied."""
    definition = properties.get("Definition")
    text = json.dumps(definition) if definition is not None else properties.get("DefinitionString", "")
    for name, value in (properties.get("DefinitionSubstitutions") or {}).items():
        text = text.replace("${" + name + "}", _substitution_text(value))
    return str(text)


def _substitution_text(value: Any) -> str:
    # CloudFormation accepts strings, numbers and booleans as substitution values and writes them as text.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _create_from_cloudformation_json(
    cls: type[StateMachine],
    resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> StateMachine:
    properties = cloudformation_json["Properties"]
    backend = get_backend(account_id, region_name)
    return backend.create_state_machine(
        name=properties.get("StateMachineName", resource_name),
        definition=definition_from_properties(properties),
        roleArn=properties.get("RoleArn", ""),
        tags=cfn_to_api_tags(properties.get("Tags", [])),
        loggingConfiguration=_lower_keys(properties.get("LoggingConfiguration")),
        tracingConfiguration=_lower_keys(properties.get("TracingConfiguration")),
        sm_type=properties.get("StateMachineType"),
    )


def _lower_keys(value: Any) -> Any:
    # Templates spell configuration keys in PascalCase; the API (and moto's model) in camelCase.
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: _lower_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_lower_keys(item) for item in value]
    return value


def _delete_from_cloudformation_json(
    cls: type[StateMachine],
    resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
) -> None:
    get_backend(account_id, region_name).delete_state_machine(resource_name)


def _update_from_cloudformation_json(
    cls: type[StateMachine],
    original_resource: Any,
    new_resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
) -> StateMachine:
    properties = cloudformation_json.get("Properties", {})
    name = properties.get("StateMachineName", original_resource.name)
    backend = get_backend(account_id, region_name)
    if name != original_resource.name:
        replacement = _create_from_cloudformation_json(cls, name, cloudformation_json, account_id, region_name)
        backend.delete_state_machine(original_resource.arn)
        return replacement
    state_machine = backend.update_state_machine(
        original_resource.arn,
        definition=definition_from_properties(properties),
        role_arn=properties.get("RoleArn"),
    )
    backend.tagger.tag_resource(state_machine.arn, cfn_to_api_tags(properties.get("Tags", [])))
    return state_machine


def _start_execution(
    self: StepFunctionsParserBackend,
    state_machine_arn: str,
    name: str | None = None,
    execution_input: Any = None,
    trace_header: Any = None,
) -> Execution:
    return _original_start_execution(
        self,
        state_machine_arn,
        name=name or str(uuid.uuid4()),
        execution_input=execution_input,
        trace_header=trace_header,
    )


def install() -> None:
    """Sends stack-created state machines to the executing backend and names unnamed executions."""
    StateMachine.create_from_cloudformation_json = classmethod(_create_from_cloudformation_json)  # type: ignore[method-assign,assignment]
    StateMachine.delete_from_cloudformation_json = classmethod(_delete_from_cloudformation_json)  # type: ignore[method-assign,assignment]
    StateMachine.update_from_cloudformation_json = classmethod(_update_from_cloudformation_json)  # type: ignore[method-assign,assignment]
    StepFunctionsParserBackend.start_execution = _start_execution  # type: ignore[method-assign]
