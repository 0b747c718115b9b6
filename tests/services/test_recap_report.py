"""The province recap as a report: the XLSX read back with openpyxl, printed to PDF by
LibreOffice (as a BPBD office would print it for the Gubernur), and the CSV.

The year is `tests.recap_data`, recorded straight into the database; LibreOffice is
Debian's (`make libreoffice`), run with a profile of its own in the test's folder and
the Indonesian locale an office in NTT would have, so numbers print 365.000.001.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from db import people
from db.session import session_factory
from domain.calendar import at_wita
from services import recap_report
from services.access import AuthUser
from services.recap import Kind, Recap, province_recap
from tests.pages.browser import ARTIFACTS
from tests.recap_data import CYCLE, seed_recap_year

MADE = at_wita(date(2027, 7, 25), 9, 30)
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def recap_of(db_url: str, quarter: int, username: str = "manajer") -> Recap:
    """The recap of the recorded year as `username` sees it."""
    with session_factory(db_url)() as session:
        user = people.get_user(session, username=username)
        assert user is not None
        return province_recap(session, AuthUser.of(user), CYCLE, quarter)


def sheet_rows(content: bytes) -> list[list[Any]]:
    """The cells of the report's one sheet, row by row."""
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def numbers(values: list[Any]) -> list[Decimal | None]:
    """Figures as exact decimals (openpyxl reads numbers back as int or float)."""
    return [None if v is None else Decimal(str(v)).quantize(Decimal("0.01")) for v in values]


def test_the_xlsx_is_a_report_whose_totals_are_the_recaps(db_url: str) -> None:
    seed_recap_year(db_url)
    recap = recap_of(db_url, 2)
    content = recap_report.recap_xlsx(recap, generated_at=MADE)
    rows = sheet_rows(content)
    heading = [row[0] for row in rows[:5]]
    assert heading == [
        "REKAPITULASI CAPAIAN RENCANA AKSI PENANGGULANGAN BENCANA",
        "Provinsi Nusa Tenggara Timur",
        "Siklus: Rakor PB NTT 2026 (2027)",
        "Triwulan II Tahun 2027 (s.d. 30 Juni 2027)",
        "Dibuat Minggu, 25 Juli 2027 pukul 09.30 WITA",
    ]
    # Each section: its title, its groups, then its bold total ("Jumlah").
    titles = [row[0] for row in rows if isinstance(row[0], str) and re.match(r"[A-F]\. ", row[0])]
    assert titles == [
        "A. Layanan SPM sub-urusan bencana",
        "B. Prioritas IKD",
        "C. Indikator IKD",
        "D. Target Kerangka Sendai",
        "E. Tingkat Destana yang dituju",
        "F. Isu strategis × fase",
    ]
    totals = [row for row in rows if row[1] == "Jumlah"]
    assert len(totals) == len(recap.sections) == 6
    for row, section in zip(totals, recap.sections, strict=True):
        expected = recap_report.figure_cells(section.total.figures)
        assert numbers(row[2:]) == numbers(expected), section.kind
    spm = recap.section(Kind.SPM).total.figures
    assert (spm.items, len(spm.parties), spm.done, spm.behind_items) == (8, 4, 1, 6)
    whole = recap.section(Kind.ISSUE_PHASE).total.figures
    assert (whole.items, whole.carried, whole.budget_rp) == (13, 1, Decimal("365000000.50"))
    assert whole.progress_percent == Decimal("32.31")

    # The summary repeats the whole plan's figures; numbers stay numbers, with formats.
    summary = {row[0]: row[2] for row in rows[6:20] if row[0]}
    assert summary["Pihak yang dihitung (rencana aksi bertanda tangan)"] == "4 dari 5"
    assert summary["Aksi"] == 13 and summary["Lanjutan siklus lalu"] == 1
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.active
    assert sheet is not None
    spm_total = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 2).value == "Jumlah")
    assert sheet.cell(spm_total, 5).number_format == "#,##0"
    assert sheet.cell(spm_total, 8).number_format == "0.00"
    assert sheet.cell(spm_total, 2).font.bold
    # Printed on A4 landscape, one page wide, the column headings on every page.
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4 == "9"
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    titled = re.fullmatch(r"\$?(\d+):\$?(\d+)", sheet.print_title_rows or "")
    assert titled is not None and titled.group(1) == titled.group(2)
    assert sheet.cell(int(titled.group(1)), 2).value == "Uraian"

    # The notes: each reference list's source, what the figures mean, who is not counted.
    text = "\n".join(str(row[0]) for row in rows if row[0])
    assert "Catatan:" in text
    assert "PP 2/2018" in text and "Sendai Framework for Disaster Risk Reduction" in text
    assert "Progres terverifikasi:" in text and "Tertinggal:" in text
    assert "Belum dihitung (rencana aksi belum ditandatangani): Kabupaten Alor (53.05)." in text


def test_a_regency_officer_gets_a_report_of_their_own_regency(db_url: str) -> None:
    seed_recap_year(db_url)
    recap = recap_of(db_url, 1, "operator-5302")
    assert recap.counted == ["53.02"] and recap.not_counted == []
    rows = sheet_rows(recap_report.recap_xlsx(recap, generated_at=MADE))
    whole = [row for row in rows if row[1] == "Jumlah"][-1]
    assert whole[2:4] == [3, 1]
    assert any(
        row[0] == "8. Rencana aksi bertanda tangan dari semua pihak telah dihitung." for row in rows
    )


