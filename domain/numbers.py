"""Numbers as people in Indonesia type them, read strictly so that none is misread.

An officer types `150.000.000` for a budget of a hundred and fifty million rupiah and
`12,5` for twelve and a half: in Bahasa Indonesia the dot groups thousands and the
comma marks decimals; in English it is the other way round. A lenient reader would
take `150.000` as 150 and `1.250` as 1,25, and the plan would be signed with the
wrong figure. So `parse_number` reads with Babel's strict locale-aware parsing and
refuses, with a reason, anything that could be read two ways.

Accepted beside the number: surrounding spaces (non-breaking ones too), an `Rp`,
`Rp.` or `IDR` prefix in any case, with or without a space, and in Bahasa Indonesia
the `,-` that closes a whole rupiah amount ("Rp150.000,-").

Refused (`NumberRefused.code`): `empty`, `not_a_number` (letters, exponents, any
other sign), `ambiguous` (separators in the wrong places: `1.5` or `1.25.000` in
Bahasa Indonesia, `1,5` in English), `negative`, `too_many_decimals` (more than
two typed decimal places, as the models allow two). Each message states the
expected form with an example, in both languages (`MESSAGES`).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal

from babel.numbers import NumberFormatError, parse_decimal

from domain.display import Language, normalize_language

RefusalCode = Literal["empty", "not_a_number", "ambiguous", "negative", "too_many_decimals"]

MAX_DECIMALS = 2
"""Decimal places the models keep (`ActionItem`, `ItemProgress`)."""

_LOCALES: dict[Language, str] = {"id": "id_ID", "en": "en_US"}

_EXPECTED: dict[Language, str] = {
    "id": (
        "Tulis angka dengan titik sebagai pemisah ribuan dan koma untuk desimal, "
        "misalnya 150.000.000 atau 12,5."
    ),
    "en": (
        "Write the number with commas between thousands and a point for decimals, "
        "e.g. 150,000,000 or 12.5."
    ),
}

MESSAGES: dict[Language, dict[RefusalCode, str]] = {
    "id": {
        "empty": "Wajib diisi. " + _EXPECTED["id"],
        "not_a_number": "Bukan angka. " + _EXPECTED["id"],
        "ambiguous": "Angka ini bisa terbaca keliru. " + _EXPECTED["id"],
        "negative": "Tidak boleh negatif. " + _EXPECTED["id"],
        "too_many_decimals": "Paling banyak dua angka di belakang koma. " + _EXPECTED["id"],
    },
    "en": {
        "empty": "Required. " + _EXPECTED["en"],
        "not_a_number": "Not a number. " + _EXPECTED["en"],
        "ambiguous": "This number could be misread. " + _EXPECTED["en"],
        "negative": "Must not be negative. " + _EXPECTED["en"],
        "too_many_decimals": "At most two decimal places. " + _EXPECTED["en"],
    },
}
"""What each refusal says, in each language: the fault, then the expected form."""

# A currency prefix as people write it: "Rp", "Rp.", "RP ", "IDR" (spaces after it are
# stripped with the rest of the whitespace).
_PREFIX = re.compile(r"^(?:rp\.?|idr)", re.IGNORECASE)
# Hyphen-minus and the typographic minus sign; a dash typed as minus is still a minus.
_MINUS = ("-", "\u2212", "\u2013")
# What is left once prefix, sign and suffix are gone: digits and the two separators.
# Anything else (letters, exponents, "+", spaces inside the digits) is not a number we
# could read without guessing.
_DIGITS = re.compile(r"^[0-9.,]*[0-9][0-9.,]*$")
# Longer input is not a budget typed by hand; refusing it early keeps parsing cheap.
_MAX_LENGTH = 64


class NumberRefused(ValueError):
    """A typed number that cannot be read without guessing; `code` says why."""

    def __init__(self, code: RefusalCode) -> None:
        super().__init__(code)
        self.code: RefusalCode = code

    def message(self, language: str) -> str:
        """What to fix, with the expected form and an example, in the given language."""
        return MESSAGES[normalize_language(language)][self.code]


def parse_number(text: str, language: str) -> Decimal:
    """The exact Decimal a person typed in the page's language; NumberRefused if unsure."""
    lang = normalize_language(language)
    # str.strip() also removes non-breaking and narrow non-breaking spaces.
    body = text.strip()
    if not body:
        raise NumberRefused("empty")
    if len(body) > _MAX_LENGTH:
        raise NumberRefused("not_a_number")
    negative = False
    # The sign may stand before the prefix ("-Rp5") or after it ("Rp -5").
    if body.startswith(_MINUS):
        negative, body = True, body[1:].strip()
    prefixed = _PREFIX.match(body)
    if prefixed:
        body = body[prefixed.end() :].strip()
    if body.startswith(_MINUS):
        negative, body = True, body[1:].strip()
    if lang == "id" and body.endswith(",-"):
        # "Rp150.000,-": the dash stands for no cents.
        body = body[:-2].rstrip()
    if not _DIGITS.match(body):
        raise NumberRefused("not_a_number")
    if negative:
        # Budgets, targets and percentages are never below zero; even "-0" is a slip.
        raise NumberRefused("negative")
    try:
        value = parse_decimal(body, locale=_LOCALES[lang], strict=True)
    except NumberFormatError:
        # Only digits and separators are left, so the separators are misplaced.
        raise NumberRefused("ambiguous") from None
    exponent = value.as_tuple().exponent
    # Typed places count, trailing zeros included: "1,250" in Bahasa Indonesia is likely
    # an English thousand, so it is refused rather than read as 1,25.
    if isinstance(exponent, int) and -exponent > MAX_DECIMALS:
        raise NumberRefused("too_many_decimals")
    return value
