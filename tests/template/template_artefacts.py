"""What the deployment-artefact tests share: where the artefacts are, and how to read them as CloudFormation would."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from restore_sync_sandbox.deploy import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"
FUNCTIONS = ROOT / "functions"
# The operator's tools: installed beside the functions, in no Lambda zip.
TOOLS = ROOT / "tools"
REGION = "us-east-1"
ACCOUNT = "123456789012"
STACK = "restore-sync"
PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


def source_template() -> dict[str, Any]:
    """template.yaml as written (short tags as their long form); a fresh copy on every call."""
    return load_template(TEMPLATE_PATH)


def resources_of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template.get("Resources", {}).items() if res.get("Type") == kind}


def the_state_machine(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The one AWS::Serverless::StateMachine of the source template: (logical id, properties)."""
    machines = resources_of_type(template, "AWS::Serverless::StateMachine")
    assert len(machines) == 1, f"expected one state machine, found {sorted(machines)}"
    ((logical_id, resource),) = machines.items()
    return logical_id, resource["Properties"]


def asl_path(template: dict[str, Any]) -> Path:
    """The definition file the template deploys (its DefinitionUri), which must be the one in statemachine/."""
    _, properties = the_state_machine(template)
    uri = properties.get("DefinitionUri")
    assert isinstance(uri, str), "the state machine must load its definition from a file (DefinitionUri)"
    return (TEMPLATE_PATH.parent / uri).resolve()


def ref_target(value: Any) -> tuple[str, str] | None:
    """(logical id, "Ref" or the GetAtt attribute) of a Ref or Fn::GetAtt, else None."""
    if isinstance(value, dict) and len(value) == 1:
        if "Ref" in value:
            return str(value["Ref"]), "Ref"
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            logical_id, attribute = target.split(".", 1) if isinstance(target, str) else target
            return str(logical_id), str(attribute)
    return None


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, statement) for every statement of every policy document in the template."""
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties") or {}
        documents: list[tuple[str, Any]] = []
        if resource["Type"] == "AWS::IAM::Role":
            documents.append((f"{logical_id}.AssumeRolePolicyDocument", properties.get("AssumeRolePolicyDocument")))
            for index, policy in enumerate(properties.get("Policies", [])):
                documents.append((f"{logical_id}.Policies[{index}]", policy.get("PolicyDocument")))
        elif "PolicyDocument" in properties:
            documents.append((f"{logical_id}.PolicyDocument", properties["PolicyDocument"]))
        elif "KeyPolicy" in properties:
            documents.append((f"{logical_id}.KeyPolicy", properties["KeyPolicy"]))
        for where, document in documents:
            assert isinstance(document, dict), f"{where}: not a literal policy document"
            statements = document["Statement"]
            for index, statement in enumerate(statements if isinstance(statements, list) else [statements]):
                yield f"{where}.Statement[{index}]", statement


def role_statements(transformed: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(role, statement) for the Allow statements of every role's own policies, and of the policies of the template
    attached to it (AWS::IAM::Policy)."""
    attached = {
        logical_id: [str(target[0]) for role in resource["Properties"]["Roles"] if (target := ref_target(role))]
        for logical_id, resource in resources_of_type(transformed, "AWS::IAM::Policy").items()
    }
    for where, statement in policy_statements(transformed):
        if statement.get("Effect") != "Allow":
            continue
        if ".Policies[" in where:
            yield where.split(".")[0], statement
        for role in attached.get(where.split(".")[0], []):
            yield role, statement


