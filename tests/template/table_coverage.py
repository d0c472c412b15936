"""What becomes of every property of AWS::DynamoDB::Table on a restored table: one place, read by a test and the docs.

Each property path of the type's registry schema (cfn-lint's copy) is either copied by a named setting, carried by
the restore itself, or not copied, with the reason. A path is dotted through objects and lists alike
(`GlobalSecondaryIndexes.ContributorInsightsSpecification.Enabled`), and an entry covers its path and everything
below it. tests/template/test_table_coverage.py holds COVERAGE to the schema (a property nobody classified, or a
classification of a property the schema no longer has, fails), to the settings' fragments and to the import
template; docs/settings.md's matrix is render_matrix()'s output (`python -m tests.template.table_coverage` rewrites it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from cfnlint.data import schemas

TYPE_NAME = "AWS::DynamoDB::Table"


@dataclass(frozen=True)
class Copied:
    """Set on the target by `setting`'s fragment, from the source's state."""

    setting: str
    note: str = ""


@dataclass(frozen=True)
class Restored:
    """Carried by the restore itself, as AWS documents: `quote` is in the documentation botocore's DynamoDB model
    gives `where` (an operation, or `Operation.Member`). `described` says whether the governance stack's import
    template describes it (restore_sync.table.table_properties)."""

    quote: str
    where: str
    note: str = ""
    described: bool = True


@dataclass(frozen=True)
class NotCopied:
    """Neither copied nor carried by the restore: `reason` says why. `yet` marks a gap rather than a decision."""

    reason: str
    yet: bool = False


Coverage = Copied | Restored | NotCopied

# RestoreTableToPointInTime's documentation lists what a restore includes, then what must be set again (so does the
# developer guide's "Restore a table in DynamoDB", for backups too; RestoreTableFromBackup's lists only the latter).
RESTORE = "RestoreTableToPointInTime"
MUST_SET_AGAIN = "You must manually set up the following on the restored table"

COVERAGE: dict[str, Coverage] = {
    "Arn": NotCopied("read-only (the schema's `readOnlyProperties`): AWS gives the target its own"),
    "AttributeDefinitions": Restored(
        "DynamoDB restores your table data",
        RESTORE,
        "the items come back under the source's keys; the restore request has no way to name others",
    ),
    "BillingMode": Restored(
        "The billing mode of the restored table", f"{RESTORE}.BillingModeOverride", "unless the restore overrides it"
    ),
    "ContributorInsightsSpecification.Enabled": Copied("contributor_insights"),
    "ContributorInsightsSpecification.Mode": Copied(
        "contributor_insights", "where DynamoDB states the source's mode (AWS documents no default)"
    ),
    "DeletionProtectionEnabled": Copied("deletion_protection"),
    "GlobalSecondaryIndexes.ContributorInsightsSpecification.Enabled": Copied(
        "contributor_insights", "on each index the target has"
    ),
    "GlobalSecondaryIndexes.ContributorInsightsSpecification.Mode": Copied(
        "contributor_insights", "as the table's, for each index the target has"
    ),
    "GlobalSecondaryIndexes.IndexName": Restored(
        "Global secondary indexes (GSIs)", RESTORE, "all of them, unless the restore keeps a subset"
    ),
    "GlobalSecondaryIndexes.KeySchema": Restored("Global secondary indexes (GSIs)", RESTORE),
    "GlobalSecondaryIndexes.OnDemandThroughput": Copied(
        "on_demand_throughput", "as the table's, for each index the target has"
    ),
    "GlobalSecondaryIndexes.Projection": Restored("Global secondary indexes (GSIs)", RESTORE),
    "GlobalSecondaryIndexes.ProvisionedThroughput": Restored(
        "Provisioned read and write capacity", RESTORE, "`autoscaling` copies the scaling around it"
    ),
    "GlobalSecondaryIndexes.WarmThroughput": Copied(
        "warm_throughput",
        "as the table's, for each index the target has (a point-in-time restore refuses `WarmThroughput` in its "
        "index overrides)",
    ),
    "ImportSourceSpecification": NotCopied(
        "creation only (`createOnlyProperties` and `writeOnlyProperties`): it says how a table was first filled from "
        "S3; a restored table is filled by the restore"
    ),
    "KeySchema": Restored(
        "DynamoDB restores your table data",
        RESTORE,
        "the items come back under the source's keys; the restore request has no way to name others",
    ),
    "KinesisStreamSpecification": Copied("kinesis", "the one active destination"),
    "LocalSecondaryIndexes": Restored(
        "Local secondary indexes (LSIs)", RESTORE, "all of them, unless the restore keeps a subset"
    ),
    "OnDemandThroughput": Copied(
        "on_demand_throughput",
        "to an on-demand target; a maximum the restore chose (`OnDemandThroughputOverride`) is kept",
    ),
    "PointInTimeRecoverySpecification": Copied("pitr"),
    "ProvisionedThroughput": Restored(
        "Provisioned read and write capacity",
        RESTORE,
        "as the source has it (at the restore, or at the backup); `autoscaling` copies the scaling around it",
    ),
    "ResourcePolicy": Copied("resource_policy", "with the source's ARNs rewritten to the target's"),
    "SSESpecification": Restored("Encryption settings", RESTORE, "unless the restore overrides it"),
    "StreamArn": NotCopied(
        "read-only (the schema's `readOnlyProperties`): the target's stream is new, which is why `triggers` makes "
        "new mappings"
    ),
    "StreamSpecification.ResourcePolicy": NotCopied(
        "the stream's own resource policy (who else may read the stream) is not read: the target's new stream has "
        "none, so consumers the source's stream policy let in cannot read it",
        yet=True,
    ),
    "StreamSpecification.StreamViewType": Copied("stream", "the stream is on when the property is there"),
    "StreamSpecification.Tags": NotCopied(
        "the stream's own tags (independent of the table's) are not read: the target's stream has none", yet=True
    ),
    "TableClass": Copied("table_class", "a restored table is always STANDARD"),
    "TableName": NotCopied("the target's own: the restore names it (`TargetTableName`)"),
    "Tags": Copied("tags", "every tag but `aws:` keys, which nobody can set"),
    "TimeToLiveSpecification": Copied("ttl"),
    "VectorIndexes": Restored(
        "If not specified, all vector indexes from the source table are restored",
        f"{RESTORE}.VectorIndexOverride",
        "all of them, unless the restore keeps a subset; the governance stack's import template does not describe them",
        described=False,
    ),
    "WarmThroughput": Copied(
        "warm_throughput",
        "raised to the source's where the target is below it, never lowered (a restored table starts where a new "
        "one does); raising it is charged, and the plan and the report give the cost",
    ),
}


@cache
def table_schema() -> dict[str, Any]:
    """AWS::DynamoDB::Table's registry schema as cfn-lint ships it."""
    providers = json.loads((files(schemas) / "providers" / "us-east-1.json").read_text(encoding="utf-8"))
    loaded: dict[str, Any] = json.loads(
        (files(schemas) / "resources" / f"{providers[TYPE_NAME]}.json").read_text(encoding="utf-8")
    )
    return loaded


