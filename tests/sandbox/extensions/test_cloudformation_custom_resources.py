"""Lambda-backed custom resources: AWS's request shape, a PUT response to ResponseURL, GetAtt of its Data."""

from __future__ import annotations

import http.client
import io
import json
import socket
import ssl
import urllib.parse
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation.models import Stack

from restore_sync_sandbox import deploy
from restore_sync_sandbox.examples import LAMBDA_TRUST
from restore_sync_sandbox.extensions import cloudformation_custom_resources, lambda_inprocess
from restore_sync_sandbox.server import Sandbox

# The handler records each request on a queue, then answers as the resource's properties say.
HANDLER_SOURCE = """
import json
import os
import urllib.request

import boto3


def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps(event))
    properties = event["ResourceProperties"]
    if properties.get("Outcome") == "SILENT" and event["RequestType"] != "Delete":
        return
    status = "SUCCESS" if event["RequestType"] == "Delete" else properties.get("Outcome", "SUCCESS")
    body = {
        "Status": status,
        "Reason": properties.get("Reason", "See the details in CloudWatch Log Stream"),
        "PhysicalResourceId": properties.get("PhysicalId", "greeting-1"),
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": {"Greeting": "hello " + properties.get("Name", ""), "Count": properties.get("Count")},
    }
    request = urllib.request.Request(
        event["ResponseURL"], data=json.dumps(body).encode(), method="PUT", headers={"Content-Type": ""}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
"""


@pytest.fixture(autouse=True)
def installed(sandbox: Sandbox) -> Iterator[None]:
    lambda_inprocess.install()
    cloudformation_custom_resources.install()
    yield
    cloudformation_custom_resources.reset()


@pytest.fixture
def function(sandbox: Sandbox) -> dict[str, str]:
    """A function whose handler answers custom resource requests; returns its ARN and the queue of requests."""
    package = f"custom_resource_{uuid.uuid4().hex[:10]}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{package}/__init__.py", "")
        archive.writestr(f"{package}/handlers.py", HANDLER_SOURCE)
    name = f"provider-{uuid.uuid4().hex[:8]}"
    queue_url = sandbox.client("sqs").create_queue(QueueName=name)["QueueUrl"]
    iam = sandbox.client("iam")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    record_requests = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": f"arn:aws:sqs:*:*:{name}"}
    iam.put_role_policy(
        RoleName=name,
        PolicyName="record-requests",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [record_requests]}),
    )
    created = sandbox.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler=f"{package}.handlers.handler",
        Code={"ZipFile": buffer.getvalue()},
        Environment={"Variables": {"QUEUE_URL": queue_url}},
    )
    return {"arn": created["FunctionArn"], "queue_url": queue_url}


def requests_received(sandbox: Sandbox, queue_url: str) -> list[dict[str, Any]]:
    sqs = sandbox.client("sqs")
    received: list[dict[str, Any]] = []
    for _ in range(10):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            break
        for message in messages:
            received.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return received


def template(service_token: str, resource_type: str = "Custom::Greeting", **properties: Any) -> str:
    return json.dumps(
        {
            "Resources": {
                "Greeting": {
                    "Type": resource_type,
                    "Properties": {"ServiceToken": service_token, "Name": "world", "Count": 3, **properties},
                },
                "Queue": {"Type": "AWS::SQS::Queue"},
            },
            "Outputs": {
                "Greeting": {"Value": {"Fn::GetAtt": ["Greeting", "Greeting"]}},
                "Id": {"Value": {"Ref": "Greeting"}},
            },
        }
    )


def describe(sandbox: Sandbox, stack_name: str) -> dict[str, Any]:
    stack: dict[str, Any] = sandbox.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    return stack


def outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def test_patched_moto_attributes_still_exist() -> None:
    assert hasattr(cfn_parsing, "CustomModel"), "moto.cloudformation.parsing.CustomModel is gone"
    assert callable(getattr(Stack, "create_resources", None))
    assert cfn_parsing.resource_class_from_type("Custom::Anything") is cloudformation_custom_resources.CustomResource
    assert (
        cfn_parsing.get_model_map()["AWS::CloudFormation::CustomResource"]
        is cloudformation_custom_resources.CustomResource
    )


