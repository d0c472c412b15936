"""The layout holds: no import circle between modules or between the parts of the house, every package says what
lives in it, and docs/architecture.md's picture shows exactly the dependencies the code has."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Where each first-party package lives.
SOURCES = (ROOT / "functions", ROOT / "tools", ROOT / "sandbox")
# The Lambda package's parts, each a subpackage; its other modules are the foundation beneath them.
LAMBDA_PARTS = ("handlers", "workflow", "history", "settings")
ARCHITECTURE = ROOT / "docs" / "architecture.md"


def modules() -> dict[str, Path]:
    """Every first-party module by dotted name (a package by its own name)."""
    found = {}
    for source in SOURCES:
        for path in source.rglob("*.py"):
            parts = path.relative_to(source).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported(tree: ast.AST, known: dict[str, Path]) -> Iterator[str]:
    """The first-party modules `tree` imports, at any depth, including importlib.import_module("literal")."""
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from package import module` imports the module; `from module import name` the module alone.
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names = [node.args[0].value]
        for name in names:
            if name in known:
                yield name
                break


def module_graph() -> dict[str, set[str]]:
    known = modules()
    return {
        name: set(imported(ast.parse(path.read_text(encoding="utf-8")), known)) - {name} for name, path in known.items()
    }


def part(module: str) -> str:
    """The part of the house a module belongs to."""
    top, _, rest = module.partition(".")
    sub = rest.split(".")[0]
    if top == "restore_sync" and sub in LAMBDA_PARTS:
        return f"{top}.{sub}"
    return top


def part_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, uses in module_graph().items():
        graph.setdefault(part(module), set()).update(part(used) for used in uses if part(used) != part(module))
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle through each strongly connected group of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for used in sorted(graph.get(node, ())):
            if used not in index:
                visit(used)
                low[node] = min(low[node], low[used])
            elif used in stack:
                low[node] = min(low[node], index[used])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def pictured_dependencies() -> set[tuple[str, str]]:
    """The arrows of the mermaid picture in docs/architecture.md, as (part, part it uses)."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    picture = re.search(r"```mermaid\n(.*?)```", text, re.DOTALL)
    assert picture, "docs/architecture.md has no mermaid picture"
    labels = dict(re.findall(r"(\w+)\[\"([\w.]+)", picture.group(1)))
    arrows = re.findall(r"^\s*(\w+)(?:\[[^\]]*\])?\s*-->\s*(\w+)", picture.group(1), re.MULTILINE)
    return {(labels[a], labels[b]) for a, b in arrows}


def test_no_module_imports_itself_through_others() -> None:
    graph = module_graph()
    assert len(graph) > 50, "the modules were not found"
    assert circles(graph) == []


def test_no_part_of_the_house_depends_on_itself_through_others() -> None:
    assert circles(part_graph()) == []


def test_the_circle_finder_finds_circles() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_the_architecture_picture_shows_exactly_the_dependencies_of_the_code() -> None:
    actual = {(user, used) for user, uses in part_graph().items() for used in uses}
    pictured = pictured_dependencies()
    assert sorted(actual - pictured) == [], "dependencies the picture does not show"
    assert sorted(pictured - actual) == [], "arrows the code does not have"


def test_every_package_says_what_lives_in_it() -> None:
    silent = [
        str(path.relative_to(ROOT))
        for source in SOURCES
        for path in source.rglob("__init__.py")
        if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        and not (path.parent / "README.md").is_file()
    ]
    assert silent == []
