"""Evidence (bukti dukung) behind a commitment's quarterly reports: attach, list, read,
remove, and one quarter's files as a ZIP with a manifest (`services.evidence`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, File, Path, Query, Response, UploadFile, status

from api.deps import CommitmentDep, CurrentUser, RowId, RuntimeDep, SessionDep, TemporalDep
from api.files import file_response
from services import evidence
from services.schemas import EvidenceOut

router = APIRouter(prefix="/cycles/{cycle_id}/commitments/{regency_code}", tags=["evidence"])

Quarter = Annotated[int, Path(ge=1, le=4)]
Position = Annotated[int, Path(ge=1, le=200)]
Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]


@router.post(
    "/reports/{quarter}/items/{position}/evidence",
    status_code=status.HTTP_201_CREATED,
    responses={413: {}, 415: {}},
)
async def attach_evidence(
    quarter: Quarter,
    position: Position,
    ref: CommitmentDep,
    user: CurrentUser,
    runtime: RuntimeDep,
    client: TemporalDep,
    file: Annotated[UploadFile, File(description="a photo (JPEG, PNG), PDF, DOCX or XLSX")],
) -> EvidenceOut:
    """Attach a file to an item of a quarter's report (regency officer, while the report is
    not submitted): its type decided by its content (415), its size (413) and name (422)
    checked; nothing is kept when it is refused."""
    upload = evidence.Upload(quarter, position, file.filename or "", file.read)
    row = await evidence.upload(
        client,
        runtime.settings,
        runtime.sessions,
        runtime.upload_slots,
        user,
        ref,
        upload,
        now=datetime.now(UTC),
    )
    return EvidenceOut.of(row)


@router.get("/reports/{quarter}/evidence")
def list_evidence(quarter: Quarter, ref: CommitmentDep, session: SessionDep) -> list[EvidenceOut]:
    """The files attached to a quarter's report, by item."""
    return [EvidenceOut.of(row) for row in evidence.listing(session, ref, quarter)]


@router.get(
    "/evidence/{evidence_id}/{sha256}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def read_evidence(
    evidence_id: RowId,
    sha256: Sha256,
    ref: CommitmentDep,
    session: SessionDep,
    runtime: RuntimeDep,
    variant: Annotated[str, Query(pattern="^(original|thumbnail|phone)$")] = "original",
) -> Response:
    """A file as handed in, or a photo's thumbnail or phone copy (404 until made)."""
    store = evidence.store_of(runtime.settings, runtime.sessions)
    return file_response(evidence.read(session, store, ref, evidence_id, sha256, variant))


@router.delete("/evidence/{evidence_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_evidence(
    evidence_id: RowId, ref: CommitmentDep, user: CurrentUser, session: SessionDep
) -> Response:
    """Remove a file from a report still being written (regency officer); kept on record."""
    evidence.remove(session, user, ref, evidence_id, now=datetime.now(UTC))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/reports/{quarter}/evidence.zip",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
def evidence_zip(
    quarter: Quarter, ref: CommitmentDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """A quarter's evidence as one ZIP, with `manifest.json` and `SHA256SUMS` of its files."""
    store = evidence.store_of(runtime.settings, runtime.sessions)
    content = evidence.zip_of(session, store, ref, quarter)
    name = f"bukti-{ref.cycle_id}-{ref.regency_code}-triwulan-{quarter}.zip"
    return Response(
        content=content,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
