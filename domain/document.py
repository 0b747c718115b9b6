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
- **Format 3** (a plan any of whose items uses a field format 2 lacks: outcome links,
  baseline, quarter targets, a carried-over mark, a budget source or strategic issue
  added since): format 2 with `"format": 3` and, on every item, `outcomes` (empty lists
  for none), `baseline` and `quarter_targets` (amounts as in format 2, null where
  unset) and `carried_from` (null, or the source cycle, position and realised percent).
  A plan using none of them is still written in format 2, so the format follows from
  the plan alone: replaying a workflow recorded before format 3 writes the same bytes.

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
    OUTCOMES = 3

    @classmethod
    def for_plan(cls, plan: ActionPlan, canonical: bool = True) -> DocumentFormat:
        """The format a plan is saved in: 3 when it needs it, else 2 (1 before canonical)."""
        if any(item.extended for item in plan.items):
            return cls.OUTCOMES
        return cls.CANONICAL if canonical else cls.TYPED


CURRENT_FORMAT = DocumentFormat.CANONICAL
_CENTS = Decimal("0.01")
_PARTNER_ORDER = {p: i for i, p in enumerate(Partner)}


def _amount(value: Decimal) -> str:
    # Quantize, then print fixed-point: Decimal("5"), Decimal("5.0") and Decimal("5.00")
    # all become "5.00", and a large amount never turns into exponent notation.
    return format(value.quantize(_CENTS), "f")


_FORMAT_3_FIELDS = {"outcomes", "baseline", "quarter_targets", "carried_from"}


def _canonical_item(item: ActionItem, document_format: DocumentFormat) -> dict[str, object]:
    fields = item.model_dump(mode="json", exclude=_FORMAT_3_FIELDS)
    canonical: dict[str, object] = {
        **fields,
        "target_value": _amount(item.target_value),
        "budget_rp": _amount(item.budget_rp),
        "due_quarters": sorted(item.due_quarters),
        "partners": [p.value for p in sorted(item.partners, key=_PARTNER_ORDER.__getitem__)],
    }
    if document_format >= DocumentFormat.OUTCOMES:
        carried = item.carried_from
        canonical |= {
            "outcomes": item.outcomes.model_dump(mode="json"),
            "baseline": None if item.baseline is None else _amount(item.baseline),
            "quarter_targets": [None if t is None else _amount(t) for t in item.quarter_targets],
            "carried_from": None
            if carried is None
            else {
                "cycle_id": carried.cycle_id,
                "position": carried.position,
                "realised_percent": _amount(carried.realised_percent),
            },
        }
    return canonical


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
        "items": [_canonical_item(item, document_format) for item in plan.items],
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
