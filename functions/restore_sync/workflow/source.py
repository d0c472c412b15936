"""Where the settings to copy come from: the history's version in effect at the restore point, or the live source.

`settingsFrom` chooses: `snapshot` only the history, `live` only the source table as it is now, `auto` (the
default) the history when it has a version at or before the restore point, else the live source. When neither
has the settings, the execution fails here, before anything is touched. A version the history holds that is not
a settings document the recorder wrote is refused (HistoryVersionInvalid), never used. A resource policy from
the history (the table's, or its stream's) grants no principal the source's policy (the table's, or its stream's)
no longer grants, unless the request says grantRecordedAccess (workflow/grants.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from restore_sync.aws import Aws, TableRef, error_code, translated_errors
from restore_sync.contracts import Request
from restore_sync.errors import SettingsUnavailable, SourceTableUnavailable
from restore_sync.history.store import History, Version
from restore_sync.settings import REGISTRY
from restore_sync.settings.document import settings_document
from restore_sync.timestamps import instant, iso
from restore_sync.workflow.grants import recorded_access

# The settings that are resource policies, and what each is the policy of.
POLICIES = {"resource_policy": "the source table's policy", "stream_policy": "the source table's stream's policy"}


def restore_point(aws: Aws, target: TableRef, fallback: str) -> datetime:
    """The moment the target's data is from: DynamoDB's RestoreSummary.RestoreDateTime (the point in time, or the
    backup's creation time), for every kind of restore; never an event's time. `fallback` (the request's
    requestedAt: the start of the execution) only for a table adopted without having been restored."""
    try:
        with translated_errors():
            description = aws.client("dynamodb", target.region).describe_table(TableName=target.name)["Table"]
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
        description = {}
    moment = (description.get("RestoreSummary") or {}).get("RestoreDateTime")
    if isinstance(moment, datetime):
        return moment
    return instant(str(moment or fallback))


def source_exists(aws: Aws, request: Request) -> bool:
    """Whether the request's source table exists now (a table being deleted no longer counts). A same-name
    restore's source does not: the table of that name is the restored one."""
    if request.same_name:
        return False
    source = request.source
    try:
        with translated_errors():
            status = aws.client("dynamodb", source.region).describe_table(TableName=source.name)["Table"]["TableStatus"]
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
        return False
    return bool(status != "DELETING")


def source_settings(aws: Aws, history: History | None, request: Request, point: datetime) -> dict[str, Any]:
    """`{"settingsFrom": "snapshot" | "live", "document", "restorePoint", "version"?, "note", "reasons"?}`;
    `reasons` says, per setting, why what is applied differs from what was recorded.

    Raises SettingsUnavailable when the chosen place has no settings for the request's source, and
    HistoryVersionInvalid when the history's version is not one the recorder wrote.
    """
    mode = request.settings_from
    source = request.source
    names = list(request.settings)
    why_not_history = "settingsFrom is live"
    # The live table of a same-name restore is the restored table itself: its settings are what is missing.
    if mode != "live" or request.same_name:
        version = history.at_or_before(source.arn, point) if history else None
        if version is not None:
            return _no_more_than_live(aws, request, _from_version(version, names, point))
        why_not_history = _why_no_version(history, source, point)
        if request.same_name:
            raise SettingsUnavailable(
                f"{source.name} was restored under its own name, so its settings from before the restore are only "
                f"in the settings history, and {why_not_history}; nothing was changed: copy the settings by hand, or "
                "start again with the settings of another table (sourceTableName)"
            )
        if mode == "snapshot":
            raise SettingsUnavailable(
                f"settingsFrom is snapshot, but {why_not_history}; nothing was changed: start again with "
                "settingsFrom auto or live to copy the source's settings as they are now"
            )
    try:
        document = settings_document(aws, source, names)
    except SourceTableUnavailable as error:
        if mode == "live":
            raise
        raise SettingsUnavailable(
            f"{error}, and {why_not_history}; nothing was changed: copy the settings by hand, or start again "
            "with the settings of another table (sourceTableName) once one has them"
        ) from error
    return {"settingsFrom": "live", "document": document, "restorePoint": iso(point), "note": why_not_history}


def _from_version(version: Version, names: list[str], point: datetime) -> dict[str, Any]:
    recorded = version.document
    document = {**recorded, "settings": {n: recorded["settings"][n] for n in names if n in recorded["settings"]}}
    return {
        "settingsFrom": "snapshot",
        "document": document,
        "restorePoint": iso(point),
        "version": version.key,
        "note": f"the version in effect at the restore point: recorded on {version.cause} at {version.effective_at}",
    }


def _no_more_than_live(aws: Aws, request: Request, chosen: dict[str, Any]) -> dict[str, Any]:
    """The settings from the history, with each recorded resource policy narrowed to what the source's policy of the
    same resource grants today. The source's policy is read only here: when the settings came from the history and
    hold a policy."""
    for name, whose in POLICIES.items():
        recorded = chosen["document"]["settings"].get(name)
        if recorded is None or recorded["policy"] is None:
            continue
        live, exists = None, False
        # A same-name restore's source is gone: the table of that name now is the restored one, with no policy yet.
        if not request.same_name:
            try:
                live, exists = REGISTRY[name].read(aws, request.source)["policy"], True
            except ClientError as error:
                if error_code(error) != "ResourceNotFoundException":
                    raise
        access = recorded_access(
            recorded["policy"], live, source_exists=exists, grant_recorded=request.grant_recorded_access, whose=whose
        )
        if access.reason is None:
            continue
        document = chosen["document"]
        settings = {**document["settings"], name: {**recorded, "policy": access.policy}}
        reasons = {**chosen.get("reasons", {}), name: access.reason}
        chosen = {**chosen, "document": {**document, "settings": settings}, "reasons": reasons}
    return chosen


def _why_no_version(history: History | None, source: TableRef, point: datetime) -> str:
    if history is None:
        return "this deployment keeps no settings history"
    first = history.first(source.arn)
    if first is None:
        return f"the settings history has no version of {source.arn}"
    return f"the settings history of {source.arn} starts at {first.effective_at}, after the restore point {iso(point)}"
