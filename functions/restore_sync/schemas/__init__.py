"""The JSON Schemas every start is validated against, and a validator that reads their patterns as ECMA-262 does.

JSON Schema patterns are ECMA-262 regular expressions, where `$` (no multiline flag) matches only at the end of
the text. jsonschema runs them with Python's `re.search`, where `$` also matches before a trailing newline: the
published `^[a-zA-Z0-9_.-]{3,255}$` would accept `"orders\\n"`. `Validator` runs each pattern with its `$`
rewritten to `\\Z` and with ASCII classes (`\\d` is `[0-9]` in ECMA-262, any Unicode digit in Python), so the
published schema means what it says, for every client that reads it and for restore-sync.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from referencing import Registry, Resource

# The manual input (published: docs/input.md links it).
MANUAL_INPUT = "execution-input.schema.json"
# The events the deployment's rules deliver (and anyone may send as an execution's input).
CLOUDTRAIL_RESTORE = "cloudtrail-restore-event.schema.json"
BACKUP_RESTORE_JOB = "backup-restore-job-event.schema.json"
# A table deleted (the DeletedTablesRule): its governance stack may have to go too.
CLOUDTRAIL_DELETE_TABLE = "cloudtrail-delete-table-event.schema.json"
# The envelope the events share (EventBridge's), referred to by the two above.
AWS_EVENT = "aws-event.schema.json"
NAMES = (MANUAL_INPUT, CLOUDTRAIL_RESTORE, BACKUP_RESTORE_JOB, CLOUDTRAIL_DELETE_TABLE, AWS_EVENT)


@cache
def schema(name: str) -> dict[str, Any]:
    """The schema file `name` of this package, as data."""
    return dict(json.loads(resources.files(__name__).joinpath(name).read_text(encoding="utf-8")))


@cache
def _registry() -> Registry[Any]:
    # The schemas refer to each other's $defs by relative URI: each is registered under its $id.
    return Registry().with_resources((schema(n)["$id"], Resource.from_contents(schema(n))) for n in NAMES)


@cache
def ecma_regex(pattern: str) -> re.Pattern[str]:
    """`pattern` compiled for Python with ECMA-262's meaning: every `$` outside a character class becomes `\\Z` (the
    end of the text, never before a trailing newline), and `\\d`, `\\w`, `\\s`, `\\b` are ASCII."""
    out: list[str] = []
    index, in_class = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            # As Python reads it: a `]` right after `[` or `[^` is a literal member, not the end of the class.
            opening = "[^" if pattern.startswith("[^", index) else "["
            member = pattern[index + len(opening) : index + len(opening) + 1]
            out.append(opening + (member if member == "]" else ""))
            index += len(opening) + (member == "]")
            in_class = True
            continue
        elif char == "$":
            char = r"\Z"
        out.append(char)
        index += 1
    return re.compile("".join(out), re.ASCII)


def _pattern(validator: Any, pattern: str, instance: Any, _schema: Any) -> Iterator[jsonschema.ValidationError]:
    if validator.is_type(instance, "string") and not ecma_regex(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, patterns: dict[str, Any], instance: Any, _schema: Any
) -> Iterator[jsonschema.ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if ecma_regex(pattern).search(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, {"pattern": _pattern, "patternProperties": _pattern_properties}
)


def errors(name: str, instance: Any) -> list[jsonschema.ValidationError]:
    """Every way `instance` breaks the schema `name`, in the order of the paths they are about."""
    validator = Validator(schema(name), registry=_registry())
    return sorted(validator.iter_errors(instance), key=lambda error: [str(p) for p in error.absolute_path])
