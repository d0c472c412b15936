"""`restore-sync doctor`'s verdicts, from AWS answers in the shapes botocore's models give them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from restore_sync.aws import TableRef
from restore_sync.stream_access import StreamAccess
from restore_sync_tools.doctor import (
    Check,
    TrailAnswers,
    consumers_check,
    dead_letter_check,
    history_check,
    logs_management_writes,
    newest_history_read,
    resources_check,
    rows,
    rules_check,
    trail_check,
    worst,
)

REGION = "eu-west-1"
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
CLASSIC_ALL = {"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}]}


def trail(name: str = "main", home: str = REGION, multi_region: bool = False) -> dict[str, Any]:
    return {
        "Name": name,
        "TrailARN": f"arn:aws:cloudtrail:{home}:123456789012:trail/{name}",
        "HomeRegion": home,
        "IsMultiRegionTrail": multi_region,
        "IsOrganizationTrail": False,
    }


def advanced(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"AdvancedEventSelectors": [{"Name": "management", "FieldSelectors": list(fields)}]}


MANAGEMENT = {"Field": "eventCategory", "Equals": ["Management"]}


@pytest.mark.parametrize(
    ("selectors", "logs"),
    [
        (CLASSIC_ALL, True),
        ({"EventSelectors": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]}, True),
        ({"EventSelectors": [{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}]}, False),
        ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": False}]}, False),
        (advanced(MANAGEMENT), True),
        (advanced(MANAGEMENT, {"Field": "readOnly", "Equals": ["false"]}), True),
        (advanced(MANAGEMENT, {"Field": "readOnly", "Equals": ["true"]}), False),
        (advanced(MANAGEMENT, {"Field": "readOnly", "NotEquals": ["false"]}), False),
        (advanced({"Field": "eventCategory", "Equals": ["Data"]}), False),
        ({}, False),
    ],
)
def test_management_write_events_are_logged_by_classic_or_advanced_selectors(
    selectors: dict[str, Any], logs: bool
) -> None:
    assert logs_management_writes(selectors) is logs


def test_a_logging_trail_of_the_region_with_management_writes_is_ok() -> None:
    check = trail_check(REGION, [TrailAnswers(trail(), {"IsLogging": True}, CLASSIC_ALL)])
    assert check.verdict == "ok"
    assert "main" in check.detail


def test_a_multi_region_trail_of_another_home_region_covers_the_region() -> None:
    shadow = trail("org", home="us-east-1", multi_region=True)
    assert trail_check(REGION, [TrailAnswers(shadow, {"IsLogging": True}, CLASSIC_ALL)]).verdict == "ok"


def test_a_stopped_trail_fails_and_says_to_start_logging() -> None:
    check = trail_check(REGION, [TrailAnswers(trail(), {"IsLogging": False}, CLASSIC_ALL)])
    assert check.verdict == "fail"
    assert "trail main is not logging" in check.detail
    assert "start-logging --name main" in check.detail
    assert "nothing starts" in check.detail


def test_a_stopped_shadow_trail_is_named_by_its_arn_in_what_to_do() -> None:
    shadow = trail("org", home="us-east-1", multi_region=True)
    check = trail_check(REGION, [TrailAnswers(shadow, {"IsLogging": False}, CLASSIC_ALL)])
    assert check.verdict == "fail"
    assert f"start-logging --name {shadow['TrailARN']}" in check.detail


def test_a_trail_of_another_region_only_fails() -> None:
    elsewhere = trail("other", home="us-east-1")
    check = trail_check(REGION, [TrailAnswers(elsewhere, {"IsLogging": True}, CLASSIC_ALL)])
    assert check.verdict == "fail"
    assert f"no trail covers {REGION}" in check.detail


def test_a_trail_logging_reads_only_fails() -> None:
    reads = {"EventSelectors": [{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}]}
    check = trail_check(REGION, [TrailAnswers(trail(), {"IsLogging": True}, reads)])
    assert check.verdict == "fail"
    assert "does not log management write events" in check.detail


def test_one_good_trail_is_enough_whatever_the_others() -> None:
    stopped = TrailAnswers(trail("stopped"), {"IsLogging": False}, CLASSIC_ALL)
    good = TrailAnswers(trail("good"), {"IsLogging": True}, CLASSIC_ALL)
    assert trail_check(REGION, [stopped, good]).verdict == "ok"


def test_a_trail_that_cannot_be_read_is_a_warning_not_a_failure() -> None:
    organization = TrailAnswers(trail("org", multi_region=True), unreadable="AccessDeniedException")
    check = trail_check(REGION, [organization])
    assert check.verdict == "warn"
    assert "AccessDeniedException" in check.detail


def test_rules_fail_when_one_is_disabled_or_missing() -> None:
    assert rules_check({"RestoreRule": "ENABLED", "DailySnapshotRule": "ENABLED"}).verdict == "ok"
    check = rules_check({"RestoreRule": "DISABLED", "DailySnapshotRule": None})
    assert check.verdict == "fail"
    assert "RestoreRule is DISABLED" in check.detail
    assert "DailySnapshotRule is missing" in check.detail
    assert rules_check({}).verdict == "fail"


def resource(logical_id: str, kind: str, status: str = "CREATE_COMPLETE") -> dict[str, Any]:
    return {
        "LogicalResourceId": logical_id,
        "PhysicalResourceId": f"physical-{logical_id}",
        "ResourceType": kind,
        "ResourceStatus": status,
    }


def test_the_state_machine_and_roles_must_be_in_the_stack_and_found() -> None:
    resources = [
        resource("Machine", "AWS::StepFunctions::StateMachine"),
        resource("MachineRole", "AWS::IAM::Role", "UPDATE_COMPLETE"),
        resource("Queue", "AWS::SQS::Queue", "CREATE_FAILED"),
    ]
    assert resources_check(resources, {}).verdict == "ok"
    assert resources_check(resources, {"MachineRole": "NoSuchEntity"}).verdict == "fail"
    assert "MachineRole: NoSuchEntity" in resources_check(resources, {"MachineRole": "NoSuchEntity"}).detail
    without_roles = resources_check(resources[:1], {})
    assert without_roles.verdict == "fail"
    assert "no AWS::IAM::Role" in without_roles.detail
    failed = [resource("Machine", "AWS::StepFunctions::StateMachine", "DELETE_COMPLETE"), resources[1]]
    assert resources_check(failed, {}).verdict == "fail"


def test_a_dead_letter_queue_with_messages_warns_and_says_how_to_read_it() -> None:
    assert dead_letter_check({"ApproximateNumberOfMessages": "0"}).verdict == "ok"
    check = dead_letter_check({"ApproximateNumberOfMessages": "3"})
    assert check.verdict == "warn"
    assert "3 messages" in check.detail
    assert "docs/operations.md" in check.detail


def test_a_history_older_than_a_day_or_empty_warns() -> None:
    assert history_check(NOW - timedelta(hours=23), NOW).verdict == "ok"
    assert history_check(NOW - timedelta(hours=25), NOW).verdict == "warn"
    assert history_check(None, NOW).verdict == "warn"
    assert history_check(NOW + timedelta(minutes=5), NOW).verdict == "ok"


class FakeHistoryTable:
    """DynamoDB Scan over items in pages of two, as the history table holds them."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.calls: list[dict[str, Any]] = []

    def scan(self, **request: Any) -> dict[str, Any]:
        self.calls.append(request)
        start = int(request.get("ExclusiveStartKey", {}).get("at", {}).get("N", "0"))
        page: dict[str, Any] = {"Items": self.items[start : start + 2]}
        if start + 2 < len(self.items):
            page["LastEvaluatedKey"] = {"at": {"N": str(start + 2)}}
        return page


