"""AWS access: clients per service and region, made lazily, and the error translations every step shares."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from restore_sync.errors import AwsTransient

# The SDK's standard mode retries throttling and transient errors with jittered backoff (adaptive mode would add
# a client-side rate limiter that AWS calls experimental, and that a warm container carries from one execution
# to the next); what survives it becomes AwsTransient, which the state machine retries with a longer backoff.
_SDK_CONFIG = Config(retries={"mode": "standard", "max_attempts": 6}, connect_timeout=5, read_timeout=30)

# Codes of throttling, and of failures on AWS's side that some services send with a 4xx status.
TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "LimitExceededException",
        "RequestThrottled",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
    }
)

# Anchored at the true end (`\Z`: Python's `$` would accept a trailing newline) and with ASCII digits only (`\d`
# matches any Unicode digit).
_TABLE_ARN = re.compile(r"^arn:(aws[a-z-]*):dynamodb:([a-z0-9-]+):([0-9]{12}):table/([A-Za-z0-9_.-]{3,255})\Z")


@dataclass(frozen=True)
class TableRef:
    """Where a table lives: enough to call any API about it in its own region."""

    name: str
    region: str
    account: str
    partition: str = "aws"

    @property
    def arn(self) -> str:
        return f"arn:{self.partition}:dynamodb:{self.region}:{self.account}:table/{self.name}"

    @classmethod
    def from_arn(cls, arn: str) -> TableRef:
        match = _TABLE_ARN.match(arn)
        if not match:
            raise ValueError(f"not a DynamoDB table ARN: {arn!r}")
        partition, region, account, name = match.groups()
        return cls(name=name, region=region, account=account, partition=partition)


def is_table_arn(text: str) -> bool:
    return bool(_TABLE_ARN.match(text))


@dataclass
class Aws:
    """Makes one client per (service, region) on first use; the session carries credentials and endpoint."""

    region: str
    session: Any = None
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.region)
        if key not in self._clients:
            # One session for all of them: a session loads each service's model once.
            if self.session is None:
                self.session = boto3.session.Session()
            self._clients[key] = self.session.client(service, region_name=key[1], config=_SDK_CONFIG)
        return self._clients[key]


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def translated_errors() -> Iterator[None]:
    """Turns throttling and AWS-side failures (5xx) that outlived the SDK's retries into AwsTransient, which the
    workflow retries."""
    try:
        yield
    except ClientError as error:
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if error_code(error) in TRANSIENT_CODES or status >= 500:
            raise AwsTransient(f"{error_code(error)}: {error}") from error
        raise
