"""Every property AWS defines for a DynamoDB table is accounted for: copied, kept by the restore, or not copied.

The properties come from AWS::DynamoDB::Table's registry schema in cfn-lint's data; the classification is COVERAGE
(tests/template/table_coverage.py). A property a newer schema adds fails here until someone classifies it. What a
classification claims is held to what the code does: a setting said to copy a property sets it (every part of it)
in its fragment for the examples' source that has every setting, and sets nothing it is not said to; what the
restore keeps is in the import template and in AWS's documentation of the restore, as botocore's model carries it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.session import get_session
from moto import mock_aws

from restore_sync.aws import Aws, TableRef
from restore_sync.settings import REGISTRY, Retarget
from restore_sync.table import table_document, table_properties
from restore_sync_sandbox import examples
from restore_sync_sandbox.extensions import (
    dynamodb_contributor_insights,
    dynamodb_kinesis_destinations,
    dynamodb_on_demand_throughput,
    dynamodb_table_class,
    dynamodb_warm_throughput,
)
from tests.template.table_coverage import (
    BEGIN,
    COVERAGE,
    DOCS,
    END,
    MUST_SET_AGAIN,
    RESTORE,
    Copied,
    Coverage,
    NotCopied,
    Restored,
    covering,
    docs_matrix,
    leaves_under,
    overlapping,
    property_paths,
    render_matrix,
    stale,
    table_schema,
    unclassified,
)

REGION = "us-east-1"
SOURCE = "orders"
KEPT = "kept-by-restore"
# The DynamoDB APIs the full source needs that moto lacks (as in tests/unit/test_settings_permissions.py).
EXTENSIONS = (
    dynamodb_contributor_insights,
    dynamodb_kinesis_destinations,
    dynamodb_on_demand_throughput,
    dynamodb_table_class,
    dynamodb_warm_throughput,
)
# The full source is provisioned: what only an on-demand table has is read from this one.
ON_DEMAND = "bounded"
# A fragment that sets a property of some indexes names each index: the stack merges them by IndexName (Fragment).
MERGE_KEYS = frozenset({"GlobalSecondaryIndexes.IndexName"})


def paths_in(value: Any, prefix: str = "") -> set[str]:
    """Every property path that template data sets, dotted through objects and lists as the schema's paths are."""
    if isinstance(value, list):
        return set().union(*(paths_in(item, prefix) for item in value)) if value else set()
    if not isinstance(value, dict):
        return set()
    found: set[str] = set()
    for key, item in value.items():
        found |= {f"{prefix}{key}"} | paths_in(item, f"{prefix}{key}.")
    return found


def unset_claims(coverage: dict[str, Coverage], fragments: dict[str, set[str]], schema: dict[str, Any]) -> list[str]:
    """`setting: path` for each part of a property a setting is said to copy that its fragment does not set."""
    return [
        f"{entry.setting}: {leaf}"
        for path, entry in coverage.items()
        if isinstance(entry, Copied)
        for leaf in leaves_under(path, schema)
        if leaf not in fragments.get(entry.setting, set())
    ]


def unclaimed_sets(coverage: dict[str, Coverage], fragments: dict[str, set[str]], schema: dict[str, Any]) -> list[str]:
    """`setting: path` for each table property a setting's fragment sets that COVERAGE does not say it copies."""
    schema_paths = property_paths(schema)
    found = []
    for name, paths in fragments.items():
        for path in sorted(paths - MERGE_KEYS):
            owner = covering(path, coverage)
            if owner is None and schema_paths.get(path) is False:
                continue  # an object classified part by part: its parts are checked
            entry = coverage.get(owner or "")
            if not (isinstance(entry, Copied) and entry.setting == name):
                found.append(f"{name}: {path}")
    return found


def undescribed(coverage: dict[str, Coverage], described: set[str], schema: dict[str, Any]) -> list[str]:
    """Each part of a property the restore is said to keep, and the import template to describe, that it does not."""
    return [
        leaf
        for path, entry in coverage.items()
        if isinstance(entry, Restored) and entry.described
        for leaf in leaves_under(path, schema)
        if leaf not in described
    ]


