"""Source tables configured the way operators configure them, through the ordinary AWS APIs.

Used by the demo, the end-to-end tests and the benchmarks, so all three exercise the same settings. Each maker
returns once the settings history (when the app is deployed) has recorded what it did: in AWS a restore comes
minutes after the settings it restores, long after their CloudTrail events were recorded.
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

from restore_sync_sandbox.extensions import cloudtrail_events, eventbridge_targets

Clients = Callable[[str], Any]

ACCOUNT = "123456789012"
RECOVERY_PERIOD_DAYS = 14
# More than one page of ListTagsOfResource (10 a page), so reading tags must follow the pages.
TAGS = {
    "app": "shop",
    "backup": "daily",
    "compliance": "pci",
    "cost-center": "cc-4711",
    "created-by": "terraform",
    "data-classification": "confidential",
    "env": "prod",
    "owner": "payments-team",
    "region-role": "primary",
    "service": "orders",
    "team": "payments",
    "tier": "1",
}
INDEXES = ("by-status", "by-customer.v2")
# The full source's warm throughput, pre-warmed above where a provisioned table starts (its capacity) on the table
# and on both indexes: a restored table starts at its capacity, so restore-sync raises it (warm_throughput).
FULL_WARM_THROUGHPUT: dict[str, Any] = {
    "table": {"ReadUnitsPerSecond": 1200, "WriteUnitsPerSecond": 600},
    "indexes": {
        "by-customer.v2": {"ReadUnitsPerSecond": 400, "WriteUnitsPerSecond": 200},
        "by-status": {"ReadUnitsPerSecond": 800, "WriteUnitsPerSecond": 300},
    },
}
CONSUMER_CODE = "def handler(event, context):\n    return {'batchItemFailures': []}\n"


# Every example table's keys.
KEY_SCHEMA = ({"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"})
KEY_ATTRIBUTES = ({"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"})


def make_plain(ddb: Any, name: str, items: int) -> None:
    """An on-demand table with the examples' keys and `items` items, and no setting at all: created, not
    restored, so restore-sync must leave it alone unless told to adopt it."""
    ddb.create_table(
        TableName=name,
        KeySchema=list(KEY_SCHEMA),
        AttributeDefinitions=list(KEY_ATTRIBUTES),
        BillingMode="PAY_PER_REQUEST",
    )
    put_items(ddb, name, items)


def make_source(ddb: Any, name: str, items: int) -> None:
    """An on-demand table with the settings every table can have: tags, stream, TTL, PITR, deletion protection,
    one global secondary index, and `items` items."""
    ddb.create_table(
        TableName=name,
        KeySchema=list(KEY_SCHEMA),
        AttributeDefinitions=[*KEY_ATTRIBUTES, {"AttributeName": "status", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[_index("by-status", "status", provisioned=False)],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        Tags=[{"Key": key, "Value": value} for key, value in TAGS.items()],
        DeletionProtectionEnabled=True,
    )
    _common_settings(ddb, name)
    put_items(ddb, name, items)
    settled()


def make_full_source(clients: Clients, name: str, items: int) -> dict[str, Any]:
    """A provisioned table with every setting restore-sync copies: two GSIs, auto scaling on the table and both
    indexes, three stream triggers (one disabled, one filtered with filter criteria encrypted by a customer managed
    key and with metrics), two Kinesis destinations (one disabled),
    contributor insights, alarms (on the table and on an index), a resource policy, the infrequent-access class,
    warm throughput on the table and both indexes (FULL_WARM_THROUGHPUT).
    Returns what was made (function, stream, queue and key ARNs), for tests to break on purpose."""
    ddb = clients("dynamodb")
    ddb.create_table(
        TableName=name,
        KeySchema=list(KEY_SCHEMA),
        AttributeDefinitions=[
            *KEY_ATTRIBUTES,
            {"AttributeName": "status", "AttributeType": "S"},
            {"AttributeName": "customer", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {**_index(index, key, provisioned=True), "WarmThroughput": FULL_WARM_THROUGHPUT["indexes"][index]}
            for index, key in (("by-status", "status"), ("by-customer.v2", "customer"))
        ],
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 5},
        WarmThroughput=FULL_WARM_THROUGHPUT["table"],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        Tags=[{"Key": key, "Value": value} for key, value in TAGS.items()],
        DeletionProtectionEnabled=True,
        TableClass="STANDARD_INFREQUENT_ACCESS",
    )
    _common_settings(ddb, name)
    table_arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    made = {"table": table_arn}
    made.update(_kinesis(clients, name))
    made.update(_triggers(clients, name))
    _contributor_insights(ddb, name)
    _autoscaling(clients("application-autoscaling"), name)
    _alarms(clients("cloudwatch"), name)
    ddb.put_resource_policy(ResourceArn=table_arn, Policy=json.dumps(_policy(table_arn)))
    put_items(ddb, name, items)
    settled()
    return made


# The large source: what a well-watched production table carries, past what fits inline anywhere (a governance
# template over CloudFormation's 51,200 bytes, a settings document over Step Functions' 256 KiB state budget when
# carried several times).
LARGE_ALARMS = 100
LARGE_TAGS = 50
LARGE_INDEXES = ("by-status", "by-customer", "by-region")
LARGE_POLICY_BYTES = 20_000
LARGE_METRICS = (
    "ReadThrottleEvents",
    "WriteThrottleEvents",
    "ConsumedReadCapacityUnits",
    "ConsumedWriteCapacityUnits",
    "SuccessfulRequestLatency",
)


def make_large_source(clients: Clients, name: str, items: int) -> dict[str, Any]:
    """A provisioned table with many settings: LARGE_TAGS tags (DynamoDB's maximum), three GSIs auto-scaled with the
    table (reads and writes), LARGE_ALARMS alarms on the table and its indexes, and a resource policy of about
    LARGE_POLICY_BYTES bytes (DynamoDB allows 20 KB), besides TTL and PITR. Returns the table's ARN (`table`) and
    the policy's size in bytes (`policyBytes`)."""
    ddb = clients("dynamodb")
    # Each tracked change would have the settings-history recorder read the whole table again (some 200 times):
    # the changes are made unseen, and the last one, seen, records them all in one version.
    with contextlib.ExitStack() as unseen:
        for service in ("dynamodb", "cloudwatch", "application-autoscaling"):
            unseen.enter_context(cloudtrail_events.untracked(service))
        ddb.create_table(
            TableName=name,
            KeySchema=list(KEY_SCHEMA),
            AttributeDefinitions=[
                *KEY_ATTRIBUTES,
                *({"AttributeName": index.removeprefix("by-"), "AttributeType": "S"} for index in LARGE_INDEXES),
            ],
            GlobalSecondaryIndexes=[
                _index(index, index.removeprefix("by-"), provisioned=True) for index in LARGE_INDEXES
            ],
            BillingMode="PROVISIONED",
            ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 5},
            Tags=[{"Key": f"tag-{n:02d}", "Value": f"value of tag {n:02d} for {name}"} for n in range(LARGE_TAGS)],
        )
        _common_settings(ddb, name)
        _large_autoscaling(clients("application-autoscaling"), name)
        _large_alarms(clients("cloudwatch"), name)
        put_items(ddb, name, items)
    table_arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    policy = json.dumps(_large_policy(table_arn))
    ddb.put_resource_policy(ResourceArn=table_arn, Policy=policy)
    settled()
    return {"table": table_arn, "policyBytes": len(policy.encode())}


