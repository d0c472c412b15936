"""`pitr`: point-in-time recovery and its recovery period (1-35 days), which a restore always drops."""

from __future__ import annotations

from typing import Any

from restore_sync.aws import Aws, TableRef, translated_errors
from restore_sync.settings.base import Fragment, Setting, State


class Pitr(Setting):
    name = "pitr"
    reads = ("dynamodb:DescribeContinuousBackups",)

    def read(self, aws: Aws, table: TableRef) -> State:
        with translated_errors():
            backups = aws.client("dynamodb", table.region).describe_continuous_backups(TableName=table.name)
        pitr = backups["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription", {})
        enabled = pitr.get("PointInTimeRecoveryStatus") == "ENABLED"
        period = pitr.get("RecoveryPeriodInDays") if enabled else None
        return {"enabled": enabled, "recoveryPeriodInDays": int(period) if period else None}

    def fragment(self, state: State, target: dict[str, Any]) -> Fragment:
        if not state["enabled"]:
            return Fragment()
        spec: dict[str, Any] = {"PointInTimeRecoveryEnabled": True}
        if state["recoveryPeriodInDays"]:
            spec["RecoveryPeriodInDays"] = state["recoveryPeriodInDays"]
        return Fragment(properties={"PointInTimeRecoverySpecification": spec})


SETTING = Pitr()
