"""The EventBridge events restore-sync acts on: their detail types, the restore calls that start a sync, and the
deletion that retires a governed table's stack."""

from __future__ import annotations

# A CloudTrail-recorded API call (a restore starts a sync; a settings change is recorded in the history).
CLOUDTRAIL = "AWS API Call via CloudTrail"
# AWS Backup's event about a restore job.
BACKUP_RESTORE = "Restore Job State Change"
RESTORE_CALLS = ("RestoreTableToPointInTime", "RestoreTableFromBackup")
# A table deleted: its governance stack, if it has one, goes too (restore_sync.workflow.retire).
TABLE_DELETION = "DeleteTable"
