"""The province recap of a cycle (rekap provinsi), its drill-downs and its files.

`GET /cycles/{id}/recap?quarter=` shows one table per section (SPM services, IKD
priorities and the indicators named, Sendai targets, Destana levels, strategic issue ×
phase) at the end of a quarter, chosen by tabs; without one, the latest quarter whose
report deadline has passed, else Triwulan I (`services.recap_report.default_quarter`).
Each figure that is not zero links to `GET /cycles/{id}/recap/{kind}/{code}?quarter=&figure=`,
the parties and items behind it. `recap.xlsx` and `recap.csv` are the same recap as files,
on the page's session (the JSON API's exports take a bearer token).

Every signed-in role may read it; a regency role sees its own regency only (the service
scopes by `user.covers`). A quarter or figure that does not exist is the 422 page, as the
manager view refuses a bad filter; a section or group that does not exist, the 404 page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from api.deps import CycleId, RuntimeDep, SessionDep
from api.pages.base import SignedIn, SignedInDep, page_text
from services import recap_report
from services.recap import TOTAL, Figure, Kind, UnknownGroup, province_recap, recap_detail

router = APIRouter(include_in_schema=False)

ChoiceQuery = Annotated[str | None, Query(max_length=16)]
FILE_FORMATS = ("xlsx", "csv")


@router.get("/cycles/{cycle_id}/recap", response_class=HTMLResponse)
def recap_page(
    cycle_id: CycleId,
    who: SignedInDep,
    session: SessionDep,
    runtime: RuntimeDep,
    quarter: ChoiceQuery = None,
) -> Response:
    """The province recap at the end of a quarter: a table per section, totals, who is not
    counted."""
    page, user = who.page, who.user
    cycle = who.cycle(session, cycle_id)
    chosen = chosen_quarter(who, quarter) or recap_report.default_quarter(
        cycle, recap_report.recap_clock(session, cycle, runtime.clock())
    )
    recap = province_recap(session, user, cycle_id, chosen, language=page.lang)
    return page.render(
        "recap.html",
        user=user,
        cycle=cycle,
        recap=recap,
        period=recap_report.period(cycle, chosen, page.lang),
        words=recap_report.TEXT[page.lang],
        group_label=recap_report.group_label,
        shown_code=recap_report.shown_code,
        total=TOTAL,
    )


@router.get("/cycles/{cycle_id}/recap/{kind}/{code}", response_class=HTMLResponse)
def recap_drill(
    cycle_id: CycleId,
    kind: str,
    code: str,
    who: SignedInDep,
    session: SessionDep,
    runtime: RuntimeDep,
    quarter: ChoiceQuery = None,
    figure: ChoiceQuery = None,
) -> Response:
    """The parties and action items behind one figure of the recap."""
    page, user = who.page, who.user
    cycle = who.cycle(session, cycle_id)
    chosen = chosen_quarter(who, quarter) or recap_report.default_quarter(
        cycle, recap_report.recap_clock(session, cycle, runtime.clock())
    )
    try:
        narrowed = Figure(figure) if figure else Figure.ITEMS
    except ValueError:
        raise who.refuse(422, "bad_filter", page_text(who.page, "recap_bad_figure")) from None
    try:
        drill = recap_detail(
            session,
            user,
            cycle_id,
            chosen,
            Kind(kind),
            code,
            figure=narrowed,
            language=page.lang,
        )
    except (ValueError, UnknownGroup):
        unknown = page_text(who.page, "recap_unknown_group").format(kind=kind, code=code)
        raise who.refuse(404, "not_found", unknown) from None
    section = drill.recap.section(drill.kind)
    group = drill.recap.group(drill.kind, drill.code)
    return page.render(
        "recap_detail.html",
        user=user,
        cycle=cycle,
        drill=drill,
        section=section,
        group=group,
        label=recap_report.group_label(group, page.lang),
        # The figure leaves out parties without a signed plan: say so beside it.
        not_counted=recap_report.not_counted_text(drill.recap, page.lang),
        period=recap_report.period(cycle, chosen, page.lang),
        words=recap_report.TEXT[page.lang],
        figures=list(Figure),
        total=TOTAL,
    )


@router.get("/cycles/{cycle_id}/recap.{fmt}")
def recap_download(
    cycle_id: CycleId,
    fmt: str,
    who: SignedInDep,
    session: SessionDep,
    runtime: RuntimeDep,
    quarter: ChoiceQuery = None,
) -> Response:
    """The recap as the report to send up (XLSX, A4 landscape) or as CSV, one row per group."""
    page = who.page
    who.cycle(session, cycle_id)
    if fmt not in FILE_FORMATS:
        raise who.refuse(404, "not_found", f"recap.{fmt}")
    file = recap_report.recap_file(
        session,
        who.user,
        cycle_id,
        chosen_quarter(who, quarter),
        fmt,
        now=runtime.clock(),
        language=page.lang,
    )
    disposition = f'attachment; filename="{file.filename}"'
    return page.remember(
        Response(
            file.content,
            media_type=file.media_type,
            headers={"Content-Disposition": disposition},
        )
    )


def chosen_quarter(who: SignedIn, value: str | None) -> int | None:
    """The quarter asked for (None: not asked); the 422 page for anything but 1 to 4."""
    if not value:
        return None
    if value not in {"1", "2", "3", "4"}:
        raise who.refuse(422, "bad_filter", page_text(who.page, "recap_bad_quarter"))
    return int(value)
