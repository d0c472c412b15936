"""The console's web server: the page and its JSON, read-only, on 127.0.0.1, with the standard library.

`Console` reads Step Functions (ListExecutions, DescribeExecution, GetExecutionHistory, and the definition an
execution ran: DescribeStateMachineForExecution, else DescribeStateMachine of its stateMachineArn) and answers
the page's two questions: which executions are there, and what happened in one of them. `serving` runs the HTTP
server on a thread. Only GET and HEAD are served; the page and its script and style are package data, so the
browser fetches nothing from anywhere else. A request must be addressed to the console itself (its Host header
names 127.0.0.1, localhost or the bound address, with the port): a page elsewhere that points its own name at
127.0.0.1 (DNS rebinding) would otherwise read the executions through the browser.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from restore_sync.timestamps import instant
from restore_sync_tools.console.colouring import colour, taken_edges
from restore_sync_tools.console.graph import Graph, GraphvizMissing, build, digest, inline_svg, render_svg, to_dot
from restore_sync_tools.executions import execution_target, executions_newest_first, new_events, report_of
from restore_sync_tools.render import describe_change, held_summary, restore_rows

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
# The list shows the newest executions; their inputs (for the target table) are read once each.
LISTED_EXECUTIONS = 50
# Finished executions never change: their answers are kept, up to this many.
KEPT_ANSWERS = 200
_STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/console.js": ("console.js", "text/javascript; charset=utf-8"),
    "/console.css": ("console.css", "text/css; charset=utf-8"),
}
logger = logging.getLogger(__name__)


class NotFound(Exception):
    """The page asked for something this console does not show."""


class Console:
    """What the page shows, read from the Step Functions API for one state machine."""

    def __init__(
        self,
        sfn: Any,
        machine_arn: str,
        *,
        render: Callable[[str], str] = render_svg,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        description: str = "",
    ) -> None:
        self.sfn = sfn
        self.machine_arn = machine_arn
        self.description = description
        self._render = render
        self._now = now
        self._lock = threading.Lock()
        self._targets: dict[str, str | None] = {}
        self._graphs: dict[str, tuple[Graph, str, str]] = {}
        self._events: dict[str, list[dict[str, Any]]] = {}
        self._finished: dict[str, dict[str, Any]] = {}

    def executions(self) -> dict[str, Any]:
        """The newest executions: name, status, target table, start, stop and duration."""
        now = self._now()
        listed = []
        for summary in list(executions_newest_first(self.sfn, self.machine_arn))[:LISTED_EXECUTIONS]:
            arn = summary["executionArn"]
            listed.append(
                {
                    "arn": arn,
                    "name": summary.get("name", arn.rsplit(":", 1)[-1]),
                    "status": summary["status"],
                    "target": self._target(arn),
                    **_times(summary, now),
                }
            )
        return {"stateMachine": self.machine_arn, "description": self.description, "executions": listed}

    def execution(self, arn: str) -> dict[str, Any]:
        """One execution: its summary, the graph of the definition it ran with every state's colour, input and
        output, the edges it went along, and its report as rows."""
        if not arn.startswith(self.machine_arn.replace(":stateMachine:", ":execution:", 1) + ":"):
            raise NotFound(f"{arn} is not an execution of {self.machine_arn}")
        with self._lock:
            if arn in self._finished:
                return self._finished[arn]
        described = self._describe(arn)
        events = self._history(arn)
        graph, svg, key, definition = self._graph(arn, described)
        now = self._now()
        coloured = colour(events, definition, now)
        report = report_of(self.sfn, described) if described["status"] != "RUNNING" else None
        answer = {
            "execution": {
                "arn": arn,
                "name": described.get("name"),
                "status": described["status"],
                "target": self._target(arn, described.get("input")),
                "error": described.get("error"),
                "cause": described.get("cause"),
                "input": described.get("input"),
                "output": described.get("output"),
                **_times(described, now),
            },
            "graph": {"key": key, "svg": svg, "nodes": {node.id: node.name for node in graph.nodes}},
            "states": {name: view.as_json() for name, view in coloured.states.items()},
            "edges": taken_edges(graph, coloured.transitions),
            "report": report_rows(report),
        }
        if described["status"] != "RUNNING":
            with self._lock:
                if len(self._finished) >= KEPT_ANSWERS:
                    self._finished.pop(next(iter(self._finished)))
                self._finished[arn] = answer
                self._events.pop(arn, None)
        return answer

    def _describe(self, arn: str) -> dict[str, Any]:
        try:
            return dict(self.sfn.describe_execution(executionArn=arn))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
                raise NotFound(f"no execution {arn}") from error
            raise

    def _history(self, arn: str) -> list[dict[str, Any]]:
        """Every event so far; a running execution's are read again only from the last one known."""
        with self._lock:
            known = list(self._events.get(arn, []))
        after = int(known[-1]["id"]) if known else 0
        events = known + new_events(self.sfn, arn, after)
        with self._lock:
            self._events[arn] = events
        return events

    def _graph(self, arn: str, described: dict[str, Any]) -> tuple[Graph, str, str, dict[str, Any]]:
        """The graph of the deployed definition the execution ran, drawn once per definition."""
        try:
            text = self.sfn.describe_state_machine_for_execution(executionArn=arn)["definition"]
        except ClientError:
            # Older deployments' roles may allow DescribeStateMachine only.
            text = self.sfn.describe_state_machine(stateMachineArn=described["stateMachineArn"])["definition"]
        definition = json.loads(text)
        key = digest(text)
        with self._lock:
            drawn = self._graphs.get(key)
        if drawn is None:
            graph = build(definition)
            dot = to_dot(graph)
            drawn = (graph, inline_svg(self._render(dot)), digest(dot))
            with self._lock:
                self._graphs[key] = drawn
        return drawn[0], drawn[1], drawn[2], definition

    def _target(self, arn: str, execution_input: str | None = None) -> str | None:
        with self._lock:
            if arn in self._targets:
                return self._targets[arn]
        if execution_input is None:
            execution_input = self.sfn.describe_execution(executionArn=arn).get("input")
        try:
            target = execution_target(json.loads(execution_input or "null"))
        except ValueError:
            target = None
        with self._lock:
            self._targets[arn] = target
        return target