def _large_autoscaling(aas: Any, name: str) -> None:
    resources = [(f"table/{name}", "table")] + [(f"table/{name}/index/{index}", "index") for index in LARGE_INDEXES]
    for resource_id, kind in resources:
        for unit, metric in (
            ("Read", "DynamoDBReadCapacityUtilization"),
            ("Write", "DynamoDBWriteCapacityUtilization"),
        ):
            dimension = f"dynamodb:{kind}:{unit}CapacityUnits"
            aas.register_scalable_target(
                ServiceNamespace="dynamodb",
                ResourceId=resource_id,
                ScalableDimension=dimension,
                MinCapacity=5,
                MaxCapacity=500,
            )
            aas.put_scaling_policy(
                PolicyName=f"{metric}-70",
                ServiceNamespace="dynamodb",
                ResourceId=resource_id,
                ScalableDimension=dimension,
                PolicyType="TargetTrackingScaling",
                TargetTrackingScalingPolicyConfiguration={
                    "TargetValue": 70.0,
                    "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
                },
            )


def _large_alarms(cloudwatch: Any, name: str) -> None:
    for n in range(LARGE_ALARMS):
        metric = LARGE_METRICS[n % len(LARGE_METRICS)]
        index = LARGE_INDEXES[n % len(LARGE_INDEXES)] if n % 2 else None
        dimensions = [{"Name": "TableName", "Value": name}]
        if index:
            dimensions.append({"Name": "GlobalSecondaryIndexName", "Value": index})
        cloudwatch.put_metric_alarm(
            AlarmName=f"{name}-{metric}-{index or 'table'}-{n:03d}",
            AlarmDescription=f"{metric} of {index or 'the table'} above {n + 1} (watch {n:03d})",
            Namespace="AWS/DynamoDB",
            MetricName=metric,
            Dimensions=dimensions,
            Statistic="Average" if metric == "SuccessfulRequestLatency" else "Sum",
            Period=60 * (1 + n % 5),
            EvaluationPeriods=1 + n % 3,
            Threshold=float(n + 1),
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            TreatMissingData="notBreaching",
        )


