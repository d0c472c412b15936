"""The end of a failed sync: fail the execution, or, when it was redriven since this pass began, go round again.

A Step Functions redrive reruns the state the execution failed in, with the input that state had. The workflow
fails in this step, not in a Fail state, so that a redrive after the cause is fixed does the work again: the step
returns and the workflow starts over from the execution's input. Every step is idempotent (a setting already
applied comes back `unchanged`), so going round again costs a few reads.
"""

from __future__ import annotations

from restore_sync.errors import RestoreSyncError


class SyncFailed(RestoreSyncError):
    """The sync failed; the class a failure is raised as takes the name of the failure's error (SettingsFailed,
    DriftFound, ...), so that the execution fails with the same Error as the report names."""


def sync_failure(error: str, cause: str) -> SyncFailed:
    """The exception that fails the execution with `error` as its Error and `cause` as its message."""
    # Lambda reports an exception's class name as the error type, and Step Functions takes it as the Error.
    named = type(error, (SyncFailed,), {"__module__": __name__})
    return named(cause)


def fail_unless_redriven(*, error: str, cause: str, pass_redrive_count: int, redrive_count: int) -> None:
    """Raises the sync's failure, unless the execution was redriven since this pass through the workflow began.

    `pass_redrive_count` is `$$.Execution.RedriveCount` when the pass began, `redrive_count` its value now. They
    are equal when the workflow reaches here on its own: the execution fails. A redrive reruns this step with the
    same input and a higher count: it returns, and the workflow goes round again; should that pass fail too, its
    count is the current one, and the execution fails again.
    """
    if redrive_count > pass_redrive_count:
        return
    raise sync_failure(error, cause)