def report_rows(report: dict[str, Any] | None) -> dict[str, Any] | None:
    """The report as the page's table: one row per setting (setting, status, reason, what changed), and the
    drift found; None when there is no report."""
    if report is None:
        return None
    rows = []
    for name, entry in (report.get("settings") or {}).items():
        rows.append(
            {
                "setting": str(name),
                "status": str(entry.get("status", "?")),
                "reason": str(entry.get("reason") or ""),
                "changes": "; ".join(describe_change(change) for change in entry.get("changes") or []),
            }
        )
    # What the restore itself chose, kept as chosen: rows after the settings'.
    rows += [
        {"setting": name, "status": status, "reason": reason, "changes": ""}
        for name, status, reason in restore_rows(report)
    ]
    return {
        "outcome": report.get("outcome"),
        "target": report.get("target"),
        "source": report.get("source"),
        "reason": report.get("reason"),
        "rows": rows,
        # What waits for `restore-sync activate`, and the command that applies it.
        "held": held_summary(report),
        "drift": [
            {"setting": str(d.get("setting")), "wanted": d.get("wanted"), "found": d.get("found")}
            for d in report.get("drift") or []
        ],
    }


def _times(execution: dict[str, Any], now: datetime) -> dict[str, Any]:
    start = instant(execution["startDate"])
    stop = instant(execution["stopDate"]) if execution.get("stopDate") else None
    return {
        "start": start.isoformat(),
        "stop": stop.isoformat() if stop else None,
        "durationSeconds": round(((stop or now) - start).total_seconds(), 3),
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "restore-sync-console"

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_GET(self) -> None:
        self._answer(head=False)

    def _answer(self, head: bool) -> None:
        host = self.headers.get("Host")
        if (host or "").strip().lower() not in self.server.hosts:
            logger.warning("request refused: not addressed to the console", extra={"host": host})
            addresses = " or ".join(f"http://{name}/" for name in sorted(self.server.hosts))
            text = f"Misdirected request: this console answers only at {addresses}\n"
            self._send(HTTPStatus.MISDIRECTED_REQUEST, text.encode(), "text/plain; charset=utf-8", head)
            return
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        console = self.server.console
        try:
            if url.path in _STATIC:
                name, content_type = _STATIC[url.path]
                body = (resources.files("restore_sync_tools.console") / "static" / name).read_bytes()
                self._send(HTTPStatus.OK, body, content_type, head)
                return
            if url.path == "/api/executions":
                data = console.executions()
            elif url.path == "/api/execution" and query.get("arn"):
                data = console.execution(query["arn"][0])
            else:
                raise NotFound(f"nothing at {url.path}")
            self._json(HTTPStatus.OK, data, head)
        except NotFound as error:
            self._json(HTTPStatus.NOT_FOUND, {"error": str(error)}, head)
        except GraphvizMissing as error:
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": str(error)}, head)
        except (ClientError, BotoCoreError) as error:
            self._json(HTTPStatus.BAD_GATEWAY, {"error": f"AWS error: {error}"}, head)
        except Exception as error:
            logger.exception("console request failed", extra={"path": url.path})
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"{type(error).__name__}: {error}"}, head)

    def _json(self, status: HTTPStatus, data: Any, head: bool) -> None:
        self._send(status, json.dumps(data).encode(), "application/json", head)

    def _send(self, status: HTTPStatus, body: bytes, content_type: str, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        # Nothing but this server: no other origin's scripts, styles, images or connections.
        self.send_header(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        )
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        # Requests are not news on a terminal the person is reading; debug logging still shows them.
        logger.debug(format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, console: Console, port: int, host: str) -> None:
        self.console = console
        super().__init__((host, port), _Handler)
        self.hosts = addressed_hosts(str(self.server_address[0]), int(self.server_address[1]))


def addressed_hosts(bound: str, port: int) -> frozenset[str]:
    """The Host headers (lower case) of requests addressed to a console bound to `bound`:`port`: that address,
    127.0.0.1 or localhost, with the port (which a browser leaves out for port 80 only)."""
    names = {"127.0.0.1", "localhost", f"[{bound}]" if ":" in bound else bound}
    hosts = {f"{name}:{port}" for name in names}
    return frozenset(hosts | names if port == 80 else hosts)


def listen(console: Console, port: int = DEFAULT_PORT, host: str = HOST) -> ThreadingHTTPServer:
    """A server for the console bound to host:port (0: any free port); OSError when it cannot listen there."""
    return _Server(console, port, host)


@contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[str]:
    """Serves on a thread; yields the page's URL; stops on exit."""
    thread = threading.Thread(target=server.serve_forever, name="restore-sync-console", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def page_url(base: str, execution_arn: str | None = None) -> str:
    """The page's address, showing one execution when given."""
    if execution_arn is None:
        return base
    return f"{base}?execution={quote(execution_arn, safe='')}"
