"""Names restore-sync derives: governance stack names and change set names."""

from __future__ import annotations

import hashlib
import re

MAX_STACK_NAME = 128
_HASH_CHARS = 10
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9-]+")
# `\Z`, not `$`: Python's `$` also matches before a trailing newline, so `"orders\n"` would pass.
_STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]*\Z")
TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}\Z")


def short_hash(text: str, chars: int = _HASH_CHARS) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:chars]


def stack_name(prefix: str, table_name: str) -> str:
    """The governance stack of `table_name`: `<prefix>-<readable part>-<hash of the exact name>`.

    Valid for every legal table name (stack names are `[A-Za-z][A-Za-z0-9-]*`, at most 128 characters),
    deterministic, and unique per table: names that read alike (`a.b` and `a_b`) differ in the hash.
    """
    if not TABLE_NAME.match(table_name):
        raise ValueError(f"not a DynamoDB table name: {table_name!r}")
    if not _STACK_NAME.match(prefix) or len(prefix) > 64:
        raise ValueError(f"stack prefix must match [A-Za-z][A-Za-z0-9-]* and be at most 64 long: {prefix!r}")
    readable = _NOT_ALLOWED.sub("-", table_name).strip("-")
    readable = re.sub("-{2,}", "-", readable)
    room = MAX_STACK_NAME - len(prefix) - _HASH_CHARS - 2
    readable = readable[:room].rstrip("-")
    parts = [prefix, readable, short_hash(table_name)] if readable else [prefix, short_hash(table_name)]
    return "-".join(parts)


def change_set_name(setting: str, template_body: str) -> str:
    """Deterministic per setting and template, so a retried step finds the change set it already made."""
    return f"restore-sync-{setting.replace('_', '-')}-{short_hash(template_body, 16)}"


def logical_id(prefix: str, *parts: str) -> str:
    """A CloudFormation logical id (alphanumeric, at most 255) for a resource identified by `parts`.

    Readable from the first part, and unique over all of them: names that differ only in `.`, `_` or `-` get
    different hashes.
    """
    readable = "".join(word[:1].upper() + word[1:] for word in re.split(r"[^A-Za-z0-9]+", parts[0]) if word)
    return f"{prefix}{readable[:64]}{short_hash(chr(0).join(parts), 8)}"
