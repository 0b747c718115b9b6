"""Exports of a cycle for spreadsheets: action plans, the quarterly rekap and the province
recap, XLSX or CSV.

Every authenticated role may export; a regency role (officer, signatory) gets only
its own regency's rows, exactly as the board shows it, rather than a 403.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import CurrentUser, CycleId, RuntimeDep, SessionDep
from domain.display import normalize_language
from services import exports, recap_report
from services.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, Table, to_csv, to_xlsx

router = APIRouter(prefix="/cycles/{cycle_id}/exports", tags=["exports"])

_FILES = {
    "description": "the file, as an attachment",
    "content": {XLSX_MEDIA_TYPE: {}, CSV_MEDIA_TYPE: {}},
}


class ExportFormat(StrEnum):
    """A spreadsheet file format."""

    XLSX = "xlsx"
    CSV = "csv"


def _file(table: Table, name: str, cycle_id: str, fmt: ExportFormat) -> Response:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", cycle_id)
    filename = f"{name}-{safe}.{fmt.value}"
    content, media = (
        (to_xlsx(table), XLSX_MEDIA_TYPE)
        if fmt is ExportFormat.XLSX
        else (to_csv(table), CSV_MEDIA_TYPE)
    )
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/action-plans.{fmt}", response_class=Response, responses={200: _FILES})
def export_action_plans(
    cycle_id: CycleId,
    fmt: ExportFormat,
    user: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """Every action item of each commitment's approved (else latest) version, with its
    evidence: how many files, and links to each quarter's ZIP."""
    table = exports.action_plans(session, user, cycle_id, runtime.settings.public_base_url)
    return _file(table, "rencana-aksi", cycle_id, fmt)


@router.get("/quarterly-rekap.{fmt}", response_class=Response, responses={200: _FILES})
def export_quarterly_rekap(
    cycle_id: CycleId, fmt: ExportFormat, user: CurrentUser, session: SessionDep
) -> Response:
    """Per regency and quarter: report state, timeliness, submission, verification, realisation."""
    return _file(exports.quarterly_rekap(session, user, cycle_id), "rekap-triwulan", cycle_id, fmt)


@router.get("/province-recap.{fmt}", response_class=Response, responses={200: _FILES})
def export_province_recap(
    cycle_id: CycleId,
    fmt: ExportFormat,
    user: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    quarter: Annotated[
        int | None,
        Query(ge=1, le=4, description="1-4; by default the latest quarter due"),
    ] = None,
    lang: Annotated[str, Query(pattern="^(id|en)$")] = "id",
) -> Response:
    """The province recap at the end of a quarter: XLSX laid out as the report sent to the
    Gubernur (A4 landscape), or CSV with one row per group."""
    file = recap_report.recap_file(
        session,
        user,
        cycle_id,
        quarter,
        fmt.value,
        now=runtime.clock(),
        language=normalize_language(lang),
    )
    return Response(
        file.content,
        media_type=file.media_type,
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
    )
