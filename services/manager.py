"""The manager view's figures for one cycle: what is overdue, how complete and timely the
quarterly reports are, and how far each strategic issue has come in each phase.

Every signed-in role may read them; a regency role gets its own regency only, as on
the board. The overdue list is `services.overdue.find_overdue` (the JSON API's
`GET /overdue`), measured at the cycle's clock: the later of now and the last change
recorded, since the workflows' clock may run ahead (a demo).

A quarter of a regency reads, from its `quarterly_report` row: on time, late or
missing (the report's timeliness), with the report's state beside it (waiting for
verification, returned, verified). Without a row it is not yet due, or past due
and not in yet (until the quarter locks and the report counts as missing).

**Progress** of a strategic issue in a phase is the mean percent realised of its
action items. The items are those of the approved version (the latest, once
signed) of every commitment in scope that reached follow-up or completed. Each
item counts with the percent realised in the latest *verified* quarterly report
that names it (realisation is reported cumulatively, so the latest is the current
one); an item no verified report names yet counts as 0 %. Only verified reports
count: those are the figures the province has checked. A phase with no items has
no progress.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from db import models as m
from db import reads
from domain.plan import Phase, StrategicIssue
from domain.reports import ReportState
from domain.stages import Stage
from services import cycles
from services.access import AuthUser
from services.overdue import DEFAULT_PAGE, Cursor, OverduePage, find_overdue

QUARTERS = (1, 2, 3, 4)
BAR_WIDTH = 200
"""Width in SVG units of a bar at 100 %."""
_REACHED_FOLLOW_UP = {Stage.FOLLOW_UP.value, Stage.COMPLETED.value}


@dataclass(frozen=True)
class QuarterCell:
    """One regency's report for one quarter: on_time, late, missing, not_due or past_due;
    no_plan while the commitment has not reached follow-up (nothing is owed yet)."""

    status: str
    state: str | None = None


@dataclass(frozen=True)
class RegencyQuarters:
    """A row of the completeness table."""

    code: str
    name: str
    cells: list[QuarterCell]


@dataclass(frozen=True)
class PhaseProgress:
    """Progress of a strategic issue's items in one phase; percent None without items."""

    phase: Phase
    items: int
    percent: Decimal | None

    @property
    def width(self) -> float:
        """The bar's length in SVG units."""
        return float(self.percent or 0) * BAR_WIDTH / 100


@dataclass(frozen=True)
class IssueProgress:
    """Progress of one strategic issue, phase by phase."""

    issue: StrategicIssue
    phases: list[PhaseProgress]


@dataclass(frozen=True)
class ManagerFigures:
    """What the manager view shows of a cycle, within the person's scope."""

    cycle: m.Cycle
    regencies: list[dict[str, Any]]
    """The cycle's regencies the person covers, as the cycle was started for them."""
    commitments: dict[str, m.Commitment]
    """The recorded commitments in scope, by regency code."""
    overdue: OverduePage
    completeness: list[RegencyQuarters]
    totals: list[dict[str, int]]
    progress: list[IssueProgress]

    def revising(self, regency_code: str) -> bool:
        """Whether the regency's commitment is drafting again after a change request."""
        row = self.commitments.get(regency_code)
        return row is not None and row.round > 1


def manager_figures(
    session: Session,
    user: AuthUser,
    cycle: m.Cycle,
    *,
    regency_code: str | None = None,
    stage: Stage | None = None,
    strategic_issue: StrategicIssue | None = None,
    quarter: int | None = None,
    cursor: Cursor | None = None,
    limit: int = DEFAULT_PAGE,
) -> ManagerFigures:
    """The overdue page (filtered, from `cursor`), report completeness and progress per issue."""
    regencies = [r for r in cycle.spec.get("regencies", []) if user.covers(r["code"])]
    rows = {r.regency_code: r for r in cycles.commitments_in_scope(session, user, cycle.id)}
    clock = max([datetime.now(UTC), *(r.updated_at for r in rows.values())])
    overdue = find_overdue(
        session,
        user,
        cycle_id=cycle.id,
        regency=regency_code,
        stage=stage,
        strategic_issue=strategic_issue,
        quarter=quarter,
        at=clock,
        cursor=cursor,
        limit=limit,
    )
    reports = reads.reports_by_commitment(session, cycle_id=cycle.id)
    completeness = [
        RegencyQuarters(
            code=ref["code"],
            name=ref["name"],
            cells=quarter_cells(rows.get(ref["code"]), reports, clock),
        )
        for ref in regencies
    ]
    return ManagerFigures(
        cycle=cycle,
        regencies=regencies,
        commitments=rows,
        overdue=overdue,
        completeness=completeness,
        totals=quarter_totals(completeness),
        progress=issue_progress(session, list(rows.values()), reports),
    )


