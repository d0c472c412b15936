"""The workflow's names as the tools read them: its states (statemachine/restore_sync.asl.json) and the execution
history's event types (Step Functions' HistoryEventType). Tests hold the states equal to the definition and the
event types within botocore's model of the service, so a renamed state fails a test, not a display."""

from __future__ import annotations

# ---- states, in the definition's order --------------------------------------------------------------------
RECEIVE = "Receive the request"
NORMALIZE = "Normalize request"
EXPLAIN_REFUSAL = "Explain why the input was refused"
INPUT_REFUSED = "Input refused"
IS_RESTORE = "Is it a restore to sync?"
NOTHING_TO_SYNC = "Nothing to sync"
REMOVE_STACK = "Remove governance stack"
START_WAITING = "Start waiting"
CHECK_TARGET = "Check target table"
IS_TARGET_READY = "Is target table ready?"
WAIT = "Wait before checking again"
READ_SOURCE = "Read source settings"
PLAN = "Plan settings"
IS_DRY_RUN = "Is it a dry run?"
WAS_RESTORE_TEST = "Was it a restore test?"
VALIDATE_RESTORE_TEST = "Validate the restore test"
IMPORT = "Import target into stack"
APPLY_SETTINGS = "Apply settings one at a time"
APPLY_SETTING = "Apply setting"
RECORD_FAILED_SETTING = "Record failed setting"
VERIFY = "Verify target"
BUILD_REPORT = "Build report"
HOW_DID_IT_END = "How did it end?"
DRY_RUN_PLANNED = "Dry run planned"
WHOLE = "Restored table is whole"
STACK_REMOVED = "Governance stack removed"
KEEP_RAW_STATE = "Keep the raw state"
DEAD_LETTER = "Send to dead-letter queue"
SYNC_FAILED = "Restore sync failed"

STATES = (
    RECEIVE,
    NORMALIZE,
    EXPLAIN_REFUSAL,
    INPUT_REFUSED,
    IS_RESTORE,
    NOTHING_TO_SYNC,
    REMOVE_STACK,
    START_WAITING,
    CHECK_TARGET,
    IS_TARGET_READY,
    WAIT,
    READ_SOURCE,
    PLAN,
    IS_DRY_RUN,
    WAS_RESTORE_TEST,
    VALIDATE_RESTORE_TEST,
    IMPORT,
    APPLY_SETTINGS,
    APPLY_SETTING,
    RECORD_FAILED_SETTING,
    VERIFY,
    BUILD_REPORT,
    HOW_DID_IT_END,
    DRY_RUN_PLANNED,
    WHOLE,
    STACK_REMOVED,
    KEEP_RAW_STATE,
    DEAD_LETTER,
    SYNC_FAILED,
)
# The poll loop: one check, its Choice and its Wait.
WAIT_LOOP = (CHECK_TARGET, IS_TARGET_READY, WAIT)

# ---- execution history event types ---------------------------------------------------------------------------
STATE_ENTERED = "StateEntered"
STATE_EXITED = "StateExited"
TASK_STATE_EXITED = "TaskStateExited"
CHOICE_STATE_ENTERED = "ChoiceStateEntered"
CHOICE_STATE_EXITED = "ChoiceStateExited"
MAP_STATE_ENTERED = "MapStateEntered"
MAP_STATE_EXITED = "MapStateExited"
WAIT_STATE_ENTERED = "WaitStateEntered"
SUCCEED_STATE_ENTERED = "SucceedStateEntered"
FAIL_STATE_ENTERED = "FailStateEntered"
MAP_ITERATION_STARTED = "MapIterationStarted"
EXECUTION_SUCCEEDED = "ExecutionSucceeded"
LAMBDA_SCHEDULED = "LambdaFunctionScheduled"

# An attempt of a Task: a Retry schedules it again.
ATTEMPTS = frozenset({LAMBDA_SCHEDULED, "TaskScheduled", "ActivityScheduled"})
# An attempt or a state that failed: a Retry or a Catch follows, or the execution ends.
FAILURES = frozenset(
    {
        "LambdaFunctionFailed",
        "LambdaFunctionTimedOut",
        "LambdaFunctionStartFailed",
        "LambdaFunctionScheduleFailed",
        "TaskFailed",
        "TaskTimedOut",
        "TaskStartFailed",
        "TaskSubmitFailed",
        "ActivityFailed",
        "ActivityTimedOut",
        "ActivityScheduleFailed",
        "MapStateFailed",
        "ParallelStateFailed",
        "MapRunFailed",
    }
)
# The event that ends an execution, and the execution's status (DescribeExecution's) it ends in.
ENDS = {
    EXECUTION_SUCCEEDED: "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}

EVENT_TYPES = (
    frozenset(
        {
            TASK_STATE_EXITED,
            CHOICE_STATE_ENTERED,
            CHOICE_STATE_EXITED,
            MAP_STATE_ENTERED,
            MAP_STATE_EXITED,
            WAIT_STATE_ENTERED,
            SUCCEED_STATE_ENTERED,
            FAIL_STATE_ENTERED,
            MAP_ITERATION_STARTED,
        }
    )
    | ATTEMPTS
    | FAILURES
    | frozenset(ENDS)
)
