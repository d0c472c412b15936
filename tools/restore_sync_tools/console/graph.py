"""The workflow graph of a state machine definition (Amazon States Language): its states and edges, as DOT text.

Pure functions: `build` reads a definition (the deployed one, or statemachine/restore_sync.asl.json with its
placeholders) and returns every state, including those inside a Map's ItemProcessor (or a Parallel's branches),
and every edge: Next, each Choice rule and its Default, each Catch, a Map's items and an End. `to_dot` lays it
out for graphviz's `dot`; `render_svg` runs `dot` (the Debian package graphviz). `python -m
restore_sync_tools.console.graph DEFINITION OUT` writes OUT.dot and OUT.svg (`make workflow`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

START = "(start)"
END = "(end)"
# graphviz's `dot` lays the graph out; Debian and Ubuntu ship it in this package.
GRAPHVIZ_PACKAGE = "graphviz"
RENDER_TIMEOUT_SECONDS = 60
DIGEST_MARK = "restore-sync workflow, drawn from DOT sha256"

# Edge kinds, as the page and the picture style them.
NEXT, CHOICE, DEFAULT, CATCH, ITEMS, BRANCH = "next", "choice", "default", "catch", "items", "branch"

_OPERATORS = {
    "Equals": "==",
    "LessThan": "<",
    "GreaterThan": ">",
    "LessThanEquals": "<=",
    "GreaterThanEquals": ">=",
    "Matches": "matches",
}
_TESTS = ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp")


# (source, target, kind, label) of an edge, before it is numbered.
_Move = tuple[str, str, str, str]


class GraphvizMissing(RuntimeError):
    """graphviz's `dot` is not installed: the message names the package that provides it."""


@dataclass(frozen=True)
class Node:
    """One state: `id` is stable for a definition (its order of appearance), `parent` the Map or Parallel state
    whose iterations or branches run it."""

    id: str
    name: str
    type: str
    parent: str | None = None


@dataclass(frozen=True)
class Edge:
    """A way from one state to another: `source` may be START, `target` END."""

    id: str
    source: str
    target: str
    kind: str
    label: str = ""


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    def node(self, name: str) -> Node:
        return next(node for node in self.nodes if node.name == name)

    def names(self) -> list[str]:
        return [node.name for node in self.nodes]

    def pairs(self) -> set[tuple[str, str, str]]:
        """(source, target, kind) of every edge."""
        return {(edge.source, edge.target, edge.kind) for edge in self.edges}


def build(definition: Mapping[str, Any]) -> Graph:
    """Every state of `definition` (a parsed ASL document) and every edge between them."""
    nodes: list[Node] = []
    edges: list[_Move] = [(START, str(definition["StartAt"]), NEXT, "")]
    _walk(definition, None, nodes, edges)
    return Graph(
        nodes=tuple(nodes),
        edges=tuple(Edge(f"edge-{i}", s, t, kind, label) for i, (s, t, kind, label) in enumerate(edges)),
    )


def _walk(machine: Mapping[str, Any], parent: str | None, nodes: list[Node], edges: list[_Move]) -> None:
    for name, state in (machine.get("States") or {}).items():
        kind = str(state.get("Type", "?"))
        nodes.append(Node(f"state-{len(nodes)}", name, kind, parent))
        if kind == "Choice":
            for rule in state.get("Choices") or []:
                edges.append((name, str(rule["Next"]), CHOICE, condition(rule)))
            if state.get("Default"):
                edges.append((name, str(state["Default"]), DEFAULT, "default"))
        elif state.get("Next"):
            edges.append((name, str(state["Next"]), NEXT, ""))
        elif state.get("End") and parent is None:
            edges.append((name, END, NEXT, ""))
        for catcher in state.get("Catch") or []:
            errors = ", ".join(str(e) for e in catcher.get("ErrorEquals") or [])
            edges.append((name, str(catcher["Next"]), CATCH, f"catch {errors}"))
        inner = state.get("ItemProcessor") or state.get("Iterator")
        if kind == "Map" and inner:
            edges.append((name, str(inner["StartAt"]), ITEMS, "each item"))
            _walk(inner, name, nodes, edges)
        for index, branch in enumerate(state.get("Branches") or []):
            edges.append((name, str(branch["StartAt"]), BRANCH, f"branch {index + 1}"))
            _walk(branch, name, nodes, edges)


