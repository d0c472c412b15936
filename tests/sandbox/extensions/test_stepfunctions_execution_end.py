"""An ended execution shows its output, or its error and cause, in the same DescribeExecution as its status."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.asl.eval.program_state import ProgramEnded, ProgramError
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

from restore_sync_sandbox.extensions import stepfunctions_execution_end


class Watched(SimpleNamespace):
    """An execution that records, at the moment its status is set, whether its result is already there."""

    seen: list[tuple[Any, Any, Any]]

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "exec_status":
            self.seen.append((value, getattr(self, "output", None), getattr(self, "cause", None)))
        super().__setattr__(name, value)


def ended_with(state: Any, final_input: Any = None) -> Watched:
    states = SimpleNamespace(get_input=lambda: final_input)
    env = SimpleNamespace(program_state=lambda: state, states=states)
    return Watched(seen=[], exec_worker=SimpleNamespace(env=env), output=None, error=None, cause=None)


def test_a_succeeded_execution_has_its_output_when_its_status_says_so() -> None:
    stepfunctions_execution_end.install()
    execution = ended_with(ProgramEnded(), final_input={"outcome": "succeeded"})
    BaseExecutionWorkerCommunication(execution)._reflect_execution_status()  # type: ignore[arg-type]
    assert execution.seen == [(ExecutionStatus.SUCCEEDED, {"outcome": "succeeded"}, None)]


def test_a_failed_execution_has_its_error_and_cause_when_its_status_says_so() -> None:
    stepfunctions_execution_end.install()
    execution = ended_with(ProgramError(error={"error": "SettingsFailed", "cause": "kinesis: stream gone"}))
    BaseExecutionWorkerCommunication(execution)._reflect_execution_status()  # type: ignore[arg-type]
    assert execution.seen == [(ExecutionStatus.FAILED, None, "kinesis: stream gone")]
    assert execution.error == "SettingsFailed"