@pytest.mark.parametrize("resource_type", ["Custom::Greeting", "AWS::CloudFormation::CustomResource"])
def test_a_success_response_completes_the_stack_and_getatt_reads_its_data(
    sandbox: Sandbox, function: dict[str, str], resource_type: str
) -> None:
    stack_name = f"greeting-{uuid.uuid4().hex[:8]}"
    stack_id = sandbox.client("cloudformation").create_stack(
        StackName=stack_name, TemplateBody=template(function["arn"], resource_type)
    )["StackId"]

    stack = describe(sandbox, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert outputs(stack) == {"Greeting": "hello world", "Id": "greeting-1"}
    [request] = requests_received(sandbox, function["queue_url"])
    assert request["RequestType"] == "Create"
    assert request["ServiceToken"] == function["arn"]
    assert request["StackId"] == stack_id
    assert request["LogicalResourceId"] == "Greeting"
    assert request["ResourceType"] == resource_type
    assert uuid.UUID(request["RequestId"])
    # An https URL, as CloudFormation's pre-signed S3 URLs are; the handler verified its certificate.
    assert request["ResponseURL"].startswith(f"https://{sandbox.host}:")
    assert f"/cloudformation_{sandbox.region}/cfnresponse?" in request["ResponseURL"]
    # Scalars arrive as strings, and the ServiceToken is among the properties.
    assert request["ResourceProperties"] == {"ServiceToken": function["arn"], "Name": "world", "Count": "3"}
    assert "PhysicalResourceId" not in request
    assert "OldResourceProperties" not in request
    resources = sandbox.client("cloudformation").describe_stack_resources(StackName=stack_name)["StackResources"]
    assert {resource["LogicalResourceId"]: resource["PhysicalResourceId"] for resource in resources}[
        "Greeting"
    ] == "greeting-1"


def test_changed_properties_send_an_update_and_deleting_the_stack_sends_a_delete(
    sandbox: Sandbox, function: dict[str, str]
) -> None:
    cloudformation = sandbox.client("cloudformation")
    stack_name = f"greeting-{uuid.uuid4().hex[:8]}"
    cloudformation.create_stack(StackName=stack_name, TemplateBody=template(function["arn"]))

    cloudformation.update_stack(StackName=stack_name, TemplateBody=template(function["arn"], Name="sandbox"))

    stack = describe(sandbox, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert outputs(stack)["Greeting"] == "hello sandbox"
    create, update = requests_received(sandbox, function["queue_url"])
    assert create["RequestType"] == "Create"
    assert update["RequestType"] == "Update"
    assert update["PhysicalResourceId"] == "greeting-1"
    assert update["ResourceProperties"]["Name"] == "sandbox"
    assert update["OldResourceProperties"] == {"ServiceToken": function["arn"], "Name": "world", "Count": "3"}
    assert update["RequestId"] != create["RequestId"]

    cloudformation.delete_stack(StackName=stack_name)

    [delete] = requests_received(sandbox, function["queue_url"])
    assert delete["RequestType"] == "Delete"
    assert delete["PhysicalResourceId"] == "greeting-1"
    assert delete["ResourceProperties"]["Name"] == "sandbox"
    assert "OldResourceProperties" not in delete


def test_a_new_physical_id_in_an_update_response_deletes_the_old_resource(
    sandbox: Sandbox, function: dict[str, str]
) -> None:
    cloudformation = sandbox.client("cloudformation")
    stack_name = f"greeting-{uuid.uuid4().hex[:8]}"
    cloudformation.create_stack(StackName=stack_name, TemplateBody=template(function["arn"]))

    cloudformation.update_stack(StackName=stack_name, TemplateBody=template(function["arn"], PhysicalId="greeting-2"))

    assert outputs(describe(sandbox, stack_name))["Id"] == "greeting-2"
    requests = requests_received(sandbox, function["queue_url"])
    assert [(request["RequestType"], request.get("PhysicalResourceId")) for request in requests] == [
        ("Create", None),
        ("Update", "greeting-1"),
        ("Delete", "greeting-1"),
    ]


def test_a_failed_response_rolls_the_stack_back_with_the_reason(sandbox: Sandbox, function: dict[str, str]) -> None:
    cloudformation = sandbox.client("cloudformation")
    stack_name = f"greeting-{uuid.uuid4().hex[:8]}"
    cloudformation.create_stack(
        StackName=stack_name, TemplateBody=template(function["arn"], Outcome="FAILED", Reason="no greeting today")
    )

    stack = describe(sandbox, stack_name)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert stack["StackStatusReason"] == (
        "The following resource(s) failed to create: [Greeting]. Rollback requested by user."
    )
    create, delete = requests_received(sandbox, function["queue_url"])
    assert create["RequestType"] == "Create"
    assert delete["RequestType"] == "Delete"
    reasons = [
        event.get("ResourceStatusReason", "")
        for event in cloudformation.describe_stack_events(StackName=stack_name)["StackEvents"]
    ]
    expected = (
        "Received response status [FAILED] from custom resource. Message returned: no greeting today "
        f"(RequestId: {create['RequestId']})"
    )
    assert expected in reasons


def test_no_response_fails_the_resource_after_an_hour_on_the_sandbox_clock(
    sandbox: Sandbox, function: dict[str, str]
) -> None:
    started = sandbox.clock.time()
    stack_name = f"greeting-{uuid.uuid4().hex[:8]}"
    sandbox.client("cloudformation").create_stack(
        StackName=stack_name, TemplateBody=template(function["arn"], Outcome="SILENT")
    )

    stack = describe(sandbox, stack_name)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert sandbox.clock.time() - started >= 3600
    events = sandbox.client("cloudformation").describe_stack_events(StackName=stack_name)["StackEvents"]
    assert any(
        "did not receive a response from your Custom Resource" in event.get("ResourceStatusReason", "")
        for event in events
    )


def test_a_sam_app_with_a_custom_resource_deploys_through_deploy_app(sandbox: Sandbox, tmp_path: Path) -> None:
    package = f"deploy_time_{uuid.uuid4().hex[:8]}"
    code = tmp_path / "src" / package
    code.mkdir(parents=True)
    (code / "__init__.py").write_text("")
    (code / "handlers.py").write_text(
        HANDLER_SOURCE.replace('boto3.client("sqs").send_message', "(lambda **_: None)").replace(
            'os.environ["QUEUE_URL"]', "None"
        )
    )
    sam = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Provider": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"CodeUri": "src/", "Handler": f"{package}.handlers.handler", "Runtime": "python3.12"},
            },
            "Snapshot": {
                "Type": "Custom::Snapshot",
                "Properties": {"ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]}, "Name": "deploy"},
            },
        },
        "Outputs": {"Greeting": {"Value": {"Fn::GetAtt": ["Snapshot", "Greeting"]}}},
    }
    template_path = tmp_path / "template.yaml"
    template_path.write_text(json.dumps(sam))

    stack_outputs = deploy.deploy_app(sandbox, template_path, stack_name=f"app-{uuid.uuid4().hex[:8]}")

    assert stack_outputs == {"Greeting": "hello deploy"}


