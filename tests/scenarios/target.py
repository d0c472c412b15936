"""What a scenario needs from the AWS it runs against: clients, deploying and deleting the app, and time budgets.

Everything else a scenario does goes through boto3 clients of `session`, so the same code runs against the
sandbox (`SandboxTarget`) and against a real account (`AccountTarget`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Budget:
    """How long each wait of a scenario may take, in seconds, and how often it polls. Generous against AWS (a
    restore takes minutes to tens of minutes), short against the sandbox (its virtual clock makes waits free)."""

    table_active: float
    restore: float
    restorable: float
    execution_appears: float
    execution: float
    stack_deleted: float
    poll: float
    follow_poll_cap: float


class Target(Protocol):
    """The AWS a scenario runs against."""

    description: str
    region: str
    budget: Budget

    @property
    def session(self) -> Any:
        """A boto3 session with the credentials and endpoint of this AWS."""
        ...

    def deploy_app(self, stack_name: str, parameters: dict[str, str]) -> dict[str, str]:
        """Deploys template.yaml and the state machine as `stack_name`; returns the stack's outputs."""
        ...

    def settle(self) -> None:
        """Returns once what the scenario did has been seen by the deployment (nothing to wait for in AWS)."""
        ...

    def delete_app(self, stack_name: str) -> None:
        """Deletes the app's stack and whatever its deployment left besides (packaged artefacts); raises when
        the stack is not gone."""
        ...