def quarter_cells(
    row: m.Commitment | None, reports: dict[str, list[m.QuarterlyReport]], clock: datetime
) -> list[QuarterCell]:
    """Each quarter of one commitment: the report's timeliness and state, or why there is none."""
    if row is None:
        return [QuarterCell("not_due") for _ in QUARTERS]
    by_quarter = {r.quarter: r for r in reports.get(row.id, [])}
    if not _reached_follow_up(row, by_quarter.values()):
        # No signed plan, so no report is owed: a quarter locking then is not a missing report.
        return [QuarterCell("no_plan") for _ in QUARTERS]
    cells = []
    for q in QUARTERS:
        report = by_quarter.get(q)
        if report is not None:
            state = None if report.state == ReportState.MISSING.value else report.state
            cells.append(QuarterCell(report.timeliness, state))
            continue
        due = row.deadlines.get(f"q{q}")
        if Stage(row.stage).is_terminal:
            # Withdrawn or cancelled: no quarter locks any more, nothing will come in.
            cells.append(QuarterCell("none"))
        elif due is not None and datetime.fromisoformat(due) <= clock:
            cells.append(QuarterCell("past_due"))
        else:
            cells.append(QuarterCell("not_due"))
    return cells


_FOLLOWING = {Stage.FOLLOW_UP.value, Stage.COMPLETED.value}
_HANDED_IN = {ReportState.SUBMITTED.value, ReportState.RETURNED.value, ReportState.VERIFIED.value}


def _reached_follow_up(row: m.Commitment, reports: Iterable[m.QuarterlyReport]) -> bool:
    """Whether the commitment was ever in follow-up: it is (or completed), or, withdrawn or
    cancelled since, it had handed a report in."""
    if row.stage in _FOLLOWING:
        return True
    return Stage(row.stage).is_terminal and any(r.state in _HANDED_IN for r in reports)


def quarter_totals(table: Sequence[RegencyQuarters]) -> list[dict[str, int]]:
    """Per quarter, how many reports came in on time, late, or are missing."""
    return [
        {
            status: sum(1 for r in table if r.cells[index].status == status)
            for status in ("on_time", "late", "missing")
        }
        for index in range(len(QUARTERS))
    ]


def latest_verified(reports: Sequence[m.QuarterlyReport]) -> dict[int, Decimal]:
    """Percent realised per item position, from the latest verified report naming the item."""
    realised: dict[int, Decimal] = {}
    for report in sorted(reports, key=lambda r: r.quarter):
        if report.state != ReportState.VERIFIED.value:
            continue
        for item in report.items:
            realised[int(item["item_position"])] = Decimal(str(item["percent_realised"]))
    return realised


def issue_progress(
    session: Session, rows: Sequence[m.Commitment], reports: dict[str, list[m.QuarterlyReport]]
) -> list[IssueProgress]:
    """Mean percent realised per strategic issue and phase (see the module docstring)."""
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    approved = {
        row.id: row.approved_version
        for row in rows
        if row.stage in _REACHED_FOLLOW_UP and row.approved_version is not None
    }
    items_of = reads.items_of_versions(session, versions=approved)
    for commitment_id in approved:
        realised = latest_verified(reports.get(commitment_id, []))
        for item in items_of.get(commitment_id, []):
            key = (item.strategic_issue, item.phase)
            counts[key] += 1
            totals[key] += realised.get(item.position, Decimal(0))
    return [
        IssueProgress(
            issue=issue,
            phases=[
                PhaseProgress(
                    phase=phase,
                    items=counts[(issue, phase)],
                    percent=(
                        (totals[(issue, phase)] / counts[(issue, phase)]).quantize(Decimal("0.1"))
                        if counts[(issue, phase)]
                        else None
                    ),
                )
                for phase in Phase
            ],
        )
        for issue in StrategicIssue
    ]
