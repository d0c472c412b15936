"""The contracts between the state machine and the handlers, as frozen dataclasses built with keyword arguments.

`from_dict` parses JSON data and refuses it with a ContractError naming every missing, unexpected or mistyped
field; `to_dict` writes the JSON the state machine, the execution's output and the dead-letter queue carry:
keys in camelCase and in field order, fixed keys first, and a key left out only where its model says so.
"""

from __future__ import annotations

import dataclasses
import json
import types
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self, Union, get_args, get_origin, get_type_hints

from restore_sync.aws import TableRef
from restore_sync.errors import ContractError

# Where the settings to copy come from (restore_sync.workflow.source): the request's settingsFrom.
SettingsFrom = Literal["auto", "snapshot", "live"]
DEFAULT_SETTINGS_FROM: SettingsFrom = "auto"
# What happened to one setting (design.md, "Report"); every status but `applied` comes with a reason.
SettingStatus = Literal["applied", "unchanged", "skipped", "failed", "planned", "held", "kept"]
# How a sync ended: a dry run ends `planned`; a start with nothing to do (an opted-out source) `ignored`; a governed
# table's deletion `removed` (its governance stack went with it).
SyncOutcome = Literal["succeeded", "failed", "planned", "ignored", "removed"]


def wire_name(name: str) -> str:
    """The JSON key of a field: `target_table_arn` -> `targetTableArn`."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


class Contract:
    """Parsing from and writing to JSON data for the frozen dataclasses below (and each step's input model)."""

    # Keys written first with a fixed value, which parsing requires (a request says "ignored": false).
    FIXED: ClassVar[dict[str, Any]] = {}
    # Fields whose key is left out when they are None; every other field is always written, null or not.
    OMITTED_WHEN_NONE: ClassVar[frozenset[str]] = frozenset()
    # An open model ignores keys it does not know (the workflow's state); a closed one refuses them.
    OPEN: ClassVar[bool] = False

    @classmethod
    def wire_keys(cls) -> tuple[str, ...]:
        """Every JSON key of the model, in the order `to_dict` writes them."""
        return (*cls.FIXED, *(wire_name(field.name) for field, _ in _fields(cls)))

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """The model of `data`; a field with a default may be missing (data written before it existed)."""
        if not isinstance(data, dict):
            raise ContractError(cls, [f"expected an object, got {_kind(data)}"])
        problems = [
            f"{key}: expected {json.dumps(value)}, got {_shown(data[key]) if key in data else 'nothing'}"
            for key, value in cls.FIXED.items()
            if key not in data or data[key] != value or type(data[key]) is not type(value)
        ]
        if not cls.OPEN:
            problems += [f"{key}: not a field of {cls.__name__}" for key in data if key not in cls.wire_keys()]
        values: dict[str, Any] = {}
        for field, hint in _fields(cls):
            key = wire_name(field.name)
            if key not in data:
                if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                    problems.append(f"{key}: missing")
                continue
            try:
                values[field.name] = _parse(data[key], hint, key)
            except _Invalid as invalid:
                problems += invalid.problems
        if problems:
            raise ContractError(cls, problems)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON data (plain dicts and lists, nothing shared with the model)."""
        data = dict(self.FIXED)
        for field, _ in _fields(type(self)):
            value = getattr(self, field.name)
            if value is None and field.name in self.OMITTED_WHEN_NONE:
                continue
            data[wire_name(field.name)] = _dump(value)
        return data


class _Invalid(Exception):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems


_FIELDS: dict[type, tuple[tuple[dataclasses.Field[Any], Any], ...]] = {}


def _fields(cls: type) -> tuple[tuple[dataclasses.Field[Any], Any], ...]:
    """A model's fields with their types, resolved once per model."""
    if cls not in _FIELDS:
        hints = get_type_hints(cls)
        _FIELDS[cls] = tuple((field, hints[field.name]) for field in dataclasses.fields(cls))
    return _FIELDS[cls]


_SCALARS: dict[type, str] = {str: "a string", bool: "true or false", int: "an integer"}


def _parse(value: Any, hint: Any, where: str) -> Any:
    """`value` as `hint` says, or _Invalid listing what is wrong at `where` and below."""
    origin, args = get_origin(hint), get_args(hint)
    if hint is Any:
        return value
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [arg for arg in args if arg is not type(None)]
        inner = _variant(value, options, where) if len(options) > 1 else options[0]
        return _parse(value, inner, where)
    if origin is Literal:
        if value in args and isinstance(value, str):
            return value
        raise _Invalid([f"{where}: expected one of {', '.join(map(repr, args))}, got {_shown(value)}"])
    if origin is tuple:
        if not isinstance(value, list):
            raise _Invalid([f"{where}: expected a list, got {_kind(value)}"])
        return tuple(_each([(f"{where}[{index}]", item) for index, item in enumerate(value)], args[0]).values())
    if origin is dict:
        if not isinstance(value, dict):
            raise _Invalid([f"{where}: expected an object, got {_kind(value)}"])
        parsed = _each([(f"{where}.{key}", item) for key, item in value.items()], args[1])
        return dict(zip(value, parsed.values(), strict=True))
    if isinstance(hint, type) and issubclass(hint, Contract):
        try:
            return hint.from_dict(value)
        except ContractError as error:
            raise _Invalid([f"{where}.{problem}" for problem in error.problems]) from error
    if hint in _SCALARS:
        # Python's true and false are integers too; JSON's are not.
        if isinstance(value, hint) and (hint is bool or not isinstance(value, bool)):
            return value
        raise _Invalid([f"{where}: expected {_SCALARS[hint]}, got {_kind(value)}"])
    raise TypeError(f"{where}: contracts cannot hold {hint!r}")


def _variant(value: Any, options: list[Any], where: str) -> Any:
    """Which of several models `value` is: the one whose fixed keys it carries (a request's `"ignored": false`)."""
    for option in options:
        fixed = option.FIXED if isinstance(option, type) and issubclass(option, Contract) else {}
        if fixed and isinstance(value, dict) and all(value.get(k) == v for k, v in fixed.items()):
            return option
    names = " or ".join(getattr(option, "__name__", str(option)) for option in options)
    raise _Invalid([f"{where}: expected {names}, got {_shown(value)}"])


def _each(items: list[tuple[str, Any]], hint: Any) -> dict[str, Any]:
    """Every item parsed, keyed by its path; _Invalid with the problems of all the items that failed."""
    parsed: dict[str, Any] = {}
    problems: list[str] = []
    for where, item in items:
        try:
            parsed[where] = _parse(item, hint, where)
        except _Invalid as invalid:
            problems += invalid.problems
    if problems:
        raise _Invalid(problems)
    return parsed


def _dump(value: Any) -> Any:
    if isinstance(value, Contract):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [_dump(item) for item in value]
    if isinstance(value, dict):
        return {key: _dump(item) for key, item in value.items()}
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object" if isinstance(value, dict) else type(value).__name__


def _shown(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else f"{_kind(value)} ({text[:40]}...)"


# -- the data the steps hand on ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RestoreTest(Contract):
    """The AWS Backup restore job a restore testing plan started, as DescribeRestoreJob names them."""

    restore_job_id: str
    restore_testing_plan_arn: str


@dataclass(frozen=True, kw_only=True)
class RestoreCall(Contract):
    """What the restore's own request chose (restore_sync.workflow.overrides): the overrides it sent, by their names
    in botocore's DynamoDB model with their values in its casing (none: it chose nothing), and where they were read."""

    read_from: str
    overrides: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class KeptChoice(Contract):
    """One choice the restore made that restore-sync keeps (the report's `restore` entries): what was chosen, and
    why it is the restore's choice."""

    status: Literal["kept"] = "kept"
    reason: str
    chosen: Any


@dataclass(frozen=True, kw_only=True)
class Request(Contract):
    """A restore to make whole: what Normalize returns for every start it does not ignore."""

    FIXED: ClassVar[dict[str, Any]] = {"ignored": False}
    OMITTED_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"restore_test", "restore_call", "replicas"})

    trigger: str
    target_table_name: str
    target_table_arn: str
    source_table_name: str
    source_table_arn: str
    region: str
    settings: tuple[str, ...]
    dry_run: bool
    requested_at: str
    # A request written before these options existed reads as it did then: nothing held, settings from auto.
    # `hold` as restore_sync.workflow.hold.parse_hold gives it: (), ("side-by-side",) or setting names.
    hold: tuple[str, ...] = ()
    settings_from: SettingsFrom = DEFAULT_SETTINGS_FROM
    # A resource policy from the history grants what the source's policy no longer grants only when this says so.
    grant_recorded_access: bool = False
    # An AWS Backup restore test (only ever from DescribeRestoreJob): planned as a dry run, checked, and reported
    # to AWS Backup (restore_sync.workflow.restore_test).
    restore_test: RestoreTest | None = None
    # What the restore call chose, where its own request was read (an event's); None: not known from the request.
    restore_call: RestoreCall | None = None
    # The target's replicas as restore_sync.settings.replicas.parse_replicas gives them: ("as-source",) or regions;
    # None (left out, as in a request written before replicas existed) for none.
    replicas: tuple[str, ...] | None = None

    @classmethod
    def for_tables(
        cls,
        target: TableRef,
        source: TableRef,
        *,
        trigger: str,
        settings: tuple[str, ...],
        dry_run: bool,
        requested_at: str,
        hold: tuple[str, ...],
        settings_from: SettingsFrom,
        grant_recorded_access: bool = False,
        restore_test: RestoreTest | None = None,
        restore_call: RestoreCall | None = None,
        replicas: tuple[str, ...] = (),
    ) -> Request:
        """The request to make `target` whole with `source`'s settings; names, ARNs and region come from the tables."""
        return cls(
            trigger=trigger,
            target_table_name=target.name,
            target_table_arn=target.arn,
            source_table_name=source.name,
            source_table_arn=source.arn,
            region=target.region,
            settings=settings,
            dry_run=dry_run,
            requested_at=requested_at,
            hold=hold,
            settings_from=settings_from,
            grant_recorded_access=grant_recorded_access,
            restore_test=restore_test,
            restore_call=restore_call,
            replicas=replicas or None,
        )

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        # The request of an execution started before `hold` replaced `triggersDisabled` (a deployment updated while
        # the execution waited for its table) holds the triggers it asked to create disabled.
        if isinstance(data, dict) and "triggersDisabled" in data and "hold" not in data:
            legacy = data["triggersDisabled"]
            data = {key: value for key, value in data.items() if key != "triggersDisabled"}
            data["hold"] = ["triggers"] if legacy is True else []
        return super().from_dict(data)

    @property
    def target(self) -> TableRef:
        return TableRef.from_arn(self.target_table_arn)

    @property
    def source(self) -> TableRef:
        return TableRef.from_arn(self.source_table_arn)

    @property
    def same_name(self) -> bool:
        """A restore that took its source's name back: the source as it was exists only in the settings history."""
        return self.source_table_arn == self.target_table_arn


