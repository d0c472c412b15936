"""The local AWS: moto's threaded server in this process, with every extension installed and one clock.

Everything runs in one process: the server's request threads, the Step Functions interpreter, the Lambda
handlers (in-process) and the code that drives them, so the extensions apply to every call. The process
environment points boto3 at the server while the sandbox runs (`AWS_ENDPOINT_URL`, dummy credentials, a
default region), which is how in-process handlers, the CLI and tests reach it; and `SSL_CERT_FILE` at a CA bundle
that also trusts the sandbox's own https endpoints (custom resources' ResponseURL), as AWS's are trusted.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import os
import threading
import urllib.request
from collections.abc import Callable
from types import TracebackType
from typing import Any

import boto3
from moto import backends as moto_backends
from moto.cloudformation.models import Stack as FakeStack
from moto.core.config import default_user_config
from moto.moto_server import werkzeug_app
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.settings import moto_server_port
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

from restore_sync_sandbox import clock, extensions
from restore_sync_sandbox.extensions import cloudformation_custom_resources

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"

# Removed while the sandbox runs: a profile or a session token would send boto3 elsewhere.
_REMOVED_VARIABLES = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def _serve_faster() -> None:
    """Costs of moto's server that AWS does not have, removed (behaviour unchanged): it listed its own package
    directory on disk for every request (`list_of_moto_modules`, to tell a service from a host name); it spoke
    HTTP/1.0, so every call opened and closed a connection; its Step Functions interpreter parsed the definition
    again (an ANTLR parse, the costliest step of a short execution) for every execution and built a new boto3 client
    for every Lambda task; and it read every CloudFormation template with the pure-Python YAML parser first, JSON
    ones too (restore-sync's governance templates are JSON). A parsed definition is shared by the executions of that
    definition: evaluation keeps its state in each execution's environment and workers, never in the parsed
    components."""
    if not hasattr(moto_backends.list_of_moto_modules, "cache_info"):
        listed = tuple(moto_backends.list_of_moto_modules())
        moto_backends.list_of_moto_modules = functools.cache(lambda: listed)
    werkzeug_app.MotoRequestHandler.protocol_version = "HTTP/1.1"
    if not hasattr(AmazonStateLanguageParser.parse, "cache_info"):
        parsed = functools.lru_cache(maxsize=32)(AmazonStateLanguageParser.parse)
        AmazonStateLanguageParser.parse = staticmethod(parsed)  # type: ignore[method-assign]
    if not hasattr(lambda_eval_utils.boto_client_for, "__wrapped__"):
        lambda_eval_utils.boto_client_for = _reused_client(lambda_eval_utils.boto_client_for)
    if not hasattr(FakeStack.parse_template, "__wrapped__"):
        FakeStack.parse_template = staticmethod(_json_first(FakeStack.parse_template))  # type: ignore[method-assign,assignment]


def _reused_client(make: Callable[..., Any]) -> Callable[..., Any]:
    """`make`'s clients kept per region, service and server port (boto3 clients are thread-safe); a call with
    credentials of its own gets a new one, as before."""
    clients: dict[tuple[str, str, str], Any] = {}
    lock = threading.Lock()

    @functools.wraps(make)
    def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        if state_credentials is not None:
            return make(region, service, state_credentials)
        key = (region, service, moto_server_port())
        with lock:
            if key not in clients:
                clients[key] = make(region, service)
            return clients[key]

    return client_for


def _json_first(parse: Callable[[str], dict[str, Any]]) -> Callable[[str], dict[str, Any]]:
    """A template that is JSON read as JSON (what YAML would read it as too); anything else as moto reads it."""

    @functools.wraps(parse)
    def parse_template(template: str) -> dict[str, Any]:
        try:
            parsed = json.loads(template)
        except ValueError:
            return parse(template)
        return parsed if isinstance(parsed, dict) else parse(template)

    return parse_template


class Sandbox:
    """A running local AWS on 127.0.0.1. Use as a context manager, or call start() and stop()."""

    def __init__(
        self,
        port: int = 0,
        region: str = DEFAULT_REGION,
        virtual: bool = False,
        host: str = "127.0.0.1",
        log_requests: bool = False,
    ) -> None:
        self.host = host
        self.log_requests = log_requests
        self.port = port
        self.region = region
        self.virtual = virtual
        self.account_id = ACCOUNT_ID
        self._server: ThreadedMotoServer | None = None
        self._saved_environment: dict[str, str | None] = {}
        self._saved_clock: clock.Clock | None = None
        self._saved_config: dict[str, Any] | None = None
        # Clients are thread-safe; a shared session (made once the environment points here) loads each service's
        # model once.
        self._session: Any = None
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._clients_lock = threading.Lock()
        self._saved_request_log_level: int | None = None

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox is not running")
        return f"http://{self.host}:{self.port}"

    @property
    def clock(self) -> clock.Clock:
        return clock.current()

    def start(self) -> Sandbox:
        if self._server is not None:
            return self
        extensions.install()
        _serve_faster()
        self._saved_config = copy.deepcopy(dict(default_user_config.get("stepfunctions", {})))
        default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = True
        self._saved_clock = clock.use_clock(clock.Clock(virtual=self.virtual))
        request_log = logging.getLogger("werkzeug")
        if not self.log_requests and request_log.level == logging.NOTSET:
            # Werkzeug prints a line per request on stderr unless its logger has a level of its own.
            self._saved_request_log_level = request_log.level
            request_log.setLevel(logging.WARNING)
        server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        server.start()
        self._server = server
        self.port = server.get_host_and_port()[1]
        # Custom resources answer CloudFormation over https, as they must in AWS; the code that answers trusts the
        # endpoint's local authority through the standard CA bundle variable.
        responses = cloudformation_custom_resources.serve(self.host)
        self._set_environment(
            {
                # The Step Functions interpreter calls services at localhost:$MOTO_PORT.
                "MOTO_PORT": str(self.port),
                "AWS_ENDPOINT_URL": self.endpoint_url,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": self.region,
                "SSL_CERT_FILE": str(responses.authority.bundle),
            }
        )
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.stop()
        cloudformation_custom_resources.stop_serving()
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_environment.clear()
        if self._saved_clock is not None:
            clock.use_clock(self._saved_clock)
            self._saved_clock = None
        if self._saved_request_log_level is not None:
            logging.getLogger("werkzeug").setLevel(self._saved_request_log_level)
            self._saved_request_log_level = None
        if self._saved_config is not None:
            default_user_config["stepfunctions"] = self._saved_config  # type: ignore[typeddict-item]
            self._saved_config = None

    def reset(self) -> None:
        """Forgets every resource in every service and region, starts a fresh clock of the same kind, and returns
        every extension to its defaults."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=30):  # noqa: S310 - the sandbox's own http URL
            pass
        clock.use_clock(clock.Clock(virtual=self.virtual))
        extensions.reset()

    def client(self, service: str, region: str | None = None) -> Any:
        """A boto3 client of `service` pointed at the sandbox, made once per service and region."""
        key = (service, region or self.region, self.endpoint_url)
        with self._clients_lock:
            if self._session is None:
                self._session = boto3.session.Session()
            if key not in self._clients:
                self._clients[key] = self._session.client(
                    service,
                    region_name=key[1],
                    endpoint_url=self.endpoint_url,
                    aws_access_key_id="testing",
                    aws_secret_access_key="testing",  # noqa: S106 - the sandbox accepts any credentials
                )
            return self._clients[key]

    def _set_environment(self, variables: dict[str, str]) -> None:
        for name in (*variables, *_REMOVED_VARIABLES):
            self._saved_environment.setdefault(name, os.environ.get(name))
        for name in _REMOVED_VARIABLES:
            os.environ.pop(name, None)
        os.environ.update(variables)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
