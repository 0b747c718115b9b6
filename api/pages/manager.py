"""The manager view of one cycle: what is overdue, how complete and timely the
quarterly reports are, and how far each strategic issue has come in each phase.

Every signed-in role may open it; a regency role sees its own regency only, as on
the board. The overdue list is the JSON API's `GET /overdue` (same filters, same
order: longest overdue first, same pages of `DEFAULT_PAGE` commitments, with links
to the next and previous pages that keep the filters), measured at the cycle's
clock: the later of now and the last change recorded, since the workflows' clock
may run ahead (a demo).

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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import URL

from api.deps import CycleId, SessionDep
from api.pages import i18n
from api.pages.routes import (
    VisitDep,
)
from api.routes.overdue import DEFAULT_PAGE, Cursor, OverduePage, find_overdue
from db import models as m
from db import reads
from domain.catalog import load_catalog
from domain.display import Language
from domain.errors import InvalidInput, UnknownRegency
from domain.plan import Phase, StrategicIssue
from domain.reports import ReportState
from domain.stages import Stage
from services.schemas import OverdueOut

router = APIRouter(include_in_schema=False)

OVERDUE_STAGES = (Stage.DRAFTING, Stage.REVIEW, Stage.SIGNING, Stage.FOLLOW_UP)
"""The stages with deadlines, so the only ones a commitment can be overdue in."""
QUARTERS = (1, 2, 3, 4)
BAR_WIDTH = 200
"""Width in SVG units of a bar at 100 %."""
_REACHED_FOLLOW_UP = {Stage.FOLLOW_UP.value, Stage.COMPLETED.value}
_E = TypeVar("_E", bound=StrEnum)
FilterQuery = Annotated[str | None, Query(max_length=16)]
CursorQuery = Annotated[str | None, Query(max_length=200)]


@dataclass(frozen=True)
class OverdueRow:
    """One overdue obligation as the list shows it."""

    entry: OverdueOut
    revising: bool
    obligation: str
    late_for: str


@dataclass(frozen=True)
class Pager:
    """Links to the first, previous and next pages of the overdue list; None where none."""

    first: str | None
    previous: str | None
    next: str | None


@dataclass(frozen=True)
class QuarterCell:
    """One regency's report for one quarter: on_time, late, missing, not_due or past_due."""

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


@router.get("/cycles/{cycle_id}/manager", response_class=HTMLResponse)
def manager_view(
    cycle_id: CycleId,
    visit: VisitDep,
    session: SessionDep,
    regency: FilterQuery = None,
    stage: FilterQuery = None,
    strategic_issue: FilterQuery = None,
    quarter: FilterQuery = None,
    cursor: CursorQuery = None,
) -> Response:
    """Overdue obligations, quarterly report completeness and progress per issue and phase."""
    if visit.user is None:
        return visit.to_login()
    page, user = visit.page, visit.user
    cycle = session.get(m.Cycle, cycle_id)
    if cycle is None:
        return page.error(user, 404, "not_found", cycle_id)
    try:
        regency_code = load_catalog().get(regency).kemendagri_code if regency else None
        chosen_stage = _choice(Stage, stage)
        chosen_issue = _choice(StrategicIssue, strategic_issue)
        chosen_quarter = _quarter(quarter)
    except (UnknownRegency, ValueError):
        return page.error(user, 422, "bad_filter", "")
    try:
        start = Cursor.decode(cursor) if cursor else None
    except InvalidInput:
        return page.error(user, 422, "bad_page", "")
    regencies = [r for r in cycle.spec.get("regencies", []) if user.covers(r["code"])]
    rows = {
        r.regency_code: r
        for r in reads.list_commitments(session, cycle_id=cycle_id)
        if user.covers(r.regency_code)
    }
    clock = max([datetime.now(UTC), *(r.updated_at for r in rows.values())])
    overdue = find_overdue(
        session,
        user,
        cycle_id=cycle_id,
        regency=regency_code,
        stage=chosen_stage,
        strategic_issue=chosen_issue,
        quarter=chosen_quarter,
        at=clock,
        cursor=start,
        limit=DEFAULT_PAGE,
    )
    reports: dict[str, list[m.QuarterlyReport]] = defaultdict(list)
    for report in reads.cycle_reports(session, cycle_id=cycle_id):
        reports[report.commitment_id].append(report)
    completeness = [
        RegencyQuarters(
            code=ref["code"],
            name=ref["name"],
            cells=quarter_cells(rows.get(ref["code"]), reports, clock),
        )
        for ref in regencies
    ]
    return page.render(
        "manager.html",
        user=user,
        cycle=cycle,
        overdue=[_overdue_row(e, rows, page.lang) for e in overdue.entries],
        pager=pager(page.request.url, overdue, first=start is None),
        regencies=regencies,
        overdue_stages=OVERDUE_STAGES,
        strategic_issues=list(StrategicIssue),
        chosen={
            "regency": regency_code,
            "stage": chosen_stage,
            "strategic_issue": chosen_issue,
            "quarter": chosen_quarter,
        },
        completeness=completeness,
        totals=quarter_totals(completeness),
        progress=issue_progress(session, list(rows.values()), reports),
        bar_width=BAR_WIDTH,
    )


def pager(url: URL, shown: OverduePage, *, first: bool) -> Pager:
    """The links around a page of the overdue list: this URL, filters and all, at another cursor."""

    def link(cursor: Cursor | None) -> str:
        at = url.remove_query_params("cursor")
        if cursor is not None:
            at = at.include_query_params(cursor=cursor.encode())
        return f"{at.path}?{at.query}" if at.query else at.path

    return Pager(
        first=None if first else link(None),
        previous=link(shown.previous) if shown.previous else None,
        next=link(shown.next) if shown.next else None,
    )


def _choice(kind: type[_E], value: str | None) -> _E | None:
    # A form's "all" option sends an empty value.
    return kind(value) if value else None


def _quarter(value: str | None) -> int | None:
    if not value:
        return None
    if value not in {"1", "2", "3", "4"}:
        raise ValueError(f"no quarter {value!r}")
    return int(value)


def _overdue_row(entry: OverdueOut, rows: dict[str, m.Commitment], lang: Language) -> OverdueRow:
    text = i18n.TEXT[lang]
    row = rows.get(entry.regency_code)
    obligation = (
        text["due_report"].format(quarter=i18n.QUARTERS[entry.quarter])
        if entry.quarter is not None
        else text[f"due_{entry.deadline_key}"]
    )
    return OverdueRow(
        entry=entry,
        revising=row is not None and row.round > 1,
        obligation=obligation,
        late_for=overdue_duration(-entry.seconds_left, lang),
    )


def overdue_duration(seconds: int, lang: Language) -> str:
    """How long ago a deadline passed, in days and hours: "3 hari 4 jam", "1 day 2 hours"."""
    text = i18n.TEXT[lang]
    days, rest = divmod(max(seconds, 0), 24 * 3600)
    hours = rest // 3600
    if not days and not hours:
        return text["under_an_hour"]
    parts = []
    if days:
        parts.append(text["one_day" if days == 1 else "days"].format(n=days))
    if hours:
        parts.append(text["one_hour" if hours == 1 else "hours"].format(n=hours))
    return " ".join(parts)


def quarter_cells(
    row: m.Commitment | None, reports: dict[str, list[m.QuarterlyReport]], clock: datetime
) -> list[QuarterCell]:
    """Each quarter of one commitment: the report's timeliness and state, or why there is none."""
    if row is None:
        return [QuarterCell("not_due") for _ in QUARTERS]
    by_quarter = {r.quarter: r for r in reports.get(row.id, [])}
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
