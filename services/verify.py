"""Public verification of a printed plan or joint commitment by the short code beside its QR.

Anyone holding a printed copy or a PDF opens `/verify/{code}`, without signing in.
The answer tells them no more than the paper itself shows: which document the code
belongs to (a plan version, or a cycle's current joint commitment), whether it is the
approved version, who signed it, when and how, the SHA-256 of each signed scan or
certified PDF, and whether the cycle's audit chain is intact. Never a plan's items,
another regency's plan, an email address or an audit row.

A code is `domain.document.verification_code` of the document hash: a plan version's
is kept in `plan_version.verify_code`; a joint commitment's is computed from the
cycle's current joint hash, cycle by cycle (there are few cycles). A code of an
earlier joint commitment, before more signatures changed its hash, is unknown.

`LookupLimit` is the per-address ceiling on lookups, kept in memory per process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import models as m
from db import reads
from domain.commitment import commitment_id
from domain.display import LANGUAGES
from domain.document import bytes_hash, normalize_code, verification_code
from domain.stages import Stage
from services import audit, commitments, cycles, documents, pdf
from services.commitments import CommitmentRef
from services.errors import NotFound

MAX_TYPED = 64
"""Longer input is not looked at: no code, however typed, is this long."""


class Verdict(StrEnum):
    """What the page says first, big."""

    VALID = "valid"
    """A known document, the approved version, signed by every office, its chain intact."""
    INCOMPLETE = "incomplete"
    """The approved version, but not every required office has signed it (yet)."""
    SUPERSEDED = "superseded"
    """A known plan version, but not the approved one (a draft, or replaced since)."""
    ENDED = "ended"
    """The commitment was withdrawn, or its cycle cancelled."""
    CHAIN_BROKEN = "chain_broken"
    """A known document whose cycle's audit chain does not verify: its record was altered."""
    UNKNOWN = "unknown"
    """A well-formed code no document of this service has."""
    MALFORMED = "malformed"
    """Not a code at all (wrong length, letters a code never has)."""


@dataclass(frozen=True)
class SignatureSeen:
    """One signature on the document, as its block is printed, and how it was given."""

    title: str
    """As printed, with its acting mark: "Plt. BUPATI KUPANG,"."""
    name: str
    nip: str | None
    """Grouped as printed ("19750312 200012 1 003"); the paper shows it."""
    signed_at: datetime
    method: str
    """`domain.commitment.SignatureMethod`: confirmed, wet or certified."""
    evidence_sha256: str | None
    """The SHA-256 of the stamped scan (wet) or the signed PDF (certified)."""
    evidence_media_type: str | None


@dataclass(frozen=True)
class PlanSeen:
    """A regency's plan version, as much of it as its printed copy shows (no items)."""

    cycle_id: str
    cycle_name: str
    cycle_year: int
    regency_code: str
    regency_name: str
    version: int
    approved: bool
    """Whether this version is the commitment's approved document now."""
    approved_version: int | None
    document_hash: str
    document_format: int | None
    signatures: list[SignatureSeen]
    """The signatures given on this version's document, in signing order."""
    required: int
    """How many offices must sign."""
    complete: bool
    """Whether every required office has signed this version's document."""
    ended: bool
    """Withdrawn, or its cycle cancelled."""


@dataclass(frozen=True)
class RegencySeen:
    """One regency in a joint commitment: how many signatures, and its hash once complete."""

    code: str
    name: str
    signed: int
    document_hash: str | None


@dataclass(frozen=True)
class JointSeen:
    """A cycle's joint commitment, as its printed copy shows it."""

    cycle_id: str
    cycle_name: str
    cycle_year: int
    cycle_hash: str
    required: int
    regencies: list[RegencySeen]
    ended: bool
    """The cycle was cancelled."""


@dataclass(frozen=True)
class ChainSeen:
    """Whether the cycle's audit chain verifies; what broke, without the rows."""

    intact: bool
    entries: int
    broken: str | None = None
    """`domain.audit.BreakReason` of the first break."""


@dataclass(frozen=True)
class VerifyResult:
    """The answer to one code: the verdict, and what the document's paper shows."""

    typed: str
    """The code as it came (cut to MAX_TYPED characters)."""
    code: str | None
    """The code in its printed form; None if it cannot be one."""
    verdict: Verdict
    plan: PlanSeen | None = None
    joint: JointSeen | None = None
    chain: ChainSeen | None = None

    @property
    def known(self) -> bool:
        """Whether the code belongs to a document of this service."""
        return self.plan is not None or self.joint is not None