def _object(node: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """The object a property's value is (or holds a list of), with `$ref`s resolved; {} for a scalar."""
    for _ in range(len(definitions) + 1):
        if "$ref" in node:
            node = definitions[node["$ref"].removeprefix("#/definitions/")]
        elif "items" in node:
            node = node["items"]
        elif "oneOf" in node:
            # KeySchema is a list of keys or, for old templates, JSON text: the first form is the structure.
            node = node["oneOf"][0]
        else:
            return node
    raise ValueError("circular $ref in the schema")


def property_paths(schema: dict[str, Any]) -> dict[str, bool]:
    """Every property path of `schema`, dotted through objects and lists, and whether it is a leaf (has no
    properties of its own)."""
    definitions = schema.get("definitions", {})
    paths: dict[str, bool] = {}

    def walk(properties: dict[str, Any], prefix: str) -> None:
        for name, node in properties.items():
            path = f"{prefix}{name}"
            children = _object(node, definitions).get("properties", {})
            paths[path] = not children
            walk(children, f"{path}.")

    walk(schema["properties"], "")
    return dict(sorted(paths.items()))


def covering(path: str, coverage: dict[str, Coverage]) -> str | None:
    """The entry of `coverage` that covers `path`: itself or its nearest ancestor."""
    parts = path.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in coverage:
            return candidate
    return None


def unclassified(schema: dict[str, Any], coverage: dict[str, Coverage]) -> list[str]:
    """Leaf properties of `schema` that no entry covers (an object is covered when all its leaves are: an entry for
    it, or one for each of its parts)."""
    return [path for path, leaf in property_paths(schema).items() if leaf and covering(path, coverage) is None]


def stale(schema: dict[str, Any], coverage: dict[str, Coverage]) -> list[str]:
    """Entries for properties `schema` does not have."""
    paths = property_paths(schema)
    return [path for path in coverage if path not in paths]


def overlapping(coverage: dict[str, Coverage]) -> list[str]:
    """Entries below another entry: a path is classified once, as a whole or part by part."""
    return [path for path in coverage if "." in path and covering(path.rsplit(".", 1)[0], coverage) is not None]


def leaves_under(path: str, schema: dict[str, Any]) -> list[str]:
    """The leaf properties at or below `path`."""
    return [p for p, leaf in property_paths(schema).items() if leaf and (p == path or p.startswith(f"{path}."))]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_matrix(coverage: dict[str, Coverage] = COVERAGE) -> str:
    """The matrix docs/settings.md shows, one row per entry in path order."""
    rows = [
        "| property of `AWS::DynamoDB::Table` | on the restored table | how, or why not |",
        "| --- | --- | --- |",
    ]
    for path, entry in sorted(coverage.items()):
        if isinstance(entry, Copied):
            what, why = f"copied by `{entry.setting}`", entry.note
        elif isinstance(entry, Restored):
            what = "kept by the restore"
            source = f'{entry.where}: "{entry.quote}"'
            why = f"{entry.note} ({source})" if entry.note else source
        else:
            what, why = ("not copied yet" if entry.yet else "not copied"), entry.reason
        rows.append(f"| `{path}` | {what} | {_cell(why)} |")
    return "\n".join(rows) + "\n"


DOCS = Path(__file__).resolve().parents[2] / "docs" / "settings.md"
BEGIN = "<!-- table-coverage: begin (generated from tests/template/table_coverage.py) -->\n"
END = "<!-- table-coverage: end -->\n"


def docs_matrix(text: str) -> str:
    """The generated part of docs/settings.md, between its markers."""
    found = re.search(re.escape(BEGIN) + r"(.*?)" + re.escape(END), text, re.DOTALL)
    if found is None:
        raise ValueError(f"{DOCS.name} has no table-coverage markers")
    return found.group(1)


def rewrite_docs() -> None:
    text = DOCS.read_text(encoding="utf-8")
    DOCS.write_text(text.replace(BEGIN + docs_matrix(text) + END, BEGIN + render_matrix() + END), encoding="utf-8")


if __name__ == "__main__":
    rewrite_docs()
