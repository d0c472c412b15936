"""Verify: read the target back and compare every applied or unchanged setting with what was wanted, and every held
setting with what it gets while it waits (disabled triggers are what a held trigger should be, not drift)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from restore_sync.aws import Aws
from restore_sync.contracts import PlanItem, Request, SettingResult
from restore_sync.settings import REGISTRY
from restore_sync.workflow.hold import meanwhile

VERIFIED = ("applied", "unchanged")


def verify(aws: Aws, request: Request, items: Sequence[PlanItem], results: Sequence[SettingResult]) -> dict:
    """`{"drift": [...], "observed": {setting: state}}` for the settings whose outcome claims the target has them."""
    target = request.target
    outcome = {result.setting: result.status for result in results}
    drift: list[dict[str, Any]] = []
    observed: dict[str, Any] = {}
    for item in items:
        name = item.setting
        # Only a pending or held item wants a state; a skipped one has nothing to compare.
        # A stored wanted state is read back by the handler before it calls this.
        if item.wanted is None:
            continue
        setting = REGISTRY[name]
        if outcome.get(name) == "held":
            wanted = meanwhile(request, name, item.wanted)
        elif outcome.get(name) in VERIFIED:
            wanted = item.wanted
        else:
            continue
        if wanted is None:
            continue
        observed[name] = setting.read(aws, target)
        drift += setting.diff(wanted, observed[name])
    return {"drift": drift, "observed": observed}
