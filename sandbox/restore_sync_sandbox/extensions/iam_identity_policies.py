"""Calls made with a role's credentials are allowed only as that role's policies allow, as AWS allows them.

AWS behaviour reproduced: a Lambda function calls AWS with temporary credentials of its execution role (session
named after the function); every request is authorised against the role's identity policies (inline and
attached) and, for a DynamoDB table with a resource policy, that policy too (`iam_evaluation`). A request that is
not allowed fails before it does anything, with the error AWS sends: `AccessDeniedException` on JSON and
REST-JSON services, `AccessDenied` on query and XML ones (CloudFormation, IAM, STS, S3, CloudWatch),
and AWS's message ("User: <session ARN> is not authorized to perform: <action> on resource: <ARN> because no
identity-based policy allows the <action> action"). Passing a role to CloudFormation (RoleARN on CreateStack,
UpdateStack, CreateChangeSet) also needs iam:PassRole on that role with `iam:PassedToService`
cloudformation.amazonaws.com. sts:GetCallerIdentity is always allowed. Credentials the sandbox minted for a
session that no longer exists (after a reset) fail as an expired token does.

Who is evaluated: only callers presenting credentials minted by `role_credentials` (Lambda functions, through
`lambda_inprocess`). Other credentials are the operator's (tests, the command line, the AWS CLI): unrestricted,
as an administrator's are.

moto internals patched: `BaseResponse.call_action` (every non-S3 service; the operation's parameters are moto's
botocore-parsed `params`, or the URI's) and `S3Response._authenticate_and_authorize_s3_action` (S3 names its IAM
action itself). Denials are serialised by moto's own serializer, so each protocol gets its error shape.

Limits: the resource ARN is derived for the operations in `_RESOURCES` (DynamoDB, Streams, Lambda,
CloudFormation, Step Functions, SQS, CloudWatch, EventBridge, KMS, IAM, Kinesis, S3); another operation is
matched on its action only. Condition keys supplied: aws:PrincipalArn, aws:PrincipalAccount, aws:userid,
aws:RequestedRegion, aws:SecureTransport (true: AWS is reached over TLS), lambda:FunctionArn, iam:PassedToService.
Service-linked roles, permission boundaries and SCPs are not modelled. Calls that AWS services make for
themselves (CloudFormation's resource handlers, Step Functions' service integrations) are not evaluated here;
a request a service makes with its caller's permission is, when the extension that models it asks
(`decide_for_caller`: Lambda decrypting encrypted filter criteria, `lambda_filter_criteria_encryption`).
"""

from __future__ import annotations

import json
import logging
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlparse

from moto.awslambda.models import lambda_backends
from moto.cloudformation.models import cloudformation_backends
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse
from moto.core.utils import get_service_model
from moto.dynamodb.models import dynamodb_backends
from moto.iam.models import iam_backends
from moto.s3 import responses as s3_responses
from moto.s3.exceptions import S3ClientError
from moto.sts.models import sts_backends

from restore_sync_sandbox import iam_evaluation
from restore_sync_sandbox.iam_evaluation import Request

LOG = logging.getLogger(__name__)
_PATCHED = "_restore_sync_identity_policies"

# botocore's service name -> IAM's service prefix, where they differ.
_PREFIXES = {"dynamodbstreams": "dynamodb", "stepfunctions": "states", "monitoring": "cloudwatch"}
# Operations whose IAM action has another name than the operation (AWS's Service Authorization Reference).
_ACTION_NAMES = {("lambda", "Invoke"): "InvokeFunction", ("lambda", "ListVersionsByFunction"): "ListVersionsByFunction"}
# moto's S3 names a few requests by their operation; IAM authorises them as another action.
_S3_ACTION_NAMES = {"HeadBucket": "ListBucket", "ListBucketVersions": "ListBucketVersions"}
_ALWAYS_ALLOWED = frozenset({"sts:GetCallerIdentity"})
# Protocols whose errors AWS names AccessDeniedException; query and XML services say AccessDenied.
_JSON_PROTOCOLS = frozenset({"json", "rest-json"})

