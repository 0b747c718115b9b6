"""Evidence (bukti dukung) behind quarterly reports: attaching, listing, removing, reading.

An officer of the regency attaches files to an item of a quarter's report while the
report is theirs to write (not yet submitted, or returned). The type is decided by the
content (`evidence.inspect`), never by the name or the client's header; what is refused
says why, in the person's language (a coded refusal), and nothing is kept. A file is
kept once under its SHA-256 in the configured store (`evidence.store`: a folder, or the
database), and its attachment is a row (`evidence_file`) saying where, by whom, and what
a photo tells of where and when it was taken (EXIF; a photo taken farther than
`evidence_flag_km` from the item's location, when the location names coordinates, is
flagged, not refused). A photo's thumbnail and phone copy are made once, by an activity
(`EvidenceWorkflow`), never on the request.

When the report is submitted, each item carries the SHA-256 of the files attached to it
then (`with_files`): the report's record and the audit chain hold them, and from then
on those attachments can no longer be removed. Removing a file from a report still
open is allowed; the row stays, with who removed it and when. Each file attached or
removed is also a row of the cycle's audit chain, in the commitment's evidence stream
(`<commitment>#evidence`).

Reading is for the regency's own people and the province's roles (the scope rule); a
file's link names its SHA-256, so it cannot be guessed, and needs a session.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import zipfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from db import evidence as records
from db import models as m
from db import reads
from db import records as audit_records
from db.session import transaction
from domain.audit import AuditContent
from domain.geo import coordinates_in, distance_km
from domain.refusals import RefusalCode as R
from domain.reports import ReportState
from domain.roles import Role
from domain.stages import Stage
from evidence.inspect import EvidenceRefused, inspect, refusal_code, safe_name
from evidence.store import BlobStore, blob_store
from services.access import AuthUser, require_role
from services.commitments import CommitmentRef
from services.errors import (
    Conflict,
    FileNotAccepted,
    FileTooLarge,
    NotFound,
    Refusal,
    Unprocessable,
)
from services.schemas import SubmitReportIn
from services.settings import Settings
from workflows.evidence import EvidenceWorkflow

log = logging.getLogger(__name__)

OPEN_STATES = (None, ReportState.RETURNED.value)
"""Report states in which the officer still writes it: none yet, or returned."""

VARIANTS = ("original", "thumbnail", "phone")
"""What of a file can be read: as handed in, or a photo's thumbnail or phone copy."""


def not_taken(refused: EvidenceRefused) -> Refusal:
    """The refusal of a file, its reason coded: 413 too large, 422 a bad name or nothing
    handed in, 415 anything else about what it is (`evidence.inspect`)."""
    kind: type[Refusal] = FileNotAccepted
    if refused.code == "too_large":
        kind = FileTooLarge
    elif refused.code in ("bad_name", "empty"):
        kind = Unprocessable
    return kind.coded(refusal_code(refused.code), **refused.params)


def store_of(settings: Settings, sessions: sessionmaker[Session]) -> BlobStore:
    """The evidence store the settings name."""
    return blob_store(settings.evidence_store, folder=settings.evidence_folder, sessions=sessions)


@dataclass(frozen=True)
class Upload:
    """A file handed in for one item of one quarter's report, read by `read(n)` (at most n
    bytes: the front door's spooled upload, read only once a slot is free)."""

    quarter: int
    item_position: int
    name: str
    read: Callable[[int], Awaitable[bytes]]


UPLOADS_AT_ONCE = 2
"""Files one API process reads and checks at a time; the others wait spooled on disk, so
memory stays near this many times the largest file however many officers upload."""


def _report_state(session: Session, ref: CommitmentRef, quarter: int) -> str | None:
    for report in reads.list_reports(session, commitment_id=ref.id):
        if report.quarter == quarter:
            return report.state
    return None


