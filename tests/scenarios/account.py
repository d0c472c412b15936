"""`make test-aws`: the scenario against a real account, the app deployed with `sam build` and `sam deploy`.

Opt-in and billed to the account (README, "Testing against a real account"); never part of `make test`. Run as
`python -m tests.scenarios.account` with AWS_PROFILE and AWS_REGION set; exit 0 when the target was made whole and
everything was deleted, 1 when not, 2 when refused before anything was created.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from restore_sync_tools.errors import UserError
from restore_sync_tools.executions import stack_outputs
from tests.scenarios.target import Budget, Target

ROOT = Path(__file__).resolve().parents[2]
REQUIRED_VARIABLES = ("AWS_PROFILE", "AWS_REGION")
SAM_INSTALL = "https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/install-sam-cli.html"
# Seconds. A restore takes minutes to tens of minutes; the latest restorable time trails the present by about 5
# minutes; CloudTrail hands the restore call to EventBridge within minutes; stacks take minutes.
BUDGET = Budget(
    table_active=600,
    restore=2 * 3600,
    restorable=1800,
    execution_appears=900,
    execution=3 * 3600,
    stack_deleted=1800,
    poll=15,
    follow_poll_cap=30,
)

Runner = Callable[..., Any]


def refusal(environ: Mapping[str, str], which: Callable[[str], str | None] = shutil.which) -> str | None:
    """Why the run must not start (nothing is created then), or None."""
    missing = [name for name in REQUIRED_VARIABLES if not environ.get(name)]
    if missing:
        return (
            "make test-aws deploys restore-sync into a real AWS account, billed to it (README: Testing against a "
            f"real account): set {' and '.join(missing)}, e.g. AWS_PROFILE=dev AWS_REGION=eu-west-1 make test-aws"
        )
    if environ.get("AWS_ENDPOINT_URL"):
        return (
            f"AWS_ENDPOINT_URL is set ({environ['AWS_ENDPOINT_URL']}): make test-aws runs against AWS itself; unset "
            "it (make test runs the same scenario against the sandbox)"
        )
    if which("sam") is None:
        return f"the sam command is missing: make test-aws deploys with the AWS SAM CLI; install it ({SAM_INSTALL})"
    return None


class AccountTarget:
    """The account and region of an AWS profile; the app built and deployed with the SAM CLI."""

    budget = BUDGET

    def __init__(
        self,
        profile: str,
        region: str,
        root: Path = ROOT,
        build_args: Sequence[str] = (),
        runner: Runner = subprocess.run,
    ) -> None:
        self.profile, self.region, self.root = profile, region, root
        self.build_args = list(build_args)
        self._runner = runner
        self._session: Any = None
        self._account: str | None = None

    @property
    def session(self) -> Any:
        # Made on first use: a missing profile is reported by main(), not when the target is built.
        if self._session is None:
            self._session = boto3.session.Session(profile_name=self.profile, region_name=self.region)
        return self._session

    @property
    def description(self) -> str:
        if self._account is None:
            self._account = str(self.session.client("sts").get_caller_identity()["Account"])
        return f"AWS account {self._account} in {self.region} (profile {self.profile})"

    def build_command(self, build_dir: Path) -> list[str]:
        return [
            "sam", "build",
            "--template-file", str(self.root / "template.yaml"),
            "--build-dir", str(build_dir),
            *self.build_args,
        ]  # fmt: skip

    def deploy_command(self, build_dir: Path, stack_name: str, parameters: dict[str, str]) -> list[str]:
        # One argument of space-separated Key=Value pairs, as `sam deploy --parameter-overrides` reads it.
        overrides = " ".join(f"{key}={value}" for key, value in sorted(parameters.items()))
        return [
            "sam", "deploy",
            "--template-file", str(build_dir / "template.yaml"),
            "--stack-name", stack_name,
            "--capabilities", "CAPABILITY_IAM",
            # A bucket SAM manages (stack aws-sam-cli-managed-default, kept for later deployments), and the
            # artefacts under the stack's name, which `sam delete` removes.
            "--resolve-s3",
            "--s3-prefix", stack_name,
            *(["--parameter-overrides", overrides] if overrides else []),
            "--no-confirm-changeset",
            "--no-fail-on-empty-changeset",
            *self._where(),
        ]  # fmt: skip

    def delete_command(self, stack_name: str) -> list[str]:
        return ["sam", "delete", "--stack-name", stack_name, "--no-prompts", *self._where()]

    def _where(self) -> list[str]:
        # Passed explicitly: the SAM CLI's region would otherwise come from the profile, not AWS_REGION.
        return ["--region", self.region, "--profile", self.profile]

    def deploy_app(self, stack_name: str, parameters: dict[str, str]) -> dict[str, str]:
        # The build goes to a folder of its own: no samconfig.toml next to it, nothing left in the work tree.
        with tempfile.TemporaryDirectory(prefix="restore-sync-test-aws-") as folder:
            build_dir = Path(folder) / "build"
            self._run(self.build_command(build_dir), cwd=self.root)
            self._run(self.deploy_command(build_dir, stack_name, parameters), cwd=folder)
        return stack_outputs(self.session.client("cloudformation"), stack_name)

    def settle(self) -> None:
        """Nothing to wait for: the scenario's own waits cover AWS's delays."""

    def delete_app(self, stack_name: str) -> None:
        with tempfile.TemporaryDirectory(prefix="restore-sync-test-aws-") as folder:
            self._run(self.delete_command(stack_name), cwd=folder)

    def _run(self, command: list[str], cwd: Path | str) -> None:
        print("$", " ".join(command), flush=True)
        self._runner(command, cwd=cwd, check=True)


def main(
    environ: Mapping[str, str] = os.environ,
    which: Callable[[str], str | None] = shutil.which,
    target: Target | None = None,
) -> int:
    """Runs the scenario against `target` (default: the account of AWS_PROFILE in AWS_REGION); returns the exit
    status: 0 made whole and all deleted, 1 not, 2 refused before anything was created."""
    problem = refusal(environ, which)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    target = target or AccountTarget(
        environ["AWS_PROFILE"], environ["AWS_REGION"], build_args=environ.get("SAM_BUILD_ARGS", "").split()
    )
    try:
        print(f"make test-aws: {target.description}", flush=True)
    except (BotoCoreError, ClientError) as error:
        print(f"make test-aws cannot use profile {environ['AWS_PROFILE']}: {error}", file=sys.stderr)
        return 2
    # Imported once the profile is known good: the scenario reads its tables' keys and items from the sandbox's
    # examples, whose import loads moto, which builds a boto3 session of AWS_PROFILE as it loads (moto only
    # intercepts calls while a mock is active, and none is here).
    from tests.scenarios import restore_made_whole

    try:
        restore_made_whole.run(target, show=lambda line: print(line, flush=True))
    except restore_made_whole.Refused as error:
        print(f"make test-aws refused: {error}", file=sys.stderr)
        return 2
    except (
        restore_made_whole.ScenarioFailed,
        restore_made_whole.CleanupFailed,
        TimeoutError,
        UserError,
        subprocess.CalledProcessError,
    ) as error:
        print(f"make test-aws FAILED: {error}", file=sys.stderr)
        for note in getattr(error, "__notes__", []):
            print(note, file=sys.stderr)
        return 1
    print("make test-aws passed: the restored table was made whole, and everything made was deleted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
