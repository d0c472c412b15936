"""The console's workflow graph: built from the real definition, every state and edge present, and the committed
picture (docs/workflow.dot and docs/workflow.svg) drawn from the definition as it is now."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pytest

from restore_sync_tools.console import graph
from restore_sync_tools.console.graph import CATCH, CHOICE, DEFAULT, END, ITEMS, NEXT, START

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = ROOT / "statemachine" / "restore_sync.asl.json"
PICTURE = ROOT / "docs" / "workflow"


def definition() -> dict[str, Any]:
    return dict(json.loads(DEFINITION.read_text()))


def expected_edges(machine: dict[str, Any], inside_map: bool = False) -> set[tuple[str, str, str]]:
    """Every edge the definition implies, read straight from its JSON."""
    found: set[tuple[str, str, str]] = set()
    for name, state in machine["States"].items():
        if state["Type"] == "Choice":
            found |= {(name, rule["Next"], CHOICE) for rule in state["Choices"]}
            found.add((name, state["Default"], DEFAULT))
        elif "Next" in state:
            found.add((name, state["Next"], NEXT))
        elif state.get("End") and not inside_map:
            found.add((name, END, NEXT))
        found |= {(name, catcher["Next"], CATCH) for catcher in state.get("Catch", [])}
        if state["Type"] == "Map":
            found.add((name, state["ItemProcessor"]["StartAt"], ITEMS))
            found |= expected_edges(state["ItemProcessor"], inside_map=True)
    return found


def test_every_state_of_the_real_definition_is_a_node_map_states_inside_their_map() -> None:
    machine = definition()
    built = graph.build(machine)
    top = set(machine["States"])
    maps = {name: state for name, state in machine["States"].items() if state["Type"] == "Map"}
    inner = {n: m for m, state in maps.items() for n in state["ItemProcessor"]["States"]}
    assert maps, "the definition has a Map state"
    assert set(built.names()) == top | set(inner)
    assert len(built.names()) == len(set(built.names()))
    for name, parent in inner.items():
        assert built.node(name).parent == parent
    assert {built.node(name).parent for name in top} == {None}
    assert built.node("Wait before checking again").type == "Wait"


def test_every_edge_of_the_real_definition_is_drawn_catch_and_map_edges_included() -> None:
    machine = definition()
    built = graph.build(machine)
    expected = expected_edges(machine) | {(START, machine["StartAt"], NEXT)}
    assert built.pairs() == expected
    assert ("Apply setting", "Record failed setting", CATCH) in built.pairs()
    assert ("Apply settings one at a time", "Apply setting", ITEMS) in built.pairs()
    assert ("Normalize request", "Explain why the input was refused", CATCH) in built.pairs()
    catch_labels = {e.label for e in built.edges if e.kind == CATCH}
    assert catch_labels == {"catch ValidationError", "catch States.ALL"}


def test_choice_edges_say_their_condition() -> None:
    built = graph.build(definition())
    labels = {(e.source, e.target): e.label for e in built.edges}
    assert labels[("Is it a dry run?", "Build report")] == "$.request.dryRun == true"
    assert labels[("How did it end?", "Dry run planned")] == '$.outcome.report.outcome == "planned"'
    assert graph.condition({"Not": {"Variable": "$.a", "IsPresent": True}}) == "not ($.a is present)"
    assert graph.condition({"And": [{"Variable": "$.n", "NumericGreaterThanPath": "$.m"}]}) == "($.n > $.m)"


def test_dot_names_every_node_and_edge_by_its_id_and_wraps_the_map_in_a_cluster() -> None:
    built = graph.build(definition())
    dot = graph.to_dot(built)
    for node in built.nodes:
        assert f'id="{node.id}"' in dot
    for edge in built.edges:
        assert f'id="{edge.id}"' in dot
    assert dot.count("subgraph") == 1
    assert graph.to_dot(graph.build(definition())) == dot


def test_the_committed_workflow_picture_is_drawn_from_the_definition_as_it_is_now() -> None:
    dot = graph.to_dot(graph.build(definition()))
    assert PICTURE.with_suffix(".dot").read_text() == dot, "the workflow changed: run `make workflow` and commit"
    svg = PICTURE.with_suffix(".svg").read_text()
    assert graph.picture_digest(svg) == graph.digest(dot), "docs/workflow.svg is stale: run `make workflow`"


def test_rendering_gives_an_svg_with_the_ids_the_page_colours() -> None:
    built = graph.build(definition())
    svg = graph.render_svg(graph.to_dot(built))
    assert graph.picture_digest(svg) == graph.digest(graph.to_dot(built))
    # graphviz writes '-' in attributes as an entity; the browser reads the id as written in the DOT text.
    inline = html.unescape(graph.inline_svg(svg))
    assert inline.startswith("<svg")
    for node in built.nodes:
        assert f'id="{node.id}"' in inline


def test_a_missing_dot_command_names_the_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(graph.GraphvizMissing, match="apt-get install graphviz"):
        graph.render_svg("digraph {}")
