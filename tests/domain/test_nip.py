"""The NIP's embedded birth date, TMT CPNS and sex digit, and the pangkat/golongan ladder."""

from __future__ import annotations

from datetime import date

import pytest

from domain.nip import NIP_ERRORS, NipRefused, find_pangkat, format_nip, pangkat_ladder, parse_nip

TODAY = date(2026, 3, 10)


def test_a_good_nip_is_read_and_grouped_8_6_1_3() -> None:
    nip = parse_nip("19800101 200501 1 001", TODAY)
    assert nip.digits == "198001012005011001"
    assert nip.birth_date == date(1980, 1, 1) and nip.tmt_cpns == date(2005, 1, 1)
    assert nip.sex == 1 and nip.grouped() == "19800101 200501 1 001"
    assert parse_nip("19800101.200501.2.001", TODAY).sex == 2
    assert format_nip("198001012005011001") == "19800101 200501 1 001"
    assert format_nip("12") == "12"


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("", "nip_digits"),
        ("1980010120050110", "nip_digits"),
        ("1980010120050110011", "nip_digits"),
        ("19800101200501100x", "nip_digits"),
        ("١٩٨٠٠١٠١٢٠٠٥٠١١٠٠١", "nip_digits"),  # Arabic-Indic digits are digits, not ASCII
        ("198002302005011001", "nip_birth_date"),  # 30 February
        ("198013012005011001", "nip_birth_date"),
        ("201001012030011001", "nip_age"),  # 16 years old
        ("195001012005011001", "nip_age"),  # 76 years old
        ("198001012005131001", "nip_tmt"),  # month 13
        ("198001012005001001", "nip_tmt"),
        ("198001011997121001", "nip_tmt_early"),  # CPNS at 17
        ("198001012027011001", "nip_tmt_future"),
        ("198001012005013001", "nip_sex"),
        ("198001012005010001", "nip_sex"),
    ],
)
def test_a_wrong_nip_is_refused_with_its_key(typed: str, key: str) -> None:
    with pytest.raises(NipRefused) as refused:
        parse_nip(typed, TODAY)
    assert refused.value.key == key and key in NIP_ERRORS


def test_the_age_and_the_tmt_bounds_are_inclusive() -> None:
    # 17 today is a plausible age (its TMT CPNS cannot have come yet), 17 tomorrow is not.
    with pytest.raises(NipRefused) as seventeen:
        parse_nip("200903102027031001", TODAY)
    assert seventeen.value.key == "nip_tmt_future"
    with pytest.raises(NipRefused) as sixteen:
        parse_nip("200903112027031001", TODAY)
    assert sixteen.value.key == "nip_age"
    assert parse_nip("195603102000011001", TODAY)  # 70 today
    assert parse_nip("195503112000011001", TODAY)  # 71 tomorrow: still 70
    with pytest.raises(NipRefused):
        parse_nip("195503102000011001", TODAY)  # 71 today
    # The month of the 18th birthday is allowed, the month before it is not.
    assert parse_nip("198006151998061001", TODAY).tmt_cpns == date(1998, 6, 1)
    with pytest.raises(NipRefused, match="18th"):
        parse_nip("198006151998051001", TODAY)


def test_the_ladder_runs_from_juru_muda_to_pembina_utama() -> None:
    ladder = pangkat_ladder()
    assert len(ladder) == 17
    assert (ladder[0].golongan, ladder[0].name) == ("I/a", "Juru Muda")
    assert (ladder[-1].golongan, ladder[-1].name) == ("IV/e", "Pembina Utama")
    assert ladder[13].label == "Pembina Tk. I (IV/b)"


@pytest.mark.parametrize(
    "typed",
    ["IV/b", "iv/b", "4b", "4/b", "Pembina Tk. I (IV/b)", "Pembina Tingkat I", "Pembina TK I"],
)
def test_a_pangkat_is_found_however_it_is_written(typed: str) -> None:
    found = find_pangkat(typed)
    assert found is not None and found.golongan == "IV/b"


def test_an_unknown_pangkat_is_none() -> None:
    assert find_pangkat("Kolonel") is None and find_pangkat("") is None
    pembina = find_pangkat("Pembina")
    assert pembina is not None and pembina.golongan == "IV/a"