def documentation(where: str) -> str:
    """The text of the documentation botocore's DynamoDB model gives an operation (`Op`) or a member (`Op.Member`)."""
    operation, _, member = where.partition(".")
    model = get_session().get_service_model("dynamodb").operation_model(operation)
    html = model.input_shape.members[member].documentation if member else model.documentation
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# The schema as a newer cfn-lint could ship it: a property at the top, one in a part a setting copies, one per index.
def grown(schema: dict[str, Any]) -> dict[str, Any]:
    newer = copy.deepcopy(schema)
    newer["properties"]["ReplicaPlacement"] = {"type": "string"}
    newer["definitions"]["StreamSpecification"]["properties"]["RetentionHours"] = {"type": "integer"}
    newer["definitions"]["GlobalSecondaryIndex"]["properties"]["Priority"] = {"type": "integer"}
    return newer


@pytest.fixture(scope="module")
def aws() -> Iterator[Aws]:
    """moto in-process with the examples' source that has every setting, and a table with all a restore keeps."""
    for extension in EXTENSIONS:
        extension.install()
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        examples.make_full_source(lambda service: session.client(service, region_name=REGION), SOURCE, items=0)
        ddb = session.client("dynamodb")
        key = session.client("kms").create_key()["KeyMetadata"]["Arn"]
        attributes = [("pk", "S"), ("sk", "S"), ("status", "S"), ("placed", "N")]
        ddb.create_table(
            TableName=KEPT,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in attributes],
            BillingMode="PROVISIONED",
            ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-status",
                    "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["total"]},
                    "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 1},
                }
            ],
            LocalSecondaryIndexes=[
                {
                    "IndexName": "by-placed",
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "placed", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["total"]},
                }
            ],
            SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key},
        )
        ddb.create_table(
            TableName=ON_DEMAND,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "status", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            OnDemandThroughput={"MaxReadRequestUnits": 500, "MaxWriteRequestUnits": 100},
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-status",
                    "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                    "OnDemandThroughput": {"MaxReadRequestUnits": 50, "MaxWriteRequestUnits": 10},
                }
            ],
        )
        yield Aws(region=REGION, session=session)


@pytest.fixture(scope="module")
def fragments(aws: Aws) -> dict[str, set[str]]:
    """The table properties each setting's fragment sets for the source that has every setting and for the on-demand
    one, as planned for each."""
    found: dict[str, set[str]] = {name: set() for name in REGISTRY}
    for source in (SOURCE, ON_DEMAND):
        ref = TableRef(source, REGION, examples.ACCOUNT)
        table = table_document(aws.client("dynamodb", REGION).describe_table(TableName=source)["Table"], ref)
        # Planned for a target that states no warm throughput of its own, so that warm_throughput sets all of it.
        table = {
            **{k: v for k, v in table.items() if k != "warmThroughput"},
            "globalSecondaryIndexes": [
                {k: v for k, v in index.items() if k != "WarmThroughput"} for index in table["globalSecondaryIndexes"]
            ],
        }
        retarget = Retarget(source=ref, target=ref, target_table=table)
        for name, setting in REGISTRY.items():
            wanted = setting.wanted(setting.read(aws, ref), retarget)
            found[name] |= paths_in(setting.fragment(wanted, table).properties)
    return found


def test_every_property_of_the_schema_is_classified() -> None:
    assert unclassified(table_schema(), COVERAGE) == []


def test_no_property_is_classified_that_the_schema_lacks() -> None:
    assert stale(table_schema(), COVERAGE) == []


def test_a_property_is_classified_once() -> None:
    assert overlapping(COVERAGE) == []


def test_a_property_a_newer_schema_adds_fails_until_classified() -> None:
    newer = grown(table_schema())
    assert unclassified(newer, COVERAGE) == [
        "GlobalSecondaryIndexes.Priority",
        "ReplicaPlacement",
        "StreamSpecification.RetentionHours",
    ]
    decided = {**COVERAGE, **dict.fromkeys(unclassified(newer, COVERAGE), NotCopied("decided"))}
    assert unclassified(newer, decided) == []


def test_a_classification_of_a_property_the_schema_dropped_fails() -> None:
    older = copy.deepcopy(table_schema())
    del older["properties"]["WarmThroughput"]
    del older["definitions"]["ContributorInsightsSpecification"]["properties"]["Mode"]
    assert stale(older, COVERAGE) == [
        "ContributorInsightsSpecification.Mode",
        "GlobalSecondaryIndexes.ContributorInsightsSpecification.Mode",
        "WarmThroughput",
    ]


def test_a_part_classified_beside_its_whole_fails() -> None:
    assert overlapping({**COVERAGE, "Tags.Key": Copied("tags")}) == ["Tags.Key"]


def test_every_setting_named_is_registered() -> None:
    named = {entry.setting for entry in COVERAGE.values() if isinstance(entry, Copied)}
    assert named - set(REGISTRY) == set()