def pdf_of(xlsx: bytes, folder: Path) -> Path:
    """The XLSX printed to PDF by LibreOffice, with a profile of its own, in Bahasa Indonesia."""
    assert SOFFICE is not None, "LibreOffice is missing: run `make libreoffice`"
    source = folder / "rekap.xlsx"
    source.write_bytes(xlsx)
    env = {**os.environ, "LANG": "id_ID.UTF-8", "LC_ALL": "id_ID.UTF-8", "HOME": str(folder)}
    done = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{folder / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(source),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    pdf = folder / "rekap.pdf"
    assert pdf.exists(), done.stdout + done.stderr
    return pdf


def poppler(*args: str) -> str:
    """The output of a poppler tool (pdftotext, pdfinfo)."""
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout


def test_libreoffice_prints_the_report_on_a4_landscape(db_url: str, tmp_path: Path) -> None:
    seed_recap_year(db_url)
    recap = recap_of(db_url, 2)
    pdf = pdf_of(recap_report.recap_xlsx(recap, generated_at=MADE), tmp_path)
    info = poppler("pdfinfo", "-f", "1", "-l", "99", str(pdf))
    sizes = re.findall(r"Page +\d+ size: +([\d.]+) x ([\d.]+) pts \(A4\)", info)
    pages = int(re.search(r"Pages: +(\d+)", info).group(1))  # type: ignore[union-attr]
    assert pages >= 2 and len(sizes) == pages, info
    assert all(float(w) > float(h) for w, h in sizes), "every page A4 landscape"

    first = poppler("pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-")
    assert "REKAPITULASI CAPAIAN RENCANA AKSI PENANGGULANGAN BENCANA" in first
    assert "Triwulan II Tahun 2027 (s.d. 30 Juni 2027)" in first
    # The SPM total row, numbers the Indonesian way: nothing cut, no "###".
    assert re.search(r"Jumlah +8 +4 +260\.000\.001 +47\.500\.000 +18,27 +37,50 +1 +6 +3 +0", first)
    whole = poppler("pdftotext", "-layout", str(pdf), "-")
    assert "#" not in whole
    grand_total = r"Jumlah +13 +4 +365\.000\.001 +61\.500\.000 +16,85 +32,31 +2 +10 +4 +1"
    assert re.search(grand_total, whole)
    last = poppler("pdftotext", "-layout", "-f", str(pages), "-l", str(pages), str(pdf), "-")
    assert "Uraian" in last, "the column headings repeat on every page"
    assert f"Halaman {pages} dari {pages}" in last
    assert "Catatan:" in whole and "Kabupaten Alor (53.05)" in whole

    # Kept beside the page screenshots: the first page, as docs/recap-xlsx.png shows it.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(pdf, ARTIFACTS / "recap-xlsx.pdf")
    first_page = str(ARTIFACTS / "recap-xlsx")
    poppler("pdftoppm", "-png", "-r", "110", "-f", "1", "-singlefile", str(pdf), first_page)


def test_the_csv_has_a_row_per_group_totals_included(db_url: str) -> None:
    seed_recap_year(db_url)
    recap = recap_of(db_url, 2)
    content = recap_report.recap_csv(recap)
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    head, body = rows[0], rows[1:]
    assert head[:4] == ["Bagian", "Jenis", "Kode", "Uraian"] and len(head) == 14
    groups = sum(len(s.groups) + 1 for s in recap.sections)
    assert len(body) == groups
    spm1 = next(r for r in body if r[1] == "spm" and r[2] == "spm1")
    assert spm1[3:8] == ["Pelayanan informasi rawan bencana", "4", "4", "100000000", "9500000"]
    indicator = next(r for r in body if r[1] == "ikd_indicator" and r[2] == "2.12")
    assert indicator[3].startswith("Indikator 12 (prioritas 2: Pengkajian risiko")
    total = next(r for r in body if r[1] == "issue_phase" and r[2] == "all")
    assert total[3:] == [
        "Jumlah",
        "13",
        "4",
        "365000000.50",
        "61500000",
        "16.85",
        "32.31",
        "2",
        "10",
        "4",
        "1",
    ]


def test_the_default_quarter_is_the_latest_whose_report_deadline_has_passed(db_url: str) -> None:
    seed_recap_year(db_url)
    cycle = recap_of(db_url, 1).cycle
    assert recap_report.default_quarter(cycle, datetime(2026, 12, 1, tzinfo=UTC)) == 1
    # Triwulan I's report is due 20 April 2027, 23:59 WITA.
    assert recap_report.default_quarter(cycle, at_wita(date(2027, 4, 20), 23, 58)) == 1
    assert recap_report.default_quarter(cycle, at_wita(date(2027, 4, 21), 0)) == 1
    assert recap_report.default_quarter(cycle, at_wita(date(2027, 7, 21), 0)) == 2
    assert recap_report.default_quarter(cycle, at_wita(date(2028, 2, 1), 0)) == 4
