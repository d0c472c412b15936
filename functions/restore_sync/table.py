"""A table as restore-sync sees it: its description as data, and the template that adopts it unchanged."""

from __future__ import annotations

from typing import Any

from restore_sync.aws import TableRef

TABLE_LOGICAL_ID = "Table"
READY = "ACTIVE"


def table_document(description: dict[str, Any], ref: TableRef) -> dict[str, Any]:
    """The `table` part of the settings document, from DescribeTable's `Table`: deterministic and JSON-safe."""
    billing = description.get("BillingModeSummary", {}).get("BillingMode") or "PROVISIONED"
    indexes = [_index(gsi, billing, with_status=True) for gsi in description.get("GlobalSecondaryIndexes", [])]
    local = [_index(lsi, billing, with_status=False) for lsi in description.get("LocalSecondaryIndexes", [])]
    key_schemas = [
        description["KeySchema"],
        *(i["KeySchema"] for i in indexes),
        *(i["KeySchema"] for i in local),
    ]
    used = {key["AttributeName"] for schema in key_schemas for key in schema}
    doc: dict[str, Any] = {
        "arn": ref.arn,
        "name": ref.name,
        "region": ref.region,
        "account": ref.account,
        "status": description.get("TableStatus", "UNKNOWN"),
        "billingMode": billing,
        "keySchema": description["KeySchema"],
        "attributeDefinitions": sorted(
            (a for a in description.get("AttributeDefinitions", []) if a["AttributeName"] in used),
            key=lambda a: a["AttributeName"],
        ),
        "globalSecondaryIndexes": sorted(indexes, key=lambda i: i["IndexName"]),
        "localSecondaryIndexes": sorted(local, key=lambda i: i["IndexName"]),
        "restoreInProgress": bool(description.get("RestoreSummary", {}).get("RestoreInProgress", False)),
    }
    if billing == "PROVISIONED":
        doc["provisionedThroughput"] = _throughput(description.get("ProvisionedThroughput", {}))
    if description.get("WarmThroughput"):
        doc["warmThroughput"] = warm_units(description["WarmThroughput"])
    sse = description.get("SSEDescription")
    if sse and sse.get("Status") in ("ENABLED", "UPDATING") and sse.get("SSEType") == "KMS":
        doc["sse"] = {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": sse.get("KMSMasterKeyArn")}
    return doc


def _throughput(throughput: dict[str, Any]) -> dict[str, int]:
    return {
        "ReadCapacityUnits": int(throughput.get("ReadCapacityUnits", 0)),
        "WriteCapacityUnits": int(throughput.get("WriteCapacityUnits", 0)),
    }


def warm_units(described: dict[str, Any] | None) -> dict[str, int]:
    """The read and write units per second of a described WarmThroughput, without its Status."""
    return {
        member: int(value)
        for member in ("ReadUnitsPerSecond", "WriteUnitsPerSecond")
        if (value := (described or {}).get(member))
    }


def _index(index: dict[str, Any], billing: str, with_status: bool) -> dict[str, Any]:
    projection = {"ProjectionType": index.get("Projection", {}).get("ProjectionType", "ALL")}
    if index.get("Projection", {}).get("NonKeyAttributes"):
        projection["NonKeyAttributes"] = sorted(index["Projection"]["NonKeyAttributes"])
    doc: dict[str, Any] = {
        "IndexName": index["IndexName"],
        "KeySchema": index["KeySchema"],
        "Projection": projection,
    }
    if with_status:
        doc["IndexStatus"] = index.get("IndexStatus", "ACTIVE")
        if billing == "PROVISIONED":
            doc["ProvisionedThroughput"] = _throughput(index.get("ProvisionedThroughput", {}))
        if index.get("WarmThroughput"):
            doc["WarmThroughput"] = warm_units(index["WarmThroughput"])
    return doc


def unready_parts(doc: dict[str, Any]) -> list[str]:
    """What is not yet usable: the table itself or any of its global secondary indexes."""
    parts = [] if doc["status"] == READY and not doc["restoreInProgress"] else [f"table is {doc['status']}"]
    parts += [
        f"index {i['IndexName']} is {i['IndexStatus']}"
        for i in doc["globalSecondaryIndexes"]
        if i["IndexStatus"] != READY
    ]
    return parts


def table_properties(doc: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation properties that describe the table exactly as it is (nothing added, nothing dropped)."""
    props: dict[str, Any] = {
        "TableName": doc["name"],
        "KeySchema": doc["keySchema"],
        "AttributeDefinitions": doc["attributeDefinitions"],
        "BillingMode": doc["billingMode"],
    }
    if doc["billingMode"] == "PROVISIONED":
        props["ProvisionedThroughput"] = doc["provisionedThroughput"]
    if doc["globalSecondaryIndexes"]:
        # Not described: the index's status, and its warm throughput (a setting of its own, warm_throughput).
        props["GlobalSecondaryIndexes"] = [
            {k: v for k, v in index.items() if k not in ("IndexStatus", "WarmThroughput")}
            for index in doc["globalSecondaryIndexes"]
        ]
    if doc["localSecondaryIndexes"]:
        props["LocalSecondaryIndexes"] = doc["localSecondaryIndexes"]
    if "sse" in doc:
        props["SSESpecification"] = doc["sse"]
    return props


# Properties whose difference from the live table means a different table: CloudFormation replaces on them.
IDENTITY_PROPERTIES = ("TableName", "KeySchema", "LocalSecondaryIndexes")


def identity_properties(doc: dict[str, Any]) -> dict[str, Any]:
    """The properties that say which table this is, as the live table has them."""
    described = table_properties(doc)
    return {name: described[name] for name in IDENTITY_PROPERTIES if name in described}


def import_template(doc: dict[str, Any]) -> dict[str, Any]:
    """The template an IMPORT change set adopts the table with; Retain so the stack can never delete data."""
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"restore-sync governance stack of DynamoDB table {doc['name']}",
        "Resources": {
            TABLE_LOGICAL_ID: {
                "Type": "AWS::DynamoDB::Table",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": table_properties(doc),
            }
        },
    }
