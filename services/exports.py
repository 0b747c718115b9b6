"""Export tables (rencana aksi, rekap triwulan) and their CSV and XLSX encodings.

`action_plans` and `quarterly_rekap` read a cycle in the person's scope (a regency
role gets its own regency's rows, as the board shows it); the rest is pure: rows in,
bytes out, deciding columns, labels in Bahasa Indonesia and the file formats.
Times are written in WITA; numbers stay numbers in XLSX.

The action-plan export ends with an item's newer fields (baseline, quarter targets,
outcome links as words, the carried-over mark) and the item's latest report on record
(submitted or verified): realised %, budget realised in Rp and as a share of the
budget (computed), kendala and rencana tindak lanjut.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from db import evidence as evidence_records
from db import models as m
from db import reads
from domain import plan as labels
from domain import reports as report_labels
from domain.calendar import WITA
from domain.catalog import Regency, load_catalog
from domain.plan import ISSUE_LABELS, BudgetSource, Partner, Phase, StrategicIssue
from domain.reports import ReportState, Timeliness
from domain.stages import STAGE_LABELS, Stage
from services import item_details
from services.access import AuthUser
from services.cycles import commitments_in_scope

Cell = str | int | Decimal | datetime | None

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"

# Exports are read in Indonesian offices: each label is the pages' own (`domain.words`).
PHASE_LABELS = labels.PHASE_LABELS["id"]
PARTNER_LABELS = labels.PARTNER_LABELS["id"]
SOURCE_LABELS = labels.BUDGET_SOURCE_LABELS["id"]
REPORT_STATE_LABELS = report_labels.REPORT_STATE_LABELS["id"]
TIMELINESS_LABELS = report_labels.TIMELINESS_LABELS["id"]
NOT_YET = "Belum ada laporan"
"""State of a quarter with no report recorded yet (not submitted, not yet locked)."""
BASIS_APPROVED = "disetujui"
BASIS_LATEST = "terakhir"
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


@dataclass(frozen=True)
class Column:
    """A column: its header, width in characters and Excel number format."""

    header: str
    width: int
    number_format: str | None = None


@dataclass(frozen=True)
class Table:
    """A titled table of cells, ready to write as CSV or XLSX."""

    title: str
    columns: tuple[Column, ...]
    rows: list[list[Cell]] = field(default_factory=list)


def exported_version(commitment: m.Commitment) -> int:
    """The version of a commitment to export: the approved one if any, else the latest."""
    approved = commitment.approved_version
    return approved if approved is not None else commitment.latest_version


@dataclass(frozen=True)
class PlanExport:
    """One commitment's exported version: the approved one if any, else the latest."""

    commitment: m.Commitment
    regency: Regency
    items: Sequence[m.ActionItem]
    evidence: Mapping[int, Sequence[int]] = field(default_factory=dict)
    """The quarters of each evidence file attached to an item, by item position."""
    public_url: str = ""
    """Where people reach Komitmen: the evidence links start here."""
    reports: Sequence[m.QuarterlyReport] = ()
    """The commitment's quarterly reports, by quarter."""

    def latest_progress(self, position: int) -> tuple[int, Mapping[str, Any]] | None:
        """The quarter and progress of the item in its latest report submitted or verified."""
        found = None
        for report in sorted(self.reports, key=lambda r: r.quarter):
            if report.state not in _REPORTED:
                continue
            for progress in report.items:
                if progress.get("item_position") == position:
                    found = (report.quarter, progress)
        return found

    def evidence_links(self, position: int) -> str:
        """Links to the ZIPs of the quarters in which the item has evidence, one per line."""
        base = f"{self.public_url}/cycles/{self.commitment.cycle_id}/commitments"
        code = self.regency.kemendagri_code
        quarters = sorted(set(self.evidence.get(position, ())))
        return "\n".join(f"{base}/{code}/reports/{q}/evidence.zip" for q in quarters)

    @property
    def version(self) -> int:
        """The version exported."""
        return exported_version(self.commitment)

    @property
    def basis(self) -> str:
        """Which version this is, in words: "disetujui" or "terakhir"."""
        return BASIS_APPROVED if self.commitment.approved_version is not None else BASIS_LATEST


