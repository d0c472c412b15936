"""`make test-aws`'s target (tests/scenarios/account.py): what it refuses before creating anything, and the SAM
commands it runs. The scenario itself runs against the sandbox in tests/sandbox/test_scenario_restore_made_whole.py."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.scenarios import account
from tests.scenarios.account import AccountTarget, refusal

ROOT = Path(__file__).resolve().parents[2]
SAM = "/usr/local/bin/sam"
ENVIRONMENT = {"AWS_PROFILE": "dev", "AWS_REGION": "eu-west-1"}


def sam_installed(name: str) -> str | None:
    return SAM if name == "sam" else None


def no_sam(name: str) -> None:
    return None


@pytest.mark.parametrize(
    ("environ", "missing"),
    [({}, "AWS_PROFILE and AWS_REGION"), ({"AWS_PROFILE": "dev"}, "AWS_REGION"), ({"AWS_REGION": "x"}, "AWS_PROFILE")],
)
def test_a_run_without_a_profile_or_region_is_refused_naming_what_to_set(environ: dict[str, str], missing: str) -> None:
    assert f"set {missing}, e.g. AWS_PROFILE=dev AWS_REGION=eu-west-1 make test-aws" in str(refusal(environ))


def test_a_run_pointed_at_the_sandbox_is_refused() -> None:
    problem = refusal({**ENVIRONMENT, "AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}, sam_installed)
    assert problem is not None
    assert "unset it" in problem


def test_a_run_without_the_sam_command_is_refused_with_where_to_get_it() -> None:
    problem = refusal(ENVIRONMENT, no_sam)
    assert problem is not None
    assert problem.startswith("the sam command is missing")
    assert "install-sam-cli" in problem
    assert refusal(ENVIRONMENT, sam_installed) is None


def test_main_refuses_with_exit_status_2_and_creates_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert account.main(environ={}, which=sam_installed) == 2
    assert "set AWS_PROFILE and AWS_REGION" in capsys.readouterr().err


def test_make_test_aws_refuses_before_building_anything_without_a_profile_and_region() -> None:
    environ = {k: v for k, v in os.environ.items() if k not in ("AWS_PROFILE", "AWS_REGION", "MAKEFLAGS", "MFLAGS")}
    done = subprocess.run(
        ["make", "-s", "test-aws"], cwd=ROOT, env=environ, capture_output=True, text=True, check=False, timeout=30
    )
    assert done.returncode == 2
    assert "set AWS_PROFILE and AWS_REGION" in done.stderr


def test_make_test_aws_refuses_without_the_sam_command(tmp_path: Path) -> None:
    environ = {**os.environ, **ENVIRONMENT, "PATH": str(tmp_path)}
    environ.pop("MAKEFLAGS", None)
    make = subprocess.run(["which", "make"], capture_output=True, text=True, check=True).stdout.strip()
    done = subprocess.run(
        [make, "-s", "test-aws", "SHELL=/bin/sh"], cwd=ROOT, env=environ, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "the sam command is missing" in done.stderr


class Recorder:
    def __init__(self) -> None:
        self.commands: list[tuple[list[str], Any]] = []

    def __call__(self, command: list[str], cwd: Any, check: bool) -> None:
        assert check
        self.commands.append((command, cwd))


def test_the_app_is_built_then_deployed_with_a_random_stack_name_and_the_capabilities_it_needs(tmp_path: Path) -> None:
    target = AccountTarget("dev", "eu-west-1", root=ROOT, build_args=["--use-container"], runner=Recorder())
    build = target.build_command(tmp_path)
    deploy = target.deploy_command(tmp_path, "restore-sync-test-1a2b3c4d", {"HorizonHours": "6", "LogLevel": "DEBUG"})

    assert build[:2] == ["sam", "build"]
    assert build[build.index("--template-file") + 1] == str(ROOT / "template.yaml")
    assert build[-1] == "--use-container"
    assert deploy[:2] == ["sam", "deploy"]
    assert deploy[deploy.index("--template-file") + 1] == str(tmp_path / "template.yaml")
    flags = {flag: deploy[i + 1] for i, flag in enumerate(deploy) if flag.startswith("--") and i + 1 < len(deploy)}
    assert flags["--stack-name"] == "restore-sync-test-1a2b3c4d"
    assert flags["--capabilities"] == "CAPABILITY_IAM"
    assert flags["--parameter-overrides"] == "HorizonHours=6 LogLevel=DEBUG"
    assert flags["--s3-prefix"] == "restore-sync-test-1a2b3c4d"
    assert flags["--region"] == "eu-west-1"
    assert flags["--profile"] == "dev"
    assert {"--resolve-s3", "--no-confirm-changeset", "--no-fail-on-empty-changeset"} <= set(deploy)


def test_the_app_is_deleted_with_sam_delete_without_prompts() -> None:
    target = AccountTarget("dev", "eu-west-1", runner=Recorder())
    assert target.delete_command("restore-sync-test-1a2b3c4d") == [
        "sam", "delete", "--stack-name", "restore-sync-test-1a2b3c4d", "--no-prompts",
        "--region", "eu-west-1", "--profile", "dev",
    ]  # fmt: skip


def test_the_budget_against_aws_allows_for_restores_of_tens_of_minutes() -> None:
    assert account.BUDGET.restore >= 3600
    assert account.BUDGET.execution >= account.BUDGET.restore
    assert account.BUDGET.restorable >= 15 * 60


def test_a_profile_that_does_not_exist_is_refused_before_anything_is_made(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    target = AccountTarget("no-such-profile", "eu-west-1", runner=Recorder())
    environ = {"AWS_PROFILE": "no-such-profile", "AWS_REGION": "eu-west-1"}

    assert account.main(environ=environ, which=sam_installed, target=target) == 2
    assert "cannot use profile no-such-profile" in capsys.readouterr().err
