"""What the fault and Lambda error tests share: a function that counts its runs, so a test sees if it really ran."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any

from restore_sync_sandbox.examples import LAMBDA_TRUST
from restore_sync_sandbox.server import Sandbox

# What its handler needs: the sandbox allows a function's calls only as its role's policies allow.
COUNT_RUNS = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "dynamodb:UpdateItem", "Resource": "arn:aws:dynamodb:*:*:table/faults-*"}
    ],
}
# Counts its runs in a DynamoDB item, so a test sees whether (and how often) the handler really ran.
HANDLER_SOURCE = """
import boto3


def count(event, context):
    boto3.client("dynamodb").update_item(
        TableName=event["table"],
        Key={"pk": {"S": "runs"}},
        UpdateExpression="ADD n :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    return {"counted": True}
"""


def new_table(sandbox: Sandbox) -> str:
    """A new table for counting functions to count their runs in."""
    name = f"faults-{uuid.uuid4().hex[:8]}"
    sandbox.client("dynamodb").create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    return name


def runs(sandbox: Sandbox, table: str) -> int:
    """How many times counting functions ran for `table`."""
    item = sandbox.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": "runs"}}).get("Item")
    return int(item["n"]["N"]) if item else 0


def counting_function(sandbox: Sandbox) -> dict[str, Any]:
    """A new function (Timeout 3 s) that counts a run in the table named by its event's `table`; raises
    KeyError on an event without one. Returns CreateFunction's answer."""
    package = f"faults_pkg_{uuid.uuid4().hex[:8]}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{package}/__init__.py", "")
        archive.writestr(f"{package}/handlers.py", HANDLER_SOURCE)
    name = f"fn-{uuid.uuid4().hex[:8]}"
    iam = sandbox.client("iam")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    iam.put_role_policy(RoleName=name, PolicyName="count-runs", PolicyDocument=json.dumps(COUNT_RUNS))
    created: dict[str, Any] = sandbox.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler=f"{package}.handlers.count",
        Code={"ZipFile": buffer.getvalue()},
        Timeout=3,
    )
    return created
