"""Tests of the regency catalog: codes, lookup, seats and titles over time."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from domain.catalog import Catalog, Office, Regency, is_province_code, load_catalog
from domain.errors import DomainError, UnknownRegency

# Kemendagri code, BPS code, name: the table in DOMAIN.md.
REGENCIES = [
    ("53.01", "5303", "Kabupaten Kupang"),
    ("53.02", "5304", "Kabupaten Timor Tengah Selatan"),
    ("53.03", "5305", "Kabupaten Timor Tengah Utara"),
    ("53.04", "5306", "Kabupaten Belu"),
    ("53.05", "5307", "Kabupaten Alor"),
    ("53.06", "5309", "Kabupaten Flores Timur"),
    ("53.07", "5310", "Kabupaten Sikka"),
    ("53.08", "5311", "Kabupaten Ende"),
    ("53.09", "5312", "Kabupaten Ngada"),
    ("53.10", "5313", "Kabupaten Manggarai"),
    ("53.11", "5302", "Kabupaten Sumba Timur"),
    ("53.12", "5301", "Kabupaten Sumba Barat"),
    ("53.13", "5308", "Kabupaten Lembata"),
    ("53.14", "5314", "Kabupaten Rote Ndao"),
    ("53.15", "5315", "Kabupaten Manggarai Barat"),
    ("53.16", "5318", "Kabupaten Nagekeo"),
    ("53.17", "5316", "Kabupaten Sumba Tengah"),
    ("53.18", "5317", "Kabupaten Sumba Barat Daya"),
    ("53.19", "5319", "Kabupaten Manggarai Timur"),
    ("53.20", "5320", "Kabupaten Sabu Raijua"),
    ("53.21", "5321", "Kabupaten Malaka"),
    ("53.71", "5371", "Kota Kupang"),
]

CATALOG = load_catalog()


def test_catalog_has_the_22_regencies_in_kemendagri_order() -> None:
    assert CATALOG.codes() == [k for k, _, _ in REGENCIES]


@pytest.mark.parametrize(("kemendagri", "bps", "name"), REGENCIES)
def test_both_codes_find_the_same_regency(kemendagri: str, bps: str, name: str) -> None:
    by_kemendagri = CATALOG.get(kemendagri)
    by_bps = CATALOG.get(bps)
    assert by_kemendagri == by_bps
    assert (by_kemendagri.kemendagri_code, by_kemendagri.bps_code, by_kemendagri.name) == (
        kemendagri,
        bps,
        name,
    )


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("53.01", "Kabupaten Kupang"),
        ("5301", "Kabupaten Sumba Barat"),  # a bare four digits is a BPS code
        ("53.12", "Kabupaten Sumba Barat"),
        ("5303", "Kabupaten Kupang"),
        ("53.71", "Kota Kupang"),
        ("5371", "Kota Kupang"),
        (" 53.71 ", "Kota Kupang"),
    ],
)
def test_get(code: str, name: str) -> None:
    assert CATALOG.get(code).name == name


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("53.99", "no regency in Provinsi Nusa Tenggara Timur has Kemendagri code '53.99'"),
        ("5399", "no regency in Provinsi Nusa Tenggara Timur has BPS code '5399'"),
        ("kupang", "'kupang' is not a regency code: use a Kemendagri code such as '53.01'"),
        ("53.1", "not a regency code"),
    ],
)
def test_unknown_code(code: str, message: str) -> None:
    with pytest.raises(UnknownRegency) as caught:
        CATALOG.get(code)
    error = caught.value
    assert message in str(error)
    assert error.code == code
    assert isinstance(error, LookupError)
    assert isinstance(error, DomainError)


def test_unknown_kemendagri_code_lists_the_known_ones() -> None:
    with pytest.raises(UnknownRegency, match=r"53\.21, 53\.71$"):
        CATALOG.get("53.22")


@pytest.mark.parametrize(
    ("code", "office", "on", "title"),
    [
        ("53.01", Office.BPBD_HEAD, date(2025, 12, 16), "Kepala Pelaksana BPBD Kabupaten Kupang"),
        ("53.01", Office.BPBD_HEAD, date(2025, 12, 17), "Kepala BPBD Kabupaten Kupang"),
        ("53.71", Office.BPBD_HEAD, date(2020, 1, 1), "Kepala Pelaksana BPBD Kota Kupang"),
        ("53.71", Office.BPBD_HEAD, date(2026, 6, 1), "Kepala BPBD Kota Kupang"),
        ("53.71", Office.REGIONAL_HEAD, date(2026, 6, 1), "Wali Kota Kupang"),
        ("53.02", Office.REGIONAL_HEAD, date(2026, 6, 1), "Bupati Timor Tengah Selatan"),
        ("53.71", Office.PLANNING_HEAD, date(2026, 6, 1), "Kepala Bappeda Kota Kupang"),
        ("53.12", Office.PLANNING_HEAD, date(2025, 11, 20), "Kepala Bappeda Kabupaten Sumba Barat"),
    ],
)
def test_title_of(code: str, office: Office, on: date, title: str) -> None:
    assert CATALOG.get(code).title_of(office, on) == title


@pytest.mark.parametrize("on", [date(2025, 11, 20), date(2025, 12, 16), date(2025, 12, 17)])
@pytest.mark.parametrize("office", list(Office))
def test_every_regency_has_every_title_on_each_side_of_the_change(office: Office, on: date) -> None:
    for regency in CATALOG.regencies:
        assert regency.title_of(office, on).strip()


@pytest.mark.parametrize(
    ("code", "seat", "kind", "head_title"),
    [
        ("53.01", "Oelamasi", "kabupaten", "Bupati"),
        ("53.02", "Soe", "kabupaten", "Bupati"),
        ("53.15", "Labuan Bajo", "kabupaten", "Bupati"),
        ("53.18", "Tambolaka", "kabupaten", "Bupati"),
        ("53.21", "Betun", "kabupaten", "Bupati"),
        ("53.71", "Kupang", "kota", "Wali Kota"),
    ],
)
def test_seat_and_kind(code: str, seat: str, kind: str, head_title: str) -> None:
    regency = CATALOG.get(code)
    assert (regency.seat, regency.kind, regency.head_title) == (seat, kind, head_title)


def test_only_kota_kupang_is_a_kota() -> None:
    assert [r.kemendagri_code for r in CATALOG.regencies if r.kind == "kota"] == ["53.71"]


def test_province() -> None:
    province = CATALOG.province
    assert (province.code, province.name, province.head_title) == (
        "53",
        "Provinsi Nusa Tenggara Timur",
        "Gubernur",
    )
    assert (province.planning_agency, province.capital, province.disaster_agency) == (
        "Bapperida",
        "Kupang",
        "BPBD Provinsi NTT",
    )


def test_load_catalog_is_cached_and_defaults_to_ntt() -> None:
    assert load_catalog() is load_catalog()
    assert load_catalog("53") == load_catalog()


def test_load_catalog_unknown_province() -> None:
    with pytest.raises(LookupError, match="no catalog for province '99'; available: 53"):
        load_catalog("99")


def _regency(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kemendagri_code": "53.01",
        "bps_code": "5303",
        "name": "Kabupaten Kupang",
        "short_name": "Kupang",
        "kind": "kabupaten",
        "head_title": "Bupati",
        "planning_agency": "Bappeda",
        "seat": "Oelamasi",
        "office_titles": [],
    }
    return data | changes


def test_title_lookup_fails_in_a_gap() -> None:
    regency = Regency.model_validate(
        _regency(
            office_titles=[
                {
                    "office": "bpbd_head",
                    "title": "Kepala BPBD Kabupaten Kupang",
                    "valid_from": "2026-02-01",
                },
            ]
        )
    )
    with pytest.raises(LookupError, match="no title for bpbd_head on 2026-01-31"):
        regency.title_of(Office.BPBD_HEAD, date(2026, 1, 31))
    assert regency.title_of(Office.BPBD_HEAD, date(2026, 2, 1)) == "Kepala BPBD Kabupaten Kupang"


@pytest.mark.parametrize(
    "titles",
    [
        [
            {"office": "bpbd_head", "title": "A", "valid_until": "2025-12-17"},
            {"office": "bpbd_head", "title": "B", "valid_from": "2025-12-17"},
        ],
        [
            {"office": "bpbd_head", "title": "A"},
            {"office": "bpbd_head", "title": "B", "valid_from": "2025-12-17"},
        ],
        [
            {
                "office": "bpbd_head",
                "title": "A",
                "valid_from": "2026-01-02",
                "valid_until": "2026-01-01",
            }
        ],
    ],
)
def test_overlapping_or_reversed_periods_are_refused(titles: list[dict[str, Any]]) -> None:
    with pytest.raises(ValidationError):
        Regency.model_validate(_regency(office_titles=titles))


@pytest.mark.parametrize(
    "regencies",
    [
        [_regency(), _regency(bps_code="5304")],  # Kemendagri code twice
        [_regency(), _regency(kemendagri_code="53.02")],  # BPS code twice
        [_regency(kemendagri_code="52.01")],  # another province's code
    ],
)
def test_catalog_refuses_inconsistent_codes(regencies: list[dict[str, Any]]) -> None:
    province = CATALOG.province.model_dump()
    with pytest.raises(ValidationError):
        Catalog.model_validate({"province": province, "regencies": regencies})


def test_the_province_is_a_party_found_by_its_own_code() -> None:
    """ "53" is the province as a party (its own plan), beside but not among the regencies."""
    party = CATALOG.get("53")
    assert party is CATALOG.party and party.kind == "provinsi"
    assert (party.name, party.seat, party.planning_agency) == (
        "Provinsi Nusa Tenggara Timur",
        "Kupang",
        "Bapperida",
    )
    assert "53" not in CATALOG.codes() and len(CATALOG.regencies) == 22
    assert CATALOG.parties()[0] is party and CATALOG.parties()[1:] == list(CATALOG.regencies)
    on = date(2026, 6, 1)
    assert party.title_of(Office.REGIONAL_HEAD, on) == "Gubernur Nusa Tenggara Timur"
    assert (
        party.title_of(Office.PLANNING_HEAD, on) == "Kepala Bapperida Provinsi Nusa Tenggara Timur"
    )
    assert party.title_of(Office.BPBD_HEAD, date(2025, 12, 16)).startswith("Kepala Pelaksana BPBD")
    assert all(t.source for t in party.office_titles)
    assert is_province_code("53") and not is_province_code("53.01")
