"""The fault spec grammar: every field read and printed back; a wrong spec refused, naming the rule and the fault."""

from __future__ import annotations

import io

import pytest

from restore_sync_sandbox import fault_spec
from restore_sync_sandbox.fault_spec import FaultSpecError, Rule
from restore_sync_tools.cli import main


def test_the_sandbox_command_refuses_a_bad_fault_spec_before_starting() -> None:
    out, err = io.StringIO(), io.StringIO()

    code = main(["sandbox", "--port", "0", "--faults", "dynamodb:DescribeTable:throttle:p=2"], out=out, err=err)

    assert code == 1
    assert "--faults: fault rule 'dynamodb:DescribeTable:throttle:p=2': p must be between 0 and 1" in err.getvalue()
    assert out.getvalue() == ""


def test_parse_reads_every_field_and_prints_back_the_same_rules() -> None:
    spec = (
        "dynamodb:DescribeTable:throttle:times=3, cloudformation:*:internal:p=0.2:seed=7,"
        " lambda:Invoke:crash:times=1:function=apply:at=end, states:StartExecution:timeout:seconds=1.5:applied=true,"
        " sqs:SendMessage:internal:after=4:code=InternalError:status=503"
    )

    rules = fault_spec.parse(spec)

    assert rules == [
        Rule("dynamodb", "DescribeTable", "throttle", times=3),
        Rule("cloudformation", "*", "internal", probability=0.2, seed=7),
        Rule("lambda", "Invoke", "crash", times=1, function="apply", at="end"),
        Rule("stepfunctions", "StartExecution", "timeout", seconds=1.5, applied=True),
        Rule("sqs", "SendMessage", "internal", after=4, code="InternalError", status=503),
    ]
    assert fault_spec.parse(", ".join(str(rule) for rule in rules)) == rules
    assert [rule.limit for rule in rules] == [3, None, 1, 1, 1]
    assert fault_spec.parse("  ") == []


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("dynamodb:DescribeTable", "expected SERVICE:OPERATION:KIND"),
        ("dynamodb:DescribeTable:explode", "kind 'explode' is not one of throttle, internal"),
        ("dynamodb:DescribeTable:throttle:times", "'times' is not NAME=VALUE"),
        ("dynamodb:DescribeTable:throttle:often=2", "'often=2' is not NAME=VALUE"),
        ("dynamodb:DescribeTable:throttle:times=many", "times='many' is not a valid value"),
        ("dynamodb:DescribeTable:throttle:times=1:times=2", "times is given twice"),
        ("dynamodb:DescribeTable:throttle:p=1.5", "p must be between 0 and 1"),
        ("dynamodb:DescribeTable:throttle:seed=3", "seed needs p"),
        ("dynamodb:DescribeTable:crash", "crash applies to lambda:Invoke only"),
        ("dynamodb:DescribeTable:throttle:function=f", "function= applies to lambda rules only"),
        ("dynamodb:DescribeTable:throttle:seconds=3", "seconds= and applied= apply to timeout only"),
        ("dynamodb:DescribeTable:timeout:at=end", "at= applies to crash and handler-timeout only"),
        ("dynamodb:DescribeTable:internal:status=200", "status must be an HTTP error status"),
        ("dynamodb:Describe-Table:throttle", "operation 'Describe-Table' is not an API operation name"),
        ("dynamodb:DescribeTable:throttle,,sqs:*:internal", "empty rule"),
        ("dynamodb:DescribeTable:timeout:applied=maybe", "applied='maybe' is not a valid value"),
    ],
)
def test_parse_names_the_rule_and_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(FaultSpecError, match=r"fault rule|empty rule") as raised:
        fault_spec.parse(spec)

    assert message in str(raised.value)
