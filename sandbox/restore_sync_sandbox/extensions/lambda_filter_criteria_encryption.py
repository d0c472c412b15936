"""Lambda event source mappings whose filter criteria are encrypted with a customer managed key, read back as in AWS.

AWS behaviour reproduced (Lambda API reference, EventSourceMappingConfiguration.FilterCriteria, KMSKeyArn and
FilterCriteriaError; developer guide, "Encryption of filter criteria"):
- A mapping created or updated with `KMSKeyArn` keeps it, and CreateEventSourceMapping, UpdateEventSourceMapping,
  GetEventSourceMapping, ListEventSourceMappings and DeleteEventSourceMapping return it (moto stores it; so does
  `MetricsConfig`, which needs nothing more than moto does).
- ListEventSourceMappings shows the filter criteria of such a mapping as null, whoever calls it.
- GetEventSourceMapping and DeleteEventSourceMapping show them in plain text when Lambda can decrypt them for
  the caller; when it cannot, `FilterCriteria` is left out and `FilterCriteriaError` says why, with the KMS
  exception as `ErrorCode`: `NotFoundException` (the key does not exist), `AccessDeniedException` (the caller
  may not kms:Decrypt with it), `DisabledException` (it is disabled), `KMSInvalidStateException` (it is pending
  deletion). Lambda decrypts with the caller's permission: a caller with a role's credentials (a function of the
  sandbox) needs kms:Decrypt on the key in its role's policies, with `kms:ViaService` lambda.<region>.amazonaws.com
  and `kms:CallerAccount` as condition keys (`iam_identity_policies.decide_for_caller`); the operator's
  credentials may decrypt, unless `deny_decrypt(key_arn)` says no caller may.
- A mapping without `KMSKeyArn` (filter criteria encrypted with a key Lambda owns) is returned as before.

moto internals patched: `LambdaResponse.list_event_source_mappings`, `get_event_source_mapping` and
`delete_event_source_mapping` (wrapped: the JSON moto answers is edited). The key is looked up in moto's KMS
backend of the key ARN's account and region.

Limits: the filter criteria are not really encrypted, and Create and Update answer them in plain text as they
were sent (the API reference does not say what those responses show). Create and Update do not check that the
key exists or that the caller may use it (AWS calls KMS and refuses a key it cannot use). The key's own key
policy is not evaluated (a key policy that lets IAM policies grant its use, as the default one does, is
assumed). The messages of `FilterCriteriaError` are KMS's usual wording, not copied from a real Lambda answer;
the caller in the message of `deny_decrypt` is the account root. Filters are not applied to the records
delivered (moto delivers every record, filtered or not).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from moto.awslambda.responses import LambdaResponse
from moto.kms.models import kms_backends

from restore_sync_sandbox.extensions import iam_identity_policies

_lock = threading.Lock()
_originals: dict[str, Callable[..., Any]] = {}
_denied: set[str] = set()

# The LambdaResponse methods wrapped, and whether the filter criteria they answer are decrypted (else redacted).
WRAPPED = {
    "list_event_source_mappings": False,
    "get_event_source_mapping": True,
    "delete_event_source_mapping": True,
}


def deny_decrypt(*key_arns: str) -> None:
    """Makes every caller lack kms:Decrypt on these keys: Get and Delete answer FilterCriteriaError for the
    mappings they encrypt. `reset()` takes it back."""
    with _lock:
        _denied.update(key_arns)


def reset() -> None:
    """Every caller may decrypt with every key again."""
    with _lock:
        _denied.clear()


def decrypt_error(key_arn: str, headers: Any = None, region: str | None = None) -> dict[str, str] | None:
    """The FilterCriteriaError Lambda would answer for filter criteria encrypted with `key_arn` to the caller of a
    request with `headers` to Lambda in `region`; None when the caller can read them."""
    parts = key_arn.split(":", 5)
    if len(parts) < 6 or parts[2] != "kms":
        return {"ErrorCode": "NotFoundException", "Message": f"Invalid keyId '{key_arn}'"}
    region, account = parts[3], parts[4]
    backend = kms_backends[account][region]
    try:
        key = backend.keys[backend.any_id_to_key_id(key_arn)]
    except (KeyError, TypeError, AttributeError):
        return {"ErrorCode": "NotFoundException", "Message": f"Key '{key_arn}' does not exist"}
    with _lock:
        denied = key_arn in _denied or key.arn in _denied
    if denied:
        return {
            "ErrorCode": "AccessDeniedException",
            "Message": (
                f"User: arn:aws:iam::{account}:root is not authorized to perform: kms:Decrypt on resource: "
                f"{key.arn} because no identity-based policy allows the kms:Decrypt action"
            ),
        }
    if headers is not None:
        via = f"lambda.{region or parts[3]}.amazonaws.com"
        refused = iam_identity_policies.decide_for_caller(
            headers,
            "kms:Decrypt",
            (key.arn,),
            region or parts[3],
            {"kms:ViaService": via, "kms:CallerAccount": account},
        )
        if refused is not None:
            return {"ErrorCode": "AccessDeniedException", "Message": refused}
    if key.key_state == "Disabled":
        return {"ErrorCode": "DisabledException", "Message": f"{key.arn} is disabled."}
    if key.key_state == "PendingDeletion":
        return {"ErrorCode": "KMSInvalidStateException", "Message": f"{key.arn} is pending deletion."}
    return None


def shown(
    configuration: dict[str, Any], decrypted: bool, headers: Any = None, region: str | None = None
) -> dict[str, Any]:
    """A mapping's configuration as the caller sees it: encrypted filter criteria null (List), or in plain text
    when they can be decrypted and replaced by FilterCriteriaError when not (Get, Delete)."""
    key_arn = configuration.get("KMSKeyArn")
    if not key_arn or configuration.get("FilterCriteria") is None:
        return configuration
    if not decrypted:
        return {**configuration, "FilterCriteria": None}
    error = decrypt_error(key_arn, headers, region)
    if error is None:
        return configuration
    return {**{k: v for k, v in configuration.items() if k != "FilterCriteria"}, "FilterCriteriaError": error}


def _wrap(name: str, decrypted: bool) -> Callable[..., Any]:
    original = _originals[name]

    def wrapped(self: LambdaResponse) -> Any:
        answer = original(self)
        if isinstance(answer, str):  # ListEventSourceMappings answers only the body
            body = json.loads(answer)
            body["EventSourceMappings"] = [shown(m, decrypted) for m in body.get("EventSourceMappings", [])]
            return json.dumps(body)
        status, headers, text = answer
        if not 200 <= int(status) < 300 or not text:
            return answer
        return status, headers, json.dumps(shown(json.loads(text), decrypted, self.headers, self.region))

    wrapped.__name__ = name
    return wrapped


def install() -> None:
    """Wraps the three responses once; later calls do nothing."""
    with _lock:
        if _originals:
            return
        for name in WRAPPED:
            if not callable(getattr(LambdaResponse, name, None)):
                raise RuntimeError(f"moto changed: LambdaResponse.{name} is gone")
        for name, decrypted in WRAPPED.items():
            _originals[name] = getattr(LambdaResponse, name)
            setattr(LambdaResponse, name, _wrap(name, decrypted))