_sessions: dict[str, tuple[str, str, str]] = {}  # access key id -> (account, role ARN, session name)
_sessions_lock = threading.Lock()
# Access keys of sessions the sandbox minted and forgot at a reset: still presented, they are expired. Other
# credentials, temporary ones included, are the operator's.
_retired: set[str] = set()
# Every (role ARN, action) allowed since the last reset: what each role really used.
_allowed: set[tuple[str, str]] = set()


class AccessDenied(ServiceException):
    code = "AccessDenied"


class AccessDeniedException(ServiceException):
    code = "AccessDeniedException"


class ExpiredToken(ServiceException):
    code = "ExpiredTokenException"


def role_credentials(account: str, region: str, role_arn: str, session_name: str) -> dict[str, str] | None:
    """Temporary credentials of `role_arn` (as sts:AssumeRole gives), or None when the role does not exist."""
    partition = role_arn.split(":")[1]
    try:
        iam_backends[account][partition].get_role_by_arn(role_arn)
    except Exception:
        return None
    assumed = sts_backends[account][partition].assume_role(
        region_name=region,
        role_session_name=session_name,
        role_arn=role_arn,
        policy="",
        duration=43_200,
        external_id="",
    )
    with _sessions_lock:
        _sessions[assumed.access_key_id] = (account, role_arn, session_name)
    return {
        "AWS_ACCESS_KEY_ID": assumed.access_key_id,
        "AWS_SECRET_ACCESS_KEY": assumed.secret_access_key,
        "AWS_SESSION_TOKEN": assumed.session_token,
    }


def role_policies(account: str, role_arn: str) -> list[Any]:
    """The identity policies of a role: its inline policies and the default version of each attached one."""
    backend = iam_backends[account][role_arn.split(":")[1]]
    role = backend.get_role_by_arn(role_arn)
    documents: list[Any] = [_policy_document(policy) for policy in role.policies.values()]
    for policy in role.managed_policies.values():
        version = next(v for v in policy.versions if v.is_default)
        documents.append(version.document)
    return documents


def _policy_document(policy: Any) -> Any:
    # Stored as given: a document, its JSON text, or (through the query API) URL-encoded JSON.
    if isinstance(policy, str) and policy.startswith("%7B"):
        return unquote(policy)
    return policy


def _caller(headers: Any) -> tuple[str, str, str, str] | None:
    """(account, role ARN, session, access key) of sandbox-minted credentials; None for the operator's."""
    authorization = headers.get("Authorization") or ""
    if "Credential=" not in authorization:
        return None
    key = authorization.split("Credential=", 1)[1].split("/", 1)[0]
    with _sessions_lock:
        found = _sessions.get(key)
    if found is None:
        return None
    account, role_arn, session = found
    return account, role_arn, session, key


def _session_arn(role_arn: str, session: str) -> str:
    partition, account, role = role_arn.split(":")[1], role_arn.split(":")[4], role_arn.rsplit("/", 1)[1]
    return f"arn:{partition}:sts::{account}:assumed-role/{role}/{session}"


def _message(principal: str, action: str, resource: str, decision: str) -> str:
    on = f" on resource: {resource}" if resource else ""
    if decision == iam_evaluation.EXPLICIT_DENY:
        why = "with an explicit deny in an identity-based policy"
    else:
        why = f"because no identity-based policy allows the {action} action"
    return f"User: {principal} is not authorized to perform: {action}{on} {why}"


# ---- the resources of a request -------------------------------------------------------------------------------


def _arn(region: str, account: str, service: str, resource: str, partition: str = "aws") -> str:
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"


def _dynamodb(params: dict[str, Any], region: str, account: str, _: str) -> list[str]:
    for name in ("ResourceArn", "TableArn", "BackupArn", "StreamArn", "SourceTableArn"):
        if isinstance(params.get(name), str):
            return [params[name]]
    tables = [params[n] for n in ("TableName", "SourceTableName", "TargetTableName") if isinstance(params.get(n), str)]
    return [t if t.startswith("arn:") else _arn(region, account, "dynamodb", f"table/{t}") for t in tables[:1]]


def _lambda(params: dict[str, Any], region: str, account: str, operation: str) -> list[str]:
    if isinstance(params.get("UUID"), str):
        return [_arn(region, account, "lambda", f"event-source-mapping:{params['UUID']}")]
    if isinstance(params.get("Resource"), str):
        return [params["Resource"]]
    if operation in ("CreateEventSourceMapping", "ListEventSourceMappings"):
        return []  # no resource type: authorised on "*", with the lambda:FunctionArn condition key
    name = params.get("FunctionName")
    if isinstance(name, str):
        return [name if name.startswith("arn:") else _arn(region, account, "lambda", f"function:{name}")]
    return []


