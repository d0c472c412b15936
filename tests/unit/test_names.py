"""Governance stack names: valid, deterministic and unique for every legal table name."""

from __future__ import annotations

import re

import pytest

from restore_sync.names import MAX_STACK_NAME, change_set_name, stack_name

VALID_STACK = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")


@pytest.mark.parametrize(
    "table",
    [
        "abc",
        "a" * 255,
        "orders.restored",
        "orders_restored",
        "orders-restored",
        "1st-table",
        "___",
        "...",
        "-._",
        "x" * 200 + "." * 55,
        "UPPER.lower_123",
    ],
)
def test_stack_name_is_valid_for_legal_table_names(table: str) -> None:
    name = stack_name("restore-sync", table)
    assert VALID_STACK.match(name), name
    assert len(name) <= MAX_STACK_NAME
    assert name.startswith("restore-sync-")
    assert "--" not in name


def test_a_prefix_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(ValueError, match="stack prefix"):
        stack_name("rs\n", "orders")


def test_stack_name_is_deterministic() -> None:
    assert stack_name("rs", "orders.v2") == stack_name("rs", "orders.v2")


def test_names_that_read_alike_get_different_stacks() -> None:
    names = {stack_name("rs", t) for t in ("a.b.c", "a_b_c", "a-b-c", "a.b_c", "A.b.c")}
    assert len(names) == 5


def test_long_names_that_share_a_prefix_stay_distinct() -> None:
    a, b = "t" * 254 + "a", "t" * 254 + "b"
    assert stack_name("rs", a) != stack_name("rs", b)
    assert len(stack_name("rs", a)) == MAX_STACK_NAME


def test_stack_name_keeps_a_readable_part() -> None:
    assert stack_name("rs", "orders.restored_1").startswith("rs-orders-restored-1-")


@pytest.mark.parametrize("table", ["ab", "a" * 256, "has space", "slash/no", "", "orders\n", "\norders"])
def test_illegal_table_names_are_refused(table: str) -> None:
    with pytest.raises(ValueError, match="not a DynamoDB table name"):
        stack_name("rs", table)


@pytest.mark.parametrize("prefix", ["1rs", "r_s", "", "x" * 65])
def test_bad_prefix_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="stack prefix"):
        stack_name(prefix, "orders")


def test_change_set_name_is_valid_and_follows_the_template() -> None:
    first = change_set_name("deletion_protection", '{"a": 1}')
    assert VALID_STACK.match(first)
    assert first == change_set_name("deletion_protection", '{"a": 1}')
    assert first != change_set_name("deletion_protection", '{"a": 2}')
