"""Words and numbers as readers in Indonesia expect them: dates, money, acting marks.

Pure functions; the mail renderer registers them as Jinja filters bound to the
message language. Every language other than English falls back to Bahasa Indonesia.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from babel.numbers import format_decimal

from domain.calendar import WITA
from domain.roles import Acting

Language = Literal["id", "en"]
Number = int | float | Decimal

LANGUAGES: tuple[Language, ...] = ("id", "en")

# Spelled out rather than taken from the locale module: servers rarely have the
# id_ID locale installed, and setlocale is process-wide.
_MONTHS: dict[Language, tuple[str, ...]] = {
    "id": (
        "Januari", "Februari", "Maret", "April", "Mei", "Juni",
        "Juli", "Agustus", "September", "Oktober", "November", "Desember",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip
_WEEKDAYS: dict[Language, tuple[str, ...]] = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def normalize_language(language: str) -> Language:
    """Return "en" for any English tag ("en", "en-GB"), otherwise "id"."""
    primary = language.strip().lower().replace("_", "-").split("-", 1)[0]
    return "en" if primary == "en" else "id"


def _in_wita(moment: datetime) -> datetime:
    # A naive datetime could be UTC or WITA; guessing would shift deadlines by 8 hours.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: pass an aware datetime")
    return moment.astimezone(WITA)


def format_date(d: date | datetime, language: str = "id") -> str:
    """Format a date as "20 November 2025"; a datetime is first converted to WITA."""
    day = _in_wita(d).date() if isinstance(d, datetime) else d
    lang = normalize_language(language)
    return f"{day.day} {_MONTHS[lang][day.month - 1]} {day.year}"


def format_deadline(dt: datetime, language: str = "id") -> str:
    """Format an instant as "Senin, 20 April 2026 pukul 23.59 WITA" (or the English form)."""
    local = _in_wita(dt)
    lang = normalize_language(language)
    weekday = _WEEKDAYS[lang][local.weekday()]
    day = format_date(local.date(), lang)
    if lang == "en":
        return f"{weekday}, {day}, {local:%H:%M} WITA"
    # Indonesian writes times with a period: "pukul 23.59".
    return f"{weekday}, {day} pukul {local:%H.%M} WITA"


def _locale(language: str) -> str:
    # Babel's locale data, not the process locale: servers rarely have id_ID installed.
    return "en_US" if normalize_language(language) == "en" else "id_ID"


def format_number(x: Number, decimals: int = 0, language: str = "id") -> str:
    """Format a number with grouping: "1.250.000,50" (id) or "1,250,000.50" (en)."""
    if decimals < 0:
        raise ValueError(f"decimals must be >= 0, got {decimals}")
    # Exactly `decimals` places, rounded half to even (Babel's default quantization).
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(x, format=pattern, locale=_locale(language))


def format_percent(x: Number, language: str = "id") -> str:
    """A percent as computed, to at most two decimals: "12,5 %" (id, a no-break space before
    the sign, so it never wraps alone) or "12.5%" (en)."""
    digits = format_decimal(x, format="#,##0.##", locale=_locale(language))
    return f"{digits}%" if normalize_language(language) == "en" else f"{digits}\u00a0%"


def format_rupiah(x: Number) -> str:
    """Format an amount in whole rupiah: "Rp1.250.000", negative as "-Rp1.250.000"."""
    # The sign is written apart, so an amount that rounds to zero never reads "-Rp0".
    digits = format_decimal(-x if x < 0 else x, format="#,##0", locale="id_ID")
    return f"-Rp{digits}" if x < 0 and digits != "0" else f"Rp{digits}"


# The words the pages, the documents and the CLI share; each door keeps only its own.
ACTING_MARK: dict[Acting, str] = {
    Acting.PLT: "Plt.",
    Acting.PLH: "Plh.",
    Acting.PJ: "Pj.",
    Acting.PJS: "Pjs.",
    Acting.AN: "a.n.",
}
"""The mark before an acting official's or an a.n. signer's title; none when definitive."""

QUARTER_NUMERALS = {1: "I", 2: "II", 3: "III", 4: "IV"}
"""Quarters as Roman numerals, as in "Triwulan III"."""


def acting_mark(acting: str) -> str:
    """The mark of an acting official (Plt., Plh., Pj., Pjs.) or a.n. signer; "" if definitive."""
    try:
        return ACTING_MARK.get(Acting(acting), "")
    except ValueError:
        return ""


def format_amount(value: Number, language: str = "id", *, rupiah: bool = False) -> str:
    """An exact amount with grouping: "150.000.000", "150.000.000,50" (id) or "150,000,000.50".

    Never rounds: cents show (always two digits) whenever the amount has them, so a
    printed copy carries the very figure its document hash covers. `rupiah` prefixes
    "Rp" as Indonesian documents write it, without a space.
    """
    exact = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    pattern = "#,##0" if exact == exact.to_integral_value() else "#,##0.00"
    digits = format_decimal(
        abs(exact), format=pattern, locale=_locale(language), decimal_quantization=False
    )
    sign = "-" if exact < 0 else ""
    return f"{sign}Rp{digits}" if rupiah else f"{sign}{digits}"