def _cloudformation(params: dict[str, Any], region: str, account: str, _: str) -> list[str]:
    name = params.get("StackName")
    change_set = params.get("ChangeSetName")
    backend = cloudformation_backends[account][region]
    if not isinstance(name, str) and isinstance(change_set, str) and change_set.startswith("arn:"):
        found = backend.change_sets.get(change_set)
        name = getattr(found, "stack_id", None)
    if not isinstance(name, str):
        return []
    if name.startswith("arn:"):
        return [name]
    for stack in backend.stacks.values():
        if stack.name == name and stack.status != "DELETE_COMPLETE":
            return [stack.stack_id]
    return [_arn(region, account, "cloudformation", f"stack/{name}/*")]


def _states(params: dict[str, Any], *_: str) -> list[str]:
    for name in ("executionArn", "stateMachineArn", "mapRunArn", "resourceArn"):
        if isinstance(params.get(name), str):
            return [params[name]]
    return []


def _sqs(params: dict[str, Any], region: str, account: str, _: str) -> list[str]:
    url = params.get("QueueUrl")
    if not isinstance(url, str):
        return []
    owner, name = urlparse(url).path.strip("/").split("/")[-2:]
    return [_arn(region, owner, "sqs", name)]


def _cloudwatch(params: dict[str, Any], region: str, account: str, _: str) -> list[str]:
    if isinstance(params.get("ResourceARN"), str):
        return [params["ResourceARN"]]
    names = list(params.get("AlarmNames") or []) + ([params["AlarmName"]] if params.get("AlarmName") else [])
    return [_arn(region, account, "cloudwatch", f"alarm:{name}") for name in names]


def _events(params: dict[str, Any], region: str, account: str, operation: str) -> list[str]:
    if isinstance(params.get("ResourceARN"), str):
        return [params["ResourceARN"]]
    rule = params.get("Rule") or (params.get("Name") if "Rule" in operation or operation == "PutRule" else None)
    return [_arn(region, account, "events", f"rule/{rule}")] if isinstance(rule, str) else []


def _kms(params: dict[str, Any], region: str, account: str, _: str) -> list[str]:
    key = params.get("KeyId")
    if not isinstance(key, str) or key.startswith("alias/"):
        return []
    return [key if key.startswith("arn:") else _arn(region, account, "kms", f"key/{key}")]


def _iam(params: dict[str, Any], _region: str, account: str, _: str) -> list[str]:
    if isinstance(params.get("PolicySourceArn"), str):
        return [params["PolicySourceArn"]]
    if isinstance(params.get("RoleName"), str):
        return [f"arn:aws:iam::{account}:role/{params['RoleName']}"]
    return []


def _kinesis(params: dict[str, Any], region: str, account: str, _: str) -> list[str]:
    if isinstance(params.get("StreamARN"), str):
        return [params["StreamARN"]]
    name = params.get("StreamName")
    return [_arn(region, account, "kinesis", f"stream/{name}")] if isinstance(name, str) else []


_RESOURCES: dict[str, Callable[[dict[str, Any], str, str, str], list[str]]] = {
    "dynamodb": _dynamodb,
    "dynamodbstreams": _dynamodb,
    "lambda": _lambda,
    "cloudformation": _cloudformation,
    "stepfunctions": _states,
    "sqs": _sqs,
    "cloudwatch": _cloudwatch,
    "events": _events,
    "kms": _kms,
    "iam": _iam,
    "kinesis": _kinesis,
}


def _condition_keys(
    service: str, operation: str, params: dict[str, Any], region: str, account: str, role_arn: str, session: str
) -> dict[str, str]:
    partition = role_arn.split(":")[1]
    role = iam_backends[account][partition].get_role_by_arn(role_arn)
    keys = {
        "aws:PrincipalArn": role_arn,
        "aws:PrincipalAccount": account,
        "aws:userid": f"{role.id}:{session}",
        "aws:RequestedRegion": region,
        "aws:SecureTransport": "true",
    }
    if service == "lambda":
        function = params.get("FunctionName")
        if isinstance(params.get("UUID"), str):
            mapping = lambda_backends[account][region]._event_source_mappings.get(params["UUID"])
            function = getattr(mapping, "function_arn", None)
        if isinstance(function, str):
            keys["lambda:FunctionArn"] = (
                function if function.startswith("arn:") else _arn(region, account, "lambda", f"function:{function}")
            )
    return keys