def _writable(session: Session, user: AuthUser, ref: CommitmentRef, quarter: int) -> None:
    """Refuse unless the person may change the evidence of this quarter's report now."""
    require_role(user, Role.REGENCY_OFFICER)
    ref.ensure_open()
    row = ref.recorded()
    if row.stage != Stage.FOLLOW_UP.value:
        raise Conflict.coded(R.EVIDENCE_NOT_OPEN, quarter=quarter)
    state = _report_state(session, ref, quarter)
    if state not in OPEN_STATES:
        raise Conflict.coded(R.EVIDENCE_REPORT_SUBMITTED, quarter=quarter, state=str(state))


def _item_location(session: Session, ref: CommitmentRef, position: int) -> str | None:
    """The approved plan's location of the item; NotFound if the plan has no such item."""
    row = ref.recorded()
    items = reads.version_items(session, commitment_id=ref.id, number=row.approved_version or 0)
    for item in items:
        if item.position == position:
            return item.location
    raise Conflict.coded(R.NO_SUCH_ITEM_REPORTED, item=position, count=len(items))


async def upload(
    client: Client,
    settings: Settings,
    sessions: sessionmaker[Session],
    slots: asyncio.Semaphore,
    user: AuthUser,
    ref: CommitmentRef,
    upload: Upload,
    *,
    now: datetime,
) -> m.EvidenceFile:
    """Attach a file to an item (regency officer, while the quarter's report is open).

    Refused, with nothing kept: `not_taken` for the file itself (its name first); Conflict
    for where the report stands, an unknown item, or the item's or report's limits. At
    most `slots` files are read and checked at once. A photo's copies are asked of the
    worker once the file is kept.
    """
    with transaction(sessions) as session:
        _writable(session, user, ref, upload.quarter)
    try:
        name = safe_name(upload.name)
    except EvidenceRefused as refused:
        raise not_taken(refused) from None
    async with slots:
        # One byte more than allowed is enough to know a file is too large.
        content = await upload.read(settings.evidence_max_file_bytes + 1)
        return await _keep(client, settings, sessions, user, ref, upload, name, content, now)


async def _keep(
    client: Client,
    settings: Settings,
    sessions: sessionmaker[Session],
    user: AuthUser,
    ref: CommitmentRef,
    upload: Upload,
    name: str,
    content: bytes,
    now: datetime,
) -> m.EvidenceFile:
    """Check, keep and attach one file read in full (`upload`)."""
    try:
        inspected = await asyncio.to_thread(
            inspect, content, max_bytes=settings.evidence_max_file_bytes
        )
    except EvidenceRefused as refused:
        raise not_taken(refused) from None
    digest = hashlib.sha256(content).hexdigest()
    store = store_of(settings, sessions)
    with transaction(sessions) as session:
        _writable(session, user, ref, upload.quarter)
        location = _item_location(session, ref, upload.item_position)
        present = records.attached(session, commitment_id=ref.id, quarter=upload.quarter)
        mine = [r for r in present if r.item_position == upload.item_position]
        if len(mine) >= settings.evidence_max_files_per_item:
            raise Conflict.coded(
                R.EVIDENCE_ITEM_FULL,
                item=upload.item_position,
                limit=settings.evidence_max_files_per_item,
            )
        total = sum(r.size for r in present) + inspected.size
        if total > settings.evidence_max_report_bytes:
            raise Conflict.coded(
                R.EVIDENCE_REPORT_FULL,
                quarter=upload.quarter,
                limit=settings.evidence_max_report_bytes,
            )
    await asyncio.to_thread(store.put, digest, content, inspected.media_type)
    distance = None
    place = coordinates_in(location or "")
    if place is not None and inspected.latitude is not None and inspected.longitude is not None:
        distance = round(distance_km(inspected.latitude, inspected.longitude, *place), 1)
    with transaction(sessions) as session:
        row = records.attach(
            session,
            commitment_id=ref.id,
            quarter=upload.quarter,
            item_position=upload.item_position,
            sha256=digest,
            file_name=name,
            media_type=inspected.media_type,
            kind=inspected.kind,
            size=inspected.size,
            uploaded_by=user.username,
            uploaded_at=now,
            taken_at=inspected.taken_at,
            latitude=inspected.latitude,
            longitude=inspected.longitude,
            distance_km=distance,
        )
        # The same photo attached before has its copies already: this attachment shares them.
        made = records.derived_copies(session, sha256=digest)
        if made is not None:
            row.thumbnail_sha256, row.phone_sha256, row.derived_at = made
        session.flush()
        _audit(session, user, ref, row, "attach_evidence", now)
        session.expunge(row)
    if inspected.kind == "photo" and made is None:
        await derive(client, settings, digest)
    log.info(
        "%s attached %s (%s) to %s Q%d item %d",
        user.username,
        digest[:12],
        name,
        ref.id,
        upload.quarter,
        upload.item_position,
    )
    return row


