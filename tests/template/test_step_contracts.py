"""Each Task of the workflow hands its handler exactly what the handler's input model reads: the keys of the
Task's Parameters (for the first state of a Map's processor, the Map's ItemSelector) are the model's fields."""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable, Iterator
from functools import cache
from types import SimpleNamespace
from typing import Any

import pytest

from restore_sync.contracts import Contract, SettingResult
from restore_sync.errors import ContractError
from tests.template.template_artefacts import PLACEHOLDER, ref_target, the_state_machine

State = dict[str, Any]
# A handler that refuses its event still flushes its (empty) metrics on the way out.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
# Enough of Lambda's context object for Powertools' decorators: a refusal comes before anything else is read.
CONTEXT = SimpleNamespace(
    function_name="step",
    memory_limit_in_mb=128,
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:step",
    aws_request_id="contract-test",
)


def task_inputs(definition: dict[str, Any], selector: State | None = None) -> Iterator[tuple[str, State, State | None]]:
    """(name, state, what its Resource receives) for every Task at every level: its Parameters, or for the state a
    Map's processor starts at, the Map's ItemSelector; None when neither says (the input is a previous output)."""
    for name, state in definition["States"].items():
        if state["Type"] == "Map":
            processor = state.get("ItemProcessor") or state["Iterator"]
            yield from task_inputs(processor, state.get("ItemSelector", state.get("Parameters")))
        elif state["Type"] == "Parallel":
            for branch in state["Branches"]:
                yield from task_inputs(branch)
        elif state["Type"] == "Task":
            given = state.get("Parameters")
            if given is None and name == definition["StartAt"] and state.get("InputPath", "$") == "$":
                given = selector
            yield name, state, given


def handler_of(template: dict[str, Any], resource: str) -> str | None:
    """The Handler of the function a `${...}` Resource names through DefinitionSubstitutions, else None."""
    match = PLACEHOLDER.fullmatch(resource)
    if match is None:
        return None
    _, properties = the_state_machine(template)
    target = ref_target(properties.get("DefinitionSubstitutions", {}).get(match.group(1)))
    resource_of = template["Resources"].get(target[0]) if target else None
    if not resource_of or resource_of["Type"] != "AWS::Serverless::Function":
        return None
    return str(resource_of["Properties"]["Handler"])


@cache
def input_model(handler_path: str) -> type[Contract] | None:
    """The model a handler parses its event into, found by giving it nothing: it must refuse at once, naming it."""
    module, function = handler_path.rsplit(".", 1)
    handler = getattr(importlib.import_module(module), function)
    try:
        handler({}, CONTEXT)
    except ContractError as refusal:
        return refusal.model
    return None


def contract_problems(definition: dict[str, Any], template: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """What differs between each Task's input and its handler's model, and the Lambda Tasks checked (name: Handler)."""
    problems: list[str] = []
    checked: dict[str, str] = {}
    for name, state, given in task_inputs(definition):
        resource = str(state["Resource"])
        handler = handler_of(template, resource)
        if handler is None:
            if PLACEHOLDER.search(resource):
                problems.append(f"{name}: {resource} names no function of the template")
            continue  # a service integration (the dead-letter queue), no handler of ours
        checked[name] = handler
        model = input_model(handler)
        if model is None:
            problems.append(f"{name}: {handler} does not refuse an empty event with a ContractError")
            continue
        if given is None:
            problems.append(f"{name}: neither Parameters nor an ItemSelector says what {handler} receives")
            continue
        supplied = {key.removesuffix(".$") for key in given}
        reads = set(model.wire_keys())
        problems += [f"{name}: {model.__name__} does not read {key}" for key in sorted(supplied - reads)]
        problems += [
            f"{name}: {model.__name__} reads {key}, which the Task does not supply" for key in sorted(reads - supplied)
        ]
    return problems, checked


def lambda_handlers(template: dict[str, Any]) -> set[str]:
    """The Handler of every function the definition can name through DefinitionSubstitutions."""
    _, properties = the_state_machine(template)
    found = {handler_of(template, f"${{{key}}}") for key in properties.get("DefinitionSubstitutions", {})}
    return {handler for handler in found if handler}


def test_every_task_supplies_exactly_what_its_handler_reads(asl: dict[str, Any], template: dict[str, Any]) -> None:
    problems, checked = contract_problems(asl, template)
    assert problems == []
    # Every function of the workflow was reached, the one inside the Map too.
    assert set(checked.values()) == lambda_handlers(template)
    assert checked["Apply setting"] == "restore_sync.handlers.apply_setting.handler"


STATES = "States"
MAP = "Apply settings one at a time"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        pytest.param(
            lambda d: d[STATES]["Check target table"]["Parameters"].update({"deadline.$": "$.poll.deadline"}),
            "Check target table: CheckTargetInput does not read deadline",
            id="a key no field reads",
        ),
        pytest.param(
            lambda d: d[STATES]["Check target table"]["Parameters"].pop("attempt.$"),
            "Check target table: CheckTargetInput reads attempt, which the Task does not supply",
            id="a field no key supplies",
        ),
        pytest.param(
            lambda d: d[STATES][MAP]["ItemSelector"].pop("stack.$"),
            "Apply setting: ApplySettingInput reads stack, which the Task does not supply",
            id="a field the Map's ItemSelector does not supply",
        ),
        pytest.param(
            lambda d: d[STATES][MAP].pop("ItemSelector"),
            "Apply setting: neither Parameters nor an ItemSelector says what",
            id="a Task whose input nothing sets",
        ),
        pytest.param(
            lambda d: d[STATES]["Verify target"].update({"Resource": "${NoSuchFunctionArn}"}),
            "Verify target: ${NoSuchFunctionArn} names no function of the template",
            id="a Resource that names no function",
        ),
    ],
)
def test_a_task_and_a_model_that_disagree_are_found(
    asl: dict[str, Any], template: dict[str, Any], change: Callable[[dict[str, Any]], Any], problem: str
) -> None:
    changed = copy.deepcopy(asl)
    change(changed)
    problems, _ = contract_problems(changed, template)
    assert any(found.startswith(problem) for found in problems), problems


def test_the_failed_setting_the_map_records_is_a_setting_result(asl: dict[str, Any]) -> None:
    """When Apply setting fails, "Record failed setting" builds the setting's result in its place."""
    processor = asl[STATES][MAP]["ItemProcessor"]
    built = processor["States"]["Record failed setting"]["Parameters"]
    # What the paths select is text: the item's setting name, and the caught error's name and Cause.
    example = {key.removesuffix(".$"): "from a path" if key.endswith(".$") else value for key, value in built.items()}
    assert SettingResult.from_dict(example).status == "failed"
