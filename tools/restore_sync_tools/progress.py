"""Progress of an execution: its history events turned into one readable line per state, as they happen.

Pure functions over the events of GetExecutionHistory (boto3's shapes; timestamps as datetimes or ISO text),
so the display can be tested on recorded histories. The details know the state names of
statemachine/restore_sync.asl.json; a state they do not know still gets its line, without details.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from restore_sync.timestamps import instant
from restore_sync_tools import workflow

# States whose line is printed on entry: what follows them happens later (a wait), inside them (a Map), or never.
_PRINTED_ON_ENTRY = (
    workflow.WAIT_STATE_ENTERED,
    workflow.MAP_STATE_ENTERED,
    workflow.SUCCEED_STATE_ENTERED,
    workflow.FAIL_STATE_ENTERED,
)


@dataclass(frozen=True)
class Line:
    """One state of the execution: when it was entered, its name, what it did, and how deeply it is nested."""

    at: datetime
    state: str
    detail: str = ""
    depth: int = 0


def offset(at: datetime, since: datetime) -> str:
    """`+MM:SS` (or `+H:MM:SS` past an hour) from `since` to `at`; `-` before it."""
    seconds = round((at - since).total_seconds())
    sign = "+" if seconds >= 0 else "-"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{sign}{minutes:02d}:{seconds:02d}"


def format_line(line: Line, since: datetime, name_width: int = 30) -> str:
    """`+00:42  Check target table            table is CREATING; next check in 21 s`."""
    name = "  " * line.depth + line.state
    text = f"{offset(line.at, since):>7}  {name:<{name_width}}  {line.detail}"
    return text.rstrip()


@dataclass
class _Open:
    name: str
    kind: str
    at: datetime
    depth: int
    input: Any = None
    output: Any = None
    exited: bool = False
    failures: int = 0
    error: tuple[str, str] | None = None


@dataclass
class Progress:
    """Feeds on history events (in any batches, repeats ignored) and returns the lines they complete.

    A state's line is complete when the state exits (a Choice: when the next state is entered, so it can say
    where it went); Wait, Map, Succeed and Fail states are printed as they are entered.
    """

    settings: dict[str, str] = field(default_factory=dict)
    """Setting name -> status, for every setting applied (or failed) so far."""
    status: str | None = None
    """`succeeded`, `failed`, `timed out` or `aborted` once the execution has ended; None while it runs."""
    last_id: int = 0
    _seen: set[int] = field(default_factory=set)
    _open: dict[int, _Open] = field(default_factory=dict)
    _depth: int = 0
    _settings_total: int = 0

    def feed(self, events: Iterable[Mapping[str, Any]]) -> list[Line]:
        lines: list[Line] = []
        for event in sorted(events, key=lambda e: int(e["id"])):
            event_id = int(event["id"])
            if event_id in self._seen:
                continue
            self._seen.add(event_id)
            self.last_id = max(self.last_id, event_id)
            lines += self._on(event)
        return lines

    def finish(self) -> list[Line]:
        """Lines of states still pending (a Choice whose next state never came); call once at the end."""
        lines: list[Line] = []
        for depth in sorted(self._open, reverse=True):
            lines += self._close(depth)
        return lines

    def _on(self, event: Mapping[str, Any]) -> list[Line]:
        kind = str(event["type"])
        at = instant(event["timestamp"])
        if kind.endswith(workflow.STATE_ENTERED):
            return self._entered(kind, at, event.get("stateEnteredEventDetails") or {})
        if kind.endswith(workflow.STATE_EXITED):
            return self._exited(kind, event.get("stateExitedEventDetails") or {})
        if kind in workflow.ATTEMPTS:
            opened = self._open.get(self._depth)
            if opened is not None:
                opened.error = None
            return []
        if kind in workflow.FAILURES:
            opened = self._open.get(self._depth)
            if opened is not None:
                details = event_details(event)
                opened.failures += 1
                opened.error = (str(details.get("error", kind)), cause_message(details.get("cause")))
            return []
        if kind in workflow.ENDS:
            lines = self.finish()
            self.status = workflow.ENDS[kind].lower().replace("_", " ")
            details = event_details(event)
            detail = ""
            if details.get("error") or details.get("cause"):
                detail = f"{details.get('error', '')}: {cause_message(details.get('cause'))}".strip(": ")
            return [*lines, Line(at, f"Execution {self.status}", detail)]
        return []

    def _entered(self, kind: str, at: datetime, details: Mapping[str, Any]) -> list[Line]:
        name = str(details.get("name", "?"))
        lines = self._close(self._depth, next_state=name)
        opened = _Open(name, kind, at, self._depth, input=parse_payload(details.get("input")))
        if kind in _PRINTED_ON_ENTRY:
            lines.append(Line(at, name, self._detail_on_entry(opened), opened.depth))
            if kind == workflow.MAP_STATE_ENTERED:
                self._depth += 1
        else:
            self._open[self._depth] = opened
        return lines

    def _exited(self, kind: str, details: Mapping[str, Any]) -> list[Line]:
        if kind == workflow.MAP_STATE_EXITED:
            lines = self._close(self._depth)
            self._depth = max(0, self._depth - 1)
            return lines
        opened = self._open.get(self._depth)
        if opened is None or opened.name != details.get("name"):
            return []
        opened.output = parse_payload(details.get("output"))
        opened.exited = True
        if kind == workflow.CHOICE_STATE_EXITED:
            return []
        return self._close(self._depth)

    def _close(self, depth: int, next_state: str | None = None) -> list[Line]:
        opened = self._open.pop(depth, None)
        if opened is None:
            return []
        if opened.kind == workflow.CHOICE_STATE_ENTERED:
            detail = f"-> {next_state}" if next_state else ""
        elif opened.error:
            # The last attempt failed: the error was caught (the state may still exit) or ends the execution.
            detail = f"failed: {opened.error[0]}: {opened.error[1]}".rstrip(": ")
        else:
            detail = self._detail_on_exit(opened)
            if opened.failures:
                detail = f"{detail} (after {opened.failures} retried error{'s' if opened.failures > 1 else ''})"
        return [Line(opened.at, opened.name, detail.strip(), opened.depth)]

    def _detail_on_entry(self, opened: _Open) -> str:
        data = opened.input
        if opened.name == workflow.WAIT:
            seconds = _dig(data, "poll", "waitSeconds")
            waiting_for = _dig(data, "poll", "waitingFor") or []
            what = "; ".join(str(w) for w in waiting_for) or "the target table"
            return f"waiting {seconds} s for: {what}" if seconds is not None else ""
        if opened.name == workflow.APPLY_SETTINGS:
            items = _dig(data, "plan", "items") or []
            self._settings_total = len(items)
            names = ", ".join(str(i.get("setting")) for i in items if isinstance(i, dict))
            return f"{len(items)} setting{'s' if len(items) != 1 else ''}: {names}" if items else "nothing to apply"
        if opened.kind == workflow.FAIL_STATE_ENTERED:
            error = _dig(data, "outcome", "error")
            cause = _dig(data, "outcome", "cause")
            return f"{error}: {cause}" if error else ""
        if opened.kind == workflow.SUCCEED_STATE_ENTERED and opened.name == workflow.NOTHING_TO_SYNC:
            return str(_dig(data, "request", "reason") or "")
        return ""

    def _detail_on_exit(self, opened: _Open) -> str:
        data = opened.output
        name = opened.name
        if name == workflow.NORMALIZE:
            request = _dig(data, "request") or {}
            if request.get("ignored"):
                return f"ignored: {request.get('reason', '')}"
            if request.get("removal"):
                return f"{request.get('tableName')} deleted; its governance stack {request.get('stack')} goes too"
            if not request:
                return ""
            settings = ", ".join(request.get("settings") or [])
            text = f"{request.get('targetTableName')} <- {request.get('sourceTableName')}; settings: {settings}"
            return text + ("; dry run" if request.get("dryRun") else "")
        if name == workflow.CHECK_TARGET:
            poll = _dig(data, "poll") or {}
            if poll.get("ready"):
                return f"table is ACTIVE after {poll.get('elapsedSeconds', '?')} s"
            if "waitSeconds" in poll:
                waiting_for = "; ".join(str(w) for w in poll.get("waitingFor") or []) or "not ready"
                return f"{waiting_for}; next check in {poll['waitSeconds']} s"
            return ""
        if name == workflow.READ_SOURCE:
            source = _dig(data, "source") or {}
            document = source.get("document") or {}
            read = sorted((document.get("settings") or {}).keys())
            table = _dig(document, "table", "name") or ""
            where = "the settings history" if source.get("settingsFrom") == "snapshot" else "the live table"
            text = f"{len(read)} read from {table}: {', '.join(read)}".replace(" from :", ":")
            return f"{text} ({where})" if source.get("settingsFrom") else text
        if name == workflow.PLAN:
            items = _dig(data, "plan", "items") or []
            pending = [i["setting"] for i in items if i.get("status") == "pending"]
            skipped = [f"{i['setting']} ({i.get('reason', '')})" for i in items if i.get("status") == "skipped"]
            held = [i["setting"] for i in items if i.get("status") == "held"]
            text = f"{len(pending)} to apply"
            if held:
                text += f", held: {', '.join(held)} (for restore-sync activate)"
            if skipped:
                text += f", skipped: {', '.join(skipped)}"
            return text
        if name in (workflow.IMPORT, workflow.REMOVE_STACK):
            stack = _dig(data, "stack") or {}
            return f"{stack.get('action', '')}: {stack.get('stack', '')}".strip(": ")
        if name in (workflow.APPLY_SETTING, workflow.RECORD_FAILED_SETTING):
            return self._setting_done(data)
        if name == workflow.VERIFY:
            drift = _dig(data, "verification", "drift")
            if drift is None:
                return ""
            found = sorted({str(d.get("setting")) for d in drift if isinstance(d, dict)})
            return f"drift in: {', '.join(found)}" if found else "target matches the plan"
        if name == workflow.BUILD_REPORT:
            outcome = _dig(data, "outcome") or {}
            report = outcome.get("report") or {}
            text = f"outcome: {report.get('outcome', '?')}"
            if outcome.get("error"):
                text += f" ({outcome['error']}: {outcome.get('cause', '')})"
            return text
        if name == workflow.DEAD_LETTER:
            return "message sent" if _dig(data, "deadLetterError") is None else "could not send the message"
        return ""

    def _setting_done(self, result: Any) -> str:
        if not isinstance(result, dict) or "setting" not in result:
            return ""
        setting, status = str(result["setting"]), str(result.get("status", "?"))
        self.settings[setting] = status
        changed = [str(c.get("property") or c.get("resource")) for c in result.get("changes") or []]
        why = ", ".join(changed) if status == "applied" and changed else str(result.get("reason", ""))
        count = f"[{len(self.settings)}/{self._settings_total}]" if self._settings_total else ""
        return f"{setting}: {status}{f' ({why})' if why else ''} {count}"


def event_details(event: Mapping[str, Any]) -> dict[str, Any]:
    """The `...EventDetails` member of an event (each event type has its own key), or {}."""
    found = next((value for key, value in event.items() if key.endswith("EventDetails")), None)
    return dict(found) if isinstance(found, Mapping) else {}


def parse_payload(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        # Step Functions truncates large inputs and outputs in the history; show what can be shown.
        return None


def _dig(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def cause_message(cause: Any) -> str:
    """A Lambda error's cause is JSON with errorMessage; other causes are plain text."""
    if not isinstance(cause, str):
        return "" if cause is None else str(cause)
    parsed = parse_payload(cause)
    if isinstance(parsed, dict) and "errorMessage" in parsed:
        return str(parsed["errorMessage"])
    return cause
