"""The province recap of a cycle as JSON: the figures by outcome and issue × phase at the end
of a quarter, and the items behind any figure.

The same figures as the recap page (`GET /cycles/{id}/recap`, HTML) and the exports
(`GET /cycles/{id}/exports/province-recap.xlsx|csv`), from `services.recap`. Every
authenticated role may read it; a regency role gets its own regency's items only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import CurrentUser, CycleId, RuntimeDep, SessionDep
from domain.display import normalize_language
from services import recap_report
from services.cycles import get_cycle
from services.errors import NotFound
from services.recap import Figure, Kind, UnknownGroup, province_recap, recap_detail
from services.schemas import RecapDrillOut, RecapOut

router = APIRouter(prefix="/cycles/{cycle_id}/province-recap", tags=["recap"])

QuarterQuery = Annotated[
    int | None,
    Query(
        ge=1,
        le=4,
        description="1-4; by default the latest quarter whose report deadline has passed, else 1",
    ),
]
LanguageQuery = Annotated[
    str, Query(pattern="^(id|en)$", description="the language of labels and titles")
]


def _quarter(session: SessionDep, cycle_id: str, quarter: int | None, runtime: RuntimeDep) -> int:
    if quarter is not None:
        return quarter
    cycle = get_cycle(session, cycle_id)
    return recap_report.default_quarter(
        cycle, recap_report.recap_clock(session, cycle, runtime.clock())
    )


@router.get("")
def get_recap(
    cycle_id: CycleId,
    user: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    quarter: QuarterQuery = None,
    lang: LanguageQuery = "id",
) -> RecapOut:
    """The recap at the end of a quarter: per SPM service, IKD priority and indicator,
    Sendai target, Destana level and strategic issue × phase."""
    chosen = _quarter(session, cycle_id, quarter, runtime)
    language = normalize_language(lang)
    recap = province_recap(session, user, cycle_id, chosen, language=language)
    return recap_report.recap_view(recap, language)


@router.get("/{kind}/{code}")
def get_recap_detail(
    cycle_id: CycleId,
    kind: Kind,
    code: Annotated[str, Path(max_length=64, description='e.g. "spm1", "2.12", "all"')],
    user: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    quarter: QuarterQuery = None,
    figure: Figure = Figure.ITEMS,
    lang: LanguageQuery = "id",
) -> RecapDrillOut:
    """The items behind one figure of one group ("all" for a section's total); 404 for a
    code the section does not have."""
    chosen = _quarter(session, cycle_id, quarter, runtime)
    language = normalize_language(lang)
    try:
        drill = recap_detail(
            session, user, cycle_id, chosen, kind, code, figure=figure, language=language
        )
    except UnknownGroup as unknown:
        raise NotFound(str(unknown)) from None
    return recap_report.drill_view(drill, language)