@dataclass(frozen=True, kw_only=True)
class Ignored(Contract):
    """What Normalize returns for a start restore-sync has nothing to do with (a failed call, an opted-out source):
    why, and the tables when it knows them."""

    FIXED: ClassVar[dict[str, Any]] = {"ignored": True}
    OMITTED_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"target", "source"})

    reason: str
    target: str | None = None
    source: str | None = None


@dataclass(frozen=True, kw_only=True)
class Removal(Contract):
    """What Normalize returns for a governed table's deletion (restore_sync.workflow.retire): the table, and the
    governance stack that held it (name and unique id), to be removed with what it created for the table."""

    FIXED: ClassVar[dict[str, Any]] = {"ignored": False, "removal": True}

    trigger: str
    table_name: str
    table_arn: str
    region: str
    stack: str
    stack_id: str


@dataclass(frozen=True, kw_only=True)
class Stored(Contract):
    """A JSON document kept outside the workflow's state (restore_sync.workflow.stored): where it is, and the
    SHA-256 and size of its bytes, which reading it checks."""

    bucket: str
    key: str
    sha256: str
    bytes: int


@dataclass(frozen=True, kw_only=True)
class PlanItem(Contract):
    """One setting of the plan: `pending` with the state the target should have (`wanted`, or `wantedStored` when
    it is too large for the workflow's state), `skipped` with the `reason`, or `held` with both: the state the
    target gets once activated, and why it waits (restore_sync.workflow.hold). An item has exactly the parts its
    status calls for."""

    OMITTED_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"wanted", "wanted_stored", "reason"})

    setting: str
    status: Literal["pending", "skipped", "held"]
    wanted: dict[str, Any] | None = None
    wanted_stored: Stored | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        wants = self.status != "skipped"
        explained = self.status != "pending"
        missing = f"missing from a {self.status} item"
        problems = []
        if self.wanted is not None and self.wanted_stored is not None:
            problems.append("wanted: a plan item holds wanted or wantedStored, not both")
        elif wants != (self.wanted is not None or self.wanted_stored is not None):
            problems.append("wanted: " + (missing if wants else "a skipped item has none"))
        if explained != (self.reason is not None):
            problems.append("reason: " + (missing if explained else "a pending item has none"))
        if problems:
            raise ContractError(type(self), problems)


