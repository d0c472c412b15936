"""Triggers are read whole: filter criteria encrypted with a customer managed key, the key, and the metrics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib.resources import files
from typing import Any

import boto3
import pytest
from cfnlint.data import schemas
from moto import mock_aws

from restore_sync.aws import Aws, TableRef
from restore_sync.errors import SettingNotExpressible
from restore_sync.settings.document import document_problems, settings_document
from restore_sync.settings.triggers import COPIED, SETTING
from restore_sync_sandbox.examples import consumer_zip, stream_reader
from restore_sync_sandbox.extensions import (
    dynamodb_stream_policies,
    dynamodb_stream_tags,
    lambda_filter_criteria_encryption,
)

REGION = "us-east-1"
TABLE = TableRef("orders", REGION, "123456789012")
FILTERS = {"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]}


@pytest.fixture
def source() -> Iterator[dict[str, Any]]:
    """A table whose one trigger has encrypted filter criteria, a key of its own and metrics."""
    lambda_filter_criteria_encryption.install()
    dynamodb_stream_policies.install()
    dynamodb_stream_tags.install()
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        lam = boto3.client("lambda", region_name=REGION)
        ddb.create_table(
            TableName=TABLE.name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="consumer", AssumeRolePolicyDocument="{}")
        # Lambda maps a stream only to a function whose role may read it.
        iam.put_role_policy(RoleName="consumer", PolicyName="streams", PolicyDocument=json.dumps(stream_reader("*")))
        function = lam.create_function(
            FunctionName="indexer",
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler="consumer.handler",
            Code={"ZipFile": consumer_zip()},
        )["FunctionArn"]
        key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
        lam.create_event_source_mapping(
            EventSourceArn=ddb.describe_table(TableName=TABLE.name)["Table"]["LatestStreamArn"],
            FunctionName=function,
            StartingPosition="LATEST",
            FilterCriteria=FILTERS,
            KMSKeyArn=key,
            MetricsConfig={"Metrics": ["EventCount"]},
        )
        yield {"aws": Aws(region=REGION), "function": function, "key": key}
        lambda_filter_criteria_encryption.reset()


def test_an_encrypted_filter_is_read_with_its_key_and_metrics(source: dict[str, Any]) -> None:
    [mapping] = SETTING.read(source["aws"], TABLE)["mappings"]

    assert mapping["properties"]["FilterCriteria"] == FILTERS
    assert mapping["properties"]["KmsKeyArn"] == source["key"]
    assert mapping["properties"]["MetricsConfig"] == {"Metrics": ["EventCount"]}
    assert "filterCriteriaError" not in mapping


def test_the_copy_sets_the_filter_the_key_and_the_metrics_with_cloudformations_names(source: dict[str, Any]) -> None:
    state = SETTING.read(source["aws"], TABLE)

    [resource] = SETTING.fragment(state, {}).resources.values()

    properties = resource["Properties"]
    assert properties["FilterCriteria"] == FILTERS
    assert (properties["KmsKeyArn"], properties["MetricsConfig"]) == (source["key"], {"Metrics": ["EventCount"]})
    assert "KMSKeyArn" not in properties


def test_a_filter_the_reader_cannot_decrypt_fails_the_copy_and_says_what_to_grant(source: dict[str, Any]) -> None:
    lambda_filter_criteria_encryption.deny_decrypt(source["key"])

    state = SETTING.read(source["aws"], TABLE)

    [mapping] = state["mappings"]
    assert "FilterCriteria" not in mapping["properties"]
    assert mapping["filterCriteriaError"]["errorCode"] == "AccessDeniedException"
    with pytest.raises(SettingNotExpressible) as refused:
        SETTING.fragment(state, {})
    reason = str(refused.value)
    assert "kms:Decrypt" in reason
    assert source["key"] in reason
    assert source["function"] in reason


@pytest.mark.parametrize("decryptable", [True, False], ids=["decrypted", "undecryptable"])
def test_the_settings_document_holds_the_key_the_metrics_and_an_undecryptable_filter(
    source: dict[str, Any], decryptable: bool
) -> None:
    if not decryptable:
        lambda_filter_criteria_encryption.deny_decrypt(source["key"])
    document = settings_document(source["aws"], TABLE, ["stream", "triggers"])
    assert document_problems(json.loads(json.dumps(document, default=str))) == []


def test_a_copy_without_the_key_or_the_metrics_is_drift(source: dict[str, Any]) -> None:
    wanted = SETTING.read(source["aws"], TABLE)
    for missing in ("KmsKeyArn", "MetricsConfig", "FilterCriteria"):
        found = json.loads(json.dumps(wanted))
        del found["mappings"][0]["properties"][missing]
        assert SETTING.diff(wanted, found), missing
    assert SETTING.diff(wanted, wanted) == []


def test_every_property_the_copy_sets_is_one_the_resource_type_has(source: dict[str, Any]) -> None:
    """CloudFormation refuses a property its registry schema lacks (the API's KMSKeyArn is KmsKeyArn there)."""
    providers = json.loads((files(schemas) / "providers" / "us-east-1.json").read_text(encoding="utf-8"))
    schema = json.loads(
        (files(schemas) / "resources" / f"{providers['AWS::Lambda::EventSourceMapping']}.json").read_text("utf-8")
    )
    [resource] = SETTING.fragment(SETTING.read(source["aws"], TABLE), {}).resources.values()
    written = {*resource["Properties"], *COPIED, "DestinationConfig"}
    assert sorted(written - set(schema["properties"])) == []