def response_endpoint() -> tuple[str, int]:
    url = urllib.parse.urlsplit(cloudformation_custom_resources.serve().url)
    cloudformation_custom_resources.stop_serving()  # the Sandbox keeps it running
    assert url.scheme == "https"
    assert url.hostname is not None
    assert url.port is not None
    return url.hostname, url.port


def test_the_response_endpoint_is_trusted_through_the_standard_ca_bundle_and_only_for_its_names(
    sandbox: Sandbox,
) -> None:
    host, port = response_endpoint()
    trusting = ssl.create_default_context()  # reads SSL_CERT_FILE, as urllib and urllib3 do
    with socket.create_connection((host, port), timeout=10) as raw, trusting.wrap_socket(raw, server_hostname=host):
        pass
    # Verification is real: under another name (S3's), or without the sandbox's authority, the endpoint is refused.
    untrusting = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    for context, name in (
        (trusting, "cloudformation-custom-resource-response-useast1.s3.amazonaws.com"),
        (untrusting, host),
    ):
        with (
            pytest.raises(ssl.SSLCertVerificationError),
            socket.create_connection((host, port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname=name),
        ):
            pass


def put_over_plain_http(host: str, port: int) -> int:
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request("PUT", "/cloudformation_us-east-1/cfnresponse", body=b"{}")
        return connection.getresponse().status
    finally:
        connection.close()


def test_the_response_endpoint_does_not_answer_plain_http(sandbox: Sandbox) -> None:
    host, port = response_endpoint()
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        put_over_plain_http(host, port)
