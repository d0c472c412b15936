"""The console's server answers only requests addressed to it: a foreign Host header (DNS rebinding) is refused."""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from restore_sync_tools.console import server

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:RestoreSync"


class UntouchableStepFunctions:
    """A Step Functions client that fails the test if a refused request reaches it."""

    def __init__(self) -> None:
        self.called: list[str] = []

    def __getattr__(self, name: str) -> Any:
        self.called.append(name)
        raise AssertionError(f"the console called Step Functions {name}")


@pytest.fixture(scope="module")
def sfn() -> UntouchableStepFunctions:
    return UntouchableStepFunctions()


@pytest.fixture(scope="module")
def port(sfn: UntouchableStepFunctions) -> Iterator[int]:
    console = server.Console(sfn, MACHINE, render=lambda dot: "<svg/>")
    listening = server.listen(console, port=0)
    with server.serving(listening):
        yield int(listening.server_address[1])


def get(port: int, path: str, host: str | None, method: str = "GET") -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        if host is None:
            connection.putrequest(method, path, skip_host=True)
            connection.endheaders()
        else:
            connection.request(method, path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LocalHost:{port}"])
def test_the_page_loads_when_addressed_to_the_console(port: int, host: str) -> None:
    status, body = get(port, "/", host.format(port=port))
    assert status == 200
    assert "<html" in body.lower()


@pytest.mark.parametrize(
    "host",
    [
        "rebinding.example:{port}",  # a foreign name resolved to 127.0.0.1
        "rebinding.example",
        "127.0.0.1:{other}",  # another port: another server's origin
        "localhost",
        "127.0.0.1.rebinding.example:{port}",
        "",
    ],
)
def test_a_request_for_another_host_is_refused_before_anything_is_read(
    port: int, host: str, sfn: UntouchableStepFunctions
) -> None:
    for path in ("/", "/api/executions", f"/api/execution?arn={MACHINE}:x"):
        status, body = get(port, path, host.format(port=port, other=port + 1))
        assert status == 421
        assert body.startswith("Misdirected request: this console answers only at ")
        assert f"http://127.0.0.1:{port}/" in body
        assert "<html" not in body.lower()
    assert sfn.called == []


def test_a_request_without_a_host_header_is_refused(port: int, sfn: UntouchableStepFunctions) -> None:
    status, _ = get(port, "/api/executions", None)
    assert status == 421
    # An HTTP/1.0 request may omit Host altogether; it is refused too.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(b"GET /api/executions HTTP/1.0\r\n\r\n")
        answer = raw.makefile("rb").readline()
    assert answer.split()[1] == b"421"
    assert sfn.called == []


def test_a_head_request_for_another_host_gets_the_status_without_a_body(port: int) -> None:
    assert get(port, "/", "rebinding.example", method="HEAD") == (421, "")


@pytest.mark.parametrize(
    ("bound", "port", "hosts"),
    [
        ("127.0.0.1", 8765, {"127.0.0.1:8765", "localhost:8765"}),
        ("::1", 9000, {"127.0.0.1:9000", "localhost:9000", "[::1]:9000"}),
        ("127.0.0.1", 80, {"127.0.0.1:80", "localhost:80", "127.0.0.1", "localhost"}),
    ],
)
def test_the_hosts_a_console_answers_to_are_its_address_or_loopback_names_with_its_port(
    bound: str, port: int, hosts: set[str]
) -> None:
    assert server.addressed_hosts(bound, port) == hosts
