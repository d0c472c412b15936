"""What every step handler shares: the logger, the metrics, and the runtime read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics

from restore_sync.aws import Aws
from restore_sync.handlers.config import Config
from restore_sync.history.store import History

logger = Logger(service="restore-sync")
metrics = Metrics(namespace="RestoreSync", service="restore-sync")


@dataclass(frozen=True)
class Runtime:
    config: Config
    aws: Aws
    region: str
    account: str
    partition: str


@cache
def _aws(region: str, endpoint: str | None) -> Aws:
    # One set of clients per warm container (and per endpoint, which only ever changes in the local sandbox).
    return Aws(region=region)


def runtime(context: Any, execution: str | None) -> Runtime:
    """Sets the execution id as the correlation id and reads the configuration: the edge of every handler."""
    logger.set_correlation_id(execution)
    region = os.environ["AWS_REGION"]
    # The function's own ARN says where the deployment is: arn:<partition>:lambda:<region>:<account>:function:...
    arn = str(context.invoked_function_arn).split(":")
    return Runtime(
        config=Config.from_env(os.environ),
        aws=_aws(region, os.environ.get("AWS_ENDPOINT_URL")),
        region=region,
        account=arn[4],
        partition=arn[1],
    )


def settings_history(rt: Runtime) -> History | None:
    """The deployment's settings history, or None when it keeps none."""
    config = rt.config
    if not config.history_table:
        return None
    return History(rt.aws.client("dynamodb"), config.history_table, config.history_retention_days)
