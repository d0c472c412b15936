"""The stream's own policy: rewritten to the target's table and new stream, compared label-free, narrowed to what the
source's stream grants today, merged beside the stream's view type, and checked on the stream for lockouts."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

from restore_sync.aws import TableRef
from restore_sync.contracts import PlanItem
from restore_sync.settings import REGISTRY, Retarget
from restore_sync.settings.stream_policy import on_stream
from restore_sync.table import TABLE_LOGICAL_ID
from restore_sync.workflow.grants import recorded_access
from restore_sync.workflow.lockout import STREAM_RESOURCE_ACTIONS, check_policy, roles_to_keep
from restore_sync.workflow.stack import merge
from tests.unit.test_lockout import CFN, SNAPSHOT, VERIFY, FakeIam

SETTING = REGISTRY["stream_policy"]
SOURCE = TableRef("orders", "us-east-1", "123456789012")
TARGET = TableRef("orders-restored", "us-east-1", "123456789012")
SOURCE_STREAM = f"{SOURCE.arn}/stream/2026-01-01T00:00:00.000"
TARGET_STREAM = f"{TARGET.arn}/stream/2026-12-02T09:00:00.000"
READER = "arn:aws:iam::123456789012:role/reader"
ANALYST = "arn:aws:iam::123456789012:role/analyst"
READS = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]


def policy(stream: str, *readers: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": list(readers)}, "Action": READS, "Resource": stream}],
    }


def wanted(*readers: str) -> dict[str, Any]:
    state = {"policy": policy(SOURCE_STREAM, *readers), "streamArn": SOURCE_STREAM}
    return SETTING.wanted(state, Retarget(source=SOURCE, target=TARGET, target_table={}))


def test_the_source_stream_becomes_the_target_table_then_the_target_stream() -> None:
    planned = wanted(READER)
    old_label_on_target = f"{TARGET.arn}/stream/2026-01-01T00:00:00.000"
    assert planned == {"policy": policy(old_label_on_target, READER), "streamArn": old_label_on_target}

    assert on_stream(planned, TARGET_STREAM) == {"policy": policy(TARGET_STREAM, READER), "streamArn": TARGET_STREAM}


def test_a_source_with_no_stream_policy_wants_none_and_sets_nothing() -> None:
    none = SETTING.wanted({"policy": None, "streamArn": SOURCE_STREAM}, Retarget(SOURCE, TARGET, {}))
    assert none == {"policy": None, "streamArn": None}
    assert SETTING.fragment(none, {}).empty


def test_verify_compares_the_policies_whatever_each_streams_label() -> None:
    found = {"policy": policy(TARGET_STREAM, READER), "streamArn": TARGET_STREAM}
    assert SETTING.diff(wanted(READER), found) == []
    assert SETTING.diff(wanted(READER, ANALYST), found) != []
    assert SETTING.diff(wanted(READER), {"policy": None, "streamArn": TARGET_STREAM}) != []
    assert SETTING.diff({"policy": None, "streamArn": None}, {"policy": None, "streamArn": TARGET_STREAM}) == []


def test_the_policy_is_merged_beside_the_streams_view_type_and_tags() -> None:
    template = {
        "Resources": {
            TABLE_LOGICAL_ID: {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "StreamSpecification": {"StreamViewType": "NEW_IMAGE", "Tags": [{"Key": "a", "Value": "b"}]}
                },
            }
        }
    }
    fragment = SETTING.fragment(on_stream(wanted(READER), TARGET_STREAM), {})

    merged = merge(template, fragment.properties, fragment.resources)

    assert merged["Resources"][TABLE_LOGICAL_ID]["Properties"]["StreamSpecification"] == {
        "StreamViewType": "NEW_IMAGE",
        "Tags": [{"Key": "a", "Value": "b"}],
        "ResourcePolicy": {"PolicyDocument": policy(TARGET_STREAM, READER)},
    }
    assert template["Resources"][TABLE_LOGICAL_ID]["Properties"]["StreamSpecification"]["StreamViewType"] == (
        "NEW_IMAGE"
    )


def test_a_recorded_stream_policy_loses_the_readers_the_source_stream_no_longer_lets_in() -> None:
    recorded = policy(SOURCE_STREAM, READER, ANALYST)
    live = policy(SOURCE_STREAM, READER)

    access = recorded_access(
        recorded, live, source_exists=True, grant_recorded=False, whose="the source table's stream's policy"
    )

    assert access.policy == policy(SOURCE_STREAM, READER)
    assert access.withheld == (("AWS", ANALYST),)
    assert "the source table's stream's policy no longer does" in str(access.reason)
    assert (
        recorded_access(
            recorded, None, source_exists=True, grant_recorded=False, whose="the source table's stream's policy"
        ).policy
        is None
    )


def test_a_stream_policy_is_checked_on_its_stream_for_the_actions_that_act_on_a_stream() -> None:
    iam = FakeIam()
    deny_all = copy.deepcopy(policy(SOURCE_STREAM, READER))
    deny_all["Statement"].append({"Effect": "Deny", "Principal": "*", "Action": "dynamodb:*", "Resource": "*"})
    item = PlanItem(setting="stream_policy", status="pending", wanted={"policy": deny_all, "streamArn": TARGET_STREAM})

    refused = check_policy(iam, item, TARGET.arn, roles_to_keep(CFN, VERIFY, SNAPSHOT))  # type: ignore[arg-type]

    assert refused is not None
    assert (refused.setting, refused.status, refused.error) == ("stream_policy", "failed", "PolicyLocksOut")
    assert {tuple(call["ResourceArns"]) for call in iam.calls} == {(TARGET_STREAM,)}
    asked = {action for call in iam.calls for action in call["ActionNames"]}
    assert asked <= STREAM_RESOURCE_ACTIONS
    assert {"dynamodb:GetResourcePolicy", "dynamodb:PutResourcePolicy", "dynamodb:ListTagsOfResource"} <= asked
    assert "dynamodb:UpdateTable" not in asked


def test_the_actions_that_act_on_a_stream_are_iams() -> None:
    listed = json.loads(resources.files("cfnlint.data.AdditionalSpecs").joinpath("Policies.json").read_text())
    dynamodb = {f"dynamodb:{name}": action for name, action in listed["dynamodb"]["Actions"].items()}
    taking_a_stream = {name.lower() for name, action in dynamodb.items() if "stream" in action.get("Resources", [])}
    roles = roles_to_keep(CFN, VERIFY, SNAPSHOT)
    used = {action for role in roles for action in role.actions}

    assert {action.lower() for action in STREAM_RESOURCE_ACTIONS} <= taking_a_stream
    assert {action.lower() for action in used} & taking_a_stream <= {a.lower() for a in STREAM_RESOURCE_ACTIONS}
