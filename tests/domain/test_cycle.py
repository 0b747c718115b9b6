"""The cycle document hash that a printed joint commitment carries."""

from __future__ import annotations

import hashlib

from domain.cycle import cycle_document_hash

KUPANG = "a" * 64
BELU = "b" * 64


def test_cycle_hash_is_sha256_of_the_pairs_in_regency_code_order() -> None:
    expected = hashlib.sha256(
        f'[["53.01","{KUPANG}"],["53.04","{BELU}"],["53.71",null]]'.encode()
    ).hexdigest()
    assert cycle_document_hash({"53.01": KUPANG, "53.04": BELU, "53.71": None}) == expected


def test_cycle_hash_does_not_depend_on_the_order_given() -> None:
    listed = cycle_document_hash({"53.01": KUPANG, "53.04": BELU, "53.71": None})
    shuffled = cycle_document_hash({"53.71": None, "53.04": BELU, "53.01": KUPANG})
    assert listed == shuffled


def test_cycle_hash_changes_with_any_signature_or_regency() -> None:
    base = cycle_document_hash({"53.01": KUPANG, "53.71": None})
    assert cycle_document_hash({"53.01": KUPANG, "53.71": BELU}) != base
    assert cycle_document_hash({"53.01": BELU, "53.71": None}) != base
    assert cycle_document_hash({"53.01": KUPANG}) != base
    assert cycle_document_hash({"53.01": KUPANG, "53.04": None, "53.71": None}) != base
