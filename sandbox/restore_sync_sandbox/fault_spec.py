"""The grammar of fault specs (`restore-sync sandbox --faults SPEC`): rules parsed, checked, errors naming the rule.

This module reads and checks rules; injecting them into AWS calls is the fault_injection extension's
(restore_sync_sandbox.extensions.fault_injection). Grammar of `parse()`:

    SPEC      := RULE ("," RULE)*                      spaces around rules and fields are ignored
    RULE      := SERVICE ":" OPERATION ":" KIND (":" PARAM)*
    SERVICE   := a boto3 client name: dynamodb, cloudformation, lambda, stepfunctions (or states), sqs,
                 application-autoscaling, cloudwatch (or monitoring), events, logs, backup, iam, sts, ...
    OPERATION := an API operation name as AWS spells it (DescribeTable, CreateChangeSet, Invoke), or "*"
    KIND      := throttle | internal | timeout | crash | handler-timeout   (the last two: lambda only)
    PARAM     := times=N        the first N matching calls fail (after `after`); default 1 without p
               | p=P            each matching call fails with probability P in [0, 1] (also probability=P);
                                with times=N as well, at most N fail
               | seed=S         seeds that rule's random.Random (an integer); without it p is not reproducible
               | after=N        the first N matching calls pass untouched
               | function=NAME  lambda only: only this function (its name, not its ARN)
               | code=CODE      throttle, internal: answer this error code instead of the service's
               | status=N       throttle, internal: answer this HTTP status instead
               | seconds=S      timeout: how long the request is held (real seconds, default 2)
               | applied=true   timeout: perform the call, then answer late
               | at=start|end   crash, handler-timeout: before the handler runs (default) or after it ran

    e.g. "dynamodb:DescribeTable:throttle:times=3, cloudformation:*:internal:p=0.2:seed=7,
          lambda:Invoke:crash:times=1:function=restore-sync-apply"

A `Rule` is checked when it is made, parsed or built in Python: one that cannot be used (a kind for another
service, a parameter for another kind, a value out of range) raises FaultSpecError listing every problem.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["throttle", "internal", "timeout", "crash", "handler-timeout"]
KINDS: tuple[Kind, ...] = ("throttle", "internal", "timeout", "crash", "handler-timeout")
# Kinds that answer an API request, and kinds that fail a Lambda invocation wherever it comes from.
REQUEST_KINDS = frozenset({"throttle", "internal", "timeout"})
INVOCATION_KINDS = frozenset({"crash", "handler-timeout"})
DEFAULT_TIMEOUT_SECONDS = 2.0

# Spellings accepted for a service -> the boto3 client name rules are stored under.
_SERVICE_ALIASES = {"states": "stepfunctions", "monitoring": "cloudwatch", "awslambda": "lambda"}


class FaultSpecError(ValueError):
    """A fault rule or spec that cannot be used; the message names the rule and what is wrong with it."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


@dataclass(frozen=True)
class Rule:
    """One fault: which calls it matches, what it answers and how often. See the grammar above."""

    service: str
    operation: str
    kind: Kind
    times: int | None = None
    probability: float | None = None
    seed: int | None = None
    after: int = 0
    function: str | None = None
    code: str | None = None
    status: int | None = None
    seconds: float = DEFAULT_TIMEOUT_SECONDS
    applied: bool = False
    at: Literal["start", "end"] = "start"

    def __post_init__(self) -> None:
        object.__setattr__(self, "service", _SERVICE_ALIASES.get(self.service.lower(), self.service.lower()))
        problems = _problems(self)
        if problems:
            raise FaultSpecError(f"fault rule {self}: {'; '.join(problems)}", problems)

    @property
    def limit(self) -> int | None:
        """How many calls this rule may fail at most (None: no limit)."""
        if self.times is not None:
            return self.times
        return None if self.probability is not None else 1

    def __str__(self) -> str:
        parts = [self.service, self.operation, self.kind]
        defaults = Rule.__dataclass_fields__
        for name, label in (
            ("times", "times"),
            ("probability", "p"),
            ("seed", "seed"),
            ("after", "after"),
            ("function", "function"),
            ("code", "code"),
            ("status", "status"),
            ("seconds", "seconds"),
            ("applied", "applied"),
            ("at", "at"),
        ):
            value = getattr(self, name)
            if value != defaults[name].default:
                parts.append(f"{label}={str(value).lower() if isinstance(value, bool) else value}")
        return ":".join(parts)


