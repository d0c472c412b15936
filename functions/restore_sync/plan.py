"""The plan: for each selected setting, what the target should have, or why it is skipped."""

from __future__ import annotations

from typing import Any

from restore_sync.settings import REGISTRY, ordered


def plan_settings(selected: list[str], source: dict[str, Any], target: dict[str, Any]) -> list[dict[str, Any]]:
    """One item per selected setting, in apply order: `pending` with the wanted state, or `skipped` with a reason."""
    items = []
    for name in ordered(selected):
        setting = REGISTRY[name]
        missing = [need for need in setting.needs if need not in selected]
        reason = f"needs {', '.join(missing)}, which is not selected" if missing else setting.not_applicable(target)
        if reason:
            items.append({"setting": name, "status": "skipped", "reason": reason})
        else:
            items.append({"setting": name, "status": "pending", "wanted": source["settings"][name]})
    return items