_DATE_TIME = "yyyy-mm-dd hh:mm"
PLAN_COLUMNS = (
    Column("Kode Kemendagri", 10),
    Column("Kode BPS", 8),
    Column("Kabupaten/Kota", 32),
    Column("Versi", 6, "0"),
    Column("Dasar versi", 11),
    Column("Tahap", 20),
    Column("No.", 5, "0"),
    Column("Isu strategis", 30),
    Column("Fase", 16),
    Column("Uraian aksi", 50),
    Column("Indikator", 40),
    Column("Target", 10, "#,##0.##"),
    Column("Satuan", 12),
    Column("Triwulan", 14),
    Column("Penanggung jawab", 25),
    Column("Mitra pentahelix", 30),
    Column("Pagu (Rp)", 16, "#,##0"),
    Column("Sumber anggaran", 10),
    Column("Lokasi", 28),
    Column("Bukti dukung (berkas)", 10, "0"),
    Column("Tautan bukti", 60),
    # The item's newer fields (`domain.plan.ActionItem`, docs/outcomes.md).
    Column("Kondisi awal (baseline)", 10, "#,##0.##"),
    Column("Target TW I", 10, "#,##0.##"),
    Column("Target TW II", 10, "#,##0.##"),
    Column("Target TW III", 10, "#,##0.##"),
    Column("Target TW IV", 10, "#,##0.##"),
    Column("Capaian yang didukung", 60),
    Column("Dibawa dari siklus", 30),
    # The item's latest report on record (submitted or verified).
    Column("Laporan terakhir (triwulan)", 10),
    Column("Realisasi (%)", 10, "0.00"),
    Column("Realisasi anggaran (Rp)", 16, "#,##0"),
    Column("Realisasi anggaran (% pagu)", 10, "0.00"),
    Column("Kendala", 40),
    Column("Rencana tindak lanjut", 40),
)
_REPORTED = {ReportState.SUBMITTED.value, ReportState.VERIFIED.value}
REKAP_COLUMNS = (
    Column("Kode Kemendagri", 10),
    Column("Kode BPS", 8),
    Column("Kabupaten/Kota", 32),
    Column("Triwulan", 8),
    Column("Status laporan", 18),
    Column("Ketepatan waktu", 16),
    Column("Diajukan oleh", 28),
    Column("Diajukan pada (WITA)", 17, _DATE_TIME),
    Column("Diverifikasi oleh", 28),
    Column("Diverifikasi pada (WITA)", 17, _DATE_TIME),
    Column("Rata-rata realisasi (%)", 12, "0.00"),
)


