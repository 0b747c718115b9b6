"""The canonical approved document: the exact bytes a plan's `document_hash` is the SHA-256 of.

Signatories sign a hash, and an auditor holding a printed copy must be able to
recompute it. So the document is defined here once, as bytes, in numbered formats:

- **Format 1** (plans saved before the canonical form): the canonical JSON of the plan
  as it was typed. A number kept the form the client sent (`5`, `5.0`, `"5.00"`), so
  equal plans could hash differently. Documents signed in this form keep verifying
  under it: its bytes are kept with the version.
- **Format 2** (every plan saved since): the same JSON object with `"format": 2`, and
  every value in one normal form:
  - amounts (`target_value`, `budget_rp`) are strings with exactly two decimals and
    no grouping: `"150000000.00"`, `"12.50"`;
  - `due_quarters` ascending, `partners` in the order of `domain.plan.Partner`
    (pemerintah, akademisi, dunia_usaha, masyarakat, media);
  - text as saved (leading and trailing spaces are stripped on input).
  The JSON has its keys sorted, no spaces (`","` and `":"`), non-ASCII characters
  written as themselves, UTF-8 encoded, and no trailing newline.

The README shows an auditor recomputing a hash with `curl` and `sha256sum`.
"""

from __future__ import annotations

import base64
import hashlib
from decimal import Decimal
from enum import IntEnum

from domain.plan import ActionItem, ActionPlan, Partner, canonical_json, plan_document


class DocumentFormat(IntEnum):
    """How a plan version's document is written (see the module docstring)."""

    TYPED = 1
    CANONICAL = 2


CURRENT_FORMAT = DocumentFormat.CANONICAL
_CENTS = Decimal("0.01")
_PARTNER_ORDER = {p: i for i, p in enumerate(Partner)}


def _amount(value: Decimal) -> str:
    # Quantize, then print fixed-point: Decimal("5"), Decimal("5.0") and Decimal("5.00")
    # all become "5.00", and a large amount never turns into exponent notation.
    return format(value.quantize(_CENTS), "f")


def _canonical_item(item: ActionItem) -> dict[str, object]:
    return {
        **item.model_dump(mode="json"),
        "target_value": _amount(item.target_value),
        "budget_rp": _amount(item.budget_rp),
        "due_quarters": sorted(item.due_quarters),
        "partners": [p.value for p in sorted(item.partners, key=_PARTNER_ORDER.__getitem__)],
    }


def document_bytes(
    *,
    cycle_id: str,
    regency_code: str,
    version: int,
    plan: ActionPlan,
    document_format: DocumentFormat,
) -> bytes:
    """The exact bytes of a plan version's document in the given format."""
    if document_format is DocumentFormat.TYPED:
        legacy = plan_document(
            cycle_id=cycle_id, regency_code=regency_code, version=version, plan=plan
        )
        return canonical_json(legacy).encode()
    document = {
        "format": int(document_format),
        "cycle": cycle_id,
        "regency": regency_code,
        "version": version,
        "items": [_canonical_item(item) for item in plan.items],
    }
    return canonical_json(document).encode()


def bytes_hash(content: bytes) -> str:
    """SHA-256 of bytes, lowercase hex: what `sha256sum` prints."""
    return hashlib.sha256(content).hexdigest()


def version_hash(
    *,
    cycle_id: str,
    regency_code: str,
    version: int,
    plan: ActionPlan,
    document_format: DocumentFormat,
) -> str:
    """The document hash of a plan version: SHA-256 of `document_bytes`."""
    return bytes_hash(
        document_bytes(
            cycle_id=cycle_id,
            regency_code=regency_code,
            version=version,
            plan=plan,
            document_format=document_format,
        )
    )


# Crockford's base32 alphabet has no I, L, O or U: nothing to misread when typed by hand.
_STANDARD = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TO_CROCKFORD = str.maketrans(_STANDARD, _CROCKFORD)
_FROM_TYPED = str.maketrans({"I": "1", "L": "1", "O": "0"})
CODE_LENGTH = 12


def verification_code(document_hash: str) -> str:
    """The short code printed beside a document's QR code: "7K3M-Q9XD-2P4A".

    The first 60 bits of the hash in Crockford base32: short enough to type from paper,
    long enough that no two documents of this service share one by chance.
    """
    digest = bytes.fromhex(document_hash)
    letters = base64.b32encode(digest).decode().translate(_TO_CROCKFORD)[:CODE_LENGTH]
    return "-".join(letters[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalize_code(typed: str) -> str | None:
    """A code as typed from paper, in its printed form; None if it cannot be one.

    Lowercase, missing or extra dashes and spaces, and the letters Crockford base32
    reads as digits (I and L as 1, O as 0) are all accepted.
    """
    letters = "".join(ch for ch in typed.upper() if ch not in " -").translate(_FROM_TYPED)
    if len(letters) != CODE_LENGTH or any(ch not in _CROCKFORD for ch in letters):
        return None
    return "-".join(letters[i : i + 4] for i in range(0, CODE_LENGTH, 4))