def version(key: str, read_at: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {"version": {"S": key}}
    if read_at:
        item["readAt"] = {"S": read_at}
    return item


def test_the_newest_read_is_found_across_pages_and_pointers_are_skipped() -> None:
    fake = FakeHistoryTable(
        [
            version("2026-12-01T00:00:00.000Z#ab", "2026-12-01T00:00:01.000Z"),
            version("latest", None),
            version("2026-11-01T00:00:00.000Z#cd", "2026-12-01T02:00:00.000Z"),
            version("2026-10-01T00:00:00.000Z#ef", "2026-10-01T00:00:00.000Z"),
        ]
    )
    assert newest_history_read(fake, "history") == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert len(fake.calls) == 2
    assert newest_history_read(FakeHistoryTable([]), "history") is None


def test_any_fail_fails_the_whole_and_a_warning_does_not() -> None:
    ok, warn, fail = Check("a", "ok", ""), Check("b", "warn", ""), Check("c", "fail", "")
    assert worst([ok, warn]) == "warn"
    assert worst([ok, warn, fail]) == "fail"
    assert worst([ok]) == "ok"
    assert rows([ok])[0].split() == ["check", "verdict", "found,", "and", "what", "to", "do"]


ORDERS = TableRef("orders", "us-east-1", "123456789012")
AUDIT = "arn:aws:lambda:us-east-1:123456789012:function:audit"


def test_stream_consumers_are_ok_when_every_role_can_read_a_restored_copy() -> None:
    readable = StreamAccess(AUDIT, "arn:aws:iam::123456789012:role/audit", denied=())

    assert consumers_check({}).verdict == "ok"
    assert consumers_check({ORDERS: [readable]}) == Check(
        "stream consumers can read a restored copy", "ok", "1 triggers on 1 tables: every function's role can read it"
    )


def test_a_role_scoped_to_the_tables_own_stream_warns_with_the_statement_to_add() -> None:
    scoped = StreamAccess(AUDIT, "arn:aws:iam::123456789012:role/audit", denied=("dynamodb:GetRecords",))

    found = consumers_check({ORDERS: [scoped]})

    assert found.verdict == "warn"
    assert "orders: function " + AUDIT in found.detail
    assert "lacks dynamodb:GetRecords" in found.detail
    assert '"Resource":"arn:aws:dynamodb:us-east-1:123456789012:table/orders*/stream/*"' in found.detail
