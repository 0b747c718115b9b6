"""The manager view of one cycle: what is overdue, how complete and timely the
quarterly reports are, and how far each strategic issue has come in each phase.

Every signed-in role may open it; a regency role sees its own regency only, as on
the board. The overdue list is the JSON API's `GET /overdue` (same filters, same
order: longest overdue first, same pages of `DEFAULT_PAGE` commitments, with links
to the next and previous pages that keep the filters), measured at the cycle's
clock: the later of now and the last change recorded, since the workflows' clock
may run ahead (a demo).

The figures (the quarters' completeness, the totals, the progress of each
strategic issue in each phase) are `services.manager`'s; this module parses the
filters, asks for them and renders them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import URL

from api.deps import CycleId, SessionDep
from api.pages import i18n
from api.pages.base import SignedInDep
from domain.catalog import load_catalog
from domain.display import Language
from domain.errors import InvalidInput, UnknownRegency
from domain.plan import StrategicIssue
from domain.stages import Stage
from services.manager import BAR_WIDTH, manager_figures
from services.overdue import DEFAULT_PAGE, Cursor, OverduePage
from services.schemas import OverdueOut

router = APIRouter(include_in_schema=False)

OVERDUE_STAGES = (Stage.DRAFTING, Stage.REVIEW, Stage.SIGNING, Stage.FOLLOW_UP)
"""The stages with deadlines, so the only ones a commitment can be overdue in."""
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


@router.get("/cycles/{cycle_id}/manager", response_class=HTMLResponse)
def manager_view(
    cycle_id: CycleId,
    who: SignedInDep,
    session: SessionDep,
    regency: FilterQuery = None,
    stage: FilterQuery = None,
    strategic_issue: FilterQuery = None,
    quarter: FilterQuery = None,
    cursor: CursorQuery = None,
) -> Response:
    """Overdue obligations, quarterly report completeness and progress per issue and phase."""
    page, user = who.page, who.user
    cycle = who.cycle(session, cycle_id)
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
    figures = manager_figures(
        session,
        user,
        cycle,
        regency_code=regency_code,
        stage=chosen_stage,
        strategic_issue=chosen_issue,
        quarter=chosen_quarter,
        cursor=start,
        limit=DEFAULT_PAGE,
    )
    return page.render(
        "manager.html",
        user=user,
        cycle=cycle,
        overdue=[
            _overdue_row(e, figures.revising(e.regency_code), page.lang)
            for e in figures.overdue.entries
        ],
        pager=pager(page.request.url, figures.overdue, first=start is None),
        regencies=figures.regencies,
        overdue_stages=OVERDUE_STAGES,
        strategic_issues=list(StrategicIssue),
        chosen={
            "regency": regency_code,
            "stage": chosen_stage,
            "strategic_issue": chosen_issue,
            "quarter": chosen_quarter,
        },
        completeness=figures.completeness,
        totals=figures.totals,
        progress=figures.progress,
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


def _overdue_row(entry: OverdueOut, revising: bool, lang: Language) -> OverdueRow:
    text = i18n.TEXT[lang]
    obligation = (
        text["due_report"].format(quarter=i18n.QUARTERS[entry.quarter])
        if entry.quarter is not None
        else text[f"due_{entry.deadline_key}"]
    )
    return OverdueRow(
        entry=entry,
        revising=revising,
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
