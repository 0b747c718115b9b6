"""The NIP of a civil servant (PNS), and the pangkat/golongan a person holds.

A NIP has 18 digits, written grouped 8-6-1-3 ("19800101 200501 1 001"): digits 1-8 are
the birth date (YYYYMMDD), 9-14 the month the person became a CPNS (TMT CPNS, YYYYMM),
15 the sex (1 man, 2 woman) and 16-18 a serial number (PP 11/2017 and Peraturan BKN on
the NIP). `parse_nip` checks what can be checked without BKN's records: a real birth date
at a plausible working age, a real TMT month not before the 18th birthday nor in the
future, and the sex digit. Each refusal names a `key`, so a page words it in the reader's
language next to the field. Functions take `today`; they never read the clock.

The pangkat/golongan ladder (I/a Juru Muda to IV/e Pembina Utama) is data,
`domain/data/pangkat.json`, with its source.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files

MIN_AGE = 17
MAX_AGE = 70
"""A plausible age, in years today, for a person who acts in Komitmen."""
CPNS_AGE = 18
"""Nobody becomes a CPNS before their 18th birthday."""

_SEPARATORS = re.compile(r"[\s.\-]")


class NipRefused(ValueError):
    """A NIP that cannot be right; `key` names why (see NIP_ERRORS)."""

    def __init__(self, key: str) -> None:
        super().__init__(NIP_ERRORS[key])
        self.key = key


NIP_ERRORS = {
    "nip_digits": "A NIP has 18 digits.",
    "nip_birth_date": "Digits 1-8 of a NIP are a birth date (YYYYMMDD); this one is no real date.",
    "nip_age": f"The birth date in the NIP gives an age outside {MIN_AGE}-{MAX_AGE} years.",
    "nip_tmt": "Digits 9-14 of a NIP are the TMT CPNS month (YYYYMM); this one is no real month.",
    "nip_tmt_early": "The TMT CPNS in the NIP is before the 18th birthday.",
    "nip_tmt_future": "The TMT CPNS in the NIP is in the future.",
    "nip_sex": "Digit 15 of a NIP is the sex: 1 or 2.",
}
"""Every refusal's key and its English sentence (pages word the keys themselves)."""


@dataclass(frozen=True)
class Nip:
    """A checked NIP and what it says."""

    digits: str
    birth_date: date
    tmt_cpns: date
    """The first day of the TMT CPNS month."""
    sex: int

    def grouped(self) -> str:
        """The NIP as printed: 8-6-1-3 digits ("19800101 200501 1 001")."""
        return format_nip(self.digits)


def format_nip(digits: str) -> str:
    """Group an 18-digit NIP 8-6-1-3 for display; anything else is returned as it is."""
    if len(digits) != 18 or not digits.isdigit():
        return digits
    return f"{digits[:8]} {digits[8:14]} {digits[14]} {digits[15:]}"


def _years_between(earlier: date, later: date) -> int:
    """Whole years from `earlier` to `later` (an age)."""
    return later.year - earlier.year - ((later.month, later.day) < (earlier.month, earlier.day))


def parse_nip(text: str, today: date) -> Nip:
    """The NIP typed (spaces, dots and dashes between groups allowed); NipRefused if wrong."""
    digits = _SEPARATORS.sub("", text)
    if len(digits) != 18 or not digits.isascii() or not digits.isdigit():
        raise NipRefused("nip_digits")
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise NipRefused("nip_birth_date") from None
    if not MIN_AGE <= _years_between(born, today) <= MAX_AGE:
        raise NipRefused("nip_age")
    year, month = int(digits[8:12]), int(digits[12:14])
    if not 1 <= month <= 12 or year < 1900:
        raise NipRefused("nip_tmt")
    tmt = date(year, month, 1)
    # The TMT is a month: it may be the month of the 18th birthday, not one before it.
    eighteen = (born.year + CPNS_AGE, born.month)
    if (tmt.year, tmt.month) < eighteen:
        raise NipRefused("nip_tmt_early")
    if (tmt.year, tmt.month) > (today.year, today.month):
        raise NipRefused("nip_tmt_future")
    if digits[14] not in "12":
        raise NipRefused("nip_sex")
    return Nip(digits=digits, birth_date=born, tmt_cpns=tmt, sex=int(digits[14]))


@dataclass(frozen=True)
class Pangkat:
    """One rung of the PNS ladder: golongan/ruang ("IV/b") and pangkat ("Pembina Tingkat I")."""

    golongan: str
    name: str
    short: str
    """The name as signature blocks write it ("Pembina Tk. I")."""

    @property
    def label(self) -> str:
        """As stored and printed: "Pembina Tk. I (IV/b)"."""
        return f"{self.short} ({self.golongan})"


@cache
def pangkat_ladder() -> tuple[Pangkat, ...]:
    """The pangkat/golongan of PNS, I/a to IV/e (domain/data/pangkat.json)."""
    data = json.loads((files("domain") / "data" / "pangkat.json").read_text(encoding="utf-8"))
    return tuple(
        Pangkat(golongan=row["golongan"], name=row["pangkat"], short=row["short"])
        for row in data["ladder"]
    )


def _squash(text: str) -> str:
    return re.sub(r"[\s.()]", "", text).lower().replace("tingkat", "tk")


def find_pangkat(text: str) -> Pangkat | None:
    """The rung named by its golongan ("IV/b", "4b"), its name, or its label; None if none."""
    wanted = _squash(text)
    if not wanted:
        return None
    for rung in pangkat_ladder():
        roman, letter = rung.golongan.split("/")
        arabic = {"I": "1", "II": "2", "III": "3", "IV": "4"}[roman]
        forms = {
            _squash(rung.golongan),
            f"{arabic}/{letter}".lower(),
            f"{arabic}{letter}".lower(),
            _squash(rung.name),
            _squash(rung.short),
            _squash(rung.label),
            _squash(f"{rung.name} ({rung.golongan})"),
        }
        if wanted in forms:
            return rung
    return None