def condition(rule: Mapping[str, Any]) -> str:
    """A Choice rule in a few words: `$.request.dryRun == true`, `not (...)`, `(...) and (...)`."""
    if "And" in rule or "Or" in rule:
        joiner = " and " if "And" in rule else " or "
        return joiner.join(f"({condition(r)})" for r in rule.get("And") or rule.get("Or") or [])
    if "Not" in rule:
        return f"not ({condition(rule['Not'])})"
    if "Condition" in rule:
        return str(rule["Condition"])
    variable = str(rule.get("Variable", ""))
    for key, value in rule.items():
        if key in ("Variable", "Next", "Comment", "Assign", "Output"):
            continue
        if key in _TESTS:
            return f"{variable} {'is' if value else 'is not'} {key[2:].lower()}"
        is_path = key.endswith("Path")
        operation = key.removesuffix("Path")
        for suffix, symbol in sorted(_OPERATORS.items(), key=lambda item: -len(item[0])):
            if operation.endswith(suffix):
                shown = str(value) if is_path else json.dumps(value)
                return f"{variable} {symbol} {shown}"
    return variable


# ---- DOT ------------------------------------------------------------------------------------------------------

_SHAPES = {
    "Task": 'shape=box, style="rounded,filled"',
    "Choice": 'shape=diamond, style="filled", margin="0.02,0.02"',
    "Wait": 'shape=box, style="rounded,filled,dashed"',
    "Pass": 'shape=box, style="filled"',
    "Succeed": 'shape=box, style="rounded,filled", peripheries=2',
    "Fail": 'shape=octagon, style="filled"',
    "Map": 'shape=box3d, style="filled"',
    "Parallel": 'shape=box3d, style="filled"',
}
_EDGE_STYLES = {
    NEXT: "",
    CHOICE: 'fontcolor="#44546a"',
    DEFAULT: 'style=dashed, fontcolor="#44546a"',
    CATCH: 'style=dashed, color="#b42318", fontcolor="#b42318"',
    ITEMS: 'style=bold, fontcolor="#44546a"',
    BRANCH: 'style=bold, fontcolor="#44546a"',
}