def _large_policy(table_arn: str) -> dict[str, Any]:
    """A resource policy of LARGE_POLICY_BYTES bytes at most: read grants to many roles of the account."""
    statements: list[dict[str, Any]] = []
    policy: dict[str, Any] = {"Version": "2012-10-17", "Statement": statements}
    for n in range(1000):
        statement = {
            "Sid": f"ReadsForService{n:03d}",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"],
            "Resource": [table_arn, f"{table_arn}/index/*"],
            "Condition": {"StringEquals": {"aws:PrincipalTag/service": f"reporting-service-{n:03d}"}},
        }
        if len(json.dumps({**policy, "Statement": [*statements, statement]})) > LARGE_POLICY_BYTES:
            break
        statements.append(statement)
    return policy


def restore_unannounced(ddb: Any, target: str, **restore: Any) -> None:
    """Restores a table where no trail sees it: like a restore made before restore-sync was deployed, it starts
    no execution, and only a manual start makes it whole. `restore` holds RestoreTableToPointInTime's source
    (`SourceTableName` or `SourceTableArn`; the latest restorable time unless `RestoreDateTime`) or
    RestoreTableFromBackup's `BackupArn`."""
    if "BackupArn" in restore:
        with cloudtrail_events.untracked("dynamodb", ["RestoreTableFromBackup"]):
            ddb.restore_table_from_backup(TargetTableName=target, **restore)
        return
    if "RestoreDateTime" not in restore:
        restore = {"UseLatestRestorableTime": True, **restore}
    with cloudtrail_events.untracked("dynamodb", ["RestoreTableToPointInTime"]):
        ddb.restore_table_to_point_in_time(TargetTableName=target, **restore)


def settled() -> None:
    """Waits until every Lambda function a rule started (the settings-history recorder) has finished."""
    if not eventbridge_targets.wait_for_lambda_deliveries(timeout_seconds=120):
        raise TimeoutError("Lambda functions started by EventBridge rules are still running after 120 s")


def put_items(ddb: Any, name: str, count: int) -> None:
    rows = [
        {
            "pk": {"S": f"customer#{n % 5}"},
            "sk": {"S": f"order#{n:04d}"},
            "status": {"S": ("open", "paid", "shipped")[n % 3]},
            "customer": {"S": f"c{n % 7}"},
            "total": {"N": str(10 * n + 7)},
            "expiresAt": {"N": str(4_102_444_800 + n)},
        }
        for n in range(count)
    ]
    for start in range(0, len(rows), 25):
        batch = [{"PutRequest": {"Item": item}} for item in rows[start : start + 25]]
        ddb.batch_write_item(RequestItems={name: batch})