async def derive(client: Client, settings: Settings, sha256: str) -> None:
    """Ask the worker for a photo's thumbnail and phone copy.

    Asked only while no attachment of the photo has them (`upload`); while a run for the
    photo is open, asking again joins it (the run notes its copies on every attachment
    of the photo when it ends). The copies are content-addressed, so a later run for the
    same photo (its copies lost with a database restored from an older backup) makes the
    same bytes again.
    """
    try:
        await client.start_workflow(
            EvidenceWorkflow.run,
            sha256,
            id=f"evidence:{sha256}",
            task_queue=settings.temporal_task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        pass  # a run for this photo is open: it notes this attachment too


def listing(
    session: Session, ref: CommitmentRef, quarter: int | None = None
) -> Sequence[m.EvidenceFile]:
    """The files attached to a commitment's reports (one quarter's, or all)."""
    return records.attached(session, commitment_id=ref.id, quarter=quarter)


def by_item(rows: Sequence[m.EvidenceFile]) -> dict[tuple[int, int], list[m.EvidenceFile]]:
    """The files by (quarter, item position)."""
    grouped: dict[tuple[int, int], list[m.EvidenceFile]] = {}
    for row in rows:
        grouped.setdefault((row.quarter, row.item_position), []).append(row)
    return grouped


def remove(
    session: Session, user: AuthUser, ref: CommitmentRef, evidence_id: int, *, now: datetime
) -> m.EvidenceFile:
    """Remove a file from a report still being written (regency officer); the row stays."""
    # Who the person is comes first: another role is refused whether the file exists or not.
    require_role(user, Role.REGENCY_OFFICER)
    row = records.get(session, evidence_id=evidence_id)
    if row is None or row.commitment_id != ref.id or row.removed_at is not None:
        raise NotFound(f"no evidence {evidence_id} on {ref.id}")
    _writable(session, user, ref, row.quarter)
    records.remove(session, evidence_id=evidence_id, by=user.username, now=now)
    _audit(session, user, ref, row, "remove_evidence", now)
    log.info(
        "%s removed evidence %d (%s) from %s", user.username, evidence_id, row.sha256[:12], ref.id
    )
    return row


def evidence_stream(ref: CommitmentRef) -> str:
    """The audit stream of a commitment's evidence, beside the commitment's own."""
    return f"{ref.id}#evidence"


def _audit(
    session: Session,
    user: AuthUser,
    ref: CommitmentRef,
    row: m.EvidenceFile,
    action: str,
    now: datetime,
) -> None:
    """Put a file's attaching or removal in the cycle's audit chain: its own stream, the
    attachment's id making the sequence (attached 2n, removed 2n + 1)."""
    audit_records.append_audit(
        session,
        AuditContent(
            cycle_id=ref.cycle_id,
            stream=evidence_stream(ref),
            seq=2 * row.id + (action == "remove_evidence"),
            action=action,
            actor=user.full_name,
            actor_role=user.role.value,
            from_stage=None,
            to_stage=None,
            detail={
                "quarter": row.quarter,
                "item_position": row.item_position,
                "sha256": row.sha256,
                "file_name": row.file_name,
                "size": row.size,
            },
            occurred_at=now,
        ),
    )


@dataclass(frozen=True)
class EvidenceContent:
    """A file to send: its bytes, type and the name it was handed in under."""

    content: bytes
    media_type: str
    file_name: str


def read(
    session: Session,
    store: BlobStore,
    ref: CommitmentRef,
    evidence_id: int,
    sha256: str,
    variant: str = "original",
) -> EvidenceContent:
    """A file attached to the commitment, or its thumbnail or phone copy; NotFound unless the
    id and hash match (links are not guessable) or the copy is not made yet."""
    row = records.get(session, evidence_id=evidence_id)
    if (
        row is None
        or row.commitment_id != ref.id
        or row.sha256 != sha256
        or variant not in VARIANTS
    ):
        raise NotFound(f"no evidence {evidence_id} with that hash on {ref.id}")
    if variant == "original":
        wanted, media_type, name = row.sha256, row.media_type, row.file_name
    else:
        made = row.thumbnail_sha256 if variant == "thumbnail" else row.phone_sha256
        if made is None:
            raise NotFound(f"the {variant} of evidence {evidence_id} is not made yet")
        wanted, media_type, name = made, "image/jpeg", f"{variant}-{row.file_name}.jpg"
    content = store.get(wanted)
    if content is None:
        raise NotFound(f"the file {wanted} is not in the evidence store")
    return EvidenceContent(content=content, media_type=media_type, file_name=name)


def attached_hashes(
    session: Session, ref: CommitmentRef, quarter: int
) -> dict[int, tuple[str, ...]]:
    """The SHA-256 of each file attached to each item of a quarter's report, in order."""
    hashes: dict[int, list[str]] = {}
    for row in records.attached(session, commitment_id=ref.id, quarter=quarter):
        if row.sha256 not in hashes.setdefault(row.item_position, []):
            hashes[row.item_position].append(row.sha256)
    return {position: tuple(found) for position, found in hashes.items()}


def attached_for(session: Session, ref: CommitmentRef, body: object) -> dict[int, tuple[str, ...]]:
    """What a report body takes as its items' files (`services.actions.request_for`): the
    evidence attached to its quarter now; nothing for any other body."""
    quarter = getattr(body, "quarter", None)
    if not isinstance(body, SubmitReportIn) or quarter is None:
        return {}
    return attached_hashes(session, ref, quarter)


def zip_of(session: Session, store: BlobStore, ref: CommitmentRef, quarter: int) -> bytes:
    """One quarter's evidence of a regency as a ZIP: each file under its item's folder, and
    `manifest.json` and `SHA256SUMS` listing every file's hash, size and item.

    The files are those the report recorded when it was submitted (verified, or waiting),
    else those attached now. Deterministic: the same evidence gives the same bytes.
    """
    rows = records.attached(session, commitment_id=ref.id, quarter=quarter)
    recorded = {
        (item["item_position"], sha)
        for report in reads.list_reports(session, commitment_id=ref.id)
        if report.quarter == quarter and report.state != ReportState.RETURNED.value
        for item in report.items
        for sha in item.get("files", ())
    }
    if recorded:
        rows = [r for r in rows if (r.item_position, r.sha256) in recorded]
    entries = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for row in rows:
            content = store.get(row.sha256)
            if content is None:
                raise NotFound(f"the file {row.sha256} is not in the evidence store")
            path = f"aksi-{row.item_position:02d}/{row.id}-{row.file_name}"
            info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
            entries.append(
                {
                    "path": path,
                    "sha256": row.sha256,
                    "size": row.size,
                    "item_position": row.item_position,
                    "media_type": row.media_type,
                    "uploaded_by": row.uploaded_by,
                    "uploaded_at": row.uploaded_at.isoformat(),
                }
            )
        manifest = {
            "commitment": ref.id,
            "regency_code": ref.regency_code,
            "quarter": quarter,
            "files": entries,
        }
        for name, text in (
            ("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"),
            ("SHA256SUMS", "".join(f"{e['sha256']}  {e['path']}\n" for e in entries)),
        ):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode())
    return buffer.getvalue()