def _resource_policy(service: str, resources: list[str], region: str, account: str) -> str | None:
    if service not in ("dynamodb", "dynamodbstreams") or not resources:
        return None
    # A stream's own policy governs it; the table's governs the table and its indexes.
    resource = resources[0] if "/stream/" in resources[0] else resources[0].split("/index/")[0]
    found = dynamodb_backends[account][region].resource_policies.get(resource)
    return None if found is None else str(found.policy_doc)


# Transactions are authorised as their parts (DynamoDB's "Using IAM with DynamoDB transactions").
_TRANSACTION_PARTS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def _actions(
    service: str, operation: str, params: dict[str, Any], region: str, account: str
) -> list[tuple[str, tuple[str, ...]]]:
    """The (action, resources) pairs a request is authorised as: usually one, one per part of a transaction."""
    prefix = _PREFIXES.get(service, service)
    if service == "dynamodb" and operation in ("TransactWriteItems", "TransactGetItems"):
        parts = []
        for item in params.get("TransactItems") or []:
            for kind, part in item.items():
                table = _dynamodb(part, region, account, operation)
                parts.append((f"dynamodb:{_TRANSACTION_PARTS[kind]}", tuple(table)))
        return parts
    if service == "dynamodb" and operation in ("BatchWriteItem", "BatchGetItem"):
        tables = [
            _dynamodb({"TableName": name}, region, account, operation)[0] for name in params.get("RequestItems") or {}
        ]
        return [(f"dynamodb:{operation}", (table,)) for table in tables]
    action = f"{prefix}:{_ACTION_NAMES.get((service, operation), operation)}"
    resources = _RESOURCES.get(service, lambda *_: [])(params, region, account, operation)
    return [(action, tuple(resources))]


def decide(
    caller: tuple[str, str, str, str], service: str, operation: str, params: dict[str, Any], region: str
) -> tuple[str, str, str] | None:
    """None when the call is allowed; else (decision, action, resource) of the first request refused."""
    account, role_arn, session, _ = caller
    keys = _condition_keys(service, operation, params, region, account, role_arn, session)
    asked = [
        (action, resources, keys)
        for action, resources in _actions(service, operation, params, region, account)
        if action not in _ALWAYS_ALLOWED
    ]
    passed_role = params.get("RoleARN") if service == "cloudformation" else None
    if isinstance(passed_role, str):
        asked.append(("iam:PassRole", (passed_role,), {**keys, "iam:PassedToService": "cloudformation.amazonaws.com"}))
    return _first_refusal(caller, service, region, asked)


def _first_refusal(
    caller: tuple[str, str, str, str],
    service: str,
    region: str,
    asked: Sequence[tuple[str, tuple[str, ...], Mapping[str, str]]],
) -> tuple[str, str, str] | None:
    """Evaluates each (action, resources, condition keys) for the caller's role, with a table's resource policy
    where one applies; (decision, action, resource) of the first refused, or None, recording what was allowed."""
    account, role_arn, session, _ = caller
    principal = _session_arn(role_arn, session)
    requests = [Request(action, principal, account, resources, keys) for action, resources, keys in asked]
    policies = role_policies(account, role_arn) if requests else []
    for request in requests:
        resource_policy = _resource_policy(service, list(request.resources), region, account)
        decision = iam_evaluation.evaluate(request, policies, resource_policy)
        if not decision.allowed:
            return decision.decision, request.action, ",".join(request.resources)
    with _sessions_lock:
        _allowed.update((role_arn, request.action) for request in requests)
    return None


