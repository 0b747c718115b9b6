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
from datetime import date, datetime

import segno
from sqlalchemy.orm import Session

from db import models as m
from db import offices as office_records
from db import people, reads
from domain.audit import ChainHead
from domain.calendar import wita_date
from domain.catalog import Office, is_province_code, load_catalog
from domain.cycle import cycle_document_hash
from domain.display import Language, acting_mark, format_date
from domain.document import DocumentFormat, verification_code
from domain.offices import block_lines, in_force
from domain.roles import Acting
from domain.stages import STAGE_LABELS, Stage
from domain.words import NC_, by_language
from services import audit, commitments, cycles, offices
from services.commitments import CommitmentRef
from services.errors import NotFound

# The words both renderings of a document (the HTML page and the PDF) print, so the two
# say the same; the pages' own words stay in api/pages/i18n, which services may not import.
DOCUMENT_WORDS = {
    "plan_title": NC_(
        "document.plan_title",
        "Regional Disaster Management Action Plan of {regency}",
    ),
    "cycle": NC_("document.cycle", "Cycle"),
    "version": NC_("document.version", "Version"),
    "no": NC_("document.no", "No."),
    "issue": NC_("document.issue", "Strategic issue"),
    "phase": NC_("document.phase", "Phase"),
    "activity": NC_("document.activity", "Action"),
    "indicator": NC_("document.indicator", "Indicator"),
    "target": NC_("document.target", "Target"),
    "quarters": NC_("document.quarters", "Quarters"),
    "responsible": NC_("document.responsible", "Responsible unit"),
    "partners": NC_("document.partners", "Pentahelix partners"),
    "budget": NC_("document.budget", "Budget"),
    "source": NC_("document.source", "Source"),
    "location": NC_("document.location", "Location"),
    "document_hash": NC_("document.document_hash", "Document hash (SHA-256)"),
    "document_format": NC_("document.document_format", "document format {format}"),
    "chain_head": NC_("document.chain_head", "Head of the cycle's audit chain (SHA-256)"),
    "chain_entries": NC_("document.chain_entries", "entries"),
    "verify": NC_("document.verify", "Check this document's authenticity at {site} with the code"),
    "page_of": NC_("document.page_of", "Page {page} of {pages}"),
    "stage": NC_("document.stage", "Stage"),
    "changes_requested": NC_("document.changes_requested", "Changes requested"),
    "not_started": NC_("document.not_started", "Not started"),
    "title": NC_("document.title", "JOINT COMMITMENT"),
    "preamble": NC_(
        "document.preamble",
        "At the {meeting}, {agency} and the governments of {regencies} agreed on a joint "
        "commitment to disaster management for {year}. We, the undersigned, commit to "
        "carrying out the regional action plans in the {phases} phases on the following "
        "strategic issues:",
    ),
    "and": NC_("document.and", "and"),
    "signed_by": NC_("document.signed_by", "Signatories"),
    "unsigned": NC_("document.unsigned", "not yet signed"),
    "signed_count": NC_("document.signed_count", "{signed} of {required} signatures"),
    "cycle_hash": NC_("document.cycle_hash", "Cycle document hash (SHA-256)"),
    "acknowledged": NC_("document.acknowledged", "Acknowledged by,"),
    "cycle_hash_rule": NC_(
        "document.cycle_hash_rule",
        "SHA-256 of the JSON [[regency code, document hash or null], ...] without spaces,"
        " sorted by regency code.",
    ),
}
WORDS: dict[Language, dict[str, str]] = by_language(DOCUMENT_WORDS)
"""What the printed documents say, in Bahasa Indonesia and English."""


def listed(names: Sequence[str], conjunction: str) -> str:
    """Names as a sentence lists them: "A dan B", "A, B, dan C" (as BPBD staff write)."""
    if len(names) < 2:
        return "".join(names)
    if len(names) == 2:
        return f"{names[0]} {conjunction} {names[1]}"
    return f"{', '.join(names[:-1])}, {conjunction} {names[-1]}"


def stage_words(row: m.Commitment | None, language: Language) -> str:
    """Where a regency's commitment stands, in words; drafting after a change request too."""
    words = WORDS[language]
    if row is None:
        return words["not_started"]
    stage = Stage(row.stage)
    if stage is Stage.DRAFTING and row.round > 1:
        return words["changes_requested"]
    return STAGE_LABELS[language][stage]


