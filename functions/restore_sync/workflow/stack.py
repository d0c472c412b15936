"""The governance stack of a restored table: adopt the table (IMPORT), then one UPDATE change set per setting.

Every function here can be run again after a crash at any point: it looks at what CloudFormation already has
(the stack, its status, the deterministic change set name) and resumes instead of starting over. Waits are
bounded; when an operation outlasts the wait, StackBusy asks the workflow to retry the step later.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from restore_sync.aws import Aws, TableRef, error_code, translated_errors
from restore_sync.contracts import RestoreCall, SettingResult
from restore_sync.errors import ChangeSetFailed, StackBusy, StackUnusable, TableClaimedByStack
from restore_sync.names import change_set_name
from restore_sync.settings import REGISTRY, Fragment
from restore_sync.settings.base import merge_properties
from restore_sync.table import TABLE_LOGICAL_ID, identity_properties, import_template
from restore_sync.workflow import global_table
from restore_sync.workflow.guard import TABLE_TYPES, refusals
from restore_sync.workflow.overrides import kept_setting
from restore_sync.workflow.stored import TEMPLATE_BODY_LIMIT_BYTES, Store

NO_CHANGES = "didn't contain changes"
# What adopted resources are imported with (CloudFormation imports nothing without a DeletionPolicy): deleting the
# governance stack deletes them, as it deletes what the stack created.
ADOPTED_DELETION_POLICY = "Delete"
GONE = "GONE"
NOT_FOUND = frozenset({"ChangeSetNotFound", "ChangeSetNotFoundException"})
# What CloudFormation answers when another execution got to the same stack first.
RACES = frozenset({"AlreadyExistsException", "InvalidChangeSetStatus", "InvalidChangeSetStatusException"}) | NOT_FOUND
# Statuses from which a new change set can start and the table is held by the stack.
SETTLED = frozenset({"IMPORT_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "CREATE_COMPLETE"})
STUCK = frozenset({"UPDATE_ROLLBACK_FAILED", "ROLLBACK_FAILED", "DELETE_FAILED", "IMPORT_ROLLBACK_FAILED"})


@dataclass
class StackOps:
    """CloudFormation calls for one governance stack, with bounded waits."""

    aws: Aws
    stack_name: str
    role_arn: str
    # The deployment's bucket, for templates over CloudFormation's inline limit ("" : none).
    bucket: str = ""
    wait_budget_seconds: float = 60.0
    poll_seconds: float = 2.0
    sleep: Callable[[float], None] = time.sleep

    @property
    def cfn(self) -> Any:
        return self.aws.client("cloudformation")

    def _template_source(self, change_set: str, body: str) -> dict[str, str]:
        return Store(self.aws, self.bucket).template_source(self.stack_name, change_set, body)

    # -- reading -----------------------------------------------------------------------------------------

    def stack(self) -> dict[str, Any] | None:
        try:
            with translated_errors():
                return dict(self.cfn.describe_stacks(StackName=self.stack_name)["Stacks"][0])
        except ClientError as error:
            if error_code(error) == "ValidationError" and "does not exist" in str(error):
                return None
            raise

    def template(self, change_set: str | None = None) -> dict[str, Any]:
        """The stack's template as it was given, or the template of one of its change sets."""
        named = {"ChangeSetName": change_set} if change_set else {}
        with translated_errors():
            body = self.cfn.get_template(StackName=self.stack_name, TemplateStage="Original", **named)["TemplateBody"]
        return json.loads(body) if isinstance(body, str) else json.loads(json.dumps(body))

    def read_as_written(self, change_set: str, body: str) -> bool:
        """Whether the change set holds the template this step wrote. A template sent as TemplateURL was read from
        the bucket by CloudFormation after this step wrote it: whoever could write the bucket in between could
        have given the governance stack (and the CloudFormation role) another template."""
        if len(body.encode("utf-8")) <= TEMPLATE_BODY_LIMIT_BYTES:
            return True
        return self.template(change_set) == json.loads(body)

    def change_set(self, name: str) -> dict[str, Any] | None:
        try:
            with translated_errors():
                return dict(self.cfn.describe_change_set(StackName=self.stack_name, ChangeSetName=name))
        except ClientError as error:
            if error_code(error) in ("ChangeSetNotFound", "ChangeSetNotFoundException", "ValidationError"):
                return None
            raise

    # -- waiting -----------------------------------------------------------------------------------------

    def _wait(self, read: Callable[[], dict[str, Any]], done: Callable[[dict[str, Any]], bool], what: str) -> dict:
        attempts = max(1, int(self.wait_budget_seconds / self.poll_seconds))
        for _ in range(attempts):
            current = read()
            if done(current):
                return current
            self.sleep(self.poll_seconds)
        raise StackBusy(f"{what} on stack {self.stack_name} is still running; the step will resume it")

    def wait_settled(self) -> dict[str, Any] | None:
        """The stack once no operation runs on it (None if it does not exist)."""
        current = self.stack()
        if current is None or not current["StackStatus"].endswith("_IN_PROGRESS"):
            return current
        if current["StackStatus"] == "REVIEW_IN_PROGRESS":
            return current
        return self._wait(
            lambda: self.stack() or {"StackStatus": "GONE"},
            lambda s: not s["StackStatus"].endswith("_IN_PROGRESS"),
            f"operation {current['StackStatus']}",
        )

    def wait_change_set_created(self, name: str) -> dict[str, Any]:
        return self._wait(
            lambda: self.change_set(name) or {"Status": GONE},
            lambda cs: cs["Status"] not in ("CREATE_PENDING", "CREATE_IN_PROGRESS"),
            f"creating change set {name}",
        )

    # -- import ------------------------------------------------------------------------------------------

    def claimant(self, table_name: str) -> str | None:
        """The stack other than this one that holds a table named `table_name`, or None."""
        try:
            with translated_errors():
                resources = self.cfn.describe_stack_resources(PhysicalResourceId=table_name)["StackResources"]
        except ClientError as error:
            if error_code(error) == "ValidationError" and "does not exist" in str(error):
                return None
            raise
        for resource in resources:
            held = resource["PhysicalResourceId"] == table_name and resource["ResourceType"] in TABLE_TYPES
            if held and resource["StackName"] != self.stack_name:
                return str(resource["StackName"])
        return None

    def ensure_imported(self, target: dict[str, Any]) -> dict[str, Any]:
        """Adopts the target table into the stack; a no-op when it is already there, a resume after a crash."""
        current = self.wait_settled()
        if current is not None and current["StackStatus"] in SETTLED:
            self._check_holds_table(target["name"])
            return {"stack": self.stack_name, "stackId": current["StackId"], "action": "already imported"}
        if current is not None and current["StackStatus"] != "REVIEW_IN_PROGRESS":
            raise StackUnusable(
                f"stack {self.stack_name} is {current['StackStatus']}: delete it (the table is kept, "
                "DeletionPolicy Retain) and start the execution again"
            )
        claimant = self.claimant(target["name"])
        if claimant is not None:
            raise TableClaimedByStack(
                f"stack {claimant} still holds a table named {target['name']} (deleted outside it), so CloudFormation "
                f"refuses to import the restored one: make {claimant} let go of it (docs/operations.md, 'A table "
                "another stack holds'), then start again with the same request"
            )
        table = {"ResourceType": "AWS::DynamoDB::Table", "ResourceIdentifier": {"TableName": target["name"]}}
        final = self._import(
            "import",
            import_template(target),
            {TABLE_LOGICAL_ID: table},
            "Adopt the restored table; nothing else changes",
        )
        self._check_holds_table(target["name"])
        return {"stack": self.stack_name, "stackId": final["StackId"], "action": "imported"}

    def _import(
        self, what: str, template: dict[str, Any], resources: dict[str, dict[str, Any]], description: str
    ) -> dict[str, Any]:
        """Runs one IMPORT change set of `template` bringing `resources` (by logical id: ResourceType and
        ResourceIdentifier) into the stack, resuming one a crashed step left; returns the settled stack."""
        body = json.dumps(template, sort_keys=True)
        name = change_set_name(what, body)
        change_set = self.change_set(name)
        if change_set is None or change_set.get("Status") == "FAILED":
            if change_set is not None:
                self._delete_change_set(name)
            with self._racing(f"creating the {what} change set"):
                self.cfn.create_change_set(
                    StackName=self.stack_name,
                    ChangeSetName=name,
                    ChangeSetType="IMPORT",
                    **self._template_source(name, body),
                    RoleARN=self.role_arn,
                    ResourcesToImport=[{"LogicalResourceId": key, **item} for key, item in sorted(resources.items())],
                    Description=description,
                )
        change_set = self.wait_change_set_created(name)
        if change_set["Status"] == GONE:
            raise StackBusy(f"change set {name} went away while being read: another execution acted on it")
        if change_set["Status"] != "CREATE_COMPLETE":
            raise ChangeSetFailed(f"{what} change set {name} failed: {change_set.get('StatusReason', '?')}")
        if change_set.get("ExecutionStatus") == "AVAILABLE" and not self.read_as_written(name, body):
            self._delete_change_set(name)
            raise ChangeSetFailed(f"{what} change set {name} holds another template than the one written: refused")
        if change_set.get("ExecutionStatus") == "AVAILABLE":
            with self._racing(f"executing the {what} change set"):
                self.cfn.execute_change_set(StackName=self.stack_name, ChangeSetName=name)
        final = self.wait_settled()
        if final is None or final["StackStatus"] not in SETTLED:
            status = final["StackStatus"] if final else "missing"
            raise ChangeSetFailed(f"the {what} change set left stack {self.stack_name} {status}")
        return final

    def _check_holds_table(self, table_name: str) -> None:
        with translated_errors():
            resource = self.cfn.describe_stack_resource(StackName=self.stack_name, LogicalResourceId=TABLE_LOGICAL_ID)
        physical = resource["StackResourceDetail"].get("PhysicalResourceId")
        if physical != table_name:
            raise StackUnusable(f"stack {self.stack_name} holds table {physical!r}, not {table_name!r}")

    # -- one setting -------------------------------------------------------------------------------------

    def apply(
        self,
        setting_name: str,
        wanted: dict[str, Any],
        target: dict[str, Any],
        restore_call: RestoreCall | None = None,
    ) -> SettingResult:
        """Applies one setting through its own UPDATE change set; returns its result. A value the restore chose
        (`restore_call`: what its request asked for, where known) is kept."""
        setting = REGISTRY[setting_name]
        kept = kept_setting(setting, self.aws, TableRef.from_arn(target["arn"]), wanted, restore_call)
        if kept:
            return SettingResult(setting=setting_name, status="kept", reason=kept)
        fragment = setting.fragment(setting.resolve(self.aws, TableRef.from_arn(target["arn"]), wanted), target)
        if fragment.empty:
            return SettingResult(setting=setting_name, status="unchanged", reason=setting.unchanged(wanted, target))
        if global_table.REPLICAS in fragment.properties:
            return self._apply_replicas(setting_name, wanted, fragment, target)
        return self._apply_fragment(setting_name, wanted, fragment, target)

    def _apply_replicas(
        self, setting_name: str, wanted: dict[str, Any], fragment: Fragment, target: dict[str, Any]
    ) -> SettingResult:
        """Replicas through as many change sets as they need: CloudFormation adds or removes one replica of a global
        table per update ("You can only add or remove a single replica in each update"); the table is converted to
        a global table first. Replicas the stack has that are not wanted stay."""
        converted: list[dict[str, Any]] = []
        if not global_table.holds_global_table(self.template()):
            self.wait_settled()
            converted = self._convert_to_global_table(target)
        region = TableRef.from_arn(target["arn"]).region
        table = global_table.table_view(self.template(), region)["Resources"][TABLE_LOGICAL_ID]
        steps = global_table.one_replica_at_a_time(table["Properties"].get(global_table.REPLICAS, []), fragment)
        changes: list[dict[str, Any]] = list(converted)
        applied = bool(converted)
        for step in steps:
            done = self._apply_fragment(setting_name, wanted, step, target)
            changes += done.changes or []
            if done.status == "failed":
                return SettingResult(setting=setting_name, status="failed", reason=done.reason, changes=tuple(changes))
            applied = applied or done.status == "applied"
        if not applied:
            return SettingResult(setting=setting_name, status="unchanged", reason="already in the stack")
        return SettingResult(setting=setting_name, status="applied", changes=tuple(changes))

    def _apply_fragment(
        self, setting_name: str, wanted: dict[str, Any], fragment: Fragment, target: dict[str, Any]
    ) -> SettingResult:
        """One UPDATE change set merging `fragment` into the stack's template, checked by the data-safety guard."""
        current = self.wait_settled()
        if current is None:
            raise StackUnusable(f"stack {self.stack_name} does not exist: the import step has not run")
        if current["StackStatus"] in STUCK:
            raise StackUnusable(
                f"stack {self.stack_name} is {current['StackStatus']}: continue or fix its rollback, then start again "
                "with the same request"
            )
        old = self.template()
        try:
            new = self._merged(old, target, fragment.properties, fragment.resources)
        except global_table.NotExpressible as error:
            return SettingResult(setting=setting_name, status="failed", reason=str(error))
        if new == old:
            return SettingResult(setting=setting_name, status="unchanged", reason="already in the stack")
        adopted = self._adopt_existing(setting_name, old, new, target)
        if adopted:
            new = self._merged(self.template(), target, fragment.properties, fragment.resources)
        body = json.dumps(new, sort_keys=True)
        name = change_set_name(setting_name, body)
        change_set = self.change_set(name)
        if change_set is not None and change_set.get("ExecutionStatus") == "EXECUTE_FAILED":
            # The same change failed before and was rolled back (an earlier pass, redriven after its cause was
            # fixed, or an earlier execution): try it again rather than report that old failure.
            self._delete_change_set(name)
            change_set = None
        if change_set is None:
            with self._racing(f"creating the change set of {setting_name}"):
                self.cfn.create_change_set(
                    StackName=self.stack_name,
                    ChangeSetName=name,
                    ChangeSetType="UPDATE",
                    **self._template_source(name, body),
                    RoleARN=self.role_arn,
                    Description=f"restore-sync: {setting_name}",
                )
        change_set = self.wait_change_set_created(name)
        if change_set["Status"] == GONE:
            raise StackBusy(f"change set {name} went away while being read: another execution acted on it")
        if change_set["Status"] == "FAILED":
            reason = change_set.get("StatusReason", "")
            self._delete_change_set(name)
            if NO_CHANGES in reason and adopted:
                return SettingResult(setting=setting_name, status="applied", changes=tuple(adopted))
            if NO_CHANGES in reason:
                return SettingResult(setting=setting_name, status="unchanged", reason="the table already has it")
            return SettingResult(setting=setting_name, status="failed", reason=f"change set failed: {reason}")
        changes = change_set.get("Changes", [])
        if change_set.get("ExecutionStatus") == "AVAILABLE" and not self.read_as_written(name, body):
            self._delete_change_set(name)
            return SettingResult(
                setting=setting_name,
                status="failed",
                reason="refused: the template CloudFormation read from the deployment's bucket is not the one written",
            )
        refused = refusals(changes)
        if refused:
            self._delete_change_set(name)
            return SettingResult(
                setting=setting_name,
                status="failed",
                reason="refused by the data-safety guard: " + "; ".join(refused),
            )
        if change_set.get("ExecutionStatus") == "AVAILABLE":
            with self._racing(f"executing the change set of {setting_name}"):
                self.cfn.execute_change_set(StackName=self.stack_name, ChangeSetName=name)
        final = self.wait_settled()
        status = final["StackStatus"] if final else "missing"
        if status not in ("UPDATE_COMPLETE", "IMPORT_COMPLETE"):
            why = (final or {}).get("StackStatusReason") or "see the stack's events"
            return SettingResult(setting=setting_name, status="failed", reason=f"stack update ended {status}: {why}")
        return SettingResult(
            setting=setting_name,
            status="applied",
            changes=(
                *adopted,
                *describe_changes(changes, fragment.properties),
                *global_table.replica_changes(old, new),
            ),
            cost=REGISTRY[setting_name].cost(wanted, target),
        )

    def _merged(
        self, template: dict[str, Any], target: dict[str, Any], properties: dict[str, Any], resources: dict[str, Any]
    ) -> dict[str, Any]:
        """`template` with a setting's table properties and resources merged in (`merge`); a global table's are
        merged into its table view and written back as a global table (restore_sync.workflow.global_table).

        The properties that say which table this is come from the table as it is now, not from the stack's record:
        if the two disagree (the table was re-created under the same name), the change set shows a replacement and
        the guard refuses it. Capacity and indexes keep the stack's record, which CloudFormation leaves alone unless
        the template changes them."""
        region = TableRef.from_arn(target["arn"]).region
        view = global_table.table_view(template, region)
        new = merge(view, {**identity_properties(target), **properties}, resources)
        return global_table.global_view(new, region) if global_table.holds_global_table(template) else new

    def _convert_to_global_table(self, target: dict[str, Any]) -> list[dict[str, Any]]:
        """Holds the target as AWS::DynamoDB::GlobalTable, as CloudFormation documents the conversion: the retained
        table removed from the stack (one change set, whose only removal is that table's), then imported as a
        global table of the same properties. Resumes a conversion a crash interrupted. Returns the report's
        entries."""
        name = target["name"]
        region = TableRef.from_arn(target["arn"]).region
        current = self.template()
        if TABLE_LOGICAL_ID in current["Resources"]:
            try:
                detached = global_table.detached(current, name)
            except ValueError as error:
                why = f"stack {self.stack_name} cannot let go of its table to convert it: {error}"
                raise StackUnusable(why) from None
            self._detach(detached, name, region)
        else:
            detached = current
        if global_table.PLACEHOLDER_ID not in detached["Resources"]:
            raise StackUnusable(f"stack {self.stack_name} holds no table, and no conversion of one is under way")
        self._import(
            "global-table",
            global_table.imported(detached, region),
            {
                TABLE_LOGICAL_ID: {
                    "ResourceType": global_table.GLOBAL_TABLE_TYPE,
                    "ResourceIdentifier": {"TableName": name},
                }
            },
            "restore-sync: hold the table as a global table, to give it replicas; nothing else changes",
        )
        return [
            {"resource": TABLE_LOGICAL_ID, "type": global_table.TABLE_TYPE, "action": "Remove", "retained": True},
            {"resource": TABLE_LOGICAL_ID, "type": global_table.GLOBAL_TABLE_TYPE, "action": "Import"},
        ]

    def _detach(self, template: dict[str, Any], table_name: str, region: str) -> None:
        """Runs the change set that takes the retained table out of the stack; the guard refuses any other change
        that would replace or remove a table, and the table must still exist afterwards."""
        body = json.dumps(template, sort_keys=True)
        name = change_set_name("global-table-detach", body)
        change_set = self.change_set(name)
        if change_set is not None and change_set.get("Status") == "FAILED":
            self._delete_change_set(name)
            change_set = None
        if change_set is None:
            with self._racing("creating the change set that detaches the table"):
                self.cfn.create_change_set(
                    StackName=self.stack_name,
                    ChangeSetName=name,
                    ChangeSetType="UPDATE",
                    **self._template_source(name, body),
                    RoleARN=self.role_arn,
                    Description="restore-sync: let go of the table (retained) to import it as a global table",
                )
        change_set = self.wait_change_set_created(name)
        if change_set["Status"] != "CREATE_COMPLETE":
            raise ChangeSetFailed(f"change set {name} failed: {change_set.get('StatusReason', '?')}")
        changes = change_set.get("Changes", [])
        others = [c for c in changes if not global_table.is_retained_table_removal(c)]
        refused = refusals(others)
        if refused or len(others) == len(changes) or not self.read_as_written(name, body):
            self._delete_change_set(name)
            why = "; ".join(refused) or "it does not take the table out of the stack as written"
            raise ChangeSetFailed(f"refused by the data-safety guard: {why}")
        if change_set.get("ExecutionStatus") == "AVAILABLE":
            with self._racing("executing the change set that detaches the table"):
                self.cfn.execute_change_set(StackName=self.stack_name, ChangeSetName=name)
        final = self.wait_settled()
        if final is None or final["StackStatus"] not in SETTLED:
            status = final["StackStatus"] if final else "missing"
            raise ChangeSetFailed(f"detaching the table left stack {self.stack_name} {status}")
        # Retained as the template says: a table gone now would be a broken promise, so the import does not run.
        with translated_errors():
            self.aws.client("dynamodb", region).describe_table(TableName=table_name)

    def _adopt_existing(
        self, setting_name: str, old: dict[str, Any], new: dict[str, Any], target: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Imports into the stack, as they are, the resources `new` adds that exist already outside it (what a
        deleted table of the same name left behind, or a released table kept), so that the setting's change set
        updates them in place instead of failing to create them again. Returns the report's entries for them (action
        Import); none when nothing was imported."""
        added = set(new["Resources"]) - set(old["Resources"])
        if not added:
            return []
        table = TableRef.from_arn(target["arn"])
        found = {key: e for key, e in REGISTRY[setting_name].existing(self.aws, table, target).items() if key in added}
        if not found:
            return []
        as_they_are = {key: {**e.resource, "DeletionPolicy": ADOPTED_DELETION_POLICY} for key, e in found.items()}
        to_import = {
            key: {"ResourceType": e.resource["Type"], "ResourceIdentifier": e.identifier} for key, e in found.items()
        }
        self._import(
            f"{setting_name}-adopt",
            merge(old, {}, as_they_are),
            to_import,
            f"restore-sync: {setting_name}: adopt what exists already",
        )
        return [
            {"resource": key, "type": e.resource["Type"], "action": "Import", "identifier": e.identifier}
            for key, e in sorted(found.items())
        ]

    def _delete_change_set(self, name: str) -> None:
        try:
            with translated_errors():
                self.cfn.delete_change_set(StackName=self.stack_name, ChangeSetName=name)
        except ClientError as error:
            # Gone already: CloudFormation drops the other change sets of a stack when one is executed.
            if error_code(error) not in NOT_FOUND:
                raise

    @contextmanager
    def _racing(self, what: str) -> Iterator[None]:
        """Another execution for the same table (a duplicate event, two starts by hand) may be one step ahead:
        its change set exists already, or it executed the one this step was about to. Retrying the step then
        resumes from what that execution did."""
        try:
            with translated_errors():
                yield
        except ClientError as error:
            if error_code(error) in RACES or "already exists" in str(error):
                raise StackBusy(
                    f"{what} on {self.stack_name}: {error_code(error)} ({error}); another execution is ahead"
                ) from error
            raise


def merge(template: dict[str, Any], properties: dict[str, Any], resources: dict[str, Any]) -> dict[str, Any]:
    """`template` with table properties set and resources added; the input is not modified.

    Table properties combine as fragments do (settings.base.merge_properties): indexes by IndexName, the stream
    member by member.

    A resource given keeps the DeletionPolicy the template has for it (the one it was imported with, when it was
    adopted): a setting states a resource's properties, not how the stack lets go of it."""
    merged = copy.deepcopy(template)
    table = merged["Resources"][TABLE_LOGICAL_ID]
    table["Properties"] = merge_properties(table.get("Properties", {}), properties)
    for key, resource in copy.deepcopy(resources).items():
        policy = merged["Resources"].get(key, {}).get("DeletionPolicy")
        merged["Resources"][key] = {"DeletionPolicy": policy, **resource} if policy else resource
    return merged


def describe_changes(changes: list[dict[str, Any]], properties: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's `changes`: which resource and property a change set touched, how, and the value set."""
    described = []
    for change in changes:
        resource = change.get("ResourceChange", {})
        # Tags are reported with Attribute "Tags" and no Name; properties with Attribute "Properties" and a Name.
        names = sorted({_changed_name(d.get("Target", {})) for d in resource.get("Details", [])} - {""})
        for name in names or [""]:
            entry: dict[str, Any] = {
                "resource": resource.get("LogicalResourceId"),
                "type": resource.get("ResourceType"),
                "action": resource.get("Action"),
            }
            if name:
                entry["property"] = name
                if resource.get("LogicalResourceId") == TABLE_LOGICAL_ID and name in properties:
                    entry["value"] = properties[name]
            described.append(entry)
    return described


def _changed_name(target: dict[str, Any]) -> str:
    return str(target.get("Name") or ("Tags" if target.get("Attribute") == "Tags" else ""))