@dataclass(frozen=True, kw_only=True)
class Plan(Contract):
    """What Plan settings returns: one item per selected setting, in apply order, and what the restore chose that
    restore-sync keeps (restore_sync.workflow.overrides), by override name."""

    OMITTED_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"restore"})

    items: tuple[PlanItem, ...]
    # A plan made before restore choices were reported has none.
    restore: dict[str, KeptChoice] | None = None


@dataclass(frozen=True, kw_only=True)
class SettingResult(Contract):
    """What happened to one setting: Apply setting's result, what the "Record failed setting" state builds when
    the step failed (`error` and its Cause as `reason`), and, without its name, the setting's report entry.

    The workflow gives every status but `applied` a reason; `changes` says what was (or would be) changed, and
    `wanted` what a dry run would set; `cost` what AWS charges for the change where a setting's change is charged
    (Setting.cost).
    """

    OMITTED_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"error", "reason", "wanted", "changes", "cost"})

    setting: str
    status: SettingStatus
    error: str | None = None
    reason: str | None = None
    wanted: dict[str, Any] | None = None
    changes: tuple[dict[str, Any], ...] | None = None
    cost: dict[str, Any] | None = None

    def entry(self) -> dict[str, Any]:
        """The report's entry: the result without the setting's name, which keys the entry."""
        return {key: value for key, value in self.to_dict().items() if key != "setting"}


