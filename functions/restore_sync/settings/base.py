"""The interface every setting implements: read it, express it as template data, compare it."""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from restore_sync.aws import Aws, TableRef

State = dict[str, Any]


@dataclass(frozen=True)
class Retarget:
    """What a setting needs to know to turn the source's state into the target's: both tables and the target's
    table document."""

    source: TableRef
    target: TableRef
    target_table: dict[str, Any]
    # The regions the request chooses for the target's replicas (settings/replicas.py): none, as-source, or regions.
    replicas: tuple[str, ...] = ()

    @property
    def target_indexes(self) -> set[str]:
        return {index["IndexName"] for index in self.target_table.get("globalSecondaryIndexes", [])}


@dataclass(frozen=True)
class Fragment:
    """What a setting adds to the governance stack: table properties and extra resources by logical id.

    `GlobalSecondaryIndexes` is merged index by index (by IndexName): a setting lists only the indexes it concerns,
    each with its IndexName and the properties it sets; the other properties of those indexes stay as they are.
    """

    properties: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.properties and not self.resources


def merge_by_index_name(indexes: list[dict[str, Any]], changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`indexes` with each index of `changes` merged into the one of its IndexName (its other properties stay), and
    the indexes `indexes` lacks added after them: how fragments' GlobalSecondaryIndexes combine."""
    changed = {index["IndexName"]: index for index in changes}
    kept = [{**index, **changed.pop(index["IndexName"], {})} for index in indexes]
    return kept + list(changed.values())


def merge_properties(properties: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`properties` (a table's, or a replica's) with the table properties of `changes` set: how fragments combine.
    GlobalSecondaryIndexes merge index by index (merge_by_index_name), so settings that each set a property of the
    indexes keep each other's work; StreamSpecification member by member (`stream` sets the stream's view type and
    tags, `stream_policy` its resource policy); any other property is replaced. The inputs are not modified."""
    merged = copy.deepcopy(properties)
    for name, value in copy.deepcopy(changes).items():
        if name == "GlobalSecondaryIndexes" and name in merged:
            merged[name] = merge_by_index_name(merged[name], value)
        elif name == "StreamSpecification" and name in merged:
            merged[name] = {**merged[name], **value}
        else:
            merged[name] = value
    return merged


@dataclass(frozen=True)
class Existing:
    """A resource a setting's fragment would create that exists already outside the governance stack: what a
    deleted table of the same name left behind (DeleteTable keeps scaling targets, policies and alarms) or what a
    released table kept. `resource` is template data of the resource as it is now; `identifier` what CloudFormation
    imports it by (its type's primaryIdentifier in the registry schema)."""

    resource: dict[str, Any]
    identifier: dict[str, str]


class Setting(ABC):
    """One unit of copying, of configuration and of the report.

    `read` takes the setting from a live table (the source, or the target when verifying); `fragment` is pure:
    it turns a state into template data for the target; `diff` says how an observed state falls short.
    `reads` are the IAM actions `read` calls (`service:Operation`): the template grants them to every function
    that reads settings, and a test records what `read` really calls and holds the two equal.
    """

    name: ClassVar[str]
    reads: ClassVar[tuple[str, ...]]
    needs: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def read(self, aws: Aws, table: TableRef) -> State:
        """The setting as it is on `table`, deterministic (sorted) so two reads of the same thing are equal."""

    @abstractmethod
    def fragment(self, state: State, target: dict[str, Any]) -> Fragment:
        """Template data that gives `target` (its table document) this state; empty when there is nothing to set."""

    def wanted(self, state: State, retarget: Retarget) -> State:
        """What the target should have, given the source's state: names and ARNs of the source become the
        target's, parts the target lacks are left out. By default the source's state as it is."""
        return state

    def resolve(self, aws: Aws, table: TableRef, wanted: State) -> State:
        """`wanted` as it applies to `table` (the target) now, just before its change set: what only exists once an
        earlier setting is applied (the ARN of the stream `stream` made). By default `wanted` as it is."""
        return wanted

    def existing(self, aws: Aws, table: TableRef, target: dict[str, Any]) -> dict[str, Existing]:
        """The resources of this setting that exist for `table` now, by the logical id `fragment` gives them, so
        that the governance stack adopts them instead of failing to create them again. None for a setting made of
        table properties only."""
        return {}

    def held(self, wanted: State) -> State | None:
        """What the target gets while the setting is held (restore_sync.workflow.hold), given what it should have
        once activated: None, by default, for nothing at all."""
        return None

    def kept(self, aws: Aws, table: TableRef, wanted: State) -> str | None:
        """Why `table` (the target) keeps its own value of the setting instead of `wanted`: one its restore chose (a
        restore override). None, by default: the setting is applied."""
        return None

    def unchanged(self, wanted: State, target: dict[str, Any]) -> str:
        """Why an empty fragment (nothing to set on `target`, its table document) leaves the setting unchanged: by
        default, that the source does not have it."""
        return "not set on the source"

    def cost(self, wanted: State, target: dict[str, Any]) -> dict[str, Any] | None:
        """What AWS charges for giving `target` (its table document) `wanted`, beyond what the target's use of it
        costs anyway: the plan's and the report's `cost`. None, by default: nothing of its own."""
        return None

    def not_applicable(self, target: dict[str, Any]) -> str | None:
        """Why the setting cannot apply to this target, or None when it can."""
        return None

    def not_chosen(self, state: State, retarget: Retarget) -> str | None:
        """Why the request does not get this setting (an opt-in it did not make), given the source's state; None,
        by default: every selected setting is wanted."""
        return None

    def diff(self, wanted: State, found: State) -> list[dict[str, Any]]:
        """Differences between what was wanted and what the target has; empty when it matches."""
        return [] if wanted == found else [{"setting": self.name, "wanted": wanted, "found": found}]