@dataclass(frozen=True)
class Verification:
    """How a printed copy is checked: the short code, the page that checks it, its QR code."""

    code: str
    """`domain.document.verification_code` of the document hash: "7K3M-Q9XD-2P4A"."""
    site: str
    """The verification page without the code, as the sentence under the QR names it."""
    url: str
    """The full address the QR code encodes: the site and the code."""

    def qr(self) -> segno.QRCode:
        """The QR code of `url`; medium error correction survives a crease or a stain."""
        return segno.make(self.url, error="m", micro=False)

    def qr_svg(self) -> str:
        """The QR code as inline SVG markup sized by its viewBox, for the HTML documents."""
        # No width or height: the stylesheet sizes it, so it stays crisp on paper and phone.
        return str(
            self.qr().svg_inline(
                scale=1, border=4, omitsize=True, svgclass="qr", lineclass=None, title=self.url
            )
        )


def verification(document_hash: str, public_base_url: str) -> Verification:
    """The verification of a document hash on the service reached at `public_base_url`."""
    code = verification_code(document_hash)
    site = f"{public_base_url.rstrip('/')}/verify"
    return Verification(code=code, site=site, url=f"{site}/{code}")


def nip_grouped(nip: str | None) -> str | None:
    """An 18-digit NIP grouped 8-6-1-3 ("19750312 200012 1 003"); anything else as given."""
    if not nip:
        return None
    digits = nip.replace(" ", "")
    if len(digits) != 18 or not digits.isdigit():
        return nip
    return f"{digits[:8]} {digits[8:14]} {digits[14]} {digits[15:]}"


def signed_title(title: str, acting: str) -> str:
    """The title as a signature block's first line writes it: "Plt. BUPATI KUPANG,"."""
    mark = acting_mark(acting)
    return f"{mark} {title.upper()}," if mark else f"{title.upper()},"


@dataclass(frozen=True)
class SignatureBlock:
    """One signature block: place and date, title (and an a.n. signer's own), name, pangkat
    and NIP, each as Permendagri 1/2023 Art. 44 shows it (`domain.offices.block_lines`)."""

    place_and_date: str
    title: str
    name: str
    nip: str | None
    own_title: str | None = None
    pangkat: str | None = None


def signature_block(signature: m.Signature, seat: str) -> SignatureBlock:
    """The block of one signature; the date is the signing day in WITA."""
    lines = block_lines(
        office=signature.office,
        acting=signature.acting,
        office_title=signature.title,
        name=signature.signer_name,
        pangkat=signature.pangkat,
        nip=signature.nip,
        own_title=signature.own_title,
    )
    return SignatureBlock(
        place_and_date=f"{seat}, {format_date(signature.signed_at, 'id')}",
        title=lines.title,
        name=lines.name,
        nip=nip_grouped(lines.nip),
        own_title=lines.own_title,
        pangkat=lines.pangkat,
    )


def approved_signatures(session: Session, ref: CommitmentRef) -> list[m.Signature]:
    """The signatures given on the commitment's approved document, in signing order."""
    row = ref.recorded()
    return [s for s in commitments.signatures(session, ref) if s.document_hash == row.document_hash]


@dataclass(frozen=True)
class PlanDocument:
    """A regency's approved plan as printed: its items, signatures and the cycle's chain head."""

    row: reads.RecordedCommitment
    cycle: m.Cycle
    items: Sequence[m.ActionItem]
    blocks: list[SignatureBlock]
    """The blocks of the signatures on the approved document, in signing order."""
    chain: ChainHead | None
    issued_at: datetime
    """When the document last changed: its last signature, else its version's save. A PDF
    of it carries this as its creation date, so the same document gives the same bytes."""
    document_format: DocumentFormat
    """The format of the canonical document its hash covers (`domain.document`)."""

    @property
    def document_hash(self) -> str:
        """The approved document's hash (SHA-256 of its canonical bytes)."""
        return self.row.document_hash or ""


