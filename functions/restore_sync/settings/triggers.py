"""`triggers`: the Lambda event source mappings on the source's stream, re-created on the target's stream.

A mapping is bound to one stream ARN, and a restored table has a new stream, so mappings are created anew with
every property that shapes delivery, and the same enabled or disabled state. Held (restore_sync.workflow.hold),
they are created all disabled, so a live source and its restored copy do not both feed a consumer; activating them
gives each the state it has on the source.

Each mapping is read with GetEventSourceMapping: ListEventSourceMappings shows filter criteria encrypted with a
customer managed key (KMSKeyArn) as null, and a copy without its filter would receive every record. Reading them
needs kms:Decrypt on that key (through Lambda); a reader without it gets a FilterCriteriaError instead, which is
kept in the state, so the copy fails with what to grant rather than being made without its filter.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from restore_sync.aws import Aws, TableRef, error_code, translated_errors
from restore_sync.errors import SettingNotExpressible
from restore_sync.names import logical_id
from restore_sync.settings.base import Existing, Fragment, Setting, State
from restore_sync.table import TABLE_LOGICAL_ID

# Mapping properties copied as they are (the API's names are CloudFormation's names).
COPIED = (
    "BatchSize",
    "StartingPosition",
    "MaximumBatchingWindowInSeconds",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds",
    "ParallelizationFactor",
    "TumblingWindowInSeconds",
    "FunctionResponseTypes",
)
ENABLED_STATES = ("Enabling", "Enabled")
DISABLED_STATES = ("Disabling", "Disabled")
GONE_STATES = ("Deleting",)
# What reading a mapping's encrypted filter criteria needs besides `reads`: Lambda decrypts them with the caller's
# permission on the mapping's key (the template grants it through Lambda only: kms:ViaService).
DECRYPT_ACTION = "kms:Decrypt"


class Triggers(Setting):
    name = "triggers"
    reads = ("dynamodb:DescribeTable", "lambda:ListEventSourceMappings", "lambda:GetEventSourceMapping")
    needs = ("stream",)

    def read(self, aws: Aws, table: TableRef) -> State:
        with translated_errors():
            description = aws.client("dynamodb", table.region).describe_table(TableName=table.name)["Table"]
        stream_arn = description.get("LatestStreamArn")
        if not description.get("StreamSpecification", {}).get("StreamEnabled") or not stream_arn:
            return {"mappings": []}
        lam = aws.client("lambda", table.region)
        listed = []
        with translated_errors():
            for page in lam.get_paginator("list_event_source_mappings").paginate(EventSourceArn=stream_arn):
                listed += [m["UUID"] for m in page.get("EventSourceMappings", []) if m["State"] not in GONE_STATES]
        mappings = []
        for uuid in listed:
            try:
                with translated_errors():
                    full = lam.get_event_source_mapping(UUID=uuid)
            except ClientError as error:
                if error_code(error) == "ResourceNotFoundException":
                    continue  # deleted since it was listed
                raise
            if full["State"] not in GONE_STATES:
                mappings.append(_mapping(full))
        return {"mappings": sorted(mappings, key=lambda m: json.dumps(m, sort_keys=True))}

    def held(self, wanted: State) -> State | None:
        return {"mappings": [{**mapping, "enabled": False} for mapping in wanted["mappings"]]}

    def existing(self, aws: Aws, table: TableRef, target: dict[str, Any]) -> dict[str, Existing]:
        resources = self.fragment(self.read(aws, table), target).resources
        if not resources:
            return {}
        with translated_errors():
            stream = aws.client("dynamodb", table.region).describe_table(TableName=table.name)["Table"][
                "LatestStreamArn"
            ]
            pages = aws.client("lambda", table.region).get_paginator("list_event_source_mappings")
            listed = [m for page in pages.paginate(EventSourceArn=stream) for m in page.get("EventSourceMappings", [])]
        uuids: dict[str, list[str]] = {}
        for mapping in listed:
            if mapping["State"] not in GONE_STATES:
                uuids.setdefault(mapping["FunctionArn"], []).append(mapping["UUID"])
        # Lambda keeps one mapping per function and stream, so a function's mapping is the one its key names.
        return {
            key: Existing(resource, {"Id": uuids[resource["Properties"]["FunctionName"]][0]})
            for key, resource in resources.items()
            if len(uuids.get(resource["Properties"]["FunctionName"], [])) == 1
        }

    def fragment(self, state: State, target: dict[str, Any]) -> Fragment:
        unreadable = [m for m in state["mappings"] if "filterCriteriaError" in m]
        if unreadable:
            raise SettingNotExpressible(_unreadable_reason(unreadable))
        resources = {}
        seen: dict[str, int] = {}
        for mapping in state["mappings"]:
            properties = {
                "EventSourceArn": {"Fn::GetAtt": [TABLE_LOGICAL_ID, "StreamArn"]},
                "FunctionName": mapping["functionArn"],
                # A mapping caught mid-change (Creating, Updating) reads as unknown; AWS's default is enabled.
                "Enabled": mapping["enabled"] is not False,
                **mapping["properties"],
            }
            # Keyed by function (and its n-th mapping), not by properties: a changed mapping is then updated in
            # place. A new key would make CloudFormation create the new mapping before deleting the old one,
            # which Lambda refuses for the same function and stream.
            nth = seen[mapping["functionArn"]] = seen.get(mapping["functionArn"], -1) + 1
            key = logical_id("Trigger", mapping["functionArn"].rsplit(":", 1)[-1], mapping["functionArn"], str(nth))
            resources[key] = {"Type": "AWS::Lambda::EventSourceMapping", "Properties": properties}
        return Fragment(resources=resources)

    def diff(self, wanted: State, found: State) -> list[dict[str, Any]]:
        """Mappings must match one for one; a target mapping still Creating or Updating has no enabled state yet,
        so only its properties are compared."""

        def without_state(mapping: dict[str, Any]) -> str:
            return json.dumps({k: v for k, v in mapping.items() if k != "enabled"}, sort_keys=True)

        wanted_mappings = sorted(wanted["mappings"], key=without_state)
        found_mappings = sorted(found["mappings"], key=without_state)
        same = len(wanted_mappings) == len(found_mappings) and all(
            without_state(w) == without_state(f) and f["enabled"] in (None, w["enabled"])
            for w, f in zip(wanted_mappings, found_mappings, strict=True)
        )
        return [] if same else [{"setting": self.name, "wanted": wanted, "found": found}]


def _enabled(state: str) -> bool | None:
    if state in ENABLED_STATES:
        return True
    if state in DISABLED_STATES:
        return False
    return None


def _mapping(api: dict[str, Any]) -> dict[str, Any]:
    properties = {key: api[key] for key in COPIED if api.get(key) not in (None, [])}
    filters = (api.get("FilterCriteria") or {}).get("Filters") or []
    if filters:
        properties["FilterCriteria"] = {"Filters": [{"Pattern": f["Pattern"]} for f in filters]}
    on_failure = ((api.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    if on_failure:
        properties["DestinationConfig"] = {"OnFailure": {"Destination": on_failure}}
    if api.get("KMSKeyArn"):
        # Lambda's API says KMSKeyArn, CloudFormation's resource KmsKeyArn.
        properties["KmsKeyArn"] = api["KMSKeyArn"]
    metrics = (api.get("MetricsConfig") or {}).get("Metrics") or []
    if metrics:
        properties["MetricsConfig"] = {"Metrics": sorted(metrics)}
    mapping: dict[str, Any] = {
        "functionArn": api["FunctionArn"],
        "enabled": _enabled(api["State"]),
        "properties": properties,
    }
    error = api.get("FilterCriteriaError")
    if error:
        mapping["filterCriteriaError"] = {"errorCode": error.get("ErrorCode", ""), "message": error.get("Message", "")}
    return mapping


def _unreadable_reason(mappings: list[dict[str, Any]]) -> str:
    each = "; ".join(
        f"the trigger of {m['functionArn']} has filter criteria encrypted with "
        f"{m['properties'].get('KmsKeyArn', 'a customer managed key')} that could not be read "
        f"({m['filterCriteriaError']['errorCode']}: {m['filterCriteriaError']['message']})"
        for m in mappings
    )
    return (
        f"{each}. Copying the triggers without their filters would send every record to their functions, so none "
        f"was copied: allow {DECRYPT_ACTION} on that key to the roles that read and copy triggers (those of "
        "ReadSourceFunction, SnapshotFunction, VerifyFunction and the CloudFormationRole; the template grants it on "
        "this account's keys through Lambda, so a key whose policy does not let IAM policies grant access, or a key "
        "of another account, must allow them in its key policy), make sure the key exists and is enabled, then start "
        "again with the same request"
    )


SETTING = Triggers()
