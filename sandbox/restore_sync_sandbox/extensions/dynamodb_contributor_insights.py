"""CloudWatch Contributor Insights for DynamoDB: Update, Describe and ListContributorInsights, per table and GSI.

AWS behaviour reproduced (API reference, and measured behaviour published for these APIs):
- UpdateContributorInsights (TableName is a name or an ARN; IndexName optional; ContributorInsightsAction
  ENABLE | DISABLE; ContributorInsightsMode ACCESSED_AND_THROTTLED_KEYS | THROTTLED_KEYS, optional) answers
  ENABLING or DISABLING; ENABLE of what is already enabled in that mode, and DISABLE of what is not enabled,
  are no-ops that answer the settled status. ENABLE in another mode changes the mode in place. The sandbox
  settles at once: DescribeContributorInsights shows ENABLED (or DISABLED) right after the update.
- The mode: AWS documents no default (botocore's dynamodb model and the API reference: ContributorInsightsMode is
  "Required: No" in UpdateContributorInsights, and optional in DescribeContributorInsights' and
  ListContributorInsights' answers, with no default stated). So the sandbox states the mode it was given and none
  otherwise: an ENABLE without a mode of what is disabled enables it with no ContributorInsightsMode in the answers
  and every rule (the rules the Developer Guide's "How it works" lists for enabling); an ENABLE without a mode of
  what is enabled is a no-op that keeps its mode.
- DescribeContributorInsights of a table or GSI never configured answers `{TableName[, IndexName],
  ContributorInsightsStatus: DISABLED}`; after a change it adds LastUpdateDateTime (sandbox clock) and
  ContributorInsightsMode (where one was given), and while ENABLED the rule names
  `DynamoDBContributorInsights-{PKC,SKC,PKT,SKT}-<table>[-<index>]-<epoch ms of the enable>` (SKC/SKT only
  with a sort key; only PKT/SKT in THROTTLED_KEYS mode).
- Each table and each GSI has its own state. An IndexName that is not a GSI of the table (an LSI, or unknown),
  or a missing table, is ResourceNotFoundException. Deleting a GSI takes its state with it; a restored table (a
  new table) starts with everything DISABLED.
- ListContributorInsights (optional TableName, MaxResults 1-100, NextToken) lists what is not DISABLED, each
  table before its GSIs, with ContributorInsightsMode where one was given.
- Not reproduced: the CloudWatch quota of rules (FAILED with FailureException), and any CloudWatch rule or
  report (nothing is created in moto's CloudWatch).

moto internals patched: none replaced. `DynamoHandler` gains `update_contributor_insights`,
`describe_contributor_insights` and `list_contributor_insights` (moto finds handler methods by name), and
`DynamoDBBackend` gains the methods of the same names, which the CloudFormation table model calls.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.dynamodb.exceptions import MockValidationException, ResourceNotFoundException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import GlobalSecondaryIndex, Table
from moto.dynamodb.responses import DynamoHandler

from restore_sync_sandbox import clock

ACTIONS = ("ENABLE", "DISABLE")
MODES = ("ACCESSED_AND_THROTTLED_KEYS", "THROTTLED_KEYS")
MAX_RESULTS = 100


@dataclass
class Insights:
    """Contributor insights of one table or GSI."""

    status: str
    mode: str | None  # None: enabled without a mode, so none is stated
    updated_at: datetime
    enabled_ms: int


_lock = threading.RLock()
# Keyed by the moto table or GSI object: a deleted or restored table or index never inherits the state.
_state: weakref.WeakKeyDictionary[Table | GlobalSecondaryIndex, Insights] = weakref.WeakKeyDictionary()
_installed = False


def _now() -> datetime:
    # moto keeps naive UTC datetimes; the sandbox clock may run ahead of the wall clock.
    return clock.current().now().astimezone(UTC).replace(tzinfo=None)


def _table(backend: DynamoDBBackend, table_name: str) -> Table:
    try:
        return backend.get_table(table_name)
    except ResourceNotFoundException:
        raise ResourceNotFoundException(table_name=table_name) from None


def _target(table: Table, index_name: str | None) -> Table | GlobalSecondaryIndex:
    if index_name is None:
        return table
    for index in table.global_indexes:
        if index.name == index_name:
            return index
    raise ResourceNotFoundException(f"Requested resource not found: Index: {index_name} not found for table")


def _enum(value: Any, allowed: tuple[str, ...], member: str) -> str:
    if value not in allowed:
        raise MockValidationException(
            f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(allowed)}]"
        )
    return str(value)


def _has_sort_key(target: Table | GlobalSecondaryIndex) -> bool:
    return any(key.get("KeyType") == "RANGE" for key in target.schema)


def _rules(table: Table, index_name: str | None, target: Table | GlobalSecondaryIndex, state: Insights) -> list[str]:
    kinds = ["PKC", "SKC", "PKT", "SKT"]
    if state.mode == "THROTTLED_KEYS":
        kinds = ["PKT", "SKT"]
    if not _has_sort_key(target):
        kinds = [kind for kind in kinds if not kind.startswith("SK")]
    resource = f"{table.name}-{index_name}" if index_name else table.name
    return [f"DynamoDBContributorInsights-{kind}-{resource}-{state.enabled_ms}" for kind in kinds]


def _mode(mode: str | None) -> dict[str, str]:
    """ContributorInsightsMode as answers carry it: only where one was given."""
    return {"ContributorInsightsMode": mode} if mode else {}


def _names(table: Table, index_name: str | None) -> dict[str, Any]:
    names: dict[str, Any] = {"TableName": table.name}
    if index_name:
        names["IndexName"] = index_name
    return names


def update_contributor_insights(
    self: DynamoDBBackend, table_name: str, index_name: str | None, action: str, mode: str | None = None
) -> dict[str, Any]:
    """Backend method: UpdateContributorInsights; returns the response (ENABLING, DISABLING or a settled status)."""
    table = _table(self, table_name)
    target = _target(table, index_name)
    _enum(action, ACTIONS, "contributorInsightsAction")
    if mode is not None:
        _enum(mode, MODES, "contributorInsightsMode")
    answer = _names(table, index_name)
    with _lock:
        state = _state.get(target)
        enabled = state is not None and state.status == "ENABLED"
        if action == "ENABLE":
            if state is not None and enabled and mode in (None, state.mode):
                return {**answer, "ContributorInsightsStatus": "ENABLED", **_mode(state.mode)}
            now = _now()
            # A mode change keeps the rules' creation suffix; a fresh enable creates new rules.
            enabled_ms = state.enabled_ms if state is not None and enabled else int(clock.current().time() * 1000)
            _state[target] = Insights(status="ENABLED", mode=mode, updated_at=now, enabled_ms=enabled_ms)
            return {**answer, "ContributorInsightsStatus": "ENABLING", **_mode(mode)}
        if state is None or not enabled:
            return {**answer, "ContributorInsightsStatus": "DISABLED", **_mode(state.mode if state else None)}
        state.status = "DISABLED"
        state.updated_at = _now()
        return {**answer, "ContributorInsightsStatus": "DISABLING", **_mode(state.mode)}


def describe_contributor_insights(
    self: DynamoDBBackend, table_name: str, index_name: str | None = None
) -> dict[str, Any]:
    """Backend method: DescribeContributorInsights of a table or one of its GSIs."""
    table = _table(self, table_name)
    target = _target(table, index_name)
    answer = _names(table, index_name)
    with _lock:
        state = _state.get(target)
        if state is None:
            return {**answer, "ContributorInsightsStatus": "DISABLED"}
        answer["ContributorInsightsStatus"] = state.status
        if state.status == "ENABLED":
            answer["ContributorInsightsRuleList"] = _rules(table, index_name, target, state)
        answer["LastUpdateDateTime"] = state.updated_at
        return {**answer, **_mode(state.mode)}


def list_contributor_insights(
    self: DynamoDBBackend, table_name: str | None = None, max_results: int | None = None, next_token: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Backend method: ListContributorInsights; returns (summaries, next token or None)."""
    if max_results is not None and not 1 <= int(max_results) <= MAX_RESULTS:
        raise MockValidationException(
            f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to satisfy constraint: "
            f"Member must have value less than or equal to {MAX_RESULTS}"
        )
    tables = [_table(self, table_name)] if table_name else list(self.tables.values())
    summaries: list[dict[str, Any]] = []
    with _lock:
        for table in tables:
            targets: list[tuple[str | None, Table | GlobalSecondaryIndex]] = [(None, table)]
            targets += [(index.name, index) for index in table.global_indexes]
            for index_name, target in targets:
                state = _state.get(target)
                if state is None or state.status == "DISABLED":
                    continue
                summaries.append(
                    {
                        **_names(table, index_name),
                        "ContributorInsightsStatus": state.status,
                        **_mode(state.mode),
                    }
                )
    start = _start(next_token)
    size = int(max_results) if max_results is not None else MAX_RESULTS
    page = summaries[start : start + size]
    more = start + size < len(summaries)
    return page, str(start + size) if more else None


