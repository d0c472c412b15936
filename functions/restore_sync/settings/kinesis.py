"""`kinesis`: the table's ACTIVE Kinesis Data Streams destination, with its creation-time precision.

Disabled (or failed) destinations are history, not configuration, and are not copied. CloudFormation's table
holds one destination (KinesisStreamSpecification); a source streaming to several cannot be expressed, and the
setting fails saying so rather than copying some of them. Enabled, the destination receives the restored table's
writes in the stream the source writes to: `side-by-side` holds it (restore_sync.workflow.hold).
"""

from __future__ import annotations

from typing import Any

from restore_sync.aws import Aws, TableRef, translated_errors
from restore_sync.errors import SettingNotExpressible
from restore_sync.settings.base import Fragment, Setting, State

COPIED = ("ACTIVE", "ENABLING", "UPDATING")


class Kinesis(Setting):
    name = "kinesis"
    reads = ("dynamodb:DescribeKinesisStreamingDestination",)

    def read(self, aws: Aws, table: TableRef) -> State:
        with translated_errors():
            described = aws.client("dynamodb", table.region).describe_kinesis_streaming_destination(
                TableName=table.name
            )
        destinations = [
            {
                "streamArn": d["StreamArn"],
                "precision": d.get("ApproximateCreationDateTimePrecision") or "MILLISECOND",
            }
            for d in described.get("KinesisDataStreamDestinations", [])
            if d.get("DestinationStatus") in COPIED
        ]
        return {"destinations": sorted(destinations, key=lambda d: d["streamArn"])}

    def fragment(self, state: State, target: dict[str, Any]) -> Fragment:
        destinations = state["destinations"]
        if not destinations:
            return Fragment()
        if len(destinations) > 1:
            raise SettingNotExpressible(
                f"the source streams to {len(destinations)} Kinesis data streams; a CloudFormation table holds "
                "one (KinesisStreamSpecification): enable the others on the target by hand"
            )
        spec = {
            "StreamArn": destinations[0]["streamArn"],
            "ApproximateCreationDateTimePrecision": destinations[0]["precision"],
        }
        return Fragment(properties={"KinesisStreamSpecification": spec})


SETTING = Kinesis()
