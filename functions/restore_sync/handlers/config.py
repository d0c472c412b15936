"""The deployment's configuration, read once from the function's environment at the edge (the handlers)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from restore_sync.errors import ConfigurationError
from restore_sync.settings import NAMES
from restore_sync.settings.replicas import PARAMETER as REPLICAS_PARAMETER
from restore_sync.settings.replicas import parse_replicas
from restore_sync.workflow.backoff import Backoff
from restore_sync.workflow.hold import NONE, parse_hold
from restore_sync.workflow.hold import PARAMETER as HOLD_PARAMETER

_N = TypeVar("_N", int, float)
# S3's rules for a general purpose bucket's name: 3-63 of lower-case letters, digits, dots and hyphens, starting
# and ending with a letter or digit, not shaped like an IP address.
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d+\.\d+\.\d+\.\d+$")


@dataclass(frozen=True)
class Config:
    stack_prefix: str = "restore-sync"
    cfn_role_arn: str = ""
    # The roles a copied resource policy must leave their access to the target (Apply setting checks it).
    verify_role_arn: str = ""
    snapshot_role_arn: str = ""
    settings: tuple[str, ...] = NAMES
    backoff: Backoff = field(default_factory=Backoff)
    grace_seconds: int = 600
    # What waits for `restore-sync activate` (restore_sync.workflow.hold): the deployment's HoldSettings.
    hold: tuple[str, ...] = ()
    # The settings history: its table (empty: no history, settings are read live) and how long a superseded
    # version is kept.
    history_table: str = ""
    history_retention_days: int = 40
    # A manual start may adopt a table that was not restored (its input says adoptUnrestored): the deployment's
    # AdoptUnrestoredTables parameter.
    adopt_unrestored: bool = False
    # The deployment's bucket for templates over CloudFormation's inline limit and documents too large for the
    # workflow's state (empty: none; everything is sent inline).
    data_bucket: str = ""
    # The target's replicas (restore_sync.settings.replicas): the deployment's Replicas, none by default.
    replicas: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        settings = tuple(s.strip() for s in env.get("SETTINGS", ",".join(NAMES)).split(",") if s.strip())
        unknown = sorted(set(settings) - set(NAMES))
        if unknown:
            raise ConfigurationError(
                f"deployment parameter Settings names unknown settings: {', '.join(unknown)} "
                f"(known: {', '.join(NAMES)}); update the deployment"
            )
        defaults = Backoff()
        backoff = Backoff(
            first_seconds=_number(env, "BACKOFF_FIRST_SECONDS", defaults.first_seconds),
            lag_percent=_number(env, "BACKOFF_LAG_PERCENT", defaults.lag_percent),
            cap_seconds=_number(env, "BACKOFF_CAP_SECONDS", defaults.cap_seconds),
            jitter_percent=_number(env, "BACKOFF_JITTER_PERCENT", defaults.jitter_percent),
            horizon_seconds=round(_number(env, "BACKOFF_HORIZON_HOURS", defaults.horizon_seconds / 3600) * 3600),
        )
        return cls(
            stack_prefix=env.get("STACK_PREFIX", cls.stack_prefix),
            cfn_role_arn=env.get("CFN_ROLE_ARN", ""),
            verify_role_arn=env.get("VERIFY_ROLE_ARN", ""),
            snapshot_role_arn=env.get("SNAPSHOT_ROLE_ARN", ""),
            settings=settings,
            backoff=backoff,
            grace_seconds=_number(env, "GRACE_SECONDS", cls.grace_seconds),
            hold=_hold(env),
            history_table=env.get("HISTORY_TABLE", ""),
            history_retention_days=_number(env, "HISTORY_RETENTION_DAYS", cls.history_retention_days),
            adopt_unrestored=env.get("ADOPT_UNRESTORED_TABLES", "false").lower() == "true",
            data_bucket=_bucket_name(env, "DATA_BUCKET"),
            replicas=_replicas(env),
        )


def _number(env: Mapping[str, str], name: str, default: _N) -> _N:
    """`env[name]` as a number of `default`'s type; a ConfigurationError naming the variable when it is not one."""
    if name not in env:
        return default
    try:
        return type(default)(env[name])
    except ValueError as error:
        raise ConfigurationError(f"environment variable {name}={env[name]!r} is not a number") from error


def _hold(env: Mapping[str, str]) -> tuple[str, ...]:
    """HOLD_SETTINGS (the HoldSettings parameter, joined by commas) as a request holds it; a ConfigurationError
    saying what is wrong with it otherwise."""
    names = [name.strip() for name in env.get("HOLD_SETTINGS", NONE).split(",") if name.strip()]
    try:
        return parse_hold(names)
    except ValueError as error:
        raise ConfigurationError(f"deployment parameter {HOLD_PARAMETER}: {error}; update the deployment") from None


def _replicas(env: Mapping[str, str]) -> tuple[str, ...]:
    """REPLICAS (the Replicas parameter) as a request holds it, checked against the function's own region (the
    deployment's: its targets' replicas cannot be there); a ConfigurationError saying what is wrong otherwise."""
    names = [name.strip() for name in env.get("REPLICAS", "none").split(",") if name.strip()]
    try:
        return parse_replicas(names, env.get("AWS_REGION", ""))
    except ValueError as error:
        raise ConfigurationError(f"deployment parameter {REPLICAS_PARAMETER}: {error}; update the deployment") from None


def _bucket_name(env: Mapping[str, str], name: str) -> str:
    """`env[name]` when it is a valid S3 bucket name ("" when unset); a ConfigurationError naming it otherwise."""
    value = env.get(name, "")
    if value and (not _BUCKET_NAME.match(value) or _IP_ADDRESS.match(value) or ".." in value):
        raise ConfigurationError(f"environment variable {name}={value!r} is not an S3 bucket name")
    return value
