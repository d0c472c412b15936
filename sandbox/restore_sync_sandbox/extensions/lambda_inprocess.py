"""Lambda functions run their real handler code in this process, as the Lambda runtime would run it.

AWS behaviour reproduced: Invoke (and every invocation made for Step Functions, EventBridge and event
source mappings) runs the function's deployed code with its environment and a context object; a handler that
raises returns `{"errorType", "errorMessage", "stackTrace"}` with a FunctionError, so Step Functions matches
Retry and Catch by the exception's class name.

moto internals patched: `moto.awslambda.models.LambdaFunction._invoke_lambda(event) -> (payload, errored,
logs)`, which moto runs in Docker; it is the one place every invocation goes through.

How code is found: the function's stored zip is unpacked once into a cache directory named by its sha256 and
put first on `sys.path` while the handler runs; the handler's package is imported from there on the function's
first invocation (a package of that name already imported by this process, such as an editable install of the
same source, is set aside meanwhile), as a new Lambda sandbox loads the deployed code.

Credentials: like Lambda, each invocation's environment carries temporary credentials of the function's
execution role (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; session named after the function),
minted by `iam_identity_policies`, which then allows each call only as that role's policies allow. A function
whose role does not exist keeps the process's credentials.

Module state is per function: Lambda runs each function in its own sandbox, so clients a handler caches (with
its role's credentials) must not serve another function. Each function (by ARN and code) keeps its own copy of
its package's modules, swapped into `sys.modules` while it runs.

Service models are loaded once per process: every botocore session here shares one data loader (the models are
read-only files), so the clients each function makes for itself cost what a warm container's do.

Limits: handlers share one interpreter, so they run one at a time (see `_FunctionEnvironment`), each with its
function's environment in its own thread (`os.environ` gains a per-thread overlay); a nested invocation that runs
alongside another (after INVOCATION_WAIT_SECONDS) swaps its package's modules while the other runs, so the two may
briefly see each other's module state; module state survives between invocations as in a warm Lambda; the
function's Timeout is reported by the context but not enforced; invocations of type Event run synchronously, as
moto calls this method inline.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import io
import json
import logging
import os
import sys
import tempfile
import threading
import time
import traceback
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import botocore.session
from botocore.loaders import create_loader as _create_loader
from moto.awslambda.models import LambdaFunction

from restore_sync_sandbox import clock
from restore_sync_sandbox.extensions import iam_identity_policies

LOG = logging.getLogger(__name__)

# Code is unpacked here once per distinct zip; the process may be long-lived (`restore-sync sandbox`).
CODE_CACHE = Path(tempfile.gettempdir()) / "restore-sync-sandbox-lambda-code"

# How long an invocation waits for the one running before it. Lambda runs one invocation per sandbox; here
# handlers share module state (Powertools' metrics, warm clients), so they run one at a time. A handler that
# synchronously causes another invocation (a DynamoDB write with a stream trigger, a nested Invoke) would
# deadlock on that rule: after this wait the inner call runs alongside. Each call's environment is its own
# thread's (see `_ThreadEnviron`), so running alongside never mixes two functions' variables.
INVOCATION_WAIT_SECONDS = 60.0

_import_lock = threading.RLock()
# Each function's own state, by (function ARN, code digest): its package's modules and boto3's default session.
_function_modules: dict[tuple[str, str], dict[str, Any]] = {}
# Each function's role credentials, by (function ARN, role ARN): minted once, as a warm sandbox keeps them.
_credentials: dict[tuple[str, str], dict[str, str]] = {}


@dataclass
class LambdaContext:
    """The attributes of the Python runtime's context object that handlers and Powertools read."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    timeout_seconds: float
    identity: Any = None
    client_context: Any = None
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        # Remaining time is wall time, as in Lambda: the handler's own waits (time.sleep) are real.
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


_overlays = threading.local()


def _overlay() -> dict[str, str]:
    found: dict[str, str] | None = getattr(_overlays, "variables", None)
    return found if found is not None else {}


