"""Deploys a SAM application into the sandbox the way `sam package` and `sam deploy` would.

The template is read as written (CloudFormation short tags included), each function's CodeUri folder is zipped
into an S3 bucket of the sandbox, each state machine's local DefinitionUri is inlined as `Definition`, the SAM
transform runs with aws-sam-translator, and the result is created as a CloudFormation stack.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import yaml
from botocore.exceptions import ClientError
from moto.cloudformation.parsing import NULL_MODELS, get_model_map
from samtranslator.parser.parser import Parser
from samtranslator.translator.arn_generator import ArnGenerator
from samtranslator.translator.translator import Translator
from samtranslator.utils.py27hash_fix import to_py27_compatible_template, undo_mark_unicode_str_in_template
from samtranslator.yaml_helper import intrinsics_multi_constructor

if TYPE_CHECKING:
    from restore_sync_sandbox.server import Sandbox

LOG = logging.getLogger(__name__)

DEFAULT_STACK_NAME = "restore-sync"
# The trail the sandbox account logs management events with (account_trail).
TRAIL_NAME = "management-events"
# moto creates stacks synchronously; the bound only guards against a stack that never settles.
STACK_WAIT_ATTEMPTS = 300
STACK_WAIT_INTERVAL_SECONDS = 0.1
_EXCLUDED_FROM_ZIP = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


class DeployError(RuntimeError):
    """The stack did not reach CREATE_COMPLETE."""


class CloudFormationLoader(yaml.SafeLoader):
    """YAML loader that reads CloudFormation short tags (!Ref, !GetAtt, !Sub, ...) as their long form."""


CloudFormationLoader.add_multi_constructor("!", intrinsics_multi_constructor)


class AnyManagedPolicy(dict[str, str]):
    """Managed-policy map that knows every name: `arn:<partition>:iam::aws:policy/<name>` (no IAM to ask)."""

    def __init__(self, partition: str) -> None:
        super().__init__()
        self.partition = partition

    def get(self, name: str, default: Any = None) -> str:
        return f"arn:{self.partition}:iam::aws:policy/{name}"

    def __bool__(self) -> bool:
        return True


class AnyManagedPolicyLoader:
    """What samtranslator's transform() asks for managed policy ARNs (it calls load())."""

    def __init__(self, partition: str) -> None:
        self.partition = partition

    def load(self) -> dict[str, str]:
        return AnyManagedPolicy(self.partition)


def load_template(path: Path) -> dict[str, Any]:
    """The template at `path` as data, short tags turned into intrinsic functions."""
    loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=CloudFormationLoader)  # noqa: S506 - safe loader
    if not isinstance(loaded, dict):
        raise DeployError(f"{path} is not a template")
    return loaded


def zip_folder(folder: Path) -> bytes:
    """A deterministic zip of `folder` (sorted entries, fixed timestamps) so equal code has one sha256."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if not path.is_file() or _EXCLUDED_FROM_ZIP.intersection(relative.parts) or path.suffix == ".pyc":
                continue
            info = zipfile.ZipInfo(relative.as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def package_template(
    sandbox: Sandbox, template: dict[str, Any], base_dir: Path, bucket: str, prefix: str
) -> dict[str, Any]:
    """Does what `sam package` does, into the sandbox: local CodeUri folders become S3 zips, and local
    DefinitionUri files become inline `Definition`s. Returns a new template."""
    packaged: dict[str, Any] = json.loads(json.dumps(template))
    s3 = sandbox.client("s3")
    uploaded: dict[Path, dict[str, str]] = {}

    def upload(code_uri: str) -> dict[str, str]:
        folder = (base_dir / code_uri).resolve()
        if folder not in uploaded:
            if not folder.is_dir():
                raise DeployError(f"CodeUri {code_uri} is not a folder under {base_dir}")
            # Only the code is zipped: its requirements are already installed in this process's
            # environment, where in-process handlers import them from (sam build would vendor them).
            body = zip_folder(folder)
            key = f"{prefix}/{folder.name}-{hashlib.sha256(body).hexdigest()}.zip"
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            uploaded[folder] = {"Bucket": bucket, "Key": key}
        return dict(uploaded[folder])

    function_globals = packaged.get("Globals", {}).get("Function", {})
    if isinstance(function_globals.get("CodeUri"), str) and not function_globals["CodeUri"].startswith("s3://"):
        function_globals["CodeUri"] = upload(function_globals["CodeUri"])
    for resource in packaged.get("Resources", {}).values():
        properties = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Function":
            code_uri = properties.get("CodeUri")
            if isinstance(code_uri, str) and not code_uri.startswith("s3://"):
                properties["CodeUri"] = upload(code_uri)
        elif resource.get("Type") == "AWS::Serverless::StateMachine":
            definition_uri = properties.get("DefinitionUri")
            if isinstance(definition_uri, str) and not definition_uri.startswith("s3://"):
                # sam package uploads the file to S3 and points DefinitionUri at it; inlining the same JSON as
                # Definition means the same (DefinitionSubstitutions still apply) without an S3 round trip.
                definition_path = base_dir / definition_uri
                properties["Definition"] = json.loads(definition_path.read_text(encoding="utf-8"))
                del properties["DefinitionUri"]
    return packaged


def unsupported_resources(template: dict[str, Any]) -> dict[str, str]:
    """Logical id -> type of every resource moto's CloudFormation skips (creates nothing for)."""
    supported = get_model_map()
    return {
        logical_id: resource["Type"]
        for logical_id, resource in template.get("Resources", {}).items()
        if (resource["Type"] not in supported and not resource["Type"].startswith("Custom::"))
        or resource["Type"] in NULL_MODELS
    }