def test_read_only_properties_are_not_copied() -> None:
    read_only = [path.removeprefix("/properties/") for path in table_schema()["readOnlyProperties"]]
    assert read_only
    assert {path: type(COVERAGE[path]).__name__ for path in read_only} == dict.fromkeys(read_only, "NotCopied")


@pytest.mark.parametrize("kind", ["readOnlyProperties", "createOnlyProperties", "writeOnlyProperties"])
def test_a_reason_that_cites_the_schema_says_what_the_schema_says(kind: str) -> None:
    listed = {path.removeprefix("/properties/") for path in table_schema()[kind]}
    citing = {path for path, entry in COVERAGE.items() if isinstance(entry, NotCopied) and f"`{kind}`" in entry.reason}
    assert citing
    assert citing <= listed


def test_a_setting_sets_every_part_of_what_it_is_said_to_copy(fragments: dict[str, set[str]]) -> None:
    assert unset_claims(COVERAGE, fragments, table_schema()) == []


def test_a_setting_sets_no_table_property_it_is_not_said_to_copy(fragments: dict[str, set[str]]) -> None:
    assert unclaimed_sets(COVERAGE, fragments, table_schema()) == []


def test_a_wrong_claim_about_a_setting_is_caught(fragments: dict[str, set[str]]) -> None:
    claims = {**COVERAGE, "WarmThroughput": Copied("tags")}
    assert unset_claims(claims, fragments, table_schema()) == [
        "tags: WarmThroughput.ReadUnitsPerSecond",
        "tags: WarmThroughput.WriteUnitsPerSecond",
    ]
    disowned = {**COVERAGE, "TimeToLiveSpecification": NotCopied("not decided")}
    assert unclaimed_sets(disowned, fragments, table_schema()) == [
        "ttl: TimeToLiveSpecification",
        "ttl: TimeToLiveSpecification.AttributeName",
        "ttl: TimeToLiveSpecification.Enabled",
    ]


@pytest.fixture(scope="module")
def described(aws: Aws) -> set[str]:
    """The properties the import template sets for a table that has everything a restore keeps."""
    ref = TableRef(KEPT, REGION, examples.ACCOUNT)
    description = aws.client("dynamodb", REGION).describe_table(TableName=KEPT)["Table"]
    return paths_in(table_properties(table_document(description, ref)))


def test_the_import_template_describes_what_the_restore_keeps(described: set[str]) -> None:
    assert undescribed(COVERAGE, described, table_schema()) == []


def test_a_new_part_of_a_copied_or_kept_property_fails_until_it_is_copied_or_described(
    fragments: dict[str, set[str]], described: set[str]
) -> None:
    newer = copy.deepcopy(table_schema())
    newer["definitions"]["TimeToLiveSpecification"]["properties"]["Granularity"] = {"type": "string"}
    newer["definitions"]["SSESpecification"]["properties"]["KeyRotation"] = {"type": "boolean"}
    assert unset_claims(COVERAGE, fragments, newer) == ["ttl: TimeToLiveSpecification.Granularity"]
    assert undescribed(COVERAGE, described, newer) == ["SSESpecification.KeyRotation"]


@pytest.mark.parametrize("path", [path for path, entry in COVERAGE.items() if isinstance(entry, Restored)])
def test_what_the_restore_keeps_is_what_aws_documents(path: str) -> None:
    entry = COVERAGE[path]
    assert isinstance(entry, Restored)
    # Quoted from before the list of what must be set again: said of what the restore keeps, not of what it drops.
    assert entry.quote in documentation(entry.where).split(MUST_SET_AGAIN)[0]


def test_a_quote_from_what_must_be_set_again_is_refused() -> None:
    assert MUST_SET_AGAIN in documentation(RESTORE)
    assert "Time to Live (TTL) settings" in documentation(RESTORE)
    assert "Time to Live (TTL) settings" not in documentation(RESTORE).split(MUST_SET_AGAIN)[0]


def test_the_settings_docs_show_the_coverage() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert text.count(BEGIN) == text.count(END) == 1
    assert docs_matrix(text) == render_matrix(), "run: .venv/bin/python -m tests.template.table_coverage"


def test_a_changed_classification_changes_the_docs_matrix() -> None:
    changed = {**COVERAGE, "WarmThroughput": Copied("table_class")}
    assert render_matrix(changed) != render_matrix()
    assert "| `WarmThroughput` | copied by `table_class` |" in render_matrix(changed)
