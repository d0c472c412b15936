"""The input schemas: valid JSON Schemas whose patterns mean what ECMA-262 says (`$` is the end of the text), which
the sample events pass, and which refuse what no table name or ARN can be."""

from __future__ import annotations

from typing import Any

import pytest

from restore_sync import schemas
from tests.helpers import load_event

SAMPLE_EVENTS = {
    "cloudtrail_restore_pitr_by_name": schemas.CLOUDTRAIL_RESTORE,
    "cloudtrail_restore_pitr_by_arn_cross_region": schemas.CLOUDTRAIL_RESTORE,
    "cloudtrail_restore_from_backup": schemas.CLOUDTRAIL_RESTORE,
    "cloudtrail_restore_failed": schemas.CLOUDTRAIL_RESTORE,
    "s3_put_object": schemas.CLOUDTRAIL_RESTORE,
    "backup_restore_job_completed": schemas.BACKUP_RESTORE_JOB,
    "cloudtrail_delete_table": schemas.CLOUDTRAIL_DELETE_TABLE,
}


@pytest.mark.parametrize("name", schemas.NAMES)
def test_each_schema_is_a_valid_json_schema_with_its_own_id(name: str) -> None:
    schemas.Validator.check_schema(schemas.schema(name))
    assert schemas.schema(name)["$id"].endswith(f"/functions/restore_sync/schemas/{name}")


@pytest.mark.parametrize(
    ("pattern", "python"),
    [
        ("^[a-z]{3}$", r"^[a-z]{3}\Z"),
        (r"^a\$b$", r"^a\$b\Z"),
        ("^[$]x$", r"^[$]x\Z"),
        ("^[]$]$", r"^[]$]\Z"),
        ("^[^]$]$", r"^[^]$]\Z"),
        ("^(a|b$)", r"^(a|b\Z)"),
    ],
)
def test_a_dollar_outside_a_character_class_becomes_the_end_of_the_text(pattern: str, python: str) -> None:
    assert schemas.ecma_regex(pattern).pattern == python


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("^[a-z]{3}$", "abc", True),
        ("^[a-z]{3}$", "abc\n", False),
        (r"^\d{2}$", "12", True),
        (r"^\d{2}$", "١٢", False),
        ("^[$]x$", "$x", True),
    ],
)
def test_patterns_match_as_ecma_262_says(pattern: str, text: str, matches: bool) -> None:
    assert bool(schemas.ecma_regex(pattern).search(text)) is matches


@pytest.mark.parametrize("event", SAMPLE_EVENTS)
def test_the_sample_events_pass_their_schema(event: str) -> None:
    assert schemas.errors(SAMPLE_EVENTS[event], load_event(event)) == []


MANUAL = {"targetTableName": "orders-restored", "sourceTableName": "orders"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"targetTableName": "orders-restored\n"}, "targetTableName"),
        ({"sourceTableName": "orders\n"}, "sourceTableName"),
        (
            {"sourceTableName": None, "sourceTableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/o\n"},
            "sourceTableArn",
        ),
        (
            {"sourceTableName": None, "sourceTableArn": "arn:aws:dynamodb:us-east-1:١٢٣٤٥٦٧٨٩٠١٢:table/orders"},
            "sourceTableArn",
        ),
        ({"adoptUnrestored": "yes"}, "adoptUnrestored"),
    ],
)
def test_the_published_schema_refuses_a_trailing_newline_and_foreign_digits(change: dict[str, Any], field: str) -> None:
    raw = {key: value for key, value in {**MANUAL, **change}.items() if value is not None}
    assert [list(error.absolute_path) for error in schemas.errors(schemas.MANUAL_INPUT, raw)] == [[field]]


def test_an_event_s_tables_and_times_are_checked_against_the_shared_definitions() -> None:
    event = load_event("backup_restore_job_completed")
    event["detail"]["createdResourceArn"] += "\n"
    event["detail"]["completionDate"] = "yesterday"
    event["account"] = "12345678901"
    paths = [list(error.absolute_path) for error in schemas.errors(schemas.BACKUP_RESTORE_JOB, event)]
    assert paths == [["account"], ["detail", "completionDate"], ["detail", "createdResourceArn"]]
