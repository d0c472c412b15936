"""The sandbox side of the command line: `restore-sync sandbox` (serve until stopped), and what it shares with
`restore-sync demo` (restore_sync_sandbox.demo).

restore_sync_tools.cli finds these commands by name (pyproject.toml's entry points) only when they run, so the
rest of the command line works where the sandbox (moto) is not installed.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from restore_sync_sandbox import fault_spec
from restore_sync_sandbox.deploy import DEFAULT_STACK_NAME, DeployError, account_trail, deploy_app, load_template
from restore_sync_sandbox.extensions import dynamodb_restore, fault_injection
from restore_sync_sandbox.server import Sandbox
from restore_sync_tools.errors import UserError

TEMPLATE = "template.yaml"
DEFINITION = "statemachine/restore_sync.asl.json"
# `serve` runs until stopped; the bound (checked once a second) only ends a server forgotten for a month.
SERVE_LIMIT_SECONDS = 30 * 24 * 3600
# The functions log at this level in the sandbox, so their JSON lines do not bury the terminal's output.
FUNCTION_LOG_LEVEL = "WARNING"
_NOISY_LOGGERS = ("moto", "werkzeug", "restore_sync_sandbox.deploy", "botocore.credentials")

__all__ = ["app_root", "serve"]


def app_root(start: Path | None = None) -> Path:
    """The folder holding template.yaml and the state machine definition: the current folder or one of its
    parents, else the checkout this package is installed from. Raises UserError when there is none."""
    here = (start or Path.cwd()).resolve()
    candidates = [here, *here.parents, Path(__file__).resolve().parents[2]]
    for folder in candidates:
        if (folder / TEMPLATE).is_file() and (folder / DEFINITION).is_file():
            return folder
    raise UserError(
        f"{TEMPLATE} and {DEFINITION} not found in {here}, its parents, or {candidates[-1]}: "
        "run this from the restore-sync repository"
    )


def port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on host:port, or None (port 0 lets the system choose)."""
    if port == 0:
        return None
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            return f"cannot listen on {host}:{port}: {error.strerror} (choose another with --port)"
    return None


@contextmanager
def quiet() -> Iterator[None]:
    """Keeps moto's and the functions' chatter off the terminal: warnings, metric lines, expected errors."""
    saved_variable = os.environ.get("POWERTOOLS_METRICS_DISABLED")
    # No CloudWatch reads the functions' metric lines here; they would only interleave with the output.
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    saved_levels = {name: logging.getLogger(name).level for name in _NOISY_LOGGERS}
    for name in _NOISY_LOGGERS:
        # moto logs a caught Step Functions error at ERROR; the progress display shows it better.
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            yield
    finally:
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
        if saved_variable is None:
            os.environ.pop("POWERTOOLS_METRICS_DISABLED", None)
        else:
            os.environ["POWERTOOLS_METRICS_DISABLED"] = saved_variable


def deploy(sandbox: Sandbox, root: Path, parameters: Mapping[str, str] | None = None) -> dict[str, str]:
    """The account's trail (account_trail), and the app from `root`'s template and definition deployed as stack
    restore-sync with `parameters` (the template's defaults otherwise); returns its outputs."""
    account_trail(sandbox)
    return deploy_app(
        sandbox, root / TEMPLATE, DEFAULT_STACK_NAME, {"LogLevel": FUNCTION_LOG_LEVEL, **(parameters or {})}
    )


def template_parameters(root: Path, given: Sequence[str]) -> dict[str, str]:
    """`Name=Value` texts as the template's parameters; UserError naming what is wrong (no `=`, a name the
    template does not declare)."""
    declared = sorted(load_template(root / TEMPLATE).get("Parameters") or {})
    parameters: dict[str, str] = {}
    for text in given:
        name, equals, value = text.partition("=")
        if not equals or not name:
            raise UserError(f"--parameter {text!r}: expected Name=Value")
        if name not in declared:
            raise UserError(
                f"--parameter {name}: template.yaml declares no such parameter (it has {', '.join(declared)})"
            )
        parameters[name] = value
    return parameters


