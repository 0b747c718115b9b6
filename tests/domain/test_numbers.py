"""Numbers typed the Indonesian (or English) way: read exactly, or refused with a reason."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.display import format_amount
from domain.numbers import MESSAGES, NumberRefused, RefusalCode, parse_number

NBSP, NARROW_NBSP = "\u00a0", "\u202f"

ACCEPTED_ID: list[tuple[str, str]] = [
    ("150.000", "150000"),
    ("1.250", "1250"),
    ("150.000.000", "150000000"),
    ("Rp 150.000.000", "150000000"),
    ("12,5", "12.5"),
    ("Rp150.000.000", "150000000"),
    ("Rp150.000,-", "150000"),
    ("Rp 150.000,-", "150000"),
    ("150.000,-", "150000"),
    ("Rp.150.000", "150000"),
    ("Rp. 150.000", "150000"),
    ("rp 150.000", "150000"),
    ("RP150.000", "150000"),
    ("IDR 150.000.000", "150000000"),
    ("idr150.000.000", "150000000"),
    (f"Rp{NBSP}150.000.000", "150000000"),
    (f"{NBSP}150.000{NBSP}", "150000"),
    (f"{NARROW_NBSP}12,5", "12.5"),
    ("  40  ", "40"),
    ("1.250.000,50", "1250000.50"),
    ("Rp1.250.000,50", "1250000.50"),
    ("0", "0"),
    ("0,5", "0.5"),
    ("0,75", "0.75"),
    (",5", "0.5"),
    ("100", "100"),
    ("150000000", "150000000"),
    ("1234,5", "1234.5"),
    ("12,50", "12.50"),
    ("1,0", "1.0"),
    ("999.999.999.999,99", "999999999999.99"),
    ("007", "7"),
]

REFUSED_ID: list[tuple[str, RefusalCode]] = [
    ("", "empty"),
    ("   ", "empty"),
    (NBSP, "empty"),
    ("dua", "not_a_number"),
    ("Rp", "not_a_number"),
    ("Rp -", "not_a_number"),
    ("1e5", "not_a_number"),
    ("+5", "not_a_number"),
    ("12%", "not_a_number"),
    ("150 000", "not_a_number"),
    ("USD 150", "not_a_number"),
    ("150.000,-,-", "not_a_number"),
    ("1" * 65, "not_a_number"),
    ("1.5", "ambiguous"),
    ("1.25.000", "ambiguous"),
    ("12.5", "ambiguous"),
    ("1.50", "ambiguous"),
    ("1000.000", "ambiguous"),
    ("1.000.0000", "ambiguous"),
    ("150,000,000", "ambiguous"),
    ("1,234.5", "ambiguous"),
    ("5.", "ambiguous"),
    (".5", "ambiguous"),
    ("1.000,", "ambiguous"),
    ("Rp 1.5", "ambiguous"),
    ("-5", "negative"),
    ("-150.000", "negative"),
    ("\u22125", "negative"),
    ("-Rp5", "negative"),
    ("Rp -150.000", "negative"),
    ("-0", "negative"),
    ("12,345", "too_many_decimals"),
    ("1,250", "too_many_decimals"),
    ("0,125", "too_many_decimals"),
    ("1,2345", "too_many_decimals"),
    ("1.250.000,505", "too_many_decimals"),
]

ACCEPTED_EN: list[tuple[str, str]] = [
    ("150,000", "150000"),
    ("1,250", "1250"),
    ("150,000,000", "150000000"),
    ("Rp 150,000,000", "150000000"),
    ("12.5", "12.5"),
    ("Rp150,000,000", "150000000"),
    ("Rp.150,000", "150000"),
    ("Rp. 150,000", "150000"),
    ("rp 150,000", "150000"),
    ("IDR 150,000,000", "150000000"),
    ("idr150,000,000", "150000000"),
    (f"Rp{NBSP}150,000,000", "150000000"),
    (f"{NBSP}150,000{NBSP}", "150000"),
    (f"{NARROW_NBSP}12.5", "12.5"),
    ("  40  ", "40"),
    ("1,250,000.50", "1250000.50"),
    ("Rp1,250,000.50", "1250000.50"),
    ("0", "0"),
    ("0.5", "0.5"),
    ("0.75", "0.75"),
    (".5", "0.5"),
    ("5.", "5"),
    ("100", "100"),
    ("150000000", "150000000"),
    ("1234.5", "1234.5"),
    ("12.50", "12.50"),
    ("1.0", "1.0"),
    ("999,999,999,999.99", "999999999999.99"),
    ("007", "7"),
    ("10.5", "10.5"),
]

REFUSED_EN: list[tuple[str, RefusalCode]] = [
    ("", "empty"),
    ("   ", "empty"),
    ("two", "not_a_number"),
    ("Rp", "not_a_number"),
    ("1e5", "not_a_number"),
    ("+5", "not_a_number"),
    ("150 000", "not_a_number"),
    ("Rp150,000,-", "not_a_number"),
    ("1" * 65, "not_a_number"),
    ("1,5", "ambiguous"),
    ("12,5", "ambiguous"),
    ("150.000.000", "ambiguous"),
    ("Rp 150.000.000", "ambiguous"),
    ("1.25.000", "ambiguous"),
    ("1,250,000,50", "ambiguous"),
    ("1.250.000,50", "ambiguous"),
    ("1234,5", "ambiguous"),
    ("0,5", "ambiguous"),
    (",5", "ambiguous"),
    ("1,000.000,5", "ambiguous"),
    ("-5", "negative"),
    ("-150,000", "negative"),
    ("\u22125", "negative"),
    ("-Rp5", "negative"),
    ("Rp -150,000", "negative"),
    ("150.000", "too_many_decimals"),
    ("1.250", "too_many_decimals"),
    ("0.125", "too_many_decimals"),
    ("12.345", "too_many_decimals"),
    ("1,250,000.505", "too_many_decimals"),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED_ID)
def test_indonesian_numbers_are_read_exactly(text: str, expected: str) -> None:
    value = parse_number(text, "id")
    # The same Decimal, digit for digit: 12,50 stays 12.50 and 12,5 stays 12.5.
    assert value == Decimal(expected) and str(value) == expected


@pytest.mark.parametrize(("text", "code"), REFUSED_ID)
def test_indonesian_numbers_that_could_be_misread_are_refused(text: str, code: str) -> None:
    with pytest.raises(NumberRefused) as refused:
        parse_number(text, "id")
    assert refused.value.code == code


@pytest.mark.parametrize(("text", "expected"), ACCEPTED_EN)
def test_english_numbers_are_read_exactly(text: str, expected: str) -> None:
    value = parse_number(text, "en")
    assert value == Decimal(expected) and str(value) == expected


@pytest.mark.parametrize(("text", "code"), REFUSED_EN)
def test_english_numbers_that_could_be_misread_are_refused(text: str, code: str) -> None:
    with pytest.raises(NumberRefused) as refused:
        parse_number(text, "en")
    assert refused.value.code == code


def test_the_tables_hold_enough_cases() -> None:
    assert len(ACCEPTED_ID) + len(REFUSED_ID) >= 30 and len(REFUSED_ID) >= 5
    assert len(ACCEPTED_EN) + len(REFUSED_EN) >= 30 and len(REFUSED_EN) >= 5
    codes = set(MESSAGES["id"])
    assert {code for _, code in REFUSED_ID} == codes == {code for _, code in REFUSED_EN}


def test_every_refusal_states_the_expected_form_with_an_example() -> None:
    assert MESSAGES["id"].keys() == MESSAGES["en"].keys()
    for code in MESSAGES["id"]:
        refused = NumberRefused(code)
        assert refused.message("id").endswith(
            "Tulis angka dengan titik sebagai pemisah ribuan dan koma untuk desimal, "
            "misalnya 150.000.000 atau 12,5."
        )
        assert refused.message("en").endswith(
            "Write the number with commas between thousands and a point for decimals, "
            "e.g. 150,000,000 or 12.5."
        )
        # Any other language tag falls back to Bahasa Indonesia, as the pages do.
        assert refused.message("fr") == refused.message("id")


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize(
    "value",
    ["0", "0.5", "12.5", "12.50", "40", "100", "1250", "150000000", "150000000.00", "1250000.05"],
)
def test_a_printed_amount_reads_back_as_the_same_amount(language: str, value: str) -> None:
    # What the pages put into an input (format_amount) is what parse_number reads back.
    assert parse_number(format_amount(Decimal(value), language), language) == Decimal(value)
    rupiah = format_amount(Decimal(value), language, rupiah=True)
    assert parse_number(rupiah, language) == Decimal(value)
