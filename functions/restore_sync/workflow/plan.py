"""The plan: for each selected setting, what the target should have, or why it is skipped or held."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from restore_sync.contracts import PlanItem, Request
from restore_sync.settings import REGISTRY, Retarget, ordered


def retarget_for(request: Request, target: dict[str, Any]) -> Retarget:
    """The source and target of a request, with the target's table document."""
    return Retarget(source=request.source, target=request.target, target_table=target, replicas=request.replicas or ())


def plan_settings(
    selected: list[str] | tuple[str, ...],
    source: dict[str, Any],
    retarget: Retarget,
    held: Mapping[str, str] | None = None,
) -> list[PlanItem]:
    """One item per selected setting, in apply order: `pending` with the wanted state, `skipped` with a reason, or
    `held` (a setting `held` names, with its reason) with the state activation will give it."""
    held = held or {}
    items: list[PlanItem] = []
    for name in ordered(selected):
        setting = REGISTRY[name]
        missing = [need for need in setting.needs if need not in selected]
        if missing:
            reason: str | None = f"needs {', '.join(missing)}, which is not selected"
        elif name not in source["settings"]:
            reason = "not in the source's settings document (a version recorded before restore-sync copied it)"
        else:
            reason = setting.not_chosen(source["settings"][name], retarget) or setting.not_applicable(
                retarget.target_table
            )
        if reason:
            items.append(PlanItem(setting=name, status="skipped", reason=reason))
            continue
        wanted = setting.wanted(source["settings"][name], retarget)
        if name in held:
            items.append(PlanItem(setting=name, status="held", wanted=wanted, reason=held[name]))
        else:
            items.append(PlanItem(setting=name, status="pending", wanted=wanted))
    return items