def _problems(rule: Rule) -> list[str]:
    problems = []
    if not rule.service or not rule.service.replace("-", "").isalnum():
        problems.append(f"service {rule.service!r} is not a service name (dynamodb, lambda, ...)")
    if not rule.operation or not (rule.operation == "*" or rule.operation.isalnum()):
        problems.append(f"operation {rule.operation!r} is not an API operation name (DescribeTable) or *")
    if rule.kind not in KINDS:
        problems.append(f"kind {rule.kind!r} is not one of {', '.join(KINDS)}")
    if rule.kind in INVOCATION_KINDS and (rule.service != "lambda" or rule.operation not in ("Invoke", "*")):
        problems.append(f"{rule.kind} applies to lambda:Invoke only")
    if rule.function is not None and rule.service != "lambda":
        problems.append("function= applies to lambda rules only")
    if rule.times is not None and rule.times < 0:
        problems.append("times must be 0 or more")
    if rule.probability is not None and not 0.0 <= rule.probability <= 1.0:
        problems.append("p must be between 0 and 1")
    if rule.seed is not None and rule.probability is None:
        problems.append("seed needs p")
    if rule.after < 0:
        problems.append("after must be 0 or more")
    if (rule.code is not None or rule.status is not None) and rule.kind not in ("throttle", "internal"):
        problems.append("code= and status= apply to throttle and internal only")
    if rule.status is not None and not 400 <= rule.status <= 599:
        problems.append("status must be an HTTP error status (400-599)")
    if rule.kind != "timeout" and (rule.seconds != DEFAULT_TIMEOUT_SECONDS or rule.applied):
        problems.append("seconds= and applied= apply to timeout only")
    if not rule.seconds > 0:
        problems.append("seconds must be more than 0")
    if rule.at != "start" and rule.kind not in INVOCATION_KINDS:
        problems.append("at= applies to crash and handler-timeout only")
    if rule.at not in ("start", "end"):
        problems.append("at must be start or end")
    return problems


_PARAMS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "times": ("times", int),
    "p": ("probability", float),
    "probability": ("probability", float),
    "seed": ("seed", int),
    "after": ("after", int),
    "function": ("function", str),
    "code": ("code", str),
    "status": ("status", int),
    "seconds": ("seconds", float),
    "applied": ("applied", lambda text: {"true": True, "false": False}[text.lower()]),
    "at": ("at", str),
}


def parse(spec: str) -> list[Rule]:
    """The rules of a spec in the module docstring's grammar, in order. Raises FaultSpecError naming the rule
    and what is wrong with it. An empty or blank spec is no rules."""
    rules = []
    for text in (part.strip() for part in spec.split(",")):
        if not text:
            if spec.strip():
                raise FaultSpecError(f"empty rule in {spec!r}: rules are separated by single commas")
            continue
        fields = [piece.strip() for piece in text.split(":")]
        if len(fields) < 3:
            raise FaultSpecError(f"fault rule {text!r}: expected SERVICE:OPERATION:KIND[:PARAM=VALUE...]")
        service, operation, kind, *params = fields
        if kind not in KINDS:
            raise FaultSpecError(f"fault rule {text!r}: kind {kind!r} is not one of {', '.join(KINDS)}")
        values: dict[str, Any] = {}
        for param in params:
            name, equals, value = param.partition("=")
            if name not in _PARAMS or not equals or not value:
                raise FaultSpecError(
                    f"fault rule {text!r}: {param!r} is not NAME=VALUE with NAME one of {', '.join(_PARAMS)}"
                )
            attribute, convert = _PARAMS[name]
            if attribute in values:
                raise FaultSpecError(f"fault rule {text!r}: {name} is given twice")
            try:
                values[attribute] = convert(value)
            except (ValueError, KeyError):
                raise FaultSpecError(f"fault rule {text!r}: {name}={value!r} is not a valid value") from None
        try:
            rules.append(Rule(service=service, operation=operation, kind=kind, **values))
        except FaultSpecError as error:
            raise FaultSpecError(f"fault rule {text!r}: {'; '.join(error.problems)}", error.problems) from None
    return rules


__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "INVOCATION_KINDS",
    "KINDS",
    "REQUEST_KINDS",
    "FaultSpecError",
    "Kind",
    "Rule",
    "parse",
]