class _ThreadEnviron(os._Environ):
    """The class `os.environ` takes on: reads see the running handler's variables over the process's, in that
    handler's thread only; writes go to the process environment. The object stays the same one, so code that
    kept a reference to it (botocore's environment provider in a session made earlier) sees the overlay too."""

    def __getitem__(self, key: str) -> str:
        overlay = _overlay()
        return overlay[key] if key in overlay else str(super().__getitem__(key))

    def __setitem__(self, key: str, value: str) -> None:
        _overlay().pop(key, None)
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        _overlay().pop(key, None)
        super().__delitem__(key)

    def __iter__(self) -> Iterator[str]:
        overlay = _overlay()
        yield from overlay
        yield from (key for key in super().__iter__() if key not in overlay)

    def __len__(self) -> int:
        return len(set(super().__iter__()) | set(_overlay()))

    def copy(self) -> dict[str, str]:
        return dict(self)

    @staticmethod
    @contextmanager
    def applied(variables: dict[str, str]) -> Iterator[None]:
        previous = getattr(_overlays, "variables", None)
        _overlays.variables = {**_overlay(), **variables}
        try:
            yield
        finally:
            _overlays.variables = previous


class _FunctionEnvironment:
    """Runs one invocation at a time (waiting at most INVOCATION_WAIT_SECONDS), in its own environment."""

    def __init__(self) -> None:
        self._exclusive = threading.Lock()

    @contextmanager
    def applied(self, variables: dict[str, str], function_name: str) -> Iterator[None]:
        exclusive = self._exclusive.acquire(timeout=INVOCATION_WAIT_SECONDS)
        if not exclusive:
            LOG.warning("running Lambda function %s alongside another invocation", function_name)
        try:
            with _thread_environ().applied(variables):
                yield
        finally:
            if exclusive:
                self._exclusive.release()


def _thread_environ() -> type[_ThreadEnviron]:
    if not isinstance(os.environ, _ThreadEnviron):
        os.environ.__class__ = _ThreadEnviron
    return _ThreadEnviron


_environment = _FunctionEnvironment()


def _unpacked_code(function: LambdaFunction) -> Path:
    code: bytes = function.code_bytes
    if not code:
        raise RuntimeError(f"Lambda function {function.function_name} has no zip code to run")
    digest = hashlib.sha256(code).hexdigest()
    target = CODE_CACHE / digest
    with _import_lock:
        if not target.is_dir():
            # Unpack beside the target and rename, so a half-written tree is never seen as the code.
            CODE_CACHE.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=CODE_CACHE, prefix=f".{digest}-"))
            with zipfile.ZipFile(io.BytesIO(code)) as archive:
                archive.extractall(staging)
            try:
                staging.rename(target)
            except OSError:
                if not target.is_dir():
                    raise
    return target


def _package_modules(package: str) -> dict[str, ModuleType]:
    return {name: module for name, module in sys.modules.items() if name == package or name.startswith(package + ".")}


@contextmanager
def _own_modules(function: LambdaFunction, code_dir: Path, package: str) -> Iterator[None]:
    """While the handler runs, `package` in `sys.modules` is this function's own copy (imported from its code on
    the first invocation), and so is boto3's default session (which keeps the credentials it first found); what
    was there before is put back afterwards."""
    key = (function.function_arn, code_dir.name)
    with _import_lock:
        outer = _package_modules(package)
        for name in outer:
            del sys.modules[name]
        own = _function_modules.get(key, {})
        sys.modules.update(own.get("modules", {}))
        outer_session, boto3.DEFAULT_SESSION = boto3.DEFAULT_SESSION, own.get("session")
    try:
        yield
    finally:
        with _import_lock:
            modules = _package_modules(package)
            _function_modules[key] = {"modules": modules, "session": boto3.DEFAULT_SESSION}
            for name in modules:
                del sys.modules[name]
            sys.modules.update(outer)
            boto3.DEFAULT_SESSION = outer_session


def _handler_name(function: LambdaFunction) -> tuple[str, str]:
    handler: str = function.handler or ""
    module_name, _, attribute = handler.rpartition(".")
    if not module_name or not attribute:
        raise RuntimeError(f"Bad handler {handler!r}: expected module.function")
    return module_name, attribute


def _load_handler(function: LambdaFunction) -> Any:
    module_name, attribute = _handler_name(function)
    with _import_lock:
        module: ModuleType = importlib.import_module(module_name)
    return getattr(module, attribute)


def _decoded(event: Any) -> Any:
    # moto passes the parsed payload, except for an empty payload which it turns into the text "{}".
    if event is None or event == "{}":
        return {}
    return event


