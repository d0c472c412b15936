"""statemachine/restore_sync.asl.json: lints clean, its graph holds together, and its error handling follows
the error contract (restore_sync.errors)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from cfnlint.api import lint_all
from statelint.linter import Linter

from restore_sync import errors
from tests.template.template_artefacts import representative_substitutions, substitute

# Errors worth retrying: Lambda's own transient failures, a step that timed out, and the domain's transient
# classes (restore_sync.errors: throttling that outlived the SDK's retries, a CloudFormation operation still
# running). Anything else is a fact about the request or the table that a retry would only repeat.
LAMBDA_TRANSIENT = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "Lambda.Unknown",
}
# TargetTableNotFound: a table just restored may not be visible to DescribeTable for a few seconds.
# TableBeingDeleted: a deleted table stays DELETING for a while before its governance stack may go.
DOMAIN_TRANSIENT = {"AwsTransient", "StackBusy", "TargetTableNotFound", "TableBeingDeleted"}
TRANSIENT = LAMBDA_TRANSIENT | {"States.Timeout"} | DOMAIN_TRANSIENT
# What every Lambda step must at least retry (design.md: throttling, Lambda service errors, timeouts).
MUST_RETRY = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "States.Timeout",
    "AwsTransient",
}
SEND_MESSAGE = "arn:aws:states:::sqs:sendMessage"
# The step a failed sync ends in: it fails the execution, and after a redrive lets the workflow go round again.
SYNC_FAILED = "Restore sync failed"
# It calls no AWS API, so it has no AwsTransient to retry (and must not retry a failure named so: it is the sync's).
SYNC_FAILED_MUST_RETRY = MUST_RETRY - {"AwsTransient"}
DEAD_LETTER_QUEUE_URL = "${DeadLetterQueueUrl}"
TERMINAL_TYPES = {"Succeed", "Fail"}

State = dict[str, Any]


def scopes(definition: dict[str, Any], where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, States container) for the top level and every nested Map processor and Parallel branch."""
    yield where or "top level", definition
    for name, state in definition["States"].items():
        if state["Type"] == "Map":
            yield from scopes(state.get("ItemProcessor") or state["Iterator"], f"{where}{name} > ")
        elif state["Type"] == "Parallel":
            for index, branch in enumerate(state["Branches"]):
                yield from scopes(branch, f"{where}{name}[{index}] > ")


def all_states(definition: dict[str, Any]) -> Iterator[tuple[str, State]]:
    for where, scope in scopes(definition):
        for name, state in scope["States"].items():
            yield f"{where} > {name}" if where != "top level" else name, state


def tasks(definition: dict[str, Any]) -> list[tuple[str, State]]:
    return [(name, state) for name, state in all_states(definition) if state["Type"] == "Task"]


def transitions(state: State) -> list[str]:
    targets = [state[key] for key in ("Next", "Default") if key in state]
    targets += [choice["Next"] for choice in state.get("Choices", [])]
    targets += [catcher["Next"] for catcher in state.get("Catch", [])]
    return targets


def is_terminal(state: State) -> bool:
    return state["Type"] in TERMINAL_TYPES or state.get("End") is True


def reachable(states: dict[str, State], start: str) -> set[str]:
    seen: set[str] = set()
    pending = [start]
    while pending:
        name = pending.pop()
        if name in seen or name not in states:
            continue
        seen.add(name)
        pending.extend(transitions(states[name]))
    return seen


def graph_problems(scope: dict[str, Any]) -> list[str]:
    """What is wrong with one States container: dangling names, unreachable states, states with no way out."""
    states: dict[str, State] = scope["States"]
    problems = []
    if scope["StartAt"] not in states:
        problems.append(f"StartAt names no state: {scope['StartAt']}")
    for name, state in states.items():
        problems += [f"{name} -> {target}: no such state" for target in transitions(state) if target not in states]
        if not is_terminal(state) and state["Type"] != "Choice" and "Next" not in state:
            problems.append(f"{name}: neither End nor Next")
        if state["Type"] == "Choice" and not state.get("Choices"):
            problems.append(f"{name}: a Choice without choices")
    problems += [
        f"{name}: unreachable from {scope['StartAt']}" for name in states.keys() - reachable(states, scope["StartAt"])
    ]
    ends = {name for name, state in states.items() if is_terminal(state)}
    problems += [f"{name}: no path to an end" for name in states if not reachable(states, name) & ends]
    return problems


def test_definition_is_statelint_clean_with_its_substitutions(template: dict[str, Any], asl_text: str) -> None:
    text = substitute(asl_text, representative_substitutions(template))
    assert "${" not in text, "a placeholder has no DefinitionSubstitutions entry"
    assert Linter.validate(json.loads(text)) == []


