"""What happened to each state of an execution, read from its history: the colour the page gives it.

Pure functions over GetExecutionHistory events (boto3's shapes; timestamps as datetimes or ISO text) and the
definition the execution ran. A state is `not-reached`, `running`, `waiting` (a Wait state in progress, with
the time left), `succeeded`, `retried` (succeeded after N retried errors), `caught` (its error was caught by a
Catch) or `failed` (its error ended the execution, or it is a Fail state). A state entered more than once (a
loop, a Map's iterations) shows its worst visit, or its latest while that one is still in progress.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from restore_sync.timestamps import instant
from restore_sync_tools import workflow
from restore_sync_tools.console.graph import END, START, Graph
from restore_sync_tools.progress import event_details, parse_payload

NOT_REACHED, RUNNING, WAITING = "not-reached", "running", "waiting"
SUCCEEDED, RETRIED, CAUGHT, FAILED = "succeeded", "retried", "caught", "failed"
# Worst last: a state entered several times shows the worst of its finished visits.
_SEVERITY = {SUCCEEDED: 0, RETRIED: 1, CAUGHT: 2, FAILED: 3}


@dataclass
class Visit:
    """One entry into a state: its attempts, its last error, its input and output."""

    name: str
    kind: str
    entered_at: datetime
    input: str | None
    entered_id: int
    exited: bool = False
    output: str | None = None
    attempts: int = 0
    failed_attempt: bool = False
    error: str | None = None
    cause: str | None = None
    iterations: int = 0


@dataclass
class StateView:
    """What happened to one state over the whole execution."""

    name: str
    status: str = NOT_REACHED
    visits: int = 0
    retries: int = 0
    caught: int = 0
    iterations: int = 0
    input: str | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    entered_at: datetime | None = None
    wait_until: datetime | None = None
    seconds_left: float | None = None

    @property
    def label(self) -> str:
        """`retried 2 times`, `waiting, 19 s left`, `caught: States.TaskFailed`, `4 iterations`..."""
        parts: list[str] = []
        if self.status == WAITING:
            parts.append("waiting" if self.seconds_left is None else f"waiting, {self.seconds_left:.0f} s left")
        elif self.status == CAUGHT:
            parts.append(f"caught: {self.error}" if self.error else "caught")
        elif self.status == FAILED:
            parts.append(f"failed: {self.error}" if self.error else "failed")
        elif self.status != RETRIED:
            parts.append(self.status.replace("-", " "))
        if self.retries:
            parts.append(f"retried {self.retries} time{'s' if self.retries != 1 else ''}")
        if self.iterations:
            parts.append(f"{self.iterations} iteration{'s' if self.iterations != 1 else ''}")
        elif self.visits > 1:
            parts.append(f"entered {self.visits} times")
        return ", ".join(parts)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "label": self.label,
            "visits": self.visits,
            "retries": self.retries,
            "caught": self.caught,
            "iterations": self.iterations,
            "input": self.input,
            "output": self.output,
            "error": self.error,
            "cause": self.cause,
            "enteredAt": self.entered_at.isoformat() if self.entered_at else None,
            "waitUntil": self.wait_until.isoformat() if self.wait_until else None,
            "secondsLeft": self.seconds_left,
        }


@dataclass
class Colouring:
    """Every state's view, the edges the execution went along, and how the execution stands."""

    states: dict[str, StateView]
    transitions: list[tuple[str, str, bool]] = field(default_factory=list)
    """(from state, to state, through a Catch) for each move, START and END included, in order, no repeats."""
    execution_status: str = "RUNNING"


def colour(events: Iterable[Mapping[str, Any]], definition: Mapping[str, Any], now: datetime) -> Colouring:
    """What happened to every state of `definition` in the execution whose history is `events`, as of `now`."""
    states = _states_of(definition)
    visits: list[Visit] = []
    owner: dict[int, Visit] = {}
    transitions: list[tuple[str, str, bool]] = []
    status = "RUNNING"
    last_closed: Visit | None = None
    for event in sorted(events, key=lambda e: int(e["id"])):
        kind, event_id = str(event["type"]), int(event["id"])
        details = event_details(event)
        previous = owner.get(int(event.get("previousEventId") or 0))
        if kind.endswith(workflow.STATE_ENTERED):
            name = str(details.get("name", "?"))
            visit = Visit(
                name,
                kind.removesuffix(workflow.STATE_ENTERED),
                instant(event["timestamp"]),
                details.get("input"),
                event_id,
            )
            source = previous.name if previous is not None else (START if not visits else None)
            if previous is not None and not previous.exited and previous.failed_attempt and previous.kind != "Map":
                # The state moved on without an exit event of its own (a caught error may end a state so).
                previous.exited = True
            if source is not None:
                through_catch = previous is not None and previous.failed_attempt
                _add(transitions, (source, name, through_catch))
            visits.append(visit)
            owner[event_id] = visit
        elif kind.endswith(workflow.STATE_EXITED):
            exited = _open_visit(visits, details.get("name")) or previous
            if exited is not None:
                exited.exited, exited.output = True, details.get("output")
                owner[event_id] = exited
                last_closed = exited
        elif kind in workflow.ENDS:
            status = workflow.ENDS[kind]
            if kind == workflow.EXECUTION_SUCCEEDED and last_closed is not None:
                _add(transitions, (last_closed.name, END, False))
            if details.get("error") or details.get("cause"):
                for visit in visits:
                    if not visit.exited and visit.error is None:
                        visit.error, visit.cause = details.get("error"), details.get("cause")
        else:
            current = _open_visit(visits, details.get("name")) or previous or _latest_open(visits)
            if current is None:
                continue
            owner[event_id] = current
            if kind in workflow.ATTEMPTS:
                current.attempts += 1
                current.failed_attempt = False
            elif kind in workflow.FAILURES:
                current.failed_attempt = True
                current.error, current.cause = details.get("error", kind), details.get("cause")
            elif kind == workflow.MAP_ITERATION_STARTED:
                current.iterations += 1
    views = {name: StateView(name) for name in states}
    for visit in visits:
        view = views.setdefault(visit.name, StateView(visit.name))
        _fold(view, visit, states.get(visit.name) or {}, status, now)
    return Colouring(views, transitions, status)