@dataclass(frozen=True, kw_only=True)
class Report(Contract):
    """The report: the execution's output, the dead-letter message's `report`, what `restore-sync status` shows.

    Every key is always written, null when unknown (a failure in the first step knows neither table), but
    `reason`: only an `ignored` or `removed` execution has one, saying why it had nothing to do, or what went.
    """

    OMITTED_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"reason", "validation", "restore"})

    target: str | None
    source: str | None
    settings_from: str | None
    # A report written before the settings history existed reads with neither.
    restore_point: str | None = None
    settings_version: str | None = None
    outcome: SyncOutcome
    reason: str | None = None
    settings: dict[str, SettingResult]
    drift: tuple[dict[str, Any], ...]
    stack: str | None
    execution: str
    # A restore test's result as reported to AWS Backup (restore_sync.workflow.restore_test.Validation).
    validation: dict[str, Any] | None = None
    # What the restore itself chose (an override of its request), kept as chosen: by override name, each `kept` with
    # its reason. Left out where no plan was made (an ignored start, a failure before planning).
    restore: dict[str, KeptChoice] | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        entries = data.get("settings") if isinstance(data, dict) else None
        if isinstance(entries, dict):
            named = {
                name: {**entry, "setting": name} if isinstance(entry, dict) else entry
                for name, entry in entries.items()
            }
            data = {**data, "settings": named}
        return super().from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["settings"] = {name: result.entry() for name, result in self.settings.items()}
        return data


@dataclass(frozen=True, kw_only=True)
class DeadLetter(Contract):
    """The dead-letter message of a failed sync: what went wrong, the request, the report, and how to retry."""

    reason: str
    error: str
    # The request as the workflow held it; `{"input": ...}` when the input never became one.
    request: dict[str, Any]
    report: Report
    execution: str
    redrive: str


@dataclass(frozen=True, kw_only=True)
class Outcome(Contract):
    """What Build report returns to the last states: whether the sync succeeded and its report; on failure the
    error and cause of the Fail state and the dead-letter message."""

    OMITTED_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"error", "cause", "dead_letter"})

    succeeded: bool
    report: Report
    error: str | None = None
    cause: str | None = None
    dead_letter: DeadLetter | None = None


@dataclass(frozen=True, kw_only=True)
class WorkflowState(Contract):
    """What the workflow holds when it builds the report: each step's result under its ResultPath (a part is
    missing when the workflow stopped before that step), and the `error` a step was caught with."""

    OPEN: ClassVar[bool] = True
    OMITTED_WHEN_NONE: ClassVar[frozenset[str]] = frozenset(
        {"input", "request", "poll", "source", "plan", "stack", "results", "verification", "validation", "error"}
    )

    input: Any = None
    request: Removal | Request | Ignored | None = None
    poll: dict[str, Any] | None = None
    source: dict[str, Any] | None = None
    plan: Plan | None = None
    stack: dict[str, Any] | None = None
    results: tuple[SettingResult, ...] | None = None
    verification: dict[str, Any] | None = None
    validation: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
