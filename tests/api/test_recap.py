"""The province recap over the JSON API and as exports: the same figures as the page, scoped,
with refusals as problem details."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.app import create_app
from services.settings import Settings
from tests.recap_data import CYCLE, PASSWORD, seed_recap_year

RECAP = f"/cycles/{CYCLE}/province-recap"


def client_as(db_url: str, tmp_path: Path, username: str) -> tuple[TestClient, dict[str, str]]:
    """A client of the app and the bearer header of `username`."""
    client = TestClient(create_app(Settings(database_url=db_url, data_dir=tmp_path)))
    login = client.post("/auth/token", json={"username": username, "password": PASSWORD})
    assert login.status_code == 201, login.text
    return client, {"Authorization": f"Bearer {login.json()['access_token']}"}


def test_the_recap_and_its_drill_downs_as_json(db_url: str, tmp_path: Path) -> None:
    seed_recap_year(db_url)
    client, headers = client_as(db_url, tmp_path, "manajer")
    answer = client.get(RECAP, params={"quarter": 2}, headers=headers)
    assert answer.status_code == 200, answer.text
    recap = answer.json()
    assert (recap["quarter"], recap["period"]) == (2, "Triwulan II Tahun 2027 (s.d. 30 Juni 2027)")
    assert [s["kind"] for s in recap["sections"]] == [
        "spm",
        "ikd",
        "ikd_indicator",
        "sendai",
        "destana",
        "issue_phase",
    ]
    assert recap["counted"] == ["53", "53.01", "53.02", "53.71"]
    assert recap["not_counted"] == [{"code": "53.05", "name": "Kabupaten Alor"}]
    spm = recap["sections"][0]
    assert spm["title"] == "Layanan SPM sub-urusan bencana"
    assert [g["code"] for g in spm["groups"]] == ["spm1", "spm2", "spm3"]
    total = spm["total"]
    assert (total["code"], total["label"]) == ("all", "Jumlah")
    figures = total["figures"]
    assert figures["items"] == 8 and figures["parties"] == ["53", "53.01", "53.02", "53.71"]
    assert Decimal(figures["budget_rp"]) == Decimal("260000000.50")
    assert Decimal(figures["progress_percent"]) == Decimal("37.50")
    assert figures["behind_parties"] == ["53", "53.02", "53.71"]
    assert spm["groups"][2]["figures"]["progress_percent"] is None

    english = client.get(RECAP, params={"quarter": 2, "lang": "en"}, headers=headers).json()
    assert english["sections"][0]["title"] == "SPM services (disaster sub-field)"
    # Without a quarter: the default one, the same the page shows.
    assert client.get(RECAP, headers=headers).json()["quarter"] in (1, 2, 3, 4)

    drill = client.get(
        f"{RECAP}/spm/spm1", params={"quarter": 2, "figure": "behind"}, headers=headers
    )
    assert drill.status_code == 200, drill.text
    items = drill.json()["items"]
    assert [(i["party"], i["position"], i["behind"]) for i in items] == [
        ("53", 1, True),
        ("53.02", 1, True),
        ("53.71", 1, True),
    ]
    assert items[2]["party_name"] == "Kota Kupang" and Decimal(items[2]["expected"]) == 50
    assert drill.json()["not_counted"] == [{"code": "53.05", "name": "Kabupaten Alor"}]
    carried = client.get(
        f"{RECAP}/issue_phase/all", params={"quarter": 2, "figure": "carried"}, headers=headers
    ).json()
    assert [(i["party"], i["position"], i["carried"]) for i in carried["items"]] == [
        ("53.01", 4, True)
    ]

    refused = {
        f"{RECAP}/spm/spm9": 404,
        f"{RECAP}/bencana/all": 422,
        f"{RECAP}/spm/all?figure=semua": 422,
        f"{RECAP}?quarter=5": 422,
        f"{RECAP}?quarter=dua": 422,
        "/cycles/tidak-ada/province-recap": 404,
    }
    for path, status in refused.items():
        answer = client.get(path, headers=headers)
        assert answer.status_code == status, (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json", path
    assert "no spm group 'spm9'" in client.get(f"{RECAP}/spm/spm9", headers=headers).text
    assert client.get(RECAP).status_code == 401


def test_a_regency_officer_gets_its_own_regency(db_url: str, tmp_path: Path) -> None:
    seed_recap_year(db_url)
    client, headers = client_as(db_url, tmp_path, "operator-5371")
    recap = client.get(RECAP, params={"quarter": 1}, headers=headers).json()
    assert recap["counted"] == ["53.71"] and recap["not_counted"] == []
    whole = recap["sections"][-1]["total"]["figures"]
    # Its first report was submitted, never verified: nothing counts as progress yet.
    assert (whole["items"], whole["progress_percent"], whole["realised_rp"]) == (3, "0.00", "0.00")


def test_the_exports_are_the_report_and_the_table(db_url: str, tmp_path: Path) -> None:
    seed_recap_year(db_url)
    client, headers = client_as(db_url, tmp_path, "manajer")
    exports = f"/cycles/{CYCLE}/exports/province-recap"
    xlsx = client.get(f"{exports}.xlsx", params={"quarter": 2}, headers=headers)
    assert xlsx.status_code == 200, xlsx.text
    assert xlsx.headers["content-disposition"] == (
        f'attachment; filename="rekap-provinsi-{CYCLE}-tw2.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert sheet["A4"].value == "Triwulan II Tahun 2027 (s.d. 30 Juni 2027)"
    table = client.get(f"{exports}.csv", params={"quarter": 1}, headers=headers)
    assert table.status_code == 200
    assert table.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Bagian", "Jenis", "Kode", "Uraian"]
    spm_total = next(r for r in rows if r[1] == "spm" and r[2] == "all")
    assert spm_total[4:6] == ["8", "4"] and spm_total[9] == "36.25"
    assert client.get(f"{exports}.pdf", headers=headers).status_code == 422
    assert client.get(f"{exports}.csv", params={"quarter": 0}, headers=headers).status_code == 422
    assert client.get(f"{exports}.csv").status_code == 401