def _fold(view: StateView, visit: Visit, state: Mapping[str, Any], execution: str, now: datetime) -> None:
    """Adds one visit to the state's view."""
    view.visits += 1
    view.retries += max(0, visit.attempts - 1)
    view.iterations += visit.iterations
    view.input, view.output, view.entered_at = visit.input, visit.output, visit.entered_at
    if visit.error is not None:
        view.error, view.cause = visit.error, visit.cause
    outcome = _outcome(visit, execution)
    if outcome == CAUGHT:
        view.caught += 1
    if outcome in (RUNNING, WAITING):
        view.status = outcome
        if outcome == WAITING:
            view.wait_until = wait_until(state, visit.entered_at, visit.input)
            if view.wait_until is not None:
                view.seconds_left = max(0.0, (view.wait_until - now).total_seconds())
        return
    if view.status in (NOT_REACHED, RUNNING, WAITING) or _SEVERITY[outcome] > _SEVERITY.get(view.status, -1):
        view.status = outcome
    if view.status == SUCCEEDED and view.retries:
        view.status = RETRIED
    view.wait_until = view.seconds_left = None


def _outcome(visit: Visit, execution: str) -> str:
    if visit.kind == "Fail":
        return FAILED
    if visit.exited:
        if visit.failed_attempt:
            return CAUGHT
        return RETRIED if visit.attempts > 1 else SUCCEEDED
    if visit.failed_attempt:
        return FAILED
    if execution == "RUNNING":
        return WAITING if visit.kind == "Wait" else RUNNING
    # The execution ended with this state still open: its error (or a timeout, an abort) ended it.
    return SUCCEEDED if execution == "SUCCEEDED" else FAILED


def wait_until(state: Mapping[str, Any], entered_at: datetime, state_input: str | None) -> datetime | None:
    """When a Wait state entered at `entered_at` with `state_input` ends (Seconds, SecondsPath, Timestamp or
    TimestampPath), or None when that cannot be told."""
    data = parse_payload(state_input)
    if "Seconds" in state:
        seconds: Any = state["Seconds"]
    elif "SecondsPath" in state:
        seconds = reference(data, str(state["SecondsPath"]))
    else:
        stamp = state.get("Timestamp")
        if "TimestampPath" in state:
            stamp = reference(data, str(state["TimestampPath"]))
        try:
            return instant(stamp) if isinstance(stamp, str) else None
        except ValueError:
            return None
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return None
    return entered_at + timedelta(seconds=float(seconds))


_STEP = re.compile(r"\.([A-Za-z0-9_$-]+)|\[(\d+)\]|\['([^']*)'\]")


def reference(data: Any, path: str) -> Any:
    """The value at an ASL reference path (`$.poll.waitSeconds`, `$.items[0]`, `$['a b']`), or None."""
    if not path.startswith("$"):
        return None
    position = 1
    for _ in range(len(path)):
        if position >= len(path):
            return data
        step = _STEP.match(path, position)
        if step is None:
            return None
        key, index, quoted = step.groups()
        if index is not None:
            data = data[int(index)] if isinstance(data, list) and int(index) < len(data) else None
        else:
            data = data.get(key if key is not None else quoted) if isinstance(data, dict) else None
        position = step.end()
    return data


def taken_edges(graph: Graph, transitions: Iterable[tuple[str, str, bool]]) -> list[str]:
    """The ids of the graph's edges the execution went along: a move through a Catch is its Catch edge."""
    taken: list[str] = []
    for source, target, through_catch in transitions:
        candidates = [e for e in graph.edges if e.source == source and e.target == target]
        preferred = [e for e in candidates if (e.kind == "catch") == through_catch] or candidates
        if preferred and preferred[0].id not in taken:
            taken.append(preferred[0].id)
    return taken


def _states_of(definition: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Every state of a definition by name, those of Map iterations and Parallel branches included."""
    found: dict[str, Mapping[str, Any]] = {}
    for name, state in (definition.get("States") or {}).items():
        found[name] = state
        inner = state.get("ItemProcessor") or state.get("Iterator")
        for machine in ([inner] if inner else []) + list(state.get("Branches") or []):
            found.update(_states_of(machine))
    return found


def _open_visit(visits: list[Visit], name: Any) -> Visit | None:
    if not isinstance(name, str):
        return None
    return next((v for v in reversed(visits) if v.name == name and not v.exited), None)


def _latest_open(visits: list[Visit]) -> Visit | None:
    return next((v for v in reversed(visits) if not v.exited), None)


def _add(transitions: list[tuple[str, str, bool]], move: tuple[str, str, bool]) -> None:
    if move not in transitions:
        transitions.append(move)
