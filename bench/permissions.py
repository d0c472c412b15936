"""Least privilege, measured: each action a step uses, deleted from template.yaml alone, makes the demo fail.

The demo runs once as deployed; the sandbox records every (role, action) it allowed a function. Then, for every
action of an Allow statement of a function's role (its Policies, and AWS::IAM::Policy resources attached to it)
that the demo used, the demo runs again on a copy of the template without that one action: the sandbox evaluates
each call against the role's policies as AWS does, so the demo must fail. A mutant whose demo still passes is a
survivor: the action is granted twice, or the step does not need it. Actions the demo never used are listed: the
demo does not exercise them (a path it does not take), so this check says nothing about them.

Usage: `python -m bench.permissions` (part of `make bench`); about ten seconds a mutant, two at a time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from restore_sync_sandbox import demo
from restore_sync_sandbox.cli import app_root
from restore_sync_sandbox.deploy import load_template
from restore_sync_sandbox.extensions import iam_identity_policies
from restore_sync_tools.executions import DEFAULT_STACK_NAME

PARALLEL = 2
MUTANT_SCRIPT = (
    "import sys; from pathlib import Path; from restore_sync_sandbox import demo; "
    "sys.exit(demo.run(show=lambda line: None, root=Path(sys.argv[1])))"
)


@dataclass(frozen=True)
class Grant:
    """One action of one Allow statement, by where it is in the template."""

    role: str  # the role's logical id
    path: tuple[Any, ...]  # keys from the template root to the statement's Action
    action: str

    def __str__(self) -> str:
        return f"{self.role}: {self.action}"


def _statements(document: dict[str, Any], path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    statements = document.get("Statement") or []
    for index, statement in enumerate(statements if isinstance(statements, list) else [statements]):
        yield (*path, "Statement", index), statement


def grants(template: dict[str, Any]) -> list[Grant]:
    """Every action of every Allow statement in the functions' roles."""
    found: list[Grant] = []
    for name, resource in template["Resources"].items():
        properties = resource.get("Properties") or {}
        documents: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        if resource["Type"] == "AWS::Serverless::Function" and "Role" not in properties:
            for index, policy in enumerate(properties.get("Policies") or []):
                if isinstance(policy, dict) and "Statement" in policy:
                    documents.append((f"{name}Role", ("Resources", name, "Properties", "Policies", index), policy))
        elif resource["Type"] == "AWS::IAM::Policy":
            for role in properties.get("Roles") or []:
                if isinstance(role, dict) and str(role.get("Ref", "")).endswith("FunctionRole"):
                    path = ("Resources", name, "Properties", "PolicyDocument")
                    documents.append((role["Ref"], path, properties["PolicyDocument"]))
        for role, path, document in documents:
            for statement_path, statement in _statements(document, path):
                if statement.get("Effect") != "Allow":
                    continue
                actions = statement.get("Action")
                for action in actions if isinstance(actions, list) else [actions]:
                    found.append(Grant(role, (*statement_path, "Action"), str(action)))
    return found


def without(template: dict[str, Any], grant: Grant) -> dict[str, Any]:
    """A copy of `template` without `grant`'s action; a statement left with no action is removed."""
    mutant: dict[str, Any] = json.loads(json.dumps(template))
    node: Any = mutant
    for key in grant.path[:-3]:
        node = node[key]
    statements = node["Statement"]
    index = grant.path[-2]
    actions = statements[index]["Action"]
    remaining = [a for a in (actions if isinstance(actions, list) else [actions]) if a != grant.action]
    if remaining:
        statements[index]["Action"] = remaining
    else:
        del statements[index]
    return mutant


def _role_logical_id(role_arn: str, stack: str) -> str:
    # SAM names a function's role <stack>-<LogicalId>-<suffix>.
    name = role_arn.rsplit("/", 1)[-1]
    return name.removeprefix(f"{stack}-").rsplit("-", 1)[0]


def _run_mutant(root: Path, template: dict[str, Any]) -> int:
    with tempfile.TemporaryDirectory(prefix="restore-sync-mutant-") as folder:
        copy = Path(folder)
        for entry in root.iterdir():
            if entry.name != "template.yaml" and not entry.name.startswith("."):
                (copy / entry.name).symlink_to(entry)
        (copy / "template.yaml").write_text(json.dumps(template), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-c", MUTANT_SCRIPT, str(copy)],
            capture_output=True,
            check=False,
            env={**os.environ},
            timeout=600,
        )
        return done.returncode


def cloudformation_role_figures() -> str:
    """What tests/template/test_cloudformation_role.py holds the CloudFormation role against, counted."""
    from tests.template import test_cloudformation_role as held

    needed = {(kind, action) for kind, handler in held.CALLS for action in held.needed(kind, handler)}
    excluded = sum(len(actions) for actions in held.NOT_NEEDED.values())
    return (
        f"CloudFormation role: {len(needed)} handler permissions of {len(held.HANDLERS_CALLED)} resource types "
        f"({len(held.CALLS)} handlers called) checked against the registry schemas; {excluded} listed as not "
        f"needed, each with its reason; {len(held.ON_EVERY_RESOURCE)} granted on every resource with its reason"
    )


def main() -> None:
    print(cloudformation_role_figures())
    root = app_root()
    template = load_template(root / "template.yaml")
    if demo.run(show=lambda line: None, root=root) != 0:
        raise SystemExit("the demo fails as deployed: run `make demo` to see why")
    allowed = iam_identity_policies.allowed_calls()
    used = {(_role_logical_id(role, DEFAULT_STACK_NAME), action) for role, action in allowed}
    every = grants(template)
    exercised = [g for g in every if (g.role, g.action) in used]
    idle = [g for g in every if (g.role, g.action) not in used]
    with ThreadPoolExecutor(PARALLEL) as pool:
        statuses = list(pool.map(lambda g: _run_mutant(root, without(template, g)), exercised))
    survivors = [g for g, status in zip(exercised, statuses, strict=True) if status == 0]
    print(
        f"Permissions: {len(every)} actions granted to the functions' roles; the demo used {len(exercised)}; "
        f"deleting each alone made the demo fail for {len(exercised) - len(survivors)} of {len(exercised)} "
        f"(target: all)"
    )
    for grant in survivors:
        print(f"  survived (the demo passed without it): {grant}")
    if idle:
        print(f"  not used by the demo ({len(idle)}): {', '.join(str(g) for g in idle)}")


if __name__ == "__main__":
    main()