def count_items(ddb: Any, name: str) -> int:
    return sum(int(page["Count"]) for page in ddb.get_paginator("scan").paginate(TableName=name, Select="COUNT"))


def _index(name: str, key: str, provisioned: bool) -> dict[str, Any]:
    index: dict[str, Any] = {
        "IndexName": name,
        "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
    }
    if provisioned:
        index["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    return index


def _common_settings(ddb: Any, name: str) -> None:
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"})
    ddb.update_continuous_backups(
        TableName=name,
        PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True,
            "RecoveryPeriodInDays": RECOVERY_PERIOD_DAYS,
        },
    )


def _kinesis(clients: Clients, name: str) -> dict[str, str]:
    kinesis, ddb = clients("kinesis"), clients("dynamodb")
    arns = {}
    for stream in (f"{name}-changes", f"{name}-changes-old"):
        kinesis.create_stream(StreamName=stream, ShardCount=1)
        arns[stream] = kinesis.describe_stream(StreamName=stream)["StreamDescription"]["StreamARN"]
    ddb.enable_kinesis_streaming_destination(
        TableName=name,
        StreamArn=arns[f"{name}-changes-old"],
        EnableKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "MILLISECOND"},
    )
    ddb.disable_kinesis_streaming_destination(TableName=name, StreamArn=arns[f"{name}-changes-old"])
    ddb.enable_kinesis_streaming_destination(
        TableName=name,
        StreamArn=arns[f"{name}-changes"],
        EnableKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "MICROSECOND"},
    )
    return {"kinesis": arns[f"{name}-changes"], "kinesisDisabled": arns[f"{name}-changes-old"]}


# A Lambda function's execution role trusts the Lambda service.
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def consumer_zip() -> bytes:
    """The code of a stream consumer that reports no failures."""
    return _zip({"consumer.py": CONSUMER_CODE})


def stream_reader(*tables: str) -> dict[str, Any]:
    """A consumer role's policy: what Lambda needs to read the streams of `tables` (names, `*` allowed)."""
    streams = [f"arn:aws:dynamodb:*:*:table/{t}/stream/*" for t in tables]
    streams += [f"arn:aws:dynamodb:*:*:table/{t}-*/stream/*" for t in tables]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
                "Resource": streams,
            },
            {"Effect": "Allow", "Action": "dynamodb:ListStreams", "Resource": "*"},
        ],
    }


def _triggers(clients: Clients, name: str) -> dict[str, str]:
    iam, lam, sqs, ddb = clients("iam"), clients("lambda"), clients("sqs"), clients("dynamodb")
    role_name = f"{name}-consumer"[:64]
    role = iam.create_role(
        RoleName=role_name,
        AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST),
    )["Role"]["Arn"]
    # Lambda maps a stream to a function only if the function's role can read it: these consumers may read the
    # streams of `name` and of its restored copies (`name-*`).
    iam.put_role_policy(RoleName=role_name, PolicyName="read-streams", PolicyDocument=json.dumps(stream_reader(name)))
    functions = {}
    for suffix in ("audit", "search-indexer", "archiver"):
        functions[suffix] = lam.create_function(
            FunctionName=f"{name}-{suffix}"[:64],
            Runtime="python3.12",
            Role=role,
            Handler="consumer.handler",
            Code={"ZipFile": _zip({"consumer.py": CONSUMER_CODE})},
        )["FunctionArn"]
    failures = sqs.get_queue_attributes(
        QueueUrl=sqs.create_queue(QueueName=f"{name}-trigger-failures")["QueueUrl"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    filter_key = clients("kms").create_key(Description=f"{name} trigger filters")["KeyMetadata"]["Arn"]
    stream = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    lam.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName=functions["audit"],
        StartingPosition="TRIM_HORIZON",
        BatchSize=50,
        MaximumBatchingWindowInSeconds=5,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=0,
        MaximumRecordAgeInSeconds=3600,
        ParallelizationFactor=2,
        DestinationConfig={"OnFailure": {"Destination": failures}},
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    lam.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName=functions["search-indexer"],
        StartingPosition="LATEST",
        BatchSize=100,
        TumblingWindowInSeconds=60,
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT", "MODIFY"]})}]},
        KMSKeyArn=filter_key,
        MetricsConfig={"Metrics": ["EventCount"]},
    )
    lam.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=functions["archiver"], StartingPosition="TRIM_HORIZON", Enabled=False
    )
    return {**{f"function:{k}": v for k, v in functions.items()}, "filterKey": filter_key}