def verify(session: Session, typed: str) -> VerifyResult:
    """What the code typed from paper (or scanned from its QR) belongs to."""
    typed = typed[:MAX_TYPED]
    code = normalize_code(typed)
    if code is None:
        return VerifyResult(typed=typed, code=None, verdict=Verdict.MALFORMED)
    plan = find_plan(session, code)
    if plan is not None:
        chain = chain_of(session, plan.cycle_id)
        return VerifyResult(typed, code, plan_verdict(plan, chain), plan=plan, chain=chain)
    joint = find_joint(session, code)
    if joint is not None:
        chain = chain_of(session, joint.cycle_id)
        return VerifyResult(typed, code, joint_verdict(joint, chain), joint=joint, chain=chain)
    return VerifyResult(typed=typed, code=code, verdict=Verdict.UNKNOWN)


def plan_verdict(plan: PlanSeen, chain: ChainSeen) -> Verdict:
    """The verdict on a plan version: the worst of what holds, a broken chain first."""
    if not chain.intact:
        return Verdict.CHAIN_BROKEN
    if plan.ended:
        return Verdict.ENDED
    if not plan.approved:
        return Verdict.SUPERSEDED
    if not plan.complete:
        return Verdict.INCOMPLETE
    return Verdict.VALID


def joint_verdict(joint: JointSeen, chain: ChainSeen) -> Verdict:
    """The verdict on a joint commitment: its code is always the current one's."""
    if not chain.intact:
        return Verdict.CHAIN_BROKEN
    if joint.ended:
        return Verdict.ENDED
    return Verdict.VALID


def find_plan(session: Session, code: str) -> PlanSeen | None:
    """The plan version whose code this is; None if none has it."""
    # db.reads has no lookup by code yet; the column is indexed (ix_plan_version_verify_code).
    version = session.scalars(
        select(m.PlanVersion)
        .where(m.PlanVersion.verify_code == code, m.PlanVersion.document_hash.is_not(None))
        .order_by(m.PlanVersion.id)
        .limit(1)
    ).first()
    if version is None or version.document_hash is None:
        return None
    row = reads.get_commitment(session, commitment_id=version.commitment_id)
    if row is None:
        return None
    cycle = cycles.get_cycle(session, row.cycle_id)
    ref = CommitmentRef(cycle_id=row.cycle_id, regency_code=row.regency_code, row=row)
    signed = [
        s for s in commitments.signatures(session, ref) if s.document_hash == version.document_hash
    ]
    required = set(cycle.spec.get("signatories", []))
    return PlanSeen(
        cycle_id=cycle.id,
        cycle_name=cycle.name,
        cycle_year=cycle.year,
        regency_code=row.regency_code,
        regency_name=row.regency_name,
        version=version.number,
        approved=(
            row.approved_version == version.number and row.document_hash == version.document_hash
        ),
        approved_version=row.approved_version,
        document_hash=version.document_hash,
        document_format=version.document_format,
        signatures=[seen(s) for s in signed],
        required=len(required),
        complete=bool(signed) and required <= {s.office for s in signed},
        ended=row.stage in (Stage.WITHDRAWN.value, Stage.CANCELLED.value)
        or cycle.status == "cancelled",
    )


def seen(signature: m.Signature) -> SignatureSeen:
    """A signature as the verification page shows it: its printed block and its method."""
    return SignatureSeen(
        title=documents.signed_title(signature.title, signature.acting),
        name=signature.signer_name,
        nip=documents.nip_grouped(signature.nip),
        signed_at=signature.signed_at,
        method=signature.method,
        evidence_sha256=signature.evidence_sha256,
        evidence_media_type=signature.evidence_media_type,
    )


def find_joint(session: Session, code: str) -> JointSeen | None:
    """The cycle whose current joint commitment has this code; None if none has it."""
    for cycle in cycles.list_cycles(session):
        joint = documents.joint_commitment(session, cycle.id)
        cycle_hash = joint.cycle_hash
        if verification_code(cycle_hash) != code:
            continue
        return JointSeen(
            cycle_id=cycle.id,
            cycle_name=cycle.name,
            cycle_year=cycle.year,
            cycle_hash=cycle_hash,
            required=joint.required,
            regencies=[
                RegencySeen(
                    code=r.code, name=r.name, signed=len(r.blocks), document_hash=r.document_hash
                )
                for r in joint.regencies
            ],
            ended=cycle.status == "cancelled",
        )
    return None


def chain_of(session: Session, cycle_id: str) -> ChainSeen:
    """Whether a cycle's audit chain verifies, recomputed row by row."""
    check = audit.verify_chains(session, [cycle_id])[0].check
    if check.broken is None:
        return ChainSeen(intact=True, entries=check.end.length)
    return ChainSeen(intact=False, entries=check.checked, broken=check.broken.reason.value)


