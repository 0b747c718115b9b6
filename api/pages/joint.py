"""The joint commitment (komitmen bersama) of a cycle, ready to print.

One HTML page with the documents' print stylesheet (A4 portrait; browsers print
it to PDF): the preamble, the strategic issues committed to across the three
phases, then every regency of the cycle with its stage, the hash of its signed
action plan and its signature blocks, and at the bottom the cycle document hash
(`domain.cycle.cycle_document_hash`), so a printed copy can be checked.

Every signed-in user may read it, regency users included: all regencies sign the
commitment jointly, and it shows what signing makes public (names, titles,
dates, NIPs, hashes), never a plan's items, which stay within the regency's scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from api.deps import CycleId, SessionDep
from api.pages import i18n
from api.pages.base import SignedInDep
from api.pages.document import WORDS, render_document
from domain.catalog import load_catalog
from domain.display import Language
from domain.plan import ISSUE_LABELS
from services import documents
from services.documents import SignatureBlock, SignedRegency
from services.errors import NotFound

router = APIRouter(include_in_schema=False)

JOINT_WORDS: dict[Language, dict[str, str]] = {
    "id": {
        "title": "KOMITMEN BERSAMA",
        "preamble": (
            "Dalam {meeting}, {agency} bersama pemerintah {regencies} menyepakati komitmen "
            "bersama penanggulangan bencana tahun {year}. Kami yang bertanda tangan di bawah "
            "ini berkomitmen melaksanakan rencana aksi daerah pada fase {phases} untuk isu "
            "strategis berikut:"
        ),
        "and": "dan",
        "signed_by": "Penandatangan",
        "unsigned": "belum ditandatangani",
        "signed_count": "{signed} dari {required} tanda tangan",
        "cycle_hash": "Hash dokumen siklus (SHA-256)",
        "cycle_hash_rule": (
            "SHA-256 atas JSON [[kode wilayah, hash dokumen atau null], ...] tanpa spasi, "
            "diurutkan menurut kode wilayah."
        ),
    },
    "en": {
        "title": "JOINT COMMITMENT",
        "preamble": (
            "At the {meeting}, {agency} and the governments of {regencies} agreed on a joint "
            "commitment to disaster management for {year}. We, the undersigned, commit to "
            "carrying out the regional action plans in the {phases} phases on the following "
            "strategic issues:"
        ),
        "and": "and",
        "signed_by": "Signatories",
        "unsigned": "not yet signed",
        "signed_count": "{signed} of {required} signatures",
        "cycle_hash": "Cycle document hash (SHA-256)",
        "cycle_hash_rule": (
            "SHA-256 of the JSON [[regency code, document hash or null], ...] without spaces, "
            "sorted by regency code."
        ),
    },
}


@dataclass(frozen=True)
class RegencyEntry:
    """One regency in the joint commitment: where it stands and who has signed."""

    code: str
    name: str
    stage: str
    version: int | None
    document_hash: str | None
    """The approved document's hash once every required office has signed it."""
    signed: int
    required: int
    blocks: list[SignatureBlock]


def listed(names: list[str], conjunction: str) -> str:
    """Names as a sentence lists them: "A, B dan C"."""
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} {conjunction} {names[-1]}"


def regency_entry(regency: SignedRegency, required: int, lang: Language) -> RegencyEntry:
    """One regency of the joint commitment as the document lists it, its stage in words."""
    row = regency.row
    return RegencyEntry(
        code=regency.code,
        name=regency.name,
        stage=(
            i18n.stage_label(row.stage, row.round > 1, lang)
            if row is not None
            else i18n.TEXT[lang]["not_started"]
        ),
        version=row.approved_version if row is not None else None,
        document_hash=regency.document_hash,
        signed=len(regency.blocks),
        required=required,
        blocks=regency.blocks,
    )


@router.get("/cycles/{cycle_id}/document", response_class=HTMLResponse)
def joint_document(cycle_id: CycleId, who: SignedInDep, session: SessionDep) -> Response:
    """The cycle's joint commitment, printable: every regency's signatures and the cycle hash."""
    page = who.page
    try:
        joint = documents.joint_commitment(session, cycle_id)
    except NotFound:
        raise who.refuse(404, "not_found", cycle_id) from None
    cycle = joint.cycle
    entries = [regency_entry(r, joint.required, page.lang) for r in joint.regencies]
    words = {**WORDS[page.lang], **JOINT_WORDS[page.lang]}
    province = load_catalog().province
    preamble = words["preamble"].format(
        meeting=cycle.name,
        agency=province.disaster_agency,
        regencies=listed([e.name for e in entries], words["and"]),
        year=cycle.year,
        phases=listed([p.lower() for p in i18n.PHASES[page.lang].values()], words["and"]),
    )
    return render_document(
        page,
        "joint.html",
        w=words,
        cycle=cycle,
        preamble=preamble,
        issues=list(ISSUE_LABELS[page.lang].values()),
        entries=entries,
        cycle_hash=joint.cycle_hash,
        chain=joint.chain,
    )
