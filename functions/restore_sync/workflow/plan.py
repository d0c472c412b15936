"""The plan: for each selected setting, what the target should have, or why it is skipped."""

from __future__ import annotations

from typing import Any

from restore_sync.aws import TableRef
from restore_sync.settings import REGISTRY, Retarget, ordered


def retarget_for(request: dict[str, Any], target: dict[str, Any]) -> Retarget:
    """The source and target of a request, with the target's table document and the request's options."""
    return Retarget(
        source=TableRef.from_arn(request["sourceTableArn"]),
        target=TableRef.from_arn(request["targetTableArn"]),
        target_table=target,
        triggers_disabled=bool(request.get("triggersDisabled", False)),
    )


def plan_settings(selected: list[str], source: dict[str, Any], retarget: Retarget) -> list[dict[str, Any]]:
    """One item per selected setting, in apply order: `pending` with the wanted state, or `skipped` with a reason."""
    items: list[dict[str, Any]] = []
    for name in ordered(selected):
        setting = REGISTRY[name]
        missing = [need for need in setting.needs if need not in selected]
        if missing:
            reason: str | None = f"needs {', '.join(missing)}, which is not selected"
        elif name not in source["settings"]:
            reason = "not in the source's settings document (a version recorded before restore-sync copied it)"
        else:
            reason = setting.not_applicable(retarget.target_table)
        if reason:
            items.append({"setting": name, "status": "skipped", "reason": reason})
        else:
            wanted = setting.wanted(source["settings"][name], retarget)
            items.append({"setting": name, "status": "pending", "wanted": wanted})
    return items