class FileKind(StrEnum):
    """What an uploaded file turned out to be."""

    EVIDENCE = "evidence"
    """A signature's stamped scan or certified PDF, as recorded."""
    DOCUMENT = "document"
    """The canonical document bytes the document hash covers."""
    GENERATED_PDF = "generated_pdf"
    """The PDF Komitmen generates of the document now (unsigned), in one of its languages."""


@dataclass(frozen=True)
class FileMatch:
    """One recorded file the upload equals."""

    kind: FileKind
    signature: SignatureSeen | None = None
    language: str | None = None


@dataclass(frozen=True)
class FileCheck:
    """An uploaded file's SHA-256 and the recorded files it equals (none: it is not one)."""

    sha256: str
    size: int
    matches: list[FileMatch] = field(default_factory=list)


def check_file(
    session: Session, result: VerifyResult, sha256: str, size: int, *, public_base_url: str
) -> FileCheck:
    """Whether a file (by its SHA-256) is one of the document's recorded files.

    For a plan: each signature's evidence, the canonical document bytes, and, for the
    approved version, the PDF generated now. For a joint commitment: its PDF generated
    now. A PDF generated earlier (before a later signature or audit entry) differs.
    """
    matches: list[FileMatch] = []
    if result.plan is not None:
        plan = result.plan
        matches += [
            FileMatch(FileKind.EVIDENCE, signature=s)
            for s in plan.signatures
            if s.evidence_sha256 == sha256
        ]
        if plan.document_hash == sha256:
            matches.append(FileMatch(FileKind.DOCUMENT))
        if plan.approved:
            matches += generated_plan_pdf(session, plan, sha256, public_base_url)
    elif result.joint is not None:
        matches += generated_joint_pdf(session, result.joint, sha256, public_base_url)
    return FileCheck(sha256=sha256, size=size, matches=matches)


def generated_plan_pdf(
    session: Session, plan: PlanSeen, sha256: str, public_base_url: str
) -> list[FileMatch]:
    """The approved plan's PDF as generated now, in each language, if the file is one."""
    wanted = commitment_id(plan.cycle_id, plan.regency_code)
    row = reads.get_commitment(session, commitment_id=wanted)
    if row is None:
        return []
    ref = CommitmentRef(cycle_id=plan.cycle_id, regency_code=plan.regency_code, row=row)
    try:
        document = documents.plan_document(session, ref)
    except NotFound:
        return []
    url = documents.verification(document.document_hash, public_base_url).url
    return [
        FileMatch(FileKind.GENERATED_PDF, language=lang)
        for lang in LANGUAGES
        if bytes_hash(pdf.plan_pdf(document, verify_url=url, language=lang)) == sha256
    ]


def generated_joint_pdf(
    session: Session, joint: JointSeen, sha256: str, public_base_url: str
) -> list[FileMatch]:
    """The joint commitment's PDF as generated now, in each language, if the file is one."""
    document = documents.joint_commitment(session, joint.cycle_id)
    url = documents.verification(document.cycle_hash, public_base_url).url
    return [
        FileMatch(FileKind.GENERATED_PDF, language=lang)
        for lang in LANGUAGES
        if bytes_hash(pdf.joint_pdf(document, verify_url=url, language=lang)) == sha256
    ]


class LookupLimit:
    """At most `limit` lookups per client address in any `window` seconds, counted in memory.

    Plain on purpose: each process counts its own lookups (N processes behind a load
    balancer allow N times as many) and forgets them on restart. That is enough for what
    it is for: a code has 60 bits, so guessing one is hopeless anyway; the limit keeps a
    scraper or a stuck client from making every lookup recompute the cycles' joint
    hashes and audit chains. The address is the TCP peer, or behind a trusted proxy the
    client it names (uvicorn's `forwarded_allow_ips`). A refused lookup is not counted,
    so waiting the time given always works. At most `max_clients` addresses are
    remembered; beyond that the one seen least recently is forgotten.
    """

    def __init__(self, limit: int = 30, window: float = 60.0, max_clients: int = 10_000) -> None:
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        # Sync page routes run in a thread pool: two lookups may count at once.
        self._lock = threading.Lock()

    def take(self, client: str, now: float) -> int:
        """Count a lookup at `now` (monotonic seconds): 0 if allowed, else seconds to wait."""
        with self._lock:
            stamps = self._seen.pop(client, None) or deque()
            while stamps and stamps[0] <= now - self.window:
                stamps.popleft()
            self._seen[client] = stamps  # now the most recently seen
            if len(stamps) >= self.limit:
                return max(int(stamps[0] + self.window - now) + 1, 1)
            stamps.append(now)
            while len(self._seen) > self.max_clients:
                self._seen.popitem(last=False)
            return 0
