"""The deployment's configuration, read once from the function's environment at the edge (the handlers)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from restore_sync.errors import ValidationError
from restore_sync.settings import NAMES
from restore_sync.workflow.backoff import Backoff


@dataclass(frozen=True)
class Config:
    stack_prefix: str = "restore-sync"
    cfn_role_arn: str = ""
    settings: tuple[str, ...] = NAMES
    backoff: Backoff = field(default_factory=Backoff)
    grace_seconds: int = 600
    triggers_disabled: bool = False
    # The settings history: its table (empty: no history, settings are read live) and how long a superseded
    # version is kept.
    history_table: str = ""
    history_retention_days: int = 40

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        settings = tuple(s.strip() for s in env.get("SETTINGS", ",".join(NAMES)).split(",") if s.strip())
        unknown = sorted(set(settings) - set(NAMES))
        if unknown:
            raise ValidationError([f"deployment parameter Settings names unknown settings: {', '.join(unknown)}"])
        defaults = Backoff()
        backoff = Backoff(
            first_seconds=int(env.get("BACKOFF_FIRST_SECONDS", defaults.first_seconds)),
            lag_percent=int(env.get("BACKOFF_LAG_PERCENT", defaults.lag_percent)),
            cap_seconds=int(env.get("BACKOFF_CAP_SECONDS", defaults.cap_seconds)),
            jitter_percent=int(env.get("BACKOFF_JITTER_PERCENT", defaults.jitter_percent)),
            horizon_seconds=round(float(env.get("BACKOFF_HORIZON_HOURS", defaults.horizon_seconds / 3600)) * 3600),
        )
        return cls(
            stack_prefix=env.get("STACK_PREFIX", cls.stack_prefix),
            cfn_role_arn=env.get("CFN_ROLE_ARN", ""),
            settings=settings,
            backoff=backoff,
            grace_seconds=int(env.get("GRACE_SECONDS", cls.grace_seconds)),
            triggers_disabled=env.get("CREATE_TRIGGERS_DISABLED", "false").lower() == "true",
            history_table=env.get("HISTORY_TABLE", ""),
            history_retention_days=int(env.get("HISTORY_RETENTION_DAYS", cls.history_retention_days)),
        )
