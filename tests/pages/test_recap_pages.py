"""The province recap page and its drill-downs over HTTP against the real app: the figures of
each section by quarter, links that open the items behind every figure (and add up to it),
Indonesian numbers, scope, language, refusals and the files behind the page's links."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.app import create_app
from db import people
from db.session import session_factory
from services import recap_report
from services.access import AuthUser
from services.recap import TOTAL, Figure, Kind, province_recap
from services.settings import Settings
from tests.pages.test_manager import words
from tests.pages.test_pages import hidden
from tests.recap_data import CYCLE, PASSWORD, seed_recap_year

RECAP = f"/cycles/{CYCLE}/recap"


def signed_in(db_url: str, tmp_path: Path, username: str) -> TestClient:
    """A client of the app signed in through the login form, pages in Bahasa Indonesia."""
    client = TestClient(create_app(Settings(database_url=db_url, data_dir=tmp_path)))
    form = client.get("/login")
    signed = client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "login_nonce": hidden(form.text, "login_nonce"),
        },
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    # The manager's record says English (the demo directory): these pages are read in Bahasa
    # Indonesia unless a test asks otherwise.
    assert client.get("/", params={"lang": "id"}).status_code == 200
    return client


def cells(page: str, kind: str, code: str) -> dict[str, str]:
    """The text of each figure of one row of the recap, by figure."""
    row = re.search(
        rf'<tr(?: class="total")? data-kind="{kind}" data-code="{re.escape(code)}">(.*?)</tr>',
        page,
        re.S,
    )
    assert row is not None, (kind, code)
    found = re.findall(r'<td class="[^"]*" data-figure="(\w+)">(.*?)</td>', row.group(1), re.S)
    return {figure: shown_text(text) for figure, text in found}


def shown_text(fragment: str) -> str:
    """The text of a piece of HTML, tags removed, spaces collapsed but no-break spaces kept."""
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def links(page: str) -> list[str]:
    """Every drill-down link of a recap page, unescaped."""
    return [html.unescape(href) for href in re.findall(rf'href="({re.escape(RECAP)}/[^"]+)"', page)]


def drill_count(page: str) -> tuple[int, int]:
    """(items, parties) a drill-down page says it lists."""
    found = re.search(r'<p id="drill-count">(\d+) aksi dari (\d+) pihak</p>', page)
    assert found is not None, page
    return int(found.group(1)), int(found.group(2))


def test_the_recap_shows_each_section_by_quarter_with_indonesian_numbers(
    db_url: str, tmp_path: Path
) -> None:
    seed_recap_year(db_url)
    client = signed_in(db_url, tmp_path, "manajer")
    board = client.get(f"/cycles/{CYCLE}/board", params={"lang": "id"}).text
    assert f'<a href="{RECAP}" id="recap-link">Rekap provinsi</a>' in board
    manager = client.get(f"/cycles/{CYCLE}/manager").text
    assert f'<a href="{RECAP}" id="recap-link">Rekap provinsi</a>' in manager

    page = client.get(RECAP, params={"quarter": "2"})
    assert page.status_code == 200, page.text
    text = page.text
    assert "<h1>Rekap provinsi: Rakor PB NTT 2026 (2027)</h1>" in text
    assert "Triwulan II Tahun 2027 (s.d. 30 Juni 2027)" in text
    assert f'<a href="{RECAP}?quarter=2" aria-current="page">Triwulan II</a>' in text
    for title in (
        "Layanan SPM sub-urusan bencana",
        "Prioritas IKD",
        "Indikator IKD",
        "Target Kerangka Sendai",
        "Tingkat Destana yang dituju",
        "Isu strategis × fase",
    ):
        assert f"<h2>{title}</h2>" in text
    assert cells(text, "spm", TOTAL) == {
        "items": "8",
        "parties": "4",
        "budget": "260.000.000,50",
        "realised": "47.500.000",
        "realised_percent": "18,27\u00a0%",
        "progress": "37,5\u00a0%",
        "done": "1",
        "behind": "6 / 3",
        "carried": "0",
    }
    assert cells(text, "issue_phase", "inclusive_dm.tanggap_darurat")["carried"] == "1"
    # A code no item serves still has its row, so the gap shows; its zeros link nowhere.
    assert cells(text, "spm", "spm3") == {
        "items": "0",
        "parties": "0",
        "budget": "0",
        "realised": "0",
        "realised_percent": "—",
        "progress": "—",
        "done": "0",
        "behind": "0 / 0",
        "carried": "0",
    }
    assert f"{RECAP}/spm/spm3?" not in text
    assert cells(text, "ikd_indicator", "2.12")["items"] == "4"
    assert "Indikator 12 (prioritas 2: Pengkajian risiko dan perencanaan terpadu)" in text
    # Who is not counted, plainly.
    not_counted = re.search(r'<section class="not-counted"[^>]*>(.*?)</section>', text, re.S)
    assert not_counted is not None
    assert "Belum dihitung (rencana aksi belum ditandatangani): 1 pihak" in not_counted.group(1)
    assert "Kabupaten Alor" in not_counted.group(1)

    # The first quarter: Kupang's second report does not count yet.
    first = client.get(RECAP, params={"quarter": "1"}).text
    assert cells(first, "spm", TOTAL)["progress"] == "36,25\u00a0%"  # (50+100+20+50+30+40)/8

    # Without a quarter: the latest whose report deadline has passed (else Triwulan I).
    with session_factory(db_url)() as session:
        recap = province_recap(session, _user(session, "manajer"), CYCLE, 1)
        expected = recap_report.default_quarter(
            recap.cycle, recap_report.recap_clock(session, recap.cycle, datetime.now(UTC))
        )
    default = client.get(RECAP).text
    assert f'<a href="{RECAP}?quarter={expected}" aria-current="page">' in default

    english = client.get(RECAP, params={"quarter": "2", "lang": "en"}).text
    assert "Province recap" in english and "SPM services (disaster sub-field)" in english
    assert cells(english, "spm", TOTAL)["budget"] == "260,000,000.50"
    assert cells(english, "spm", TOTAL)["progress"] == "37.5%"

    client.cookies.clear()
    anonymous = client.get(RECAP, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == f"/login?next=%2Fcycles%2F{CYCLE}%2Frecap"


def _user(session: object, username: str) -> AuthUser:
    found = people.get_user(session, username=username)  # type: ignore[arg-type]
    assert found is not None
    return AuthUser.of(found)


def test_every_figure_drills_down_to_items_that_add_up_to_it(db_url: str, tmp_path: Path) -> None:
    seed_recap_year(db_url)
    client = signed_in(db_url, tmp_path, "manajer")
    with session_factory(db_url)() as session:
        recap = province_recap(session, _user(session, "manajer"), CYCLE, 2)
    page = client.get(RECAP, params={"quarter": "2"}).text
    shown = set(links(page))
    checked = 0
    for section in recap.sections:
        for group in [*section.groups, section.total]:
            f = group.figures
            for figure, items, parties in (
                (Figure.ITEMS, f.items, len(f.parties)),
                (Figure.DONE, f.done, None),
                (Figure.BEHIND, f.behind_items, len(f.behind_parties)),
                (Figure.CARRIED, f.carried, None),
            ):
                href = f"{RECAP}/{section.kind.value}/{group.code}?quarter=2&figure={figure.value}"
                assert (href in shown) == bool(items), href
                if not items:
                    continue
                drill = client.get(href)
                assert drill.status_code == 200, drill.text
                counted = drill_count(drill.text)
                assert counted[0] == items, href
                if parties is not None:
                    assert counted[1] == parties, href
                checked += 1
    assert checked > 40

    behind = client.get(f"{RECAP}/spm/spm1", params={"quarter": "2", "figure": "behind"}).text
    assert "<h1>Layanan SPM sub-urusan bencana: Pelayanan informasi rawan bencana</h1>" in behind
    assert drill_count(behind) == (3, 3)
    # The figure leaves out Alor, not signed yet, and says so.
    assert "Belum dihitung (rencana aksi belum ditandatangani): Kabupaten Alor (53.05)." in behind
    shown_parties = re.findall(r'<section class="party" data-party="([^"]+)">', behind)
    assert shown_parties == ["53", "53.02", "53.71"]
    # Kota Kupang's report was never verified: 0 % against the 50 % expected by June.
    kota = behind[behind.index('data-party="53.71"') :]
    assert f'href="/cycles/{CYCLE}/commitments/53.71/page#item-1">1</a>' in kota
    assert "0\u00a0% / 50\u00a0%" in kota and '<strong class="badge">tertinggal</strong>' in kota
    assert ">40.000.000</td>" in kota  # Kota Kupang budgets four times Kupang's 10.000.000
    carried = client.get(f"{RECAP}/issue_phase/all", params={"quarter": "2", "figure": "carried"})
    assert drill_count(carried.text) == (1, 1)
    assert "Pendataan kelompok rentan di pengungsian" in carried.text
    assert ">lanjutan</td>" in carried.text


def test_a_regency_sees_its_own_recap_only(db_url: str, tmp_path: Path) -> None:
    seed_recap_year(db_url)
    client = signed_in(db_url, tmp_path, "operator-5302")
    page = client.get(RECAP, params={"quarter": "1"}).text
    assert cells(page, "issue_phase", TOTAL)["items"] == "3"
    assert cells(page, "issue_phase", TOTAL)["parties"] == "1"
    assert "Kabupaten Alor" not in page and "Kabupaten Kupang" not in page
    assert "Rencana aksi bertanda tangan dari semua pihak telah dihitung." in page
    drill = client.get(f"{RECAP}/spm/all", params={"quarter": "1"}).text
    assert re.findall(r'data-party="([^"]+)"', drill) == ["53.02"]
    assert client.get(f"{RECAP}.csv", params={"quarter": "1"}).text.count("\n") == 1 + sum(
        1 for line in page.splitlines() if 'data-kind="' in line and "<tr" in line
    )


def test_unknown_quarters_figures_sections_and_codes_are_refused_plainly(
    db_url: str, tmp_path: Path
) -> None:
    seed_recap_year(db_url)
    client = signed_in(db_url, tmp_path, "manajer")
    refusals = {
        f"{RECAP}?quarter=5": (422, "Triwulan harus 1 sampai 4 (I sampai IV)."),
        f"{RECAP}?quarter=dua": (422, "Triwulan harus 1 sampai 4 (I sampai IV)."),
        f"{RECAP}/spm/spm1?quarter=0": (422, "Triwulan harus 1 sampai 4 (I sampai IV)."),
        f"{RECAP}/spm/spm1?figure=semua": (422, "Angka tidak dikenal: pilih semua aksi (items)"),
        f"{RECAP}/spm/spm9": (404, "Rekap tidak memiliki kelompok “spm9” pada bagian “spm”."),
        f"{RECAP}/ikd/8": (404, "Rekap tidak memiliki kelompok “8” pada bagian “ikd”."),
        f"{RECAP}/ikd_indicator/7.71": (404, "kelompok “7.71” pada bagian “ikd_indicator”"),
        f"{RECAP}/bencana/all": (404, "Rekap tidak memiliki kelompok “all” pada bagian “bencana”."),
        f"{RECAP}.pdf": (404, "Tidak ditemukan"),
        "/cycles/tidak-ada/recap": (404, "Tidak ditemukan"),
    }
    for path, (status, message) in refusals.items():
        answer = client.get(path)
        assert answer.status_code == status, (path, answer.text)
        assert message in html.unescape(answer.text), (path, words(answer.text))


def test_the_pages_links_download_the_report_and_the_table(db_url: str, tmp_path: Path) -> None:
    seed_recap_year(db_url)
    client = signed_in(db_url, tmp_path, "manajer")
    page = client.get(RECAP, params={"quarter": "2"}).text
    assert f'<a href="{RECAP}.xlsx?quarter=2" download>laporan (XLSX, A4)</a>' in page
    xlsx = client.get(f"{RECAP}.xlsx", params={"quarter": "2"})
    assert xlsx.status_code == 200
    assert xlsx.headers["content-disposition"] == (
        f'attachment; filename="rekap-provinsi-{CYCLE}-tw2.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert sheet["A1"].value == "REKAPITULASI CAPAIAN RENCANA AKSI PENANGGULANGAN BENCANA"
    assert sheet["A4"].value == "Triwulan II Tahun 2027 (s.d. 30 Juni 2027)"
    english = client.get(f"{RECAP}.csv", params={"quarter": "2", "lang": "en"})
    assert english.headers["content-type"] == "text/csv; charset=utf-8"
    assert english.content.startswith("\ufeffSection,Kind,Code,Description".encode())
    assert Kind.SPM.value in english.text
