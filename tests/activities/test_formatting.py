"""Dates, deadlines, numbers and rupiah as Indonesian and English readers write them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from domain.calendar import WITA
from domain.display import (
    Number,
    format_date,
    format_deadline,
    format_number,
    format_rupiah,
    normalize_language,
)


@pytest.mark.parametrize(
    ("value", "language", "expected"),
    [
        (date(2025, 11, 20), "id", "20 November 2025"),
        (date(2025, 11, 20), "en", "20 November 2025"),
        (date(2026, 1, 1), "id", "1 Januari 2026"),
        (date(2026, 2, 5), "id", "5 Februari 2026"),
        (date(2026, 3, 31), "id", "31 Maret 2026"),
        (date(2026, 5, 1), "id", "1 Mei 2026"),
        (date(2026, 5, 1), "en", "1 May 2026"),
        (date(2026, 8, 17), "id", "17 Agustus 2026"),
        (date(2026, 8, 17), "en", "17 August 2026"),
        (date(2026, 10, 2), "id", "2 Oktober 2026"),
        (date(2026, 12, 25), "id", "25 Desember 2026"),
        (date(2026, 12, 25), "en", "25 December 2026"),
        # 16:30 UTC is already the next day in WITA (UTC+8).
        (datetime(2026, 4, 19, 16, 30, tzinfo=UTC), "id", "20 April 2026"),
        (datetime(2026, 4, 19, 15, 59, tzinfo=UTC), "id", "19 April 2026"),
        (datetime(2026, 6, 30, 23, 59, tzinfo=WITA), "en", "30 June 2026"),
        # Unknown languages fall back to Bahasa Indonesia.
        (date(2026, 7, 1), "fr", "1 Juli 2026"),
        (date(2026, 7, 1), "en-GB", "1 July 2026"),
    ],
)
def test_format_date(value: date, language: str, expected: str) -> None:
    assert format_date(value, language) == expected


@pytest.mark.parametrize(
    ("value", "language", "expected"),
    [
        (datetime(2026, 4, 20, 23, 59, tzinfo=WITA), "id", "Senin, 20 April 2026 pukul 23.59 WITA"),
        (
            datetime(2026, 4, 20, 23, 59, tzinfo=WITA),
            "en",
            "Monday, 20 April 2026, 23:59 WITA",
        ),
        (datetime(2026, 4, 20, 15, 59, tzinfo=UTC), "id", "Senin, 20 April 2026 pukul 23.59 WITA"),
        (datetime(2026, 7, 20, 1, 5, tzinfo=UTC), "id", "Senin, 20 Juli 2026 pukul 09.05 WITA"),
        (datetime(2026, 4, 21, 8, 0, tzinfo=WITA), "id", "Selasa, 21 April 2026 pukul 08.00 WITA"),
        (datetime(2026, 4, 22, 8, 0, tzinfo=WITA), "id", "Rabu, 22 April 2026 pukul 08.00 WITA"),
        (datetime(2026, 4, 23, 8, 0, tzinfo=WITA), "id", "Kamis, 23 April 2026 pukul 08.00 WITA"),
        (datetime(2026, 4, 24, 8, 0, tzinfo=WITA), "id", "Jumat, 24 April 2026 pukul 08.00 WITA"),
        (datetime(2026, 4, 25, 8, 0, tzinfo=WITA), "id", "Sabtu, 25 April 2026 pukul 08.00 WITA"),
        (datetime(2026, 4, 26, 8, 0, tzinfo=WITA), "id", "Minggu, 26 April 2026 pukul 08.00 WITA"),
        (
            datetime(2026, 4, 26, 8, 0, tzinfo=timezone(timedelta(hours=7))),
            "en",
            "Sunday, 26 April 2026, 09:00 WITA",
        ),
    ],
)
def test_format_deadline(value: datetime, language: str, expected: str) -> None:
    assert format_deadline(value, language) == expected


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_deadline(datetime(2026, 4, 20, 23, 59), "id")
    with pytest.raises(ValueError, match="naive"):
        format_date(datetime(2026, 4, 20, 23, 59), "id")


@pytest.mark.parametrize(
    ("value", "decimals", "language", "expected"),
    [
        (1250000.5, 2, "id", "1.250.000,50"),
        (1250000.5, 2, "en", "1,250,000.50"),
        (1250000, 0, "id", "1.250.000"),
        (1250000, 0, "en", "1,250,000"),
        (Decimal("1250000.505"), 2, "id", "1.250.000,50"),
        (Decimal("0.75"), 2, "id", "0,75"),
        (999, 0, "id", "999"),
        (1000, 0, "id", "1.000"),
        (-1234.5, 1, "id", "-1.234,5"),
        (-1234.5, 1, "en", "-1,234.5"),
        (12.3456, 3, "id", "12,346"),
        (0, 0, "id", "0"),
    ],
)
def test_format_number(value: Number, decimals: int, language: str, expected: str) -> None:
    assert format_number(value, decimals, language) == expected


def test_format_number_defaults_to_indonesian_integers() -> None:
    assert format_number(1250000.4) == "1.250.000"


def test_format_number_rejects_negative_decimals() -> None:
    with pytest.raises(ValueError, match="decimals"):
        format_number(1, -1, "id")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1250000, "Rp1.250.000"),
        (Decimal("1250000.00"), "Rp1.250.000"),
        (750000000, "Rp750.000.000"),
        (500, "Rp500"),
        (0, "Rp0"),
        (-2500000, "-Rp2.500.000"),
        (-0.4, "Rp0"),
    ],
)
def test_format_rupiah(value: Number, expected: str) -> None:
    assert format_rupiah(value) == expected


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("id", "id"), ("ID", "id"), ("en", "en"), ("en_US", "en"), ("EN-gb", "en"), ("", "id")],
)
def test_normalize_language(tag: str, expected: str) -> None:
    assert normalize_language(tag) == expected