def _wita(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(WITA)


def _number(value: Decimal) -> int | Decimal:
    return int(value) if value == value.to_integral_value() else value


def action_plan_table(plans: Sequence[PlanExport]) -> Table:
    """One row per action item of each commitment's exported version."""
    table = Table("Rencana aksi", PLAN_COLUMNS)
    issues = ISSUE_LABELS["id"]
    for plan in plans:
        row = plan.commitment
        for item in plan.items:
            table.rows.append(
                [
                    plan.regency.kemendagri_code,
                    plan.regency.bps_code,
                    row.regency_name,
                    plan.version,
                    plan.basis,
                    STAGE_LABELS["id"][Stage(row.stage)],
                    item.position,
                    issues[StrategicIssue(item.strategic_issue)],
                    PHASE_LABELS[Phase(item.phase)],
                    item.activity,
                    item.indicator,
                    _number(item.target_value),
                    item.target_unit,
                    ", ".join(ROMAN[int(q)] for q in item.due_quarters),
                    item.responsible_unit,
                    ", ".join(PARTNER_LABELS[Partner(p)] for p in item.partners),
                    _number(item.budget_rp),
                    SOURCE_LABELS[BudgetSource(item.budget_source)],
                    item.location,
                    len(plan.evidence.get(item.position, ())),
                    plan.evidence_links(item.position),
                    *newer_fields(item),
                    *latest_progress(plan, item),
                ]
            )
    return table


def _maybe_number(value: Decimal | None) -> int | Decimal | None:
    """A number as the sheet holds it: whole as int, else without trailing zeros."""
    if value is None:
        return None
    return _number(value) if value == value.to_integral_value() else value.normalize()


def newer_fields(item: m.ActionItem) -> list[Cell]:
    """Baseline, the four quarter targets, the outcomes as words and the carried-over mark."""
    targets = item_details.quarter_targets_of(item) or [None] * 4
    outcomes = item_details.outcome_lines(item_details.outcomes_of(item), "id")
    return [
        _maybe_number(item_details.baseline_of(item)),
        *(_maybe_number(t) for t in targets),
        "\n".join(outcomes) or None,
        item_details.carried_text(item, "id"),
    ]


def latest_progress(plan: PlanExport, item: m.ActionItem) -> list[Cell]:
    """The item's latest report: quarter, realised %, budget realised (Rp and % of the
    budget, computed), kendala and rencana tindak lanjut; empty cells before any."""
    found = plan.latest_progress(item.position)
    if found is None:
        return [None] * 6
    quarter, progress = found
    realised = progress.get("realised_rp")
    realised_rp = None if realised is None else Decimal(str(realised))
    return [
        ROMAN[quarter],
        _maybe_number(Decimal(str(progress["percent_realised"]))),
        _maybe_number(realised_rp),
        _maybe_number(item_details.realised_percent(realised_rp, item.budget_rp)),
        progress.get("obstacles") or None,
        progress.get("follow_up") or None,
    ]


def average_realised(report: m.QuarterlyReport) -> Decimal | None:
    """The mean percent realised over a report's items, to two decimals; None if no items."""
    values = [Decimal(str(i["percent_realised"])) for i in report.items]
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"))


def rekap_table(
    commitments: Sequence[tuple[m.Commitment, Regency, Sequence[m.QuarterlyReport]]],
) -> Table:
    """Per regency and quarter I-IV: report state, timeliness, who and when, mean realisation."""
    table = Table("Rekap triwulan", REKAP_COLUMNS)
    for row, regency, reports in commitments:
        by_quarter = {r.quarter: r for r in reports}
        for quarter in (1, 2, 3, 4):
            report = by_quarter.get(quarter)
            head: list[Cell] = [
                regency.kemendagri_code,
                regency.bps_code,
                row.regency_name,
                ROMAN[quarter],
            ]
            if report is None:
                table.rows.append([*head, NOT_YET, NOT_YET, None, None, None, None, None])
                continue
            table.rows.append(
                [
                    *head,
                    REPORT_STATE_LABELS[ReportState(report.state)],
                    TIMELINESS_LABELS[Timeliness(report.timeliness)],
                    report.submitted_by,
                    _wita(report.submitted_at),
                    report.verified_by,
                    _wita(report.verified_at),
                    average_realised(report),
                ]
            )
    return table


FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a text field as a formula (OWASP, CSV injection)."""


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        # What people typed is text: a leading quote keeps Excel or LibreOffice from
        # running `=HYPERLINK(...)` or `@SUM(...)` when the manager opens the file.
        return "'" + value
    return str(value)


def to_csv(table: Table) -> bytes:
    """The table as comma-separated UTF-8 with a BOM, so Excel reads the accents right.

    A text field starting with = + - @, a tab or a carriage return gets a leading
    single quote, so no spreadsheet reads it as a formula; numbers are left as they are.
    """
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.header for c in table.columns])
    writer.writerows([_csv_cell(v) for v in row] for row in table.rows)
    return (BOM + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    """The table as one XLSX sheet: bold frozen header, numbers as numbers, set widths.

    Every text cell is stored as a string, whatever it starts with: openpyxl would
    otherwise write a text starting with "=" as a live formula.
    """
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = table.title
    sheet.append([c.header for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        # Excel has no time zones: times are written as WITA wall-clock time.
        sheet.append([v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in row])
        for cell, value in zip(sheet[sheet.max_row], row, strict=True):
            if isinstance(value, str):
                cell.data_type = "s"
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width + 2
        if column.number_format is not None:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = column.number_format
    sheet.freeze_panes = "A2"
    if table.rows:
        sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def action_plans(session: Session, user: AuthUser, cycle_id: str, public_url: str = "") -> Table:
    """Every action item of each commitment's approved (else latest) version, in scope,
    with how many evidence files its reports carry and links to them."""
    catalog = load_catalog()
    rows = commitments_in_scope(session, user, cycle_id)
    items = reads.items_of_versions(
        session, versions={row.id: exported_version(row) for row in rows}
    )
    files = evidence_records.quarters_by_item(session, commitment_ids=[row.id for row in rows])
    reports = reads.reports_by_commitment(session, cycle_id=cycle_id)
    plans = [
        PlanExport(
            commitment=row,
            regency=catalog.get(row.regency_code),
            items=items.get(row.id, []),
            evidence=files.get(row.id, {}),
            public_url=public_url.rstrip("/"),
            reports=reports.get(row.id, []),
        )
        for row in rows
    ]
    return action_plan_table(plans)


def quarterly_rekap(session: Session, user: AuthUser, cycle_id: str) -> Table:
    """Per regency and quarter in scope: report state, timeliness, submission, verification."""
    catalog = load_catalog()
    rows = commitments_in_scope(session, user, cycle_id)
    reports = reads.reports_by_commitment(session, cycle_id=cycle_id)
    return rekap_table(
        [(row, catalog.get(row.regency_code), reports.get(row.id, [])) for row in rows]
    )
