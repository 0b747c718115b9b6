"""What the printed documents show: a regency's approved action plan, and a cycle's
joint commitment with every regency's signatures and the hashes that check them.

The plan is read for a commitment already found in the person's scope
(`services.commitments.find_commitment`); the joint commitment shows every
regency of the cycle to every signed-in person, since all of them sign it and it
holds only what signing makes public, never a plan's items.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from db import models as m
from domain.audit import ChainHead
from domain.catalog import load_catalog
from domain.cycle import cycle_document_hash
from domain.display import acting_mark, format_date
from services import audit, commitments, cycles
from services.commitments import CommitmentRef
from services.errors import NotFound


def nip_grouped(nip: str | None) -> str | None:
    """An 18-digit NIP grouped 8-6-1-3 ("19750312 200012 1 003"); anything else as given."""
    if not nip:
        return None
    digits = nip.replace(" ", "")
    if len(digits) != 18 or not digits.isdigit():
        return nip
    return f"{digits[:8]} {digits[8:14]} {digits[14]} {digits[15:]}"


def signed_title(title: str, acting: str) -> str:
    """The title as a signature block writes it: "Plt. BUPATI KUPANG,", "a.n. BUPATI KUPANG,"."""
    # An a.n. signer's own title ("Sekretaris Daerah,") would go on the next line, but a
    # signature records only the office signed for: the name and NIP identify the signer.
    mark = acting_mark(acting)
    return f"{mark} {title.upper()}," if mark else f"{title.upper()},"


@dataclass(frozen=True)
class SignatureBlock:
    """One signature block: place and date, title, name and NIP."""

    place_and_date: str
    title: str
    name: str
    nip: str | None


def signature_block(signature: m.Signature, seat: str) -> SignatureBlock:
    """The block of one signature; the date is the signing day in WITA."""
    return SignatureBlock(
        place_and_date=f"{seat}, {format_date(signature.signed_at, 'id')}",
        title=signed_title(signature.title, signature.acting),
        name=signature.signer_name,
        nip=nip_grouped(signature.nip),
    )


def approved_signatures(session: Session, ref: CommitmentRef) -> list[m.Signature]:
    """The signatures given on the commitment's approved document, in signing order."""
    row = ref.recorded()
    return [s for s in commitments.signatures(session, ref) if s.document_hash == row.document_hash]


@dataclass(frozen=True)
class PlanDocument:
    """A regency's approved plan as printed: its items, signatures and the cycle's chain head."""

    row: m.Commitment
    cycle: m.Cycle
    items: Sequence[m.ActionItem]
    blocks: list[SignatureBlock]
    """The blocks of the signatures on the approved document, in signing order."""
    chain: ChainHead | None


def plan_document(session: Session, ref: CommitmentRef) -> PlanDocument:
    """The approved plan of a commitment in scope; NotFound until it is approved."""
    row = ref.recorded()
    if row.approved_version is None or not row.document_hash:
        raise NotFound(f"commitment {ref.id} has no approved plan yet")
    cycle = cycles.get_cycle(session, ref.cycle_id)
    seat = load_catalog().get(ref.regency_code).seat
    return PlanDocument(
        row=row,
        cycle=cycle,
        items=commitments.items_of(session, ref, row.approved_version),
        blocks=[signature_block(s, seat) for s in approved_signatures(session, ref)],
        chain=audit.chain_head(session, ref.cycle_id),
    )


@dataclass(frozen=True)
class SignedRegency:
    """A regency in the joint commitment: its commitment (None before the first), signatures."""

    code: str
    name: str
    row: m.Commitment | None
    blocks: list[SignatureBlock]
    """The blocks of the signatures on the approved document, in signing order."""
    complete: bool
    """Whether every required office has signed the approved document."""

    @property
    def document_hash(self) -> str | None:
        """The approved document's hash once every required office has signed it."""
        return self.row.document_hash if self.row is not None and self.complete else None


@dataclass(frozen=True)
class JointCommitment:
    """A cycle's joint commitment: every regency's signatures, the signatories and chain head."""

    cycle: m.Cycle
    regencies: list[SignedRegency]
    """Every regency of the cycle, in code order."""
    required: int
    """How many offices must sign each regency's plan."""
    chain: ChainHead | None

    @property
    def cycle_hash(self) -> str:
        """The cycle document hash (`domain.cycle.cycle_document_hash`) of the regencies."""
        return cycle_document_hash({r.code: r.document_hash for r in self.regencies})


def joint_commitment(session: Session, cycle_id: str) -> JointCommitment:
    """The cycle's joint commitment, every regency included; NotFound for an unknown cycle."""
    cycle = cycles.get_cycle(session, cycle_id)
    required = set(cycle.spec.get("signatories", []))
    recorded = {r.regency_code: r for r in cycles.commitments(session, cycle.id)}
    catalog = load_catalog()
    regencies = []
    for spec in sorted(cycle.spec.get("regencies", []), key=lambda r: str(r["code"])):
        code = spec["code"]
        row = recorded.get(code)
        signatures = _signatures(session, row)
        seat = catalog.get(code).seat
        regencies.append(
            SignedRegency(
                code=code,
                name=spec["name"],
                row=row,
                blocks=[signature_block(s, seat) for s in signatures],
                complete=bool(signatures) and required <= {s.office for s in signatures},
            )
        )
    return JointCommitment(
        cycle=cycle,
        regencies=regencies,
        required=len(required),
        chain=audit.chain_head(session, cycle.id),
    )


def _signatures(session: Session, row: m.Commitment | None) -> list[m.Signature]:
    """The approved document's signatures of a regency's commitment; none before it has one."""
    if row is None or not row.document_hash:
        return []
    ref = CommitmentRef(cycle_id=row.cycle_id, regency_code=row.regency_code, row=row)
    return approved_signatures(session, ref)