def to_dot(graph: Graph) -> str:
    """The graph as DOT text: deterministic for a definition, so a committed copy shows whether it drifted.

    SVG ids are the nodes' and edges' ids (`state-N`, `edge-N`), so the page can colour them."""
    lines = [
        "digraph workflow {",
        '  graph [rankdir=TB, fontname="Helvetica", fontsize=11, nodesep=0.3, ranksep=0.35, bgcolor="transparent",'
        " pad=0.3, newrank=true];",
        '  node [fontname="Helvetica", fontsize=11, color="#44546a", fillcolor="#ffffff", margin="0.14,0.05",'
        " height=0.36];",
        '  edge [fontname="Helvetica", fontsize=9, color="#44546a", arrowsize=0.7];',
        f'  "{START}" [id="start", class="terminal", label="Start", shape=circle, style=filled,'
        ' fillcolor="#44546a", fontcolor="#ffffff", fontsize=9, width=0.5, fixedsize=true];',
    ]
    children: dict[str | None, list[Node]] = {}
    for node in graph.nodes:
        children.setdefault(node.parent, []).append(node)

    def emit(parent: str | None, indent: str) -> None:
        for node in children.get(parent, []):
            statement = (
                f'{indent}"{_quote(node.name)}" [id="{node.id}", class="state type-{node.type}",'
                f' label="{_quote(node.name)}", {_SHAPES.get(node.type, _SHAPES["Pass"])}];'
            )
            if node.name in children:
                # A Map or Parallel state is drawn as a box holding the states its iterations or branches run.
                lines.append(f'{indent}subgraph "cluster_{node.id}" {{')
                lines.append(
                    f'{indent}  label="{_quote(node.type)}: runs these for {_scope(node)}"; labeljust=l;'
                    ' style="rounded,dashed"; color="#8a94a6"; fontsize=9; fontcolor="#44546a";'
                )
                lines.append("  " + statement)
                emit(node.name, indent + "  ")
                lines.append(f"{indent}}}")
            else:
                lines.append(statement)

    emit(None, "  ")
    if any(edge.target == END for edge in graph.edges):
        lines.append(
            f'  "{END}" [id="end", class="terminal", label="End", shape=circle, style=filled,'
            ' fillcolor="#44546a", fontcolor="#ffffff", fontsize=9, width=0.5, fixedsize=true];'
        )
    for edge in graph.edges:
        attributes = [f'id="{edge.id}"', f'class="edge-{edge.kind}"']
        if edge.label:
            attributes.append(f'label="{_quote(edge.label)}"')
        if _EDGE_STYLES[edge.kind]:
            attributes.append(_EDGE_STYLES[edge.kind])
        lines.append(f'  "{_quote(edge.source)}" -> "{_quote(edge.target)}" [{", ".join(attributes)}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _scope(node: Node) -> str:
    return "each item" if node.type == "Map" else "each branch"


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def digest(dot: str) -> str:
    return hashlib.sha256(dot.encode()).hexdigest()


# ---- SVG ------------------------------------------------------------------------------------------------------


def dot_command() -> str:
    """The path of graphviz's `dot`; GraphvizMissing, naming the package, when it is not installed."""
    found = shutil.which("dot")
    if found is None:
        raise GraphvizMissing(
            f"graphviz is not installed: the `dot` command was not found on PATH "
            f"(Debian/Ubuntu: apt-get install {GRAPHVIZ_PACKAGE}; macOS: brew install graphviz)"
        )
    return found


def render_svg(dot: str) -> str:
    """`dot -Tsvg` of the DOT text: a standalone SVG document, marked with the DOT text's digest."""
    done = subprocess.run(  # noqa: S603 - a fixed command; the DOT text goes to its standard input
        [dot_command(), "-Tsvg"],
        input=dot,
        capture_output=True,
        text=True,
        check=False,
        timeout=RENDER_TIMEOUT_SECONDS,
    )
    if done.returncode != 0:
        raise RuntimeError(f"dot -Tsvg failed ({done.returncode}): {done.stderr.strip()}")
    svg = done.stdout
    start = svg.index("<svg")
    return f"{svg[:start]}<!-- {DIGEST_MARK} {digest(dot)} -->\n{svg[start:]}"


def inline_svg(svg: str) -> str:
    """The <svg> element alone, without the XML prolog and DOCTYPE, to place inside a page."""
    return svg[svg.index("<svg") :]


def picture_digest(svg: str) -> str | None:
    """The DOT digest an SVG written by render_svg carries, or None."""
    marker = f"<!-- {DIGEST_MARK} "
    if marker not in svg:
        return None
    return svg.split(marker, 1)[1].split(" ", 1)[0]


def write_picture(definition_path: Path, out: Path) -> tuple[Path, Path]:
    """OUT.dot and OUT.svg drawn from a definition file (placeholders such as ${Arn} are left as they are)."""
    dot = to_dot(build(json.loads(definition_path.read_text())))
    dot_path, svg_path = out.with_suffix(".dot"), out.with_suffix(".svg")
    dot_path.write_text(dot)
    svg_path.write_text(render_svg(dot))
    return dot_path, svg_path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        sys.stderr.write(
            "usage: python -m restore_sync_tools.console.graph DEFINITION.asl.json OUT (writes OUT.dot, OUT.svg)\n"
        )
        return 2
    try:
        written = write_picture(Path(args[0]), Path(args[1]))
    except GraphvizMissing as error:
        sys.stderr.write(f"{error}\n")
        return 1
    sys.stdout.write(" ".join(str(path) for path in written) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