def _role_credentials(function: LambdaFunction) -> dict[str, str]:
    key = (function.function_arn, str(function.role))
    if key not in _credentials:
        minted = iam_identity_policies.role_credentials(
            function.account_id, function.region, str(function.role), function.function_name
        )
        _credentials[key] = minted or {}
    return _credentials[key]


def _runtime_variables(function: LambdaFunction, context: LambdaContext) -> dict[str, str]:
    variables = {str(k): str(v) for k, v in (function.environment_vars or {}).items()}
    variables.update(_role_credentials(function))
    variables.update(
        {
            "AWS_REGION": function.region,
            "AWS_DEFAULT_REGION": function.region,
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": context.function_version,
            "AWS_LAMBDA_LOG_GROUP_NAME": context.log_group_name,
            "AWS_LAMBDA_LOG_STREAM_NAME": context.log_stream_name,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.run_time}",
            "_HANDLER": function.handler or "",
        }
    )
    return variables


def _error_payload(error: BaseException) -> dict[str, Any]:
    frames = traceback.extract_tb(error.__traceback__)
    # The first frame is the call in invoke_in_process; Lambda's trace starts in the function's code.
    if frames and frames[0].filename == __file__:
        frames = traceback.StackSummary.from_list(frames[1:])
    return {
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_list(frames),
    }


def invoke_in_process(self: LambdaFunction, event: str | None = None) -> tuple[str, bool, str]:
    """Runs the function's handler on `event`; returns (payload, errored, log text) like moto's runner."""
    self.logs_backend.ensure_log_group(self.logs_group_name)
    request_id = str(uuid.uuid4())
    now = clock.current().now()
    version = str(self.version)
    context = LambdaContext(
        function_name=self.function_name,
        function_version=version,
        invoked_function_arn=self.function_arn,
        memory_limit_in_mb=int(self.memory_size),
        aws_request_id=request_id,
        log_group_name=self.logs_group_name,
        log_stream_name=f"{now:%Y/%m/%d}/[{version}]{uuid.uuid4().hex}",
        timeout_seconds=float(self.timeout),
    )
    lines = [f"START RequestId: {request_id} Version: {version}"]
    started = time.monotonic()
    errored = False
    try:
        code_dir = _unpacked_code(self)
        package = _handler_name(self)[0].split(".")[0]
        with _environment.applied(_runtime_variables(self, context), self.function_name):
            sys.path.insert(0, str(code_dir))
            try:
                with _own_modules(self, code_dir, package):
                    handler = _load_handler(self)
                    result = handler(_decoded(event), context)
            finally:
                # Another call may have put its own directory first meanwhile: remove ours by value.
                sys.path.remove(str(code_dir))
        try:
            payload = json.dumps(result)
        except (TypeError, ValueError) as error:
            errored = True
            payload = json.dumps(
                {
                    "errorType": "Runtime.MarshalError",
                    "errorMessage": f"Unable to marshal response: {error}",
                    "stackTrace": [],
                }
            )
    except Exception as error:
        errored = True
        payload = json.dumps(_error_payload(error))
        lines.append(f"[ERROR] {type(error).__name__}: {error}")
        lines.extend(line.rstrip("\n") for line in traceback.format_exception(error))
    elapsed_ms = (time.monotonic() - started) * 1000
    lines.append(f"END RequestId: {request_id}")
    lines.append(
        f"REPORT RequestId: {request_id}\tDuration: {elapsed_ms:.2f} ms\t"
        f"Billed Duration: {max(1, int(elapsed_ms + 0.999))} ms\tMemory Size: {self.memory_size} MB"
    )
    logs = "\n".join(lines)
    self.save_logs(logs)
    return payload, errored, logs


def reset() -> None:
    """Forgets every function's modules and credentials, as new deployments start cold."""
    with _import_lock:
        _function_modules.clear()
        _credentials.clear()


@functools.cache
def _shared_loader(search_paths: str | None) -> Any:
    return _create_loader(search_paths)


def install() -> None:
    """Makes every Lambda invocation in this process run the function's real handler in-process."""
    _thread_environ()
    botocore.session.create_loader = _shared_loader
    LambdaFunction._invoke_lambda = invoke_in_process  # type: ignore[method-assign]
