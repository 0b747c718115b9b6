"""Exports of a cycle for spreadsheets: action plans and the quarterly rekap, XLSX or CSV.

Every authenticated role may export; a regency role (officer, signatory) gets only
its own regency's rows, exactly as the board shows it, rather than a 403.
"""

from __future__ import annotations

import re
from enum import StrEnum

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from api.deps import AuthUser, CurrentUser, CycleId, SessionDep
from api.errors import NotFound
from api.exports import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    PlanExport,
    Table,
    action_plan_table,
    exported_version,
    rekap_table,
    to_csv,
    to_xlsx,
)
from db import models as m
from db import reads
from domain.catalog import load_catalog

router = APIRouter(prefix="/cycles/{cycle_id}/exports", tags=["exports"])

_FILES = {
    "description": "the file, as an attachment",
    "content": {XLSX_MEDIA_TYPE: {}, CSV_MEDIA_TYPE: {}},
}


class ExportFormat(StrEnum):
    """A spreadsheet file format."""

    XLSX = "xlsx"
    CSV = "csv"


def _commitments(session: Session, cycle_id: str, user: AuthUser) -> list[m.Commitment]:
    if session.get(m.Cycle, cycle_id) is None:
        raise NotFound(f"no cycle {cycle_id!r}")
    rows = reads.list_commitments(session, cycle_id=cycle_id)
    return [r for r in rows if user.covers(r.regency_code)]


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
    cycle_id: CycleId, fmt: ExportFormat, user: CurrentUser, session: SessionDep
) -> Response:
    """Every action item of each commitment's approved (else latest) version."""
    catalog = load_catalog()
    rows = _commitments(session, cycle_id, user)
    items = reads.items_of_versions(
        session, versions={row.id: exported_version(row) for row in rows}
    )
    plans = [
        PlanExport(
            commitment=row, regency=catalog.get(row.regency_code), items=items.get(row.id, [])
        )
        for row in rows
    ]
    return _file(action_plan_table(plans), "rencana-aksi", cycle_id, fmt)


@router.get("/quarterly-rekap.{fmt}", response_class=Response, responses={200: _FILES})
def export_quarterly_rekap(
    cycle_id: CycleId, fmt: ExportFormat, user: CurrentUser, session: SessionDep
) -> Response:
    """Per regency and quarter: report state, timeliness, submission, verification, realisation."""
    catalog = load_catalog()
    reports = reads.reports_by_commitment(session, cycle_id=cycle_id)
    rows = [
        (row, catalog.get(row.regency_code), reports.get(row.id, []))
        for row in _commitments(session, cycle_id, user)
    ]
    return _file(rekap_table(rows), "rekap-triwulan", cycle_id, fmt)
