"""A large source made whole: the sizes that would not fit inline, measured on one execution.

The source has 100 alarms, 50 tags, a resource policy of about 20 KB and three auto-scaled indexes. Printed: the
template bytes of the largest change set (CloudFormation takes 51,200 inline; above that the template goes through
the deployment's bucket as TemplateURL), how many templates went through the bucket, the largest payload any state
of the execution took or gave (Step Functions' limit: 262,144 bytes, States.DataLimitExceeded above it) with the
state it was, and the documents the workflow passed by reference.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any

from restore_sync.names import stack_name
from restore_sync_sandbox import examples
from restore_sync_sandbox.deploy import deploy_app
from restore_sync_sandbox.extensions import dynamodb_restore
from restore_sync_sandbox.server import Sandbox
from restore_sync_tools.executions import finished_executions_of, new_events

ROOT = Path(__file__).resolve().parents[1]
SOURCE = "large-source"
TARGET = f"{SOURCE}-restored"
STACK_NAME = "restore-sync"
TEMPLATE_BODY_LIMIT = 51_200
STATE_PAYLOAD_LIMIT = 262_144


def _payloads(events: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """(UTF-8 bytes, where) of every input and output an execution's history shows."""
    found = []
    for event in events:
        for key, details in event.items():
            if not key.endswith("EventDetails") or not isinstance(details, dict):
                continue
            for field in ("input", "output"):
                if isinstance(details.get(field), str):
                    where = f"{details.get('name') or event['type']} ({field})"
                    found.append((len(details[field].encode("utf-8")), where))
    return found


def run() -> dict[str, Any]:
    with Sandbox(virtual=True) as sandbox:
        sandbox.reset()
        outputs = deploy_app(sandbox, ROOT / "template.yaml", STACK_NAME)
        made = examples.make_large_source(lambda service: sandbox.client(service), SOURCE, items=10)
        started = time.perf_counter()
        dynamodb_restore.set_ready_after(TARGET, sandbox.region, 600)
        sandbox.client("dynamodb").restore_table_to_point_in_time(
            SourceTableName=SOURCE, TargetTableName=TARGET, UseLatestRestorableTime=True
        )
        sfn = sandbox.client("stepfunctions")
        [execution] = finished_executions_of(sfn, outputs["StateMachineArn"], TARGET)
        wall = time.perf_counter() - started
        template = sandbox.client("cloudformation").get_template(
            StackName=stack_name(STACK_NAME, TARGET), TemplateStage="Original"
        )["TemplateBody"]
        body = template if isinstance(template, str) else json.dumps(template, sort_keys=True)
        stored = sandbox.client("s3").list_objects_v2(Bucket=outputs["ExecutionDataBucketName"]).get("Contents", [])
        return {
            "status": execution["status"],
            "wall": wall,
            "policy": made["policyBytes"],
            # Each change set's template is the stack's template with one more setting: the last is the largest.
            "template": len(body.encode("utf-8")),
            "viaBucket": sorted(o["Size"] for o in stored if o["Key"].startswith("templates/")),
            "documents": sorted(o["Size"] for o in stored if o["Key"].startswith("documents/")),
            "payload": max(_payloads(new_events(sfn, execution["executionArn"], after_id=0))),
        }


def main() -> None:
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        figures = run()
    size, where = figures["payload"]
    print(
        f"Large source ({examples.LARGE_ALARMS} alarms, {examples.LARGE_TAGS} tags, a {figures['policy']:,}-byte "
        f"resource policy, {len(examples.LARGE_INDEXES)} auto-scaled indexes): execution {figures['status']} "
        f"in {figures['wall']:.1f} s wall time (virtual clock)\n"
        f"  largest change set template: {figures['template']:,} bytes (inline limit {TEMPLATE_BODY_LIMIT:,}); "
        f"{len(figures['viaBucket'])} templates sent through the bucket "
        f"({', '.join(f'{b:,}' for b in figures['viaBucket'])} bytes)\n"
        f"  largest state payload: {size:,} bytes at {where} (limit {STATE_PAYLOAD_LIMIT:,}); "
        f"{len(figures['documents'])} documents passed by reference "
        f"({', '.join(f'{b:,}' for b in figures['documents'])} bytes)"
    )


if __name__ == "__main__":
    main()
