"""Who signs for an office on a day, and how the block reads (Permendagri 1/2023, Art. 44)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.catalog import Office, load_catalog
from domain.offices import (
    PLANNING_AGENCY,
    Assignment,
    RecordedTitle,
    block_lines,
    gaps,
    in_force,
    offices_held,
    problems,
    title_on,
)
from domain.refusals import RefusalCode as R
from domain.roles import Acting

NIP = "197503122000121003"


def assignment(
    username: str,
    acting: Acting = Acting.DEFINITIVE,
    start: date | None = None,
    end: date | None = None,
    office: Office = Office.BPBD_HEAD,
    **extra: object,
) -> Assignment:
    return Assignment.model_validate(
        {
            "regency_code": "53.01",
            "office": office,
            "username": username,
            "acting": acting,
            "sk_number": "800/1/2026",
            "valid_from": start,
            "valid_until": end,
            **extra,
        }
    )


# --- signature blocks, one test per case of Article 44 --------------------------------


def test_a_definitive_official_shows_title_name_pangkat_and_nip() -> None:
    lines = block_lines(
        office="bpbd_head",
        acting="definitive",
        office_title="Kepala BPBD Kabupaten Kupang",
        name="Yohanes Benu",
        pangkat="Pembina Tk. I (IV/b)",
        nip=NIP,
    )
    assert (lines.title, lines.own_title, lines.pangkat, lines.nip) == (
        "KEPALA BPBD KABUPATEN KUPANG,",
        None,
        "Pembina Tk. I (IV/b)",
        NIP,
    )


@pytest.mark.parametrize(("acting", "mark"), [("plt", "Plt."), ("plh", "Plh.")])
def test_a_plt_or_plh_agency_head_shows_the_mark_pangkat_and_nip(acting: str, mark: str) -> None:
    lines = block_lines(
        office="planning_head",
        acting=acting,
        office_title="Kepala Bappelitbangda Kabupaten Lembata",
        name="Maria Kewa",
        pangkat="Pembina (IV/a)",
        nip=NIP,
    )
    assert lines.title == f"{mark} KEPALA BAPPELITBANGDA KABUPATEN LEMBATA,"
    assert (lines.pangkat, lines.nip) == ("Pembina (IV/a)", NIP)


@pytest.mark.parametrize(
    ("acting", "mark"), [("pj", "Pj."), ("pjs", "Pjs."), ("plt", "Plt."), ("plh", "Plh.")]
)
def test_an_acting_kepala_daerah_shows_neither_pangkat_nor_nip(acting: str, mark: str) -> None:
    lines = block_lines(
        office="regional_head",
        acting=acting,
        office_title="Bupati Kupang",
        name="Alexander Lumba",
        pangkat="Pembina Utama Muda (IV/c)",
        nip=NIP,
    )
    assert (lines.title, lines.pangkat, lines.nip) == (f"{mark} BUPATI KUPANG,", None, None)


def test_a_definitive_kepala_daerah_shows_neither_pangkat_nor_nip() -> None:
    lines = block_lines(
        office="regional_head",
        acting="definitive",
        office_title="Wali Kota Kupang",
        name="Christian Widodo",
        pangkat=None,
        nip=None,
    )
    assert (lines.title, lines.pangkat, lines.nip) == ("WALI KOTA KUPANG,", None, None)


def test_an_signer_has_their_own_title_on_its_own_line_with_pangkat_and_nip() -> None:
    lines = block_lines(
        office="regional_head",
        acting="an",
        office_title="Bupati Kupang",
        name="Obed Kadji",
        pangkat="Pembina Utama Madya (IV/d)",
        nip=NIP,
        own_title="Sekretaris Daerah",
    )
    assert (lines.title, lines.own_title) == ("a.n. BUPATI KUPANG", "SEKRETARIS DAERAH,")
    assert (lines.pangkat, lines.nip) == ("Pembina Utama Madya (IV/d)", NIP)


# --- what may be recorded --------------------------------------------------------------


@pytest.mark.parametrize("acting", [Acting.PJ, Acting.PJS])
def test_pj_and_pjs_are_for_a_kepala_daerah_only(acting: Acting) -> None:
    found = problems(assignment("a", acting, date(2026, 1, 1)), [])
    assert [p.code for p in found] == [R.ACTING_NOT_FOR_OFFICE]
    assert found[0].params["allowed"] == "Plt., Plh., a.n."
    assert (
        problems(assignment("a", acting, date(2026, 1, 1), office=Office.REGIONAL_HEAD), []) == []
    )


def test_an_needs_the_signers_own_title_and_every_dated_assignment_an_sk() -> None:
    bare = assignment("a", Acting.AN, date(2026, 1, 1), sk_number=" ")
    assert [p.code for p in problems(bare, [])] == [R.SK_REQUIRED, R.OWN_TITLE_REQUIRED]


def test_a_reversed_period_is_refused() -> None:
    found = problems(assignment("a", start=date(2026, 3, 1), end=date(2026, 2, 1)), [])
    assert [p.code for p in found] == [R.PERIOD_REVERSED]


def test_two_holders_of_one_tier_may_not_overlap_but_an_acting_one_lies_over() -> None:
    holder = assignment("holder", start=date(2026, 1, 1), id=1)
    second = assignment("second", start=date(2026, 6, 1))
    assert [p.code for p in problems(second, [holder])] == [R.ASSIGNMENT_OVERLAP]
    plh = assignment("plh", Acting.PLH, date(2026, 6, 1), date(2026, 6, 14))
    assert problems(plh, [holder]) == []
    other_plt = assignment("plt", Acting.PLT, date(2026, 6, 10), date(2026, 7, 1))
    assert [p.code for p in problems(other_plt, [holder, plh.model_copy(update={"id": 2})])] == [
        R.ASSIGNMENT_OVERLAP
    ]
    # Another office, or the same person's own record edited, is no overlap.
    other_office = assignment("second", start=date(2026, 6, 1), office=Office.PLANNING_HEAD)
    assert problems(other_office, [holder]) == []
    assert problems(holder, [holder]) == []


# --- who signs on a day ----------------------------------------------------------------


def test_the_acting_official_signs_on_their_days_and_the_holder_around_them() -> None:
    holder = assignment("holder", start=date(2026, 1, 1), end=date(2026, 8, 31))
    plh = assignment("plh", Acting.PLH, date(2026, 6, 1), date(2026, 6, 14))
    recorded = [holder, plh]
    assert in_force(recorded, Office.BPBD_HEAD, date(2026, 5, 31)) == holder
    assert in_force(recorded, Office.BPBD_HEAD, date(2026, 6, 1)) == plh
    assert in_force(recorded, Office.BPBD_HEAD, date(2026, 6, 15)) == holder
    assert in_force(recorded, Office.BPBD_HEAD, date(2026, 9, 1)) is None
    assert in_force(recorded, Office.REGIONAL_HEAD, date(2026, 6, 1)) is None
    assert offices_held(recorded, "holder", date(2026, 6, 3)) == []
    assert offices_held(recorded, "plh", date(2026, 6, 3)) == [plh]


def test_gaps_are_the_days_nobody_holds_the_office() -> None:
    recorded = [
        assignment("a", start=date(2026, 1, 1), end=date(2026, 3, 31)),
        assignment("b", Acting.PLT, date(2026, 4, 6), date(2026, 6, 30)),
        assignment("c", start=date(2026, 8, 1)),
    ]
    assert gaps(recorded, Office.BPBD_HEAD, date(2026, 2, 1), date(2026, 12, 31)) == [
        (date(2026, 4, 1), date(2026, 4, 5)),
        (date(2026, 7, 1), date(2026, 7, 31)),
    ]
    assert gaps(recorded[:1], Office.BPBD_HEAD, date(2026, 3, 1), date(2026, 4, 2)) == [
        (date(2026, 4, 1), date(2026, 4, 2))
    ]
    assert gaps([], Office.BPBD_HEAD, date(2026, 1, 1), date(2026, 1, 3)) == [
        (date(2026, 1, 1), date(2026, 1, 3))
    ]


# --- titles and agencies per regency, per date ----------------------------------------


def test_titles_change_per_regency_on_its_own_date() -> None:
    catalog = load_catalog()
    kupang, sikka = catalog.get("53.01"), catalog.get("53.07")
    assert sikka.name == "Kabupaten Sikka"
    recorded = [RecordedTitle("bpbd_head", "Kepala BPBD Kabupaten Sikka", date(2026, 5, 4))]
    # Sikka's own regulation took effect on 4 May 2026; Kupang's catalog date still holds.
    assert title_on(sikka, "bpbd_head", date(2026, 5, 3), []) == title_on(
        sikka, "bpbd_head", date(2026, 5, 3), recorded
    )
    assert title_on(sikka, "bpbd_head", date(2026, 5, 4), recorded) == "Kepala BPBD Kabupaten Sikka"
    assert title_on(kupang, "bpbd_head", date(2026, 5, 4), []) == "Kepala BPBD Kabupaten Kupang"


def test_the_planning_agency_differs_by_regency_and_date() -> None:
    catalog = load_catalog()
    by_name = {r.short_name: r for r in catalog.regencies}
    on = date(2026, 1, 15)
    assert title_on(by_name["Sikka"], PLANNING_AGENCY, on, []) == "Bapperida"
    assert title_on(by_name["Sikka"], PLANNING_AGENCY, date(2024, 6, 1), []) == "Bappeda"
    assert title_on(by_name["Lembata"], PLANNING_AGENCY, on, []) == "Bappelitbangda"
    assert title_on(by_name["Manggarai"], PLANNING_AGENCY, on, []) == "Bappelitbangda"
    assert title_on(by_name["Ende"], PLANNING_AGENCY, on, []) == "Bappeda"
    assert by_name["Lembata"].title_of(Office.PLANNING_HEAD, on) == (
        "Kepala Bappelitbangda Kabupaten Lembata"
    )
    renamed = [RecordedTitle(PLANNING_AGENCY, "Bapperida", date(2026, 7, 1))]
    assert title_on(by_name["Ende"], PLANNING_AGENCY, date(2026, 7, 1), renamed) == "Bapperida"
