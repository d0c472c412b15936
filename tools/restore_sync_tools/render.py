"""Reports as text: one row per setting with what changed or why, and the drift found."""

from __future__ import annotations

import json
from typing import Any


def report_summary(report: dict[str, Any]) -> list[str]:
    """A table of the report: one row per setting (setting, status, what changed or why), then any drift."""
    rows: list[tuple[str, ...]] = [("setting", "status", "what changed / why")]
    for name, entry in (report.get("settings") or {}).items():
        status = str(entry.get("status", "?"))
        changes = entry.get("changes") or []
        if status == "applied" and changes:
            why = "; ".join(describe_change(change) for change in changes)
        elif status == "planned" and changes:
            properties = ", ".join(str(c.get("property") or c.get("resource")) for c in changes)
            why = f"would set {properties} to {brief(entry.get('wanted'))}"
        else:
            why = str(entry.get("reason", ""))
        if status in ("applied", "planned") and changes and entry.get("reason") not in (None, "dry run"):
            # What was applied differs from what was asked for (a policy without principals revoked since).
            why += f" ({entry['reason']})"
        if entry.get("cost"):
            why += f"; {cost_note(entry['cost'])}"
        rows.append((str(name), status, why))
    lines = table(rows)
    waiting = held_summary(report)
    if waiting:
        lines.append(waiting)
    for drift in report.get("drift") or []:
        wanted = json.dumps(drift.get("wanted"), sort_keys=True)
        found = json.dumps(drift.get("found"), sort_keys=True)
        lines.append(f"drift: {drift.get('setting')}: wanted {wanted}, found {found}")
    validation = report.get("validation")
    if validation:
        # An AWS Backup restore test: what was checked, and the result AWS Backup was sent.
        lines.append(
            f"restore test: {validation.get('status')} (reported to AWS Backup for restore job "
            f"{validation.get('restoreJobId')}); checked: {', '.join(validation.get('checked') or []) or 'nothing'}"
        )
        lines += [f"  {reason}" for reason in validation.get("reasons") or []]
    return lines


def cost_note(cost: dict[str, Any]) -> str:
    """A setting entry's `cost` (restore_sync.settings.warm_throughput.one_time_cost) in words."""
    amount = f"USD {cost['amountUsd']}" if cost.get("amountUsd") is not None else "amount not recorded"
    return (
        f"charged once: +{cost.get('readUnitsPerSecond')} read and +{cost.get('writeUnitsPerSecond')} write units "
        f"per second in {cost.get('region')}, {amount} ({cost.get('basis')})"
    )


# How a held setting's reason ends (restore_sync.workflow.hold.held_reason): the command that applies it.
ACTIVATE_WITH = "apply it with: "


def held_summary(report: dict[str, Any]) -> str | None:
    """`held: ttl, triggers; apply them with: restore-sync activate --target T`, or None when nothing is held."""
    held = {
        name: str(entry.get("reason", ""))
        for name, entry in (report.get("settings") or {}).items()
        if isinstance(entry, dict) and entry.get("status") == "held"
    }
    if not held:
        return None
    commands = {reason.rsplit(ACTIVATE_WITH, 1)[1] for reason in held.values() if ACTIVATE_WITH in reason}
    command = commands.pop() if len(commands) == 1 else "restore-sync activate --target <the target>"
    return f"held: {', '.join(held)}; apply {'it' if len(held) == 1 else 'them'} with: {command}"


def describe_change(change: dict[str, Any]) -> str:
    """`Tags = 12 tags`, `StreamSpecification = {...}`, or `Add Alarm` for a resource."""
    if change.get("property"):
        return f"{change['property']} = {brief(change.get('value'))}" if "value" in change else change["property"]
    kind = str(change.get("type") or "").rsplit("::", 1)[-1]
    return " ".join(part for part in (change.get("action", "change"), kind, change.get("resource", "")) if part)


def brief(value: Any, width: int = 72) -> str:
    """A value in a few words: a count for tag lists, compact JSON otherwise, cut at `width` characters."""
    if isinstance(value, dict) and isinstance(value.get("tags"), list):
        value = value["tags"]
    if isinstance(value, list) and value and all(isinstance(v, dict) and "Key" in v for v in value):
        return f"{len(value)} tag{'' if len(value) == 1 else 's'}"
    text = json.dumps(value, sort_keys=True, separators=(",", ":")) if not isinstance(value, str) else value
    return text if len(text) <= width else text[: width - 3] + "..."


def table(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows as aligned text columns, a rule under the header; the last column is not padded."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]

    def render(row: tuple[str, ...]) -> str:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        return "  ".join([*cells, row[-1]]).rstrip()

    rule = tuple("-" * len(cell) for cell in rows[0])
    return [render(rows[0]), render(rule)] + [render(row) for row in rows[1:]]
