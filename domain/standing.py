"""Where an approved plan's items stand at the end of each quarter: what the province
recap counts (`services.recap`), worked out once per change rather than per recap.

**Progress** of an item at quarter *q* is the percent realised in its commitment's latest
*verified* report of a quarter up to *q* that names it (realisation is reported
cumulatively, so the latest is the current one); with none, 0 % and Rp 0. Only verified
figures count: those the province checked. **Expected** is what the item's quarter
targets (or, without them, its last due quarter) expect by the end of *q*
(`domain.plan.expected_percent`); an item below it is behind schedule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domain.plan import expected_percent

QUARTERS = (1, 2, 3, 4)
ISSUE_PHASE = "issue_phase"
"""The kind of the recap's strategic issue × phase groups, coded "issue.phase"."""
TOTAL = "all"
"""The code of a kind's total: every item serving any code of the kind, counted once."""
DONE_HUNDREDTHS = 100_00
"""An item is done at 100 %, as the standing rows keep percents (hundredths)."""
HUNDRED = Decimal(100)
ZERO = Decimal(0)


@dataclass(frozen=True)
class PlannedItem:
    """What of an approved item its standing depends on."""

    position: int
    target_value: Decimal
    due_quarters: Sequence[int]
    quarter_targets: Sequence[Decimal | None]


@dataclass(frozen=True)
class Standing:
    """One item at the end of one quarter."""

    position: int
    quarter: int
    percent: Decimal
    realised_rp: Decimal
    expected: Decimal
    """Below it, the item is behind schedule; at 100 % it is done."""


def standings(
    items: Iterable[PlannedItem], verified: Iterable[tuple[int, Sequence[Mapping[str, Any]]]]
) -> list[Standing]:
    """Every item at the end of every quarter, from the (quarter, report items) of the
    commitment's verified reports, in any order."""
    by_quarter = dict(verified)
    reported: dict[int, tuple[Decimal, Decimal]] = {}
    latest: dict[tuple[int, int], tuple[Decimal, Decimal]] = {}
    for quarter in QUARTERS:
        for entry in by_quarter.get(quarter, ()):
            spent = entry.get("realised_rp")
            reported[int(entry["item_position"])] = (
                Decimal(str(entry["percent_realised"])),
                ZERO if spent is None else Decimal(str(spent)),
            )
        for position, figures in reported.items():
            latest[(position, quarter)] = figures
    result = []
    for item in items:
        for quarter in QUARTERS:
            percent, realised = latest.get((item.position, quarter), (ZERO, ZERO))
            result.append(
                Standing(
                    position=item.position,
                    quarter=quarter,
                    percent=percent,
                    realised_rp=realised,
                    expected=expected_percent(
                        item.target_value, item.due_quarters, item.quarter_targets, quarter
                    ),
                )
            )
    return result


def hundredths(value: Decimal) -> int:
    """A percent or an amount in whole hundredths (cents), as the standing rows keep it:
    sums of whole numbers are exact on every database."""
    return int((value * HUNDRED).to_integral_value(rounding=ROUND_HALF_UP))


def memberships(
    strategic_issue: str, phase: str, outcomes: Iterable[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The recap groups (kind, code) an item counts in: its issue × phase, each outcome it
    serves, and the total of each of those kinds, each once."""
    keys = [(ISSUE_PHASE, f"{strategic_issue}.{phase}"), (ISSUE_PHASE, TOTAL)]
    served = sorted(set(outcomes))
    keys += served
    keys += [(kind, TOTAL) for kind in dict.fromkeys(kind for kind, _ in served)]
    return keys