def decide_for_caller(
    headers: Any, action: str, resources: tuple[str, ...], region: str, keys: dict[str, str]
) -> str | None:
    """A request a service makes with the permissions of its caller (a forward access session: Lambda asking KMS
    to decrypt a mapping's filter criteria for the caller of GetEventSourceMapping), authorised against the
    caller's role: None when allowed (or the caller is the operator), else AWS's AccessDenied message. `keys` adds
    the request's own condition keys (kms:ViaService)."""
    caller = _caller(headers)
    if caller is None:
        return None
    account, role_arn, session, _ = caller
    service, _, operation = action.partition(":")
    base = _condition_keys(service, operation, {}, region, account, role_arn, session)
    refused = _first_refusal(caller, service, region, [(action, resources, {**base, **keys})])
    if refused is None:
        return None
    decision, _, resource = refused
    return _message(_session_arn(role_arn, session), action, resource, decision)


def _service_of(response: BaseResponse) -> str:
    return str(getattr(response, "boto3_service_name", "") or response.service_name)


def _params(response: BaseResponse) -> dict[str, Any]:
    params = dict(getattr(response, "params", None) or {})
    params.update({k: unquote(v) for k, v in (getattr(response, "uri_match", None) or {}).items()})
    if not params and response.body:
        try:
            parsed = json.loads(response.body)
            params = parsed if isinstance(parsed, dict) else {}
        except (TypeError, ValueError):
            params = {}
    return params


def _denial(response: BaseResponse) -> ServiceException | None:
    caller = _caller(response.headers)
    if caller is None:
        authorization = response.headers.get("Authorization") or ""
        key = authorization.split("Credential=", 1)[1].split("/", 1)[0] if "Credential=" in authorization else ""
        with _sessions_lock:
            retired = key in _retired
        if retired:
            # Temporary credentials of a session the sandbox minted and has forgotten (it was reset).
            return ExpiredToken("The security token included in the request is expired")
        return None
    service = _service_of(response)
    operation = response._get_action() or ""
    refused = decide(caller, service, operation, _params(response), response.region)
    if refused is None:
        return None
    decision, action, resource = refused
    message = _message(_session_arn(caller[1], caller[2]), action, resource, decision)
    protocol = get_service_model(response.boto3_service_name).protocol
    error: ServiceException = (AccessDeniedException if protocol in _JSON_PROTOCOLS else AccessDenied)(message)
    return error


def _authorised(original: Callable[..., Any]) -> Callable[..., Any]:
    def call_action(self: BaseResponse) -> Any:
        error = _denial(self)
        if error is None:
            return original(self)
        with warnings.catch_warnings():
            # moto warns when a service's model does not declare the error; AWS sends it all the same.
            warnings.simplefilter("ignore", UserWarning)
            return self.serialized(ActionResult(error))

    setattr(call_action, _PATCHED, True)
    return call_action


def _authorised_s3(original: Callable[..., Any]) -> Callable[..., Any]:
    def authorise(self: Any, bucket_name: str | None = None, key_name: str | None = None) -> None:
        caller = _caller(self.headers)
        if caller is not None:
            named = str(self.data.get("Action", ""))
            action = f"s3:{_S3_ACTION_NAMES.get(named, named)}"
            resource = f"arn:aws:s3:::{bucket_name or '*'}" + (f"/{key_name}" if key_name else "")
            keys = _condition_keys("s3", action, {}, self.region, caller[0], caller[1], caller[2])
            if _first_refusal(caller, "s3", self.region, [(action, (resource,), keys)]) is not None:
                raise S3ClientError("AccessDenied", "Access Denied")
        original(self, bucket_name=bucket_name, key_name=key_name)

    setattr(authorise, _PATCHED, True)
    return authorise


def allowed_calls() -> set[tuple[str, str]]:
    """(role ARN, action) of every call allowed since the last reset."""
    with _sessions_lock:
        return set(_allowed)


def reset() -> None:
    with _sessions_lock:
        _retired.update(_sessions)
        _sessions.clear()
        _allowed.clear()


def install() -> None:
    if not getattr(BaseResponse.call_action, _PATCHED, False):
        BaseResponse.call_action = _authorised(BaseResponse.call_action)  # type: ignore[method-assign]
    s3_response = s3_responses.S3Response
    if not getattr(s3_response._authenticate_and_authorize_s3_action, _PATCHED, False):
        s3_response._authenticate_and_authorize_s3_action = _authorised_s3(  # type: ignore[method-assign]
            s3_response._authenticate_and_authorize_s3_action
        )