def transform_template(template: dict[str, Any], parameters: dict[str, str], region: str) -> dict[str, Any]:
    """The SAM transform of `template` for `region`, as CloudFormation would run it."""
    # samtranslator's own transform() reads the region from the process's default boto3 session; a session of
    # our own makes the result depend on `region` only (what `transform()` does, with that one difference).
    ArnGenerator.BOTO_SESSION_REGION_NAME = region
    loader = AnyManagedPolicyLoader(ArnGenerator.get_partition_name(region))
    template = json.loads(json.dumps(template))
    parameter_values: dict[str, Any] = dict(parameters)
    to_py27_compatible_template(template, parameter_values)
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    transformed = translator.translate(template, parameter_values=parameter_values, get_managed_policy_map=loader.load)
    # The translator counts its own calls; publishing to its dummy publisher keeps it from warning at exit.
    translator.metrics.publish()
    return dict(undo_mark_unicode_str_in_template(transformed))


def deploy_app(
    sandbox: Sandbox,
    template_path: str | Path,
    stack_name: str = DEFAULT_STACK_NAME,
    parameters: dict[str, str] | None = None,
) -> dict[str, str]:
    """Packages, transforms and creates the SAM app at `template_path` as stack `stack_name` in the sandbox's
    region; returns the stack outputs (OutputKey -> OutputValue). Raises DeployError if the stack fails."""
    template_path = Path(template_path)
    parameters = dict(parameters or {})
    bucket = f"sandbox-artifacts-{sandbox.account_id}-{sandbox.region}"
    # A second app deployed into the same sandbox shares the bucket.
    _own_bucket(sandbox, bucket)

    template = load_template(template_path)
    packaged = package_template(sandbox, template, template_path.parent, bucket, stack_name)
    transformed = transform_template(packaged, parameters, sandbox.region)
    skipped = unsupported_resources(transformed)
    if skipped:
        LOG.warning(
            "the sandbox creates nothing for these resources of stack %s: %s",
            stack_name,
            ", ".join(f"{logical_id} ({kind})" for logical_id, kind in sorted(skipped.items())),
        )

    # As `sam deploy` does: the template goes to S3 and CloudFormation reads it from there, since a template of
    # this size is over the 51,200 bytes CloudFormation accepts inline.
    body = json.dumps(transformed)
    key = f"{stack_name}/template-{hashlib.sha256(body.encode()).hexdigest()[:16]}.json"
    sandbox.client("s3").put_object(Bucket=bucket, Key=key, Body=body.encode())
    cloudformation = sandbox.client("cloudformation")
    cloudformation.create_stack(
        StackName=stack_name,
        TemplateURL=f"https://{bucket}.s3.{sandbox.region}.amazonaws.com/{key}",
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    for _ in range(STACK_WAIT_ATTEMPTS):
        stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
        status = stack["StackStatus"]
        if status == "CREATE_COMPLETE":
            return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
        if not status.endswith("_IN_PROGRESS"):
            raise DeployError(f"stack {stack_name} is {status}: {stack.get('StackStatusReason', '')}")
        time.sleep(STACK_WAIT_INTERVAL_SECONDS)
    raise DeployError(f"stack {stack_name} did not reach CREATE_COMPLETE: it is {status}")


def account_trail(sandbox: Sandbox, name: str = TRAIL_NAME) -> str:
    """A multi-region trail logging management events, started, as an account where restore-sync works has
    (EventBridge sees the restore calls only through one); returns its ARN. Idempotent."""
    cloudtrail = sandbox.client("cloudtrail")
    bucket = f"sandbox-trail-{sandbox.account_id}-{sandbox.region}"
    _own_bucket(sandbox, bucket)
    try:
        arn: str = cloudtrail.create_trail(Name=name, S3BucketName=bucket, IsMultiRegionTrail=True)["TrailARN"]
    except cloudtrail.exceptions.TrailAlreadyExistsException:
        arn = cloudtrail.get_trail(Name=name)["Trail"]["TrailARN"]
    cloudtrail.put_event_selectors(
        TrailName=name, EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}]
    )
    cloudtrail.start_logging(Name=name)
    return arn


def _own_bucket(sandbox: Sandbox, bucket: str) -> None:
    """Creates `bucket` in the sandbox's region unless this account already has it."""
    location = {} if sandbox.region == "us-east-1" else {"LocationConstraint": sandbox.region}
    try:
        sandbox.client("s3").create_bucket(
            Bucket=bucket, **({"CreateBucketConfiguration": location} if location else {})
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise
