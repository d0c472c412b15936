"""The sandbox as a scenario's AWS: the app deployed by restore_sync_sandbox.deploy, on the virtual clock."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import boto3

from restore_sync_sandbox import examples
from restore_sync_sandbox.deploy import account_trail, deploy_app
from restore_sync_sandbox.extensions import dynamodb_restore
from restore_sync_sandbox.server import Sandbox
from tests.scenarios.target import Budget

ROOT = Path(__file__).resolve().parents[2]
# Seconds of wall time; the waits themselves pass on the virtual clock, so these only stop a hanging test.
BUDGET = Budget(
    table_active=30,
    restore=60,
    restorable=30,
    execution_appears=30,
    execution=120,
    stack_deleted=30,
    poll=0.05,
    follow_poll_cap=0.2,
)
# How long a restored table stays CREATING (virtual seconds): long enough that restore-sync waits for it.
RESTORE_SECONDS = 300.0


class SandboxTarget:
    """A running Sandbox with an account trail (as the doctor requires of an account), whose restores take
    `restore_seconds`. Call `dynamodb_restore.reset()` when done."""

    description = "the sandbox (local AWS, virtual clock)"
    budget = BUDGET

    def __init__(self, sandbox: Sandbox, restore_seconds: float = RESTORE_SECONDS) -> None:
        self.sandbox = sandbox
        self.region = sandbox.region
        account_trail(sandbox)
        dynamodb_restore.configure(restore_seconds=restore_seconds)
        # The Sandbox points the process environment (AWS_ENDPOINT_URL, credentials) at itself.
        self._session = boto3.session.Session(region_name=self.region)

    @property
    def session(self) -> Any:
        return self._session

    def deploy_app(self, stack_name: str, parameters: dict[str, str]) -> dict[str, str]:
        return deploy_app(self.sandbox, ROOT / "template.yaml", stack_name, parameters)

    def settle(self) -> None:
        examples.settled()

    def delete_app(self, stack_name: str) -> None:
        """As `sam delete` does: the stack, then the packaged artefacts under the stack's prefix."""
        cloudformation = self.sandbox.client("cloudformation")
        cloudformation.delete_stack(StackName=stack_name)
        for _ in range(int(BUDGET.stack_deleted / BUDGET.poll)):
            stacks = cloudformation.list_stacks()["StackSummaries"]
            if all(s["StackName"] != stack_name or s["StackStatus"] == "DELETE_COMPLETE" for s in stacks):
                break
            time.sleep(BUDGET.poll)
        else:
            raise TimeoutError(f"stack {stack_name} not deleted within {BUDGET.stack_deleted:.0f} s")
        s3 = self.sandbox.client("s3")
        bucket = f"sandbox-artifacts-{self.sandbox.account_id}-{self.region}"
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{stack_name}/"):
            for listed in page.get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=listed["Key"])
