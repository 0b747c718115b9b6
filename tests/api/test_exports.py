"""Exports: XLSX opened with openpyxl and CSV parsed, checked against the database rows."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from temporalio.testing import WorkflowEnvironment

from db import models as m
from db import reads
from db.session import session_factory, transaction
from domain.calendar import WITA
from domain.catalog import load_catalog
from komitmen.demo import sample_plan
from services.exports import (
    BOM,
    NOT_YET,
    PLAN_COLUMNS,
    REKAP_COLUMNS,
    Column,
    Table,
    to_csv,
    to_xlsx,
)
from tests.api.client import Api, running_api
from tests.schedules import reporting_cycle

CATALOG = load_catalog()
PLANS: dict[str, dict[str, Any]] = {
    code: sample_plan(CATALOG.get(code)).model_dump(mode="json") for code in ("53.01", "53.71")
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def read_xlsx(content: bytes) -> list[list[Any]]:
    """The cells of the first sheet, header row first."""
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet.freeze_panes == "A2"
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def read_csv(content: bytes) -> list[list[str]]:
    """The rows of a CSV export, after checking its byte-order mark."""
    assert content.startswith(BOM.encode("utf-8"))
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def test_builders_write_numbers_dates_and_accents() -> None:
    table = Table(
        "Uji",
        (Column("Nama", 10), Column("Pagu (Rp)", 12, "#,##0"), Column("Waktu", 16, "yyyy")),
        [["Ende – Flores", Decimal("1250000.50"), datetime(2026, 4, 20, 15, 59, tzinfo=WITA)]],
    )
    rows = read_csv(to_csv(table))
    assert rows == [
        ["Nama", "Pagu (Rp)", "Waktu"],
        ["Ende – Flores", "1250000.50", "2026-04-20 15:59"],
    ]
    sheet = load_workbook(io.BytesIO(to_xlsx(table))).worksheets[0]
    assert sheet.title == "Uji" and sheet["A1"].font.bold
    assert sheet["B2"].value == 1250000.5 and sheet["B2"].number_format == "#,##0"
    assert sheet["C2"].value == datetime(2026, 4, 20, 15, 59)
    assert sheet.column_dimensions["A"].width == 12


async def lifecycle(api: Api, now: datetime) -> str:
    """53.01 drafted, approved, signed and reporting Q1 (verified); 53.71 only drafted.

    The cycle is last year's, so that its first-quarter report is open at `now`.
    """
    year, schedule = reporting_cycle(now)
    cycle = await api.start_cycle(["53.01", "53.71"], year, schedule.model_dump(mode="json"))
    for code, officer in (("53.01", "operator-5301"), ("53.71", "operator-5371")):
        saved = await api.post(
            f"/cycles/{cycle}/commitments/{code}/save-draft",
            officer,
            {"plan": PLANS[code], "based_on_version": 0},
        )
        assert saved.status_code == 200, saved.text
    base = f"/cycles/{cycle}/commitments/53.01"
    assert (await api.post(f"{base}/submit", "operator-5301", {"version": 1})).is_success
    document = (await api.post(f"{base}/approve", "reviewer", {"version": 1})).json()[
        "document_hash"
    ]
    for signer in ("kalak-5301", "bappeda-5301", "kada-5301"):
        signed = await api.post(f"{base}/sign", signer, {"document_hash": document})
        assert signed.is_success, signed.text
    report = {
        "quarter": 1,
        "items": [
            {"item_position": 1, "status": "sesuai_jadwal", "percent_realised": "25"},
            {"item_position": 2, "status": "belum_mulai", "percent_realised": "0.5"},
        ],
    }
    assert (await api.post(f"{base}/reports", "operator-5301", report)).is_success
    assert (await api.post(f"{base}/reports/verify", "reviewer", {"quarter": 1})).is_success
    return cycle


def plan_rows_in_db(url: str, cycle: str, codes: list[str]) -> list[tuple[Any, ...]]:
    """(kemendagri, bps, version, basis, position, activity, target, unit, budget, location)."""
    expected = []
    with transaction(session_factory(url)) as session:
        for row in reads.list_commitments(session, cycle_id=cycle):
            if row.regency_code not in codes:
                continue
            version = row.approved_version or row.latest_version
            basis = "disetujui" if row.approved_version else "terakhir"
            regency = CATALOG.get(row.regency_code)
            for item in reads.version_items(session, commitment_id=row.id, number=version):
                expected.append(
                    (
                        regency.kemendagri_code,
                        regency.bps_code,
                        version,
                        basis,
                        item.position,
                        item.activity,
                        item.target_value,
                        item.target_unit,
                        item.budget_rp,
                        item.location,
                    )
                )
    return expected


def plan_row(cells: list[Any]) -> tuple[Any, ...]:
    """The compared columns of an exported action-plan row, numbers as Decimal."""
    return (
        cells[0],
        cells[1],
        int(cells[3]),
        cells[4],
        int(cells[6]),
        cells[9],
        Decimal(str(cells[11])),
        cells[12],
        Decimal(str(cells[16])),
        cells[18],
    )


def reports_in_db(url: str, cycle: str) -> dict[tuple[str, int], m.QuarterlyReport]:
    """Recorded quarterly reports by (regency code, quarter)."""
    with transaction(session_factory(url)) as session:
        found = {}
        for row in reads.list_commitments(session, cycle_id=cycle):
            for report in reads.list_reports(session, commitment_id=row.id):
                session.expunge(report)
                found[(row.regency_code, report.quarter)] = report
        return found


async def test_exports_match_the_database(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = dev_server_env
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await lifecycle(api, await env.get_current_time())
        exports = f"/cycles/{cycle}/exports"

        # Action plans: the approved version of 53.01, the latest draft of 53.71.
        xlsx = await api.get(f"{exports}/action-plans.xlsx", "manajer")
        assert xlsx.status_code == 200, xlsx.text
        assert xlsx.headers["content-type"] == XLSX
        assert xlsx.headers["content-disposition"] == (
            f'attachment; filename="rencana-aksi-{cycle}.xlsx"'
        )
        sheet = read_xlsx(xlsx.content)
        assert sheet[0] == [c.header for c in PLAN_COLUMNS]
        expected = plan_rows_in_db(api.url, cycle, ["53.01", "53.71"])
        assert len(expected) == len(PLANS["53.01"]["items"]) + len(PLANS["53.71"]["items"])
        assert [plan_row(r) for r in sheet[1:]] == expected
        first = sheet[1]
        assert first[2] == "Kabupaten Kupang" and first[7] == "Kualitas pelaporan SPM"
        assert first[13] == "I, II, III, IV" and first[17] == "APBD"
        assert isinstance(first[16], int) and isinstance(first[3], int)

        response = await api.get(f"{exports}/action-plans.csv", "reviewer")
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"].endswith(f'rencana-aksi-{cycle}.csv"')
        rows = read_csv(response.content)
        assert rows[0] == [c.header for c in PLAN_COLUMNS]
        assert [plan_row(r) for r in rows[1:]] == expected
        assert rows[1:] == [["" if v is None else str(v) for v in r] for r in sheet[1:]]

        # Quarterly rekap: four quarters per regency; only 53.01 Q1 was reported.
        rekap = read_xlsx((await api.get(f"{exports}/quarterly-rekap.xlsx", "manajer")).content)
        assert rekap[0] == [c.header for c in REKAP_COLUMNS]
        assert [(r[0], r[3]) for r in rekap[1:]] == [
            (code, q) for code in ("53.01", "53.71") for q in ("I", "II", "III", "IV")
        ]
        reports = reports_in_db(api.url, cycle)
        assert set(reports) == {("53.01", 1)}
        q1 = reports[("53.01", 1)]
        assert q1.state == "verified" and q1.timeliness == "on_time"
        assert q1.submitted_at is not None and q1.verified_at is not None

        def wita(moment: datetime) -> datetime:
            return moment.astimezone(WITA).replace(tzinfo=None)

        row = rekap[1]
        assert row[4:7] == ["Terverifikasi", "Tepat waktu", q1.submitted_by]
        assert abs(row[7] - wita(q1.submitted_at)).total_seconds() < 1
        assert row[8] == q1.verified_by == "Reviewer BPBD Provinsi NTT"
        assert abs(row[9] - wita(q1.verified_at)).total_seconds() < 1
        assert row[10] == 12.75
        assert all(r[4] == NOT_YET and r[7] is None for r in rekap[2:])

        csv_rekap = read_csv((await api.get(f"{exports}/quarterly-rekap.csv", "manajer")).content)
        assert csv_rekap[0] == [c.header for c in REKAP_COLUMNS]
        assert csv_rekap[1][7] == wita(q1.submitted_at).strftime("%Y-%m-%d %H:%M")
        assert csv_rekap[1][10] == "12.75" and len(csv_rekap) == 9

        # A regency officer of 53.71 gets 53.71's rows only; no 403, as on the board.
        own = read_xlsx((await api.get(f"{exports}/action-plans.xlsx", "operator-5371")).content)
        assert [plan_row(r) for r in own[1:]] == plan_rows_in_db(api.url, cycle, ["53.71"])
        assert {r[4] for r in own[1:]} == {"terakhir"}
        own_rekap = read_csv(
            (await api.get(f"{exports}/quarterly-rekap.csv", "kalak-5371")).content
        )
        assert {r[0] for r in own_rekap[1:]} == {"53.71"}

        # No token: 401; an unknown cycle: 404; an unknown format: 422.
        assert (await api.http.get(f"{exports}/action-plans.xlsx")).status_code == 401
        assert (await api.http.get(f"{exports}/quarterly-rekap.csv")).status_code == 401
        missing = await api.get("/cycles/nope/exports/action-plans.csv", "manajer")
        assert missing.status_code == 404
        assert (await api.get(f"{exports}/action-plans.pdf", "manajer")).status_code == 422