def _contributor_insights(ddb: Any, name: str) -> None:
    # Both modes named: AWS documents no default, and a mode the source does not state is not copied.
    ddb.update_contributor_insights(
        TableName=name, ContributorInsightsAction="ENABLE", ContributorInsightsMode="ACCESSED_AND_THROTTLED_KEYS"
    )
    ddb.update_contributor_insights(
        TableName=name,
        IndexName="by-status",
        ContributorInsightsAction="ENABLE",
        ContributorInsightsMode="THROTTLED_KEYS",
    )


def _autoscaling(aas: Any, name: str) -> None:
    scaled = [
        (f"table/{name}", "dynamodb:table:ReadCapacityUnits", "DynamoDBReadCapacityUtilization"),
        (f"table/{name}", "dynamodb:table:WriteCapacityUnits", "DynamoDBWriteCapacityUtilization"),
    ]
    scaled += [
        (f"table/{name}/index/{index}", "dynamodb:index:ReadCapacityUnits", "DynamoDBReadCapacityUtilization")
        for index in INDEXES
    ]
    for resource_id, dimension, metric in scaled:
        aas.register_scalable_target(
            ServiceNamespace="dynamodb",
            ResourceId=resource_id,
            ScalableDimension=dimension,
            MinCapacity=5,
            MaxCapacity=200,
            SuspendedState={"ScheduledScalingSuspended": dimension.endswith("WriteCapacityUnits")},
        )
        aas.put_scaling_policy(
            PolicyName=f"{metric}-70",
            ServiceNamespace="dynamodb",
            ResourceId=resource_id,
            ScalableDimension=dimension,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 70.0,
                "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
                "ScaleInCooldown": 60,
                "ScaleOutCooldown": 60,
            },
        )
    aas.put_scheduled_action(
        ServiceNamespace="dynamodb",
        ScheduledActionName="business-hours",
        ResourceId=f"table/{name}",
        ScalableDimension="dynamodb:table:ReadCapacityUnits",
        Schedule="cron(0 8 ? * MON-FRI *)",
        Timezone="Europe/Berlin",
        ScalableTargetAction={"MinCapacity": 20, "MaxCapacity": 400},
    )


def _alarms(cloudwatch: Any, name: str) -> None:
    cloudwatch.put_metric_alarm(
        AlarmName=f"{name}-read-throttles",
        Namespace="AWS/DynamoDB",
        MetricName="ReadThrottleEvents",
        Dimensions=[{"Name": "TableName", "Value": name}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=3,
        DatapointsToAlarm=2,
        Threshold=10,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
        AlarmDescription="Reads are being throttled",
    )
    cloudwatch.put_metric_alarm(
        AlarmName="status-index-write-throttles",
        Namespace="AWS/DynamoDB",
        MetricName="WriteThrottleEvents",
        Dimensions=[{"Name": "TableName", "Value": name}, {"Name": "GlobalSecondaryIndexName", "Value": "by-status"}],
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )


def _policy(table_arn: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReportingReads",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": ["dynamodb:GetItem", "dynamodb:Query"],
                "Resource": [table_arn, f"{table_arn}/index/by-status"],
            }
        ],
    }


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return buffer.getvalue()