def banner(
    sandbox: Sandbox,
    outputs: dict[str, str],
    restore_seconds: float,
    faults: list[fault_spec.Rule] | None = None,
    parameters: Mapping[str, str] | None = None,
) -> list[str]:
    region = sandbox.region
    injected = [f"injected faults (--faults): {', '.join(str(rule) for rule in faults)}"] if faults else []
    if parameters:
        injected.append(f"deployed with (--parameter): {', '.join(f'{k}={v}' for k, v in parameters.items())}")
    return [
        f"restore-sync sandbox: a local AWS at {sandbox.endpoint_url} (account {sandbox.account_id}, "
        f"every region, default {region}), real clock",
        f"the app is deployed as stack {DEFAULT_STACK_NAME}:",
        *(f"  {key}: {value}" for key, value in sorted(outputs.items())),
        f"restored tables stay CREATING for {restore_seconds:g} s",
        *injected,
        "",
        "point the AWS CLI and boto3 at it (any credentials work):",
        f"  export AWS_ENDPOINT_URL={sandbox.endpoint_url}",
        "  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing",
        f"  export AWS_REGION={region} AWS_DEFAULT_REGION={region}",
        "",
        "then restore a table and watch it made whole:",
        "  aws dynamodb create-table --table-name orders --billing-mode PAY_PER_REQUEST \\",
        "    --attribute-definitions AttributeName=pk,AttributeType=S --key-schema AttributeName=pk,KeyType=HASH \\",
        "    --tags Key=team,Value=payments --stream-specification StreamEnabled=true,StreamViewType=NEW_IMAGE",
        "  aws dynamodb update-continuous-backups --table-name orders \\",
        "    --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true",
        "  aws dynamodb restore-table-to-point-in-time --source-table-name orders \\",
        "    --target-table-name orders-restored --use-latest-restorable-time",
        "  restore-sync status --target orders-restored",
        "",
        "Ctrl-C stops the sandbox (everything in it is forgotten).",
    ]


def serve(
    port: int = 5000,
    region: str = "us-east-1",
    restore_seconds: float = 30.0,
    show: Callable[[str], None] = print,
    stop: threading.Event | None = None,
    ready: Callable[[Sandbox], None] | None = None,
    faults: str = "",
    parameters: Sequence[str] = (),
) -> int:
    """`restore-sync sandbox`: runs the local AWS with the app deployed until `stop` is set (Ctrl-C or SIGTERM
    set it when this runs in the main thread); `ready` is called once it serves. `faults` is a fault spec
    (restore_sync_sandbox.fault_spec), applied once the app is deployed; `parameters` are the deployment's
    (`Name=Value`, as a user sets them with sam deploy). Returns the exit status."""
    if not restore_seconds >= 0:
        raise UserError(f"--restore-seconds must be zero or more, got {restore_seconds:g}")
    try:
        rules = fault_spec.parse(faults)
    except fault_spec.FaultSpecError as error:
        raise UserError(f"--faults: {error}") from error
    root = app_root()
    chosen = template_parameters(root, parameters)
    problem = port_problem("127.0.0.1", port)
    if problem:
        raise UserError(problem)
    stop = stop or threading.Event()
    with quiet(), Sandbox(port=port, region=region, virtual=False) as sandbox, stopped_by_signals(stop):
        # One process holds one AWS: start from an empty one, whatever ran before in this process.
        sandbox.reset()
        try:
            outputs = deploy(sandbox, root, chosen)
        except DeployError as error:
            raise UserError(f"the app could not be deployed with {chosen or 'the defaults'}: {error}") from error
        dynamodb_restore.configure(restore_seconds=restore_seconds)
        # After the deployment: the faults are for the app's calls, not for setting it up.
        fault_injection.configure(rules)
        try:
            for line in banner(sandbox, outputs, restore_seconds, rules, chosen):
                show(line)
            if ready is not None:
                ready(sandbox)
            for _ in range(SERVE_LIMIT_SECONDS):
                if stop.wait(1.0):
                    break
        finally:
            fault_injection.reset()
            dynamodb_restore.reset()
    show("sandbox stopped")
    return 0


@contextmanager
def stopped_by_signals(stop: threading.Event) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    saved: dict[int, Any] = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, previous in saved.items():
            signal.signal(sig, previous)
