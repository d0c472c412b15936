"""The error contract: the state machine's Retry and Catch match these class names (statemachine/*.asl.json)."""

from __future__ import annotations


class RestoreSyncError(Exception):
    """Base of every error restore-sync raises on purpose; the message says what to do next."""


class ValidationError(RestoreSyncError):
    """A start's input (manual, or shaped like an event) cannot be acted on: it breaks its schema, or names a table
    restore-sync may not change; nothing was touched. The message lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class ConfigurationError(RestoreSyncError):
    """The deployment is misconfigured (a function's environment); nothing was touched. Unlike a refused input,
    the execution fails into the dead-letter queue, so that an automatic restore is never dropped silently."""


class ContractError(RestoreSyncError):
    """A step's input does not have its model's shape (restore_sync.contracts): the state machine and the handler
    disagree, a bug or a half-updated deployment. Never retried; it fails into the dead-letter queue.

    The message names the model and lists every problem, each with the path of the field it is about.
    """

    def __init__(self, model: type, problems: list[str]) -> None:
        self.model = model
        self.problems = problems
        super().__init__(f"{model.__name__}: {'; '.join(problems)}")


class UnusableEvent(RestoreSyncError):
    """A restore event's source has a `restore-sync:settings` tag that names no setting: the restore is real, so
    the execution fails into the dead-letter queue rather than being refused."""


class TargetTableNotFound(RestoreSyncError):
    """A restore event names a table DescribeTable does not find. Right after a table is created DescribeTable may
    not find it yet (it is eventually consistent), so the state machine retries Normalize for some minutes; then
    the execution fails into the dead-letter queue, so that a real restore is not dropped silently."""


class TargetTableUnavailable(RestoreSyncError):
    """The restored table did not become usable: missing after the grace period, deleted, or past the horizon."""


class SourceTableUnavailable(RestoreSyncError):
    """The source table's settings cannot be read."""


class StackBusy(RestoreSyncError):
    """A CloudFormation operation is still running; retrying the step resumes it (transient)."""


class TableBeingDeleted(RestoreSyncError):
    """A deleted table is still DELETING: its governance stack is removed once it is gone; retrying the step later
    finds it gone (transient)."""


class StackUnusable(RestoreSyncError):
    """The governance stack is in a state no update can start from (for example UPDATE_ROLLBACK_FAILED)."""


class TableClaimedByStack(RestoreSyncError):
    """Another CloudFormation stack still holds the target's name (a table of that name, deleted outside it): the
    import would be refused, so nothing is touched."""


class AwsTransient(RestoreSyncError):
    """AWS throttled or failed on its side (a 5xx) after the SDK's own retries; retrying the step later helps."""


class ChangeSetRefused(RestoreSyncError):
    """The data-safety guard refused a change set that would replace or remove the table."""


class ChangeSetFailed(RestoreSyncError):
    """CloudFormation could not create or execute a change set."""


class SettingNotExpressible(RestoreSyncError):
    """The source's setting has no faithful CloudFormation form; the message says what to do by hand."""


class SettingsUnavailable(RestoreSyncError):
    """Neither the settings history nor the live source has the settings to copy; nothing was touched."""


class HistoryUnwritable(RestoreSyncError):
    """A version could not be added to the settings history (too large, or the table's history kept changing)."""


class HistoryVersionInvalid(RestoreSyncError):
    """A version read from the settings history is not a document the recorder wrote (edited, or malformed): it
    is refused, never used. The message names the table and the version, and lists every problem."""

    def __init__(self, table_arn: str, version: str, problems: list[str]) -> None:
        self.table_arn = table_arn
        self.version = version
        self.problems = problems
        super().__init__(
            f"the settings history's version {version} of {table_arn} is refused, not used: "
            f"{'; '.join(problems)}. Nothing was changed. The history was written by something other than "
            "restore-sync's recorder: find out who (CloudTrail), restore the history table to a point before the "
            "change, or start again with settingsFrom live to copy the source table as it is now"
        )


class StoredDocumentInvalid(RestoreSyncError):
    """A document the workflow kept in the deployment's bucket (restore_sync.workflow.stored) is gone or is not
    what was stored (its SHA-256 or size differ): it is refused, never used."""


class RestoreTestUnreportable(RestoreSyncError):
    """AWS Backup refused a restore test's validation result (the job is not a restore test's, not completed, or its
    table was deleted when its validation window ended): the result is in the report only."""
