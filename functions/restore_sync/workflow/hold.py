"""Held settings: what waits for `restore-sync activate` instead of being applied with the rest.

Some settings act outside the table or on its items: stream triggers (their functions receive the restored table's
writes), the Kinesis destination (its records reach the stream the source writes to) and TTL (items already expired
at the restore point are deleted). A restore made side by side with a live source may want them to wait. `hold`
(the deployment's HoldSettings, or a manual input's `hold`) says which: `none`, `side-by-side` (those three, while
the source table still exists), or setting names. The request keeps it as given; Plan settings resolves it once
into the settings held and why (`held_settings`). A held setting is not applied, but for triggers, which are created
disabled (`Setting.held`); `restore-sync activate` later applies the held settings through the same workflow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from restore_sync.contracts import Request, SettingResult
from restore_sync.settings import NAMES, REGISTRY, State, ordered
from restore_sync.workflow.stack import StackOps

NONE = "none"
SIDE_BY_SIDE = "side-by-side"
# The settings whose effect reaches beyond the restored table's configuration.
SIDE_EFFECTS = ("triggers", "kinesis", "ttl")
# The deployment parameter that sets the default, for messages.
PARAMETER = "HoldSettings"
DEFAULT_STACK_NAME = "restore-sync"

_WHAT = {
    "triggers": "created disabled, so that their functions do not receive this table's writes",
    "kinesis": "not applied, so that this table's writes do not reach the Kinesis data stream",
    "ttl": "not applied, so that items already expired at the restore point are not deleted",
}


def parse_hold(value: str | Sequence[str]) -> tuple[str, ...]:
    """The request's form of a hold (`none`, `side-by-side`, or setting names): `()`, `("side-by-side",)`, or the
    names in apply order. Raises ValueError naming what is wrong; a list mixing a word with names is wrong."""
    names = [value] if isinstance(value, str) else list(value)
    if names in ([NONE], []):
        return ()
    if names == [SIDE_BY_SIDE]:
        return (SIDE_BY_SIDE,)
    words = [name for name in names if name in (NONE, SIDE_BY_SIDE)]
    if words:
        raise ValueError(f"{' and '.join(words)} cannot be combined with setting names: {','.join(names)}")
    try:
        return tuple(ordered(names))
    except KeyError as error:
        raise ValueError(
            f"{error.args[0]} (hold: {NONE}, {SIDE_BY_SIDE}, or setting names: {', '.join(NAMES)})"
        ) from None


def held_settings(hold: Sequence[str], *, source_exists: bool) -> dict[str, str]:
    """Setting name -> why it is held, for the request's `hold` (as `parse_hold` returns it).

    `side-by-side` holds the settings that act beyond the table while the source table still exists, and nothing
    once it is gone (the restored table then replaces it). A setting whose need is held is held too: a trigger
    cannot be created, even disabled, on a stream that was not enabled."""
    if tuple(hold) == (SIDE_BY_SIDE,):
        if not source_exists:
            return {}
        why = "the source table still exists (hold side-by-side)"
        held = dict.fromkeys(SIDE_EFFECTS, why)
    else:
        held = dict.fromkeys(hold, f"hold names it (the deployment's {PARAMETER}, or the start's hold)")
    for name in NAMES:
        waiting = [need for need in REGISTRY[name].needs if need in held]
        if waiting and name not in held:
            held[name] = f"it needs {', '.join(waiting)}, which is held"
    return held


def activate_command(target_table_name: str, stack_name: str = DEFAULT_STACK_NAME) -> str:
    """The command that applies what an execution held on `target_table_name`, for the deployment `stack_name`."""
    deployment = "" if stack_name == DEFAULT_STACK_NAME else f" --stack-name {stack_name}"
    return f"restore-sync activate --target {target_table_name}{deployment}"


def held_reason(setting: str, why: str, command: str) -> str:
    """The report's reason for a held setting: what was done instead, why, and the command that applies it."""
    what = _WHAT.get(setting, "not applied")
    return f"{what}, because {why}; apply it with: {command}"


def activation_settings(held: Sequence[str]) -> list[str]:
    """The settings an activation of `held` selects: those, and what they need (already applied, so unchanged), in
    apply order."""
    wanted = set(held) | {need for name in held for need in REGISTRY[name].needs}
    return ordered(sorted(wanted))


def still_held(reports: Sequence[Mapping[str, object]]) -> list[str]:
    """The settings that wait for activation, from a table's reports, newest first: a setting is waiting when the
    newest report that held, applied or left it unchanged held it (a failed activation leaves it waiting)."""
    waiting: dict[str, bool] = {}
    for report in reports:
        entries = report.get("settings")
        if not isinstance(entries, Mapping):
            continue
        for name, entry in entries.items():
            status = entry.get("status") if isinstance(entry, Mapping) else None
            if name not in waiting and status in ("held", "applied", "unchanged"):
                waiting[name] = status == "held"
    return ordered([name for name, held in waiting.items() if held and name in REGISTRY])


def held_reasons(request: Request, *, source_exists: bool, stack_name: str) -> dict[str, str]:
    """Setting name -> the report's reason, for each setting the request holds (`held_settings`)."""
    command = activate_command(request.target_table_name, stack_name)
    held = held_settings(request.hold, source_exists=source_exists)
    return {name: held_reason(name, why, command) for name, why in held.items()}


def meanwhile(request: Request, setting_name: str, wanted: State) -> State | None:
    """What a held setting gets while it waits (`Setting.held`: disabled triggers; nothing for the others), and
    nothing at all when the request holds a setting it needs: a trigger cannot be created, even disabled, on a stream
    that was not enabled."""
    setting = REGISTRY[setting_name]
    if any(need in request.hold for need in setting.needs):
        return None
    return setting.held(wanted)


def apply_held(
    ops: StackOps, request: Request, setting_name: str, wanted: State, reason: str, target: dict[str, Any]
) -> SettingResult:
    """Applies what a held setting gets while it waits (`meanwhile`) through its own change set; `held` with the
    reason, or `unchanged` when the source has nothing to hold."""
    if REGISTRY[setting_name].fragment(wanted, target).empty:
        return SettingResult(setting=setting_name, status="unchanged", reason="not set on the source")
    state = meanwhile(request, setting_name, wanted)
    if state is None:
        return SettingResult(setting=setting_name, status="held", reason=reason)
    done = ops.apply(setting_name, state, target)
    if done.status == "failed":
        return done
    return SettingResult(setting=setting_name, status="held", reason=reason, changes=done.changes)