def plan_document(session: Session, ref: CommitmentRef) -> PlanDocument:
    """The approved plan of a commitment in scope; NotFound until it is approved."""
    row = ref.recorded()
    if row.approved_version is None or not row.document_hash:
        raise NotFound(f"commitment {ref.id} has no approved plan yet")
    cycle = cycles.get_cycle(session, ref.cycle_id)
    seat = load_catalog().get(ref.regency_code).seat
    items = commitments.items_of(session, ref, row.approved_version)
    signatures = approved_signatures(session, ref)
    version = next(
        v for v in commitments.versions(session, ref) if v.number == row.approved_version
    )
    return PlanDocument(
        row=row,
        cycle=cycle,
        items=items,
        blocks=[signature_block(s, seat) for s in signatures],
        chain=audit.chain_head(session, ref.cycle_id),
        issued_at=max([s.signed_at for s in signatures], default=version.saved_at),
        # Versions recorded before formats were kept were all written in the typed form.
        document_format=DocumentFormat(version.document_format or DocumentFormat.TYPED),
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
    issued_at: datetime
    """When the document last changed: the last signature given, else the cycle's start."""
    acknowledgment: SignatureBlock | None = None
    """The province's official under "Mengetahui," at the end (`acknowledgment`)."""

    @property
    def regency_names(self) -> list[str]:
        """The names of the cycle's kabupaten/kota, as the preamble lists them (the province,
        if a party, is named as the agency)."""
        return [r.name for r in self.regencies if not is_province_code(r.code)]

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
    signed_at = [cycle.started_at]
    for spec in sorted(cycle.spec.get("regencies", []), key=lambda r: str(r["code"])):
        code = spec["code"]
        row = recorded.get(code)
        signatures = _signatures(session, row)
        signed_at += [s.signed_at for s in signatures]
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
    issued_at = max(signed_at)
    office = str(cycle.spec.get("acknowledging_office") or Office.REGIONAL_HEAD.value)
    return JointCommitment(
        cycle=cycle,
        regencies=regencies,
        required=len(required),
        chain=audit.chain_head(session, cycle.id),
        issued_at=issued_at,
        acknowledgment=acknowledgment(session, office, wita_date(issued_at)),
    )


def acknowledgment(session: Session, office: str, on: date) -> SignatureBlock | None:
    """The block of the province's official who acknowledges a joint commitment on day `on`.

    The office's title that day (as recorded for the province, else the catalog's); the
    name, pangkat and NIP of whoever holds it or acts for it (the assignment in force on
    the offices desk, else the province's signatory account with that office), with the
    acting marks of Permendagri 1/2023 Art. 44 (`domain.offices.block_lines`). With no one
    holding it, the name is left blank to be written in by hand. It is signed on paper:
    the block leaves blank space for the signature. Its first line ("Mengetahui,") is the
    renderings' to write. None without a province in the catalog.
    """
    party = load_catalog().party
    if party is None:
        return None
    code = party.kemendagri_code
    title = offices.office_title(session, code, office, on)
    holders = people.office_holders(session, regency_code=code, offices=[office], on=on)
    account = holders[0] if holders else None
    assigned = in_force(
        office_records.assignments(session, regency_code=code, offices=[office]), Office(office), on
    )
    acting, own_title = Acting.DEFINITIVE.value, None
    if account is not None:
        acting = account.acting
        if assigned is not None and assigned.username == account.username:
            acting, own_title = assigned.acting.value, assigned.own_title
    lines = block_lines(
        office=office,
        acting=acting,
        office_title=title,
        name=account.full_name if account is not None else "",
        pangkat=account.pangkat if account is not None else None,
        nip=account.nip if account is not None else None,
        own_title=own_title,
    )
    return SignatureBlock(
        place_and_date="",  # "Mengetahui," in the reader's language, as each rendering says
        title=lines.title,
        name=lines.name,
        nip=nip_grouped(lines.nip),
        own_title=lines.own_title,
        pangkat=lines.pangkat,
    )


def _signatures(session: Session, row: m.Commitment | None) -> list[m.Signature]:
    """The approved document's signatures of a regency's commitment; none before it has one."""
    if row is None or not row.document_hash:
        return []
    ref = CommitmentRef(cycle_id=row.cycle_id, regency_code=row.regency_code, row=row)
    return approved_signatures(session, ref)