# What CloudFormation resolves a Ref / GetAtt to, per resource type: a value of the right shape for linting.
_SHAPES: dict[tuple[str, str], str] = {
    ("AWS::Serverless::Function", "Arn"): "arn:aws:lambda:{region}:{account}:function:{stack}-{id}-Q1W2E3R4",
    ("AWS::Serverless::Function", "Ref"): "{stack}-{id}-Q1W2E3R4",
    ("AWS::SQS::Queue", "Ref"): "https://sqs.{region}.amazonaws.com/{account}/{stack}-{id}-Q1W2E3R4",
    ("AWS::SQS::Queue", "Arn"): "arn:aws:sqs:{region}:{account}:{stack}-{id}-Q1W2E3R4",
    ("AWS::SQS::Queue", "QueueName"): "{stack}-{id}-Q1W2E3R4",
    ("AWS::SNS::Topic", "Ref"): "arn:aws:sns:{region}:{account}:{stack}-{id}-Q1W2E3R4",
    ("AWS::DynamoDB::Table", "Ref"): "{stack}-{id}-Q1W2E3R4",
    ("AWS::DynamoDB::Table", "Arn"): "arn:aws:dynamodb:{region}:{account}:table/{stack}-{id}-Q1W2E3R4",
    ("AWS::Serverless::StateMachine", "Ref"): "arn:aws:states:{region}:{account}:stateMachine:{id}-Q1W2E3R4",
    ("AWS::IAM::Role", "Arn"): "arn:aws:iam::{account}:role/{stack}-{id}-Q1W2E3R4",
    ("AWS::CloudWatch::Alarm", "Arn"): "arn:aws:cloudwatch:{region}:{account}:alarm:{stack}-{id}-Q1W2E3R4",
}
# What CloudFormation puts for the pseudo parameters, in this deployment of the tests.
PSEUDO_PARAMETERS = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::StackName": STACK}


def representative(template: dict[str, Any], logical_id: str, attribute: str) -> str:
    """What a Ref ("Ref") or Fn::GetAtt of the template's resource `logical_id` resolves to, in the right shape."""
    resources = template["Resources"]
    assert logical_id in resources, f"no resource {logical_id}"
    shape = _SHAPES.get((resources[logical_id]["Type"], attribute))
    assert shape is not None, f"no representative value for {resources[logical_id]['Type']} {attribute}"
    return shape.format(region=REGION, account=ACCOUNT, stack=STACK, id=logical_id)


def resolved(template: dict[str, Any], value: Any) -> str:
    """A literal, Ref, Fn::GetAtt or Fn::Sub (of pseudo parameters and attributes) as CloudFormation resolves it."""
    if isinstance(value, str):
        return value
    target = ref_target(value)
    if target is not None:
        return PSEUDO_PARAMETERS.get(target[0]) or representative(template, *target)
    assert isinstance(value, dict), f"cannot resolve {value!r}"
    assert set(value) == {"Fn::Sub"}, f"cannot resolve {value!r}"
    text = value["Fn::Sub"]
    assert isinstance(text, str), f"only the one-argument Fn::Sub is understood: {value!r}"

    def variable(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in PSEUDO_PARAMETERS:
            return PSEUDO_PARAMETERS[name]
        logical_id, _, attribute = name.partition(".")
        return representative(template, logical_id, attribute or "Ref")

    return PLACEHOLDER.sub(variable, text)


def representative_substitutions(template: dict[str, Any]) -> dict[str, str]:
    """DefinitionSubstitutions with each value replaced by what CloudFormation would put there (an ARN, a URL)."""
    _, properties = the_state_machine(template)
    values: dict[str, str] = {}
    for key, value in properties.get("DefinitionSubstitutions", {}).items():
        if isinstance(value, str | int | float):
            values[key] = str(value)
            continue
        target = ref_target(value)
        assert target is not None, f"DefinitionSubstitutions.{key}: only Ref/GetAtt or literals are understood"
        values[key] = representative(template, *target)
    return values


def substitute(text: str, values: dict[str, str]) -> str:
    """What Step Functions does with DefinitionSubstitutions: each `${key}` replaced by its value."""
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def package_offline(template: dict[str, Any]) -> dict[str, Any]:
    """What `sam package` does, without uploading: local CodeUri become S3 locations, and the local
    DefinitionUri is inlined as Definition (its DefinitionSubstitutions still apply)."""
    packaged = copy.deepcopy(template)
    artefact = {"Bucket": "artifacts", "Key": "functions.zip"}
    function_globals = packaged.get("Globals", {}).get("Function", {})
    if isinstance(function_globals.get("CodeUri"), str):
        function_globals["CodeUri"] = dict(artefact)
    for resource in packaged["Resources"].values():
        properties = resource.get("Properties") or {}
        if resource["Type"] == "AWS::Serverless::Function" and isinstance(properties.get("CodeUri"), str):
            properties["CodeUri"] = dict(artefact)
        if resource["Type"] == "AWS::Serverless::StateMachine" and isinstance(properties.get("DefinitionUri"), str):
            path = TEMPLATE_PATH.parent / properties.pop("DefinitionUri")
            properties["Definition"] = json.loads(path.read_text(encoding="utf-8"))
    return packaged
