"""`warm_throughput`: the read and write units per second a table and each of its global secondary indexes can take
at once (WarmThroughput), raised on the target to the source's and never lowered.

Every table and index has a warm throughput (DescribeTable's TableWarmThroughputDescription and
GlobalSecondaryIndexWarmThroughputDescription, botocore's DynamoDB model). A restore does not keep the source's: it is
not among what RestoreTableToPointInTime's documentation lists as restored, so the target starts where a new table
does (on-demand 12,000 read and 4,000 write units per second; provisioned, its capacity: the developer guide's
"Understanding DynamoDB warm throughput in different scenarios"). A source pre-warmed for a peak has a target that
is not, and that throttles when it takes the source's traffic.

Warm throughput can be raised and never lowered ("Once increased, warm throughput values can't be decreased";
UpdateTable refuses a lower value with "decreasing WarmThroughput is not supported"). So per part (the table, each
index the target has) and per member, the target is raised to the source's value only where it is below it; a member
at or above is left as it is, and Verify accepts a target at or above the source.

The target's own warm throughput is the one its table document states (read when it became usable). Should it grow
past the source's before the change set runs, DynamoDB refuses the now lower value and the setting fails with that
reason, leaving the target as it is; the next start finds it warmer and reports it unchanged.

Raising it is charged (CHARGED, PRICES below): the plan and the report give the units raised and their one-time cost.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from restore_sync.aws import Aws, TableRef, translated_errors
from restore_sync.settings.base import Fragment, Retarget, Setting, State
from restore_sync.table import warm_units

MEMBERS = ("ReadUnitsPerSecond", "WriteUnitsPerSecond")

# What raising warm throughput costs, in one place. AWS's developer guide
# (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput.html): "Warm throughput values are
# available by default for all tables and secondary indexes at no cost. However, if you proactively increase these
# default warm throughput values to pre-warm the tables, you will be charged for those requests. For more
# information, see Amazon DynamoDB pricing." The price per unit is on AWS's pricing page (PRICING_PAGE), per region;
# no price per unit was available to record here, so PRICES is empty and the cost states the units raised, the
# region and where the price is, with no amount. A region's entry is (USD per read unit per second raised, USD per
# write unit per second raised), charged once for the raise.
CHARGED = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput.html"
PRICING_PAGE = "https://aws.amazon.com/dynamodb/pricing/"
PRICES: dict[str, tuple[Decimal, Decimal]] = {}


def _parts(state: State) -> list[tuple[str, dict[str, int]]]:
    """(`table` or the index's name, its units) for the table and each index of a state."""
    return [("", state["table"]), *sorted(state["indexes"].items())]


def target_state(target: dict[str, Any]) -> State:
    """The target's warm throughput as its table document describes it (restore_sync.table.table_document)."""
    return {
        "table": dict(target.get("warmThroughput") or {}),
        "indexes": {
            index["IndexName"]: dict(index.get("WarmThroughput") or {})
            for index in target.get("globalSecondaryIndexes", [])
        },
    }


def raise_needed(wanted: State, found: State) -> State:
    """The members of `wanted` that `found` is below, with the wanted value: what raising the target takes. A part
    or member found at or above what is wanted is left out (never lowered); one `found` does not state is raised."""
    have = dict(_parts(found))
    needed: State = {"table": {}, "indexes": {}}
    for name, units in _parts(wanted):
        below = {m: v for m, v in units.items() if v > have.get(name, {}).get(m, 0)}
        if not below:
            continue
        if name:
            needed["indexes"][name] = below
        else:
            needed["table"] = below
    return needed


def units_raised(wanted: State, found: State) -> dict[str, int]:
    """The read and write units per second a raise adds, summed over the table and its indexes: only what is above
    what `found` has."""
    have = dict(_parts(found))
    added = dict.fromkeys(MEMBERS, 0)
    for name, units in _parts(raise_needed(wanted, found)):
        for member, value in units.items():
            added[member] += value - have.get(name, {}).get(member, 0)
    return added


def one_time_cost(
    added: dict[str, int], region: str, prices: dict[str, tuple[Decimal, Decimal]] | None = None
) -> dict[str, Any]:
    """What AWS charges, once, for raising the warm throughput by `added` units in `region`: the units, and the amount
    in USD where a price for the region is recorded (`prices`, by default PRICES), else null with where to find it."""
    price = (PRICES if prices is None else prices).get(region)
    amount = None
    where = f"no price for {region} recorded: see {PRICING_PAGE}"
    if price is not None:
        amount = str(added["ReadUnitsPerSecond"] * price[0] + added["WriteUnitsPerSecond"] * price[1])
        where = f"price per unit in {region}: {PRICING_PAGE}"
    return {
        "readUnitsPerSecond": added["ReadUnitsPerSecond"],
        "writeUnitsPerSecond": added["WriteUnitsPerSecond"],
        "region": region,
        "amountUsd": amount,
        "basis": f"charged once for the units raised ({CHARGED}); {where}",
    }


class WarmThroughput(Setting):
    name = "warm_throughput"
    reads = ("dynamodb:DescribeTable",)

    def read(self, aws: Aws, table: TableRef) -> State:
        with translated_errors():
            description = aws.client("dynamodb", table.region).describe_table(TableName=table.name)["Table"]
        indexes = {
            index["IndexName"]: warm_units(index.get("WarmThroughput"))
            for index in description.get("GlobalSecondaryIndexes", [])
        }
        return {
            "table": warm_units(description.get("WarmThroughput")),
            "indexes": {name: units for name, units in sorted(indexes.items()) if units},
        }

    def wanted(self, state: State, retarget: Retarget) -> State:
        # A restore can leave indexes out; only those the target has can be warmed.
        return {**state, "indexes": {i: u for i, u in state["indexes"].items() if i in retarget.target_indexes}}

    def unchanged(self, wanted: State, target: dict[str, Any]) -> str:
        return "the target is already as warm as the source or warmer (warm throughput is never lowered)"

    def cost(self, wanted: State, target: dict[str, Any]) -> dict[str, Any] | None:
        added = units_raised(wanted, target_state(target))
        if not any(added.values()):
            return None
        return one_time_cost(added, str(target.get("region", "")))

    def fragment(self, state: State, target: dict[str, Any]) -> Fragment:
        needed = raise_needed(state, target_state(target))
        properties: dict[str, Any] = {}
        if needed["table"]:
            properties["WarmThroughput"] = dict(needed["table"])
        if needed["indexes"]:
            # Only what this setting sets: the stack merges each index into its own by IndexName.
            properties["GlobalSecondaryIndexes"] = [
                {"IndexName": name, "WarmThroughput": dict(units)} for name, units in sorted(needed["indexes"].items())
            ]
        return Fragment(properties=properties)

    def diff(self, wanted: State, found: State) -> list[dict[str, Any]]:
        # Warmer than the source is as good: only a member below what was wanted is drift.
        below = raise_needed(wanted, found)
        if not below["table"] and not below["indexes"]:
            return []
        return [{"setting": self.name, "wanted": wanted, "found": found}]


SETTING = WarmThroughput()