def test_definition_is_cfn_lint_clean_inside_a_state_machine_resource(template: dict[str, Any], asl_text: str) -> None:
    """cfn-lint checks a definition only when it is inline; wrap the substituted one in a minimal template."""
    definition = json.loads(substitute(asl_text, representative_substitutions(template)))
    wrapped = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "states.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                },
            },
            "StateMachine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"Definition": definition, "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]}},
            },
        },
    }
    # Informational (I) rules are advice about documenting the template, not problems with the definition.
    matches = [m for m in lint_all(json.dumps(wrapped)) if not m.rule.id.startswith("I")]
    assert [str(m) for m in matches if not _succeed_output_path(m, definition)] == []


def _succeed_output_path(match: Any, definition: dict[str, Any]) -> bool:
    """cfn-lint 1.58's schema refuses OutputPath on a Succeed state, which the Amazon States Language allows
    (Succeed takes InputPath and OutputPath); that one message is a known false positive."""
    path = [str(p) for p in match.path]
    return (
        match.rule.id == "E3601"
        and path[-1] == "OutputPath"
        and definition["States"].get(path[-2], {}).get("Type") == "Succeed"
    )


def test_cfn_lint_would_catch_a_broken_definition(template: dict[str, Any], asl_text: str) -> None:
    definition = json.loads(substitute(asl_text, representative_substitutions(template)))
    definition["States"]["Check target table"]["TimeoutSeconds"] = "soon"
    wrapped = {
        "Resources": {
            "StateMachine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"Definition": definition, "RoleArn": "arn:aws:iam::123456789012:role/r"},
            }
        }
    }
    assert [m for m in lint_all(json.dumps(wrapped)) if m.rule.id.startswith("E")]


def test_statelint_would_catch_an_unsubstituted_resource(asl: dict[str, Any]) -> None:
    # Why the definition is linted after substitution: a `${...}` Resource is not a URI to statelint.
    assert any("should be A URI" in problem for problem in Linter.validate(asl))