def _start(next_token: str | None) -> int:
    if next_token is None:
        return 0
    if not next_token.isdigit():
        raise MockValidationException(f"Invalid NextToken: {next_token}")
    return int(next_token)


def _handle_update(self: DynamoHandler) -> ActionResult:
    return ActionResult(
        self.dynamodb_backend.update_contributor_insights(  # type: ignore[attr-defined]
            self.body.get("TableName", ""),
            self.body.get("IndexName"),
            self.body.get("ContributorInsightsAction"),
            self.body.get("ContributorInsightsMode"),
        )
    )


def _handle_describe(self: DynamoHandler) -> ActionResult:
    return ActionResult(
        self.dynamodb_backend.describe_contributor_insights(  # type: ignore[attr-defined]
            self.body.get("TableName", ""), self.body.get("IndexName")
        )
    )


def _handle_list(self: DynamoHandler) -> ActionResult:
    summaries, token = self.dynamodb_backend.list_contributor_insights(  # type: ignore[attr-defined]
        self.body.get("TableName"), self.body.get("MaxResults"), self.body.get("NextToken")
    )
    answer: dict[str, Any] = {"ContributorInsightsSummaries": summaries}
    if token:
        answer["NextToken"] = token
    return ActionResult(answer)


HANDLER_METHODS: dict[str, Callable[..., Any]] = {
    "update_contributor_insights": _handle_update,
    "describe_contributor_insights": _handle_describe,
    "list_contributor_insights": _handle_list,
}
BACKEND_METHODS: dict[str, Callable[..., Any]] = {
    "update_contributor_insights": update_contributor_insights,
    "describe_contributor_insights": describe_contributor_insights,
    "list_contributor_insights": list_contributor_insights,
}


def _check_moto() -> None:
    # The additions lean on these moto internals.
    if not callable(getattr(DynamoDBBackend, "get_table", None)):
        raise RuntimeError("moto changed: DynamoDBBackend.get_table is gone")
    if not isinstance(DynamoHandler.__dict__.get("dynamodb_backend"), property):
        raise RuntimeError("moto changed: DynamoHandler.dynamodb_backend is gone")


def install() -> None:
    """Adds the contributor insights APIs to moto's DynamoDB; calling it again does nothing."""
    global _installed
    with _lock:
        if _installed:
            return
        _check_moto()
        for name, function in HANDLER_METHODS.items():
            setattr(DynamoHandler, name, function)
        for name, function in BACKEND_METHODS.items():
            setattr(DynamoDBBackend, name, function)
        _installed = True
