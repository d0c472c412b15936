"""What the workflow retries: throttling and AWS-side failures that outlived the SDK's retries, nothing else."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from restore_sync.aws import translated_errors
from restore_sync.errors import AwsTransient


def client_error(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ThrottlingException", 400),
        ("ProvisionedThroughputExceededException", 400),
        ("InternalServerError", 500),
        ("ServiceUnavailable", 503),
        ("SomethingNewOnAwsSide", 502),
    ],
)
def test_throttling_and_server_side_failures_become_aws_transient(code: str, status: int) -> None:
    with pytest.raises(AwsTransient, match=code), translated_errors():
        raise client_error(code, status)


@pytest.mark.parametrize(
    ("code", "status"), [("ResourceNotFoundException", 400), ("AccessDeniedException", 400), ("ValidationError", 400)]
)
def test_errors_about_the_request_pass_through_unchanged(code: str, status: int) -> None:
    with pytest.raises(ClientError) as raised, translated_errors():
        raise client_error(code, status)
    assert not isinstance(raised.value, AwsTransient)
    assert raised.value.response["Error"]["Code"] == code