def test_definition_uses_jsonpath_only(asl: dict[str, Any]) -> None:
    found: list[str] = []

    def walk(value: Any, where: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "QueryLanguage" and item != "JSONPath":
                    found.append(f"{where}.QueryLanguage = {item}")
                walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{where}[{index}]")
        elif isinstance(value, str) and value.strip().startswith("{%"):
            found.append(f"{where}: JSONata expression {value}")

    walk(asl, "")
    # Arguments and Output exist only in JSONata states.
    found += [f"{name}.{key}" for name, state in all_states(asl) for key in ("Arguments", "Output") if key in state]
    assert found == []


def test_state_graph_holds_together_at_every_level(asl: dict[str, Any]) -> None:
    checked = dict(scopes(asl))
    assert len(checked) >= 2, "the Map's processor was not visited"
    assert {where: graph_problems(scope) for where, scope in checked.items()} == {where: [] for where in checked}


@pytest.mark.parametrize(
    ("states", "problem"),
    [
        ({"A": {"Type": "Pass", "Next": "B"}}, "A -> B: no such state"),
        ({"A": {"Type": "Pass", "End": True}, "B": {"Type": "Succeed"}}, "B: unreachable from A"),
        ({"A": {"Type": "Pass"}}, "A: neither End nor Next"),
        (
            {"A": {"Type": "Wait", "Seconds": 1, "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}},
            "A: no path to an end",
        ),
    ],
)
def test_graph_check_finds_broken_definitions(states: dict[str, State], problem: str) -> None:
    assert problem in graph_problems({"StartAt": "A", "States": states})


def test_every_task_has_a_timeout(asl: dict[str, Any]) -> None:
    found = tasks(asl)
    assert found
    assert [name for name, state in found if not isinstance(state.get("TimeoutSeconds"), int)] == []
    assert [name for name, state in found if state["TimeoutSeconds"] <= 0] == []


def test_every_task_retries_transient_errors_only_with_backoff_and_jitter(asl: dict[str, Any]) -> None:
    problems = []
    for name, state in tasks(asl):
        retriers = state.get("Retry", [])
        if not retriers:
            problems.append(f"{name}: no Retry")
        listed = {error for retrier in retriers for error in retrier["ErrorEquals"]}
        if state["Resource"] == SEND_MESSAGE:
            # The dead-letter message is the last thing the workflow does and the only record of the failure:
            # every error sending it (throttling, a KMS hiccup, the network) deserves a few bounded attempts,
            # and no later state could handle it better (the Catch ends in the same Fail state).
            allowed = TRANSIENT | {"States.ALL"}
        else:
            allowed = TRANSIENT
            missing = (SYNC_FAILED_MUST_RETRY if name == SYNC_FAILED else MUST_RETRY) - listed
            if missing:
                problems.append(f"{name}: does not retry {sorted(missing)}")
        problems += [f"{name}: retries {error}, which is not transient" for error in sorted(listed - allowed)]
        for retrier in retriers:
            if not 1 <= retrier.get("MaxAttempts", 3) <= 30:
                problems.append(f"{name}: unbounded or disabled retry {retrier['ErrorEquals']}")
            if retrier.get("BackoffRate", 2.0) <= 1.0 or retrier.get("JitterStrategy") != "FULL":
                problems.append(f"{name}: retry {retrier['ErrorEquals']} without backoff and full jitter")
    assert problems == []


def test_every_task_catches_everything_and_keeps_its_input(asl: dict[str, Any]) -> None:
    problems = []
    for name, state in tasks(asl):
        catchers = state.get("Catch", [])
        if name == SYNC_FAILED:
            # Its failure is the execution's: caught, the execution would end elsewhere, and a redrive would
            # rerun that state instead of this one.
            problems += [f"{name}: catches {catcher['ErrorEquals']}" for catcher in catchers]
            continue
        catch_all = [catcher for catcher in catchers if catcher["ErrorEquals"] == ["States.ALL"]]
        if not catch_all:
            problems.append(f"{name}: no Catch on States.ALL")
        elif catchers[-1] is not catch_all[0]:
            problems.append(f"{name}: States.ALL must be the last catcher")
        # ResultPath defaults to "$" in a Catch: the error would replace the state and the report with it.
        problems += [
            f"{name}: Catch {catcher['ErrorEquals']} discards the input (ResultPath {catcher.get('ResultPath', '$')})"
            for catcher in catchers
            if catcher.get("ResultPath", "$") in {None, "$"}
        ]
    assert problems == []


def test_named_errors_are_classes_of_the_error_contract(asl: dict[str, Any]) -> None:
    names = {
        error
        for _, state in all_states(asl)
        for handler in state.get("Retry", []) + state.get("Catch", [])
        for error in handler["ErrorEquals"]
    }
    domain = {name for name in names if not name.startswith(("States.", "Lambda."))}
    assert domain >= {"AwsTransient"}, "the steps' own transient error is never retried"
    unknown = {name for name in domain | DOMAIN_TRANSIENT if not isinstance(getattr(errors, name, None), type)}
    assert unknown == set(), "names the ASL matches that restore_sync.errors does not define"
    assert all(issubclass(getattr(errors, name), Exception) for name in domain | DOMAIN_TRANSIENT)


# A manual input that cannot be acted on is refused to the person who started it, not dead-lettered.
REFUSED_INPUT = "ValidationError"


def test_failures_of_every_top_level_step_reach_the_dead_letter_queue(asl: dict[str, Any]) -> None:
    states = asl["States"]
    senders = {name for name, state in states.items() if state.get("Resource") == SEND_MESSAGE}
    assert senders
    stranded = [
        f"{name} catches into {catcher['Next']}"
        for name, state in states.items()
        for catcher in state.get("Catch", [])
        if name not in senders
        and catcher["ErrorEquals"] != [REFUSED_INPUT]
        and not reachable(states, catcher["Next"]) & senders
    ]
    assert stranded == []


def test_refused_input_fails_at_once_without_touching_anything(asl: dict[str, Any]) -> None:
    states = asl["States"]
    normalize = states["Normalize request"]
    [refusal] = [c for c in normalize["Catch"] if c["ErrorEquals"] == [REFUSED_INPUT]]
    assert normalize["Catch"].index(refusal) == 0, "the refusal must be caught before States.ALL"
    path = reachable(states, refusal["Next"])
    assert {states[name]["Type"] for name in path} <= {"Pass", "Fail"}
    assert any(states[name]["Type"] == "Fail" for name in path)


def test_every_choice_has_a_default(asl: dict[str, Any]) -> None:
    choices = [(name, state) for name, state in all_states(asl) if state["Type"] == "Choice"]
    assert choices
    assert [name for name, state in choices if "Default" not in state] == []


def test_wait_loop_reads_its_interval_from_the_check(asl: dict[str, Any]) -> None:
    problems = []
    waits = 0
    for _, scope in scopes(asl):
        states = scope["States"]
        for name, state in states.items():
            if state["Type"] != "Wait":
                continue
            waits += 1
            seconds_path = state.get("SecondsPath")
            if not seconds_path or "Seconds" in state:
                problems.append(f"{name}: waits a fixed time instead of reading SecondsPath")
                continue
            loop = {other for other in reachable(states, state["Next"]) if name in reachable(states, other)}
            if name not in loop:
                problems.append(f"{name}: not in a loop")
            writers = [
                other
                for other in loop
                if states[other]["Type"] == "Task" and seconds_path.startswith(f"{states[other].get('ResultPath')}.")
            ]
            if not writers:
                problems.append(f"{name}: no Task in its loop writes {seconds_path}")
    assert waits >= 1, "no Wait state: who waits for the restored table?"
    assert problems == []


def test_map_applies_one_setting_at_a_time(asl: dict[str, Any]) -> None:
    maps = [(name, state) for name, state in all_states(asl) if state["Type"] == "Map"]
    assert maps
    assert {name: state.get("MaxConcurrency") for name, state in maps} == {name: 1 for name, _ in maps}


def test_dead_letter_path_sends_one_message_then_fails_in_a_step_a_redrive_reruns(asl: dict[str, Any]) -> None:
    states = dict(all_states(asl))
    senders = {name: state for name, state in states.items() if state.get("Resource") == SEND_MESSAGE}
    assert list(senders) == ["Send to dead-letter queue"]
    [sender] = senders.values()
    parameters = sender["Parameters"]
    assert parameters["QueueUrl"] == DEAD_LETTER_QUEUE_URL
    assert "MessageBody" in parameters or "MessageBody.$" in parameters
    # Sent or not, the message is followed by the step that fails the execution: a Task, which a redrive reruns
    # (a Fail state rerun by a redrive would only fail again).
    assert set(transitions(sender)) == {SYNC_FAILED}
    failing = states[SYNC_FAILED]
    assert failing["Type"] == "Task"
    assert {"error.$": "$.outcome.error", "cause.$": "$.outcome.cause"}.items() <= failing["Parameters"].items()

    fails = {name: state for name, state in states.items() if state["Type"] == "Fail"}
    refused = reachable(states, states["Normalize request"]["Catch"][0]["Next"])
    # No failure ends the workflow in a Fail state but refused input (same input, same refusal: start again).
    assert set(fails) <= refused
    for name, state in fails.items():
        assert {"Error", "ErrorPath"} & state.keys(), f"{name} has no Error"
        assert {"Cause", "CausePath"} & state.keys(), f"{name} has no Cause"


def test_a_redriven_failure_goes_round_again_from_the_input_and_fails_again_on_its_own_pass(
    asl: dict[str, Any],
) -> None:
    states = asl["States"]
    start, failing = asl["StartAt"], states[SYNC_FAILED]
    # Redriven, the step returns the execution's input to the first state: every step runs again.
    assert (failing["Next"], failing["ResultPath"], failing["OutputPath"]) == (start, None, "$.input")
    assert states[start]["Parameters"] == {"input.$": "$", "pass": {"redriveCount.$": "$$.Execution.RedriveCount"}}
    # It compares the redrive count its pass began at with the count now: equal, the execution fails.
    given = failing["Parameters"]
    assert (given["passRedriveCount.$"], given["redriveCount.$"]) == (
        "$.pass.redriveCount",
        "$$.Execution.RedriveCount",
    )
    # Every state that rebuilds the workflow's state on the way keeps the input and the pass.
    on_the_way = reachable(states, start) & {name for name in states if SYNC_FAILED in reachable(states, name)}
    rebuilders = [
        name
        for name in on_the_way - {start}
        if states[name]["Type"] == "Pass" and "Parameters" in states[name] and "ResultPath" not in states[name]
    ]
    assert rebuilders, "no state rebuilds the workflow's state: is this test still looking at the right thing?"
    assert {
        name: {key: states[name]["Parameters"].get(key) for key in ("input.$", "pass.$")} for name in rebuilders
    } == {name: {"input.$": "$.input", "pass.$": "$.pass"} for name in rebuilders}


def test_a_configuration_error_in_any_step_is_dead_lettered_not_retried(asl: dict[str, Any]) -> None:
    """A misconfigured deployment fails every execution the same way: retrying cannot help, refusing it as bad
    input would drop an automatic restore without a trace."""
    states = asl["States"]
    senders = {name for name, state in states.items() if state.get("Resource") == SEND_MESSAGE}
    problems = []
    for name, state in states.items():
        if state["Type"] != "Task" or name in senders or name == SYNC_FAILED:
            continue
        if any("ConfigurationError" in retrier["ErrorEquals"] for retrier in state.get("Retry", [])):
            problems.append(f"{name} retries ConfigurationError")
        catcher = next(c for c in state["Catch"] if {"ConfigurationError", "States.ALL"} & set(c["ErrorEquals"]))
        if not reachable(states, catcher["Next"]) & senders:
            problems.append(f"{name}: ConfigurationError does not reach the dead-letter queue")
    assert problems == []
    assert isinstance(errors.ConfigurationError(), errors.RestoreSyncError)
