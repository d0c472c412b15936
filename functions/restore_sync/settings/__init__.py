"""The settings restore-sync copies, one module each; this registry is the only list of them."""

from __future__ import annotations

from restore_sync.settings import (
    alarms,
    autoscaling,
    contributor_insights,
    deletion_protection,
    kinesis,
    on_demand_throughput,
    pitr,
    replicas,
    resource_policy,
    stream,
    stream_policy,
    table_class,
    tags,
    triggers,
    ttl,
    warm_throughput,
)
from restore_sync.settings.base import Fragment, Retarget, Setting, State

# Apply order: a setting comes after the ones it needs; the rest follow the contract's order (design.md), but for
# resource_policy, which comes last.
REGISTRY: dict[str, Setting] = {
    s.name: s
    for s in (
        tags.SETTING,
        stream.SETTING,
        ttl.SETTING,
        pitr.SETTING,
        deletion_protection.SETTING,
        triggers.SETTING,
        kinesis.SETTING,
        autoscaling.SETTING,
        contributor_insights.SETTING,
        alarms.SETTING,
        table_class.SETTING,
        on_demand_throughput.SETTING,
        warm_throughput.SETTING,
        # Late, as the table's policy: it may deny access to the stream, which the triggers' functions need when their
        # mappings are made; checked before it is applied as the table's policy is.
        stream_policy.SETTING,
        # After every setting of the table: its replicas' settings are its own, read in each replica's region.
        replicas.SETTING,
        # Last: a copied policy may deny restore-sync's own roles, which the settings after it and the verify step
        # need; the apply step checks the policy before applying it (workflow/lockout.py).
        resource_policy.SETTING,
    )
}

NAMES: tuple[str, ...] = tuple(REGISTRY)
# Every IAM action a setting's `read` calls: what each function that reads settings must be granted.
READ_ACTIONS: tuple[str, ...] = tuple(sorted({action for setting in REGISTRY.values() for action in setting.reads}))

__all__ = ["NAMES", "READ_ACTIONS", "REGISTRY", "Fragment", "Retarget", "Setting", "State", "ordered"]


def ordered(names: list[str] | tuple[str, ...]) -> list[str]:
    """`names` in apply order; unknown names raise KeyError."""
    unknown = sorted(set(names) - set(REGISTRY))
    if unknown:
        raise KeyError(f"unknown settings: {', '.join(unknown)}")
    return [name for name in NAMES if name in names]
